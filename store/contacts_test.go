package store

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/carillon/carillon"
)

// TestDeletedContactMessageCount: a contact deleted with its messages
// leaves no row of their number behind (contact_message_counts), a contact
// without messages has none, and one with messages has one.
func TestDeletedContactMessageCount(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, ch := newAccountAndChannel(t, db)
		contact := func(address string, messages int) carillon.Contact {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Address: address,
				ConversationUUID: carillon.NewUUID(), CreatedAt: testNow, UpdatedAt: testNow}
			must(t, db.CreateContact(ctx, &c))
			for range messages {
				m := carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
					Direction: carillon.Inbound, Type: carillon.TypeText, Status: carillon.StatusReceived, CreatedAt: testNow, UpdatedAt: testNow}
				must(t, db.CreateMessage(ctx, &m))
			}
			return c
		}
		rows := func(c carillon.Contact) int {
			var n int
			must(t, db.queryRow(ctx, "SELECT COUNT(*) FROM contact_message_counts WHERE contact_id = ?", c.ID).Scan(&n))
			return n
		}
		kept, none, gone := contact("5491100000001", 2), contact("5491100000002", 0), contact("5491100000003", 3)
		must(t, db.DeleteContact(ctx, a.ID, gone.ID))
		for _, c := range []struct {
			what     string
			contact  carillon.Contact
			wantRows int
		}{{"a contact with messages", kept, 1}, {"a contact without", none, 0}, {"a deleted contact", gone, 0}} {
			if n := rows(c.contact); n != c.wantRows {
				t.Errorf("%s: %d rows of its number of messages, want %d", c.what, n, c.wantRows)
			}
		}
	})
}

// TestDeletedTagBlocks: a deleted tag's counts by block go with it, also
// those of another account's contacts that carried it, so that no row
// outlives its tag.
func TestDeletedTagBlocks(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a, chA := newAccountAndChannel(t, db)
		b := carillon.Account{UUID: carillon.NewUUID(), Name: "b", CreatedAt: testNow}
		must(t, db.CreateAccount(ctx, &b))
		chB := carillon.Channel{UUID: carillon.NewUUID(), AccountID: b.ID, Title: "wa", Type: carillon.WhatsApp,
			Provider: carillon.ProviderSandbox, Main: true, CreatedAt: testNow, UpdatedAt: testNow}
		must(t, db.CreateChannel(ctx, &chB))
		tag := carillon.Tag{AccountID: a.ID, Name: "vip", CreatedAt: testNow}
		must(t, db.CreateTag(ctx, &tag))
		for i, ch := range []carillon.Channel{chA, chB, chA} {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Address: fmt.Sprintf("549110000000%d", i),
				ConversationUUID: carillon.NewUUID(), CreatedAt: testNow, UpdatedAt: testNow}
			must(t, db.CreateContact(ctx, &c))
			must(t, db.SetContactTags(ctx, c.ID, []int64{tag.ID}))
		}
		rows := func() []int64 {
			accounts, err := list(db.queries, ctx, scanID, "SELECT DISTINCT account_id FROM tag_blocks WHERE tag_id = ? AND contacts <> 0 ORDER BY account_id", tag.ID)
			must(t, err)
			return accounts
		}
		if got := rows(); !slices.Equal(got, []int64{a.ID, b.ID}) {
			t.Fatalf("before the delete, the tag is counted by block under accounts %v, want %v", got, []int64{a.ID, b.ID})
		}
		_, err := db.DeleteTag(ctx, a.ID, tag.ID)
		must(t, err)
		if got := rows(); len(got) > 0 {
			t.Errorf("after the delete, the tag is still counted by block under accounts %v", got)
		}
	})
}
