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
