package wire

import (
	"encoding/json"

	"github.com/carillon/carillon"
)

// Webhook is the account's webhook as the API shows it; Secret only in the
// answer that made it (subscribe creating it, or a rotation).
type Webhook struct {
	URL           string   `json:"url"`
	Subscriptions []string `json:"subscriptions"`
	Enabled       bool     `json:"enabled"`
	CreatedAt     Time     `json:"createdAt"`
	Secret        string   `json:"secret,omitempty"`
}

// FromWebhook converts a webhook; withSecret shows its secret.
func FromWebhook(w carillon.Webhook, withSecret bool) Webhook {
	out := Webhook{URL: w.URL, Subscriptions: w.Subscriptions, Enabled: w.Enabled, CreatedAt: Time(w.CreatedAt)}
	if out.Subscriptions == nil {
		out.Subscriptions = []string{}
	}
	if withSecret {
		out.Secret = w.Secret
	}
	return out
}

// WebhookEvent is an entry of the delivery log.
type WebhookEvent struct {
	ID            string          `json:"id"`
	Event         string          `json:"event"`
	Payload       json.RawMessage `json:"payload"`
	Response      WebhookResponse `json:"response"`
	Success       bool            `json:"success"`
	Attempts      int             `json:"attempts"`
	NextAttemptAt Time            `json:"nextAttemptAt"`
	CreatedAt     Time            `json:"createdAt"`
}

// WebhookResponse is the latest attempt's answer; each member is null when
// no HTTP answer came.
type WebhookResponse struct {
	Code    *int              `json:"code"`
	Body    *string           `json:"body"`
	Headers map[string]string `json:"headers"`
}

// FromWebhookEvent converts a log entry.
func FromWebhookEvent(e carillon.WebhookEvent) WebhookEvent {
	var body struct {
		Payload json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(e.Body, &body)
	if len(body.Payload) == 0 {
		body.Payload = json.RawMessage("null")
	}
	out := WebhookEvent{ID: e.UUID, Event: e.Event, Payload: body.Payload, Success: e.Success, Attempts: e.Attempts,
		CreatedAt: Time(e.CreatedAt)}
	if e.State == carillon.EventPending {
		out.NextAttemptAt = Time(e.NextAttemptAt)
	}
	if e.Response.Code != 0 {
		code, b := e.Response.Code, e.Response.Body
		out.Response = WebhookResponse{Code: &code, Body: &b, Headers: e.Response.Headers}
		if out.Response.Headers == nil {
			out.Response.Headers = map[string]string{}
		}
	}
	return out
}
