package telegram

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"path"
	"strings"

	"github.com/carillon/carillon"
)

// maxFileSize is the largest file the Bot API lets a bot download; a body
// longer than that is not a Telegram file, and is cut with an error rather
// than read without end.
const maxFileSize = 20 << 20

// fileTypes are the content types of the extensions Telegram gives its
// files, for the file server answers application/octet-stream for them
// all. The standard library's table lacks most audio and video ones.
var fileTypes = map[string]string{
	".jpg":  "image/jpeg",
	".jpeg": "image/jpeg",
	".png":  "image/png",
	".webp": "image/webp",
	".gif":  "image/gif",
	".mp4":  "video/mp4",
	".mov":  "video/quicktime",
	".webm": "video/webm",
	".mp3":  "audio/mpeg",
	".m4a":  "audio/mp4",
	".oga":  "audio/ogg",
	".ogg":  "audio/ogg",
	".opus": "audio/ogg",
	".wav":  "audio/wav",
	".pdf":  "application/pdf",
	".tgs":  "application/x-tgsticker",
}

// FetchMedia downloads the file an inbound message carries: getFile turns
// its file_id into a path, then the file comes from
// <base_url>/file/bot<token>/<path>. The Bot API serves files up to 20 MB.
// The content type is the file server's, or, when it names none more
// precise than application/octet-stream, guessed from the path's extension,
// else the one the message declared.
func (p *Provider) FetchMedia(ctx context.Context, ch carillon.Channel, m carillon.InboundMedia) (io.ReadCloser, string, error) {
	b, err := botOf(ch)
	if err != nil {
		return nil, "", fmt.Errorf("telegram getFile: %w", err)
	}
	if m.ID == "" {
		return nil, "", fmt.Errorf("telegram getFile: no file id")
	}
	r, err := p.call(ctx, b, "getFile", map[string]string{"file_id": m.ID})
	if err != nil {
		return nil, "", err
	}
	var f fileInfo
	if err := r.result(b, "getFile", &f); err != nil {
		return nil, "", err
	}
	if f.FilePath == "" {
		// Telegram leaves file_path out when the file cannot be downloaded
		// (over 20 MB).
		return nil, "", fmt.Errorf("telegram getFile: no file_path for file %s (over the Bot API's 20 MB?)", m.ID)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.fileURL(f.FilePath), nil)
	if err != nil {
		return nil, "", &transportError{method: "file download", text: b.redact(err.Error())}
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, "", p.transportFailure(ctx, b, "file download", err)
	}
	p.log.LogAttrs(ctx, slog.LevelDebug, "telegram call",
		slog.String("channel", b.channel), slog.String("method", "file download"), slog.Int("status", resp.StatusCode))
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("telegram file download: HTTP %d for file %s", resp.StatusCode, m.ID)
	}
	if resp.ContentLength > maxFileSize {
		resp.Body.Close()
		return nil, "", fmt.Errorf("telegram file download: file %s has %d bytes, over the Bot API's %d", m.ID, resp.ContentLength, maxFileSize)
	}
	body := &limitedBody{ReadCloser: resp.Body, left: maxFileSize}
	return body, contentType(resp.Header.Get("Content-Type"), f.FilePath, m.MimeType), nil
}

// contentType picks the most precise of the server's content type, the
// one the path's extension implies, and the one the message declared.
func contentType(served, filePath, declared string) string {
	if mt, _, err := mime.ParseMediaType(served); err == nil && mt != "application/octet-stream" {
		return served
	}
	ext := strings.ToLower(path.Ext(filePath))
	if t, ok := fileTypes[ext]; ok {
		return t
	}
	if t := mime.TypeByExtension(ext); t != "" {
		return t
	}
	if declared != "" {
		return declared
	}
	return "application/octet-stream"
}

// limitedBody fails a read that goes past the size limit.
type limitedBody struct {
	io.ReadCloser
	left int64
}

var errFileTooLarge = fmt.Errorf("telegram file download: over the Bot API's %d bytes", maxFileSize)

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a file of exactly the limit from a longer one.
		var probe [1]byte
		if n, _ := b.ReadCloser.Read(probe[:]); n > 0 {
			return 0, errFileTooLarge
		}
		return 0, io.EOF
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.ReadCloser.Read(p)
	b.left -= int64(n)
	return n, err
}
