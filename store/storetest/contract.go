package storetest

import (
	"testing"

	"github.com/carillon/carillon"
)

// The contract every aggregate keeps: missing rows and other tenants' rows
// are not found, unique keys conflict.

func testNotFound(t *testing.T, e *env) {
	fa, fb := e.fixture("a"), e.fixture("b")
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: fa.acct.ID, Email: "u@example.com", Name: "U", CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")
	bsuidContact := carillon.Contact{UUID: carillon.NewUUID(), AccountID: fa.acct.ID, ChannelID: fa.channel.ID, BSUID: "AR.1", CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateContact(e.ctx, &bsuidContact), "CreateContact")
	fa.message.ExternalID = "wamid.A"
	e.must(e.s.UpdateMessage(e.ctx, &fa.message), "UpdateMessage")
	const missing = 1 << 40
	ctx, s, A, B := e.ctx, e.s, fa.acct.ID, fb.acct.ID

	cases := []struct {
		name string
		call func() error
	}{
		{"AccountByID missing", func() error { _, err := s.AccountByID(ctx, missing); return err }},
		{"AccountByName missing", func() error { _, err := s.AccountByName(ctx, "nope"); return err }},
		{"UserByID missing", func() error { _, err := s.UserByID(ctx, A, missing); return err }},
		{"UserByID other account", func() error { _, err := s.UserByID(ctx, B, u.ID); return err }},
		{"UserByEmail missing", func() error { _, err := s.UserByEmail(ctx, A, "nope@example.com"); return err }},
		{"UserByEmail other account", func() error { _, err := s.UserByEmail(ctx, B, u.Email); return err }},
		{"RevokeAPIKey missing", func() error { return s.RevokeAPIKey(ctx, A, missing, base) }},
		{"ChannelByID missing", func() error { _, err := s.ChannelByID(ctx, missing); return err }},
		{"ChannelByUUID missing", func() error { _, err := s.ChannelByUUID(ctx, A, carillon.NewUUID()); return err }},
		{"ChannelByUUID other account", func() error { _, err := s.ChannelByUUID(ctx, B, fa.channel.UUID); return err }},
		{"ChannelsVersion missing account", func() error { _, err := s.ChannelsVersion(ctx, missing); return err }},
		{"MainChannel missing account", func() error { _, err := s.MainChannel(ctx, missing, carillon.WhatsApp); return err }},
		{"ContactByID missing", func() error { _, err := s.ContactByID(ctx, A, missing); return err }},
		{"ContactByID other account", func() error { _, err := s.ContactByID(ctx, B, fa.contact.ID); return err }},
		{"ContactByUUID missing", func() error { _, err := s.ContactByUUID(ctx, A, carillon.NewUUID()); return err }},
		{"ContactByUUID other account", func() error { _, err := s.ContactByUUID(ctx, B, fa.contact.UUID); return err }},
		{"ContactByAddress missing", func() error { _, err := s.ContactByAddress(ctx, fa.channel.ID, "1"); return err }},
		{"ContactByAddress other channel", func() error {
			_, err := s.ContactByAddress(ctx, missing, fa.contact.Address)
			return err
		}},
		{"ContactByAddress empty", func() error { _, err := s.ContactByAddress(ctx, fa.channel.ID, ""); return err }},
		{"ContactByBSUID missing", func() error { _, err := s.ContactByBSUID(ctx, fa.channel.ID, "AR.2"); return err }},
		{"ContactByBSUID other channel", func() error { _, err := s.ContactByBSUID(ctx, fb.channel.ID, "AR.1"); return err }},
		{"ContactByBSUID empty", func() error { _, err := s.ContactByBSUID(ctx, fa.channel.ID, ""); return err }},
		{"MessageByID missing", func() error { _, err := s.MessageByID(ctx, A, missing); return err }},
		{"MessageByID other account", func() error { _, err := s.MessageByID(ctx, B, fa.message.ID); return err }},
		{"MessageByUUID missing", func() error { _, err := s.MessageByUUID(ctx, A, carillon.NewUUID()); return err }},
		{"MessageByUUID other account", func() error { _, err := s.MessageByUUID(ctx, B, fa.message.UUID); return err }},
		{"MessageByExternalID missing", func() error { _, err := s.MessageByExternalID(ctx, fa.channel.ID, "wamid.Z"); return err }},
		{"MessageByExternalID other channel", func() error {
			_, err := s.MessageByExternalID(ctx, fb.channel.ID, "wamid.A")
			return err
		}},
		{"MessageByExternalID empty", func() error { _, err := s.MessageByExternalID(ctx, fb.channel.ID, ""); return err }},
		{"IdempotencyRecord missing", func() error { _, err := s.IdempotencyRecord(ctx, A, "k"); return err }},
	}
	for _, tc := range cases {
		wantErr(t, tc.name, tc.call(), carillon.ErrNotFound)
	}
}

func testConflicts(t *testing.T, e *env) {
	fa, fb := e.fixture("a"), e.fixture("b")
	ctx, s := e.ctx, e.s
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: fa.acct.ID, Email: "u@example.com", Name: "U", CreatedAt: base}
	e.must(s.CreateUser(ctx, &u), "CreateUser")
	k := carillon.APIKey{AccountID: fa.acct.ID, Name: "k", Prefix: "p", Hash: "hash-1", CreatedAt: base}
	e.must(s.CreateAPIKey(ctx, &k), "CreateAPIKey")
	withBSUID := carillon.Contact{UUID: carillon.NewUUID(), AccountID: fa.acct.ID, ChannelID: fa.channel.ID, BSUID: "AR.1", CreatedAt: base, UpdatedAt: base}
	e.must(s.CreateContact(ctx, &withBSUID), "CreateContact")
	fa.message.ExternalID = "wamid.A"
	e.must(s.UpdateMessage(ctx, &fa.message), "UpdateMessage")
	ch2 := e.channel(fa.acct.ID, carillon.WhatsApp, false)

	contact := func(ch carillon.Channel, address, bsuid string) *carillon.Contact {
		return &carillon.Contact{UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Address: address, BSUID: bsuid, CreatedAt: base, UpdatedAt: base}
	}
	message := func(c carillon.Contact, external string) *carillon.Message {
		return &carillon.Message{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: carillon.Inbound, Type: carillon.TypeText, Status: carillon.StatusReceived, ExternalID: external, CreatedAt: base, UpdatedAt: base}
	}
	cases := []struct {
		name     string
		call     func() error
		conflict bool // false: allowed
	}{
		{"account name", func() error {
			return s.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "a", CreatedAt: base})
		}, true},
		{"account uuid", func() error {
			return s.CreateAccount(ctx, &carillon.Account{UUID: fa.acct.UUID, Name: "c", CreatedAt: base})
		}, true},
		{"user email in the account", func() error {
			return s.CreateUser(ctx, &carillon.User{UUID: carillon.NewUUID(), AccountID: fa.acct.ID, Email: u.Email, CreatedAt: base})
		}, true},
		{"user email in another account", func() error {
			return s.CreateUser(ctx, &carillon.User{UUID: carillon.NewUUID(), AccountID: fb.acct.ID, Email: u.Email, CreatedAt: base})
		}, false},
		{"api key hash", func() error {
			return s.CreateAPIKey(ctx, &carillon.APIKey{AccountID: fa.acct.ID, Name: "k2", Prefix: "p", Hash: k.Hash, CreatedAt: base})
		}, true},
		{"api key hash in another account", func() error {
			return s.CreateAPIKey(ctx, &carillon.APIKey{AccountID: fb.acct.ID, Name: "k", Prefix: "p", Hash: k.Hash, CreatedAt: base})
		}, true},
		{"channel uuid", func() error {
			c := fa.channel
			c.ID = 0
			return s.CreateChannel(ctx, &c)
		}, true},
		{"contact address on the channel", func() error { return s.CreateContact(ctx, contact(fa.channel, fa.contact.Address, "")) }, true},
		{"contact address on another channel", func() error { return s.CreateContact(ctx, contact(ch2, fa.contact.Address, "")) }, false},
		{"contact bsuid on the channel", func() error { return s.CreateContact(ctx, contact(fa.channel, "5491155555555", "AR.1")) }, true},
		{"contact bsuid on another channel", func() error { return s.CreateContact(ctx, contact(ch2, "", "AR.1")) }, false},
		{"contact uuid", func() error {
			c := contact(ch2, "5491177777777", "")
			c.UUID = fa.contact.UUID
			return s.CreateContact(ctx, c)
		}, true},
		{"message external id on the channel", func() error { return s.CreateMessage(ctx, message(fa.contact, "wamid.A")) }, true},
		{"message external id on another channel", func() error { return s.CreateMessage(ctx, message(fb.contact, "wamid.A")) }, false},
		{"message without external id", func() error { return s.CreateMessage(ctx, message(fa.contact, "")) }, false},
		{"message uuid", func() error {
			m := message(fa.contact, "")
			m.UUID = fa.message.UUID
			return s.CreateMessage(ctx, m)
		}, true},
	}
	for _, tc := range cases {
		err := tc.call()
		switch {
		case tc.conflict:
			wantErr(t, tc.name, err, carillon.ErrConflict)
		case err != nil:
			t.Errorf("%s: %v, want it allowed", tc.name, err)
		}
	}

	// Refused writes left nothing behind.
	accts, err := s.ListAccounts(ctx)
	e.must(err, "ListAccounts")
	if len(accts) != 2 {
		t.Errorf("%d accounts after refused creations, want 2", len(accts))
	}
	keys, err := s.ListAPIKeys(ctx, fa.acct.ID)
	e.must(err, "ListAPIKeys")
	if len(keys) != 1 {
		t.Errorf("%d keys after a refused creation, want 1", len(keys))
	}
	chans, err := s.AllChannels(ctx, fa.acct.ID)
	e.must(err, "AllChannels")
	if len(chans) != 2 {
		t.Errorf("%d channels after a refused creation, want 2", len(chans))
	}
	got, err := s.ContactByAddress(ctx, fa.channel.ID, fa.contact.Address)
	e.must(err, "ContactByAddress")
	check(t, "contact after a refused duplicate", got, fa.contact)
	gotM, err := s.MessageByExternalID(ctx, fa.channel.ID, "wamid.A")
	e.must(err, "MessageByExternalID")
	check(t, "message after a refused duplicate", gotM, fa.message)
}
