package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"modernc.org/sqlite" // the pure-Go SQLite driver
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
	// A large page cache keeps hot index pages out of read system calls;
	// synchronous(FULL) makes every commit durable.
	cache := []string{"cache_size(-65536)"}
	writer, err := sql.Open("sqlite", dsn(append(cache, "journal_mode(WAL)", "synchronous(FULL)")...)+"&_txlock=immediate")
	if err != nil {
		return nil, err
	}
	writer.SetMaxOpenConns(1)
	writer.SetMaxIdleConns(1)
	writer.SetConnMaxLifetime(0)
	writer.SetConnMaxIdleTime(0)
	if err := connectSQLite(ctx, writer); err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite %s: %w", file, err)
	}
	latest, err := migrate(ctx, writer, sqliteDialect)
	if err != nil {
		writer.Close()
		return nil, fmt.Errorf("sqlite %s: %w", file, err)
	}
	reader, err := sql.Open("sqlite", dsn(append(cache, "query_only(1)")...))
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

// connectSQLite opens the writer's connection. Its journal_mode(WAL) pragma
// takes SQLite's exclusive lock without waiting for it (busy_timeout does
// not apply there), so when several processes open a new data folder at
// once some get SQLITE_BUSY straight away: retry for as long as busy_timeout
// would have waited.
func connectSQLite(ctx context.Context, writer *sql.DB) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := writer.PingContext(ctx)
		var se *sqlite.Error
		if err == nil || !errors.As(err, &se) || se.Code()&0xff != sqliteBusy || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// sqliteBusy is SQLITE_BUSY, the primary result code of a locked database.
const sqliteBusy = 5
