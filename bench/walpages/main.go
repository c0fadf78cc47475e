// Command walpages reads a copy of a SQLite database's WAL and says what
// its commits wrote: how many pages a commit, and which table or index each
// page belongs to, from SQLite's dbstat table of the database file.
//
// Copy the WAL while the server runs (it starts over after a checkpoint,
// so a copy holds the commits since the last one), then:
//
//	cp carillon-data/carillon.db-wal /tmp/wal
//	go run ./bench/walpages -db carillon-data/carillon.db /tmp/wal
//
// Pages are mapped as the database file has them when walpages runs: a page
// the WAL's commits moved to another table since (rare) is counted under
// its new owner. docs/benchmarks.md uses it for the pages a commit writes.
package main

import (
	"database/sql"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	_ "modernc.org/sqlite"
)

func main() {
	dbPath := flag.String("db", "carillon-data/carillon.db", "the database file the WAL belongs to (opened read-only)")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: walpages [-db FILE] WAL")
		os.Exit(2)
	}
	wal, err := os.ReadFile(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	commits, err := walCommits(wal)
	if err != nil {
		fail(err)
	}
	owners, err := pageOwners(*dbPath)
	if err != nil {
		fail(err)
	}
	printSummary(os.Stdout, commits, owners)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "walpages:", err)
	os.Exit(1)
}

// walCommits returns the page numbers of each commit in a WAL file, in the
// file's order, up to the first frame that does not belong to its current
// generation (a WAL started over leaves older frames after the newer ones).
func walCommits(wal []byte) ([][]uint32, error) {
	const headerSize, frameHeaderSize = 32, 24
	if len(wal) < headerSize {
		return nil, errors.New("not a WAL file: shorter than its header")
	}
	if magic := binary.BigEndian.Uint32(wal); magic&^1 != 0x377f0682 {
		return nil, fmt.Errorf("not a WAL file: magic %#x", magic)
	}
	pageSize := int(binary.BigEndian.Uint32(wal[8:]))
	salt := wal[16:24]
	var commits [][]uint32
	var pages []uint32
	for off := headerSize; off+frameHeaderSize+pageSize <= len(wal); off += frameHeaderSize + pageSize {
		frame := wal[off : off+frameHeaderSize]
		if string(frame[8:16]) != string(salt) {
			break
		}
		pages = append(pages, binary.BigEndian.Uint32(frame))
		if binary.BigEndian.Uint32(frame[4:]) != 0 { // the database's size after a commit: its last frame
			commits = append(commits, pages)
			pages = nil
		}
	}
	return commits, nil
}

// pageOwners maps each page of the database file to its table or index.
func pageOwners(path string) (map[uint32]string, error) {
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		return nil, err
	}
	defer db.Close()
	rows, err := db.Query("SELECT name, pageno FROM dbstat")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	owners := map[uint32]string{}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			return nil, err
		}
		owners[page] = name
	}
	return owners, rows.Err()
}

func printSummary(w io.Writer, commits [][]uint32, owners map[uint32]string) {
	if len(commits) == 0 {
		fmt.Fprintln(w, "no commit in this WAL")
		return
	}
	frames := 0
	byOwner := map[string]int{}
	for _, c := range commits {
		frames += len(c)
		for _, p := range c {
			name, ok := owners[p]
			if !ok {
				name = "(not in the database file now)"
			}
			byOwner[name]++
		}
	}
	n := float64(len(commits))
	fmt.Fprintf(w, "%d commits, %d pages written, %.1f a commit\n", len(commits), frames, float64(frames)/n)
	names := make([]string, 0, len(byOwner))
	for name := range byOwner {
		names = append(names, name)
	}
	sort.Slice(names, func(i, j int) bool {
		return byOwner[names[i]] > byOwner[names[j]] || byOwner[names[i]] == byOwner[names[j]] && names[i] < names[j]
	})
	for _, name := range names {
		fmt.Fprintf(w, "  %-40s %7d  %6.1f a commit\n", name, byOwner[name], float64(byOwner[name])/n)
	}
}
