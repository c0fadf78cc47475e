package storetest

import (
	"errors"
	"testing"

	"github.com/carillon/carillon"
)

// testInvalidText checks what a store does when given text that is not
// valid UTF-8 or holds a NUL character. The rules never pass such text
// (the API refuses it, provider payloads are cleaned), but PostgreSQL
// would refuse it with an error of its own and SQLite would keep it: both
// stores refuse the statement with ErrInvalidText instead, write nothing,
// and keep any other text, control characters included, as it is.
func testInvalidText(t *testing.T, e *env) {
	f := e.fixture("a")
	for _, bad := range []string{"Ana\x00", "\xff", "a\xc3"} {
		c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, Address: "5491100000002",
			Name: bad, ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
		if err := e.s.CreateContact(e.ctx, &c); !errors.Is(err, carillon.ErrInvalidText) {
			t.Errorf("CreateContact with name %q: %v, want ErrInvalidText", bad, err)
		}
		upd := f.contact
		upd.Note = bad
		if err := e.s.UpdateContact(e.ctx, &upd); !errors.Is(err, carillon.ErrInvalidText) {
			t.Errorf("UpdateContact with note %q: %v, want ErrInvalidText", bad, err)
		}
		if _, err := e.s.ContactByUUID(e.ctx, f.acct.ID, bad); !errors.Is(err, carillon.ErrInvalidText) {
			t.Errorf("ContactByUUID(%q): %v, want ErrInvalidText", bad, err)
		}
		if _, err := e.s.ChannelForCallback(e.ctx, bad); !errors.Is(err, carillon.ErrInvalidText) {
			t.Errorf("ChannelForCallback(%q): %v, want ErrInvalidText", bad, err)
		}
		// In a transaction, the refusal fails it: nothing it did is kept.
		err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
			ok := carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, Address: "5491100000003",
				ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
			if err := q.CreateContact(e.ctx, &ok); err != nil {
				return err
			}
			c := c
			c.UUID = carillon.NewUUID()
			return q.CreateContact(e.ctx, &c)
		})
		if !errors.Is(err, carillon.ErrInvalidText) {
			t.Errorf("InTx with name %q: %v, want ErrInvalidText", bad, err)
		}
	}
	_, n, err := e.s.ListContacts(e.ctx, f.acct.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListContacts")
	check(t, "contacts after the refusals", n, 1)
	got, err := e.s.ContactByUUID(e.ctx, f.acct.ID, f.contact.UUID)
	e.must(err, "ContactByUUID")
	check(t, "note after the refusals", got.Note, f.contact.Note)

	// Valid text is kept byte for byte, whatever it holds.
	good := f.contact
	good.Name, good.Note = "Zoë 👋\u200b\x01\t\uFFFD", "line\nbreak"
	e.must(e.s.UpdateContact(e.ctx, &good), "UpdateContact with valid text")
	got, err = e.s.ContactByUUID(e.ctx, f.acct.ID, f.contact.UUID)
	e.must(err, "ContactByUUID")
	check(t, "name", got.Name, good.Name)
	check(t, "note", got.Note, good.Note)
}
