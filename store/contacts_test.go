package store

import (
	"context"
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
