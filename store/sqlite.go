package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"

	_ "modernc.org/sqlite" // the pure-Go SQLite driver
)

// SQLiteFile is the database file's name inside the data folder.
const SQLiteFile = "carillon.db"

// OpenSQLite opens (creating it when needed) the SQLite database in the data
// folder dir and applies its migrations. Commits are durable: WAL with
// synchronous=FULL.
func OpenSQLite(ctx context.Context, dir string, sealer Sealer) (*DB, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder: %w", err)
	}
	file := filepath.Join(dir, SQLiteFile)
	dsn := func(pragmas ...string) string {
		v := url.Values{}
		for _, p := range append([]string{"busy_timeout(10000)", "foreign_keys(1)"}, pragmas...) {
			v.Add("_pragma", p)
		}
		return "file:" + file + "?" + v.Encode()
	}
	writer, err := sql.Open("sqlite", dsn("journal_mode(WAL)", "synchronous(FULL)")+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	latest, err := migrate(ctx, writer, sqliteDialect)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite %s: %w", file, err)
	}
	reader, err := sql.Open("sqlite", dsn("query_only(1)"))
	if err != nil {
		writer.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxIdleTime(0)
	return newDB(sqliteDialect, writer, reader, sealer, latest), nil
}
