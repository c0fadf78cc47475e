// Package client is a Go client of carillon's Callbell-compatible API. It
// works against carillon and, for the endpoints Callbell has, against
// Callbell itself.
//
// Answers are decoded into the API's own shapes, defined once in package
// wire (the server answers with the same types); the client names them
// with aliases (client.Contact is wire.Contact). Times are wire.Time: their
// Time method gives the time.Time, zero when the API answers null.
//
//	c := client.New("http://127.0.0.1:8080", os.Getenv("CARILLON_API_KEY"))
//	msg, err := c.Send(ctx, client.SendParams{To: "+31612345678", From: "whatsapp", Type: "text", Content: client.Content{Text: "Hello"}})
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/carillon/carillon/wire"
)

// Client calls one carillon server with one API key.
type Client struct {
	baseURL string
	apiKey  string
	http    *http.Client
}

// New returns a client of the server at baseURL (without /v1).
func New(baseURL, apiKey string) *Client {
	return &Client{baseURL: strings.TrimRight(baseURL, "/"), apiKey: apiKey, http: &http.Client{Timeout: 30 * time.Second}}
}

// WithHTTPClient returns a copy of c that uses hc.
func (c *Client) WithHTTPClient(hc *http.Client) *Client {
	cp := *c
	cp.http = hc
	return &cp
}

// Error is an error answer of the API: its HTTP status and its error
// object (code, message, field). An answer that is not the API's error
// object (a proxy's page) has the code http_error and its body as message.
type Error struct {
	StatusCode int
	wire.ErrorDetail
	// RetryAfter is the wait the server asked for, on 429.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	s := fmt.Sprintf("carillon: %d %s: %s", e.StatusCode, e.Code, e.Message)
	if e.Field != "" {
		s += " (field " + e.Field + ")"
	}
	return s
}

// Do calls method path (relative to the base URL, e.g. /v1/messages/send)
// with body encoded as JSON (none when nil), decodes the answer into out
// (skipped when nil), and returns the raw answer.
func (c *Client) Do(ctx context.Context, method, path string, body any, out any, header http.Header) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.baseURL+path, rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("Authorization", "Bearer "+c.apiKey)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode >= 300 {
		var eb wire.ErrorAnswer
		if json.Unmarshal(raw, &eb) != nil || eb.Error.Code == "" {
			eb.Error = wire.ErrorDetail{Code: "http_error", Message: strings.TrimSpace(string(raw))}
		}
		e := &Error{StatusCode: resp.StatusCode, ErrorDetail: eb.Error}
		if s := resp.Header.Get("Retry-After"); s != "" {
			var secs int
			if _, err := fmt.Sscan(s, &secs); err == nil {
				e.RetryAfter = time.Duration(secs) * time.Second
			}
		}
		return raw, e
	}
	if out != nil && len(raw) > 0 {
		if err := json.Unmarshal(raw, out); err != nil {
			return raw, fmt.Errorf("carillon: cannot decode the answer: %w", err)
		}
	}
	return raw, nil
}

// Content is what a message carries: text, or a media URL and its caption.
type Content struct {
	Text string `json:"text,omitempty"`
	URL  string `json:"url,omitempty"`
}

// SendParams are the parameters of POST /v1/messages/send.
type SendParams struct {
	To             string            `json:"to,omitempty"`
	BSUID          string            `json:"bsuid,omitempty"`
	From           string            `json:"from"`
	ChannelUUID    string            `json:"channel_uuid,omitempty"`
	Type           string            `json:"type"`
	Content        Content           `json:"content"`
	TemplateUUID   string            `json:"template_uuid,omitempty"`
	TemplateValues []string          `json:"template_values,omitempty"`
	OptinContact   bool              `json:"optin_contact,omitempty"`
	AssignedUser   string            `json:"assigned_user,omitempty"`
	TeamUUID       string            `json:"team_uuid,omitempty"`
	Fields         string            `json:"fields,omitempty"`
	BotStatus      string            `json:"bot_status,omitempty"`
	Metadata       map[string]string `json:"metadata,omitempty"`
	// IdempotencyKey, when set, is sent as the Idempotency-Key header: a
	// retry with the same key and parameters sends nothing twice.
	IdempotencyKey string `json:"-"`
}

// MessageStatus is what send and status answer about a message; a send
// shows the contact and the conversation when its fields asked for them.
type MessageStatus = wire.MessageSendRequest

type messageEnvelope struct {
	Message MessageStatus `json:"message"`
}

// Send sends a message (POST /v1/messages/send).
func (c *Client) Send(ctx context.Context, p SendParams) (MessageStatus, error) {
	var out messageEnvelope
	var h http.Header
	if p.IdempotencyKey != "" {
		h = http.Header{"Idempotency-Key": {p.IdempotencyKey}}
	}
	_, err := c.Do(ctx, http.MethodPost, "/v1/messages/send", p, &out, h)
	return out.Message, err
}

// Status reads a message's status (GET /v1/messages/status/:uuid).
func (c *Client) Status(ctx context.Context, uuid string) (MessageStatus, error) {
	var out messageEnvelope
	_, err := c.Do(ctx, http.MethodGet, "/v1/messages/status/"+url.PathEscape(uuid), nil, &out, nil)
	return out.Message, err
}

// DeleteMessage removes a message's content (DELETE /v1/messages/:uuid).
func (c *Client) DeleteMessage(ctx context.Context, uuid string) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/messages/"+url.PathEscape(uuid), nil, nil, nil)
	return err
}

// Me describes the API key in use (GET /v1/auth/me).
type Me = wire.Me

// Me reads what the API key acts for.
func (c *Client) Me(ctx context.Context) (Me, error) {
	var out Me
	_, err := c.Do(ctx, http.MethodGet, "/v1/auth/me", nil, &out, nil)
	return out, err
}

// SandboxInboundParams simulate a customer's message on a sandbox channel.
type SandboxInboundParams struct {
	From        string `json:"from"`
	Text        string `json:"text"`
	ChannelUUID string `json:"channel_uuid,omitempty"`
}

// SandboxMessage is the customer's message a sandbox inbound stored.
type SandboxMessage = wire.SandboxMessage

// SandboxInbound simulates a customer's message (POST /v1/sandbox/inbound).
func (c *Client) SandboxInbound(ctx context.Context, p SandboxInboundParams) (SandboxMessage, error) {
	var out struct {
		Message SandboxMessage `json:"message"`
	}
	_, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/inbound", p, &out, nil)
	return out.Message, err
}
