package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
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

// analyzeGrownFrom is the fewest rows a table must have changed since its
// statistics were gathered for AnalyzeGrown to gather them again.
const analyzeGrownFrom = 1000

// AnalyzeGrown gathers again the statistics of the store's tables that
// changed more rows since they were last gathered than they had then (at
// least analyzeGrownFrom), and returns their names; on SQLite it does
// nothing.
//
// PostgreSQL plans a prepared statement once for all its values after a
// few runs, and keeps that plan on the connection until the table's
// statistics change. Statistics gathered while a table held a few pages
// (autovacuum visits a new table once 50 rows changed) make a message
// looked up by id a scan of the whole table, and that plan stays while the
// table grows, until autovacuum's next visit, a minute or more later. On a
// new store under load the lifecycle ran at a third of its rate for that
// long (docs/benchmarks.md).
// Gathering the statistics each time a table changed as many rows as it
// has replans those statements while the tables are young, a few dozen
// times up to a million rows (updates count as changes); a table past
// that is analyzed by autovacuum long before. Several instances may run
// it at once.
func (db *DB) AnalyzeGrown(ctx context.Context) ([]string, error) {
	if db.dialect != postgresDialect {
		return nil, nil
	}
	tables, err := list(db.queries, ctx, scanText, `SELECT s.relname FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
		WHERE s.schemaname = current_schema() AND s.n_mod_since_analyze >= GREATEST(?, c.reltuples)`, analyzeGrownFrom)
	if err != nil {
		return nil, err
	}
	for _, t := range tables {
		if _, err := db.writer.ExecContext(ctx, "ANALYZE "+pgx.Identifier{t}.Sanitize()); err != nil {
			return nil, fmt.Errorf("analyze %s: %w", t, err)
		}
	}
	return tables, nil
}
