package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"

	"github.com/carillon/carillon"
)

// A message's status history (the message_statuses table) is written late.
//
// Why: the committer groups the requests of many clients into one
// transaction, and each receipt, send outcome or accepted message adds a
// history row. Written one INSERT at a time, they would be most of a busy
// transaction's statements; held until the transaction needs them, they go
// in a few multi-row INSERTs.
//
// The rule that makes it safe lives here, in one place: every statement on
// message_statuses is in this file, and each first writes the rows its
// transaction holds (writeHeldHistory), so that no read misses a row and no
// delete leaves one behind to land after its message is gone. The
// transaction writes what is still held before it commits (runTx). Outside
// a transaction nothing is held: the queries value is shared by every
// caller, and a row is written at once.

// heldHistory is the status history a transaction added and has not
// written yet, oldest first.
type heldHistory []carillon.StatusChange

// statusChangesPerInsert bounds one INSERT's rows (5 parameters each, far
// below both databases' parameter limits).
const statusChangesPerInsert = 200

// AddStatusChange records an entry of a message's status history: held
// inside a transaction, written at once outside one.
func (q *queries) AddStatusChange(ctx context.Context, c carillon.StatusChange) error {
	if q.tx != nil {
		q.heldHistory = append(q.heldHistory, c)
		return nil
	}
	return q.insertStatusChanges(ctx, []carillon.StatusChange{c})
}

// writeHeldHistory writes the status history the transaction holds. Every
// other statement on message_statuses calls it first.
func (q *queries) writeHeldHistory(ctx context.Context) error {
	if q.tx == nil {
		return nil // nothing is held, and q is shared: leave it untouched
	}
	held := q.heldHistory
	q.heldHistory = nil
	return q.insertStatusChanges(ctx, held)
}

func (q *queries) insertStatusChanges(ctx context.Context, changes []carillon.StatusChange) error {
	for len(changes) > 0 {
		n := min(len(changes), statusChangesPerInsert)
		var b strings.Builder
		b.WriteString("INSERT INTO message_statuses (message_id, status, payload, applied, created_at) VALUES ")
		args := make([]any, 0, 5*n)
		for i, c := range changes[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("(?, ?, ?, ?, ?)")
			args = append(args, c.MessageID, string(c.Status), nullJSON(c.Payload), boolInt(c.Applied), ms(c.CreatedAt))
		}
		if err := q.execLater(ctx, b.String(), args...); err != nil {
			return err
		}
		changes = changes[n:]
	}
	return nil
}

func (q *queries) StatusHistory(ctx context.Context, messageID int64) ([]carillon.StatusChange, error) {
	if err := q.writeHeldHistory(ctx); err != nil {
		return nil, err
	}
	return list(q, ctx, func(r interface{ Scan(...any) error }) (carillon.StatusChange, error) {
		var c carillon.StatusChange
		var status string
		var payload sql.NullString
		var applied, created int64
		err := r.Scan(&c.MessageID, &status, &payload, &applied, &created)
		c.Status, c.Applied, c.CreatedAt = carillon.Status(status), applied != 0, at(created)
		if payload.Valid {
			c.Payload = json.RawMessage(payload.String)
		}
		return c, err
	}, "SELECT message_id, status, payload, applied, created_at FROM message_statuses WHERE message_id = ? ORDER BY id", messageID)
}

// deleteContactStatusHistory deletes the history of every message of the
// contact, before the messages themselves go.
func (q *queries) deleteContactStatusHistory(ctx context.Context, contactID int64) error {
	if err := q.writeHeldHistory(ctx); err != nil {
		return err
	}
	_, err := q.exec(ctx, "DELETE FROM message_statuses WHERE message_id IN (SELECT id FROM messages WHERE contact_id = ?)", contactID)
	return err
}
