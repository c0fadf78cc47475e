package store

import (
	"context"
	"time"

	"github.com/carillon/carillon"
)

// The figures of an account at a glance: counts and the latest of
// something, read for the console's home page.

func (q *queries) CountMessagesByStatus(ctx context.Context, accountID int64, since time.Time) (map[carillon.Status]int, error) {
	rows, err := q.query(ctx, "SELECT status, COUNT(*) FROM messages WHERE account_id = ? AND created_at >= ? GROUP BY status",
		accountID, ms(since))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[carillon.Status]int{}
	for rows.Next() {
		var status string
		var n int
		if err := rows.Scan(&status, &n); err != nil {
			return nil, err
		}
		out[carillon.Status(status)] = n
	}
	return out, rows.Err()
}

func (q *queries) CountWebhookBacklog(ctx context.Context, webhookID int64) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM webhook_events WHERE webhook_id = ? AND state = ?",
		webhookID, string(carillon.EventPending)).Scan(&n)
	return n, err
}

func (q *queries) LastWebhookDelivery(ctx context.Context, webhookID int64) (carillon.WebhookEvent, error) {
	return scanWebhookEvent(q.queryRow(ctx, "SELECT "+webhookEventCols+" FROM "+webhookEventsWithBodies+
		" WHERE e.webhook_id = ? AND e.attempts > 0 ORDER BY e.last_attempt_at DESC, e.id DESC LIMIT 1", webhookID))
}

// ContactByConversation seeks the index of conversation uuids
// (contacts_conversation, migration 0010).
func (q *queries) ContactByConversation(ctx context.Context, accountID int64, conversationUUID string) (carillon.Contact, error) {
	if conversationUUID == "" {
		return carillon.Contact{}, carillon.ErrNotFound
	}
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND conversation_uuid = ?", accountID, conversationUUID))
}
