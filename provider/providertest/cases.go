package providertest

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/carillon/carillon"
)

// Subject plugs a provider into the case runners.
type Subject struct {
	// New builds the provider under test with the harness's loopback-only
	// client and capturing logger. Required.
	New func(client *http.Client, logger *slog.Logger) carillon.Provider
	// Info is the provider's description of itself: the values of the
	// settings it marks secret must never be logged nor appear in an error
	// string. Required.
	Info carillon.ProviderInfo
	// Channel is the channel every case starts from; a case's "channel"
	// overrides its id, uuid and account_id when set, and its settings key
	// by key.
	Channel carillon.Channel
	// Sign authenticates a callback the way the provider's network does
	// (WhatsApp's X-Hub-Signature-256, Telegram's secret token header). It
	// is called for inbound cases with "sign": true, after the body and
	// headers are set.
	Sign func(ch carillon.Channel, cb *carillon.Callback)
	// Calls are operations other than Send that outbound cases may name in
	// "call" (fetching media or templates, registering a webhook). The
	// value a call returns is compared, as JSON, with "expect.output".
	Calls map[string]Call
	// Secrets are extra secret values that must never be logged nor appear
	// in an error string, besides the channel's secret settings (Info).
	Secrets []string
}

// Call runs one provider operation for an outbound case; args is the case's
// "args", as written.
type Call func(ctx CallContext, args json.RawMessage) (any, error)

// CallContext is what a Call needs: the provider and the case's channel.
type CallContext struct {
	Context  context.Context
	Provider carillon.Provider
	Channel  carillon.Channel
}

// ChannelJSON is a case's channel: zero fields keep the Subject's.
type ChannelJSON struct {
	ID        int64             `json:"id,omitempty"`
	UUID      string            `json:"uuid,omitempty"`
	AccountID int64             `json:"account_id,omitempty"`
	Settings  map[string]string `json:"settings,omitempty"`
}

// OutboundCase is one file of testdata/outbound/. Strings of "channel",
// "message" and "answers" may hold {{base_url}}, replaced by the URL of the
// scripted server; the channel's base_url setting is that URL unless the
// case sets another.
type OutboundCase struct {
	Description string      `json:"description"`
	Channel     ChannelJSON `json:"channel"`
	// Call names an operation of Subject.Calls; empty means Send.
	Call string          `json:"call,omitempty"`
	Args json.RawMessage `json:"args,omitempty"`
	// For Send:
	Message  MessageJSON   `json:"message"`
	To       string        `json:"to,omitempty"`
	BSUID    string        `json:"bsuid,omitempty"`
	Template *TemplateJSON `json:"template,omitempty"`
	Attempt  int           `json:"attempt,omitempty"` // default 1
	// Answers are what the scripted server answers, one per request, in
	// order; a request beyond them gets a 599 and fails the case.
	Answers []Answer       `json:"answers"`
	Expect  OutboundExpect `json:"expect"`
}

// MessageJSON is the message to send.
type MessageJSON struct {
	UUID           string           `json:"uuid,omitempty"`
	Type           string           `json:"type,omitempty"`
	Content        carillon.Content `json:"content"`
	TemplateValues []string         `json:"template_values,omitempty"`
}

// TemplateJSON is the template an outbound message was made from.
type TemplateJSON struct {
	Title      string `json:"title"`
	Language   string `json:"language,omitempty"`
	Type       string `json:"type,omitempty"`
	Text       string `json:"text,omitempty"`
	Category   string `json:"category,omitempty"`
	ExternalID string `json:"external_id,omitempty"`
	// Buttons are written as the domain's TemplateButton.
	Buttons []carillon.TemplateButton `json:"buttons,omitempty"`
}

// Answer is one scripted HTTP answer.
type Answer struct {
	Status  int               `json:"status,omitempty"` // default 200
	Headers map[string]string `json:"headers,omitempty"`
	// Body is written as JSON; BodyRaw as it is (when Body is absent).
	Body    json.RawMessage `json:"body,omitempty"`
	BodyRaw string          `json:"body_raw,omitempty"`
	// NetworkError closes the connection without answering.
	NetworkError bool `json:"network_error,omitempty"`
}

// OutboundExpect is what an outbound case must produce.
type OutboundExpect struct {
	// Requests are the requests the provider must have made, all of them,
	// in order.
	Requests []RequestJSON `json:"requests"`
	// Result is Send's result; Output a Call's value; Error the error
	// either returned. Exactly one is expected.
	Result *ResultJSON      `json:"result,omitempty"`
	Output json.RawMessage  `json:"output,omitempty"`
	Error  *SendErrorExpect `json:"error,omitempty"`
}

// RequestJSON is an expected request.
type RequestJSON struct {
	Method string `json:"method"`
	Path   string `json:"path"`
	// Query, when present, is the whole query string, one value a key.
	Query map[string]string `json:"query,omitempty"`
	// Headers are compared one by one; "" means the header must be absent.
	Headers map[string]string `json:"headers,omitempty"`
	// Body is compared as JSON (semantically); BodyRaw exactly. Neither:
	// the body is not checked.
	Body    json.RawMessage `json:"body,omitempty"`
	BodyRaw *string         `json:"body_raw,omitempty"`
}

// ResultJSON is an expected SendResult. Payload is compared as JSON when
// present.
type ResultJSON struct {
	ExternalID string          `json:"external_id"`
	Address    string          `json:"address"`
	Payload    json.RawMessage `json:"payload,omitempty"`
}

// SendErrorExpect is an expected error. When Code is set (or Permanent is
// true) the error must be a *carillon.SendError and Permanent, Code, Scope
// and RetryAfter are all compared, Title and Payload when present;
// otherwise only Contains is checked against the error string.
type SendErrorExpect struct {
	Permanent bool   `json:"permanent"`
	Code      string `json:"code,omitempty"`
	Title     string `json:"title,omitempty"`
	// Scope is "recipient" (the default) or "channel".
	Scope string `json:"scope,omitempty"`
	// RetryAfter is a Go duration ("30s"); empty means none.
	RetryAfter string          `json:"retry_after,omitempty"`
	Payload    json.RawMessage `json:"payload,omitempty"`
	Contains   string          `json:"contains,omitempty"`
}

// InboundCase is one file of testdata/inbound/.
type InboundCase struct {
	Description string        `json:"description"`
	Channel     ChannelJSON   `json:"channel"`
	Callback    CallbackJSON  `json:"callback"`
	Expect      InboundExpect `json:"expect"`
}

// CallbackJSON is the callback request.
type CallbackJSON struct {
	Method  string            `json:"method"` // default POST
	Query   map[string]string `json:"query,omitempty"`
	Headers map[string]string `json:"headers,omitempty"`
	// Body is sent as its JSON text, byte for byte as written in the file;
	// BodyRaw as it is (when Body is absent).
	Body    json.RawMessage `json:"body,omitempty"`
	BodyRaw string          `json:"body_raw,omitempty"`
	// Sign has Subject.Sign authenticate the request.
	Sign bool `json:"sign,omitempty"`
}

// InboundExpect is what ParseCallback must produce: an error with Error's
// status, or a Reply, or Messages, Receipts, Ignored and ChannelAddress (always compared;
// absent means none).
type InboundExpect struct {
	Error    *CallbackErrorExpect `json:"error,omitempty"`
	Reply    *ReplyJSON           `json:"reply,omitempty"`
	Messages []InboundMessageJSON `json:"messages,omitempty"`
	Receipts []ReceiptJSON        `json:"receipts,omitempty"`
	// Deletions are the customer's messages the callback says they
	// deleted.
	Deletions []DeletionJSON `json:"deletions,omitempty"`
	Ignored   int            `json:"ignored,omitempty"`
	// ChannelAddress is the channel's own address the callback names
	// (CallbackResult.ChannelAddress).
	ChannelAddress string `json:"channel_address,omitempty"`
}

// CallbackErrorExpect is an expected *carillon.CallbackError.
type CallbackErrorExpect struct {
	Status int `json:"status"`
	// ReasonContains, when set, must appear in the reason.
	ReasonContains string `json:"reason_contains,omitempty"`
}

// ReplyJSON is an expected CallbackReply.
type ReplyJSON struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

// InboundMessageJSON is an InboundMessage as the files write it. ChannelID
// is not written: the runner checks that it is the channel's id.
type InboundMessageJSON struct {
	From        string                     `json:"from,omitempty"`
	BSUID       string                     `json:"bsuid,omitempty"`
	ProfileName string                     `json:"profile_name,omitempty"`
	ExternalID  string                     `json:"external_id,omitempty"`
	Type        string                     `json:"type,omitempty"`
	Content     *carillon.Content          `json:"content,omitempty"`
	Media       *MediaJSON                 `json:"media,omitempty"`
	Details     map[string]json.RawMessage `json:"details,omitempty"`
	// At is RFC 3339 in UTC, e.g. "2025-01-02T03:04:05Z".
	At string `json:"at,omitempty"`
	// Echo and EchoOf: a message the business sent, reported back.
	Echo   bool   `json:"echo,omitempty"`
	EchoOf string `json:"echo_of,omitempty"`
}

// MediaJSON is an InboundMedia as the files write it.
type MediaJSON struct {
	ID       string `json:"id,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	Filename string `json:"filename,omitempty"`
	SHA256   string `json:"sha256,omitempty"`
	URL      string `json:"url,omitempty"`
}

// ReceiptJSON is a Receipt as the files write it (ChannelID checked by the
// runner, as for messages).
type ReceiptJSON struct {
	ExternalID  string          `json:"external_id,omitempty"`
	MessageUUID string          `json:"message_uuid,omitempty"`
	Status      carillon.Status `json:"status,omitempty"`
	Payload     json.RawMessage `json:"payload,omitempty"`
	Code        string          `json:"code,omitempty"`
	Reason      string          `json:"reason,omitempty"`
	Corrected   string          `json:"corrected_address,omitempty"`
	At          string          `json:"at,omitempty"`
	// Recipient, Through (RFC 3339) and AndEarlier: a receipt that covers
	// several messages.
	Recipient  string `json:"recipient,omitempty"`
	Through    string `json:"through,omitempty"`
	AndEarlier bool   `json:"and_earlier,omitempty"`
}

// DeletionJSON is a Deletion as the files write it (ChannelID checked by
// the runner).
type DeletionJSON struct {
	ExternalID string `json:"external_id"`
	From       string `json:"from"`
	At         string `json:"at,omitempty"`
}

// InboundBodies returns the request bodies of the inbound cases in dir, as
// seeds for fuzzing a provider's callback parser.
func InboundBodies(f *testing.F, dir string) [][]byte {
	f.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var c struct {
			Callback struct {
				Body json.RawMessage `json:"body"`
			} `json:"callback"`
		}
		if json.Unmarshal(raw, &c) == nil && len(c.Callback.Body) > 0 {
			out = append(out, []byte(c.Callback.Body))
		}
	}
	return out
}
