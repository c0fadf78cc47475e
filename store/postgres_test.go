package store_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

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

// TestPostgresAnalyzeGrown: a table that changed at least a thousand rows,
// and more than it had when last analyzed, has its statistics gathered
// again (and then not again until it doubles); a table that changed less
// is left alone.
func TestPostgresAnalyzeGrown(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	name, u, raw := postgresSchema(t)
	db := openPostgres(t, u)
	ctx := t.Context()
	conn, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// change runs a statement, and has PostgreSQL count its changes at
	// once (an idle session would report them some seconds later), then
	// waits until they show.
	change := func(query, table string, want int64) {
		t.Helper()
		for _, q := range []string{query, "SELECT pg_stat_force_next_flush()"} {
			if _, err := conn.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
			var n int64
			if err := raw.QueryRowContext(ctx, "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2",
				name, table).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if n >= want {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: %d changes counted, want %d", table, n, want)
			}
		}
	}
	analyzed := func(table string) (analyzed bool) {
		t.Helper()
		if err := raw.QueryRowContext(ctx, "SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = $2",
			name, table).Scan(&analyzed); err != nil {
			t.Fatal(err)
		}
		return analyzed
	}
	change("INSERT INTO "+name+".accounts (uuid, name, created_at) SELECT 'a' || g, 'a' || g, 0 FROM generate_series(1, 10) g", "accounts", 10)
	change("INSERT INTO "+name+".instances (id, started_at, heartbeat_at) SELECT 'i' || g, 0, 0 FROM generate_series(1, 1500) g", "instances", 1500)
	tables, err := db.AnalyzeGrown(ctx)
	if err != nil {
		t.Fatalf("AnalyzeGrown: %v", err)
	}
	if !slices.Contains(tables, "instances") || slices.Contains(tables, "accounts") {
		t.Fatalf("analyzed %q, want instances (1,500 rows) and not accounts (10)", tables)
	}
	if !analyzed("instances") || analyzed("accounts") {
		t.Errorf("analyzed: instances %v, accounts %v", analyzed("instances"), analyzed("accounts"))
	}
	// Analyzed now: not again until it has changed as many rows as it
	// has, then again.
	change("DELETE FROM "+name+".instances WHERE id IN (SELECT id FROM "+name+".instances ORDER BY id LIMIT 1000)", "instances", 1000)
	if tables, err := db.AnalyzeGrown(ctx); err != nil || slices.Contains(tables, "instances") {
		t.Errorf("after 1,000 changes of its 1,500 rows: analyzed %q (%v), want not instances", tables, err)
	}
	change("INSERT INTO "+name+".instances (id, started_at, heartbeat_at) SELECT 'j' || g, 0, 0 FROM generate_series(1, 600) g", "instances", 1600)
	if tables, err := db.AnalyzeGrown(ctx); err != nil || !slices.Contains(tables, "instances") {
		t.Errorf("after 1,600 changes of its 1,500 rows: analyzed %q (%v), want instances", tables, err)
	}
}
