package store

import (
	"context"
	"errors"
	"sync"
	"testing"

	"github.com/carillon/carillon"
)

// TestQueuedWrites: a write queued to go with the transaction's next
// statement or its commit (execLater; run at once on SQLite) is seen by
// what the transaction reads after it, and one that fails fails the
// transaction, which then leaves nothing behind; the store's connections
// all work afterwards.
func TestQueuedWrites(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := testNow
		account := func(name string) *carillon.Account {
			return &carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: now}
		}

		// Seen by the next read of the transaction, and committed.
		err := db.InTx(ctx, func(cq carillon.Queries) error {
			q := cq.(*queries)
			if err := q.execLater(ctx, "INSERT INTO search_words (word) VALUES (?)", "queued"); err != nil {
				return err
			}
			var n int
			if err := q.queryRow(ctx, "SELECT COUNT(*) FROM search_words WHERE word = ?", "queued").Scan(&n); err != nil {
				return err
			}
			if n != 1 {
				t.Errorf("the transaction reads %d rows of the write it queued, want 1", n)
			}
			return q.execLater(ctx, "INSERT INTO search_words (word) VALUES (?)", "at commit")
		})
		must(t, err)
		var n int
		must(t, db.queryRow(ctx, "SELECT COUNT(*) FROM search_words WHERE word IN (?, ?)", "queued", "at commit").Scan(&n))
		if n != 2 {
			t.Errorf("%d of the 2 queued writes committed", n)
		}

		// A queued write that fails, last before the commit or before
		// a read: the transaction fails and leaves nothing.
		for _, then := range []string{"commit", "read"} {
			err = db.InTx(ctx, func(cq carillon.Queries) error {
				q := cq.(*queries)
				if err := q.CreateAccount(ctx, account("gone "+then)); err != nil {
					return err
				}
				if err := q.execLater(ctx, "INSERT INTO no_such_table (x) VALUES (?)", 1); err != nil {
					return err
				}
				if then == "read" {
					_, err := q.AccountByName(ctx, "gone "+then)
					return err
				}
				return nil
			})
			if err == nil {
				t.Errorf("then %s: InTx with a failing queued write succeeded", then)
			}
			if _, err := db.AccountByName(ctx, "gone "+then); !errors.Is(err, carillon.ErrNotFound) {
				t.Errorf("then %s: the failed transaction's account: %v, want ErrNotFound", then, err)
			}
		}

		// Every connection works: one after the other (the pool's
		// newest first), then more at once than the pool holds.
		for i := range 3 {
			must(t, db.InTx(ctx, func(q carillon.Queries) error { return q.CreateAccount(ctx, account("after "+string(rune('a'+i)))) }))
		}
		var wg sync.WaitGroup
		errs := make(chan error, 40)
		for i := range 40 {
			wg.Go(func() {
				errs <- db.InTx(ctx, func(q carillon.Queries) error {
					return q.CreateAccount(ctx, account("together "+string(rune('A'+i))))
				})
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Errorf("a transaction after the failed ones: %v", err)
			}
		}
		accounts, err := db.ListAccounts(ctx)
		must(t, err)
		if len(accounts) != 43 {
			t.Errorf("%d accounts, want 43", len(accounts))
		}
	})
}
