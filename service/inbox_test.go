package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// inboxFixture is the default account of a service on a clock the test
// moves, with an admin, an agent of team Sales, a restricted agent, and a
// team Support.
type inboxFixture struct {
	svc                      *service.Service
	db                       *store.DB
	clock                    *manualClock
	p                        service.Principal
	ch                       carillon.Channel
	admin, agent, restricted carillon.User
	sales, support           carillon.Team
}

func setupInbox(t *testing.T) *inboxFixture {
	t.Helper()
	ctx := context.Background()
	db := testrig.SQLite(t)
	f := &inboxFixture{db: db, clock: &manualClock{t: time.Date(2026, 5, 4, 9, 0, 0, 0, time.UTC)}}
	f.svc = testrig.Service(t, service.Options{Store: db, Clock: f.clock, Registry: providers, PublicURL: "https://carillon.example"})
	f.p = testrig.DefaultAccount(t, f.svc).Principal
	var err error
	if f.ch, err = db.MainChannel(ctx, f.p.Account.ID, carillon.WhatsApp); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		user *carillon.User
		role carillon.Role
	}{{&f.admin, carillon.RoleAdmin}, {&f.agent, carillon.RoleAgent}, {&f.restricted, carillon.RoleRestrictedAgent}} {
		*u.user = carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: string(u.role) + "@example.com", Name: "User " + string(u.role), Role: u.role}
		if err := db.CreateUser(ctx, u.user); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.svc.Resources.DeclareTeam(ctx, f.p, service.TeamEntry{Name: "Sales", Members: []string{f.agent.Email}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Resources.DeclareTeam(ctx, f.p, service.TeamEntry{Name: "Support"}); err != nil {
		t.Fatal(err)
	}
	if f.sales, err = db.TeamByName(ctx, f.p.Account.ID, "Sales"); err != nil {
		t.Fatal(err)
	}
	if f.support, err = db.TeamByName(ctx, f.p.Account.ID, "Support"); err != nil {
		t.Fatal(err)
	}
	return f
}

// as is the principal and viewer of user u.
func (f *inboxFixture) as(t *testing.T, u carillon.User) (service.Principal, service.Viewer) {
	t.Helper()
	v, err := f.svc.Contacts.ViewerOf(context.Background(), f.p, u)
	if err != nil {
		t.Fatal(err)
	}
	p := f.p
	p.User = &u
	return p, v
}

// receive stores a customer's text message from number, a minute after
// the last thing that happened.
func (f *inboxFixture) receive(t *testing.T, number, text string) service.ContactView {
	t.Helper()
	f.clock.advance(time.Minute)
	if _, err := f.svc.Messages.Receive(context.Background(), f.ch, carillon.InboundMessage{ChannelID: f.ch.ID, From: number,
		ExternalID: "in-" + carillon.NewUUID(), Type: carillon.TypeText, Content: carillon.Content{Text: text}, At: f.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := f.svc.Contacts.ContactByPhone(context.Background(), f.p, "+"+number, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// update changes contact uuid as the API does, as user by.
func (f *inboxFixture) update(t *testing.T, by carillon.User, uuid string, u service.ContactUpdate) {
	t.Helper()
	f.clock.advance(time.Minute)
	p, _ := f.as(t, by)
	if _, err := f.svc.Contacts.UpdateContact(context.Background(), p, uuid, u); err != nil {
		t.Fatal(err)
	}
}

func names(chats []service.InboxChat) []string {
	out := []string{}
	for _, c := range chats {
		out = append(out, c.Address)
	}
	return out
}

// TestLastMessage: each message in or out is its contact's last one
// unless the contact has a later one; a note never is. Pending is the
// open conversations whose last message is the customer's.
func TestLastMessage(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	last := func(want carillon.Direction, wantAt time.Time) {
		t.Helper()
		c, err := f.svc.Contacts.ContactByPhone(ctx, f.p, "+31612345678", "")
		if err != nil {
			t.Fatal(err)
		}
		if c.LastMessageDirection != want || !c.LastMessageAt.Equal(wantAt) {
			t.Errorf("last message %q at %v, want %q at %v", c.LastMessageDirection, c.LastMessageAt, want, wantAt)
		}
	}
	c := f.receive(t, "31612345678", "hello")
	in := f.clock.Now()
	last(carillon.Inbound, in)
	f.clock.advance(time.Minute)
	if _, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "hi there")); err != nil {
		t.Fatal(err)
	}
	out := f.clock.Now()
	last(carillon.Outbound, out)
	f.clock.advance(time.Minute)
	if _, err := f.svc.Contacts.AddNote(ctx, f.p, c.UUID, "a note"); err != nil {
		t.Fatal(err)
	}
	last(carillon.Outbound, out)
	// A message the network delivers late, stamped when the customer
	// wrote it (before the answer): the answer stays the last message.
	f.clock.advance(time.Minute)
	if _, err := f.svc.Messages.Receive(ctx, f.ch, carillon.InboundMessage{ChannelID: f.ch.ID, From: "31612345678",
		ExternalID: "late", Type: carillon.TypeText, Content: carillon.Content{Text: "late"}, At: in.Add(30 * time.Second)}); err != nil {
		t.Fatal(err)
	}
	last(carillon.Outbound, out)
	c = f.receive(t, "31612345678", "and now?")
	last(carillon.Inbound, f.clock.Now())

	p, v := f.as(t, f.admin)
	page, err := f.svc.Inbox.View(ctx, p, v, service.InboxQuery{Status: "pending"})
	if err != nil {
		t.Fatal(err)
	}
	if got := names(page.Chats); !slices.Equal(got, []string{"31612345678"}) || !page.Chats[0].Pending() {
		t.Errorf("pending chats %v, want the contact's", got)
	}
	if page.Chats[0].Last == nil || page.Chats[0].Last.Content.Text != "and now?" {
		t.Errorf("last message %+v, want the customer's last one", page.Chats[0].Last)
	}
}

// TestConversationHistory: opening, assigning, moving, closing and
// reopening a conversation, through the API's calls and by the customer
// writing, each leave an entry of its history, by whom, shown in the
// thread between the messages.
func TestConversationHistory(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	c := f.receive(t, "31612345678", "hello")
	agent, sales := f.agent.Email, f.sales.UUID
	f.update(t, f.admin, c.UUID, service.ContactUpdate{AssignedUser: &agent, TeamUUID: &sales})
	f.clock.advance(time.Minute)
	p, _ := f.as(t, f.agent)
	if _, err := f.svc.Contacts.CloseConversation(ctx, p, c.UUID, "solved"); err != nil {
		t.Fatal(err)
	}
	f.receive(t, "31612345678", "one more thing")
	f.update(t, f.admin, c.UUID, service.ContactUpdate{UnassignUser: true})

	p, v := f.as(t, f.admin)
	chat, err := f.svc.Inbox.Chat(ctx, p, v, service.ChatRequest{ConversationUUID: c.ConversationUUID})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, it := range chat.Thread {
		switch {
		case it.Message != nil:
			got = append(got, "message "+it.Message.Content.Text)
		default:
			ch := it.Change
			got = append(got, fmt.Sprintf("%s by %q user %q team %q reason %q", ch.Kind, ch.By, ch.User, ch.Team, ch.Reason))
		}
	}
	want := []string{
		`opened by "" user "" team "" reason ""`,
		"message hello",
		`team by "User admin" user "" team "Sales" reason ""`,
		`assigned by "User admin" user "User agent" team "" reason ""`,
		`closed by "User agent" user "" team "" reason "solved"`,
		`reopened by "" user "" team "" reason ""`,
		"message one more thing",
		`assigned by "User admin" user "" team "" reason ""`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("thread:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestInboxViews reads each view as each role: what it lists, in which
// order, its unread counts, a page at a time; opening a conversation marks
// it read for its reader alone.
func TestInboxViews(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	agent, restricted, sales, support := f.agent.Email, f.restricted.Email, f.sales.UUID, f.support.UUID
	// In the order they wrote: a, b, … (a the oldest).
	f.receive(t, "31600000001", "a: nobody's, no team")
	b := f.receive(t, "31600000002", "b: the agent's")
	f.update(t, f.admin, b.UUID, service.ContactUpdate{AssignedUser: &agent})
	c := f.receive(t, "31600000003", "c: Sales'")
	f.update(t, f.admin, c.UUID, service.ContactUpdate{TeamUUID: &sales})
	d := f.receive(t, "31600000004", "d: Support's")
	f.update(t, f.admin, d.UUID, service.ContactUpdate{TeamUUID: &support})
	e := f.receive(t, "31600000005", "e: the restricted agent's, in Support")
	f.update(t, f.admin, e.UUID, service.ContactUpdate{AssignedUser: &restricted, TeamUUID: &support})
	g := f.receive(t, "31600000006", "g: closed")
	p, _ := f.as(t, f.admin)
	if _, err := f.svc.Contacts.CloseConversation(ctx, p, g.UUID, "spam"); err != nil {
		t.Fatal(err)
	}
	// b is answered: no longer pending.
	f.clock.advance(time.Minute)
	if _, err := f.svc.Messages.Send(ctx, f.p, text("+31600000002", "answer")); err != nil {
		t.Fatal(err)
	}

	type view struct {
		q    service.InboxQuery
		want []string
	}
	all := func(s ...string) []string {
		out := []string{}
		for _, x := range s {
			out = append(out, "3160000000"+x)
		}
		return out
	}
	cases := []struct {
		user  carillon.User
		views []string // label:unread of each view offered
		list  []view
	}{
		{f.admin, []string{"My chats:0", "Unassigned:3", "All:5", "Closed:-", "General:0", "Sales:1", "Support:2"}, []view{
			{service.InboxQuery{}, all("2", "5", "4", "3", "1")},
			{service.InboxQuery{Sort: "oldest"}, all("1", "3", "4", "5", "2")},
			{service.InboxQuery{Sort: "unassigned"}, all("4", "3", "1", "2", "5")},
			{service.InboxQuery{View: "mine"}, nil},
			{service.InboxQuery{View: "unassigned"}, all("4", "3", "1")},
			{service.InboxQuery{View: "closed"}, all("6")},
			{service.InboxQuery{View: "closed", Status: "open"}, all("6")},
			{service.InboxQuery{View: "team", Team: support}, all("5", "4")},
			{service.InboxQuery{Status: "pending"}, all("5", "4", "3", "1")},
			{service.InboxQuery{Status: "closed"}, all("6")},
			{service.InboxQuery{Channel: f.ch.UUID, Status: "pending", View: "team", Team: sales}, all("3")},
		}},
		{f.agent, []string{"My chats:1", "Unassigned:2", "All:3", "Closed:-", "Sales:1"}, []view{
			{service.InboxQuery{}, all("2", "3", "1")},
			{service.InboxQuery{View: "mine"}, all("2")},
			{service.InboxQuery{View: "unassigned"}, all("3", "1")},
			{service.InboxQuery{View: "closed"}, all("6")},
			{service.InboxQuery{View: "team", Team: sales}, all("3")},
		}},
		{f.restricted, []string{"My chats:1", "Closed:-"}, []view{
			{service.InboxQuery{}, all("5")},
			{service.InboxQuery{View: "all"}, all("5")},
			{service.InboxQuery{View: "unassigned"}, nil},
			{service.InboxQuery{View: "closed"}, nil},
		}},
	}
	for _, tc := range cases {
		t.Run(string(tc.user.Role), func(t *testing.T) {
			p, v := f.as(t, tc.user)
			for _, vw := range tc.list {
				page, err := f.svc.Inbox.View(ctx, p, v, vw.q)
				if err != nil {
					t.Fatalf("%+v: %v", vw.q, err)
				}
				if got := names(page.Chats); !slices.Equal(got, append([]string{}, vw.want...)) {
					t.Errorf("%+v lists %v, want %v", vw.q, got, vw.want)
				}
				var offered []string
				for _, x := range page.Views {
					n := "-"
					if x.Counted {
						n = fmt.Sprint(x.Unread)
					}
					offered = append(offered, x.Label+":"+n)
				}
				if !slices.Equal(offered, tc.views) {
					t.Errorf("views %v, want %v", offered, tc.views)
				}
			}
		})
	}

	// Opening a conversation reads it for its reader: one fewer unread in
	// the views that count it, for the admin only.
	p, v := f.as(t, f.admin)
	if _, err := f.svc.Inbox.Chat(ctx, p, v, service.ChatRequest{ConversationUUID: d.ConversationUUID}); err != nil {
		t.Fatal(err)
	}
	page, err := f.svc.Inbox.View(ctx, p, v, service.InboxQuery{View: "team", Team: support})
	if err != nil {
		t.Fatal(err)
	}
	// e wrote after d: e first.
	if page.Unread != 1 || !page.Chats[0].Unread || page.Chats[1].Unread {
		t.Errorf("Support after opening d: %d unread, e unread %v, d unread %v; want 1, true, false", page.Unread, page.Chats[0].Unread, page.Chats[1].Unread)
	}
	// The customer writes again: unread again.
	f.receive(t, "31600000004", "still there?")
	if page, err = f.svc.Inbox.View(ctx, p, v, service.InboxQuery{View: "team", Team: support}); err != nil {
		t.Fatal(err)
	}
	if page.Unread != 2 || !page.Chats[0].Unread {
		t.Errorf("Support after d wrote again: %d unread, d unread %v; want 2, true", page.Unread, page.Chats[0].Unread)
	}
	pa, va := f.as(t, f.agent)
	if page, err = f.svc.Inbox.View(ctx, pa, va, service.InboxQuery{}); err != nil {
		t.Fatal(err)
	}
	if page.Unread != 3 {
		t.Errorf("the agent's All: %d unread, want 3 (the admin's reading is the admin's)", page.Unread)
	}
}

// TestInboxPages walks a view of 120 conversations a page at a time: each
// page holds 50, in order, none twice, the last one without a next page.
func TestInboxPages(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	var want []string
	for i := range 120 {
		c := f.receive(t, fmt.Sprintf("31600%06d", i), "hello")
		want = append([]string{c.Address}, want...)
		if i%3 == 0 {
			email := f.agent.Email
			f.update(t, f.admin, c.UUID, service.ContactUpdate{AssignedUser: &email})
		}
	}
	p, v := f.as(t, f.admin)
	for _, sort := range []string{"newest", "oldest", "unassigned"} {
		var got []string
		q := service.InboxQuery{Sort: sort}
		for range 4 {
			page, err := f.svc.Inbox.View(ctx, p, v, q)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, names(page.Chats)...)
			if page.Next == "" {
				break
			}
			if len(page.Chats) != service.InboxPageSize {
				t.Errorf("%s: a page of %d before the last", sort, len(page.Chats))
			}
			q.After = page.Next
		}
		if len(got) != len(want) {
			t.Fatalf("%s: %d conversations walked, want %d", sort, len(got), len(want))
		}
		seen := map[string]bool{}
		for _, n := range got {
			if seen[n] {
				t.Errorf("%s: %s listed twice", sort, n)
			}
			seen[n] = true
		}
		if sort == "newest" && !slices.Equal(got, want) {
			t.Errorf("newest first: %v…, want %v…", got[:3], want[:3])
		}
	}
}

// TestInboxQueryProblems: a field that cannot be read names itself, and
// the views are there to show the form again.
func TestInboxQueryProblems(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	pa, va := f.as(t, f.agent)
	for _, tc := range []struct {
		q     service.InboxQuery
		field string
	}{
		{service.InboxQuery{View: "everything"}, "view"},
		{service.InboxQuery{View: "team", Team: f.support.UUID}, "team"}, // not one of the agent's teams
		{service.InboxQuery{Status: "snoozed"}, "status"},
		{service.InboxQuery{Sort: "random"}, "sort"},
		{service.InboxQuery{Channel: carillon.NewUUID()}, "channel"},
		{service.InboxQuery{Tag: "nope"}, "tag"},
		{service.InboxQuery{Funnel: carillon.NewUUID()}, "funnel"},
		{service.InboxQuery{After: "!!"}, "after"},
	} {
		page, err := f.svc.Inbox.View(ctx, pa, va, tc.q)
		e, ok := carillon.AsError(err)
		if !ok || e.Code != carillon.CodeInvalidParameter || e.Field != tc.field {
			t.Errorf("%+v: %v, want invalid %s", tc.q, err, tc.field)
		}
		if len(page.Views) == 0 {
			t.Errorf("%+v: no views to show the form again", tc.q)
		}
	}
}

// TestChatThread reads a thread with what its messages carry: a failure in
// words, a file kept by carillon, a location, a contact card, a reply and a
// reaction to a message of the thread, notes between the messages; and
// pages of it. A conversation the viewer may not see is not found.
func TestChatThread(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	c := f.receive(t, "31612345678", "hello")
	res, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "hi there"))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Message
	m.ExternalID = "wamid.out"
	m, err = f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.out"}})
	if err != nil {
		t.Fatal(err)
	}
	failed, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "this one fails"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Messages.RecordOutcome(ctx, failed.Message, service.Outcome{Err: &carillon.SendError{Code: "131047", Title: "Re-engagement message"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Contacts.AddNote(ctx, f.p, c.UUID, "VIP, be nice"); err != nil {
		t.Fatal(err)
	}
	detail := func(v any) json.RawMessage {
		b, _ := json.Marshal(v)
		return b
	}
	for _, in := range []carillon.InboundMessage{
		{Type: carillon.TypeImage, Content: carillon.Content{Text: "a photo", URL: "https://carillon.example/media/0123456789abcdef0123456789abcdef.jpg"}},
		{Type: "location", Content: carillon.Content{Details: map[string]json.RawMessage{
			carillon.DetailLocation: detail(carillon.NewLocation(52.37, 4.89, "Dam", "Amsterdam"))}}},
		{Type: "contacts", Content: carillon.Content{Details: map[string]json.RawMessage{
			carillon.DetailContactCard: json.RawMessage(`{"contacts":[{"name":{"formatted_name":"Ann Smith"},"phones":[{"phone":"+31 6 1111 2222"}]}]}`)}}},
		{Type: carillon.TypeText, Content: carillon.Content{Text: "thanks!", Details: map[string]json.RawMessage{
			carillon.DetailContext: detail(carillon.MessageContext{ID: "wamid.out"})}}},
		{Type: "reaction", Content: carillon.Content{Text: "👍", Details: map[string]json.RawMessage{
			carillon.DetailReaction: json.RawMessage(`{"messageId":"wamid.out","emoji":"👍"}`)}}},
		{Type: carillon.TypeText, Content: carillon.Content{Text: "re: something old", Details: map[string]json.RawMessage{
			carillon.DetailContext: detail(carillon.MessageContext{ID: "wamid.unknown"})}}},
	} {
		f.clock.advance(time.Minute)
		in.ChannelID, in.From, in.ExternalID, in.At = f.ch.ID, "31612345678", "in-"+carillon.NewUUID(), f.clock.Now()
		if _, err := f.svc.Messages.Receive(ctx, f.ch, in); err != nil {
			t.Fatal(err)
		}
	}
	p, v := f.as(t, f.admin)
	chat, err := f.svc.Inbox.Chat(ctx, p, v, service.ChatRequest{ContactUUID: c.UUID})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []*service.ThreadMessage
	for _, it := range chat.Thread {
		if it.Message != nil {
			msgs = append(msgs, it.Message)
		}
	}
	if len(msgs) != 10 {
		t.Fatalf("%d messages in the thread, want 10", len(msgs))
	}
	if msgs[0].Content.Text != "hello" || msgs[3].Direction != carillon.Note {
		t.Errorf("thread out of order: %q first, %q fourth", msgs[0].Content.Text, msgs[3].Direction)
	}
	if f := msgs[2].Failure; f == nil || f.Code != "131047" || !strings.Contains(f.Explanation, "24 hours") {
		t.Errorf("failure %+v, want 131047 explained", f)
	}
	if msgs[4].MediaPath != "/media/0123456789abcdef0123456789abcdef.jpg" || msgs[4].MediaKind != "image" {
		t.Errorf("media %q %q, want the kept file's path, an image", msgs[4].MediaPath, msgs[4].MediaKind)
	}
	if l := msgs[5].Location; l == nil || l.Name != "Dam" || !strings.HasPrefix(l.GoogleMapsLocation, "https://www.google.com/maps/") {
		t.Errorf("location %+v", l)
	}
	if cards := msgs[6].Cards; len(cards) != 1 || cards[0].Name != "Ann Smith" || !slices.Equal(cards[0].Phones, []string{"+31 6 1111 2222"}) {
		t.Errorf("contact cards %+v", cards)
	}
	if r := msgs[7].ReplyTo; r == nil || !r.Found || r.Text != "hi there" || r.Direction != carillon.Outbound {
		t.Errorf("reply to %+v, want our hi there", r)
	}
	if r := msgs[8].Reaction; r == nil || r.Emoji != "👍" || !r.To.Found || r.To.Text != "hi there" {
		t.Errorf("reaction %+v", r)
	}
	if r := msgs[9].ReplyTo; r == nil || r.Found {
		t.Errorf("reply to an unknown message %+v, want one not found", r)
	}
	if chat.Earlier != "" || chat.Later {
		t.Errorf("one page: earlier %q later %v", chat.Earlier, chat.Later)
	}

	pr, vr := f.as(t, f.restricted)
	if _, err := f.svc.Inbox.Chat(ctx, pr, vr, service.ChatRequest{ConversationUUID: c.ConversationUUID}); !isNotFound(err) {
		t.Errorf("a restricted agent opens another's chat: %v, want not found", err)
	}
	if _, err := f.svc.Inbox.Chat(ctx, p, v, service.ChatRequest{ConversationUUID: carillon.NewUUID()}); !isNotFound(err) {
		t.Errorf("an unknown conversation: %v, want not found", err)
	}
}

// TestChatThreadPages walks a long thread by its cursors: the latest page,
// then the earlier ones, each entry of the conversation's history on one
// page; a page stays the same while messages arrive; a page may start at
// any message (a search's result); a damaged cursor is refused.
func TestChatThreadPages(t *testing.T) {
	t.Parallel()
	f := setupInbox(t)
	ctx := context.Background()
	var c service.ContactView
	for i := range 120 {
		c = f.receive(t, "31612345678", fmt.Sprintf("message %d", i))
		if i == 30 || i == 100 {
			f.update(t, f.admin, c.UUID, service.ContactUpdate{AssignedUser: &f.agent.Email})
			f.update(t, f.admin, c.UUID, service.ContactUpdate{UnassignUser: true})
		}
	}
	texts := func(from, to int) []string {
		var out []string
		for i := from; i <= to; i++ {
			out = append(out, fmt.Sprintf("message %d", i))
		}
		return out
	}
	changes := func(chat service.Chat) []string {
		var out []string
		for _, it := range chat.Thread {
			if it.Change != nil {
				out = append(out, string(it.Change.Kind))
			}
		}
		return out
	}
	p, v := f.as(t, f.admin)
	read := func(from string) service.Chat {
		t.Helper()
		chat, err := f.svc.Inbox.Chat(ctx, p, v, service.ChatRequest{ConversationUUID: c.ConversationUUID, From: from})
		if err != nil {
			t.Fatalf("from %q: %v", from, err)
		}
		return chat
	}

	latest := read("")
	second := read(latest.Earlier)
	// Messages arrive: the earlier pages stay as they were.
	f.receive(t, "31612345678", "a new one")
	third := read(second.Earlier)
	again := read(latest.Earlier)
	for _, tc := range []struct {
		name           string
		chat           service.Chat
		texts, changes []string
		earlier, later bool
	}{
		{"the latest page", latest, texts(70, 119), []string{"assigned", "assigned"}, true, false},
		{"the page before", second, texts(20, 69), []string{"assigned", "assigned"}, true, true},
		{"the earliest page", third, texts(0, 19), []string{"opened"}, false, true},
		{"the page before, read again after a new message", again, texts(20, 69), []string{"assigned", "assigned"}, true, true},
	} {
		if got := threadTexts(tc.chat); !slices.Equal(got, tc.texts) {
			t.Errorf("%s: %d messages %q…, want %q…", tc.name, len(got), got[:min(len(got), 2)], tc.texts[:2])
		}
		if got := changes(tc.chat); !slices.Equal(got, tc.changes) {
			t.Errorf("%s: history %q, want %q", tc.name, got, tc.changes)
		}
		if (tc.chat.Earlier != "") != tc.earlier || tc.chat.Later != tc.later {
			t.Errorf("%s: earlier %q, later %v; want earlier %v, later %v", tc.name, tc.chat.Earlier, tc.chat.Later, tc.earlier, tc.later)
		}
	}

	// A page that ends at a message: the page a search's result opens.
	msgs, err := f.db.ContactMessagesBefore(ctx, f.p.Account.ID, c.ID, 0, 200)
	if err != nil {
		t.Fatal(err)
	}
	at := map[string]int64{}
	for _, m := range msgs {
		at[m.Content.Text] = m.ID
	}
	for _, tc := range []struct {
		text           string
		texts, changes []string
		earlier, later bool
	}{
		{"message 99", texts(50, 99), nil, true, true},
		{"message 10", texts(0, 10), []string{"opened"}, false, true},
		// The conversation opened with its first message, in the same
		// millisecond: on its page.
		{"message 0", texts(0, 0), []string{"opened"}, false, true},
		{"a new one", append(texts(71, 119), "a new one"), []string{"assigned", "assigned"}, true, false},
	} {
		chat := read(service.ThreadCursor(at[tc.text]))
		if got := threadTexts(chat); !slices.Equal(got, tc.texts) {
			t.Errorf("from %s: %d messages %q, want %d", tc.text, len(got), got, len(tc.texts))
		}
		if got := changes(chat); !slices.Equal(got, tc.changes) {
			t.Errorf("from %s: history %q, want %q", tc.text, got, tc.changes)
		}
		if (chat.Earlier != "") != tc.earlier || chat.Later != tc.later {
			t.Errorf("from %s: earlier %q, later %v", tc.text, chat.Earlier, chat.Later)
		}
	}

	for _, bad := range []string{"!!", "dGhyZWFkLg", "dGhyZWFkLjA", "bWVzc2FnZXMuNQ", "dGhyZWFkLjEy" + "x"} {
		_, err := f.svc.Inbox.Chat(ctx, p, v, service.ChatRequest{ConversationUUID: c.ConversationUUID, From: bad})
		if e, ok := carillon.AsError(err); !ok || e.Code != carillon.CodeInvalidParameter || e.Field != "from" {
			t.Errorf("cursor %q: %v, want an invalid from", bad, err)
		}
	}
	// Another account's principal finds no such conversation, whatever the
	// cursor.
	if _, err := f.svc.Inbox.Chat(ctx, otherAccount(t, &fixture{svc: f.svc, db: f.db}), v, service.ChatRequest{ConversationUUID: c.ConversationUUID, From: latest.Earlier}); !isNotFound(err) {
		t.Errorf("another account reads the thread: %v", err)
	}
}

func isNotFound(err error) bool {
	e, ok := carillon.AsError(err)
	return ok && e.Code == carillon.CodeNotFound
}
