package carillon

import (
	"context"
	"encoding/json"
	"net/netip"
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

// EventWebhookTest names the test events an admin sends from the console:
// no change makes one and no webhook subscribes to it, but each is
// recorded, signed, delivered and logged like any event.
const EventWebhookTest = "webhook_test"

// WebhookEventNames lists the event names, in the order of the wire contract.
var WebhookEventNames = []string{
	EventMessageCreated, EventMessageStatusUpdated,
	EventContactCreated, EventContactUpdated, EventContactDeleted,
	EventConversationOpened, EventConversationClosed,
	EventAgentStatusUpdated, EventAgentSessionUpdated, EventTeamMembershipUpdated,
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

// WebhookAttempt is one delivery attempt of an event, kept in the delivery
// log as long as its event: what was sent (the event's body, with these
// headers) and what came back.
type WebhookAttempt struct {
	ID      int64
	EventID int64
	// Number counts the attempts of the event from 1.
	Number int
	At     time.Time
	// Duration is how long the request took, its answer read.
	Duration time.Duration
	// RequestHeaders are the headers sent, the signatures included: they
	// are not secrets (the secret that makes them is).
	RequestHeaders map[string]string
	// Response is the answer; zero Code when no HTTP answer came.
	Response WebhookResponse
	// Success is true for a 2xx answer read within the timeout.
	Success bool
	// Error says why the attempt got no answer, or why its answer was
	// not read whole; "" when it was.
	Error string
}

// WebhookLogFilter selects a page of the console's delivery log: every
// event of the webhook, attempted or not, by id, newest first unless
// OldestFirst.
type WebhookLogFilter struct {
	// Events, when not empty, keeps those event names only.
	Events []string
	// State, when set, keeps the events in that state.
	State WebhookEventState
	// Success, when set, keeps the attempted events whose latest attempt
	// did (or did not) get a 2xx.
	Success *bool
	// From and To, when set, keep the events created at or after From
	// and before To.
	From, To time.Time
	// Before, when not 0, keeps the events of a smaller id.
	Before int64
	// After, when not 0, keeps the events of a larger id.
	After int64
	// OldestFirst lists by id ascending (a walk through the log with
	// After as the cursor).
	OldestFirst bool
	// Limit bounds the events returned.
	Limit int
}

// WebhookEventFilter selects entries of the delivery log.
type WebhookEventFilter struct {
	// Success, when set, keeps the entries whose latest attempt did (or
	// did not) get a 2xx.
	Success *bool
	// Events, when not empty, keeps those event names only.
	Events []string
}

// WebhookQueries keep the accounts' webhooks and their events, the
// delivery log included.
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
	// MarkWebhookSuccess moves the webhook's LastSuccessAt forward to t.
	MarkWebhookSuccess(ctx context.Context, id int64, t time.Time) error
	// DisableWebhook disables the webhook provided its last success is
	// before quietSince, and reports whether it did.
	DisableWebhook(ctx context.Context, id int64, quietSince, t time.Time) (bool, error)
	// MarkWebhookChecked sets LastCheckAt to t provided it is still prev,
	// and reports whether it did: one instance checks at a time.
	MarkWebhookChecked(ctx context.Context, id int64, prev, t time.Time) (bool, error)

	// AddWebhookEvent writes e as it is, at once, and sets its ID.
	AddWebhookEvent(ctx context.Context, e *WebhookEvent) error
	// QueueWebhookEvent records e, a new pending event, due at
	// e.NextAttemptAt unless an earlier event of its webhook and subject
	// is pending (committed, or queued before it in the same
	// transaction): then it waits (NextAttemptAt zero) until the delivery
	// of that one releases it (ReleaseWebhookEvents). In a transaction,
	// the events queued are written together just before it commits, and
	// e's ID and NextAttemptAt are set then: they are known once the
	// transaction commits, not before.
	QueueWebhookEvent(ctx context.Context, e *WebhookEvent) error
	// PendingWebhookEvent reports whether the webhook has a pending event
	// of the subject.
	PendingWebhookEvent(ctx context.Context, webhookID int64, subject string) (bool, error)
	// ReleaseOrphanWebhookEvents makes due at t the waiting events that no
	// longer have an earlier pending event of their subject, and returns
	// how many.
	ReleaseOrphanWebhookEvents(ctx context.Context, webhookID int64, t time.Time) (int64, error)
	// ClaimWebhookEvents takes up to limit pending events of the webhook due
	// at now, oldest due first, and moves their next attempt to leaseUntil
	// so that no other instance takes them meanwhile.
	ClaimWebhookEvents(ctx context.Context, webhookID int64, now, leaseUntil time.Time, limit int) ([]WebhookEvent, error)
	// UnclaimWebhookEvents makes due at t the claimed events not attempted,
	// those still under the lease their claim gave them (their
	// NextAttemptAt): an instance that stops gives back what it claimed
	// ahead rather than leaving it leased.
	UnclaimWebhookEvents(ctx context.Context, events []WebhookEvent, t time.Time) error
	// LockWebhookEvents locks, until the transaction ends, those of the
	// events ids that no other transaction holds, and returns the ids of
	// the others, which it skips rather than waits for (ids of events that
	// do not exist are in neither). A transaction that records attempts
	// takes its events so: it then never waits for one recording new
	// events of the same subjects, which holds their oldest pending events
	// (PendingWebhookEvent, QueueWebhookEvent), and the two cannot
	// deadlock. On SQLite, whose
	// writer runs one transaction at a time, no event is ever held.
	LockWebhookEvents(ctx context.Context, ids []int64) (held []int64, err error)
	// UpdateWebhookEvents writes the delivery state of several events, in
	// few statements: deliveries are recorded by the batch. An event
	// delivered already stays delivered (a redelivery and a retry may
	// race).
	UpdateWebhookEvents(ctx context.Context, events []WebhookEvent) error
	// ReleaseWebhookEvents makes the oldest pending event of each subject
	// due at t when it waits behind another.
	ReleaseWebhookEvents(ctx context.Context, webhookID int64, subjects []string, t time.Time) error
	WebhookEventByUUID(ctx context.Context, accountID int64, uuid string) (WebhookEvent, error)
	// ListWebhookEvents lists the attempted events of the webhook, newest
	// first, and counts all that match.
	ListWebhookEvents(ctx context.Context, webhookID int64, f WebhookEventFilter, page Page) ([]WebhookEvent, int, error)
	// CountPendingWebhookEvents counts the events not yet delivered nor given up.
	CountPendingWebhookEvents(ctx context.Context) (int64, error)
	// DeleteWebhookEventsBefore deletes a few hundred of the delivered and
	// given-up events created before before, of any webhook, with their
	// attempts, in a transaction, and returns how many: 0 when none is
	// left. Pending events stay.
	DeleteWebhookEventsBefore(ctx context.Context, before time.Time) (int64, error)

	// AddWebhookAttempts records attempts of events, in few statements:
	// attempts are recorded by the batch, with their events' new state.
	AddWebhookAttempts(ctx context.Context, attempts []WebhookAttempt) error
	// WebhookAttempts lists the attempts of an event, oldest first. They
	// are deleted with their event.
	WebhookAttempts(ctx context.Context, eventID int64) ([]WebhookAttempt, error)
	// WebhookEventLog lists the webhook's events that f selects, up to
	// f.Limit.
	WebhookEventLog(ctx context.Context, webhookID int64, f WebhookLogFilter) ([]WebhookEvent, error)
}

// PublicAddress reports whether a webhook may be delivered to ip: not a
// loopback, private, link-local (the cloud metadata address 169.254.169.254
// included), unspecified, multicast or otherwise reserved address, unless
// the operator allows private targets.
func PublicAddress(ip netip.Addr) bool {
	ip = ip.Unmap()
	if !ip.IsValid() || ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() {
		return false
	}
	for _, p := range refusedPrefixes {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

// refusedPrefixes are the ranges that are not private by net/netip's rules
// but still reach no public server: carrier-grade NAT, "this network", the
// IETF protocol assignments, benchmarking, documentation, NAT64 and the
// reserved block.
var refusedPrefixes = func() []netip.Prefix {
	var out []netip.Prefix
	for _, s := range []string{"0.0.0.0/8", "100.64.0.0/10", "192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15",
		"198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "64:ff9b::/96", "64:ff9b:1::/48", "2001:db8::/32", "fec0::/10"} {
		out = append(out, netip.MustParsePrefix(s))
	}
	return out
}()
