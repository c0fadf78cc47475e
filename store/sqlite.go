package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"time"

	"github.com/carillon/carillon"
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
	// A large page cache keeps the readers' hot index pages out of read
	// system calls. The writer's is smaller: SQLite walks the whole of a
	// connection's page cache at a commit that followed a split of an
	// index page where it renumbered the new pages (it parks one at the
	// page number of the lock byte, 262,145 with 4 KiB pages, beyond the
	// end of any file under 1 GiB, and the commit then drops every cached
	// page past the end). The walk grows with the pages cached: 64 MiB of
	// them cost the writer, which bounds the send path, more than the
	// reads 8 MiB miss (docs/benchmarks.md). synchronous(FULL) makes every
	// commit durable.
	//
	// The writer keeps its statements' journals in memory (temp_store):
	// SQLite moves the statement journal (the pages a statement changed,
	// as they were, for undoing the statement alone) to a temporary file
	// once it passes 64 KiB, and the rest of that transaction's journals
	// are then written to the file, a system call for each page, on the
	// one writer that bounds the send path (docs/benchmarks.md).
	// Migrations run first, on a connection of their own that moves them
	// as SQLite does: one of their statements may rewrite a whole table.
	writerPragmas := []string{"cache_size(-8192)", "journal_mode(WAL)", "synchronous(FULL)"}
	latest, err := migrateSQLite(ctx, dsn(writerPragmas...)+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite %s: %w", file, err)
	}
	writer, err := openSQLite(dsn(append(writerPragmas, "temp_store(MEMORY)")...) + "&_txlock=immediate")
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
	reader, err := openSQLite(dsn("cache_size(-65536)", "query_only(1)"))
	if err != nil {
		writer.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	reader.SetMaxOpenConns(n)
	reader.SetMaxIdleConns(n)
	reader.SetConnMaxIdleTime(0)
	watch, err := watchFile(file)
	if err != nil {
		writer.Close()
		reader.Close()
		return nil, fmt.Errorf("sqlite %s: %w", file, err)
	}
	db := newDB(sqliteDialect, writer, reader, sealer, latest)
	db.file = watch
	db.contacts = &keptContacts{byID: map[int64]carillon.Contact{}, byAddress: map[contactAddress]int64{}}
	return db, nil
}

// fileWatch notices a SQLite database file removed or replaced under the
// running server. SQLite keeps writing to the file it opened: once that
// file is unlinked, every commit still succeeds, into a file that no
// longer has a name and is gone when the process ends. The file's identity
// (device and inode) is taken at open and compared, with one stat, after
// each commit (a small cost beside the commit's fsync) and by Ready.
type fileWatch struct {
	path string
	info os.FileInfo
	// lost holds the error once the file is gone: from then on every
	// write is refused without touching the database.
	lost atomic.Pointer[error]
}

func watchFile(path string) (*fileWatch, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	return &fileWatch{path: path, info: info}, nil
}

// lostErr returns the error of a file found gone earlier; nil for no
// watch (PostgreSQL).
func (w *fileWatch) lostErr() error {
	if w == nil {
		return nil
	}
	if e := w.lost.Load(); e != nil {
		return *e
	}
	return nil
}

// check looks at the file now: nil while it is the one opened.
func (w *fileWatch) check() error {
	if err := w.lostErr(); err != nil || w == nil {
		return err
	}
	now, err := os.Stat(w.path)
	var what string
	switch {
	case err == nil && os.SameFile(w.info, now):
		return nil
	case err == nil && now.Size() == 0:
		// SQLite makes an empty file when a new connection opens a
		// database file that is gone.
		what = "was removed (an empty file has its name now)"
	case err == nil:
		what = "was replaced by another file"
	case errors.Is(err, fs.ErrNotExist):
		what = "was removed"
	default:
		// Not known to be gone: refuse this write, and look again at
		// the next.
		return fmt.Errorf("%w: cannot check the SQLite database file %s: %v", carillon.ErrStoreUnavailable, w.path, err)
	}
	lost := fmt.Errorf("%w: the SQLite database file %s %s while the server ran; writes would be lost, so none is taken: put the database back (from a backup if need be) and restart carillon",
		carillon.ErrStoreUnavailable, w.path, what)
	w.lost.CompareAndSwap(nil, &lost)
	return *w.lost.Load()
}

// openSQLite opens a pool of connections to dsn, each in SQLite's
// multi-thread mode (connectorWithoutMutex).
func openSQLite(dsn string) (*sql.DB, error) {
	connector, err := newConnectorWithoutMutex(dsn)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(connector), nil
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

// migrateSQLite applies the migrations on a connection of its own, closed
// after.
func migrateSQLite(ctx context.Context, dsn string) (int, error) {
	db, err := openSQLite(dsn)
	if err != nil {
		return 0, err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if err := connectSQLite(ctx, db); err != nil {
		return 0, err
	}
	return migrate(ctx, db, sqliteDialect)
}

// sqliteBusy is SQLITE_BUSY, the primary result code of a locked database.
const sqliteBusy = 5
