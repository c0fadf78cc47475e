package store

import (
	"context"
	"database/sql"
	"fmt"

	_ "github.com/jackc/pgx/v5/stdlib" // the PostgreSQL driver
)

// OpenPostgres connects to the PostgreSQL database at url and applies its
// migrations; instances starting at once take turns (an advisory lock).
func OpenPostgres(ctx context.Context, url string, sealer Sealer) (*DB, error) {
	pool, err := sql.Open("pgx", url)
	if err != nil {
		return nil, err
	}
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	latest, err := migrate(ctx, pool, postgresDialect)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return newDB(postgresDialect, pool, pool, sealer, latest), nil
}

// SettingWarnings names the database server's settings that carillon
// cannot run well with, for serve to log at start; none on SQLite.
//
// autovacuum off: every status a message goes through and every webhook
// attempt leaves a dead row version, and without autovacuum they are never
// removed, so each send, receipt and delivery reads more of them than the
// last (measured in docs/benchmarks.md: a long run fell to a fifth of its
// rate). Some test servers turn it off; a production one must not.
func (db *DB) SettingWarnings(ctx context.Context) ([]string, error) {
	if db.dialect != postgresDialect {
		return nil, nil
	}
	var autovacuum string
	if err := db.reader.QueryRowContext(ctx, "SHOW autovacuum").Scan(&autovacuum); err != nil {
		return nil, fmt.Errorf("postgres: SHOW autovacuum: %w", err)
	}
	if autovacuum == "off" {
		return []string{"PostgreSQL's autovacuum is off: the rows each message and webhook event leaves behind are never cleaned up, " +
			"and sends, receipts and deliveries slow down as they pile up; turn it on (autovacuum = on, the default), or vacuum the database often"}, nil
	}
	return nil, nil
}
