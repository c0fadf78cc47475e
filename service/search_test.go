package service_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// searchFixture is an account whose messages came in, went out, were
// written as notes and one a year ago; and another account.
type searchFixture struct {
	*fixture
	agent                  carillon.User // a restricted agent, assigned bob
	ada, bob               carillon.Contact
	received, sent, note   carillon.Message
	yearOld, otherAccounts carillon.Message
}

func setupSearch(t *testing.T) *searchFixture {
	t.Helper()
	f := &searchFixture{fixture: setup(t)}
	ctx := context.Background()
	f.agent = carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "ada@example.com", Name: "Ada", Role: carillon.RoleRestrictedAgent}
	if err := f.db.CreateUser(ctx, &f.agent); err != nil {
		t.Fatal(err)
	}
	var err error
	f.received, err = f.svc.Messages.Receive(ctx, f.sandbox, carillon.InboundMessage{ChannelID: f.sandbox.ID, From: "31612345678",
		ProfileName: "Zoë Ångström", ExternalID: "wamid.1", Type: carillon.TypeText, Content: carillon.Content{Text: "Déjà vu, encore !"}, At: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	sent := text("+31 6 8765 4321", "Un déjeuner demain ?")
	sent.AssignedUser = f.agent.Email
	res, err := f.svc.Messages.Send(ctx, f.p, sent)
	if err != nil {
		t.Fatal(err)
	}
	f.sent, f.bob = res.Message, res.Contact
	if f.ada, err = f.db.ContactByID(ctx, f.p.Account.ID, f.received.ContactID); err != nil {
		t.Fatal(err)
	}
	// A year ago, as a store filled before would hold it.
	old := time.Now().AddDate(-1, 0, 0)
	f.yearOld = carillon.Message{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, ChannelID: f.sandbox.ID, ContactID: f.ada.ID,
		Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: "Le DÉJÀ-VU d'il y a un an"},
		Status: carillon.StatusReceived, CreatedAt: old, UpdatedAt: old}
	if err := f.db.CreateMessage(ctx, &f.yearOld); err != nil {
		t.Fatal(err)
	}
	if f.note, err = f.svc.Contacts.AddNote(ctx, f.p, f.bob.UUID, "Déjà rappelé"); err != nil {
		t.Fatal(err)
	}
	// Another account, with the same words.
	other, _, _, err := f.svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := f.db.MainChannel(ctx, other.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	if f.otherAccounts, err = f.svc.Messages.Receive(ctx, ch, carillon.InboundMessage{ChannelID: ch.ID, From: "31612345678",
		ProfileName: "Zoë Ångström", ExternalID: "wamid.2", Type: carillon.TypeText, Content: carillon.Content{Text: "Déjà vu"}, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	return f
}

// found lists what a search found: the contacts' and the messages' uuids.
func found(r service.SearchResults) (contacts, messages []string) {
	for _, c := range r.Contacts {
		contacts = append(contacts, c.UUID)
	}
	for _, m := range r.Messages {
		messages = append(messages, m.UUID)
	}
	return contacts, messages
}

// TestSearch searches as people type: whatever the case and accents, the
// last word as it is being typed, a number as people write one; each
// viewer finds what they may see, never another account's.
func TestSearch(t *testing.T) {
	t.Parallel()
	f := setupSearch(t)
	admin := service.Viewer{UserID: 99, Role: carillon.RoleAdmin}
	restricted := service.Viewer{UserID: f.agent.ID, Role: carillon.RoleRestrictedAgent}
	cases := []struct {
		name         string
		viewer       service.Viewer
		q            string
		wantContacts []string
		wantMessages []string
	}{
		{"a word without its accents, notes and a year-old message included", admin, "deja",
			nil, []string{f.note.UUID, f.yearOld.UUID, f.received.UUID}},
		{"in capitals, with its accents, and another word", admin, "DÉJÀ VU",
			nil, []string{f.yearOld.UUID, f.received.UUID}},
		{"the last word's start", admin, "dej",
			nil, []string{f.note.UUID, f.yearOld.UUID, f.sent.UUID, f.received.UUID}},
		{"a name", admin, "zoe angst", []string{f.ada.UUID}, nil},
		{"a number as people write it", admin, "+31 6 1234", []string{f.ada.UUID}, nil},
		{"a number's start", admin, "3168", []string{f.bob.UUID}, nil},
		{"nothing of the kind", admin, "bonsoir", nil, nil},
		{"a last word of one letter is a whole word, not a start", admin, "vu e", nil, nil},
		{"a word of one letter", admin, "a", nil, []string{f.yearOld.UUID}},
		{"a restricted agent finds their chats only", restricted, "dej",
			nil, []string{f.note.UUID, f.sent.UUID}},
		{"a restricted agent does not find another's contact", restricted, "zoe", nil, nil},
	}
	for _, tc := range cases {
		r, err := f.svc.Messages.Search(context.Background(), f.p, tc.viewer, service.SearchQuery{Text: tc.q})
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !r.Searched {
			t.Errorf("%s: not searched", tc.name)
		}
		contacts, messages := found(r)
		if !reflect.DeepEqual(contacts, tc.wantContacts) || !reflect.DeepEqual(messages, tc.wantMessages) {
			t.Errorf("%s: found contacts %v and messages %v, want %v and %v", tc.name, contacts, messages, tc.wantContacts, tc.wantMessages)
		}
		if r.MoreContacts != "" || r.MoreMessages != "" {
			t.Errorf("%s: more pages %q %q", tc.name, r.MoreContacts, r.MoreMessages)
		}
	}

	// A message found comes with its contact and its words marked.
	r, err := f.svc.Messages.Search(context.Background(), f.p, admin, service.SearchQuery{Text: "vu deja"})
	if err != nil {
		t.Fatal(err)
	}
	m := r.Messages[1]
	if m.UUID != f.received.UUID || m.Contact.UUID != f.ada.UUID {
		t.Fatalf("second message found: %s of contact %s", m.UUID, m.Contact.UUID)
	}
	want := []service.Fragment{{Text: "Déjà", Match: true}, {Text: " "}, {Text: "vu", Match: true}, {Text: ", encore !"}}
	if !reflect.DeepEqual(m.Snippet, want) {
		t.Errorf("snippet %+v, want %+v", m.Snippet, want)
	}
	r, err = f.svc.Messages.Search(context.Background(), f.p, admin, service.SearchQuery{Text: "+31 6 12"})
	if err != nil {
		t.Fatal(err)
	}
	c := r.Contacts[0]
	if want := []service.Fragment{{Text: "Zoë Ångström"}}; !reflect.DeepEqual(c.Name, want) {
		t.Errorf("name %+v, want %+v", c.Name, want)
	}
	if want := []service.Fragment{{Text: "31612345678", Match: true}}; !reflect.DeepEqual(c.Address, want) {
		t.Errorf("address %+v, want %+v", c.Address, want)
	}
}

// TestSearchSnippet shows the part of a long message around the first
// word found, with an ellipsis where text was left out.
func TestSearchSnippet(t *testing.T) {
	t.Parallel()
	f := setupSearch(t)
	long := strings.Repeat("avant ", 60) + "la Réunion de lundi " + strings.Repeat("après ", 60)
	m := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, ChannelID: f.sandbox.ID, ContactID: f.ada.ID,
		Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: long},
		Status: carillon.StatusReceived, CreatedAt: time.Now(), UpdatedAt: time.Now()}
	if err := f.db.CreateMessage(context.Background(), &m); err != nil {
		t.Fatal(err)
	}
	r, err := f.svc.Messages.Search(context.Background(), f.p, service.Viewer{UserID: 1, Role: carillon.RoleAdmin}, service.SearchQuery{Text: "reunion"})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Messages) != 1 {
		t.Fatalf("found %d messages", len(r.Messages))
	}
	var shown strings.Builder
	var marked []string
	for _, fr := range r.Messages[0].Snippet {
		shown.WriteString(fr.Text)
		if fr.Match {
			marked = append(marked, fr.Text)
		}
	}
	s := shown.String()
	if !strings.HasPrefix(s, "…avant ") || !strings.HasSuffix(s, "…") || !strings.Contains(s, "la Réunion de lundi") {
		t.Errorf("snippet %q", s)
	}
	if n := len([]rune(s)); n > 170 {
		t.Errorf("snippet of %d characters", n)
	}
	if !reflect.DeepEqual(marked, []string{"Réunion"}) {
		t.Errorf("marked %q", marked)
	}
}

// TestSearchPages walks each list's pages after the first, a list at a
// time.
func TestSearchPages(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	admin := service.Viewer{UserID: 1, Role: carillon.RoleAdmin}
	var wantContacts, wantMessages []string
	for i := range service.SearchContactsPage + 2 {
		res, err := f.svc.Messages.Send(ctx, f.p, text(fmt.Sprintf("+3161000%04d", i), "Commande numéro "+fmt.Sprint(i)))
		if err != nil {
			t.Fatal(err)
		}
		c := res.Contact
		c.Name = "Pagès " + fmt.Sprint(i)
		if err := f.db.UpdateContact(ctx, &c); err != nil {
			t.Fatal(err)
		}
		wantContacts = append([]string{c.UUID}, wantContacts...)
		for range 3 {
			r, err := f.svc.Messages.Send(ctx, f.p, text("+"+c.Address, "Pages de commande"))
			if err != nil {
				t.Fatal(err)
			}
			wantMessages = append([]string{r.Message.UUID}, wantMessages...)
		}
	}
	// The first page holds both lists' first pages.
	r, err := f.svc.Messages.Search(ctx, f.p, admin, service.SearchQuery{Text: "pages"})
	if err != nil {
		t.Fatal(err)
	}
	contacts, messages := found(r)
	if !reflect.DeepEqual(contacts, wantContacts[:service.SearchContactsPage]) || !reflect.DeepEqual(messages, wantMessages[:service.SearchMessagesPage]) {
		t.Fatalf("first page: %v and %v", contacts, messages)
	}
	// Each list's next pages, alone.
	for _, list := range []struct {
		in   string
		next string
		want []string
	}{{service.SearchContacts, r.MoreContacts, wantContacts}, {service.SearchMessages, r.MoreMessages, wantMessages}} {
		all := contacts
		if list.in == service.SearchMessages {
			all = messages
		}
		for next := list.next; next != ""; {
			p, err := f.svc.Messages.Search(ctx, f.p, admin, service.SearchQuery{Text: "pages", In: list.in, After: next})
			if err != nil {
				t.Fatal(err)
			}
			c, m := found(p)
			if list.in == service.SearchContacts {
				all, next = append(all, c...), p.MoreContacts
				if len(m) > 0 {
					t.Errorf("a page of contacts holds messages")
				}
			} else {
				all, next = append(all, m...), p.MoreMessages
				if len(c) > 0 {
					t.Errorf("a page of messages holds contacts")
				}
			}
		}
		if !reflect.DeepEqual(all, list.want) {
			t.Errorf("%s, every page: %v, want %v", list.in, all, list.want)
		}
	}
}

// TestSearchRefusals names the field of a query that cannot be read; a
// query without words searches nothing; a role that sees no chat finds
// nothing.
func TestSearchRefusals(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	admin := service.Viewer{UserID: 1, Role: carillon.RoleAdmin}
	cursor := func(s string) string {
		r, err := f.svc.Messages.Search(ctx, f.p, admin, service.SearchQuery{Text: s})
		if err != nil {
			t.Fatal(err)
		}
		return r.MoreMessages
	}
	for i := range service.SearchMessagesPage + 1 {
		if _, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", fmt.Sprint("hello ", i))); err != nil {
			t.Fatal(err)
		}
	}
	next := cursor("hello")
	if next == "" {
		t.Fatal("no next page")
	}
	cases := []struct {
		name  string
		q     service.SearchQuery
		field string
	}{
		{"too long", service.SearchQuery{Text: strings.Repeat("é", service.MaxSearchLength+1)}, "q"},
		{"not UTF-8", service.SearchQuery{Text: "d\xe9j\xe0"}, "q"},
		{"a NUL", service.SearchQuery{Text: "deja\x00"}, "q"},
		{"an unknown list", service.SearchQuery{Text: "hello", In: "notes"}, "in"},
		{"a cursor without its list", service.SearchQuery{Text: "hello", After: next}, "after"},
		{"a cursor of the other list", service.SearchQuery{Text: "hello", In: service.SearchContacts, After: next}, "after"},
		{"a damaged cursor", service.SearchQuery{Text: "hello", In: service.SearchMessages, After: next + "x"}, "after"},
		{"a made-up cursor", service.SearchQuery{Text: "hello", In: service.SearchMessages, After: "bWVzc2FnZXMuLTE"}, "after"},
	}
	for _, tc := range cases {
		_, err := f.svc.Messages.Search(ctx, f.p, admin, tc.q)
		wantCode(t, err, carillon.CodeInvalidParameter, tc.field)
	}
	if _, err := f.svc.Messages.Search(ctx, f.p, admin, service.SearchQuery{Text: strings.Repeat("é", service.MaxSearchLength)}); err != nil {
		t.Errorf("a query of the longest length: %v", err)
	}
	for _, q := range []string{"", "   ", "!?… 👋"} {
		r, err := f.svc.Messages.Search(ctx, f.p, admin, service.SearchQuery{Text: q})
		if err != nil || r.Searched || len(r.Messages) > 0 {
			t.Errorf("search %q: %+v, %v; want nothing searched", q, r, err)
		}
	}
	for _, v := range []service.Viewer{{UserID: 1, Role: "owner"}, {Role: carillon.RoleRestrictedAgent}} {
		_, err := f.svc.Messages.Search(ctx, f.p, v, service.SearchQuery{Text: "hello"})
		wantCode(t, err, carillon.CodeNotFound, "")
	}
}
