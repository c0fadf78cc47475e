package store

import (
	"context"
	"testing"
)

// The writer commits durably (WAL, synchronous=FULL) and keeps its
// statements' journals in memory; readers cannot write. A connection
// opened again by database/sql gets the same settings: they are part of
// each pool's data source name, not set once after opening.
func TestSQLiteConnectionSettings(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db, err := OpenSQLite(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
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
