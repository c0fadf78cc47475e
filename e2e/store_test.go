package e2e

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver, "pgx"
)

// postgresURLEnv names the PostgreSQL database that the tests may use, e.g.
// postgres://postgres@127.0.0.1:5432/test?sslmode=disable. Each test works
// in a schema of its own, dropped when it ends.
const postgresURLEnv = "CARILLON_TEST_DATABASE_URL"

// testSecretKey is the --secret-key of every server on PostgreSQL: instances
// sharing a database must share it.
var testSecretKey = base64.StdEncoding.EncodeToString([]byte("carillon-e2e-fixed-secret-key-32"))

// The stores a server can run on.
const (
	storeSQLite   = "sqlite"
	storePostgres = "postgres"
)

// postgresURL returns the test database's URL, or skips the test when
// none is set.
func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(postgresURLEnv)
	if u == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL test (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", postgresURLEnv)
	}
	return u
}

// eachStore runs test as the parallel subtests "sqlite" and "postgres"; the
// second is skipped when no PostgreSQL database is set.
func eachStore(t *testing.T, test func(t *testing.T, kind string)) {
	for _, kind := range []string{storeSQLite, storePostgres} {
		t.Run(kind, func(t *testing.T) {
			if kind == storePostgres {
				postgresURL(t)
			}
			t.Parallel()
			test(t, kind)
		})
	}
}

// startServerOn is startServer on the given store: SQLite in a fresh data
// folder, or a fresh PostgreSQL schema.
func startServerOn(t testing.TB, kind string, extraArgs ...string) *server {
	t.Helper()
	if kind == storeSQLite {
		return startServer(t, extraArgs...)
	}
	pg := newPostgresSchema(t) // first, so that it is dropped after the server stops
	s := newServer(t, t.TempDir(), extraArgs...)
	s.pg = pg
	s.start(true)
	return s
}

// pgSchema is a PostgreSQL schema made for one test.
type pgSchema struct {
	name string
	url  string  // the test database's URL with search_path=name added
	db   *sql.DB // a connection pool working in the schema
}

// postgresTests bounds the tests that use PostgreSQL at once. Each server
// on it may open up to 32 connections, and the database takes 100 or so
// in all: more tests than that at once, among the many that run in
// parallel, would be refused connections ("too many clients").
var postgresTests = make(chan struct{}, 2)

// newPostgresSchema creates a fresh schema e2e_<random hex> in the test
// database, dropped (with everything in it) when the test ends. Create it
// before the servers that use it, so that they stop before it is dropped.
// It waits while postgresTests other tests hold a schema.
func newPostgresSchema(t testing.TB) *pgSchema {
	t.Helper()
	base := postgresURL(t)
	postgresTests <- struct{}{}
	t.Cleanup(func() { <-postgresTests }) // after the schema is dropped
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("%s must be a postgres:// URL, got %q (%v)", postgresURLEnv, base, err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	name := "e2e_" + hex.EncodeToString(b[:])
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+name); err != nil {
		admin.Close()
		t.Fatalf("creating the schema %s in %s: %v", name, postgresURLEnv, err)
	}
	q := u.Query()
	q.Set("search_path", name) // pgx sends unknown parameters as runtime settings
	u.RawQuery = q.Encode()
	s := &pgSchema{name: name, url: u.String()}
	s.db, err = sql.Open("pgx", s.url)
	if err != nil {
		t.Fatal(err)
	}
	s.db.SetMaxOpenConns(4)
	t.Cleanup(func() {
		s.db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("dropping the schema %s: %v", name, err)
		}
		admin.Close()
	})
	return s
}

// openStore opens the server's store, to read it from the test: the
// SQLite database of a stopped server, or the PostgreSQL schema (running
// servers or not). The tests write their queries once, with $1, $2 …
// placeholders, which both drivers read (SQLite takes $N as the N-th
// argument): the store's rewriting of ? (store/dialect.go) has no copy
// here.
func (s *server) openStore(t testing.TB) *sql.DB {
	t.Helper()
	if s.pg != nil {
		return s.pg.db
	}
	return openDB(t, s.dbPath())
}
