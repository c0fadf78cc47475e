package store

import (
	"context"
	"time"

	"github.com/carillon/carillon"
)

// The figures of an account at a glance: counts and the latest of
// something, read for the console's home page.

// CountMessagesByStatus names every status, so that both databases read
// the index messages_log_status (account_id, status, created_at, id) one
// range (account, status, since on) per status: the day's messages and
// no more. Without the list, SQLite (which has no statistics) takes that
// index for its grouping and walks every message of the account; the
// index messages_log (account_id, created_at, id) would give the range
// but not the status, one read of the table per message.
func (q *queries) CountMessagesByStatus(ctx context.Context, accountID int64, since time.Time) (map[carillon.Status]int, error) {
	args := []any{accountID}
	for _, s := range carillon.Statuses {
		args = append(args, string(s))
	}
	rows, err := q.query(ctx, "SELECT status, COUNT(*) FROM messages WHERE account_id = ? AND status IN ("+
		placeholders(len(carillon.Statuses))+") AND created_at >= ? GROUP BY status", append(args, ms(since))...)
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
	if err := q.writeHeldEvents(ctx); err != nil {
		return 0, err
	}
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM webhook_events WHERE webhook_id = ? AND state = ?",
		webhookID, string(carillon.EventPending)).Scan(&n)
	return n, err
}

// LastWebhookDelivery reads the top of the index webhook_events_attempted
// (webhook_id, last_attempt_at, id) of the attempted events (migration
// 0011): an event attempted has its time (last_attempt_at > 0, written as
// the index's condition is, so that both databases see that it holds).
func (q *queries) LastWebhookDelivery(ctx context.Context, webhookID int64) (carillon.WebhookEvent, error) {
	if err := q.writeHeldEvents(ctx); err != nil {
		return carillon.WebhookEvent{}, err
	}
	return scanWebhookEvent(q.queryRow(ctx, "SELECT "+webhookEventCols+" FROM "+pageWithBodies("SELECT e.* FROM webhook_events e"+
		" WHERE e.webhook_id = ? AND e.last_attempt_at > 0 ORDER BY e.last_attempt_at DESC, e.id DESC LIMIT 1"), webhookID))
}

// ContactByConversation seeks the index of conversation uuids
// (contacts_conversation, migration 0010).
func (q *queries) ContactByConversation(ctx context.Context, accountID int64, conversationUUID string) (carillon.Contact, error) {
	if conversationUUID == "" {
		return carillon.Contact{}, carillon.ErrNotFound
	}
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND conversation_uuid = ?", accountID, conversationUUID))
}
