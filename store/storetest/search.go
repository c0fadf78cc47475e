package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// searchPages walks a search page by page, limit rows at a time, from the
// newest, each page after the last id of the one before, until a page
// comes back short; it returns every row read and the pages' lengths.
func searchPages[T any](t *testing.T, what string, limit int, id func(T) int64, search func(before int64, limit int) ([]T, error)) ([]T, []int) {
	t.Helper()
	var all []T
	var sizes []int
	before := int64(0)
	for range 100 {
		page, err := search(before, limit)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		all, sizes = append(all, page...), append(sizes, len(page))
		if len(page) < limit {
			return all, sizes
		}
		before = id(page[len(page)-1])
	}
	t.Fatalf("%s: more than 100 pages", what)
	return nil, nil
}

// testSearchMessages finds messages by their words, whatever their case
// and accents and however old, a word's start as the last word, only in
// the account searched and the chats a filter names; follows their text
// when it changes, a deletion, a contact's removal; and pages newest first.
func testSearchMessages(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	agent := e.user(a.ID, "agent@example.com")
	teamA, teamB := e.team(a.ID, "A"), e.team(a.ID, "B")
	ada := e.contact(wa, "31612345678")
	ada.AssignedUserID, ada.TeamID = agent.ID, teamB.ID // assigned to agent, in another team
	e.must(e.s.UpdateContact(e.ctx, &ada), "UpdateContact")
	bob := e.contact(wa, "31687654321")
	bob.TeamID = teamB.ID
	e.must(e.s.UpdateContact(e.ctx, &bob), "UpdateContact")
	cy := e.contact(wa, "31600000003") // no team
	gone := e.contact(wa, "31600000004")
	stranger := e.contact(e.channel(b.ID, carillon.WhatsApp, true), "31612345678")

	add := func(c carillon.Contact, dir carillon.Direction, content carillon.Content, created time.Time) carillon.Message {
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: dir, Type: carillon.TypeText, Content: content, Status: carillon.StatusReceived,
			CreatedAt: sloppy(created), UpdatedAt: sloppy(created)}
		if dir == carillon.Note {
			m.Status = carillon.StatusNote
		}
		if content.URL != "" {
			m.Type = "image"
		}
		e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
		return m
	}
	text := func(s string) carillon.Content { return carillon.Content{Text: s} }
	yearAgo := at(-365 * 24 * time.Hour)
	m1 := add(ada, carillon.Inbound, text("Déjà vu, encore !"), yearAgo)
	m2 := add(bob, carillon.Inbound, text("DEJEUNER à midi ?"), at(time.Minute))
	m3 := add(cy, carillon.Inbound, text("Le déjà-vu du matin"), at(2*time.Minute))
	m4 := add(ada, carillon.Note, text("Note : déja appelé"), at(3*time.Minute))
	m5 := add(ada, carillon.Inbound, carillon.Content{URL: "https://example.com/a.jpg", Text: "Photo du Déjeuner"}, at(4*time.Minute))
	add(ada, carillon.Inbound, carillon.Content{URL: "https://example.com/b.jpg"}, at(5*time.Minute)) // no words
	m7 := add(bob, carillon.Outbound, text("hello"), at(6*time.Minute))
	m8 := add(bob, carillon.Outbound, text("déjà supprimé"), at(7*time.Minute))
	m9 := add(stranger, carillon.Inbound, text("Déjà vu"), at(8*time.Minute))
	add(gone, carillon.Inbound, text("déjà parti"), at(9*time.Minute))

	// A status leaves the words as they are, and so does UpdateMessage of
	// a message whose text changed in memory only (it does not write the
	// content); a deletion (EraseMessage) removes them; so does removing
	// the contact, with its messages.
	m1.Status, m1.UpdatedAt = carillon.StatusRead, sloppy(at(time.Hour))
	e.must(e.s.UpdateMessage(e.ctx, &m1), "UpdateMessage (status)")
	m7.Content = text("Bonjour Zoë")
	e.must(e.s.UpdateMessage(e.ctx, &m7), "UpdateMessage (text in memory)")
	m7.Content = text("hello")
	m8.Status = carillon.StatusDeleted
	e.must(e.s.EraseMessage(e.ctx, &m8), "EraseMessage")
	e.must(e.s.DeleteContact(e.ctx, a.ID, gone.ID), "DeleteContact")

	words := func(prefix bool, w ...string) carillon.SearchFilter {
		return carillon.SearchFilter{AccountID: a.ID, Words: w, Prefix: prefix}
	}
	cases := []struct {
		name string
		f    carillon.SearchFilter
		want []carillon.Message
	}{
		{"a word, whatever its accents and case, notes included", words(false, "deja"), []carillon.Message{m4, m3, m1}},
		{"a word's start", words(true, "dej"), []carillon.Message{m5, m4, m3, m2, m1}},
		{"a whole word is not a start", words(false, "dej"), nil},
		{"a longer start", words(true, "dejeu"), []carillon.Message{m5, m2}},
		{"a whole word as a start", words(true, "deja", "encore"), []carillon.Message{m1}},
		{"a start no word has", words(true, "dejx"), nil},
		{"a caption", words(false, "dejeuner"), []carillon.Message{m5, m2}},
		{"every word", words(false, "deja", "vu"), []carillon.Message{m3, m1}},
		{"every word, in any order, the last one's start", words(true, "vu", "de"), []carillon.Message{m3, m1}},
		{"every word, one missing", words(false, "deja", "nuit"), nil},
		{"text UpdateMessage did not write", words(false, "zoe"), nil},
		{"the stored text", words(false, "hello"), []carillon.Message{m7}},
		{"a deleted message", words(false, "supprime"), nil},
		{"a removed contact's", words(false, "parti"), nil},
		{"another account's", carillon.SearchFilter{AccountID: b.ID, Words: []string{"deja"}}, []carillon.Message{m9}},
		{"no account", carillon.SearchFilter{AccountID: 1 << 40, Words: []string{"deja"}}, nil},
		{"no word", words(true), nil},
		{"words that are not folded are words, not a query's syntax", words(true, `"deja" OR`, `vu's\\`, "NOT", "*"), nil},
		{"assigned to a user", carillon.SearchFilter{AccountID: a.ID, Words: []string{"deja"}, AssignedUserID: agent.ID}, []carillon.Message{m4, m1}},
		{"an agent's chats, of no team", carillon.SearchFilter{AccountID: a.ID, Words: []string{"deja"},
			Agent: carillon.AgentChats{UserID: agent.ID + 1000}}, []carillon.Message{m3}},
		{"an agent's chats, assigned to them in another team", carillon.SearchFilter{AccountID: a.ID, Words: []string{"deja"},
			Agent: carillon.AgentChats{UserID: agent.ID, TeamIDs: []int64{teamA.ID}}}, []carillon.Message{m4, m3, m1}},
		{"an agent's chats, of their team", carillon.SearchFilter{AccountID: a.ID, Words: []string{"dej"}, Prefix: true,
			Agent: carillon.AgentChats{UserID: agent.ID + 1000, TeamIDs: []int64{teamB.ID}}}, []carillon.Message{m5, m4, m3, m2, m1}},
	}
	for _, tc := range cases {
		got, err := e.s.SearchMessages(e.ctx, tc.f, 0, 100)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		check(t, tc.name, ids(got), ids(tc.want))
	}

	// A row found is the whole message, the year-old one included.
	got, err := e.s.SearchMessages(e.ctx, words(false, "encore"), 0, 10)
	e.must(err, "SearchMessages")
	stored, err := e.s.MessageByID(e.ctx, a.ID, m1.ID)
	e.must(err, "MessageByID")
	check(t, "the year-old message found", got, []carillon.Message{stored})
	check(t, "its creation time", got[0].CreatedAt, norm(sloppy(yearAgo)))

	// Pages: newest first, each after the last id of the one before.
	for _, limit := range []int{1, 2, 3, 5, 6} {
		all, _ := searchPages(t, "SearchMessages pages", limit, func(m carillon.Message) int64 { return m.ID },
			func(before int64, limit int) ([]carillon.Message, error) {
				return e.s.SearchMessages(e.ctx, words(true, "dej"), before, limit)
			})
		check(t, "every page of a search", ids(all), ids([]carillon.Message{m5, m4, m3, m2, m1}))
	}
}

// testSearchContacts finds contacts by the words of their name, whatever
// their case and accents, and by their number's start; only the account
// searched and the chats a filter names; follows a new name and a
// removal, and pages newest first.
func testSearchContacts(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	agent := e.user(a.ID, "agent@example.com")
	team := e.team(a.ID, "A")
	named := func(ch carillon.Channel, address, name string, assigned, teamID int64) carillon.Contact {
		c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, Address: address, Name: name,
			AssignedUserID: assigned, TeamID: teamID, ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
		e.must(e.s.CreateContact(e.ctx, &c), "CreateContact")
		return c
	}
	c1 := named(wa, "31612345678", "Zoë Ångström", 0, team.ID)
	c2 := named(wa, "4915112345678", "ZOE Smith", agent.ID, team.ID)
	c3 := named(wa, "31687654321", "Ana", 0, 0)
	renamed := named(wa, "31600000004", "Old Name", 0, 0)
	gone := named(wa, "31600000005", "Zoe Gone", 0, 0)
	theirs := named(e.channel(b.ID, carillon.WhatsApp, true), "31612345678", "Zoë Ångström", 0, 0)

	// More contacts whose names start alike than a start is searched as
	// the words it starts.
	var many []carillon.Contact
	for i := range 40 {
		many = append([]carillon.Contact{named(wa, fmt.Sprintf("4420000%04d", i), fmt.Sprintf("Númérô%02d", i), 0, 0)}, many...)
	}

	// A new name replaces the words; a new time of the last message
	// leaves them; a removal removes them.
	renamed.Name = "Nouveau Nom"
	e.must(e.s.UpdateContact(e.ctx, &renamed), "UpdateContact (name)")
	c1.LastInboundAt = at(time.Hour)
	e.must(e.s.UpdateContact(e.ctx, &c1), "UpdateContact (last inbound)")
	e.must(e.s.DeleteContact(e.ctx, a.ID, gone.ID), "DeleteContact")

	words := func(prefix bool, w ...string) carillon.SearchFilter {
		return carillon.SearchFilter{AccountID: a.ID, Words: w, Prefix: prefix}
	}
	cases := []struct {
		name string
		f    carillon.SearchFilter
		want []carillon.Contact
	}{
		{"a name's word, whatever its accents and case", words(false, "zoe"), []carillon.Contact{c2, c1}},
		{"a name's words", words(false, "zoe", "angstrom"), []carillon.Contact{c1}},
		{"a name's start", words(true, "an"), []carillon.Contact{c3, c1}},
		{"a number's start", words(true, "3161"), []carillon.Contact{c1}},
		{"a start of more words than are searched as words", words(true, "numero"), many},
		{"a start of fewer", words(true, "numero0"), many[30:]},
		{"a whole number", words(false, "31612345678"), []carillon.Contact{c1}},
		{"a name and a number", words(true, "zoe", "4915"), []carillon.Contact{c2}},
		{"a new name", words(false, "nouveau"), []carillon.Contact{renamed}},
		{"an old name", words(false, "old"), nil},
		{"a removed contact", words(false, "gone"), nil},
		{"another account's", carillon.SearchFilter{AccountID: b.ID, Words: []string{"zoe"}}, []carillon.Contact{theirs}},
		{"no word", words(false), nil},
		{"assigned to a user", carillon.SearchFilter{AccountID: a.ID, Words: []string{"zoe"}, AssignedUserID: agent.ID}, []carillon.Contact{c2}},
		{"an agent's chats, of no team", carillon.SearchFilter{AccountID: a.ID, Words: []string{"31"}, Prefix: true,
			Agent: carillon.AgentChats{UserID: agent.ID + 1000}}, []carillon.Contact{renamed, c3}},
		{"an agent's chats, assigned to them", carillon.SearchFilter{AccountID: a.ID, Words: []string{"zoe"},
			Agent: carillon.AgentChats{UserID: agent.ID}}, []carillon.Contact{c2}},
		{"an agent's chats, of their team", carillon.SearchFilter{AccountID: a.ID, Words: []string{"zoe"},
			Agent: carillon.AgentChats{UserID: agent.ID + 1000, TeamIDs: []int64{team.ID}}}, []carillon.Contact{c2, c1}},
	}
	contactIDs := func(cs []carillon.Contact) []int64 {
		out := []int64{}
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	for _, tc := range cases {
		got, err := e.s.SearchContacts(e.ctx, tc.f, 0, 100)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		check(t, tc.name, contactIDs(got), contactIDs(tc.want))
	}

	got, err := e.s.SearchContacts(e.ctx, words(false, "angstrom"), 0, 10)
	e.must(err, "SearchContacts")
	stored, err := e.s.ContactByID(e.ctx, a.ID, c1.ID)
	e.must(err, "ContactByID")
	check(t, "the contact found", got, []carillon.Contact{stored})

	for _, limit := range []int{1, 2, 3} {
		all, _ := searchPages(t, "SearchContacts pages", limit, func(c carillon.Contact) int64 { return c.ID },
			func(before int64, limit int) ([]carillon.Contact, error) {
				return e.s.SearchContacts(e.ctx, words(true, "31"), before, limit)
			})
		check(t, "every page of a search", contactIDs(all), contactIDs([]carillon.Contact{renamed, c3, c1}))
	}
}

// testSearchInTx checks that the words of a message and a contact are
// written in the transaction that writes them: found once it commits, and
// never when it rolls back.
func testSearchInTx(t *testing.T, e *env) {
	f := e.fixture("a")
	write := func(word string, fail error) error {
		return e.s.InTx(e.ctx, func(q carillon.Queries) error {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, Address: "",
				Name: word, ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
			if err := q.CreateContact(e.ctx, &c); err != nil {
				return err
			}
			m := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: c.ID,
				Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: word},
				Status: carillon.StatusReceived, CreatedAt: base, UpdatedAt: base}
			if err := q.CreateMessage(e.ctx, &m); err != nil {
				return err
			}
			// The transaction finds what it wrote.
			found, err := q.SearchMessages(e.ctx, carillon.SearchFilter{AccountID: f.acct.ID, Words: []string{word}}, 0, 10)
			if err != nil {
				return err
			}
			check(t, "messages found in the transaction", ids(found), []int64{m.ID})
			return fail
		})
	}
	count := func(word string) (int, int) {
		sf := carillon.SearchFilter{AccountID: f.acct.ID, Words: []string{word}}
		ms, err := e.s.SearchMessages(e.ctx, sf, 0, 10)
		e.must(err, "SearchMessages")
		cs, err := e.s.SearchContacts(e.ctx, sf, 0, 10)
		e.must(err, "SearchContacts")
		return len(ms), len(cs)
	}
	boom := errors.New("boom")
	wantErr(t, "InTx rolled back", write("rolledback", boom), boom)
	e.must(write("committed", nil), "InTx")
	for word, want := range map[string]int{"rolledback": 0, "committed": 1} {
		m, c := count(word)
		check(t, word+": messages and contacts found", [2]int{m, c}, [2]int{want, want})
	}

	// A word first written by a transaction that rolled back is in the
	// vocabulary once a later one commits it: a search by its start finds it.
	wantErr(t, "InTx rolled back", write("xylophone", boom), boom)
	e.must(write("xylophone", nil), "InTx")
	starting := carillon.SearchFilter{AccountID: f.acct.ID, Words: []string{"xylo"}, Prefix: true}
	ms, err := e.s.SearchMessages(e.ctx, starting, 0, 10)
	e.must(err, "SearchMessages")
	cs, err := e.s.SearchContacts(e.ctx, starting, 0, 10)
	e.must(err, "SearchContacts")
	check(t, "xylo…: messages and contacts found", [2]int{len(ms), len(cs)}, [2]int{1, 1})

	// More messages in one transaction than one statement writes the words
	// of (64): each is found by its own word, and by a start of it, which
	// looks the words up in the vocabulary the transaction added to.
	var lot []carillon.Message
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		for i := range 70 {
			m := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
				Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprintf("parcel lot%c%c", 'a'+i/26, 'a'+i%26)},
				Status: carillon.StatusReceived, CreatedAt: base, UpdatedAt: base}
			if err := q.CreateMessage(e.ctx, &m); err != nil {
				return err
			}
			lot = append(lot, m)
		}
		return nil
	}), "CreateMessage of 70 messages in a transaction")
	for i, m := range lot {
		word := fmt.Sprintf("lot%c%c", 'a'+i/26, 'a'+i%26)
		found, err := e.s.SearchMessages(e.ctx, carillon.SearchFilter{AccountID: f.acct.ID, Words: []string{word}}, 0, 10)
		e.must(err, "SearchMessages")
		check(t, "messages found by "+word, ids(found), []int64{m.ID})
	}
	found, err := e.s.SearchMessages(e.ctx, carillon.SearchFilter{AccountID: f.acct.ID, Words: []string{"lotb"}, Prefix: true}, 0, 100)
	e.must(err, "SearchMessages")
	if len(found) != 26 {
		t.Errorf("lotb…: %d messages found, want 26", len(found))
	}

	// Words written, replaced and deleted in one transaction: what it
	// deleted or replaced stays deleted, also after the commit.
	err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
		var kept, gone carillon.Contact
		for _, c := range []*carillon.Contact{&kept, &gone} {
			*c = carillon.Contact{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID,
				Name: "quokka", ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
			if err := q.CreateContact(e.ctx, c); err != nil {
				return err
			}
		}
		var erased, deleted carillon.Message
		for _, m := range []struct {
			m       *carillon.Message
			contact carillon.Contact
		}{{&erased, kept}, {&deleted, gone}} {
			*m.m = carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: m.contact.ID,
				Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: "quokka"},
				Status: carillon.StatusReceived, CreatedAt: base, UpdatedAt: base}
			if err := q.CreateMessage(e.ctx, m.m); err != nil {
				return err
			}
		}
		if err := q.EraseMessage(e.ctx, &erased); err != nil {
			return err
		}
		kept.Name = "wombat"
		if err := q.UpdateContact(e.ctx, &kept); err != nil {
			return err
		}
		if err := q.DeleteContact(e.ctx, f.acct.ID, gone.ID); err != nil {
			return err
		}
		found, err := q.SearchMessages(e.ctx, carillon.SearchFilter{AccountID: f.acct.ID, Words: []string{"quokka"}}, 0, 10)
		if err != nil {
			return err
		}
		check(t, "erased and deleted messages found in their transaction", len(found), 0)
		return nil
	})
	e.must(err, "InTx writing, replacing and deleting words")
	for word, want := range map[string][2]int{"quokka": {0, 0}, "wombat": {0, 1}} {
		m, c := count(word)
		check(t, word+": messages and contacts found after the commit", [2]int{m, c}, want)
	}

	// Searches outside a transaction, several at once, share the store's
	// reads (the race detector watches them).
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if m, c := count("wombat"); m != 0 || c != 1 {
				t.Errorf("wombat, searched alongside others: %d messages and %d contacts, want 0 and 1", m, c)
			}
		})
	}
	wg.Wait()
}
