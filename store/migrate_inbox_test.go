package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
)

// TestInboxMigration fills a store migrated up to the inbox's migration
// (0014) with contacts and messages, then applies it: each contact's last
// message, in or out, by creation time then id, is written on its row;
// contacts with no message but notes keep none. On SQLite, and on
// PostgreSQL when CARILLON_TEST_DATABASE_URL names a database.
func TestInboxMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		checkInboxMigration(t, conn, d)
	})
}

// eachDialect runs check on a connection to an empty database of each
// dialect: SQLite in a temporary folder, and PostgreSQL in a schema of its
// own when CARILLON_TEST_DATABASE_URL names a database.
func eachDialect(t *testing.T, check func(t *testing.T, conn *sql.Conn, d *dialect)) {
	for _, d := range []*dialect{sqliteDialect, postgresDialect} {
		t.Run(d.name, func(t *testing.T) {
			t.Parallel()
			driver, u := "sqlite", "file:"+filepath.Join(t.TempDir(), "migrate.db")+"?_pragma=busy_timeout(10000)"
			if d == postgresDialect {
				_, u, _ = PostgresTestSchema(t)
				driver = "pgx"
			}
			db, err := sql.Open(driver, u)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { db.Close() })
			conn, err := db.Conn(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { conn.Close() })
			if _, err := conn.ExecContext(context.Background(), "CREATE TABLE schema_migrations (version BIGINT NOT NULL PRIMARY KEY, applied_at BIGINT NOT NULL)"); err != nil {
				t.Fatal(err)
			}
			check(t, conn, d)
		})
	}
}

// applyMigrations applies the dialect's migrations below version when
// before is set, the others when it is not.
func applyMigrations(t *testing.T, conn *sql.Conn, d *dialect, version int, before bool) {
	t.Helper()
	all, err := migrations(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range all {
		if (m.version < version) == before {
			if err := applyMigration(context.Background(), conn, d, m); err != nil {
				t.Fatalf("%s: %v", m.name, err)
			}
		}
	}
}

func checkInboxMigration(t *testing.T, conn *sql.Conn, d *dialect) {
	ctx := context.Background()
	apply := func(before bool) { applyMigrations(t, conn, d, 14, before) }
	apply(true)
	exec := migrationExec(t, conn, d)
	for id := 1; id <= 4; id++ {
		exec("INSERT INTO contacts (id, uuid, account_id, channel_id, created_at, updated_at, conversation_uuid) VALUES (?, ?, 1, 1, 0, 0, ?)",
			id, "contact"+string(rune('0'+id)), "conversation"+string(rune('0'+id)))
	}
	message := func(id, contact int, dir string, created int64) {
		exec("INSERT INTO messages (id, uuid, account_id, channel_id, contact_id, direction, type, content, status, created_at, updated_at) "+
			"VALUES (?, ?, 1, 1, ?, ?, 'text', '{}', 'sent', ?, ?)", id, "message"+string(rune('a'+id)), contact, dir, created, created)
	}
	message(1, 1, "in", 1000)
	message(2, 1, "out", 3000)
	message(3, 1, "note", 5000) // a note is never the last message
	message(4, 1, "in", 2000)   // stored later, written earlier
	message(5, 2, "in", 4000)
	message(6, 2, "out", 4000) // the same time, stored later
	message(7, 3, "note", 1000)
	// contact 4 has no message
	apply(false)

	want := map[int64]struct {
		at  int64
		dir string
	}{1: {3000, "out"}, 2: {4000, "out"}, 3: {0, ""}, 4: {0, ""}}
	rows, err := conn.QueryContext(ctx, "SELECT id, last_message_at, last_message_direction FROM contacts ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id, at int64
		var dir string
		if err := rows.Scan(&id, &at, &dir); err != nil {
			t.Fatal(err)
		}
		n++
		if w := want[id]; at != w.at || dir != w.dir {
			t.Errorf("contact %d: last message at %d %q, want %d %q", id, at, dir, w.at, w.dir)
		}
	}
	if err := rows.Err(); err != nil || n != len(want) {
		t.Fatalf("%d contacts read (%v), want %d", n, err, len(want))
	}
}
