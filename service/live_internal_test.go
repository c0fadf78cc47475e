package service

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/store"
)

// TestLiveStreamPastItsBuffer: a tab that does not take its changes as
// fast as they come misses none of them: past its buffer, its stream
// reads them from the store.
func TestLiveStreamPastItsBuffer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	box, err := secretbox.New(bytes.Repeat([]byte{1}, secretbox.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenSQLite(ctx, t.TempDir(), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s := New(Options{Store: db})
	t.Cleanup(s.Close)
	acct := carillon.Account{ID: 1}
	st, err := s.Live.Subscribe(ctx, Principal{Account: acct}, Viewer{Role: carillon.RoleAdmin}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)

	const n = 2*liveBuffer + 10
	err = db.InTx(ctx, func(q carillon.Queries) error {
		for i := range n {
			c := carillon.ChatChange{AccountID: acct.ID, Kind: carillon.EventMessageCreated, ContactID: int64(i), ContactUUID: carillon.NewUUID(),
				ConversationUUID: carillon.NewUUID(), CreatedAt: time.Now()}
			if err := q.AddChatChange(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	changes, err := db.ChatChanges(ctx, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	handed, err := s.withPresence(ctx, changes)
	if err != nil {
		t.Fatal(err)
	}
	st.push(handed)
	st.mu.Lock()
	replay, pending := st.replay, len(st.pending)
	st.mu.Unlock()
	if !replay || pending != 0 {
		t.Fatalf("past its buffer, a stream holds %d changes and reads the store: %v", pending, replay)
	}

	var last int64
	for last < n {
		next, cancel := context.WithTimeout(ctx, 20*time.Second)
		evs, err := st.Next(next)
		cancel()
		if err != nil {
			t.Fatalf("after change %d: %v", last, err)
		}
		for _, e := range evs {
			if e.ID != last+1 {
				t.Fatalf("change %d after change %d", e.ID, last)
			}
			last = e.ID
		}
	}
}
