package httpapi

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/carillon/carillon"
)

// mediaFiles finds an inbound message's file by the name in its URL.
// *service.Messages is one.
type mediaFiles interface {
	Media(ctx context.Context, name string) (carillon.MediaFile, error)
}

// mediaPolicy is the Content-Security-Policy of every media answer: a
// document served from carillon's origin runs nothing and loads nothing,
// even when a browser renders it, so a customer's file cannot act as a
// page of that origin (where a web console may live).
const mediaPolicy = "sandbox; default-src 'none'"

// media serves an inbound message's file at its stable URL. Only raster
// images, audio and video whose bytes bear their type out are inline;
// everything else is a download (Content-Disposition: attachment).
func (s *Server) media(w http.ResponseWriter, r *http.Request) error {
	h := w.Header()
	// Set before the lookup: every answer, a 404 included, carries them.
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", mediaPolicy)
	file, err := s.mediaFiles.Media(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	defer file.Content.Close()
	h.Set("Content-Type", file.ContentType)
	h.Set("Content-Disposition", contentDisposition(file.Inline, file.Filename))
	h.Set("Content-Length", strconv.FormatInt(file.Size, 10))
	h.Set("Cache-Control", "private, max-age=31536000, immutable")
	_, _ = io.Copy(w, file.Content)
	return nil
}

// contentDisposition writes a Content-Disposition (RFC 6266) for a file
// offered under name, which the media store made safe (no path, control
// characters, quotes or backslashes): the name as a quoted ASCII fallback,
// other characters replaced, and, when it has any, the name itself in
// UTF-8 as filename* (RFC 8187, which RFC 5987 was).
func contentDisposition(inline bool, name string) string {
	kind := "attachment"
	if inline {
		kind = "inline"
	}
	fallback := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	v := kind + `; filename="` + fallback + `"`
	if fallback != name {
		v += "; filename*=UTF-8''" + encodeExtValue(name)
	}
	return v
}

// encodeExtValue percent-encodes s's UTF-8 bytes but RFC 8187's attr-char.
func encodeExtValue(s string) string {
	const hex = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		b.WriteByte('%')
		b.WriteByte(hex[c>>4])
		b.WriteByte(hex[c&0xf])
	}
	return b.String()
}
