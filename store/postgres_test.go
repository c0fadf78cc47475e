package store_test

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/store/storetest"
)

// postgresURLEnv names the PostgreSQL database the tests may use; each store
// they open lives in a schema of its own, dropped afterwards.
const postgresURLEnv = "CARILLON_TEST_DATABASE_URL"

func postgresURL(t testing.TB) string {
	t.Helper()
	u := os.Getenv(postgresURLEnv)
	if u == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL tests (set it to e.g. postgres://postgres@127.0.0.1:5432/test?sslmode=disable)", postgresURLEnv)
	}
	return u
}

// postgresSchema creates a fresh schema, dropped when the test ends, and
// returns its name, the URL of a connection that works in it, and a plain
// connection to the database.
func postgresSchema(t testing.TB) (name, schemaURL string, raw *sql.DB) {
	t.Helper()
	base := postgresURL(t)
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

func openPostgres(t testing.TB, u string) *store.DB {
	t.Helper()
	db, err := store.OpenPostgres(context.Background(), u, testSealer(t, testKey))
	if err != nil {
		t.Fatalf("OpenPostgres: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return db
}

func TestPostgres(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	storetest.Run(t, func(t *testing.T) carillon.Store {
		_, u, _ := postgresSchema(t)
		db := openPostgres(t, u)
		if !db.Shared() {
			t.Error("a PostgreSQL store says it may not be shared between instances")
		}
		return db
	})
}

func TestPostgresConcurrentOpen(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	name, u, raw := postgresSchema(t)
	openConcurrently(t, 4, "OpenPostgres of a fresh schema", func() (*store.DB, error) {
		return store.OpenPostgres(context.Background(), u, testSealer(t, testKey))
	})
	ctx := t.Context()
	migrationRows(t, raw, name+".schema_migrations")
	// The store was made in the schema, not elsewhere.
	var tables int
	if err := raw.QueryRowContext(ctx, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'messages'", name).Scan(&tables); err != nil {
		t.Fatal(err)
	}
	if tables != 1 {
		t.Errorf("schema %s holds %d messages tables, want 1", name, tables)
	}
}

func TestPostgresSettingsSealed(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	name, u, raw := postgresSchema(t)
	db := openPostgres(t, u)
	checkSettingsSealed(t, db, func(id int64) string {
		var s string
		if err := raw.QueryRow("SELECT settings FROM "+name+".channels WHERE id = $1", id).Scan(&s); err != nil {
			t.Fatalf("reading the settings column: %v", err)
		}
		return s
	})
}

func TestPostgresReadyBehind(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	name, u, raw := postgresSchema(t)
	db, err := store.OpenPostgres(t.Context(), u, testSealer(t, testKey))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkReadyBehind(t, db, raw, name+".schema_migrations")
}
