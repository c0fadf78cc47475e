package messenger

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// maxMediaSize bounds a media download (Meta's attachments are at most
// 25 MB; the bound leaves room).
const maxMediaSize = 100 << 20

// FetchMedia downloads an inbound attachment from the URL Meta gave in the
// signed callback, as given. The URL is signed by Meta's CDN: no token is
// sent with it, and it stays out of logs and errors.
func (p *Provider) FetchMedia(ctx context.Context, ch carillon.Channel, m carillon.InboundMedia) (io.ReadCloser, string, error) {
	if m.URL == "" {
		return nil, "", errors.New(p.net.Label + ": the attachment has no url")
	}
	u, err := url.Parse(m.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", errors.New(p.net.Label + ": the attachment's url is not an http(s) URL")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, m.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("%s: attachment: %v", p.net.Label, metagraph.UnwrapURLError(err))
	}
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, "", &metagraph.TransportError{Label: p.net.Label, Op: "GET " + metagraph.DescribeURL(m.URL), Err: metagraph.UnwrapURLError(err)}
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, "", fmt.Errorf("%s: downloading an attachment from %s: HTTP %d %s", p.net.Label, u.Host, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	contentType := resp.Header.Get("Content-Type")
	if strings.TrimSpace(contentType) == "" {
		contentType = m.MimeType
	}
	p.log.Debug(p.net.Label+" attachment fetched", "channel", ch.ID, "host", u.Host, "content_type", contentType)
	return limitedBody{Reader: io.LimitReader(resp.Body, maxMediaSize), Closer: resp.Body}, contentType, nil
}

type limitedBody struct {
	io.Reader
	io.Closer
}
