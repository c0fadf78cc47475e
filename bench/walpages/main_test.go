package main

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Commits are told apart and their pages named after the table or index
// they belong to.
func TestWALPages(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "test.db")
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)&_pragma=wal_autocheckpoint(0)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	for _, stmt := range []string{
		"CREATE TABLE rows (id INTEGER PRIMARY KEY, word TEXT)", // commit 1
		"CREATE INDEX rows_word ON rows (word)",                 // commit 2
		"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) INSERT INTO rows (word) SELECT printf('w%06d', i) FROM n", // commit 3
	} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	// The WAL as a running server leaves it: no checkpoint, still open.
	wal, err := os.ReadFile(path + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	commits, err := walCommits(wal)
	if err != nil {
		t.Fatal(err)
	}
	if len(commits) != 3 {
		t.Fatalf("commits: %d, want 3", len(commits))
	}
	owners, err := pageOwners(path)
	if err != nil {
		t.Fatal(err)
	}
	named := map[string]int{}
	for _, p := range commits[2] {
		named[owners[p]]++
	}
	// 2,000 rows of 8 bytes and their index entries: several pages each.
	if named["rows"] < 2 || named["rows_word"] < 2 {
		t.Errorf("pages of the insert by owner: %v, want several of rows and of rows_word", named)
	}
	for name := range named {
		if name != "rows" && name != "rows_word" && name != "sqlite_schema" {
			t.Errorf("the insert wrote a page of %q", name)
		}
	}
	var out strings.Builder
	printSummary(&out, commits, owners)
	if want := fmt.Sprintf("3 commits, %d pages written", len(commits[0])+len(commits[1])+len(commits[2])); !strings.HasPrefix(out.String(), want) {
		t.Errorf("summary starts %q, want %q", strings.SplitN(out.String(), "\n", 2)[0], want)
	}
}
