package store

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// TestKeptContacts: the contacts the SQLite writer keeps answer its reads
// only while they are what is stored: after this store's writes, a
// transaction rolled back, another store's or another connection's
// writes to the same file, each read in the writer's transactions finds
// the contact as committed.
func TestKeptContacts(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	const address, otherAddress = "5491100000001", "5491100000002"
	errUndo := errors.New("undo")
	// rolledBack runs fn, which ends by returning errUndo, in a
	// transaction that is then rolled back.
	rolledBack := func(t *testing.T, db *DB, fn func(q carillon.Queries) error) {
		if err := db.InTx(ctx, fn); !errors.Is(err, errUndo) {
			t.Fatalf("InTx = %v, want %v", err, errUndo)
		}
	}
	for _, tc := range []struct {
		name string
		// change runs after the contact was read, and kept, once.
		change func(t *testing.T, db *DB, dir string, c carillon.Contact)
		// want is the name read by id and by each address afterwards,
		// "" for not found.
		wantByID, wantAtAddress, wantAtOther string
		// notKept: the contact is read from its row every time.
		notKept bool
	}{
		{"unchanged", func(*testing.T, *DB, string, carillon.Contact) {}, "Ada", "Ada", "", false},
		{"renamed by this store", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			c.Name = "Bea"
			c.CreatedAt = c.CreatedAt.Add(time.Hour) // not a column an update writes
			must(t, db.UpdateContact(ctx, &c))
		}, "Bea", "Bea", "", false},
		{"renamed from what the writer read", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			must(t, db.InTx(ctx, func(q carillon.Queries) error {
				was, err := q.ContactByID(ctx, c.AccountID, c.ID)
				if err != nil {
					return err
				}
				c := was
				c.Name = "Bea"
				return q.UpdateContactFrom(ctx, was, &c)
			}))
		}, "Bea", "Bea", "", false},
		{"renamed from an earlier read", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			was := c
			c.Note = "seen since"
			must(t, db.UpdateContact(ctx, &c))
			// was has the note as it was: the rename is refused, and
			// nothing of was is kept.
			renamed := was
			renamed.Name = "Bea"
			err := db.InTx(ctx, func(q carillon.Queries) error { return q.UpdateContactFrom(ctx, was, &renamed) })
			if !errors.Is(err, carillon.ErrStale) {
				t.Errorf("rename from an earlier read = %v, want %v", err, carillon.ErrStale)
			}
		}, "Ada", "Ada", "", false},
		{"renamed by a transaction rolled back", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			rolledBack(t, db, func(q carillon.Queries) error {
				c.Name = "Bea"
				if err := q.UpdateContact(ctx, &c); err != nil {
					return err
				}
				// Read in the transaction that wrote it: its own write.
				if got, err := q.ContactByID(ctx, c.AccountID, c.ID); err != nil || got.Name != "Bea" {
					t.Errorf("in the transaction that renamed it: %q, %v; want Bea", got.Name, err)
				}
				return errUndo
			})
		}, "Ada", "Ada", "", false},
		{"made by a transaction rolled back", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			rolledBack(t, db, func(q carillon.Queries) error {
				made := carillon.Contact{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, Address: otherAddress,
					Name: "Cy", ConversationUUID: carillon.NewUUID(), CreatedAt: testNow, UpdatedAt: testNow}
				if err := q.CreateContact(ctx, &made); err != nil {
					return err
				}
				if got, err := q.ContactByAddress(ctx, c.ChannelID, otherAddress); err != nil || got.ID != made.ID {
					t.Errorf("in the transaction that made it: contact %d, %v; want %d", got.ID, err, made.ID)
				}
				return errUndo
			})
		}, "Ada", "Ada", "", false},
		{"renamed by another store on the same file", func(t *testing.T, _ *DB, dir string, c carillon.Contact) {
			other, err := OpenSQLite(ctx, dir, plainSealer{})
			must(t, err)
			defer other.Close()
			c.Name = "Bea"
			must(t, other.UpdateContact(ctx, &c))
		}, "Bea", "Bea", "", false},
		{"renamed by another connection to the file", func(t *testing.T, _ *DB, dir string, c carillon.Contact) {
			raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, SQLiteFile)+"?_pragma=busy_timeout(10000)")
			must(t, err)
			defer raw.Close()
			_, err = raw.ExecContext(ctx, "UPDATE contacts SET name = 'Bea' WHERE id = ?", c.ID)
			must(t, err)
		}, "Bea", "Bea", "", false},
		{"given a note longer than a kept contact's texts", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			c.Note = strings.Repeat("n", maxKeptContactText)
			must(t, db.UpdateContact(ctx, &c))
		}, "Ada", "Ada", "", true},
		{"moved to another address", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			c.Address = otherAddress
			must(t, db.UpdateContact(ctx, &c))
		}, "Ada", "", "Ada", false},
		{"deleted", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			must(t, db.DeleteContact(ctx, c.AccountID, c.ID))
		}, "", "", "", false},
		{"deleted, and another made at its address in the same transaction", func(t *testing.T, db *DB, _ string, c carillon.Contact) {
			must(t, db.InTx(ctx, func(q carillon.Queries) error {
				if err := q.DeleteContact(ctx, c.AccountID, c.ID); err != nil {
					return err
				}
				next := carillon.Contact{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, Address: address,
					Name: "Cy", ConversationUUID: carillon.NewUUID(), CreatedAt: testNow, UpdatedAt: testNow}
				if err := q.CreateContact(ctx, &next); err != nil {
					return err
				}
				if got, err := q.ContactByAddress(ctx, c.ChannelID, address); err != nil || got.ID != next.ID {
					t.Errorf("in the transaction: contact %d at the address, %v; want %d", got.ID, err, next.ID)
				}
				return nil
			}))
			// SQLite gives the new row the id the deleted one had, its
			// largest: what was kept for that id must not answer.
		}, "Cy", "Cy", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db, err := OpenSQLite(ctx, dir, plainSealer{})
			must(t, err)
			t.Cleanup(func() { db.Close() })
			a, ch := newAccountAndChannel(t, db)
			// Times finer than the store's milliseconds, as the service
			// writes them.
			now := testNow.Add(123456 * time.Nanosecond)
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Address: address, Name: "Ada",
				ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: now, LastMessageAt: now, CreatedAt: now, UpdatedAt: now}
			must(t, db.CreateContact(ctx, &c))
			names := func() (byID, atAddress, atOther string) {
				name := func(c carillon.Contact, err error) string {
					if errors.Is(err, carillon.ErrNotFound) {
						return ""
					}
					must(t, err)
					return c.Name
				}
				must(t, db.InTx(ctx, func(q carillon.Queries) error {
					byID = name(q.ContactByID(ctx, a.ID, c.ID))
					atAddress = name(q.ContactByAddress(ctx, ch.ID, address))
					atOther = name(q.ContactByAddress(ctx, ch.ID, otherAddress))
					if _, err := q.ContactByID(ctx, a.ID+1, c.ID); !errors.Is(err, carillon.ErrNotFound) {
						t.Errorf("read as another account's: %v, want %v", err, carillon.ErrNotFound)
					}
					return nil
				}))
				return
			}
			names()
			if _, kept := db.contacts.byID[c.ID]; !kept {
				t.Fatal("the contact read in the writer's transaction was not kept")
			}
			tc.change(t, db, dir, c)
			for range 2 { // the first reads may keep the contact again
				byID, atAddress, atOther := names()
				if byID != tc.wantByID || atAddress != tc.wantAtAddress || atOther != tc.wantAtOther {
					t.Errorf("by id %q, at the address %q, at the other %q; want %q, %q, %q",
						byID, atAddress, atOther, tc.wantByID, tc.wantAtAddress, tc.wantAtOther)
				}
			}
			// The readers keep nothing: what they read is stored.
			stored, err := db.ContactByID(ctx, a.ID, c.ID)
			if (err == nil) != (tc.wantByID != "") || stored.Name != tc.wantByID {
				t.Errorf("stored: %q, %v; the writer read %q", stored.Name, err, tc.wantByID)
			}
			kept, ok := db.contacts.byID[c.ID]
			if ok && !reflect.DeepEqual(kept, stored) {
				t.Errorf("kept %+v\nstored %+v", kept, stored)
			}
			if ok && tc.notKept {
				t.Error("the contact is kept")
			}
		})
	}
}
