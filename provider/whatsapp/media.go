package whatsapp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// maxMediaSize bounds a media download: WhatsApp's largest files
// (documents) are 100 MB.
const maxMediaSize = 100 << 20

// FetchMedia downloads an inbound message's media: its metadata first
// (GET /<media id>), whose url is then fetched with the same bearer token
// and the same HTTP client. The caller closes the returned body.
func (p *Provider) FetchMedia(ctx context.Context, ch carillon.Channel, m carillon.InboundMedia) (io.ReadCloser, string, error) {
	if m.ID == "" {
		return nil, "", errors.New("whatsapp: the media has no id")
	}
	a, err := p.call(ctx, ch, http.MethodGet, graphURL(ch, m.ID), nil)
	if err != nil {
		return nil, "", err
	}
	if a.Status != http.StatusOK {
		return nil, "", describeError("media "+m.ID, a)
	}
	var meta struct {
		URL      string `json:"url"`
		MimeType string `json:"mime_type"`
	}
	if err := json.Unmarshal(a.Body, &meta); err != nil || meta.URL == "" {
		return nil, "", fmt.Errorf("whatsapp: media %s: the metadata names no url", m.ID)
	}
	u, err := url.Parse(meta.URL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, "", fmt.Errorf("whatsapp: media %s: the metadata's url is not an http(s) URL", m.ID)
	}

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, meta.URL, nil)
	if err != nil {
		return nil, "", fmt.Errorf("whatsapp: media %s: %v", m.ID, metagraph.UnwrapURLError(err))
	}
	// Meta's media URLs need the token too; they are short-lived and
	// signed, so they stay out of logs and errors (metagraph.DescribeURL).
	req.Header.Set("Authorization", "Bearer "+ch.Settings[SettingAccessToken])
	resp, err := p.client.Do(req)
	if err != nil {
		return nil, "", &metagraph.TransportError{Label: label, Op: "GET " + metagraph.DescribeURL(meta.URL), Err: metagraph.UnwrapURLError(err)}
	}
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, metagraph.MaxAnswerSize))
		resp.Body.Close()
		return nil, "", describeError("downloading media "+m.ID, metagraph.Answer{Status: resp.StatusCode, Body: body})
	}
	contentType := firstNonEmpty(resp.Header.Get("Content-Type"), meta.MimeType, m.MimeType, "application/octet-stream")
	p.log.Debug("whatsapp media fetched", "channel", ch.ID, "media", m.ID, "content_type", contentType,
		"size", strconv.FormatInt(resp.ContentLength, 10))
	return limitedBody{Reader: io.LimitReader(resp.Body, maxMediaSize), Closer: resp.Body}, contentType, nil
}

// limitedBody reads at most maxMediaSize of a response body and closes it.
type limitedBody struct {
	io.Reader
	io.Closer
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if strings.TrimSpace(v) != "" {
			return v
		}
	}
	return ""
}
