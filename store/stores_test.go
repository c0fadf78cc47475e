package store

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

func TestMain(m *testing.M) {
	// Blocks of 16 contact ids: the conformance suite's short lists of
	// contacts then span many blocks, and their pages past the first
	// block go through contactBlockAt. Every store here begins empty, so
	// no contact was counted in blocks of another size.
	contactBlockSize = 16
	// Chat changes pruned three at a time: the conformance suite's
	// prunes of a few changes then take several transactions.
	pruneChunk = 3
	// Idempotency records deleted two at a time, for the same reason.
	idempotencyChunk = 2
	// An unsubscription's finished events two at a time, for the same
	// reason.
	webhookDeleteChunk = 2
	// A contact's assignment rewrites its newest three messages itself,
	// so that the conformance suite's contacts of a few messages queue
	// the others.
	assigneeRewriteNow = 3
	os.Exit(m.Run())
}

// plainSealer keeps channel settings as they are: the package's own tests
// store none.
type plainSealer struct{}

func (plainSealer) Seal(b []byte) []byte          { return b }
func (plainSealer) Open(b []byte) ([]byte, error) { return b, nil }

// onBothStores runs test on a new store of each dialect, side by side.
func onBothStores(t *testing.T, test func(t *testing.T, db *DB)) {
	t.Parallel()
	for name, open := range bothStores {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			test(t, open(t))
		})
	}
}

// bothStores opens a new store of each dialect for the package's own
// tests; PostgreSQL's skips the test when no database is named
// (PostgresTestURL).
var bothStores = map[string]func(t *testing.T) *DB{
	"sqlite": newSQLiteStore,
	"postgres": func(t *testing.T) *DB {
		_, u, _ := PostgresTestSchema(t)
		db, err := OpenPostgres(context.Background(), u, plainSealer{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	},
}

// newSQLiteStore opens a new SQLite store in a folder of the test's own,
// closed at the test's end.
func newSQLiteStore(t *testing.T) *DB {
	t.Helper()
	db, err := OpenSQLite(context.Background(), t.TempDir(), plainSealer{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// testNow is the time the package's own tests write their rows at.
var testNow = time.UnixMilli(1700000000000)

// newAccountAndChannel creates an account with a main sandbox WhatsApp
// channel in db, for the package's own tests.
func newAccountAndChannel(t *testing.T, db *DB) (carillon.Account, carillon.Channel) {
	t.Helper()
	ctx := context.Background()
	acct := carillon.Account{UUID: carillon.NewUUID(), Name: "a", CreatedAt: testNow}
	must(t, db.CreateAccount(ctx, &acct))
	ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: "wa", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Main: true, CreatedAt: testNow, UpdatedAt: testNow}
	must(t, db.CreateChannel(ctx, &ch))
	return acct, ch
}
