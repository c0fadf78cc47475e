package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"testing"
)

// TestContactCountsMigration fills a store migrated up to 0017 with
// contacts of two accounts over three channels, then applies 0018: each
// channel's number of contacts is written.
func TestContactCountsMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 18, true)
		exec := migrationExec(t, conn, d)
		// Channel 1 and 2 are account 1's, channel 3 account 2's.
		for id, channel := range []int{1, 1, 1, 2, 3} {
			exec("INSERT INTO contacts (id, uuid, account_id, channel_id, created_at, updated_at, conversation_uuid) VALUES (?, ?, ?, ?, 0, 0, ?)",
				id+1, "contact"+string(rune('a'+id)), 1+channel/3, channel, "conversation"+string(rune('a'+id)))
		}
		applyMigrations(t, conn, d, 18, false)

		got := int64Rows(t, conn, "SELECT account_id, channel_id, SUM(contacts) FROM contact_counts GROUP BY account_id, channel_id ORDER BY channel_id")
		if want := [][]int64{{1, 1, 3}, {1, 2, 1}, {2, 3, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("counts %v, want %v", got, want)
		}
	})
}

// TestTagAndTeamCountsMigration fills a store migrated up to 0019 with
// contacts of two accounts in teams and with tags, then applies 0020: each
// team's and each tag's number of each account's contacts is written.
func TestTagAndTeamCountsMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 20, true)
		exec := migrationExec(t, conn, d)
		// Contacts 1 to 4 are account 1's, 5 account 2's; team 0 is none.
		for id, team := range []int{10, 10, 11, 0, 10} {
			exec("INSERT INTO contacts (id, uuid, account_id, channel_id, team_id, created_at, updated_at, conversation_uuid) VALUES (?, ?, ?, 1, ?, 0, 0, ?)",
				id+1, "contact"+string(rune('a'+id)), 1+id/4, team, "conversation"+string(rune('a'+id)))
		}
		exec("INSERT INTO accounts (id, uuid, name, created_at) VALUES (1, 'account1', 'one', 0)")
		for _, tag := range []int{20, 21} {
			exec("INSERT INTO tags (id, account_id, name, name_key, created_at) VALUES (?, 1, ?, ?, 0)", tag, "tag"+string(rune('a'+tag)), "tag"+string(rune('a'+tag)))
		}
		for _, link := range [][2]int{{1, 20}, {2, 20}, {2, 21}, {4, 21}, {5, 20}} {
			exec("INSERT INTO contact_tags (contact_id, tag_id) VALUES (?, ?)", link[0], link[1])
		}
		applyMigrations(t, conn, d, 20, false)

		for _, c := range []struct {
			table, column string
			want          [][]int64
		}{
			{"team_counts", "team_id", [][]int64{{1, 10, 2}, {1, 11, 1}, {2, 10, 1}}},
			{"tag_counts", "tag_id", [][]int64{{1, 20, 2}, {1, 21, 2}, {2, 20, 1}}},
		} {
			got := int64Rows(t, conn, "SELECT account_id, "+c.column+", SUM(contacts) FROM "+c.table+
				" GROUP BY account_id, "+c.column+" ORDER BY account_id, "+c.column)
			if fmt.Sprint(got) != fmt.Sprint(c.want) {
				t.Errorf("%s: %v, want %v", c.table, got, c.want)
			}
		}
	})
}

// TestContactBlocksMigration fills a store migrated up to 0020 with
// contacts of two accounts on either side of a block's end, then applies
// 0021: each channel's contacts are counted by block of 2,048 ids, the
// size contactBlockSize has outside the store's tests.
func TestContactBlocksMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 21, true)
		exec := migrationExec(t, conn, d)
		contacts := []struct{ id, account, channel int64 }{{1, 1, 1}, {2047, 1, 1}, {2048, 1, 1}, {2049, 1, 2}, {2050, 2, 3}, {6000, 1, 1}}
		for _, c := range contacts {
			exec("INSERT INTO contacts (id, uuid, account_id, channel_id, created_at, updated_at, conversation_uuid) VALUES (?, ?, ?, ?, 0, 0, ?)",
				c.id, fmt.Sprint("contact", c.id), c.account, c.channel, fmt.Sprint("conversation", c.id))
		}
		applyMigrations(t, conn, d, 21, false)

		got := int64Rows(t, conn, "SELECT account_id, block, channel_id, SUM(contacts) FROM contact_blocks GROUP BY account_id, block, channel_id ORDER BY account_id, block, channel_id")
		if want := [][]int64{{1, 0, 1, 2}, {1, 1, 1, 1}, {1, 1, 2, 1}, {1, 2, 1, 1}, {2, 1, 3, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("blocks %v, want %v", got, want)
		}
		// The blocks the store counts a contact in, outside its tests.
		for _, c := range contacts {
			b := c.id / migratedContactBlockSize
			if !slices.ContainsFunc(got, func(r []int64) bool { return r[0] == c.account && r[1] == b && r[2] == c.channel }) {
				t.Errorf("contact %d: the store counts it in block %d, the migration in none of %v", c.id, b, got)
			}
		}
	})
}

// TestContactMessageCountsMigration fills a store migrated up to 0021
// with messages of three contacts of two accounts, then applies 0022: each
// contact's number of messages is written.
func TestContactMessageCountsMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 22, true)
		exec := migrationExec(t, conn, d)
		// Contacts 1 and 2 are account 1's, 3 account 2's.
		for id, contact := range []int{1, 1, 1, 2, 3, 3} {
			exec(`INSERT INTO messages (id, uuid, account_id, channel_id, contact_id, direction, type, content, status, created_at, updated_at)
				VALUES (?, ?, ?, 1, ?, 'inbound', 'text', '{}', 'received', 0, 0)`, id+1, fmt.Sprint("message", id), 1+contact/3, contact)
		}
		applyMigrations(t, conn, d, 22, false)

		got := int64Rows(t, conn, "SELECT contact_id, account_id, messages FROM contact_message_counts ORDER BY contact_id")
		if want := [][]int64{{1, 1, 3}, {2, 1, 1}, {3, 2, 2}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("counts %v, want %v", got, want)
		}
	})
}

// migrationExec returns a function that runs a statement on conn, failing
// the test on an error.
func migrationExec(t *testing.T, conn *sql.Conn, d *dialect) func(query string, args ...any) {
	return func(query string, args ...any) {
		t.Helper()
		if _, err := conn.ExecContext(context.Background(), d.bind(query), args...); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
	}
}

// int64Rows reads the rows of query, each a list of integers.
func int64Rows(t *testing.T, conn *sql.Conn, query string, args ...any) [][]int64 {
	t.Helper()
	rows, err := conn.QueryContext(context.Background(), query, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var got [][]int64
	for rows.Next() {
		r := make([]int64, len(cols))
		dest := make([]any, len(cols))
		for i := range r {
			dest[i] = &r[i]
		}
		if err := rows.Scan(dest...); err != nil {
			t.Fatal(err)
		}
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestTagBlocksMigration fills a store migrated up to 0022 with contacts
// of two accounts on either side of a block's end, tagged, then applies
// 0023: each tag's contacts are counted by block of 2,048 ids, under the
// contact's account, as the store counts them (holdTagCounts).
func TestTagBlocksMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 23, true)
		exec := migrationExec(t, conn, d)
		exec("INSERT INTO accounts (id, uuid, name, created_at) VALUES (1, 'account1', 'one', 0)")
		exec("INSERT INTO accounts (id, uuid, name, created_at) VALUES (2, 'account2', 'two', 0)")
		for _, tag := range []struct{ id, account int64 }{{20, 1}, {21, 1}, {22, 2}} {
			exec("INSERT INTO tags (id, account_id, name, name_key, created_at) VALUES (?, ?, ?, ?, 0)", tag.id, tag.account, fmt.Sprint("tag", tag.id), fmt.Sprint("tag", tag.id))
		}
		contacts := []struct {
			id, account int64
			tags        []int64
		}{{1, 1, []int64{20}}, {2047, 1, []int64{20, 21}}, {2048, 1, []int64{20}}, {2049, 2, []int64{22}}, {2050, 1, nil}, {6000, 1, []int64{21}}}
		for _, c := range contacts {
			exec("INSERT INTO contacts (id, uuid, account_id, channel_id, created_at, updated_at, conversation_uuid) VALUES (?, ?, ?, 1, 0, 0, ?)",
				c.id, fmt.Sprint("contact", c.id), c.account, fmt.Sprint("conversation", c.id))
			for _, tag := range c.tags {
				exec("INSERT INTO contact_tags (contact_id, tag_id) VALUES (?, ?)", c.id, tag)
			}
		}
		applyMigrations(t, conn, d, 23, false)

		got := int64Rows(t, conn, "SELECT account_id, tag_id, block, SUM(contacts) FROM tag_blocks GROUP BY account_id, tag_id, block ORDER BY account_id, tag_id, block")
		if want := [][]int64{{1, 20, 0, 2}, {1, 20, 1, 1}, {1, 21, 0, 1}, {1, 21, 2, 1}, {2, 22, 1, 1}}; fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("blocks %v, want %v", got, want)
		}
		// The blocks the store counts a tagged contact in, outside its tests.
		for _, c := range contacts {
			for _, tag := range c.tags {
				b := c.id / migratedContactBlockSize
				if !slices.ContainsFunc(got, func(r []int64) bool { return r[0] == c.account && r[1] == tag && r[2] == b }) {
					t.Errorf("contact %d, tag %d: the store counts it in block %d, the migration in none of %v", c.id, tag, b, got)
				}
			}
		}
	})
}
