package service_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// changedAfterRead is a store whose first read of a contact by address in
// a transaction is followed, before the transaction goes on, by another
// transaction's change of that contact, committed: what an agent's
// assignment on another instance (or through another writer) does between
// a send's or an inbound message's read of its contact and its write.
type changedAfterRead struct {
	carillon.Store
	once      sync.Once
	meanwhile func(c carillon.Contact)
}

func (s *changedAfterRead) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	return s.Store.InTx(ctx, func(q carillon.Queries) error { return fn(readThenChanged{q, s}) })
}

type readThenChanged struct {
	carillon.Queries
	s *changedAfterRead
}

func (q readThenChanged) ContactByAddress(ctx context.Context, channelID int64, address string) (carillon.Contact, error) {
	c, err := q.Queries.ContactByAddress(ctx, channelID, address)
	if err == nil {
		q.s.once.Do(func() { q.s.meanwhile(c) })
	}
	return c, err
}

// TestContactChangedMeanwhile: a send or an inbound message whose contact
// another transaction changed between the unit's read and its write keeps
// that change, and makes its own on the contact as it is now: an
// assignment stays, a conversation closed meanwhile is opened again by the
// new message. Only PostgreSQL interleaves transactions so: SQLite's writer
// holds the database from a transaction's first read to its commit.
func TestContactChangedMeanwhile(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		if !open().Shared() {
			t.Skip("SQLite's writer runs one transaction at a time, from its first read")
		}
		for _, tc := range []struct {
			name      string
			meanwhile func(c *carillon.Contact)
			want      func(t *testing.T, c carillon.Contact)
		}{
			{"assigned", func(c *carillon.Contact) { c.AssignedUserID = 7 }, func(t *testing.T, c carillon.Contact) {
				if c.AssignedUserID != 7 {
					t.Errorf("assignee %d, want the one assigned meanwhile (7)", c.AssignedUserID)
				}
			}},
			{"closed", func(c *carillon.Contact) { c.ClosedAt, c.ClosingReason = time.Now(), "solved" }, func(t *testing.T, c carillon.Contact) {
				if !c.ConversationOpen() {
					t.Errorf("conversation closed at %v (%q), want it opened again by the new message", c.ClosedAt, c.ClosingReason)
				}
			}},
			{"noted", func(c *carillon.Contact) { c.Note = "written meanwhile" }, func(t *testing.T, c carillon.Contact) {
				if c.Note != "written meanwhile" {
					t.Errorf("note %q, want the one written meanwhile", c.Note)
				}
			}},
		} {
			for _, unit := range []string{"send", "receive"} {
				t.Run(tc.name+"/"+unit, func(t *testing.T) {
					ctx := context.Background()
					db := open()
					changing := &changedAfterRead{Store: db}
					svc := testrig.Service(t, service.Options{Store: changing, Registry: providers})
					acct := testrig.DefaultAccount(t, svc)
					ch, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
					if err != nil {
						t.Fatal(err)
					}
					// The contact first, with the customer's message:
					// its window is open for the send.
					in := carillon.InboundMessage{ChannelID: ch.ID, From: "31612345678", ExternalID: "wamid.first",
						Type: "text", Content: carillon.Content{Text: "hi"}}
					if _, err := svc.Messages.Receive(ctx, ch, in); err != nil {
						t.Fatal(err)
					}
					changing.meanwhile = func(c carillon.Contact) {
						tc.meanwhile(&c)
						c.UpdatedAt = time.Now()
						if err := db.UpdateContact(ctx, &c); err != nil {
							t.Errorf("the change meanwhile: %v", err)
						}
					}
					var m carillon.Message
					if unit == "send" {
						res, err := svc.Messages.Send(ctx, acct.Principal, text(in.From, "hello"))
						if err != nil {
							t.Fatal(err)
						}
						m = res.Message
					} else {
						in.ExternalID = "wamid.second"
						if m, err = svc.Messages.Receive(ctx, ch, in); err != nil {
							t.Fatal(err)
						}
					}
					c, err := db.ContactByAddress(ctx, ch.ID, in.From)
					if err != nil {
						t.Fatal(err)
					}
					tc.want(t, c)
					if c.LastMessageAt.Before(m.CreatedAt.Truncate(time.Millisecond)) {
						t.Errorf("contact's last message at %v, before the new message (%v)", c.LastMessageAt, m.CreatedAt)
					}
					if _, n, err := db.ContactMessages(ctx, acct.ID, c.ID, carillon.Page{Number: 1, Size: 10}); err != nil || n != 2 {
						t.Errorf("the contact has %d messages (%v), want 2: the new one stored once", n, err)
					}
				})
			}
		}
	})
}
