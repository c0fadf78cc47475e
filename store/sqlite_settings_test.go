package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"testing"
	"time"

	"modernc.org/libc"
)

// The writer commits durably (WAL, synchronous=FULL) and keeps its
// statements' journals in memory; readers cannot write. A connection
// opened again by database/sql gets the same settings: they are part of
// each pool's data source name, not set once after opening.
func TestSQLiteConnectionSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newSQLiteStore(t)
	// temp_store 2 is MEMORY, synchronous 2 is FULL.
	for _, tc := range []struct {
		pool         string
		pragma, want string
	}{
		{"writer", "journal_mode", "wal"},
		{"writer", "synchronous", "2"},
		{"writer", "temp_store", "2"},
		{"writer", "query_only", "0"},
		{"reader", "journal_mode", "wal"},
		{"reader", "query_only", "1"},
	} {
		pool := db.writer
		if tc.pool == "reader" {
			pool = db.reader
		}
		// A connection made afresh, as after one found broken.
		pool.SetMaxIdleConns(0)
		var got string
		if err := pool.QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
			t.Fatalf("%s: PRAGMA %s: %v", tc.pool, tc.pragma, err)
		}
		if got != tc.want {
			t.Errorf("%s: PRAGMA %s = %s, want %s", tc.pool, tc.pragma, got, tc.want)
		}
	}
}

// Every connection of the store runs in SQLite's multi-thread mode: no
// connection mutex (connectorWithoutMutex), on connections made afresh
// too.
func TestSQLiteConnectionsHaveNoMutex(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newSQLiteStore(t)
	for name, pool := range map[string]*sql.DB{"writer": db.writer, "reader": db.reader} {
		pool.SetMaxIdleConns(0)
		conn, err := pool.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		err = conn.Raw(func(driverConn any) error {
			tls := libc.NewTLS()
			defer tls.Close()
			_, mutex, ok := connectionMutex(tls, driverConn)
			if !ok {
				return fmt.Errorf("the driver's connection %T has no SQLite handle where it used to", driverConn)
			}
			if mutex != 0 {
				return fmt.Errorf("the connection has a mutex (%#x): serialized mode", mutex)
			}
			return nil
		})
		conn.Close()
		if err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// Without the connection mutex, what SQLite's multi-thread mode asks must
// hold: a connection used by one goroutine at a time. The one call made
// from elsewhere, the interrupt of a statement whose context ends, must
// stop that statement alone: reads cancelled at random beside reads that
// are not and beside commits, every read not cancelled exact.
func TestSQLiteReadsCancelledBesideOthers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := newSQLiteStore(t)
	const rows = 5_000
	if _, err := db.writer.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE numbers (n INTEGER NOT NULL);
		CREATE TABLE beside (n INTEGER NOT NULL);
		WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < %d)
		INSERT INTO numbers (n) SELECT n FROM seq`, rows)); err != nil {
		t.Fatal(err)
	}
	const wantSum = rows * (rows + 1) / 2
	stop := make(chan struct{})
	wrote := make(chan error, 1)
	go func() {
		var err error
		for i := 0; err == nil; i++ {
			select {
			case <-stop:
				wrote <- nil
				return
			default:
			}
			_, err = db.writer.ExecContext(ctx, "INSERT INTO beside (n) VALUES (?)", i)
		}
		wrote <- err
	}()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				readCtx, cancel := context.WithCancel(ctx)
				cancelled := (g+i)%2 == 0
				if cancelled {
					time.AfterFunc(time.Duration(i%7)*100*time.Microsecond, cancel)
				}
				var count, sum int64
				err := db.reader.QueryRowContext(readCtx, "SELECT count(*), sum(n) FROM numbers").Scan(&count, &sum)
				cancel()
				switch {
				case err != nil && !cancelled:
					errs <- fmt.Errorf("a read not cancelled failed: %v", err)
					return
				case err == nil && (count != rows || sum != wantSum):
					errs <- fmt.Errorf("read %d rows summing to %d, want %d and %d", count, sum, rows, wantSum)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	if err := <-wrote; err != nil {
		t.Errorf("the writes beside the reads: %v", err)
	}
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
