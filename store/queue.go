package store

import (
	"context"
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

// QueuedMessageAndEarlier is QueuedMessage and, in the same statement (one
// round trip before each attempt), whether an earlier message to its
// recipient is queued: an index of the queued messages by recipient
// answers that on PostgreSQL (migration 0019), the only store that asks.
func (q *queries) QueuedMessageAndEarlier(ctx context.Context, m carillon.Message) (carillon.Message, bool, error) {
	var earlier int
	cur, err := q.queuedMessage(ctx, m, earlierQueued, &earlier)
	return cur, earlier == 1, err
}

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

// QueuedMessage reads the message's version and owner alone when it can:
// the send pipeline looks at each message before each attempt, and reading
// every column cost about a fifth more (0.70 s against 0.58 s in profiles
// of the lifecycle benchmark). Most of either is the statement itself, on
// a reader whose page cache the writer's last commit emptied.
func (q *queries) QueuedMessage(ctx context.Context, m carillon.Message) (carillon.Message, error) {
	return q.queuedMessage(ctx, m, "")
}

// queuedMessage reads m's version and owner, and the columns more (an
// expression each, with a leading comma) into dest, and the whole row only
// when the version moved since m was read.
func (q *queries) queuedMessage(ctx context.Context, m carillon.Message, more string, dest ...any) (carillon.Message, error) {
	var version int64
	var owner string
	err := q.queryRow(ctx, "SELECT version, owner"+more+" FROM messages WHERE "+messageByID, m.ID, m.AccountID).Scan(append([]any{&version, &owner}, dest...)...)
	if err != nil {
		return carillon.Message{}, err
	}
	if version != m.Version {
		return q.MessageByID(ctx, m.AccountID, m.ID)
	}
	m.Owner = owner
	return m, nil
}
