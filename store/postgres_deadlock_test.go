package store

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// TestPostgresDeadlockIsContention: a contact deleted while a receipt of
// two of its messages is applied, from another writer (the two units are
// keyed apart), locks its messages in the other order: the receipts hold
// the second message, the deletion takes the first and waits for the
// second, the receipts then wait for the first. PostgreSQL aborts one of
// the two; that one's error is carillon.ErrContention, which the service's
// committer runs again, and the other commits.
func TestPostgresDeadlockIsContention(t *testing.T) {
	PostgresTestURL(t)
	t.Parallel()
	name, u, raw := PostgresTestSchema(t)
	db, err := OpenPostgres(context.Background(), u, plainSealer{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	a, ch := newAccountAndChannel(t, db)
	c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Address: "31612345678",
		ConversationUUID: carillon.NewUUID(), CreatedAt: testNow, UpdatedAt: testNow}
	must(t, db.CreateContact(ctx, &c))
	var messages [2]carillon.Message
	for i := range messages {
		messages[i] = carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
			Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued, CreatedAt: testNow, UpdatedAt: testNow}
		must(t, db.CreateMessage(ctx, &messages[i]))
	}

	// waitingFor waits until a session waits for a lock that the session
	// pid holds: the deletion, blocked by the receipts' transaction.
	waitingFor := func(pid int) error {
		deadline := time.Now().Add(10 * time.Second)
		for time.Now().Before(deadline) {
			var n int
			err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))", pid).Scan(&n)
			if err != nil || n > 0 {
				return err
			}
			time.Sleep(10 * time.Millisecond)
		}
		return errors.New("the deletion never waited for the receipts' transaction")
	}

	deleted := make(chan error, 1)
	receipts := db.InTx(ctx, func(q carillon.Queries) error {
		second := messages[1]
		second.Status = carillon.StatusSent
		if err := q.UpdateMessage(ctx, &second); err != nil {
			return err
		}
		var pid int
		if err := q.(*queries).queryRow(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			return err
		}
		go func() { deleted <- db.DeleteContact(ctx, a.ID, c.ID) }()
		if err := waitingFor(pid); err != nil {
			return err
		}
		first := messages[0]
		first.Status = carillon.StatusSent
		return q.UpdateMessage(ctx, &first)
	})
	deletion := <-deleted
	t.Logf("schema %s: receipts: %v; deletion: %v", name, receipts, deletion)

	switch {
	case receipts == nil && deletion == nil:
		t.Fatal("both transactions committed: they did not wait on each other")
	case receipts != nil && deletion != nil:
		t.Fatalf("both transactions failed: receipts %v; deletion %v", receipts, deletion)
	}
	for what, err := range map[string]error{"receipts": receipts, "deletion": deletion} {
		if err != nil && !errors.Is(err, carillon.ErrContention) {
			t.Errorf("%s: the error %v is not carillon.ErrContention", what, err)
		}
	}
}
