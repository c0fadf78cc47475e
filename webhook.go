package carillon

import (
	"context"
	"encoding/json"
	"time"
)

// The events an account's webhook may subscribe to.
const (
	EventMessageCreated        = "message_created"
	EventMessageStatusUpdated  = "message_status_updated"
	EventContactCreated        = "contact_created"
	EventContactUpdated        = "contact_updated"
	EventContactDeleted        = "contact_deleted"
	EventConversationOpened    = "conversation_opened"
	EventConversationClosed    = "conversation_closed"
	EventAgentStatusUpdated    = "agent_status_updated"
	EventAgentSessionUpdated   = "agent_session_updated"
	EventTeamMembershipUpdated = "team_membership_updated"
)

// WebhookEventNames lists the event names, in the order of the wire contract.
var WebhookEventNames = []string{
	EventMessageCreated, EventMessageStatusUpdated,
	EventContactCreated, EventContactUpdated, EventContactDeleted,
	EventConversationOpened, EventConversationClosed,
	EventAgentStatusUpdated, EventAgentSessionUpdated, EventTeamMembershipUpdated,
}

// ValidWebhookEvent reports whether name is one of the event names.
func ValidWebhookEvent(name string) bool {
	for _, n := range WebhookEventNames {
		if n == name {
			return true
		}
	}
	return false
}

// Webhook is an account's subscription to its events: at most one per
// account. Secret (and PreviousSecret during a rotation) sign deliveries;
// they are stored encrypted and leave the server only in the answer that
// made them.
type Webhook struct {
	ID            int64
	AccountID     int64
	URL           string
	Subscriptions []string
	Secret        string
	// PreviousSecret also signs deliveries until PreviousSecretUntil, so
	// that receivers can move to a rotated secret without losing events.
	PreviousSecret      string
	PreviousSecretUntil time.Time
	Enabled             bool
	// LastSuccessAt is when a delivery or health check last got a 2xx (or
	// when the webhook was last enabled): the health rules count from it.
	LastSuccessAt time.Time
	// LastCheckAt is when the last health check was sent.
	LastCheckAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// Subscribed reports whether the webhook wants the event.
func (w Webhook) Subscribed(event string) bool {
	for _, s := range w.Subscriptions {
		if s == event {
			return true
		}
	}
	return false
}

// WebhookEventState is where an event stands in its delivery.
type WebhookEventState string

// The states of an event.
const (
	// EventPending events wait for their next attempt; one whose
	// NextAttemptAt is zero waits behind an earlier event of its subject.
	EventPending   WebhookEventState = "pending"
	EventDelivered WebhookEventState = "delivered"
	// EventGivenUp events failed for the whole retry period; they stay in
	// the log and may be redelivered.
	EventGivenUp WebhookEventState = "given_up"
)

// WebhookEvent is one event to deliver to a webhook, and its delivery log
// entry.
type WebhookEvent struct {
	ID        int64
	UUID      string // the webhook-id header: the same on every attempt
	AccountID int64
	WebhookID int64
	Event     string
	// Subject names what the event is about (a contact, a user, a team):
	// events of one subject are delivered one at a time, in order.
	Subject string
	// Body is the exact request body, the same bytes on every attempt.
	Body          json.RawMessage
	State         WebhookEventState
	Attempts      int
	NextAttemptAt time.Time
	// FirstAttemptAt starts the retry period.
	FirstAttemptAt time.Time
	LastAttemptAt  time.Time
	// Success is true when the latest attempt got a 2xx.
	Success bool
	// Response is the latest attempt's answer; zero Code when no HTTP
	// answer came.
	Response  WebhookResponse
	CreatedAt time.Time
}

// WebhookResponse is what a receiver answered to a delivery attempt.
type WebhookResponse struct {
	Code    int
	Body    string
	Headers map[string]string
}

// WebhookEventFilter selects entries of the delivery log.
type WebhookEventFilter struct {
	// Success, when set, keeps the entries whose latest attempt did (or
	// did not) get a 2xx.
	Success *bool
	// Events, when not empty, keeps those event names only.
	Events []string
}

// WebhookQueries keep webhooks and their events.
type WebhookQueries interface {
	// WebhookByAccount returns the account's webhook.
	WebhookByAccount(ctx context.Context, accountID int64) (Webhook, error)
	// SaveWebhook creates the account's webhook, or replaces every field of
	// the one it has.
	SaveWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes the account's webhook and its events.
	DeleteWebhook(ctx context.Context, accountID int64) error
	// ListWebhooks lists every account's webhook.
	ListWebhooks(ctx context.Context) ([]Webhook, error)

	AddWebhookEvent(ctx context.Context, e *WebhookEvent) error
	// PendingWebhookEvent reports whether the webhook has a pending event
	// of the subject.
	PendingWebhookEvent(ctx context.Context, webhookID int64, subject string) (bool, error)
	// ReleaseWebhookEvent makes the oldest pending event of the subject due
	// at t when it waits behind another, and reports whether one did.
	ReleaseWebhookEvent(ctx context.Context, webhookID int64, subject string, t time.Time) (bool, error)
	// ReleaseOrphanWebhookEvents makes due at t the waiting events that no
	// longer have an earlier pending event of their subject, and returns
	// how many.
	ReleaseOrphanWebhookEvents(ctx context.Context, webhookID int64, t time.Time) (int64, error)
	// ClaimWebhookEvents takes up to limit pending events of the webhook due
	// at now, oldest due first, and moves their next attempt to leaseUntil
	// so that no other instance takes them meanwhile.
	ClaimWebhookEvents(ctx context.Context, webhookID int64, now, leaseUntil time.Time, limit int) ([]WebhookEvent, error)
	// UpdateWebhookEvent writes an event's delivery state.
	UpdateWebhookEvent(ctx context.Context, e *WebhookEvent) error
	WebhookEventByUUID(ctx context.Context, accountID int64, uuid string) (WebhookEvent, error)
	// ListWebhookEvents lists the attempted events of the webhook, newest
	// first, and counts all that match.
	ListWebhookEvents(ctx context.Context, webhookID int64, f WebhookEventFilter, offset, limit int) ([]WebhookEvent, int, error)
	// CountPendingWebhookEvents counts the events not yet delivered nor given up.
	CountPendingWebhookEvents(ctx context.Context) (int64, error)
}
