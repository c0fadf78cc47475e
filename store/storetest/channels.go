package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Channels (store/channels.go).

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

	byIDs, err := e.s.ChannelsByIDs(e.ctx, []int64{c2.ID, c1.ID, c1.ID + c2.ID + cb.ID + 100})
	e.must(err, "ChannelsByIDs")
	check(t, "ChannelsByIDs (one id of no channel, left out)", byIDs, map[int64]carillon.Channel{c1.ID: normCh(c1), c2.ID: normCh(c2)})

	got, err = e.s.ChannelByUUID(e.ctx, b.ID, cb.UUID)
	e.must(err, "ChannelByUUID")
	if len(got.Settings) != 0 {
		t.Errorf("channel created with nil settings has settings %v", got.Settings)
	}
	got.Settings = nil
	check(t, "channel with nil settings", got, cb)

	list, err := e.s.AllChannels(e.ctx, a.ID)
	e.must(err, "AllChannels")
	check(t, "AllChannels", list, []carillon.Channel{normCh(c1), normCh(c2)})
	list, err = e.s.AllChannels(e.ctx, a.ID+b.ID+100)
	e.must(err, "AllChannels")
	if len(list) != 0 {
		t.Errorf("AllChannels of a missing account: %d channels", len(list))
	}
}

func testListChannels(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	discarded := func(c carillon.Channel) carillon.Channel {
		t.Helper()
		c.DiscardedAt = at(time.Hour)
		e.must(e.s.UpdateChannel(e.ctx, &c), "UpdateChannel")
		return c
	}
	wa1 := e.channel(a.ID, carillon.WhatsApp, true)
	tgGone := discarded(e.channel(a.ID, carillon.Telegram, true))
	e.channel(b.ID, carillon.WhatsApp, true)
	waGone := discarded(e.channel(a.ID, carillon.WhatsApp, false))
	fb := e.channel(a.ID, carillon.Facebook, true)
	wa2 := e.channel(a.ID, carillon.WhatsApp, false)
	tg := e.channel(a.ID, carillon.Telegram, false)
	all := []carillon.Channel{wa1, tgGone, waGone, fb, wa2, tg}
	yes, no := true, false
	for _, tc := range []struct {
		what string
		f    carillon.ChannelFilter
		want []carillon.Channel
	}{
		{"every channel", carillon.ChannelFilter{}, all},
		{"WhatsApp channels", carillon.ChannelFilter{Type: carillon.WhatsApp}, []carillon.Channel{wa1, waGone, wa2}},
		{"active channels", carillon.ChannelFilter{Active: &yes}, []carillon.Channel{wa1, fb, wa2, tg}},
		{"discarded channels", carillon.ChannelFilter{Active: &no}, []carillon.Channel{tgGone, waGone}},
		{"active WhatsApp channels", carillon.ChannelFilter{Type: carillon.WhatsApp, Active: &yes}, []carillon.Channel{wa1, wa2}},
		{"Instagram channels", carillon.ChannelFilter{Type: carillon.Instagram}, nil},
	} {
		checkPages(t, "ListChannels of "+tc.what, tc.want, func(p carillon.Page) ([]carillon.Channel, int, error) {
			return e.s.ListChannels(e.ctx, a.ID, tc.f, p)
		})
	}
	if got := whole(t, "ListChannels of the other account", func(p carillon.Page) ([]carillon.Channel, int, error) {
		return e.s.ListChannels(e.ctx, b.ID, carillon.ChannelFilter{}, p)
	}); len(got) != 1 {
		t.Errorf("ListChannels of the other account: %d channels, want 1", len(got))
	}
	checkPages(t, "ListChannels of a missing account", nil, func(p carillon.Page) ([]carillon.Channel, int, error) {
		return e.s.ListChannels(e.ctx, a.ID+b.ID+100, carillon.ChannelFilter{}, p)
	})
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
	list, err := e.s.AllChannels(e.ctx, a.ID)
	e.must(err, "AllChannels")
	if len(list) != 2 || list[1].Address != "carillon_bot" {
		t.Errorf("AllChannels = %+v", list)
	}
	e.must(e.s.SetChannelAddress(e.ctx, tg.ID, ""), "SetChannelAddress to empty")
	got, err = e.s.ChannelByID(e.ctx, tg.ID)
	e.must(err, "ChannelByID")
	if got.Address != "" {
		t.Errorf("address after clearing it: %q", got.Address)
	}
	wantErr(t, "SetChannelAddress of a missing channel", e.s.SetChannelAddress(e.ctx, tg.ID+c.ID+100, "x"), carillon.ErrNotFound)
}

// testChannelsVersion: the version of an account's channels moves with
// every change of one of them, and with nothing else; the key is read
// with it. An instance keeps the channels it read at a version, and uses
// them only for a request whose key came with that version: a change this
// suite saw go unnoticed would let every instance serve it stale.
func testChannelsVersion(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	key := carillon.APIKey{AccountID: a.ID, Name: "ci", Prefix: "crln_0123abcd", Hash: strings.Repeat("d4", 32), CreatedAt: base}
	e.must(e.s.CreateAPIKey(e.ctx, &key), "CreateAPIKey")
	version := func(accountID int64) int64 {
		t.Helper()
		v, err := e.s.ChannelsVersion(e.ctx, accountID)
		e.must(err, "ChannelsVersion")
		return v
	}
	wa := carillon.Channel{UUID: carillon.NewUUID(), AccountID: a.ID, Title: "wa", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Main: true, CreatedAt: base, UpdatedAt: base}
	if v := version(a.ID); v < 1 {
		t.Fatalf("an account's first channels version is %d, want at least 1 (0 means not read)", v)
	}
	errRolledBack := errors.New("rolled back")
	for _, tc := range []struct {
		what   string
		change func() error
		moves  bool // a's version; b's moves only with b's channel
	}{
		{"a channel of the account created", func() error { return e.s.CreateChannel(e.ctx, &wa) }, true},
		{"its title changed", func() error { wa.Title = "sales"; return e.s.UpdateChannel(e.ctx, &wa) }, true},
		{"its settings changed", func() error { wa.Settings = map[string]string{"mps": "9"}; return e.s.UpdateChannel(e.ctx, &wa) }, true},
		{"its address learned", func() error { return e.s.SetChannelAddress(e.ctx, wa.ID, "4930123456") }, true},
		{"it is discarded", func() error { wa.DiscardedAt = at(time.Hour); return e.s.UpdateChannel(e.ctx, &wa) }, true},
		{"a channel of another account created", func() error { e.channel(b.ID, carillon.Telegram, true); return nil }, false},
		{"a change rolled back", func() error {
			err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
				c := wa
				c.Title = "never"
				if err := q.UpdateChannel(e.ctx, &c); err != nil {
					return err
				}
				return errRolledBack
			})
			if errors.Is(err, errRolledBack) {
				return nil
			}
			return err
		}, false},
		{"a key used", func() error { return e.s.TouchAPIKey(e.ctx, key.ID, at(time.Minute)) }, false},
	} {
		beforeA, beforeB := version(a.ID), version(b.ID)
		e.must(tc.change(), tc.what)
		afterA := version(a.ID)
		if moved := afterA > beforeA; moved != tc.moves || afterA < beforeA {
			t.Errorf("%s: the account's channels version went from %d to %d, want it moved: %v", tc.what, beforeA, afterA, tc.moves)
		}
		ofB := tc.what == "a channel of another account created"
		if afterB := version(b.ID); (afterB > beforeB) != ofB || afterB < beforeB {
			t.Errorf("%s: the other account's version went from %d to %d", tc.what, beforeB, afterB)
		}
		got, withKey := e.keyByHash(key.Hash)
		if got.ID != key.ID || withKey != afterA {
			t.Errorf("%s: APIKeysByHash read key %d with version %d, want key %d with %d", tc.what, got.ID, withKey, key.ID, afterA)
		}
		// A callback reads the channel's account and version by its uuid.
		accountID, id, v, err := e.s.ChannelVersionByUUID(e.ctx, wa.UUID)
		e.must(err, "ChannelVersionByUUID")
		if accountID != a.ID || id != wa.ID || v != afterA {
			t.Errorf("%s: ChannelVersionByUUID = account %d, channel %d, version %d; want %d, %d, %d", tc.what, accountID, id, v, a.ID, wa.ID, afterA)
		}
	}
	_, _, _, err := e.s.ChannelVersionByUUID(e.ctx, carillon.NewUUID())
	wantErr(t, "ChannelVersionByUUID of an unknown uuid", err, carillon.ErrNotFound)
}
