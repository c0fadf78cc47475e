package store_test

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig/seed"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/store/storetest"
)

// testKey is the secret key the tests seal channel settings with.
var testKey = bytes.Repeat([]byte{0x5a}, secretbox.KeySize)

func testSealer(t testing.TB, key []byte) *secretbox.Box {
	t.Helper()
	box, err := secretbox.New(key)
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// openSQLite opens the store in dir, closed when the test ends. A new
// folder starts from seed's migrated copy: the tests of the migrations
// open theirs with store.OpenSQLite.
func openSQLite(t testing.TB, dir string) *store.DB {
	t.Helper()
	seed.SQLite(t, dir)
	db, err := store.OpenSQLite(context.Background(), dir, testSealer(t, testKey))
	if err != nil {
		t.Fatalf("OpenSQLite: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

// rawSQLite opens the store's database file directly.
func rawSQLite(t testing.TB, dir string) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.SQLiteFile)+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { raw.Close() })
	return raw
}

func TestSQLite(t *testing.T) {
	t.Parallel()
	storetest.Run(t, func(t *testing.T) carillon.Store { return openSQLite(t, t.TempDir()) })
}

func TestSQLiteShared(t *testing.T) {
	t.Parallel()
	db := openSQLite(t, t.TempDir())
	if db.Shared() {
		t.Error("a SQLite store says it may be shared between instances")
	}
	if w, err := db.SettingWarnings(t.Context()); err != nil || len(w) != 0 {
		t.Errorf("SettingWarnings on SQLite = %q, %v; want none", w, err)
	}
}

// migrationRows returns schema_migrations as version → applied_at, failing
// when a version was recorded twice.
func migrationRows(t testing.TB, db *sql.DB, table string) map[int64]int64 {
	t.Helper()
	rows, err := db.Query("SELECT version, applied_at FROM " + table + " ORDER BY version")
	if err != nil {
		t.Fatalf("reading %s: %v", table, err)
	}
	defer rows.Close()
	out := map[int64]int64{}
	for rows.Next() {
		var v, at int64
		if err := rows.Scan(&v, &at); err != nil {
			t.Fatal(err)
		}
		if _, dup := out[v]; dup {
			t.Errorf("%s holds version %d twice", table, v)
		}
		out[v] = at
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatalf("%s is empty", table)
	}
	return out
}

func TestSQLiteReopen(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dir := t.TempDir()
	db, err := store.OpenSQLite(ctx, dir, testSealer(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	a := carillon.Account{UUID: carillon.NewUUID(), Name: "kept", CreatedAt: carillon.UnixMilli(1700000000123)}
	if err := db.CreateAccount(ctx, &a); err != nil {
		t.Fatal(err)
	}
	ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: a.ID, Title: "c", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Settings: map[string]string{"token": "t"}, CreatedAt: a.CreatedAt, UpdatedAt: a.CreatedAt}
	if err := db.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	before := migrationRows(t, rawSQLite(t, dir), "schema_migrations")

	for range 2 {
		db := openSQLite(t, dir)
		if err := db.Ready(ctx); err != nil {
			t.Fatalf("Ready after reopening: %v", err)
		}
		got, err := db.AccountByName(ctx, "kept")
		if err != nil {
			t.Fatalf("AccountByName after reopening: %v", err)
		}
		if got != a {
			t.Errorf("account after reopening: %+v, want %+v", got, a)
		}
		gotCh, err := db.ChannelByUUID(ctx, a.ID, ch.UUID)
		if err != nil {
			t.Fatalf("ChannelByUUID after reopening: %v", err)
		}
		if gotCh.Setting("token", "") != "t" {
			t.Errorf("channel settings after reopening: %v", gotCh.Settings)
		}
		after := migrationRows(t, rawSQLite(t, dir), "schema_migrations")
		if len(after) != len(before) {
			t.Fatalf("reopening changed schema_migrations: %v, was %v", after, before)
		}
		for v, at := range before {
			if after[v] != at {
				t.Errorf("reopening applied migration %d again (applied_at %d, was %d)", v, after[v], at)
			}
		}
	}
}

func TestSQLiteConcurrentOpen(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 4
	dbs := openConcurrently(t, n, "OpenSQLite of a fresh folder", func() (*store.DB, error) {
		return store.OpenSQLite(context.Background(), dir, testSealer(t, testKey))
	})
	ctx := t.Context()
	for i, db := range dbs {
		a := carillon.Account{UUID: carillon.NewUUID(), Name: carillon.NewUUID()}
		if err := db.CreateAccount(ctx, &a); err != nil {
			t.Errorf("CreateAccount through store #%d: %v", i, err)
		}
	}
	accts, err := dbs[0].ListAccounts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(accts) != n {
		t.Errorf("%d accounts written through %d stores, want %d", len(accts), n, n)
	}
	migrationRows(t, rawSQLite(t, dir), "schema_migrations")
}

// openConcurrently opens n stores at once with open, as n instances
// starting together do, and checks that each opened and is ready.
func openConcurrently(t *testing.T, n int, what string, open func() (*store.DB, error)) []*store.DB {
	t.Helper()
	dbs := make([]*store.DB, n)
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			dbs[i], errs[i] = open()
		})
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("%s #%d: %v", what, i, err)
			continue
		}
		t.Cleanup(func() { dbs[i].Close() })
	}
	if t.Failed() {
		t.FailNow()
	}
	for i, db := range dbs {
		if err := db.Ready(t.Context()); err != nil {
			t.Errorf("Ready #%d: %v", i, err)
		}
	}
	return dbs
}

// TestSQLiteReadyBehind checks that Ready fails when the schema lacks the
// newest migration, and once the store is closed.
func TestSQLiteReadyBehind(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db, err := store.OpenSQLite(t.Context(), dir, testSealer(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkReadyBehind(t, db, rawSQLite(t, dir), "schema_migrations")
}

// TestSQLiteSettingsSealed checks that channel settings are encrypted at
// rest, and cannot be read back with another key.
func TestSQLiteSettingsSealed(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := openSQLite(t, dir)
	raw := rawSQLite(t, dir)
	id := checkSettingsSealed(t, db, func(id int64) string {
		var s string
		if err := raw.QueryRow("SELECT settings FROM channels WHERE id = ?", id).Scan(&s); err != nil {
			t.Fatalf("reading the settings column: %v", err)
		}
		return s
	})

	other, err := store.OpenSQLite(t.Context(), dir, testSealer(t, bytes.Repeat([]byte{1}, secretbox.KeySize)))
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	if ch, err := other.ChannelByID(t.Context(), id); err == nil {
		t.Errorf("channel read with the wrong key: %+v", ch)
	}
}

// TestSQLiteFileGone checks that a database file removed or replaced under
// the open store is noticed: Ready fails, and writes (in a transaction and
// on their own) are refused with carillon.ErrStoreUnavailable, also the one
// whose commit went to the file that is gone, and from then on every one.
func TestSQLiteFileGone(t *testing.T) {
	t.Parallel()
	files := func(dir string) []string {
		f := filepath.Join(dir, store.SQLiteFile)
		return []string{f, f + "-wal", f + "-shm"}
	}
	remove := func(t *testing.T, dir string) {
		for _, f := range files(dir) {
			if err := os.Remove(f); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	tests := []struct {
		name string // also what the error says
		gone func(t *testing.T, dir string)
	}{
		{"removed", remove},
		{"removed (an empty file has its name now)", func(t *testing.T, dir string) {
			// What SQLite does when a new connection opens the name.
			remove(t, dir)
			if err := os.WriteFile(files(dir)[0], nil, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"replaced", func(t *testing.T, dir string) {
			f := files(dir)[0]
			if err := os.WriteFile(f+".new", []byte("another file"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(f+".new", f); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			dir := t.TempDir()
			db := openSQLite(t, dir)
			write := func(name string) error {
				return db.InTx(ctx, func(q carillon.Queries) error {
					return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: time.Now()})
				})
			}
			if err := db.Ready(ctx); err != nil {
				t.Fatalf("Ready before: %v", err)
			}
			if err := write("before"); err != nil {
				t.Fatalf("a write before: %v", err)
			}
			tt.gone(t, dir)
			if err := write("after"); !errors.Is(err, carillon.ErrStoreUnavailable) {
				t.Errorf("the first write after: %v, want ErrStoreUnavailable", err)
			}
			if err := write("later"); !errors.Is(err, carillon.ErrStoreUnavailable) {
				t.Errorf("a later write: %v, want ErrStoreUnavailable", err)
			}
			if err := db.TouchAPIKey(ctx, 1, time.Now()); !errors.Is(err, carillon.ErrStoreUnavailable) {
				t.Errorf("a write outside a transaction: %v, want ErrStoreUnavailable", err)
			}
			err := db.Ready(ctx)
			if !errors.Is(err, carillon.ErrStoreUnavailable) || !strings.Contains(err.Error(), store.SQLiteFile) || !strings.Contains(err.Error(), tt.name) {
				t.Errorf("Ready after: %v, want ErrStoreUnavailable naming the file and that it was %s", err, tt.name)
			}
		})
	}
}
