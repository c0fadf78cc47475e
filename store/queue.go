package store

import (
	"context"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// The send pipeline's bookkeeping: queued messages (a message row is its own
// send job) and the server instances that own them.

func (q *queries) QueuedMessages(ctx context.Context, owner string, afterID int64, limit int) ([]carillon.Message, error) {
	return list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM messages WHERE "+queuedOfOwner+" AND id > ? ORDER BY id LIMIT ?",
		owner, afterID, limit)
}

// queuedOfOwner selects the queued messages of an owner, through the index
// messages_queued_owner (migration 0025).
const queuedOfOwner = "send_state = 'queued' AND owner = ?"

// earlierQueued is a column: 1 when a message to the same recipient
// accepted before the message read is queued, through the index
// messages_queued_recipient (0019), else 0.
const earlierQueued = `, CASE WHEN EXISTS (SELECT 1 FROM messages e WHERE e.send_state = 'queued'
	AND e.contact_id = messages.contact_id AND e.channel_id = messages.channel_id AND e.id < messages.id) THEN 1 ELSE 0 END`

func (q *queries) CountQueued(ctx context.Context) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM messages WHERE send_state = 'queued'").Scan(&n)
	return n, err
}

func (q *queries) RegisterInstance(ctx context.Context, id string, t time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO instances (id, started_at, heartbeat_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, id, ms(t), ms(t))
	return err
}

func (q *queries) StaleInstances(ctx context.Context, before time.Time) ([]string, error) {
	return list(q, ctx, scanText, "SELECT id FROM instances WHERE heartbeat_at < ? ORDER BY id", ms(before))
}

func (q *queries) AdoptMessages(ctx context.Context, from, to string) (int64, error) {
	res, err := q.exec(ctx, "UPDATE messages SET owner = ? WHERE "+queuedOfOwner, to, from)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q *queries) DeleteInstance(ctx context.Context, id string) error {
	_, err := q.exec(ctx, "DELETE FROM instances WHERE id = ?", id)
	return err
}

func (q *queries) CountInstances(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM instances WHERE heartbeat_at >= ?", ms(since)).Scan(&n)
	return n, err
}

// maxCheckedAtOnce is the most messages one statement of CheckQueued
// reads: each count of messages is a statement text of its own, prepared
// and kept (SQLite) or cached by pgx, so their number stays bounded.
const maxCheckedAtOnce = 64

// CheckQueued reads the version and owner of each message alone, in one
// statement, and the whole row only when the version moved since the
// pipeline's copy: the send pipeline looks at each message before each
// attempt, and reading every column cost about a fifth more (0.70 s
// against 0.58 s in profiles of the lifecycle benchmark).
func (q *queries) CheckQueued(ctx context.Context, ms []carillon.Message, earlier bool) ([]carillon.QueueCheck, error) {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	type stored struct {
		version int64
		owner   string
		earlier bool
	}
	// A message is found by its id and account: the same id asked for
	// in another account is not it, and is gone.
	type messageOf struct{ id, account int64 }
	found := make(map[messageOf]stored, len(ms))
	err := inLists(ctx, q, ids, maxCheckedAtOnce, checkQueuedQuery(earlier), func(r interface{ Scan(...any) error }) error {
		var id messageOf
		var s stored
		var e int
		dest := []any{&id.id, &id.account, &s.version, &s.owner}
		if earlier {
			dest = append(dest, &e)
		}
		if err := r.Scan(dest...); err != nil {
			return err
		}
		s.earlier = e == 1
		found[id] = s
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]carillon.QueueCheck, len(ms))
	for i, m := range ms {
		s, ok := found[messageOf{m.ID, m.AccountID}]
		switch {
		case !ok:
			out[i].Gone = true
			continue
		case s.version != m.Version:
			cur, err := q.MessageByID(ctx, m.AccountID, m.ID)
			if errors.Is(err, carillon.ErrNotFound) {
				// Deleted since the statement above read it.
				out[i].Gone = true
				continue
			}
			if err != nil {
				return nil, err
			}
			m = cur
		default:
			m.Owner = s.owner
		}
		out[i].Message, out[i].Earlier = m, s.earlier
	}
	return out, nil
}

// checkQueuedQuery is CheckQueued's statement, the ids an IN list (%s,
// inLists). "id IN (…)" is a condition on the primary key's index on both
// databases; ORDER BY id makes that index PostgreSQL's choice also on a
// small table, where it took messages_contact (whose last column is the
// id) as readily, and would keep that plan as the table grew (a VALUES
// list joined to messages walked a whole index there). The account is
// checked on the rows.
func checkQueuedQuery(earlier bool) string {
	more := ""
	if earlier {
		more = earlierQueued
	}
	return "SELECT id, account_id, version, owner" + more + " FROM messages WHERE id IN (%s) ORDER BY id"
}
