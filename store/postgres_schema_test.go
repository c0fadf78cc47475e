package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"
)

// postgresURLEnv names the PostgreSQL database the tests may use; each store
// they open lives in a schema of its own, dropped afterwards.
const postgresURLEnv = "CARILLON_TEST_DATABASE_URL"

// PostgresTestURL is the database the tests may use; it skips the test
// when none is named.
func PostgresTestURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(postgresURLEnv)
	if u == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", postgresURLEnv)
	}
	return u
}

// PostgresTestSchema creates a fresh schema, dropped when the test ends, and
// returns its name, the URL of a connection that works in it, and a plain
// connection to the database.
func PostgresTestSchema(t testing.TB) (name, schemaURL string, raw *sql.DB) {
	t.Helper()
	base := PostgresTestURL(t)
	raw, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(2)
	var b [8]byte
	_, _ = rand.Read(b[:])
	name = "s_" + hex.EncodeToString(b[:])
	if _, err := raw.ExecContext(context.Background(), "CREATE SCHEMA "+name); err != nil {
		raw.Close()
		t.Fatalf("creating schema %s: %v", name, err)
	}
	t.Cleanup(func() {
		if _, err := raw.ExecContext(context.Background(), "DROP SCHEMA "+name+" CASCADE"); err != nil {
			t.Errorf("dropping schema %s: %v", name, err)
		}
		raw.Close()
	})
	if strings.Contains(base, "://") {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatalf("%s: %v", postgresURLEnv, err)
		}
		q := u.Query()
		q.Set("search_path", name)
		u.RawQuery = q.Encode()
		return name, u.String(), raw
	}
	return name, base + " search_path=" + name, raw // keyword=value form
}
