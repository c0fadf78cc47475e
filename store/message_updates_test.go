package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
)

// TestMessageUpdatesWriteTheirIndexes checks, in the program SQLite makes
// of each UPDATE of messageUpdates, which of the table's indexes it opens to
// write: those over the columns its SET names, changed or not. So a
// receipt, which changes the status alone, writes messages_log_status and
// no other index, and an update of every column writes them all.
func TestMessageUpdatesWriteTheirIndexes(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		if d != sqliteDialect {
			t.Skip("PostgreSQL writes index entries by the values that changed, not by the columns named")
		}
		applyMigrations(t, conn, d, 1<<30, true)
		checkMessageUpdates(t, conn)
	})
}

func checkMessageUpdates(t *testing.T, conn *sql.Conn) {
	ctx := context.Background()
	indexes := map[int64]string{} // by root page
	rows, err := conn.QueryContext(ctx, "SELECT rootpage, name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'messages'")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var root int64
		var name string
		if err := rows.Scan(&root, &name); err != nil {
			t.Fatal(err)
		}
		indexes[root] = name
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		what string
		set  messageGroup
		want []string
	}{
		{"a receipt", messageStatus, []string{"messages_log_status"}},
		{"a change of no indexed column", 0, nil},
		{"an attempt's outcome", messageStatus | messageExternal | messageQueue,
			[]string{"messages_external", "messages_log_status", "messages_queued_owner"}},
		{"a message adopted on the way", messageQueue, []string{"messages_queued_owner"}},
	} {
		query := messageUpdates[tc.set]
		rows, err := conn.QueryContext(ctx, "EXPLAIN "+sqliteDialect.bind(query), make([]any, strings.Count(query, "?"))...)
		if err != nil {
			t.Fatal(err)
		}
		var written []string
		for rows.Next() {
			var addr, p1, p2, p3, p5 int64
			var opcode, p4, comment sql.NullString
			if err := rows.Scan(&addr, &opcode, &p1, &p2, &p3, &p4, &p5, &comment); err != nil {
				t.Fatal(err)
			}
			if name, ok := indexes[p2]; ok && opcode.String == "OpenWrite" {
				written = append(written, name)
			}
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		slices.Sort(written)
		if !slices.Equal(written, tc.want) {
			t.Errorf("%s: the UPDATE writes the indexes %q, want %q", tc.what, written, tc.want)
		}
	}
}
