package store

import (
	"context"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// A prune deletes its changes pruneChunk at a time, each chunk in a
// transaction of its own that moves PrunedThrough, so that one prune of a
// minute's changes does not hold the writer that every send waits for.
func TestPruneChatChangesByChunks(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		for range 10 {
			if err := db.AddChatChange(ctx, carillon.ChatChange{AccountID: 1, Kind: carillon.EventMessageCreated, ContactID: 1,
				ContactUUID: "c1", ConversationUUID: "c1", CreatedAt: time.UnixMilli(1_000_000)}); err != nil {
				t.Fatal(err)
			}
		}
		// pruneChunk is 3 in the package's tests (TestMain).
		for _, want := range []struct{ end, deleted int64 }{{3, 3}, {6, 3}, {9, 3}, {10, 1}} {
			l, err := db.ChatChangeLog(ctx)
			if err != nil {
				t.Fatal(err)
			}
			end, deleted, err := db.pruneChatChangesChunk(ctx, l.PrunedThrough, 10)
			if err != nil {
				t.Fatal(err)
			}
			if l, err = db.ChatChangeLog(ctx); err != nil {
				t.Fatal(err)
			}
			if end != want.end || deleted != want.deleted || l.PrunedThrough != want.end {
				t.Errorf("a chunk after %d: ended at %d with %d deleted, pruned through %d; want %d, %d, %d",
					want.end-want.deleted, end, deleted, l.PrunedThrough, want.end, want.deleted, want.end)
			}
		}
		left, err := db.ChatChanges(ctx, 0, 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(left) != 0 {
			t.Errorf("%d changes left after pruning through the last, want none", len(left))
		}
	})
}
