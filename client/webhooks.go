package client

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/carillon/carillon/wire"
)

// Webhook is the account's webhook. Secret, the signing secret (whsec_...),
// is set only in the answer that created the webhook and in that of a secret
// rotation.
type Webhook = wire.Webhook

// WebhookEvent is an entry of the webhook's delivery log: ID is the
// event's webhook-id, the same on every attempt, and Payload what the
// delivery's body carries under "payload". NextAttemptAt is zero once the
// event is delivered or given up.
type WebhookEvent = wire.WebhookEvent

// WebhookResponse is the latest attempt's answer: Code and Body are nil, and
// Headers too, when no HTTP answer came (a refused connection, a timeout).
type WebhookResponse = wire.WebhookResponse

// WebhookEventsParams select entries of the delivery log: Status success or
// failed (empty: both), Subscriptions event names (empty: all); zero Page
// and Items take the server's defaults (page 1, 25 items).
type WebhookEventsParams struct {
	Status        string
	Subscriptions []string
	Page          int
	Items         int
}

// WebhookEventList is a page of the delivery log.
type WebhookEventList struct {
	WebhookEvents []WebhookEvent `json:"webhook_events"`
	Meta          Meta           `json:"meta"`
}

type webhookEnvelope struct {
	Webhook Webhook `json:"webhook"`
}

type webhookEventEnvelope struct {
	WebhookEvent WebhookEvent `json:"webhook_event"`
}

// Subscribe creates the account's webhook, or replaces the one it has, to
// deliver the events named to webhookURL (POST /v1/webhooks/subscribe). The
// answer's Secret is set only when this call created the webhook.
func (c *Client) Subscribe(ctx context.Context, webhookURL string, events []string) (Webhook, error) {
	if events == nil {
		events = []string{}
	}
	body := struct {
		URL           string   `json:"url"`
		Subscriptions []string `json:"subscriptions"`
	}{webhookURL, events}
	var out webhookEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/webhooks/subscribe", body, &out, nil)
	return out.Webhook, err
}

// Unsubscribe deletes the account's webhook and its delivery log (DELETE
// /v1/webhooks/unsubscribe).
func (c *Client) Unsubscribe(ctx context.Context) error {
	_, err := c.Do(ctx, http.MethodDelete, "/v1/webhooks/unsubscribe", nil, nil, nil)
	return err
}

// RotateWebhookSecret gives the account's webhook a new signing secret, and
// answers it in Secret (POST /v1/webhooks/rotate_secret). For 24 hours,
// deliveries are signed with the old secret too.
func (c *Client) RotateWebhookSecret(ctx context.Context) (Webhook, error) {
	var out webhookEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/webhooks/rotate_secret", nil, &out, nil)
	return out.Webhook, err
}

// WebhookEvents lists the delivery log, newest first (GET
// /v1/webhooks/events).
func (c *Client) WebhookEvents(ctx context.Context, p WebhookEventsParams) (WebhookEventList, error) {
	v := ListParams{Page: p.Page, Items: p.Items}.values()
	if p.Status != "" {
		v.Set("status", p.Status)
	}
	if len(p.Subscriptions) > 0 {
		v.Set("subscriptions", strings.Join(p.Subscriptions, ","))
	}
	var out WebhookEventList
	_, err := c.Do(ctx, http.MethodGet, withQuery("/v1/webhooks/events", v), nil, &out, nil)
	return out, err
}

// RedeliverWebhookEvent attempts an event of the log again now, whatever its
// state, and answers it after the attempt (POST
// /v1/webhooks/events/:id/redeliver).
func (c *Client) RedeliverWebhookEvent(ctx context.Context, id string) (WebhookEvent, error) {
	var out webhookEventEnvelope
	_, err := c.Do(ctx, http.MethodPost, "/v1/webhooks/events/"+url.PathEscape(id)+"/redeliver", nil, &out, nil)
	return out.WebhookEvent, err
}
