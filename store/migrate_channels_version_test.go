package store

import (
	"database/sql"
	"fmt"
	"testing"
)

// 0024: the accounts of a store made before it start at version 1 of their
// channels, and the triggers move an account's version at each insert,
// update and delete of one of its channels, whoever writes it.
func TestChannelsVersionMigration(t *testing.T) {
	eachDialect(t, func(t *testing.T, conn *sql.Conn, d *dialect) {
		applyMigrations(t, conn, d, 24, true)
		exec := migrationExec(t, conn, d)
		exec("INSERT INTO accounts (id, uuid, name, created_at) VALUES (1, 'account1', 'one', 0)")
		exec("INSERT INTO accounts (id, uuid, name, created_at) VALUES (2, 'account2', 'two', 0)")
		exec("INSERT INTO channels (id, uuid, account_id, title, type, provider, settings, created_at, updated_at) VALUES (10, 'channel10', 1, 'wa', 'whatsapp', 'sandbox', '', 0, 0)")
		applyMigrations(t, conn, d, 24, false)

		versions := func() string {
			return fmt.Sprint(int64Rows(t, conn, "SELECT id, channels_version FROM accounts ORDER BY id"))
		}
		if got, want := versions(), "[[1 1] [2 1]]"; got != want {
			t.Fatalf("after the migration: %s, want %s", got, want)
		}
		for _, step := range []struct{ sql, want string }{
			{"INSERT INTO channels (id, uuid, account_id, title, type, provider, settings, created_at, updated_at) VALUES (11, 'channel11', 2, 'tg', 'telegram', 'sandbox', '', 0, 0)", "[[1 1] [2 2]]"},
			{"UPDATE channels SET title = 'sales' WHERE id = 10", "[[1 2] [2 2]]"},
			{"UPDATE channels SET address = '4930123456' WHERE id = 10", "[[1 3] [2 2]]"},
			{"UPDATE channels SET account_id = 2 WHERE id = 10", "[[1 4] [2 3]]"},
			{"DELETE FROM channels WHERE id = 11", "[[1 4] [2 4]]"},
			{"UPDATE accounts SET name = 'uno' WHERE id = 1", "[[1 4] [2 4]]"},
		} {
			exec(step.sql)
			if got := versions(); got != step.want {
				t.Errorf("%s: versions %s, want %s", step.sql, got, step.want)
			}
		}
	})
}
