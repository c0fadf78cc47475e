// Package storetest is the conformance suite of carillon.Store: every store
// implementation runs it (see store's sqlite_test.go and postgres_test.go) and
// must pass it unchanged.
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Opener returns a fresh, migrated, empty store; it arranges for the store
// to be closed (t.Cleanup). It may be called from parallel subtests.
type Opener = func(t *testing.T) carillon.Store

// base is the time the suite's objects are stamped with.
var base = time.UnixMilli(1700000000123).UTC()

// zone is a non-UTC zone: times handed to the store in it must come back in
// UTC.
var zone = time.FixedZone("UTC+05:30", 5*3600+30*60)

// at returns base moved by d.
func at(d time.Duration) time.Time { return base.Add(d) }

// sloppy returns t with sub-millisecond noise, in another zone: the store
// keeps times to the millisecond and gives them back in UTC.
func sloppy(t time.Time) time.Time { return t.Add(789 * time.Microsecond).In(zone) }

// norm is what the store gives back for a time it was given.
func norm(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return time.UnixMilli(t.UnixMilli()).UTC()
}

// Run runs the conformance suite. Every subtest opens its own store with open
// and runs in parallel with the others.
func Run(t *testing.T, open Opener) {
	tests := []struct {
		name string
		fn   func(t *testing.T, e *env)
	}{
		{"Accounts", testAccounts},
		{"TeamsAndUsers", testTeamsAndUsers},
		{"APIKeys", testAPIKeys},
		{"Channels", testChannels},
		{"MainChannel", testMainChannel},
		{"UpdateChannel", testUpdateChannel},
		{"ChannelAddress", testChannelAddress},
		{"Contacts", testContacts},
		{"UpdateContact", testUpdateContact},
		{"Messages", testMessages},
		{"UpdateMessage", testUpdateMessage},
		{"StatusHistory", testStatusHistory},
		{"Queue", testQueue},
		{"EarlierQueued", testEarlierQueued},
		{"Instances", testInstances},
		{"AdoptMessages", testAdoptMessages},
		{"Idempotency", testIdempotency},
		{"Users", testUsers},
		{"UserStatus", testUserStatus},
		{"Teams", testTeams},
		{"TeamMembers", testTeamMembers},
		{"Tags", testTags},
		{"ContactTags", testContactTags},
		{"CustomFields", testCustomFields},
		{"ContactFieldValues", testContactFieldValues},
		{"Templates", testTemplates},
		{"ListTemplates", testListTemplates},
		{"Funnels", testFunnels},
		{"CustomStatuses", testCustomStatuses},
		{"DeleteCustomStatus", testDeleteCustomStatus},
		{"ListContacts", testListContacts},
		{"ContactMessages", testContactMessages},
		{"DeleteContact", testDeleteContact},
		{"ResourcesInTx", testResourcesInTx},
		{"Webhooks", testWebhooks},
		{"WebhookEvents", testWebhookEvents},
		{"WebhookEventLog", testWebhookEventLog},
		{"WebhookEventBatches", testWebhookEventBatches},
		{"NotFound", testNotFound},
		{"Conflicts", testConflicts},
		{"InvalidText", testInvalidText},
		{"InTxCommit", testInTxCommit},
		{"InTxRollback", testInTxRollback},
		{"ConcurrentWrites", testConcurrentWrites},
		{"Ready", testReady},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 45*time.Second)
			t.Cleanup(cancel)
			tc.fn(t, &env{t: t, ctx: ctx, s: open(t)})
		})
	}
}

// env is one subtest's store with helpers to fill it.
type env struct {
	t   *testing.T
	ctx context.Context
	s   carillon.Store
}

func (e *env) must(err error, what string) {
	e.t.Helper()
	if err != nil {
		e.t.Fatalf("%s: %v", what, err)
	}
}

func (e *env) account(name string) carillon.Account {
	e.t.Helper()
	a := carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: base}
	e.must(e.s.CreateAccount(e.ctx, &a), "CreateAccount")
	return a
}

func (e *env) channel(accountID int64, typ carillon.ChannelType, main bool) carillon.Channel {
	e.t.Helper()
	c := carillon.Channel{
		UUID: carillon.NewUUID(), AccountID: accountID, Title: string(typ) + " channel", Type: typ,
		Provider: carillon.ProviderSandbox, Main: main, Settings: map[string]string{"mps": "5"},
		CreatedAt: base, UpdatedAt: base,
	}
	e.must(e.s.CreateChannel(e.ctx, &c), "CreateChannel")
	return c
}

func (e *env) contact(ch carillon.Channel, address string) carillon.Contact {
	e.t.Helper()
	c := carillon.Contact{
		UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Address: address,
		ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base,
	}
	e.must(e.s.CreateContact(e.ctx, &c), "CreateContact")
	return c
}

// message creates an outgoing text message to the contact, in send state st
// for owner.
func (e *env) message(c carillon.Contact, st carillon.SendState, owner string) carillon.Message {
	e.t.Helper()
	m := carillon.Message{
		UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
		Direction: carillon.Outbound, Type: carillon.TypeText, Content: carillon.Content{Text: "hello"},
		Status: carillon.StatusEnqueued, CreatedAt: base, UpdatedAt: base, SendState: st, Owner: owner,
	}
	if st == carillon.SendNone {
		m.Direction, m.Status = carillon.Inbound, carillon.StatusReceived
	}
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	return m
}

// fixture is one account with a channel, a contact and a message.
type fixture struct {
	acct    carillon.Account
	channel carillon.Channel
	contact carillon.Contact
	message carillon.Message
}

func (e *env) fixture(name string) fixture {
	e.t.Helper()
	var f fixture
	f.acct = e.account(name)
	f.channel = e.channel(f.acct.ID, carillon.WhatsApp, true)
	f.contact = e.contact(f.channel, "5491100000001")
	f.message = e.message(f.contact, carillon.SendQueued, "inst")
	return f
}

// Comparison helpers.

// check reports got ≠ want, naming the fields that differ.
func check(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Errorf("%s differs (got ≠ want):%s", what, d)
	}
}

func diff(got, want any) string {
	if reflect.DeepEqual(got, want) {
		return ""
	}
	g, w := reflect.ValueOf(got), reflect.ValueOf(want)
	if g.Kind() == reflect.Struct && g.Type() == w.Type() {
		var b strings.Builder
		for i := range g.NumField() {
			gf, wf := g.Field(i).Interface(), w.Field(i).Interface()
			if !reflect.DeepEqual(gf, wf) {
				fmt.Fprintf(&b, "\n\t%s: %s ≠ %s", g.Type().Field(i).Name, show(gf), show(wf))
			}
		}
		return b.String()
	}
	if g.Kind() == reflect.Slice && w.Kind() == reflect.Slice && g.Len() == w.Len() {
		var b strings.Builder
		for i := range g.Len() {
			if d := diff(g.Index(i).Interface(), w.Index(i).Interface()); d != "" {
				fmt.Fprintf(&b, "\n\t[%d]: %s", i, strings.ReplaceAll(d, "\n\t", "\n\t\t"))
			}
		}
		return b.String()
	}
	return fmt.Sprintf("\n\t%s ≠ %s", show(got), show(want))
}

func show(v any) string {
	switch v := v.(type) {
	case time.Time:
		if v.IsZero() {
			return "zero time"
		}
		return v.Format("2006-01-02T15:04:05.000000000 MST") + " (" + v.Location().String() + ")"
	case json.RawMessage:
		if v == nil {
			return "nil RawMessage"
		}
		return fmt.Sprintf("RawMessage(%q)", string(v))
	}
	return fmt.Sprintf("%#v", v)
}

// wantErr fails unless err is target.
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Errorf("%s: error %v, want %v", what, err, target)
	}
}

func ids(ms []carillon.Message) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

// Accounts, teams, users, API keys

func testAccounts(t *testing.T, e *env) {
	a := carillon.Account{UUID: carillon.NewUUID(), Name: "acme", CreatedAt: sloppy(base)}
	e.must(e.s.CreateAccount(e.ctx, &a), "CreateAccount")
	if a.ID == 0 {
		t.Fatal("CreateAccount left the ID 0")
	}
	want := a
	want.CreatedAt = norm(a.CreatedAt)

	got, err := e.s.AccountByID(e.ctx, a.ID)
	e.must(err, "AccountByID")
	check(t, "AccountByID", got, want)
	got, err = e.s.AccountByName(e.ctx, "acme")
	e.must(err, "AccountByName")
	check(t, "AccountByName", got, want)

	b := carillon.Account{UUID: carillon.NewUUID(), Name: "beta"} // no creation time
	e.must(e.s.CreateAccount(e.ctx, &b), "CreateAccount")
	if b.ID == a.ID {
		t.Fatalf("two accounts share the ID %d", a.ID)
	}
	got, err = e.s.AccountByID(e.ctx, b.ID)
	e.must(err, "AccountByID")
	check(t, "account without creation time", got, b)

	list, err := e.s.ListAccounts(e.ctx)
	e.must(err, "ListAccounts")
	check(t, "ListAccounts", list, []carillon.Account{want, b})
}

func testTeamsAndUsers(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	teams := []carillon.Team{
		{UUID: carillon.NewUUID(), AccountID: a.ID, Name: carillon.DefaultTeamName, Default: true, CreatedAt: sloppy(at(time.Second))},
		{UUID: carillon.NewUUID(), AccountID: a.ID, Name: "Sales", CreatedAt: sloppy(at(2 * time.Second))},
	}
	other := carillon.Team{UUID: carillon.NewUUID(), AccountID: b.ID, Name: "Support", Default: true, CreatedAt: base}
	for i := range teams {
		e.must(e.s.CreateTeam(e.ctx, &teams[i]), "CreateTeam")
		if teams[i].ID == 0 {
			t.Fatal("CreateTeam left the ID 0")
		}
	}
	e.must(e.s.CreateTeam(e.ctx, &other), "CreateTeam")
	var want []carillon.Team
	for _, tm := range teams {
		tm.CreatedAt = norm(tm.CreatedAt)
		want = append(want, tm)
	}
	got, err := e.s.ListTeams(e.ctx, a.ID)
	e.must(err, "ListTeams")
	check(t, "ListTeams", got, want)
	got, err = e.s.ListTeams(e.ctx, b.ID)
	e.must(err, "ListTeams")
	check(t, "ListTeams of the other account", got, []carillon.Team{other})
	got, err = e.s.ListTeams(e.ctx, b.ID+a.ID+100)
	e.must(err, "ListTeams")
	if len(got) != 0 {
		t.Errorf("ListTeams of a missing account: %d teams, want none", len(got))
	}

	u := carillon.User{UUID: carillon.NewUUID(), AccountID: a.ID, Email: "ana@example.com", Name: "Ana Núñez", CreatedAt: sloppy(at(time.Minute))}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")
	if u.ID == 0 {
		t.Fatal("CreateUser left the ID 0")
	}
	wantU := u
	wantU.CreatedAt = norm(u.CreatedAt)
	gotU, err := e.s.UserByID(e.ctx, a.ID, u.ID)
	e.must(err, "UserByID")
	check(t, "UserByID", gotU, wantU)
	gotU, err = e.s.UserByEmail(e.ctx, a.ID, "ana@example.com")
	e.must(err, "UserByEmail")
	check(t, "UserByEmail", gotU, wantU)

	// The same email in another account is another user.
	u2 := carillon.User{UUID: carillon.NewUUID(), AccountID: b.ID, Email: "ana@example.com", Name: "Ana B", CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u2), "CreateUser with an email of another account")
	gotU, err = e.s.UserByEmail(e.ctx, b.ID, "ana@example.com")
	e.must(err, "UserByEmail")
	check(t, "UserByEmail of the other account", gotU, u2)
}

func testAPIKeys(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: a.ID, Email: "u@example.com", Name: "U", CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")

	k1 := carillon.APIKey{AccountID: a.ID, Name: "ci", Prefix: "crln_0123abcd", Hash: strings.Repeat("a1", 32), CreatedAt: sloppy(base)}
	k2 := carillon.APIKey{AccountID: a.ID, UserID: u.ID, Name: "agent", Prefix: "crln_4567ef01", Hash: strings.Repeat("b2", 32),
		CreatedAt: sloppy(at(time.Second)), LastUsedAt: sloppy(at(time.Minute)), RevokedAt: sloppy(at(time.Hour))}
	kb := carillon.APIKey{AccountID: b.ID, Name: "other", Prefix: "crln_89abcdef", Hash: strings.Repeat("c3", 32), CreatedAt: base}
	for _, k := range []*carillon.APIKey{&k1, &k2, &kb} {
		e.must(e.s.CreateAPIKey(e.ctx, k), "CreateAPIKey")
		if k.ID == 0 {
			t.Fatal("CreateAPIKey left the ID 0")
		}
	}
	normKey := func(k carillon.APIKey) carillon.APIKey {
		k.CreatedAt, k.LastUsedAt, k.RevokedAt = norm(k.CreatedAt), norm(k.LastUsedAt), norm(k.RevokedAt)
		return k
	}
	got, err := e.s.APIKeyByHash(e.ctx, k1.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "APIKeyByHash", got, normKey(k1))
	if got.Revoked() || !got.LastUsedAt.IsZero() {
		t.Errorf("new key: revoked %v, last used %v", got.Revoked(), got.LastUsedAt)
	}
	got, err = e.s.APIKeyByHash(e.ctx, k2.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "APIKeyByHash (every field set)", got, normKey(k2))

	list, err := e.s.ListAPIKeys(e.ctx, a.ID)
	e.must(err, "ListAPIKeys")
	check(t, "ListAPIKeys", list, []carillon.APIKey{normKey(k1), normKey(k2)})
	list, err = e.s.ListAPIKeys(e.ctx, b.ID)
	e.must(err, "ListAPIKeys")
	check(t, "ListAPIKeys of the other account", list, []carillon.APIKey{normKey(kb)})

	// Revoking: not from another account, once only.
	wantErr(t, "RevokeAPIKey of another account's key", e.s.RevokeAPIKey(e.ctx, b.ID, k1.ID, at(time.Hour)), carillon.ErrNotFound)
	wantErr(t, "RevokeAPIKey of a missing key", e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID+k2.ID+kb.ID+100, at(time.Hour)), carillon.ErrNotFound)
	got, err = e.s.APIKeyByHash(e.ctx, k1.Hash)
	e.must(err, "APIKeyByHash")
	if got.Revoked() {
		t.Fatal("RevokeAPIKey with the wrong account revoked the key")
	}
	e.must(e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID, sloppy(at(2*time.Hour))), "RevokeAPIKey")
	wantErr(t, "RevokeAPIKey twice", e.s.RevokeAPIKey(e.ctx, a.ID, k1.ID, at(3*time.Hour)), carillon.ErrNotFound)
	got, err = e.s.APIKeyByHash(e.ctx, k1.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "revoked_at after revoking twice", got.RevokedAt, at(2*time.Hour))
	got, err = e.s.APIKeyByHash(e.ctx, kb.Hash)
	e.must(err, "APIKeyByHash")
	if got.Revoked() {
		t.Error("revoking a key revoked another account's key")
	}

	// Touching moves last_used forward only.
	touches := []struct {
		at   time.Time
		want time.Time
	}{
		{sloppy(at(10 * time.Minute)), at(10 * time.Minute)},
		{at(5 * time.Minute), at(10 * time.Minute)},
		{at(10 * time.Minute), at(10 * time.Minute)},
		{at(20 * time.Minute), at(20 * time.Minute)},
	}
	for _, tc := range touches {
		e.must(e.s.TouchAPIKey(e.ctx, kb.ID, tc.at), "TouchAPIKey")
		got, err := e.s.APIKeyByHash(e.ctx, kb.Hash)
		e.must(err, "APIKeyByHash")
		check(t, fmt.Sprintf("last_used_at after touching at %s", show(tc.at)), got.LastUsedAt, tc.want)
	}
	got, err = e.s.APIKeyByHash(e.ctx, k2.Hash)
	e.must(err, "APIKeyByHash")
	check(t, "another key after touching", got, normKey(k2))
}

// Channels

func testChannels(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	c1 := carillon.Channel{
		UUID: carillon.NewUUID(), AccountID: a.ID, Title: "Ventas — Bogotá", Type: carillon.WhatsApp,
		Provider: carillon.ProviderWhatsApp, Main: true,
		Settings: map[string]string{
			"access_token": "EAAG-secret-token", "phone_number_id": "1234567890",
			"mps": "20", "empty": "", "json-ish": `{"a":[1,"b"]}`, "ünïcode": "✓ 日本",
		},
		DiscardedAt: sloppy(at(time.Hour)), CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(time.Minute)),
	}
	c2 := carillon.Channel{UUID: carillon.NewUUID(), AccountID: a.ID, Title: "bot", Type: carillon.Telegram,
		Provider: carillon.ProviderTelegram, Settings: map[string]string{"bot_token": "123:abc"}, CreatedAt: base, UpdatedAt: base}
	cb := carillon.Channel{UUID: carillon.NewUUID(), AccountID: b.ID, Title: "b", Type: carillon.Facebook,
		Provider: carillon.ProviderSandbox, CreatedAt: base, UpdatedAt: base} // nil settings
	for _, c := range []*carillon.Channel{&c1, &c2, &cb} {
		e.must(e.s.CreateChannel(e.ctx, c), "CreateChannel")
		if c.ID == 0 {
			t.Fatal("CreateChannel left the ID 0")
		}
	}
	normCh := func(c carillon.Channel) carillon.Channel {
		c.DiscardedAt, c.CreatedAt, c.UpdatedAt = norm(c.DiscardedAt), norm(c.CreatedAt), norm(c.UpdatedAt)
		return c
	}

	got, err := e.s.ChannelByID(e.ctx, c1.ID)
	e.must(err, "ChannelByID")
	check(t, "ChannelByID", got, normCh(c1))
	got, err = e.s.ChannelByUUID(e.ctx, a.ID, c1.UUID)
	e.must(err, "ChannelByUUID")
	check(t, "ChannelByUUID", got, normCh(c1))
	got, err = e.s.ChannelForCallback(e.ctx, c1.UUID)
	e.must(err, "ChannelForCallback")
	check(t, "ChannelForCallback", got, normCh(c1))
	wantErr(t, "ChannelForCallback of an unknown uuid", func() error { _, err := e.s.ChannelForCallback(e.ctx, "nope"); return err }(), carillon.ErrNotFound)
	got, err = e.s.ChannelByUUID(e.ctx, a.ID, c2.UUID)
	e.must(err, "ChannelByUUID")
	check(t, "ChannelByUUID (zero discarded_at, not main)", got, normCh(c2))
	if !got.Active() {
		t.Error("a channel created without discarded_at is not active")
	}

	got, err = e.s.ChannelByUUID(e.ctx, b.ID, cb.UUID)
	e.must(err, "ChannelByUUID")
	if len(got.Settings) != 0 {
		t.Errorf("channel created with nil settings has settings %v", got.Settings)
	}
	got.Settings = nil
	check(t, "channel with nil settings", got, cb)

	list, err := e.s.ListChannels(e.ctx, a.ID)
	e.must(err, "ListChannels")
	check(t, "ListChannels", list, []carillon.Channel{normCh(c1), normCh(c2)})
	list, err = e.s.ListChannels(e.ctx, a.ID+b.ID+100)
	e.must(err, "ListChannels")
	if len(list) != 0 {
		t.Errorf("ListChannels of a missing account: %d channels", len(list))
	}
}

func testMainChannel(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	e.channel(a.ID, carillon.WhatsApp, false)
	mainWA := e.channel(a.ID, carillon.WhatsApp, true)
	e.channel(a.ID, carillon.WhatsApp, false)
	mainTG := e.channel(a.ID, carillon.Telegram, true)
	e.channel(a.ID, carillon.Instagram, false)
	mainB := e.channel(b.ID, carillon.Facebook, true)
	e.channel(b.ID, carillon.WhatsApp, false)

	cases := []struct {
		acct int64
		typ  carillon.ChannelType
		want *carillon.Channel // nil: ErrNotFound
	}{
		{a.ID, carillon.WhatsApp, &mainWA},
		{a.ID, carillon.Telegram, &mainTG},
		{a.ID, carillon.Instagram, nil}, // channels of the type, none main
		{a.ID, carillon.Facebook, nil},  // another account's main of the type
		{b.ID, carillon.Facebook, &mainB},
		{b.ID, carillon.WhatsApp, nil},
		{b.ID, carillon.Telegram, nil},
	}
	for _, tc := range cases {
		got, err := e.s.MainChannel(e.ctx, tc.acct, tc.typ)
		what := fmt.Sprintf("MainChannel(account %d, %s)", tc.acct, tc.typ)
		if tc.want == nil {
			wantErr(t, what, err, carillon.ErrNotFound)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", what, err)
			continue
		}
		check(t, what, got, *tc.want)
	}
}

func testUpdateChannel(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	c := e.channel(a.ID, carillon.WhatsApp, false)
	keep := e.channel(a.ID, carillon.WhatsApp, true)

	up := c
	up.Title = "renamed"
	up.Type = carillon.Telegram
	up.Provider = carillon.ProviderTelegram
	up.Main = true
	up.Settings = map[string]string{"bot_token": "999:new", "webhook_secret": "s"}
	up.DiscardedAt = sloppy(at(2 * time.Hour))
	up.UpdatedAt = sloppy(at(time.Hour))
	e.must(e.s.UpdateChannel(e.ctx, &up), "UpdateChannel")
	want := up
	want.DiscardedAt, want.UpdatedAt = norm(up.DiscardedAt), norm(up.UpdatedAt)
	got, err := e.s.ChannelByID(e.ctx, c.ID)
	e.must(err, "ChannelByID")
	check(t, "channel after UpdateChannel", got, want)
	if got.Active() {
		t.Error("a discarded channel is still active")
	}

	// Back again: main off, settings emptied, discarded cleared.
	up2 := want
	up2.Main, up2.Settings, up2.DiscardedAt, up2.UpdatedAt = false, map[string]string{}, time.Time{}, at(3*time.Hour)
	e.must(e.s.UpdateChannel(e.ctx, &up2), "UpdateChannel")
	got, err = e.s.ChannelByID(e.ctx, c.ID)
	e.must(err, "ChannelByID")
	if len(got.Settings) != 0 {
		t.Errorf("settings after emptying them: %v", got.Settings)
	}
	got.Settings = up2.Settings
	check(t, "channel after the second UpdateChannel", got, up2)

	// Another account cannot update it.
	bad := got
	bad.AccountID, bad.Title = b.ID, "hijacked"
	wantErr(t, "UpdateChannel with the wrong account", e.s.UpdateChannel(e.ctx, &bad), carillon.ErrNotFound)
	missing := got
	missing.ID = c.ID + keep.ID + 100
	wantErr(t, "UpdateChannel of a missing channel", e.s.UpdateChannel(e.ctx, &missing), carillon.ErrNotFound)
	got2, err := e.s.ChannelByID(e.ctx, c.ID)
	e.must(err, "ChannelByID")
	check(t, "channel after refused updates", got2, got)
	got2, err = e.s.ChannelByID(e.ctx, keep.ID)
	e.must(err, "ChannelByID")
	check(t, "the other channel", got2, keep)
}

// testChannelAddress: the address a network reported is kept beside the
// settings, written by SetChannelAddress alone, and read with the channel.
func testChannelAddress(t *testing.T, e *env) {
	a := e.account("a")
	c := e.channel(a.ID, carillon.WhatsApp, false)
	c.Address = "15550783881"
	e.must(e.s.SetChannelAddress(e.ctx, c.ID, c.Address), "SetChannelAddress")
	got, err := e.s.ChannelByUUID(e.ctx, a.ID, c.UUID)
	e.must(err, "ChannelByUUID")
	check(t, "channel after SetChannelAddress", got, c)

	// Declaring the channel again (UpdateChannel) keeps what was learned,
	// even from a copy read before it was.
	up := c
	up.Title, up.Address = "renamed", ""
	e.must(e.s.UpdateChannel(e.ctx, &up), "UpdateChannel")
	got, err = e.s.ChannelForCallback(e.ctx, c.UUID)
	e.must(err, "ChannelForCallback")
	if got.Address != "15550783881" || got.Title != "renamed" {
		t.Errorf("after UpdateChannel: address %q, title %q", got.Address, got.Title)
	}

	// A channel created with an address keeps it.
	tg := carillon.Channel{UUID: carillon.NewUUID(), AccountID: a.ID, Title: "bot", Type: carillon.Telegram,
		Provider: carillon.ProviderTelegram, Settings: map[string]string{}, Address: "carillon_bot",
		CreatedAt: at(0), UpdatedAt: at(0)}
	e.must(e.s.CreateChannel(e.ctx, &tg), "CreateChannel")
	list, err := e.s.ListChannels(e.ctx, a.ID)
	e.must(err, "ListChannels")
	if len(list) != 2 || list[1].Address != "carillon_bot" {
		t.Errorf("ListChannels = %+v", list)
	}
	e.must(e.s.SetChannelAddress(e.ctx, tg.ID, ""), "SetChannelAddress to empty")
	got, err = e.s.ChannelByID(e.ctx, tg.ID)
	e.must(err, "ChannelByID")
	if got.Address != "" {
		t.Errorf("address after clearing it: %q", got.Address)
	}
	wantErr(t, "SetChannelAddress of a missing channel", e.s.SetChannelAddress(e.ctx, tg.ID+c.ID+100, "x"), carillon.ErrNotFound)
}

// Contacts

func fullContact(ch carillon.Channel, userID, teamID int64) carillon.Contact {
	return carillon.Contact{
		UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID,
		Address: "5491122334455", BSUID: "AR.1234567890", Name: "Zoë O'Brien \"Z\"",
		CreatedAt: sloppy(at(time.Minute)), UpdatedAt: sloppy(at(2 * time.Minute)), LastInboundAt: sloppy(at(3 * time.Minute)),
		ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: sloppy(at(4 * time.Minute)),
		ClosedAt: sloppy(at(5 * time.Minute)), ClosingReason: "resolved",
		AssignedUserID: userID, TeamID: teamID, FunnelID: "7a1c2b3d-0000-4000-8000-000000000001",
		BlockedAt: sloppy(at(6 * time.Minute)), Note: "VIP; línea 2\nsecond line", BotStatus: "bot_start",
		BotStartedAt: sloppy(at(7 * time.Minute)),
	}
}

func normContact(c carillon.Contact) carillon.Contact {
	c.CreatedAt, c.UpdatedAt, c.LastInboundAt = norm(c.CreatedAt), norm(c.UpdatedAt), norm(c.LastInboundAt)
	c.ConversationCreatedAt, c.ClosedAt = norm(c.ConversationCreatedAt), norm(c.ClosedAt)
	c.BlockedAt, c.BotStartedAt = norm(c.BlockedAt), norm(c.BotStartedAt)
	return c
}

func testContacts(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: a.ID, Email: "u@example.com", Name: "U", CreatedAt: base}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")
	tm := carillon.Team{UUID: carillon.NewUUID(), AccountID: a.ID, Name: "T", CreatedAt: base}
	e.must(e.s.CreateTeam(e.ctx, &tm), "CreateTeam")

	c := fullContact(ch, u.ID, tm.ID)
	e.must(e.s.CreateContact(e.ctx, &c), "CreateContact")
	if c.ID == 0 {
		t.Fatal("CreateContact left the ID 0")
	}
	want := normContact(c)
	lookups := []struct {
		name string
		get  func() (carillon.Contact, error)
	}{
		{"ContactByID", func() (carillon.Contact, error) { return e.s.ContactByID(e.ctx, a.ID, c.ID) }},
		{"ContactByUUID", func() (carillon.Contact, error) { return e.s.ContactByUUID(e.ctx, a.ID, c.UUID) }},
		{"ContactByAddress", func() (carillon.Contact, error) { return e.s.ContactByAddress(e.ctx, ch.ID, c.Address) }},
		{"ContactByBSUID", func() (carillon.Contact, error) { return e.s.ContactByBSUID(e.ctx, ch.ID, c.BSUID) }},
	}
	for _, l := range lookups {
		got, err := l.get()
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		check(t, l.name, got, want)
	}

	// A contact with only the required fields keeps its zero times and
	// empty strings.
	min := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, BSUID: "AR.999", CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateContact(e.ctx, &min), "CreateContact (BSUID only)")
	got, err := e.s.ContactByBSUID(e.ctx, ch.ID, "AR.999")
	e.must(err, "ContactByBSUID")
	check(t, "contact known by BSUID only", got, min)
	if got.HasConversation() || got.InWindow(base) {
		t.Error("a contact without times has a conversation or an open window")
	}
	// Several contacts without address, or without BSUID, share a channel.
	for i := range 2 {
		c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, BSUID: fmt.Sprintf("AR.%d", 1000+i), CreatedAt: base, UpdatedAt: base}
		e.must(e.s.CreateContact(e.ctx, &c), "CreateContact without address")
		c = carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Address: fmt.Sprintf("5491100000%03d", i), CreatedAt: base, UpdatedAt: base}
		e.must(e.s.CreateContact(e.ctx, &c), "CreateContact without BSUID")
	}
	// The same address and BSUID on another channel is another contact.
	same := fullContact(ch2, 0, 0)
	e.must(e.s.CreateContact(e.ctx, &same), "CreateContact with another channel's address")
	got, err = e.s.ContactByAddress(e.ctx, ch2.ID, c.Address)
	e.must(err, "ContactByAddress")
	check(t, "ContactByAddress on the second channel", got, normContact(same))
	got, err = e.s.ContactByBSUID(e.ctx, ch2.ID, c.BSUID)
	e.must(err, "ContactByBSUID")
	check(t, "ContactByBSUID on the second channel", got, normContact(same))
	got, err = e.s.ContactByAddress(e.ctx, ch.ID, c.Address)
	e.must(err, "ContactByAddress")
	check(t, "ContactByAddress on the first channel", got, want)
}

func testUpdateContact(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	other := e.contact(ch, "5491100000002")

	up := fullContact(ch, 42, 43)
	up.ID, up.UUID, up.CreatedAt = c.ID, c.UUID, c.CreatedAt
	up.Address = "5491100000003"
	e.must(e.s.UpdateContact(e.ctx, &up), "UpdateContact")
	want := normContact(up)
	got, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID")
	check(t, "contact after UpdateContact", got, want)
	got, err = e.s.ContactByAddress(e.ctx, ch.ID, "5491100000003")
	e.must(err, "ContactByAddress of the new address")
	check(t, "ContactByAddress of the new address", got, want)
	_, err = e.s.ContactByAddress(e.ctx, ch.ID, "5491100000001")
	wantErr(t, "ContactByAddress of the old address", err, carillon.ErrNotFound)

	// Clearing fields: times back to zero, strings empty.
	clr := want
	clr.BSUID, clr.Name, clr.LastInboundAt, clr.ClosedAt, clr.ClosingReason = "", "", time.Time{}, time.Time{}, ""
	clr.AssignedUserID, clr.TeamID, clr.FunnelID, clr.BlockedAt, clr.Note = 0, 0, "", time.Time{}, ""
	clr.BotStatus, clr.BotStartedAt, clr.UpdatedAt = "bot_end", time.Time{}, at(time.Hour)
	e.must(e.s.UpdateContact(e.ctx, &clr), "UpdateContact")
	got, err = e.s.ContactByUUID(e.ctx, a.ID, c.UUID)
	e.must(err, "ContactByUUID")
	check(t, "contact after clearing fields", got, clr)

	bad := clr
	bad.AccountID, bad.Name = b.ID, "hijacked"
	wantErr(t, "UpdateContact with the wrong account", e.s.UpdateContact(e.ctx, &bad), carillon.ErrNotFound)
	missing := clr
	missing.ID = c.ID + other.ID + 100
	wantErr(t, "UpdateContact of a missing contact", e.s.UpdateContact(e.ctx, &missing), carillon.ErrNotFound)
	dup := clr
	dup.Address = other.Address
	wantErr(t, "UpdateContact to another contact's address", e.s.UpdateContact(e.ctx, &dup), carillon.ErrConflict)
	got, err = e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID")
	check(t, "contact after refused updates", got, clr)
	got, err = e.s.ContactByID(e.ctx, a.ID, other.ID)
	e.must(err, "ContactByID")
	check(t, "the other contact", got, other)
}

// Messages

func fullMessage(c carillon.Contact) carillon.Message {
	return carillon.Message{
		UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
		Direction: carillon.Outbound, Type: carillon.TypeImage,
		Content:      carillon.Content{Text: "caption ✓ \"quoted\"\n2nd line", URL: "https://example.com/a.png?x=1&y=2"},
		TemplateUUID: carillon.NewUUID(), TemplateValues: []string{"Ana", "", `a "quoted" value`, "ünï ✓"},
		Status:        carillon.StatusSent,
		StatusPayload: json.RawMessage(`{"id":"wamid.HBgL","status":"sent","nested":{"n":1.5,"list":[true,null]}}`),
		ExternalID:    "wamid.HBgL", Metadata: map[string]string{"order": "42", "note": "x y", "empty": ""},
		CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(2 * time.Second)),
		SendState: carillon.SendQueued, Attempts: 3, NextAttemptAt: sloppy(at(time.Minute)),
		Owner: "instance-1", LastError: "provider timeout",
	}
}

func normMessage(m carillon.Message) carillon.Message {
	m.CreatedAt, m.UpdatedAt, m.NextAttemptAt = norm(m.CreatedAt), norm(m.UpdatedAt), norm(m.NextAttemptAt)
	return m
}

func testMessages(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	c := e.contact(ch, "5491100000001")
	c2 := e.contact(ch2, "5491100000001")

	m := fullMessage(c)
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	if m.ID == 0 {
		t.Fatal("CreateMessage left the ID 0")
	}
	want := normMessage(m)
	lookups := []struct {
		name string
		get  func() (carillon.Message, error)
	}{
		{"MessageByID", func() (carillon.Message, error) { return e.s.MessageByID(e.ctx, a.ID, m.ID) }},
		{"MessageByUUID", func() (carillon.Message, error) { return e.s.MessageByUUID(e.ctx, a.ID, m.UUID) }},
		{"MessageByExternalID", func() (carillon.Message, error) { return e.s.MessageByExternalID(e.ctx, ch.ID, m.ExternalID) }},
	}
	for _, l := range lookups {
		got, err := l.get()
		if err != nil {
			t.Errorf("%s: %v", l.name, err)
			continue
		}
		check(t, l.name, got, want)
	}

	// Inbound and note messages with nothing optional set: nil stays nil,
	// zero stays zero.
	for _, dir := range []carillon.Direction{carillon.Inbound, carillon.Note} {
		min := carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
			Direction: dir, Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}, Status: carillon.StatusReceived,
			CreatedAt: base, UpdatedAt: base}
		e.must(e.s.CreateMessage(e.ctx, &min), "CreateMessage")
		got, err := e.s.MessageByUUID(e.ctx, a.ID, min.UUID)
		e.must(err, "MessageByUUID")
		check(t, "message without optional fields ("+string(dir)+")", got, min)
		if got.StatusPayload != nil || got.TemplateValues != nil || got.Metadata != nil {
			t.Errorf("nil fields came back non-nil: payload %v, values %#v, metadata %#v", got.StatusPayload, got.TemplateValues, got.Metadata)
		}
	}

	// The same external id on another channel is another message.
	m2 := fullMessage(c2)
	e.must(e.s.CreateMessage(e.ctx, &m2), "CreateMessage with another channel's external id")
	got, err := e.s.MessageByExternalID(e.ctx, ch2.ID, m.ExternalID)
	e.must(err, "MessageByExternalID")
	check(t, "MessageByExternalID on the second channel", got, normMessage(m2))
	got, err = e.s.MessageByExternalID(e.ctx, ch.ID, m.ExternalID)
	e.must(err, "MessageByExternalID")
	check(t, "MessageByExternalID on the first channel", got, want)
}

func testUpdateMessage(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	m := fullMessage(c)
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	other := e.message(c, carillon.SendQueued, "x")
	other.ExternalID = "wamid.other"
	e.must(e.s.UpdateMessage(e.ctx, &other), "UpdateMessage")

	up := normMessage(m)
	up.Content = carillon.Content{Text: "edited"}
	up.Status = carillon.StatusDelivered
	up.StatusPayload = json.RawMessage(`{"status":"delivered"}`)
	up.ExternalID = "wamid.NEW"
	up.UpdatedAt = sloppy(at(time.Hour))
	up.SendState = carillon.SendDone
	up.Attempts = 4
	up.NextAttemptAt = sloppy(at(2 * time.Hour))
	up.Owner = "instance-2"
	up.LastError = "rate limited"
	e.must(e.s.UpdateMessage(e.ctx, &up), "UpdateMessage")
	want := normMessage(up)
	got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
	e.must(err, "MessageByID")
	check(t, "message after UpdateMessage", got, want)
	got, err = e.s.MessageByExternalID(e.ctx, ch.ID, "wamid.NEW")
	e.must(err, "MessageByExternalID of the new external id")
	check(t, "MessageByExternalID of the new external id", got, want)
	_, err = e.s.MessageByExternalID(e.ctx, ch.ID, m.ExternalID)
	wantErr(t, "MessageByExternalID of the old external id", err, carillon.ErrNotFound)

	// Clearing: the payload back to nil, the send job reset.
	clr := want
	clr.Content, clr.StatusPayload, clr.ExternalID = carillon.Content{}, nil, ""
	clr.SendState, clr.Attempts, clr.NextAttemptAt, clr.Owner, clr.LastError = carillon.SendNone, 0, time.Time{}, "", ""
	e.must(e.s.UpdateMessage(e.ctx, &clr), "UpdateMessage")
	got, err = e.s.MessageByUUID(e.ctx, a.ID, m.UUID)
	e.must(err, "MessageByUUID")
	check(t, "message after clearing fields", got, clr)

	bad := clr
	bad.AccountID, bad.Status = b.ID, carillon.StatusFailed
	wantErr(t, "UpdateMessage with the wrong account", e.s.UpdateMessage(e.ctx, &bad), carillon.ErrNotFound)
	missing := clr
	missing.ID = m.ID + other.ID + 100
	wantErr(t, "UpdateMessage of a missing message", e.s.UpdateMessage(e.ctx, &missing), carillon.ErrNotFound)
	dup := clr
	dup.ExternalID = other.ExternalID
	wantErr(t, "UpdateMessage to another message's external id", e.s.UpdateMessage(e.ctx, &dup), carillon.ErrConflict)
	stale := clr
	stale.Version--
	stale.Status = carillon.StatusFailed
	wantErr(t, "UpdateMessage of a version read before another update", e.s.UpdateMessage(e.ctx, &stale), carillon.ErrStale)
	got, err = e.s.MessageByID(e.ctx, a.ID, m.ID)
	e.must(err, "MessageByID")
	check(t, "message after refused updates", got, clr)
	got, err = e.s.MessageByID(e.ctx, a.ID, other.ID)
	e.must(err, "MessageByID")
	check(t, "the other message", got, other)
}

func testStatusHistory(t *testing.T, e *env) {
	f := e.fixture("a")
	m2 := e.message(f.contact, carillon.SendQueued, "inst")
	changes := []carillon.StatusChange{
		// created_at deliberately out of order: history is insertion order.
		{MessageID: f.message.ID, Status: carillon.StatusSent, Payload: json.RawMessage(`{"status":"sent"}`), Applied: true, CreatedAt: sloppy(at(time.Minute))},
		{MessageID: f.message.ID, Status: carillon.StatusRead, Payload: nil, Applied: true, CreatedAt: sloppy(at(3 * time.Minute))},
		{MessageID: f.message.ID, Status: carillon.StatusDelivered, Payload: json.RawMessage(`{"status":"delivered","x":[1]}`), Applied: false, CreatedAt: sloppy(at(2 * time.Minute))},
		{MessageID: f.message.ID, Status: carillon.StatusDelivered, Payload: json.RawMessage(`{"status":"delivered","x":[1]}`), Applied: false, CreatedAt: sloppy(at(2 * time.Minute))},
	}
	for i, c := range changes {
		e.must(e.s.AddStatusChange(e.ctx, c), "AddStatusChange")
		if i == 1 {
			e.must(e.s.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m2.ID, Status: carillon.StatusFailed, CreatedAt: base}), "AddStatusChange")
		}
	}
	var want []carillon.StatusChange
	for _, c := range changes {
		c.CreatedAt = norm(c.CreatedAt)
		want = append(want, c)
	}
	got, err := e.s.StatusHistory(e.ctx, f.message.ID)
	e.must(err, "StatusHistory")
	check(t, "StatusHistory", got, want)
	if len(got) > 1 && got[1].Payload != nil {
		t.Errorf("a nil payload came back as %q", got[1].Payload)
	}
	got, err = e.s.StatusHistory(e.ctx, m2.ID)
	e.must(err, "StatusHistory")
	check(t, "StatusHistory of the second message", got, []carillon.StatusChange{{MessageID: m2.ID, Status: carillon.StatusFailed, CreatedAt: base}})
	got, err = e.s.StatusHistory(e.ctx, f.message.ID+m2.ID+100)
	e.must(err, "StatusHistory of a message without history")
	if len(got) != 0 {
		t.Errorf("StatusHistory of a message without history: %d entries", len(got))
	}
}

// The send pipeline

func testQueue(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	chA := e.channel(a.ID, carillon.WhatsApp, true)
	chB := e.channel(b.ID, carillon.WhatsApp, true)
	cA := e.contact(chA, "5491100000001")
	cB := e.contact(chB, "5491100000001")

	count := func(want int64) {
		t.Helper()
		n, err := e.s.CountQueued(e.ctx)
		e.must(err, "CountQueued")
		if n != want {
			t.Errorf("CountQueued = %d, want %d", n, want)
		}
	}
	count(0)

	q1 := e.message(cA, carillon.SendQueued, "one")
	e.message(cA, carillon.SendDone, "one")
	qOther := e.message(cA, carillon.SendQueued, "two")
	e.message(cA, carillon.SendNone, "") // inbound
	e.message(cA, carillon.SendNone, "one")
	q2 := e.message(cB, carillon.SendQueued, "one") // another account, same owner
	q3 := e.message(cA, carillon.SendQueued, "one")
	q4 := e.message(cA, carillon.SendQueued, "one")
	count(5)

	full, err := e.s.QueuedMessages(e.ctx, "one", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "QueuedMessages rows", full, []carillon.Message{q1, q2, q3, q4})

	cases := []struct {
		owner string
		after int64
		limit int
		want  []int64
	}{
		{"one", 0, 100, []int64{q1.ID, q2.ID, q3.ID, q4.ID}},
		{"one", q1.ID, 100, []int64{q2.ID, q3.ID, q4.ID}},
		{"one", q1.ID, 2, []int64{q2.ID, q3.ID}},
		{"one", 0, 1, []int64{q1.ID}},
		{"one", q4.ID, 100, []int64{}},
		{"two", 0, 100, []int64{qOther.ID}},
		{"two", qOther.ID, 100, []int64{}},
		{"three", 0, 100, []int64{}},
		{"", 0, 100, []int64{}}, // inbound messages have no owner and are not queued
	}
	for _, tc := range cases {
		got, err := e.s.QueuedMessages(e.ctx, tc.owner, tc.after, tc.limit)
		e.must(err, "QueuedMessages")
		check(t, fmt.Sprintf("QueuedMessages(%q, after %d, limit %d)", tc.owner, tc.after, tc.limit), ids(got), tc.want)
	}

	// A message leaves the queue when its send state changes.
	q3.SendState = carillon.SendDone
	e.must(e.s.UpdateMessage(e.ctx, &q3), "UpdateMessage")
	got, err := e.s.QueuedMessages(e.ctx, "one", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "QueuedMessages after one is done", ids(got), []int64{q1.ID, q2.ID, q4.ID})
	count(4)
}

func testEarlierQueued(t *testing.T, e *env) {
	a := e.account("a")
	ch1 := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	c1 := e.contact(ch1, "5491100000001")
	c2 := e.contact(ch1, "5491100000002")
	c1b := e.contact(ch2, "5491100000001")

	done := e.message(c1, carillon.SendDone, "one")
	in := e.message(c1, carillon.SendNone, "")
	m1 := e.message(c1, carillon.SendQueued, "one")
	m2 := e.message(c1, carillon.SendQueued, "two") // another owner: still earlier
	x := e.message(c2, carillon.SendQueued, "one")
	y := e.message(c1b, carillon.SendQueued, "one")
	m3 := e.message(c1, carillon.SendQueued, "one")

	type tc struct {
		name string
		m    carillon.Message
		want bool
	}
	run := func(cases []tc) {
		t.Helper()
		for _, c := range cases {
			got, err := e.s.EarlierQueued(e.ctx, c.m.ChannelID, c.m.ContactID, c.m.ID)
			e.must(err, "EarlierQueued")
			if got != c.want {
				t.Errorf("EarlierQueued(%s) = %v, want %v", c.name, got, c.want)
			}
		}
	}
	// Each argument counts: the contact's messages on another channel, or
	// the channel's messages to another contact, are not earlier.
	for _, args := range [][3]int64{{ch2.ID, c1.ID, m3.ID}, {ch1.ID, c1b.ID, m3.ID}, {ch1.ID, c1.ID, m1.ID}} {
		got, err := e.s.EarlierQueued(e.ctx, args[0], args[1], args[2])
		e.must(err, "EarlierQueued")
		if got {
			t.Errorf("EarlierQueued(channel %d, contact %d, message %d) = true, want false", args[0], args[1], args[2])
		}
	}
	run([]tc{
		{"done message", done, false},
		{"inbound message", in, false},
		{"first queued", m1, false},
		{"second queued", m2, true},
		{"third queued", m3, true},
		{"another contact, same channel", x, false},
		{"same address, another channel", y, false},
	})
	m1.SendState = carillon.SendDone
	e.must(e.s.UpdateMessage(e.ctx, &m1), "UpdateMessage")
	m2.SendState = carillon.SendDone
	e.must(e.s.UpdateMessage(e.ctx, &m2), "UpdateMessage")
	run([]tc{{"third queued, earlier ones done", m3, false}})
}

func testInstances(t *testing.T, e *env) {
	count := func(since time.Time, want int) {
		t.Helper()
		n, err := e.s.CountInstances(e.ctx, since)
		e.must(err, "CountInstances")
		if n != want {
			t.Errorf("CountInstances(since %s) = %d, want %d", show(since), n, want)
		}
	}
	stale := func(before time.Time, want []string) {
		t.Helper()
		got, err := e.s.StaleInstances(e.ctx, before)
		e.must(err, "StaleInstances")
		sort.Strings(got)
		if want == nil {
			want = []string{}
		}
		if got == nil {
			got = []string{}
		}
		check(t, "StaleInstances(before "+show(before)+")", got, want)
	}
	count(time.Time{}, 0)
	stale(at(time.Hour), nil)

	e.must(e.s.RegisterInstance(e.ctx, "a", sloppy(base)), "RegisterInstance")
	e.must(e.s.RegisterInstance(e.ctx, "b", at(time.Minute)), "RegisterInstance")
	e.must(e.s.RegisterInstance(e.ctx, "c", at(2*time.Minute)), "RegisterInstance")
	count(base, 3)
	count(at(time.Minute), 2) // since is inclusive
	count(at(time.Minute+time.Millisecond), 1)
	stale(at(time.Minute), []string{"a"}) // before is exclusive
	stale(at(90*time.Second), []string{"a", "b"})
	stale(base, nil)

	// Registering again is a heartbeat.
	e.must(e.s.RegisterInstance(e.ctx, "a", at(3*time.Minute)), "RegisterInstance again")
	count(base, 3)
	count(at(3*time.Minute), 1)
	stale(at(90*time.Second), []string{"b"})
	stale(at(4*time.Minute), []string{"a", "b", "c"})

	e.must(e.s.DeleteInstance(e.ctx, "b"), "DeleteInstance")
	count(base, 2)
	stale(at(4*time.Minute), []string{"a", "c"})
	e.must(e.s.DeleteInstance(e.ctx, "a"), "DeleteInstance")
	e.must(e.s.DeleteInstance(e.ctx, "c"), "DeleteInstance")
	count(time.Time{}, 0)
	stale(at(time.Hour), nil)
}

func testAdoptMessages(t *testing.T, e *env) {
	f := e.fixture("a") // one queued message of "inst"
	q1 := e.message(f.contact, carillon.SendQueued, "dead")
	doneDead := e.message(f.contact, carillon.SendDone, "dead")
	q2 := e.message(f.contact, carillon.SendQueued, "dead")
	alive := e.message(f.contact, carillon.SendQueued, "alive")

	n, err := e.s.AdoptMessages(e.ctx, "dead", "alive")
	e.must(err, "AdoptMessages")
	if n != 2 {
		t.Errorf("AdoptMessages moved %d messages, want 2", n)
	}
	got, err := e.s.QueuedMessages(e.ctx, "alive", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "queue of the adopting instance", ids(got), []int64{q1.ID, q2.ID, alive.ID})
	got, err = e.s.QueuedMessages(e.ctx, "dead", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "queue of the dead instance", ids(got), []int64{})
	m, err := e.s.MessageByID(e.ctx, f.acct.ID, doneDead.ID)
	e.must(err, "MessageByID")
	if m.Owner != "dead" {
		t.Errorf("a done message moved to %q", m.Owner)
	}
	m, err = e.s.MessageByID(e.ctx, f.acct.ID, f.message.ID)
	e.must(err, "MessageByID")
	if m.Owner != "inst" {
		t.Errorf("another instance's message moved to %q", m.Owner)
	}
	n, err = e.s.AdoptMessages(e.ctx, "dead", "alive")
	e.must(err, "AdoptMessages again")
	if n != 0 {
		t.Errorf("AdoptMessages again moved %d messages, want 0", n)
	}
	n, err = e.s.AdoptMessages(e.ctx, "nobody", "alive")
	e.must(err, "AdoptMessages of an unknown instance")
	if n != 0 {
		t.Errorf("AdoptMessages of an unknown instance moved %d messages", n)
	}
}

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
}

// Contract: missing rows, other tenants' rows, unique keys

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
		{"APIKeyByHash missing", func() error { _, err := s.APIKeyByHash(ctx, "nope"); return err }},
		{"APIKeyByHash empty", func() error { _, err := s.APIKeyByHash(ctx, ""); return err }},
		{"RevokeAPIKey missing", func() error { return s.RevokeAPIKey(ctx, A, missing, base) }},
		{"ChannelByID missing", func() error { _, err := s.ChannelByID(ctx, missing); return err }},
		{"ChannelByUUID missing", func() error { _, err := s.ChannelByUUID(ctx, A, carillon.NewUUID()); return err }},
		{"ChannelByUUID other account", func() error { _, err := s.ChannelByUUID(ctx, B, fa.channel.UUID); return err }},
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
	chans, err := s.ListChannels(ctx, fa.acct.ID)
	e.must(err, "ListChannels")
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

// Transactions

func testInTxCommit(t *testing.T, e *env) {
	ctx := e.ctx
	var f fixture
	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		f.acct = carillon.Account{UUID: carillon.NewUUID(), Name: "tx", CreatedAt: base}
		if err := q.CreateAccount(ctx, &f.acct); err != nil {
			return err
		}
		got, err := q.AccountByName(ctx, "tx")
		if err != nil {
			return fmt.Errorf("reading the tx's own account: %w", err)
		}
		check(t, "account read inside the tx", got, f.acct)
		f.channel = carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Title: "c", Type: carillon.WhatsApp,
			Provider: carillon.ProviderSandbox, Main: true, Settings: map[string]string{"k": "v"}, CreatedAt: base, UpdatedAt: base}
		if err := q.CreateChannel(ctx, &f.channel); err != nil {
			return err
		}
		gotC, err := q.MainChannel(ctx, f.acct.ID, carillon.WhatsApp)
		if err != nil {
			return fmt.Errorf("reading the tx's own channel: %w", err)
		}
		check(t, "channel read inside the tx", gotC, f.channel)
		f.contact = carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, Address: "1",
			CreatedAt: base, UpdatedAt: base}
		if err := q.CreateContact(ctx, &f.contact); err != nil {
			return err
		}
		f.contact.Name = "named in the tx"
		if err := q.UpdateContact(ctx, &f.contact); err != nil {
			return err
		}
		gotK, err := q.ContactByAddress(ctx, f.channel.ID, "1")
		if err != nil {
			return fmt.Errorf("reading the tx's own contact: %w", err)
		}
		check(t, "contact read inside the tx", gotK, f.contact)
		f.message = carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
			Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued, CreatedAt: base, UpdatedAt: base,
			SendState: carillon.SendQueued, Owner: "tx"}
		if err := q.CreateMessage(ctx, &f.message); err != nil {
			return err
		}
		queued, err := q.QueuedMessages(ctx, "tx", 0, 10)
		if err != nil {
			return err
		}
		check(t, "queue inside the tx", ids(queued), []int64{f.message.ID})
		if n, err := q.CountQueued(ctx); err != nil || n != 1 {
			t.Errorf("CountQueued inside the tx = %d, %v; want 1", n, err)
		}
		if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusEnqueued, Applied: true, CreatedAt: base}); err != nil {
			return err
		}
		if err := q.SaveIdempotencyRecord(ctx, carillon.IdempotencyRecord{AccountID: f.acct.ID, Key: "k", MessageUUID: f.message.UUID, CreatedAt: base}); err != nil {
			return err
		}
		return q.RegisterInstance(ctx, "tx", base)
	})
	e.must(err, "InTx")

	got, err := e.s.AccountByName(ctx, "tx")
	e.must(err, "AccountByName after commit")
	check(t, "account after commit", got, f.acct)
	gotC, err := e.s.ChannelByUUID(ctx, f.acct.ID, f.channel.UUID)
	e.must(err, "ChannelByUUID after commit")
	check(t, "channel after commit", gotC, f.channel)
	gotK, err := e.s.ContactByID(ctx, f.acct.ID, f.contact.ID)
	e.must(err, "ContactByID after commit")
	check(t, "contact after commit", gotK, f.contact)
	gotM, err := e.s.MessageByID(ctx, f.acct.ID, f.message.ID)
	e.must(err, "MessageByID after commit")
	check(t, "message after commit", gotM, f.message)
	hist, err := e.s.StatusHistory(ctx, f.message.ID)
	e.must(err, "StatusHistory after commit")
	if len(hist) != 1 {
		t.Errorf("%d status changes after commit, want 1", len(hist))
	}
	_, err = e.s.IdempotencyRecord(ctx, f.acct.ID, "k")
	e.must(err, "IdempotencyRecord after commit")
	if n, err := e.s.CountInstances(ctx, base); err != nil || n != 1 {
		t.Errorf("CountInstances after commit = %d, %v; want 1", n, err)
	}

	// A conflict inside a transaction is ErrConflict too, and returning it
	// rolls the transaction back.
	err = e.s.InTx(ctx, func(q carillon.Queries) error {
		return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "tx", CreatedAt: base})
	})
	wantErr(t, "InTx creating a duplicate account", err, carillon.ErrConflict)
	// The store still works afterwards, in and out of transactions.
	e.must(e.s.InTx(ctx, func(q carillon.Queries) error {
		return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "after", CreatedAt: base})
	}), "InTx after a failed one")
	_, err = e.s.AccountByName(ctx, "after")
	e.must(err, "AccountByName")
}

func testInTxRollback(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	e.must(e.s.RegisterInstance(ctx, "inst", base), "RegisterInstance")
	key := carillon.APIKey{AccountID: f.acct.ID, Name: "k", Prefix: "p", Hash: "h", CreatedAt: base}
	e.must(e.s.CreateAPIKey(ctx, &key), "CreateAPIKey")
	boom := errors.New("boom")

	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		steps := []struct {
			name string
			fn   func() error
		}{
			{"CreateAccount", func() error {
				return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "ghost", CreatedAt: base})
			}},
			{"CreateTeam", func() error {
				return q.CreateTeam(ctx, &carillon.Team{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Name: "ghost", CreatedAt: base})
			}},
			{"CreateUser", func() error {
				return q.CreateUser(ctx, &carillon.User{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Email: "ghost@example.com", CreatedAt: base})
			}},
			{"CreateAPIKey", func() error {
				return q.CreateAPIKey(ctx, &carillon.APIKey{AccountID: f.acct.ID, Name: "ghost", Prefix: "g", Hash: "ghost", CreatedAt: base})
			}},
			{"RevokeAPIKey", func() error { return q.RevokeAPIKey(ctx, f.acct.ID, key.ID, base) }},
			{"TouchAPIKey", func() error { return q.TouchAPIKey(ctx, key.ID, at(time.Hour)) }},
			{"CreateChannel", func() error {
				return q.CreateChannel(ctx, &carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Title: "ghost",
					Type: carillon.Telegram, Provider: carillon.ProviderTelegram, Main: true, CreatedAt: base, UpdatedAt: base})
			}},
			{"UpdateChannel", func() error {
				c := f.channel
				c.Title = "ghost"
				return q.UpdateChannel(ctx, &c)
			}},
			{"CreateContact", func() error {
				return q.CreateContact(ctx, &carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID,
					Address: "ghost", CreatedAt: base, UpdatedAt: base})
			}},
			{"UpdateContact", func() error {
				c := f.contact
				c.Name = "ghost"
				return q.UpdateContact(ctx, &c)
			}},
			{"CreateMessage", func() error {
				return q.CreateMessage(ctx, &carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID,
					ContactID: f.contact.ID, Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued,
					CreatedAt: base, UpdatedAt: base, SendState: carillon.SendQueued, Owner: "inst"})
			}},
			{"UpdateMessage", func() error {
				m := f.message
				m.Status, m.SendState = carillon.StatusSent, carillon.SendDone
				return q.UpdateMessage(ctx, &m)
			}},
			{"AddStatusChange", func() error {
				return q.AddStatusChange(ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusSent, CreatedAt: base})
			}},
			{"RegisterInstance", func() error { return q.RegisterInstance(ctx, "ghost", base) }},
			{"DeleteInstance", func() error { return q.DeleteInstance(ctx, "inst") }},
			{"SaveIdempotencyRecord", func() error {
				return q.SaveIdempotencyRecord(ctx, carillon.IdempotencyRecord{AccountID: f.acct.ID, Key: "ghost", CreatedAt: base})
			}},
		}
		for _, s := range steps {
			if err := s.fn(); err != nil {
				t.Errorf("%s inside the tx: %v", s.name, err)
			}
		}
		if n, err := q.AdoptMessages(ctx, "inst", "ghost"); err != nil || n != 1 {
			t.Errorf("AdoptMessages inside the tx = %d, %v; want 1", n, err)
		}
		if _, err := q.AccountByName(ctx, "ghost"); err != nil {
			t.Errorf("the tx does not see its own account: %v", err)
		}
		return fmt.Errorf("failing on purpose: %w", boom)
	})
	if !errors.Is(err, boom) {
		t.Fatalf("InTx returned %v, want the function's error", err)
	}

	// Nothing of the transaction is visible.
	_, err = e.s.AccountByName(ctx, "ghost")
	wantErr(t, "account of a rolled back tx", err, carillon.ErrNotFound)
	accts, err := e.s.ListAccounts(ctx)
	e.must(err, "ListAccounts")
	check(t, "accounts after rollback", accts, []carillon.Account{f.acct})
	teams, err := e.s.ListTeams(ctx, f.acct.ID)
	e.must(err, "ListTeams")
	if len(teams) != 0 {
		t.Errorf("%d teams after rollback, want 0", len(teams))
	}
	_, err = e.s.UserByEmail(ctx, f.acct.ID, "ghost@example.com")
	wantErr(t, "user of a rolled back tx", err, carillon.ErrNotFound)
	keys, err := e.s.ListAPIKeys(ctx, f.acct.ID)
	e.must(err, "ListAPIKeys")
	check(t, "keys after rollback", keys, []carillon.APIKey{key})
	chans, err := e.s.ListChannels(ctx, f.acct.ID)
	e.must(err, "ListChannels")
	check(t, "channels after rollback", chans, []carillon.Channel{f.channel})
	c, err := e.s.ContactByID(ctx, f.acct.ID, f.contact.ID)
	e.must(err, "ContactByID")
	check(t, "contact after rollback", c, f.contact)
	_, err = e.s.ContactByAddress(ctx, f.channel.ID, "ghost")
	wantErr(t, "contact of a rolled back tx", err, carillon.ErrNotFound)
	m, err := e.s.MessageByID(ctx, f.acct.ID, f.message.ID)
	e.must(err, "MessageByID")
	check(t, "message after rollback", m, f.message)
	if n, err := e.s.CountQueued(ctx); err != nil || n != 1 {
		t.Errorf("CountQueued after rollback = %d, %v; want 1", n, err)
	}
	hist, err := e.s.StatusHistory(ctx, f.message.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 0 {
		t.Errorf("%d status changes after rollback, want 0", len(hist))
	}
	stale, err := e.s.StaleInstances(ctx, at(time.Hour))
	e.must(err, "StaleInstances")
	check(t, "instances after rollback", stale, []string{"inst"})
	_, err = e.s.IdempotencyRecord(ctx, f.acct.ID, "ghost")
	wantErr(t, "idempotency record of a rolled back tx", err, carillon.ErrNotFound)

	// A rolled back tx leaves the store usable.
	e.must(e.s.InTx(ctx, func(q carillon.Queries) error {
		return q.CreateAccount(ctx, &carillon.Account{UUID: carillon.NewUUID(), Name: "ghost", CreatedAt: base})
	}), "InTx after a rollback")
	_, err = e.s.AccountByName(ctx, "ghost")
	e.must(err, "AccountByName")
}

// testConcurrentWrites writes from several goroutines at once, in and out of
// transactions, while others read: nothing is lost and nothing fails.
func testConcurrentWrites(t *testing.T, e *env) {
	f := e.fixture("a")
	const workers, each = 6, 8
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*3)
	for w := range workers {
		wg.Go(func() {
			owner := fmt.Sprintf("w%d", w)
			for i := range each {
				m := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
					Direction: carillon.Outbound, Type: carillon.TypeText, Status: carillon.StatusEnqueued,
					CreatedAt: base, UpdatedAt: base, SendState: carillon.SendQueued, Owner: owner}
				var err error
				if i%2 == 0 {
					err = e.s.CreateMessage(e.ctx, &m)
				} else {
					err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
						if err := q.CreateMessage(e.ctx, &m); err != nil {
							return err
						}
						return q.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m.ID, Status: carillon.StatusEnqueued, Applied: true, CreatedAt: base})
					})
				}
				if err != nil {
					errs <- err
					continue
				}
				if _, err := e.s.MessageByID(e.ctx, f.acct.ID, m.ID); err != nil {
					errs <- fmt.Errorf("reading a message just written: %w", err)
				}
				if _, err := e.s.QueuedMessages(e.ctx, owner, 0, 100); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	n, err := e.s.CountQueued(e.ctx)
	e.must(err, "CountQueued")
	if n != workers*each+1 {
		t.Errorf("CountQueued = %d after concurrent writes, want %d", n, workers*each+1)
	}
}

func testReady(t *testing.T, e *env) {
	if err := e.s.Ready(e.ctx); err != nil {
		t.Fatalf("Ready on a fresh store: %v", err)
	}
	e.account("a")
	if err := e.s.Ready(e.ctx); err != nil {
		t.Fatalf("Ready: %v", err)
	}
}
