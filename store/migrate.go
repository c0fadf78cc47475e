package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"
)

//go:embed migrations
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
	// step, when set, runs in the migration's transaction after its SQL:
	// the work SQL alone cannot do (migrationSteps).
	step func(ctx context.Context, tx *sql.Tx, d *dialect) error
}

// migrationSteps are the steps written in Go of the migrations that have
// one, by version: 12 indexes the words of the messages and contacts
// stored before (search.go), which only Go folds.
var migrationSteps = map[int]func(ctx context.Context, tx *sql.Tx, d *dialect) error{
	12: indexWords,
}

// migrations lists the dialect's migrations, oldest first. Files are named
// NNNN_description.sql; their number is their version.
func migrations(d *dialect) ([]migration, error) {
	dir := d.migrations
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		return nil, err
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			return nil, fmt.Errorf("migration %s: name must start with its version number", name)
		}
		body, err := migrationFiles.ReadFile(path.Join(dir, name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{version: v, name: name, sql: string(body), step: migrationSteps[v]})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i := 1; i < len(out); i++ {
		if out[i].version == out[i-1].version {
			return nil, fmt.Errorf("migrations %s and %s share a version", out[i-1].name, out[i].name)
		}
	}
	return out, nil
}

// migrationLockID is the PostgreSQL advisory lock that serialises instances
// starting at once: the first applies the migrations, the others wait, then
// find nothing left to do.
const migrationLockID = 0x6361726c // "carl"

// migrate applies the migrations not applied yet, each in its own
// transaction, and returns the newest version.
func migrate(ctx context.Context, db *sql.DB, d *dialect) (int, error) {
	all, err := migrations(d)
	if err != nil {
		return 0, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if d.migrationsLock {
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock($1)", migrationLockID); err != nil {
			return 0, fmt.Errorf("migration lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockID)
	}
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    BIGINT NOT NULL PRIMARY KEY,
		applied_at BIGINT NOT NULL)`); err != nil {
		return 0, fmt.Errorf("create schema_migrations: %w", err)
	}
	latest := 0
	for _, m := range all {
		latest = m.version
		if err := applyMigration(ctx, conn, d, m); err != nil {
			return 0, fmt.Errorf("migration %s: %w", m.name, err)
		}
	}
	return latest, nil
}

func applyMigration(ctx context.Context, conn *sql.Conn, d *dialect, m migration) error {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if d.writeLockFirst {
		// Take SQLite's write lock before reading the version, so that two
		// processes opening a new store at once apply each migration once.
		if _, err := tx.ExecContext(ctx, "UPDATE schema_migrations SET version = version WHERE 0"); err != nil {
			return err
		}
	}
	var applied int
	q := d.bind("SELECT COUNT(*) FROM schema_migrations WHERE version = ?")
	if err := tx.QueryRowContext(ctx, q, m.version).Scan(&applied); err != nil {
		return err
	}
	if applied > 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if m.step != nil {
		if err := m.step(ctx, tx, d); err != nil {
			return err
		}
	}
	ins := d.bind("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)")
	if _, err := tx.ExecContext(ctx, ins, m.version, time.Now().UnixMilli()); err != nil {
		return err
	}
	return tx.Commit()
}
