package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/store"
)

// parseConfig parses a command's settings; a mistake in the command line is
// a usage error.
func parseConfig(e env, fs *flag.FlagSet, args []string, scope config.Scope) (config.Config, []string, error) {
	cfg, rest, err := config.Parse(fs, args, e.getenv, scope)
	var ue *config.UsageError
	if errors.As(err, &ue) {
		return cfg, nil, usageError{ue.Error()}
	}
	return cfg, rest, err
}

// openStore opens the configured store: PostgreSQL with a database URL,
// else SQLite in the data folder.
func openStore(ctx context.Context, cfg config.Config) (*store.DB, error) {
	if cfg.DatabaseURL == "" && !cfg.NewDatabase {
		if err := checkDatabaseKept(cfg.Data); err != nil {
			return nil, err
		}
	}
	key, err := secretKey(cfg)
	if err != nil {
		return nil, err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, err
	}
	if cfg.DatabaseURL != "" {
		return store.OpenPostgres(ctx, cfg.DatabaseURL, box)
	}
	return store.OpenSQLite(ctx, cfg.Data, box)
}

// checkDatabaseKept refuses a data folder that was used before (it holds
// secret.key or media/) but has no SQLite database, or an empty file: the database was
// removed or lost, and opening the folder would create an empty one in its
// place, with a new account and key, as if nothing had been there. The
// new-database setting allows it.
func checkDatabaseKept(dir string) error {
	// An empty file counts as none: SQLite makes one when a connection
	// opens a database file that is gone (a reader of the server that
	// lost it, say), and would then take it for a new database.
	info, err := os.Stat(filepath.Join(dir, store.SQLiteFile))
	if err == nil && info.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil // there, or an error that opening it reports
	}
	for _, mark := range []string{"secret.key", "media"} {
		if _, err := os.Stat(filepath.Join(dir, mark)); err == nil {
			return fmt.Errorf("the data folder %s holds %s but no database (%s is missing or empty): it was used before and its database is missing. "+
				"Put the database back (restore a backup, see Backup in docs/operations.md), "+
				"or give --new-database to start on a new, empty database: a new account and first API key, without the old keys and messages",
				dir, mark, store.SQLiteFile)
		}
	}
	return nil
}

// secretKey returns the key that encrypts provider secrets: the secret-key
// setting, else secret.key in the data folder (made on first need).
func secretKey(cfg config.Config) ([]byte, error) {
	if cfg.SecretKey != "" {
		return secretbox.DecodeKey(cfg.SecretKey)
	}
	return secretbox.LoadOrCreateKeyFile(filepath.Join(cfg.Data, "secret.key"))
}

// lockDataFolder makes sure one server at a time runs on a SQLite data
// folder: the send pipeline of a new server adopts at once every message an
// earlier one left, which is right only when that one is gone.
func lockDataFolder(dir string) (release func(), err error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "serve.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("another carillon serve is running on the data folder %s (use PostgreSQL to run several)", dir)
	}
	return func() { f.Close() }, nil
}
