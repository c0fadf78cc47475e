// Package testrig builds the setup that carillon's tests share: a secret
// box, a store (SQLite in a temporary folder, or a PostgreSQL schema of its
// own), a service over it with the default account, and the API served on
// a loopback port. Everything it makes is closed when the test ends.
//
// Only tests import it (internal/archtest holds that line): it trades
// safety for brevity, with fixed keys and failures reported through
// testing.TB.
package testrig

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/http/httptest"
	"net/url"
	"os"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/httpapi"
	"github.com/carillon/carillon/internal/testrig/seed"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// DatabaseURLEnv names the environment variable that points the tests at
// a PostgreSQL database; without it, only SQLite is tested.
const DatabaseURLEnv = "CARILLON_TEST_DATABASE_URL"

// SecretBox returns a secret box whose 32-byte key is seed repeated: two
// boxes made with the same seed open each other's secrets.
func SecretBox(t testing.TB, seed byte) *secretbox.Box {
	t.Helper()
	box, err := secretbox.New(bytes.Repeat([]byte{seed}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	return box
}

// SQLite opens a store in a new temporary folder, sealed with the box of
// seed 1, and closes it when the test ends.
func SQLite(t testing.TB) *store.DB {
	t.Helper()
	return SQLiteIn(t, t.TempDir())
}

// SQLiteIn opens the store in dir (a restart when dir was used before),
// sealed with the box of seed 1, and closes it when the test ends.
func SQLiteIn(t testing.TB, dir string) *store.DB {
	t.Helper()
	seed.SQLite(t, dir)
	db, err := store.OpenSQLite(context.Background(), dir, SecretBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Postgres opens a store in a schema of its own of the database that
// CARILLON_TEST_DATABASE_URL names, dropped when the test ends, so that
// tests running at the same time do not see each other's rows. It skips
// the test when the variable is not set.
func Postgres(t testing.TB) *store.DB {
	t.Helper()
	base := os.Getenv(DatabaseURLEnv)
	if base == "" {
		t.Skip(DatabaseURLEnv + " is not set")
	}
	// The driver "pgx" is the one store registers for PostgreSQL.
	raw, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	schema := "s_" + hex.EncodeToString(b[:])
	if _, err := raw.Exec("CREATE SCHEMA " + schema); err != nil {
		raw.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = raw.Exec("DROP SCHEMA " + schema + " CASCADE")
		raw.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	db, err := store.OpenPostgres(context.Background(), u.String(), SecretBox(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// EachStore runs fn as a subtest on SQLite, and on PostgreSQL too when
// CARILLON_TEST_DATABASE_URL is set; open makes a new, empty store of the
// subtest's kind each time it is called.
func EachStore(t *testing.T, fn func(t *testing.T, open func() *store.DB)) {
	t.Run("sqlite", func(t *testing.T) { fn(t, func() *store.DB { return SQLite(t) }) })
	if os.Getenv(DatabaseURLEnv) != "" {
		t.Run("postgres", func(t *testing.T) { fn(t, func() *store.DB { return Postgres(t) }) })
	}
}

// Service returns a service built with o, closed when the test ends. An
// unset Store is a new SQLite store, an unset InstanceID "test" and an
// unset PublicURL http://carillon.test.
func Service(t testing.TB, o service.Options) *service.Service {
	t.Helper()
	if o.Store == nil {
		o.Store = SQLite(t)
	}
	if o.InstanceID == "" {
		o.InstanceID = "test"
	}
	if o.PublicURL == "" {
		o.PublicURL = "http://carillon.test"
	}
	if o.People.PasswordHashing == (service.PasswordHashing{}) {
		// Tests make many users; hashing each at the real cost (19 MiB)
		// took most of the console tests' time. What is tested is the
		// hash's form and use, which hold at any cost.
		o.People.PasswordHashing = service.PasswordHashing{MemoryKiB: 64, Passes: 1}
	}
	svc := service.New(o)
	t.Cleanup(svc.Close)
	return svc
}

// Account is the default account that SetupAccount made, with its first
// API key and the principal that key authenticates as.
type Account struct {
	carillon.Account
	Key       string
	Principal service.Principal
}

// DefaultAccount sets up the default account of svc with its first API
// key, as the first start of a server does.
func DefaultAccount(t testing.TB, svc *service.Service) Account {
	t.Helper()
	ctx := context.Background()
	acct, created, key, err := svc.Accounts.SetupAccount(ctx, carillon.DefaultAccountName, true)
	if err != nil || !created || key == "" {
		t.Fatalf("SetupAccount: created %v, key %q, %v", created, key, err)
	}
	p, err := svc.Accounts.Authenticate(ctx, key)
	if err != nil {
		t.Fatal(err)
	}
	return Account{Account: acct, Key: key, Principal: p}
}

// APIOptions are the options of the API of svc, each feature the API
// serves taken from it, as the server wires them.
func APIOptions(svc *service.Service) httpapi.Options {
	return httpapi.Options{Messages: svc.Messages, Callbacks: svc.Messages, MediaFiles: svc.Messages,
		Contacts: svc.Contacts, Resources: svc.Resources, Webhooks: svc.Webhooks, Accounts: svc.Accounts,
		Readiness: svc}
}

// API serves the API o configure on a loopback port until the test ends.
func API(t testing.TB, o httpapi.Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(httpapi.New(o))
	t.Cleanup(srv.Close)
	return srv
}
