package storetest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Contacts, their lists, tags, field values and deletion (store/contacts.go).

func contactIDs(cs []carillon.Contact) []int64 {
	out := []int64{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// contactTags and contactValues are the contacts' tags and field values
// as ContactExtras reads them, for the tests that check one of the two.
func (e *env) contactTags(ids []int64) map[int64][]string {
	tags, _, err := e.s.ContactExtras(e.ctx, ids)
	e.must(err, "ContactExtras")
	return tags
}

func (e *env) contactValues(ids []int64) map[int64]map[int64]string {
	_, values, err := e.s.ContactExtras(e.ctx, ids)
	e.must(err, "ContactExtras")
	return values
}

func testContactTags(t *testing.T, e *env) {
	f := e.fixture("a")
	a := f.acct
	c1, c2 := f.contact, e.contact(f.channel, "5491100000002")
	c3 := e.contact(f.channel, "5491100000003")
	zeta, alpha, mid := e.tag(a.ID, "zeta"), e.tag(a.ID, "Alpha"), e.tag(a.ID, "mid")

	tags := func(what string, ids []int64, want map[int64][]string) {
		t.Helper()
		check(t, what, e.contactTags(ids), want)
	}
	tags("ContactTags of untagged contacts", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {}, c2.ID: {}})
	tags("ContactTags of no contact", nil, map[int64][]string{})
	tags("ContactTags of an empty list", []int64{}, map[int64][]string{})

	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{zeta.ID, alpha.ID, mid.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{mid.ID, mid.ID}), "SetContactTags with a tag twice")
	// Names sorted, whatever the order of the ids.
	tags("ContactTags", []int64{c1.ID, c2.ID, c3.ID}, map[int64][]string{
		c1.ID: {"Alpha", "mid", "zeta"}, c2.ID: {"mid"}, c3.ID: {},
	})
	tags("ContactTags of one contact", []int64{c2.ID}, map[int64][]string{c2.ID: {"mid"}})

	// Replaced exactly: one kept, one dropped, one added.
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{mid.ID, zeta.ID}), "SetContactTags")
	tags("ContactTags after replacing", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {"mid", "zeta"}, c2.ID: {"mid"}})
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{alpha.ID}), "SetContactTags")
	tags("ContactTags after replacing them all", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {"Alpha"}, c2.ID: {"mid"}})
	e.must(e.s.SetContactTags(e.ctx, c1.ID, nil), "SetContactTags to none")
	tags("ContactTags after removing them all", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {}, c2.ID: {"mid"}})
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{}), "SetContactTags to none again")
	tags("ContactTags after removing none", []int64{c1.ID, c2.ID}, map[int64][]string{c1.ID: {}, c2.ID: {"mid"}})

	// A long list of contacts: one map, every contact in it.
	var many []int64
	want := map[int64][]string{}
	for i := range 1200 {
		id := c3.ID + 1000 + int64(i)
		many = append(many, id)
		want[id] = []string{}
	}
	many = append(many, c2.ID)
	want[c2.ID] = []string{"mid"}
	tags("ContactTags of many contacts", many, want)

	// The tags themselves stay.
	list, _, err := e.s.ListTags(e.ctx, a.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListTags")
	check(t, "tags after untagging", list, []carillon.Tag{zeta, alpha, mid})
}

func testContactFieldValues(t *testing.T, e *env) {
	f := e.fixture("a")
	c1, c2 := f.contact, e.contact(f.channel, "5491100000002")
	c3 := e.contact(f.channel, "5491100000003")
	plan, addr := e.field(f.acct.ID, "Plan"), e.field(f.acct.ID, "Address")

	values := func(what string, ids []int64, want map[int64]map[int64]string) {
		t.Helper()
		check(t, what, e.contactValues(ids), want)
	}
	values("values of contacts without any", []int64{c1.ID}, map[int64]map[int64]string{c1.ID: {}})
	values("values of no contact", nil, map[int64]map[int64]string{})

	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, plan.ID, "Pro"), "SetContactFieldValue")
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, addr.ID, "Calle 1, 2º \"B\"\nBogotá"), "SetContactFieldValue")
	e.must(e.s.SetContactFieldValue(e.ctx, c2.ID, plan.ID, `["Dark Mode","Alerts"]`), "SetContactFieldValue")
	values("values", []int64{c1.ID, c2.ID, c3.ID}, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Pro", addr.ID: "Calle 1, 2º \"B\"\nBogotá"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
		c3.ID: {},
	})
	// Tags and values read together, each where it belongs.
	vip, fresh := e.tag(f.acct.ID, "vip"), e.tag(f.acct.ID, "New")
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{vip.ID, fresh.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, c3.ID, []int64{vip.ID}), "SetContactTags")
	tags, both, err := e.s.ContactExtras(e.ctx, []int64{c1.ID, c2.ID, c3.ID})
	e.must(err, "ContactExtras")
	check(t, "ContactExtras' tags", tags, map[int64][]string{c1.ID: {"New", "vip"}, c2.ID: {}, c3.ID: {"vip"}})
	check(t, "ContactExtras' values", both, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Pro", addr.ID: "Calle 1, 2º \"B\"\nBogotá"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
		c3.ID: {},
	})

	// Replaced, then removed; the others untouched.
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, plan.ID, "Free"), "SetContactFieldValue replacing")
	values("values after replacing one", []int64{c1.ID, c2.ID}, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Free", addr.ID: "Calle 1, 2º \"B\"\nBogotá"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
	})
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, addr.ID, ""), "SetContactFieldValue removing")
	values("values after removing one", []int64{c1.ID, c2.ID}, map[int64]map[int64]string{
		c1.ID: {plan.ID: "Free"},
		c2.ID: {plan.ID: `["Dark Mode","Alerts"]`},
	})
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, addr.ID, ""), "SetContactFieldValue removing a missing value")
	e.must(e.s.SetContactFieldValue(e.ctx, c1.ID, plan.ID, ""), "SetContactFieldValue removing")
	e.must(e.s.SetContactFieldValue(e.ctx, c3.ID, addr.ID, " "), "SetContactFieldValue of a space")
	values("values after removing all of one contact's", []int64{c1.ID, c2.ID, c3.ID}, map[int64]map[int64]string{
		c1.ID: {}, c2.ID: {plan.ID: `["Dark Mode","Alerts"]`}, c3.ID: {addr.ID: " "},
	})
}

func testListContacts(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	tg := e.channel(a.ID, carillon.Telegram, true)
	waB := e.channel(b.ID, carillon.WhatsApp, true)
	t1, t2 := e.team(a.ID, "One"), e.team(a.ID, "Two")
	x, y, z := e.tag(a.ID, "x"), e.tag(a.ID, "y"), e.tag(a.ID, "z")
	unused := e.tag(a.ID, "unused")

	mk := func(ch carillon.Channel, address string, team int64, tags ...carillon.Tag) carillon.Contact {
		t.Helper()
		c := e.contact(ch, address)
		if team != 0 {
			c.TeamID = team
			e.must(e.s.UpdateContact(e.ctx, &c), "UpdateContact")
		}
		var ids []int64
		for _, tag := range tags {
			ids = append(ids, tag.ID)
		}
		e.must(e.s.SetContactTags(e.ctx, c.ID, ids), "SetContactTags")
		return c
	}
	c1 := mk(wa, "1", t1.ID, x)
	c2 := mk(wa, "2", 0, x, y)
	// Another account's contact, with the first account's team and tags:
	// the account filter alone keeps it out.
	mk(waB, "1", t1.ID, x, y, z)
	c3 := mk(tg, "3", t1.ID, x, y, z)
	c4 := mk(tg, "4", t2.ID)
	c5 := mk(wa, "5", t1.ID, y)

	got, n, err := e.s.ListContacts(e.ctx, a.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListContacts")
	check(t, "ListContacts rows", got, []carillon.Contact{c5, c4, c3, c2, c1})
	if n != 5 {
		t.Errorf("ListContacts total %d, want 5", n)
	}

	type filter = carillon.ContactFilter
	tags := func(ts ...carillon.Tag) []int64 {
		out := []int64{}
		for _, tag := range ts {
			out = append(out, tag.ID)
		}
		return out
	}
	cases := []struct {
		name string
		f    filter
		want []carillon.Contact
	}{
		{"none", filter{}, []carillon.Contact{c5, c4, c3, c2, c1}},
		{"whatsapp", filter{ChannelType: carillon.WhatsApp}, []carillon.Contact{c5, c2, c1}},
		{"telegram", filter{ChannelType: carillon.Telegram}, []carillon.Contact{c4, c3}},
		{"facebook", filter{ChannelType: carillon.Facebook}, nil},
		{"team one", filter{TeamID: t1.ID}, []carillon.Contact{c5, c3, c1}},
		{"team two", filter{TeamID: t2.ID}, []carillon.Contact{c4}},
		{"missing team", filter{TeamID: t1.ID + t2.ID + 100}, nil},
		{"tag x", filter{TagIDs: tags(x)}, []carillon.Contact{c3, c2, c1}},
		{"tag y", filter{TagIDs: tags(y)}, []carillon.Contact{c5, c3, c2}},
		{"tags x y", filter{TagIDs: tags(x, y)}, []carillon.Contact{c3, c2}},
		{"tags y x", filter{TagIDs: tags(y, x)}, []carillon.Contact{c3, c2}},
		{"tags x y z", filter{TagIDs: tags(x, y, z)}, []carillon.Contact{c3}},
		{"tags x x", filter{TagIDs: tags(x, x)}, []carillon.Contact{c3, c2, c1}},
		{"unused tag", filter{TagIDs: tags(unused)}, nil},
		{"tags z unused", filter{TagIDs: tags(z, unused)}, nil},
		{"empty tag list", filter{TagIDs: []int64{}}, []carillon.Contact{c5, c4, c3, c2, c1}},
		{"whatsapp, tag x", filter{ChannelType: carillon.WhatsApp, TagIDs: tags(x)}, []carillon.Contact{c2, c1}},
		{"whatsapp, team one", filter{ChannelType: carillon.WhatsApp, TeamID: t1.ID}, []carillon.Contact{c5, c1}},
		{"team one, tag y", filter{TeamID: t1.ID, TagIDs: tags(y)}, []carillon.Contact{c5, c3}},
		{"whatsapp, team one, tag y", filter{ChannelType: carillon.WhatsApp, TeamID: t1.ID, TagIDs: tags(y)}, []carillon.Contact{c5}},
		{"telegram, team one, tags x y", filter{ChannelType: carillon.Telegram, TeamID: t1.ID, TagIDs: tags(x, y)}, []carillon.Contact{c3}},
		{"telegram, team two, tag x", filter{ChannelType: carillon.Telegram, TeamID: t2.ID, TagIDs: tags(x)}, nil},
	}
	for _, tc := range cases {
		got, n, err := e.s.ListContacts(e.ctx, a.ID, tc.f, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ListContacts")
		check(t, "ListContacts("+tc.name+")", contactIDs(got), contactIDs(tc.want))
		if n != len(tc.want) {
			t.Errorf("ListContacts(%s) total %d, want %d", tc.name, n, len(tc.want))
		}
	}

	pages := []struct {
		f     filter
		page  carillon.Page
		want  []carillon.Contact
		total int
	}{
		{filter{}, carillon.Page{Number: 1, Size: 2}, []carillon.Contact{c5, c4}, 5},
		{filter{}, carillon.Page{Number: 2, Size: 2}, []carillon.Contact{c3, c2}, 5},
		{filter{}, carillon.Page{Number: 3, Size: 2}, []carillon.Contact{c1}, 5},
		{filter{}, carillon.Page{Number: 4, Size: 2}, nil, 5},
		{filter{}, carillon.Page{Number: 1, Size: 1}, []carillon.Contact{c5}, 5},
		{filter{TagIDs: tags(x)}, carillon.Page{Number: 2, Size: 2}, []carillon.Contact{c1}, 3},
		{filter{ChannelType: carillon.WhatsApp, TeamID: t1.ID}, carillon.Page{Number: 2, Size: 1}, []carillon.Contact{c1}, 2},
		{filter{ChannelType: carillon.Telegram}, carillon.Page{Number: 2, Size: 5}, nil, 2},
		{filter{}, carillon.Page{Number: 1<<62 + 1, Size: 2}, nil, 5},
		{filter{TagIDs: tags(x)}, carillon.Page{Number: math.MaxInt, Size: 100}, nil, 3},
	}
	for _, tc := range pages {
		got, n, err := e.s.ListContacts(e.ctx, a.ID, tc.f, tc.page)
		e.must(err, "ListContacts")
		what := fmt.Sprintf("ListContacts(%+v) page %d of %d", tc.f, tc.page.Number, tc.page.Size)
		check(t, what, contactIDs(got), contactIDs(tc.want))
		if n != tc.total {
			t.Errorf("%s: total %d, want %d", what, n, tc.total)
		}
	}

	got, n, err = e.s.ListContacts(e.ctx, b.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListContacts")
	if len(got) != 1 || n != 1 || got[0].AccountID != b.ID {
		t.Errorf("ListContacts of the other account: %d contacts, total %d", len(got), n)
	}
	got, n, err = e.s.ListContacts(e.ctx, a.ID+b.ID+100, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 25})
	e.must(err, "ListContacts")
	if len(got) != 0 || n != 0 {
		t.Errorf("ListContacts of a missing account: %d contacts, total %d", len(got), n)
	}
}

// A contact's deletion takes its long history a part at a time, oldest
// first, before the contact: each part's messages go with their status
// history and out of the contact's count of messages, and nothing else.
func testDeleteOldestContactMessages(t *testing.T, e *env) {
	f, fb := e.fixture("a"), e.fixture("b")
	a, c := f.acct, f.contact
	keep := e.contact(f.channel, "5491100000002")
	msgs := []carillon.Message{f.message}
	for range 4 {
		msgs = append(msgs, e.message(c, carillon.SendNone, ""))
	}
	km := e.message(keep, carillon.SendQueued, "inst")
	for _, m := range append([]carillon.Message{km}, msgs...) {
		e.must(e.s.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m.ID, Status: carillon.StatusSent, Applied: true, CreatedAt: base}), "AddStatusChange")
	}
	left := func(what string, want []carillon.Message) {
		t.Helper()
		got, n, err := e.s.ContactMessages(e.ctx, a.ID, c.ID, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ContactMessages")
		wantIDs := ids(want)
		slices.Reverse(wantIDs)
		check(t, what+": the contact's messages, newest first", ids(got), wantIDs)
		check(t, what+": their count", n, len(want))
	}

	n, err := e.s.DeleteOldestContactMessages(e.ctx, fb.acct.ID, c.ID, 10)
	e.must(err, "DeleteOldestContactMessages with the wrong account")
	check(t, "deleted with the wrong account", n, 0)
	n, err = e.s.DeleteOldestContactMessages(e.ctx, a.ID, c.ID, 2)
	e.must(err, "DeleteOldestContactMessages")
	check(t, "deleted by a part of 2", n, 2)
	left("after a part of 2", msgs[2:])
	for i, m := range msgs {
		hist, err := e.s.StatusHistory(e.ctx, m.ID)
		e.must(err, "StatusHistory")
		_, err = e.s.MessageByID(e.ctx, a.ID, m.ID)
		if gone := i < 2; gone != errors.Is(err, carillon.ErrNotFound) || gone != (len(hist) == 0) {
			t.Errorf("message %d of 5 after a part of 2: %v, %d status changes; want it gone with its history: %v", i+1, err, len(hist), gone)
		}
	}
	n, err = e.s.DeleteOldestContactMessages(e.ctx, a.ID, c.ID, 10)
	e.must(err, "DeleteOldestContactMessages")
	check(t, "deleted by a part larger than what is left", n, 3)
	left("after the last part", nil)

	// The contact stays, and so do the others' messages.
	got, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID after its messages' deletion")
	check(t, "the contact after its messages' deletion", got.UUID, c.UUID)
	gotM, err := e.s.MessageByID(e.ctx, a.ID, km.ID)
	e.must(err, "MessageByID of another contact's message")
	check(t, "another contact's message", gotM.UUID, km.UUID)
	hist, err := e.s.StatusHistory(e.ctx, km.ID)
	e.must(err, "StatusHistory of another contact's message")
	check(t, "another contact's message's history", len(hist), 1)
	_, err = e.s.MessageByID(e.ctx, fb.acct.ID, fb.message.ID)
	e.must(err, "MessageByID of another account's message")
}

func testDeleteContact(t *testing.T, e *env) {
	f, fb := e.fixture("a"), e.fixture("b")
	a := f.acct
	c, keep := f.contact, e.contact(f.channel, "5491100000002")
	m1, m2 := f.message, e.message(c, carillon.SendNone, "")
	km := e.message(keep, carillon.SendQueued, "inst")
	tagX, tagY := e.tag(a.ID, "x"), e.tag(a.ID, "y")
	field := e.field(a.ID, "Plan")
	for _, ct := range []carillon.Contact{c, keep} {
		e.must(e.s.SetContactTags(e.ctx, ct.ID, []int64{tagX.ID, tagY.ID}), "SetContactTags")
		e.must(e.s.SetContactFieldValue(e.ctx, ct.ID, field.ID, "Pro"), "SetContactFieldValue")
	}
	for _, m := range []carillon.Message{m1, m2, km} {
		e.must(e.s.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m.ID, Status: carillon.StatusSent, Applied: true, CreatedAt: base}), "AddStatusChange")
	}
	reader := e.user(a.ID, "reader@example.com")
	for _, ct := range []carillon.Contact{c, keep} {
		e.must(e.s.MarkRead(e.ctx, reader.ID, ct.ID, base), "MarkRead")
		e.must(e.s.AddConversationChanges(e.ctx, []carillon.ConversationChange{{ContactID: ct.ID, Kind: carillon.ChangeOpened, CreatedAt: base}}),
			"AddConversationChanges")
	}

	wantNotFound(t, map[string]func() error{
		"DeleteContact with the wrong account": func() error { return e.s.DeleteContact(e.ctx, fb.acct.ID, c.ID) },
		"DeleteContact of a missing contact":   func() error { return e.s.DeleteContact(e.ctx, a.ID, c.ID+keep.ID+fb.contact.ID+100) },
	})
	got, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID after a refused delete")
	check(t, "contact after a refused delete", got, c)
	tags := e.contactTags([]int64{c.ID})
	check(t, "tags after a refused delete", tags, map[int64][]string{c.ID: {"x", "y"}})
	hist, err := e.s.StatusHistory(e.ctx, m1.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 1 {
		t.Errorf("%d status changes after a refused delete, want 1", len(hist))
	}

	e.must(e.s.DeleteContact(e.ctx, a.ID, c.ID), "DeleteContact")
	wantNotFound(t, map[string]func() error{
		"ContactByID after delete":      func() error { _, err := e.s.ContactByID(e.ctx, a.ID, c.ID); return err },
		"ContactByUUID after delete":    func() error { _, err := e.s.ContactByUUID(e.ctx, a.ID, c.UUID); return err },
		"ContactByAddress after delete": func() error { _, err := e.s.ContactByAddress(e.ctx, f.channel.ID, c.Address); return err },
		"MessageByID after delete":      func() error { _, err := e.s.MessageByID(e.ctx, a.ID, m1.ID); return err },
		"MessageByUUID after delete":    func() error { _, err := e.s.MessageByUUID(e.ctx, a.ID, m2.UUID); return err },
		"DeleteContact twice":           func() error { return e.s.DeleteContact(e.ctx, a.ID, c.ID) },
	})
	for _, m := range []carillon.Message{m1, m2} {
		hist, err := e.s.StatusHistory(e.ctx, m.ID)
		e.must(err, "StatusHistory")
		if len(hist) != 0 {
			t.Errorf("message %d of a deleted contact keeps %d status changes", m.ID, len(hist))
		}
	}
	msgs, n, err := e.s.ContactMessages(e.ctx, a.ID, c.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ContactMessages")
	if len(msgs) != 0 || n != 0 {
		t.Errorf("a deleted contact keeps %d messages (total %d)", len(msgs), n)
	}
	tags = e.contactTags([]int64{c.ID, keep.ID})
	check(t, "tags after delete", tags, map[int64][]string{c.ID: {}, keep.ID: {"x", "y"}})
	values := e.contactValues([]int64{c.ID, keep.ID})
	check(t, "field values after delete", values, map[int64]map[int64]string{c.ID: {}, keep.ID: {field.ID: "Pro"}})
	marks, err := e.s.ReadMarks(e.ctx, reader.ID, []int64{c.ID, keep.ID})
	e.must(err, "ReadMarks")
	check(t, "read marks after delete", marks, map[int64]time.Time{keep.ID: base})
	for ct, want := range map[int64]int{c.ID: 0, keep.ID: 1} {
		history, err := e.s.ConversationHistory(e.ctx, ct, time.Time{}, time.Time{}, 10)
		e.must(err, "ConversationHistory")
		if len(history) != want {
			t.Errorf("contact %d has %d history entries after delete, want %d", ct, len(history), want)
		}
	}

	// Nothing else went: the other contacts, their messages and history,
	// the tags and fields themselves, the queue.
	got, err = e.s.ContactByID(e.ctx, a.ID, keep.ID)
	e.must(err, "ContactByID of another contact")
	check(t, "another contact after delete", got, keep)
	gotM, err := e.s.MessageByID(e.ctx, a.ID, km.ID)
	e.must(err, "MessageByID of another contact's message")
	check(t, "another contact's message after delete", gotM, km)
	hist, err = e.s.StatusHistory(e.ctx, km.ID)
	e.must(err, "StatusHistory")
	if len(hist) != 1 {
		t.Errorf("another contact's message has %d status changes after delete, want 1", len(hist))
	}
	got, err = e.s.ContactByID(e.ctx, fb.acct.ID, fb.contact.ID)
	e.must(err, "ContactByID of another account's contact")
	check(t, "another account's contact after delete", got, fb.contact)
	gotM, err = e.s.MessageByID(e.ctx, fb.acct.ID, fb.message.ID)
	e.must(err, "MessageByID of another account's message")
	check(t, "another account's message after delete", gotM, fb.message)
	tagList, _, err := e.s.ListTags(e.ctx, a.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListTags")
	check(t, "tags after delete", tagList, []carillon.Tag{tagX, tagY})
	if _, err := e.s.CustomFieldByName(e.ctx, a.ID, "Plan"); err != nil {
		t.Errorf("CustomFieldByName after delete: %v", err)
	}
	queued, err := e.s.QueuedMessages(e.ctx, "inst", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "queue after delete", ids(queued), []int64{fb.message.ID, km.ID})
	list, n, err := e.s.ListContacts(e.ctx, a.ID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ListContacts")
	check(t, "contacts after delete", contactIDs(list), []int64{keep.ID})
	if n != 1 {
		t.Errorf("ListContacts total %d after delete, want 1", n)
	}
	// The address is free again.
	e.contact(f.channel, c.Address)
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

func fullContact(ch carillon.Channel, userID, teamID int64) carillon.Contact {
	return carillon.Contact{
		UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID,
		Address: "5491122334455", BSUID: "AR.1234567890", Name: "Zoë O'Brien \"Z\"",
		CreatedAt: sloppy(at(time.Minute)), UpdatedAt: sloppy(at(2 * time.Minute)), LastInboundAt: sloppy(at(3 * time.Minute)),
		ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: sloppy(at(4 * time.Minute)),
		ClosedAt: sloppy(at(5 * time.Minute)), ClosingReason: "resolved",
		AssignedUserID: userID, TeamID: teamID, FunnelID: "7a1c2b3d-0000-4000-8000-000000000001",
		BlockedAt: sloppy(at(6 * time.Minute)), Note: "VIP; línea 2\nsecond line", BotStatus: "bot_start",
		BotStartedAt: sloppy(at(7 * time.Minute)), LastMessageAt: sloppy(at(8 * time.Minute)), LastMessageDirection: carillon.Inbound,
	}
}

func normContact(c carillon.Contact) carillon.Contact {
	c.CreatedAt, c.UpdatedAt, c.LastInboundAt = norm(c.CreatedAt), norm(c.UpdatedAt), norm(c.LastInboundAt)
	c.ConversationCreatedAt, c.ClosedAt = norm(c.ConversationCreatedAt), norm(c.ClosedAt)
	c.BlockedAt, c.BotStartedAt, c.LastMessageAt = norm(c.BlockedAt), norm(c.BotStartedAt), norm(c.LastMessageAt)
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
	checkLookups(t, want,
		lookup[carillon.Contact]{"ContactByID", func() (carillon.Contact, error) { return e.s.ContactByID(e.ctx, a.ID, c.ID) }},
		lookup[carillon.Contact]{"ContactByUUID", func() (carillon.Contact, error) { return e.s.ContactByUUID(e.ctx, a.ID, c.UUID) }},
		lookup[carillon.Contact]{"ContactByAddress", func() (carillon.Contact, error) { return e.s.ContactByAddress(e.ctx, ch.ID, c.Address) }},
		lookup[carillon.Contact]{"ContactByBSUID", func() (carillon.Contact, error) { return e.s.ContactByBSUID(e.ctx, ch.ID, c.BSUID) }},
	)

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
	clr.LastMessageAt, clr.LastMessageDirection = time.Time{}, ""
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

	// UpdateContactFrom writes each column that changed from the row its
	// caller read, whichever it is.
	for _, tc := range []struct {
		column string
		change func(c *carillon.Contact)
	}{
		{"address", func(c *carillon.Contact) { c.Address = "5491100000009" }},
		{"bsuid", func(c *carillon.Contact) { c.BSUID = "AR.77" }},
		{"name", func(c *carillon.Contact) { c.Name = "Ada" }},
		{"updated_at", func(c *carillon.Contact) { c.UpdatedAt = at(2 * time.Hour) }},
		{"last_inbound_at", func(c *carillon.Contact) { c.LastInboundAt = at(3 * time.Hour) }},
		{"conversation_uuid", func(c *carillon.Contact) { c.ConversationUUID = carillon.NewUUID() }},
		{"conversation_created_at", func(c *carillon.Contact) { c.ConversationCreatedAt = at(4 * time.Hour) }},
		{"closed_at", func(c *carillon.Contact) { c.ClosedAt = at(5 * time.Hour) }},
		{"closing_reason", func(c *carillon.Contact) { c.ClosingReason = "solved" }},
		{"assigned_user_id", func(c *carillon.Contact) { c.AssignedUserID = 44 }},
		{"team_id", func(c *carillon.Contact) { c.TeamID = 45 }},
		{"funnel_id", func(c *carillon.Contact) { c.FunnelID = "funnel" }},
		{"blocked_at", func(c *carillon.Contact) { c.BlockedAt = at(6 * time.Hour) }},
		{"note", func(c *carillon.Contact) { c.Note = "a note" }},
		{"bot_status", func(c *carillon.Contact) { c.BotStatus = "bot_start" }},
		{"bot_started_at", func(c *carillon.Contact) { c.BotStartedAt = at(7 * time.Hour) }},
		{"last_message_at", func(c *carillon.Contact) { c.LastMessageAt = at(8 * time.Hour) }},
		{"last_message_direction", func(c *carillon.Contact) { c.LastMessageDirection = carillon.Outbound }},
	} {
		was, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
		e.must(err, "ContactByID")
		next := was
		tc.change(&next)
		e.must(e.s.UpdateContactFrom(e.ctx, was, &next), "UpdateContactFrom ("+tc.column+")")
		got, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
		e.must(err, "ContactByID")
		check(t, "contact after UpdateContactFrom changed "+tc.column, got, normContact(next))
	}
	// A row another writer changed since the caller read it is not
	// written: what the caller made of it may not hold for the row as it
	// is now (a conversation closed meanwhile, an assignee); the caller
	// is told, to read it again. What the other wrote stays.
	was, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID")
	meanwhile := was
	meanwhile.Note, meanwhile.BotStatus, meanwhile.ClosedAt = "written meanwhile", "bot_end", at(10*time.Hour)
	e.must(e.s.UpdateContact(e.ctx, &meanwhile), "UpdateContact (meanwhile)")
	sent := was
	sent.UpdatedAt, sent.LastMessageAt, sent.LastMessageDirection = at(9*time.Hour), at(9*time.Hour), carillon.Outbound
	wantErr(t, "UpdateContactFrom a row changed meanwhile", e.s.UpdateContactFrom(e.ctx, was, &sent), carillon.ErrStale)
	got, err = e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID")
	check(t, "contact after UpdateContactFrom from a row changed meanwhile", got, normContact(meanwhile))
	// In a transaction, the stale write fails the transaction, whichever
	// of its statements reports it and whatever its caller makes of that
	// (PostgreSQL reports it with the next statement sent, a read here,
	// whose error this caller drops), and nothing of the transaction is
	// kept: neither the tag made before it nor the note after.
	err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
		tag := carillon.Tag{AccountID: a.ID, Name: "made before a stale write", CreatedAt: base}
		e.must(q.CreateTag(e.ctx, &tag), "CreateTag")
		if err := q.UpdateContactFrom(e.ctx, was, &sent); err != nil {
			return err
		}
		_, _ = q.ContactByUUID(e.ctx, a.ID, "no such contact")
		noted := sent
		noted.Note = "after a stale write"
		_ = q.UpdateContact(e.ctx, &noted)
		return nil
	})
	wantErr(t, "a transaction with UpdateContactFrom a row changed meanwhile", err, carillon.ErrStale)
	got, err = e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID")
	check(t, "contact after a transaction with a stale UpdateContactFrom", got, normContact(meanwhile))
	if _, err := e.s.TagByName(e.ctx, a.ID, "made before a stale write"); !errors.Is(err, carillon.ErrNotFound) {
		t.Errorf("TagByName of the tag made before a stale write, in the transaction that failed: %v, want not found", err)
	}
	// Read again, the change is written.
	was = got
	sent = was
	sent.UpdatedAt, sent.LastMessageAt, sent.LastMessageDirection = at(9*time.Hour), at(9*time.Hour), carillon.Outbound
	e.must(e.s.UpdateContactFrom(e.ctx, was, &sent), "UpdateContactFrom (read again)")
	got, err = e.s.ContactByID(e.ctx, a.ID, c.ID)
	e.must(err, "ContactByID")
	check(t, "contact after UpdateContactFrom from the row read again", got, normContact(sent))
	// A row gone is not found.
	gone := e.contact(e.channel(a.ID, carillon.Telegram, false), "43")
	e.must(e.s.DeleteContact(e.ctx, a.ID, gone.ID), "DeleteContact")
	next := gone
	next.Note = "too late"
	wantErr(t, "UpdateContactFrom a deleted contact", e.s.UpdateContactFrom(e.ctx, gone, &next), carillon.ErrNotFound)
}

// testContactCount: the total of the list of all an account's contacts,
// and of one source's, is the store's count of them (contact_counts),
// kept as contacts are created and deleted, in and out of transactions,
// from several writers at once; it must agree with the contacts listed.
func testContactCount(t *testing.T, e *env) {
	f, fb := e.fixture("a"), e.fixture("b")
	a := f.acct
	e.contact(e.channel(a.ID, carillon.Telegram, true), "42")
	// total is the account's total, checked against the contacts listed
	// and against the totals of its sources.
	total := func(accountID int64) int {
		t.Helper()
		list, n, err := e.s.ListContacts(e.ctx, accountID, carillon.ContactFilter{}, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ListContacts")
		if n != len(list) {
			t.Errorf("account %d: total %d, but %d contacts listed", accountID, n, len(list))
		}
		sum := 0
		for _, source := range []carillon.ChannelType{carillon.WhatsApp, carillon.Telegram} {
			list, n, err := e.s.ListContacts(e.ctx, accountID, carillon.ContactFilter{ChannelType: source}, carillon.Page{Number: 1, Size: 100})
			e.must(err, "ListContacts of a source")
			if n != len(list) {
				t.Errorf("account %d, %s: total %d, but %d contacts listed", accountID, source, n, len(list))
			}
			sum += n
		}
		if sum != n {
			t.Errorf("account %d: total %d, but its sources' add up to %d", accountID, n, sum)
		}
		return n
	}
	wantTotals := func(what string, wantA, wantB int) {
		t.Helper()
		if gotA, gotB := total(a.ID), total(fb.acct.ID); gotA != wantA || gotB != wantB {
			t.Errorf("%s: totals %d and %d, want %d and %d", what, gotA, gotB, wantA, wantB)
		}
	}
	wantTotals("one contact each, and a Telegram one", 2, 1)

	// Several in one transaction, and one in a transaction that rolls back.
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		for i := range 3 {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: fmt.Sprintf("54911000001%02d", i),
				ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
			if err := q.CreateContact(e.ctx, &c); err != nil {
				return err
			}
		}
		return nil
	}), "CreateContact in a transaction")
	wantTotals("three more in a transaction", 5, 1)
	errRollback := errors.New("rolled back")
	err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
		c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: "5491100000200",
			ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
		if err := q.CreateContact(e.ctx, &c); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, "a transaction that rolls back", err, errRollback)
	wantTotals("after a rollback", 5, 1)
	// A refused insert (the address is taken) counts nothing.
	dup := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: f.contact.Address,
		ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
	wantErr(t, "CreateContact of a taken address", e.s.CreateContact(e.ctx, &dup), carillon.ErrConflict)
	wantTotals("after a refused insert", 5, 1)

	// A contact deleted with its messages; a refused delete changes nothing.
	e.message(f.contact, carillon.SendNone, "")
	e.must(e.s.DeleteContact(e.ctx, a.ID, f.contact.ID), "DeleteContact")
	wantTotals("after a delete", 4, 1)
	wantNotFound(t, map[string]func() error{
		"DeleteContact twice":                  func() error { return e.s.DeleteContact(e.ctx, a.ID, f.contact.ID) },
		"DeleteContact with the wrong account": func() error { return e.s.DeleteContact(e.ctx, a.ID, fb.contact.ID) },
	})
	wantTotals("after refused deletes", 4, 1)
	// Created and deleted in one transaction: no change.
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: fb.acct.ID, ChannelID: fb.channel.ID, Address: "5491100000300",
			ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
		if err := q.CreateContact(e.ctx, &c); err != nil {
			return err
		}
		return q.DeleteContact(e.ctx, fb.acct.ID, c.ID)
	}), "CreateContact and DeleteContact in a transaction")
	wantTotals("after a contact created and deleted at once", 4, 1)

	// Writers at once, each creating contacts alone and in transactions,
	// and deleting some: every change is counted once.
	const workers, each = 6, 6
	e.concurrently(workers, each, func(w, i int) error {
		c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: fmt.Sprintf("549119%02d%04d", w, i),
			ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
		var err error
		if i%2 == 0 {
			err = e.s.CreateContact(e.ctx, &c)
		} else {
			err = e.s.InTx(e.ctx, func(q carillon.Queries) error { return q.CreateContact(e.ctx, &c) })
		}
		if err == nil && i == each-1 {
			err = e.s.DeleteContact(e.ctx, a.ID, c.ID)
		}
		return err
	})
	wantTotals("after the writers", 4+workers*(each-1), 1)
}

// testTeamAndTagCounts: the total of the list of one team's contacts, and
// of one tag's, is the store's count of them (team_counts, tag_counts),
// kept as contacts are created in a team, moved between teams (also from a
// stale read), tagged and untagged, deleted, and as tags are deleted, in
// and out of transactions, from several writers at once; it must agree
// with the contacts listed.
func testTeamAndTagCounts(t *testing.T, e *env) {
	f := e.fixture("a")
	a := f.acct
	one, two := e.team(a.ID, "One"), e.team(a.ID, "Two")
	x, y := e.tag(a.ID, "x"), e.tag(a.ID, "y")
	listed := func(what string, filter carillon.ContactFilter, want int) {
		t.Helper()
		list, n, err := e.s.ListContacts(e.ctx, a.ID, filter, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ListContacts")
		if n != len(list) || n != want {
			t.Errorf("%s: total %d and %d contacts listed, want %d", what, n, len(list), want)
		}
	}
	wantTotals := func(what string, inOne, inTwo, withX, withY int) {
		t.Helper()
		listed(what+", team One", carillon.ContactFilter{TeamID: one.ID}, inOne)
		listed(what+", team Two", carillon.ContactFilter{TeamID: two.ID}, inTwo)
		listed(what+", tag x", carillon.ContactFilter{TagIDs: []int64{x.ID}}, withX)
		listed(what+", tag y", carillon.ContactFilter{TagIDs: []int64{y.ID}}, withY)
	}
	wantTotals("none yet", 0, 0, 0, 0)

	// Created in a team; moved into one, between two, out of one.
	c1 := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: "5491100000101",
		TeamID: one.ID, ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateContact(e.ctx, &c1), "CreateContact in a team")
	c2 := e.contact(f.channel, "5491100000102")
	c2.TeamID = one.ID
	e.must(e.s.UpdateContact(e.ctx, &c2), "UpdateContact into a team")
	wantTotals("two in team One", 2, 0, 0, 0)
	read := c2 // as a caller read it, in team One
	moved := c2
	moved.TeamID = two.ID
	e.must(e.s.UpdateContactFrom(e.ctx, c2, &moved), "UpdateContactFrom to another team")
	wantTotals("one moved to team Two", 1, 1, 0, 0)
	// From the stale read (the row is in team Two, not One): nothing is
	// written, the numbers stay; from the row as it is, it leaves Two.
	stale := read
	stale.TeamID = 0
	wantErr(t, "UpdateContactFrom out of a team, from a stale read", e.s.UpdateContactFrom(e.ctx, read, &stale), carillon.ErrStale)
	wantTotals("one still in team Two", 1, 1, 0, 0)
	out := moved
	out.TeamID = 0
	e.must(e.s.UpdateContactFrom(e.ctx, moved, &out), "UpdateContactFrom out of a team")
	wantTotals("out of team Two", 1, 0, 0, 0)
	// A change of the assignee alone writes the team too, unchanged.
	c1.AssignedUserID = 0
	assigned := c1
	assigned.AssignedUserID = 7
	e.must(e.s.UpdateContactFrom(e.ctx, c1, &assigned), "UpdateContactFrom of the assignee")
	wantTotals("assigned", 1, 0, 0, 0)
	errRollback := errors.New("rolled back")
	err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
		cur := assigned
		cur.TeamID = two.ID
		if err := q.UpdateContactFrom(e.ctx, assigned, &cur); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, "a move that rolls back", err, errRollback)
	wantTotals("after a rollback", 1, 0, 0, 0)

	// Tags set, changed, named twice, kept, removed.
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{x.ID, y.ID}), "SetContactTags")
	wantTotals("one contact tagged x and y", 1, 0, 1, 1)
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{y.ID, y.ID}), "SetContactTags, y twice")
	wantTotals("its x removed", 1, 0, 0, 1)
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{x.ID, y.ID}), "SetContactTags")
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{x.ID, y.ID}), "SetContactTags again")
	wantTotals("another tagged x and y", 1, 0, 1, 2)
	e.must(e.s.SetContactTags(e.ctx, c2.ID, nil), "SetContactTags to none")
	wantTotals("its tags removed", 1, 0, 0, 1)

	// A contact deleted with its team and tags.
	e.must(e.s.DeleteContact(e.ctx, a.ID, c1.ID), "DeleteContact")
	wantTotals("after a delete", 0, 0, 0, 0)

	// A tag deleted takes its count along: a tag made afterwards (SQLite
	// may give it the same id) starts from none.
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{x.ID}), "SetContactTags")
	if _, err := e.s.DeleteTag(e.ctx, a.ID, x.ID); err != nil {
		t.Fatalf("DeleteTag: %v", err)
	}
	listed("the deleted tag", carillon.ContactFilter{TagIDs: []int64{x.ID}}, 0)
	z := e.tag(a.ID, "z")
	listed("a new tag", carillon.ContactFilter{TagIDs: []int64{z.ID}}, 0)
	e.must(e.s.SetContactTags(e.ctx, c2.ID, []int64{z.ID, y.ID}), "SetContactTags")
	listed("the new tag, set", carillon.ContactFilter{TagIDs: []int64{z.ID}}, 1)
	wantTotals("c2 tagged y", 0, 0, 0, 1)

	// Writers at once, each creating contacts in team One tagged y, some
	// moved to team Two and some deleted: every change is counted once.
	const workers, each = 6, 6
	e.concurrently(workers, each, func(w, i int) error {
		return e.s.InTx(e.ctx, func(q carillon.Queries) error {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: fmt.Sprintf("549118%02d%04d", w, i),
				TeamID: one.ID, ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
			if err := q.CreateContact(e.ctx, &c); err != nil {
				return err
			}
			if err := q.SetContactTags(e.ctx, c.ID, []int64{y.ID}); err != nil {
				return err
			}
			switch i {
			case 0:
				cur := c
				cur.TeamID = two.ID
				return q.UpdateContactFrom(e.ctx, c, &cur)
			case 1:
				return q.DeleteContact(e.ctx, a.ID, c.ID)
			}
			return nil
		})
	})
	wantTotals("after the writers", workers*(each-2), workers, 0, 1+workers*(each-1))
}

// testContactPagesFarIn: every page of a long list of contacts, of all an
// account's and of one source's, newest first, is the slice of the whole
// list it names, with the right total, also after contacts were deleted
// and created again; pages far from the first are found through the
// store's counts by block of contact ids, which the store's own tests
// make small.
func testContactPagesFarIn(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa, tg := e.channel(a.ID, carillon.WhatsApp, true), e.channel(a.ID, carillon.Telegram, false)
	waB := e.channel(b.ID, carillon.WhatsApp, true)
	// One tag of each account: a tag alone pages through its own index,
	// and far in through its blocks. Account a's is made last, so that a
	// tag made after it is deleted may get its id (SQLite).
	vip, vipB := carillon.Tag{AccountID: a.ID, Name: "vip", CreatedAt: base}, carillon.Tag{AccountID: b.ID, Name: "vip", CreatedAt: base}
	e.must(e.s.CreateTag(e.ctx, &vipB), "CreateTag")
	e.must(e.s.CreateTag(e.ctx, &vip), "CreateTag")
	var contacts []carillon.Contact // account a's, oldest first
	tagged := map[int64]bool{}      // account a's contacts tagged vip
	made := 0
	create := func(n int) {
		t.Helper()
		e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
			for i := range n {
				ch := wa
				if i%3 == 2 {
					ch = tg
				}
				made++
				for _, c := range []carillon.Contact{
					{UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Address: fmt.Sprintf("54911%08d", made),
						ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base},
					// Another account's, between them: its ids interleave.
					{UUID: carillon.NewUUID(), AccountID: b.ID, ChannelID: waB.ID, Address: fmt.Sprintf("54911%08d", made),
						ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base},
				} {
					if err := q.CreateContact(e.ctx, &c); err != nil {
						return err
					}
					// Every fourth tagged, in both accounts; account b's
					// with account a's tag too, which a's list of the tag
					// must leave out.
					if made%4 == 1 {
						tags := []int64{vip.ID}
						if c.AccountID == b.ID {
							tags = []int64{vipB.ID, vip.ID}
						}
						if err := q.SetContactTags(e.ctx, c.ID, tags); err != nil {
							return err
						}
					}
					if c.AccountID == a.ID {
						contacts = append(contacts, c)
						tagged[c.ID] = made%4 == 1
					}
				}
			}
			return nil
		}), "CreateContact")
	}
	channelOf := map[carillon.ChannelType]int64{carillon.WhatsApp: wa.ID, carillon.Telegram: tg.ID}
	type contactList struct {
		name   string
		filter carillon.ContactFilter
		has    func(c carillon.Contact) bool
	}
	checkPages := func(what string) {
		t.Helper()
		for _, l := range []contactList{
			{"all", carillon.ContactFilter{}, func(carillon.Contact) bool { return true }},
			{"source whatsapp", carillon.ContactFilter{ChannelType: carillon.WhatsApp}, func(c carillon.Contact) bool { return c.ChannelID == channelOf[carillon.WhatsApp] }},
			{"source telegram", carillon.ContactFilter{ChannelType: carillon.Telegram}, func(c carillon.Contact) bool { return c.ChannelID == channelOf[carillon.Telegram] }},
			{"tag " + vip.Name, carillon.ContactFilter{TagIDs: []int64{vip.ID}}, func(c carillon.Contact) bool { return tagged[c.ID] }},
			{"tag " + vip.Name + ", source whatsapp", carillon.ContactFilter{TagIDs: []int64{vip.ID}, ChannelType: carillon.WhatsApp},
				func(c carillon.Contact) bool { return tagged[c.ID] && c.ChannelID == channelOf[carillon.WhatsApp] }},
		} {
			var want []carillon.Contact // newest first
			for i := len(contacts) - 1; i >= 0; i-- {
				if l.has(contacts[i]) {
					want = append(want, contacts[i])
				}
			}
			for _, size := range []int{7, 25} {
				for number := 1; number <= len(want)/size+2; number++ {
					page := carillon.Page{Number: number, Size: size}
					got, n, err := e.s.ListContacts(e.ctx, a.ID, l.filter, page)
					e.must(err, "ListContacts")
					from, to := min(page.Offset(), len(want)), min(page.Offset()+size, len(want))
					if n != len(want) || !slices.Equal(contactIDs(got), contactIDs(want[from:to])) {
						t.Fatalf("%s, %s, page %d of %d: total %d and %v, want %d and %v", what, l.name, number, size,
							n, contactIDs(got), len(want), contactIDs(want[from:to]))
					}
				}
			}
		}
	}
	create(120)
	checkPages("120 contacts")
	// Deleted: every fifth, and a run of them that empties blocks.
	var kept []carillon.Contact
	for i, c := range contacts {
		if i%5 == 0 || (i >= 40 && i < 75) {
			e.must(e.s.DeleteContact(e.ctx, a.ID, c.ID), "DeleteContact")
		} else {
			kept = append(kept, c)
		}
	}
	contacts = kept
	checkPages("after deletes")
	// Untagged: every other tagged one; tagged: some that were not.
	for i, c := range contacts {
		switch {
		case tagged[c.ID] && i%2 == 0:
			e.must(e.s.SetContactTags(e.ctx, c.ID, nil), "SetContactTags")
			tagged[c.ID] = false
		case !tagged[c.ID] && i%7 == 3:
			e.must(e.s.SetContactTags(e.ctx, c.ID, []int64{vip.ID}), "SetContactTags")
			tagged[c.ID] = true
		}
	}
	checkPages("after tags changed")
	create(30)
	checkPages("created again")
	// The tag deleted and another made: none of the deleted tag's
	// contacts, nor its counts, come with the new one.
	_, err := e.s.DeleteTag(e.ctx, a.ID, vip.ID)
	e.must(err, "DeleteTag")
	vip = carillon.Tag{AccountID: a.ID, Name: "vip2", CreatedAt: base}
	e.must(e.s.CreateTag(e.ctx, &vip), "CreateTag")
	clear(tagged)
	for i, c := range contacts {
		if i%3 == 1 {
			e.must(e.s.SetContactTags(e.ctx, c.ID, []int64{vip.ID}), "SetContactTags")
			tagged[c.ID] = true
		}
	}
	checkPages("a tag made after one deleted")
}

// concurrently runs work for each of each items on workers goroutines at
// once (w the worker, i the item) and reports the errors.
func (e *env) concurrently(workers, each int, work func(w, i int) error) {
	e.t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				if err := work(w, i); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		e.t.Errorf("a writer: %v", err)
	}
}

// testPreloadContacts: a transaction's reads of the contacts it preloaded
// answer what reads without it answer (by id, by address, none for a
// missing one), then what the transaction itself wrote; and on a store
// whose transactions see others' commits (PostgreSQL), a contact another
// transaction changed after the preload is not written over.
func testPreloadContacts(t *testing.T, e *env) {
	f := e.fixture("a")
	a := f.acct
	ada, bob := e.contact(f.channel, "5491100000201"), e.contact(f.channel, "5491100000202")
	other := e.fixture("b")
	refs := []carillon.ContactRef{{ID: ada.ID}, {ChannelID: f.channel.ID, Address: bob.Address},
		{ID: 1 << 40}, {ChannelID: f.channel.ID, Address: "5491100000299"}, {ChannelID: f.channel.ID}}
	err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
		e.must(q.PreloadContacts(e.ctx, refs), "PreloadContacts")
		got, err := q.ContactByID(e.ctx, a.ID, ada.ID)
		e.must(err, "ContactByID (preloaded)")
		check(t, "a contact preloaded by id", got, normContact(ada))
		got, err = q.ContactByAddress(e.ctx, f.channel.ID, bob.Address)
		e.must(err, "ContactByAddress (preloaded)")
		check(t, "a contact preloaded by address", got, normContact(bob))
		got, err = q.ContactByID(e.ctx, a.ID, bob.ID)
		e.must(err, "ContactByID (preloaded by address)")
		check(t, "a contact preloaded by address, read by id", got, normContact(bob))
		_, err = q.ContactByID(e.ctx, other.acct.ID, ada.ID)
		wantErr(t, "ContactByID of another account's contact, preloaded", err, carillon.ErrNotFound)
		_, err = q.ContactByAddress(e.ctx, f.channel.ID, "5491100000299")
		wantErr(t, "ContactByAddress of no contact, preloaded", err, carillon.ErrNotFound)
		renamed := ada
		renamed.Name = "Ada L."
		e.must(q.UpdateContactFrom(e.ctx, ada, &renamed), "UpdateContactFrom (preloaded)")
		got, err = q.ContactByID(e.ctx, a.ID, ada.ID)
		e.must(err, "ContactByID (after its update)")
		check(t, "a preloaded contact after its update", got, normContact(renamed))
		return nil
	})
	e.must(err, "InTx")
	// By ids alone, by addresses alone.
	for _, refs := range [][]carillon.ContactRef{refs[:1], refs[1:2]} {
		err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
			e.must(q.PreloadContacts(e.ctx, refs), "PreloadContacts")
			got, err := q.ContactByID(e.ctx, a.ID, ada.ID)
			e.must(err, "ContactByID")
			if got.Name != "Ada L." {
				t.Errorf("contact read after a preload of %+v: name %q, want the one written before", refs, got.Name)
			}
			got, err = q.ContactByAddress(e.ctx, f.channel.ID, bob.Address)
			e.must(err, "ContactByAddress")
			check(t, "a contact read after a preload", got, normContact(bob))
			return nil
		})
		e.must(err, "InTx")
	}
	if !e.s.Shared() {
		return
	}
	ada, err = e.s.ContactByID(e.ctx, a.ID, ada.ID)
	e.must(err, "ContactByID")
	err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
		e.must(q.PreloadContacts(e.ctx, refs), "PreloadContacts")
		meanwhile := ada
		meanwhile.AssignedUserID = 7
		e.must(e.s.UpdateContact(e.ctx, &meanwhile), "UpdateContact (another transaction, after the preload)")
		// The preload answers the read, as it was read: no statement.
		read, err := q.ContactByID(e.ctx, a.ID, ada.ID)
		e.must(err, "ContactByID")
		check(t, "a contact read after the preload", read, normContact(ada))
		next := read
		next.Note = "written over?"
		return q.UpdateContactFrom(e.ctx, read, &next)
	})
	wantErr(t, "UpdateContactFrom of a contact changed after the preload", err, carillon.ErrStale)
	got, err := e.s.ContactByID(e.ctx, a.ID, ada.ID)
	e.must(err, "ContactByID")
	if got.AssignedUserID != 7 || got.Note == "written over?" {
		t.Errorf("contact changed after the preload: assignee %d, note %q; want the other transaction's assignee, and no note", got.AssignedUserID, got.Note)
	}
}
