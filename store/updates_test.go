package store

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"testing"
)

// TestUpdatesWriteTheirIndexes checks, in the program SQLite makes of the
// UPDATEs of the hottest rows, which indexes each opens to write: those
// over the columns its SET names, changed or not, so each names only the
// groups of columns that changed (messageColumns, contactColumns). A
// receipt writes its message's messages_log_status alone; a send writes
// its contact's place in the inbox, not its unread count, which only the
// customer's messages move.
func TestUpdatesWriteTheirIndexes(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		if d != sqliteDialect {
			t.Skip("PostgreSQL writes index entries by the values that changed, not by the columns named")
		}
		applyMigrations(t, conn, d, 1<<30, true)
		inboxOrder := []string{"contacts_inbox_closed", "contacts_inbox_closed_assigned", "contacts_inbox_open",
			"contacts_inbox_open_assigned", "contacts_inbox_open_team"}
		for _, tc := range []struct {
			what, table, query string
			want               []string
		}{
			{"a receipt", "messages", messageUpdates[messageStatus], []string{"messages_log_status"}},
			{"a message's change of no indexed column", "messages", messageUpdates[0], nil},
			{"an attempt's outcome", "messages", messageUpdates[messageStatus|messageExternal|messageQueue],
				[]string{"messages_external", "messages_log_status", "messages_queued_owner"}},
			{"a message adopted on the way", "messages", messageUpdates[messageQueue], []string{"messages_queued_owner"}},
			{"a send to a contact", "contacts", contactUpdates[contactActivity|contactUpdated], inboxOrder},
			{"a customer's message", "contacts", contactUpdates[contactActivity|contactInbound|contactUpdated],
				append(slices.Clone(inboxOrder), "contacts_inbox_unread")},
			{"a contact's note", "contacts", contactUpdates[contactProfile|contactUpdated], nil},
		} {
			got := indexesWritten(t, conn, tc.table, tc.query)
			if !slices.Equal(got, tc.want) {
				t.Errorf("%s: the UPDATE writes the indexes %q, want %q", tc.what, got, tc.want)
			}
		}
	})
}

// indexesWritten returns the indexes of table that SQLite's program of
// query opens to write, sorted.
func indexesWritten(t *testing.T, conn *sql.Conn, table, query string) []string {
	t.Helper()
	ctx := context.Background()
	indexes := map[int64]string{} // by root page
	rows, err := conn.QueryContext(ctx, "SELECT rootpage, name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?", table)
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
	rows, err = conn.QueryContext(ctx, "EXPLAIN "+sqliteDialect.bind(query), make([]any, strings.Count(query, "?"))...)
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
	return written
}
