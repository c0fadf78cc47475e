package store

import (
	"context"
	"database/sql"
	"strings"
	"testing"
)

// The statements of the send pipeline and of the webhook queue read the
// indexes made for them, on each dialect that runs them, whatever the
// planner knows of their sizes: the check before each attempt (PostgreSQL)
// read every entry of the queue through the index of the queued messages
// by owner, which it may not use; it looks its messages up by the primary
// key. A webhook's claim steps over the events under a lease, which SQLite
// reads from the due index alone.
// Sequential scans are off on PostgreSQL, so that the planner chooses among
// the indexes of an empty table.
func TestQueuePlans(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 1<<30, true)
		ctx := context.Background()
		explain := "EXPLAIN QUERY PLAN "
		if d == postgresDialect {
			explain = "EXPLAIN "
			if _, err := conn.ExecContext(ctx, "SET enable_seqscan = off"); err != nil {
				t.Fatal(err)
			}
		}
		// A look-up of the primary key, as each dialect's plan says it.
		byID := map[*dialect]string{sqliteDialect: "SEARCH messages USING INTEGER PRIMARY KEY (rowid=?)",
			postgresDialect: "Index Scan using messages_pkey on messages"}[d]
		dueEvents := map[*dialect]string{sqliteDialect: "USING COVERING INDEX webhook_events_due",
			postgresDialect: "Index Scan using webhook_events_due on webhook_events"}[d]
		// CheckQueued's statement for two messages.
		checkTwo := func(earlier bool) string { return strings.ReplaceAll(checkQueuedQuery(earlier), "%s", placeholders(2)) }
		for _, tc := range []struct {
			what, query string
			args        []any
			want, not   string
			shared      bool // asked on PostgreSQL alone (carillon.Store.Shared)
		}{
			{"the queue of an owner (QueuedMessages)", "SELECT id FROM messages WHERE " + queuedOfOwner + " AND id > ? ORDER BY id LIMIT ?",
				[]any{"instance", 0, 100}, "messages_queued_owner", "", false},
			{"adoption (AdoptMessages)", "UPDATE messages SET owner = ? WHERE " + queuedOfOwner,
				[]any{"alive", "dead"}, "messages_queued_owner", "", false},
			{"the check before an attempt (CheckQueued)", checkTwo(false),
				[]any{1, 2}, byID, "", false},
			{"the check before an attempt, with the earlier queued messages (CheckQueued)", checkTwo(true),
				[]any{1, 2}, "messages_queued_recipient", "messages_queued_owner", true},
			{"the same, by the primary key (CheckQueued)", checkTwo(true),
				[]any{1, 2}, byID, "", true},
			{"a webhook's due events (ClaimWebhookEvents)", dueWebhookEvents + d.claimRows,
				[]any{1, 1000, 1000, 100}, dueEvents, "", false},
		} {
			if tc.shared && d != postgresDialect {
				continue
			}
			rows, err := conn.QueryContext(ctx, explain+d.bind(tc.query), tc.args...)
			if err != nil {
				t.Fatalf("%s: %v", tc.what, err)
			}
			var plan []string
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				var detail string
				for i := range vals {
					vals[i] = new(any)
				}
				vals[len(vals)-1] = &detail
				if err := rows.Scan(vals...); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			got := strings.Join(plan, "\n")
			if !strings.Contains(got, tc.want) || (tc.not != "" && strings.Contains(got, tc.not)) {
				t.Errorf("%s: plan\n%s\nwant it to use %s", tc.what, got, tc.want)
			}
		}
	})
}
