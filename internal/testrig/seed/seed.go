// Package seed gives tests a new SQLite store without the migrations' work:
// a copy of a database with every migration applied, made once per test
// process. Applying the migrations costs each new store about 10 ms of CPU
// and one synchronous commit per migration, and the tests make hundreds of
// stores; what they test is an empty store, not how it was made. The
// migrations themselves are tested by the store's own tests, which open
// new folders with store.OpenSQLite directly.
//
// It is a package of its own, beside internal/testrig rather than in it, so
// that the store's tests use it without linking the service and the API.
// Only tests import it (internal/archtest holds that line).
package seed

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/carillon/carillon/store"
)

// SQLite puts in dir a copy of a SQLite database with every migration
// applied, unless dir holds a database already (a restart); store.OpenSQLite
// then finds nothing left to migrate.
func SQLite(t testing.TB, dir string) {
	t.Helper()
	file := filepath.Join(dir, store.SQLiteFile)
	if _, err := os.Stat(file); err == nil {
		return
	}
	b, err := migrated()
	if err != nil {
		t.Fatalf("making the migrated SQLite database the tests copy: %v", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// migrated returns the bytes of a SQLite database file with every migration
// applied and nothing else. Nothing in it is sealed, so a copy opens with
// any secret box.
var migrated = sync.OnceValues(func() ([]byte, error) {
	dir, err := os.MkdirTemp("", "carillon-migrated-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	db, err := store.OpenSQLite(context.Background(), dir, nil)
	if err != nil {
		return nil, err
	}
	if err := db.Close(); err != nil {
		return nil, err
	}
	file := filepath.Join(dir, store.SQLiteFile)
	// Closing the last connection checkpoints the write-ahead log into the
	// file and removes it; a log left behind would hold part of the schema.
	if _, err := os.Stat(file + "-wal"); !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s-wal is still there after the store closed (%v)", file, err)
	}
	return os.ReadFile(file)
})
