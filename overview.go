package carillon

import (
	"context"
	"time"
)

// OverviewQueries are the console's reads that no aggregate's lists answer:
// the figures of an account at a glance (the home page), counts and the
// latest of something, never whole lists; and a contact found by its
// conversation.
type OverviewQueries interface {
	// CountMessagesByStatus counts the account's messages created at or
	// after since, by status; a status with no message is absent.
	CountMessagesByStatus(ctx context.Context, accountID int64, since time.Time) (map[Status]int, error)
	// CountWebhookBacklog counts the webhook's pending events.
	CountWebhookBacklog(ctx context.Context, webhookID int64) (int, error)
	// LastWebhookDelivery is the webhook's event attempted last (its latest
	// attempt's answer with it); ErrNotFound when none was attempted.
	LastWebhookDelivery(ctx context.Context, webhookID int64) (WebhookEvent, error)
	// ContactByConversation finds the account's contact whose conversation
	// has that uuid (the console's /chat/{uuid}); ErrNotFound when none.
	ContactByConversation(ctx context.Context, accountID int64, conversationUUID string) (Contact, error)
}
