package store

import (
	"database/sql"
	"fmt"
	"testing"
)

// 0027: an event claimed before the migration holds its lease in
// next_attempt_at, and stays out of the claim until that lease ends, as it
// would have; an event due and never claimed is claimable at once; one
// claimed after it is out of the claim until its lease_until.
func TestWebhookLeaseMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 27, true)
		exec := migrationExec(t, conn, d)
		exec("INSERT INTO accounts (id, uuid, name, created_at) VALUES (1, 'account1', 'one', 0)")
		exec("INSERT INTO webhooks (id, account_id, url, subscriptions, secret, enabled, created_at, updated_at) VALUES (1, 1, 'https://example.com/hook', '', '', 1, 0, 0)")
		event := func(id, nextAttemptAt int64) {
			exec(fmt.Sprintf("INSERT INTO webhook_events (id, uuid, account_id, webhook_id, event, subject, state, next_attempt_at, created_at) VALUES (%d, 'evt%d', 1, 1, 'contact_created', 'c%d', 'pending', %d, 0)",
				id, id, id, nextAttemptAt))
		}
		event(10, 5_000) // claimed before the migration: leased until 5 s
		event(11, 1_000) // due at 1 s, not claimed
		applyMigrations(t, conn, d, 27, false)

		// The claim's selection (ClaimWebhookEvents) of the webhook's
		// events due at now, up to 10.
		due := func(now int64) string {
			return fmt.Sprint(int64Rows(t, conn, d.bind(dueWebhookEvents), 1, now, now, 10))
		}
		for _, c := range []struct {
			now  int64
			want string
		}{{2_000, "[[11]]"}, {5_000, "[[11] [10]]"}} {
			if got := due(c.now); got != c.want {
				t.Errorf("due at %d ms: %s, want %s", c.now, got, c.want)
			}
		}
		exec("UPDATE webhook_events SET lease_until = 9000 WHERE id = 11") // claimed after it
		if got, want := due(5_000), "[[10]]"; got != want {
			t.Errorf("due at 5000 ms, 11 under a lease: %s, want %s", got, want)
		}
	})
}
