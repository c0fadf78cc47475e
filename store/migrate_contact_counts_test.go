package store

import (
	"context"
	"database/sql"
	"testing"
)

// TestContactCountsMigration fills a store migrated up to 0017 with
// contacts of two accounts over three channels, then applies 0018: each
// channel's number of contacts is written.
func TestContactCountsMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		ctx := context.Background()
		applyMigrations(t, conn, d, 18, true)
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := conn.ExecContext(ctx, d.bind(query), args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		// Channel 1 and 2 are account 1's, channel 3 account 2's.
		for id, channel := range []int{1, 1, 1, 2, 3} {
			exec("INSERT INTO contacts (id, uuid, account_id, channel_id, created_at, updated_at, conversation_uuid) VALUES (?, ?, ?, ?, 0, 0, ?)",
				id+1, "contact"+string(rune('a'+id)), 1+channel/3, channel, "conversation"+string(rune('a'+id)))
		}
		applyMigrations(t, conn, d, 18, false)

		rows, err := conn.QueryContext(ctx, "SELECT account_id, channel_id, SUM(contacts) FROM contact_counts GROUP BY account_id, channel_id ORDER BY channel_id")
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var got [][3]int64
		for rows.Next() {
			var r [3]int64
			if err := rows.Scan(&r[0], &r[1], &r[2]); err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		want := [][3]int64{{1, 1, 3}, {1, 2, 1}, {2, 3, 1}}
		if len(got) != len(want) {
			t.Fatalf("counts %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("counts %v, want %v", got, want)
			}
		}
	})
}
