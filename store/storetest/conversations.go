package storetest

import (
	"errors"
	"testing"

	"github.com/carillon/carillon"
)

// testContactByConversation: a conversation's uuid finds its contact in its
// own account only (the console's /chat/{uuid}).
func testContactByConversation(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	cha, chb := e.channel(a.ID, carillon.WhatsApp, true), e.channel(b.ID, carillon.WhatsApp, true)
	ca := e.contact(cha, "15550000001")
	e.contact(cha, "15550000002")
	cb := e.contact(chb, "15550000001")

	got, err := e.s.ContactByConversation(e.ctx, a.ID, ca.ConversationUUID)
	e.must(err, "ContactByConversation")
	if got.ID != ca.ID || got.ConversationUUID != ca.ConversationUUID {
		t.Errorf("ContactByConversation(%s) = contact %d, want %d", ca.ConversationUUID, got.ID, ca.ID)
	}
	for _, tc := range []struct {
		what      string
		accountID int64
		uuid      string
	}{
		{"another account's conversation", a.ID, cb.ConversationUUID},
		{"a conversation of the account, asked by another", b.ID, ca.ConversationUUID},
		{"an unknown uuid", a.ID, carillon.NewUUID()},
		{"an empty uuid", a.ID, ""},
	} {
		if _, err := e.s.ContactByConversation(e.ctx, tc.accountID, tc.uuid); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("ContactByConversation with %s: %v, want ErrNotFound", tc.what, err)
		}
	}
}
