package store_test

import (
	"context"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/store/storetest"
)

// postgresURL and postgresSchema are the package's own test helpers
// (postgres_schema_test.go), shared with its internal tests.
var (
	postgresURL    = store.PostgresTestURL
	postgresSchema = store.PostgresTestSchema
)

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

// serve logs the warnings; a server with autovacuum off (some test servers)
// gets one that names it, and one with it on gets none.
func TestPostgresSettingWarnings(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	_, u, raw := postgresSchema(t)
	db := openPostgres(t, u)
	var autovacuum string
	if err := raw.QueryRow("SHOW autovacuum").Scan(&autovacuum); err != nil {
		t.Fatal(err)
	}
	warnings, err := db.SettingWarnings(t.Context())
	if err != nil {
		t.Fatalf("SettingWarnings: %v", err)
	}
	named := len(warnings) == 1 && strings.Contains(warnings[0], "autovacuum is off")
	if autovacuum == "off" && !named || autovacuum == "on" && len(warnings) != 0 {
		t.Errorf("autovacuum %s: warnings %q", autovacuum, warnings)
	}
}
