package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Idempotency records (store/idempotency.go).

func testIdempotency(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	r := carillon.IdempotencyRecord{AccountID: a.ID, Key: "key-1", RequestHash: strings.Repeat("ab", 32),
		MessageUUID: carillon.NewUUID(), Fields: `{"to":"x","fields":"a,b"}`, CreatedAt: sloppy(at(time.Minute))}
	e.must(e.s.SaveIdempotencyRecord(e.ctx, r), "SaveIdempotencyRecord")
	want := r
	want.CreatedAt = norm(r.CreatedAt)
	got, err := e.s.IdempotencyRecord(e.ctx, a.ID, "key-1")
	e.must(err, "IdempotencyRecord")
	check(t, "IdempotencyRecord", got, want)
	_, err = e.s.IdempotencyRecord(e.ctx, b.ID, "key-1")
	wantErr(t, "IdempotencyRecord of another account", err, carillon.ErrNotFound)
	_, err = e.s.IdempotencyRecord(e.ctx, a.ID, "key-2")
	wantErr(t, "IdempotencyRecord of a missing key", err, carillon.ErrNotFound)

	// The same key in another account is another record.
	rb := carillon.IdempotencyRecord{AccountID: b.ID, Key: "key-1", RequestHash: "h", MessageUUID: carillon.NewUUID(), CreatedAt: at(2 * time.Minute)}
	e.must(e.s.SaveIdempotencyRecord(e.ctx, rb), "SaveIdempotencyRecord")
	// Saving the same key again is a conflict: of two requests racing with
	// one key, only one may win.
	r2 := carillon.IdempotencyRecord{AccountID: a.ID, Key: "key-1", RequestHash: "other", MessageUUID: carillon.NewUUID(), Fields: "", CreatedAt: at(3 * time.Minute)}
	wantErr(t, "SaveIdempotencyRecord again", e.s.SaveIdempotencyRecord(e.ctx, r2), carillon.ErrConflict)
	got, err = e.s.IdempotencyRecord(e.ctx, a.ID, "key-1")
	e.must(err, "IdempotencyRecord")
	check(t, "IdempotencyRecord after a refused second save", got, want)
	_, err = e.s.DeleteIdempotencyRecords(e.ctx, at(2*time.Minute))
	e.must(err, "DeleteIdempotencyRecords")
	e.must(e.s.SaveIdempotencyRecord(e.ctx, r2), "SaveIdempotencyRecord once the first is gone")
	got, err = e.s.IdempotencyRecord(e.ctx, b.ID, "key-1")
	e.must(err, "IdempotencyRecord")
	check(t, "IdempotencyRecord of the other account", got, rb)

	old := carillon.IdempotencyRecord{AccountID: a.ID, Key: "key-old", RequestHash: "h", MessageUUID: carillon.NewUUID(), CreatedAt: base}
	e.must(e.s.SaveIdempotencyRecord(e.ctx, old), "SaveIdempotencyRecord")

	// Records made before the cut-off go; the one made at it stays.
	n, err := e.s.DeleteIdempotencyRecords(e.ctx, at(2*time.Minute))
	e.must(err, "DeleteIdempotencyRecords")
	if n != 1 {
		t.Errorf("DeleteIdempotencyRecords deleted %d records, want 1", n)
	}
	_, err = e.s.IdempotencyRecord(e.ctx, a.ID, "key-old")
	wantErr(t, "IdempotencyRecord of a deleted record", err, carillon.ErrNotFound)
	for _, k := range []carillon.IdempotencyRecord{r2, rb} {
		if _, err := e.s.IdempotencyRecord(e.ctx, k.AccountID, k.Key); err != nil {
			t.Errorf("IdempotencyRecord(%d, %s) after deleting older ones: %v", k.AccountID, k.Key, err)
		}
	}
	n, err = e.s.DeleteIdempotencyRecords(e.ctx, at(time.Hour))
	e.must(err, "DeleteIdempotencyRecords")
	if n != 2 {
		t.Errorf("DeleteIdempotencyRecords deleted %d records, want 2", n)
	}
	n, err = e.s.DeleteIdempotencyRecords(e.ctx, at(time.Hour))
	e.must(err, "DeleteIdempotencyRecords")
	if n != 0 {
		t.Errorf("DeleteIdempotencyRecords of nothing deleted %d records", n)
	}

	// Many records go, whatever the number a transaction deletes (the
	// store's own tests make it small).
	for i := range 7 {
		e.must(e.s.SaveIdempotencyRecord(e.ctx, carillon.IdempotencyRecord{AccountID: a.ID, Key: fmt.Sprintf("many-%d", i), RequestHash: "h",
			MessageUUID: carillon.NewUUID(), CreatedAt: at(time.Duration(i) * time.Second)}), "SaveIdempotencyRecord")
	}
	if n, err = e.s.DeleteIdempotencyRecords(e.ctx, at(time.Hour)); err != nil || n != 7 {
		t.Errorf("DeleteIdempotencyRecords of 7 records: %d deleted, %v; want 7", n, err)
	}

	// One key's record goes when made before the cut-off, and no other.
	for _, r := range []carillon.IdempotencyRecord{
		{AccountID: a.ID, Key: "one", RequestHash: "h", MessageUUID: carillon.NewUUID(), CreatedAt: at(time.Minute)},
		{AccountID: b.ID, Key: "one", RequestHash: "h", MessageUUID: carillon.NewUUID(), CreatedAt: at(time.Minute)},
		{AccountID: a.ID, Key: "two", RequestHash: "h", MessageUUID: carillon.NewUUID(), CreatedAt: at(time.Minute)},
	} {
		e.must(e.s.SaveIdempotencyRecord(e.ctx, r), "SaveIdempotencyRecord")
	}
	e.must(e.s.DeleteIdempotencyRecord(e.ctx, a.ID, "one", at(time.Minute)), "DeleteIdempotencyRecord at its time")
	if _, err := e.s.IdempotencyRecord(e.ctx, a.ID, "one"); err != nil {
		t.Errorf("IdempotencyRecord after deleting it before the time it was made: %v, want it kept", err)
	}
	e.must(e.s.DeleteIdempotencyRecord(e.ctx, a.ID, "one", at(2*time.Minute)), "DeleteIdempotencyRecord")
	_, err = e.s.IdempotencyRecord(e.ctx, a.ID, "one")
	wantErr(t, "IdempotencyRecord of the key deleted", err, carillon.ErrNotFound)
	for _, k := range []struct {
		account int64
		key     string
	}{{b.ID, "one"}, {a.ID, "two"}} {
		if _, err := e.s.IdempotencyRecord(e.ctx, k.account, k.key); err != nil {
			t.Errorf("IdempotencyRecord(%d, %s) after deleting another: %v", k.account, k.key, err)
		}
	}
}
