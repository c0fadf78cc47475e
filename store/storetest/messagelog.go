package storetest

import (
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// testMessageLog reads an account's log with each filter, alone and
// together, and walks it page by page after a cursor.
func testMessageLog(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa, tg := e.channel(a.ID, carillon.WhatsApp, true), e.channel(a.ID, carillon.Telegram, true)
	other := e.channel(b.ID, carillon.WhatsApp, true)
	agent := e.user(a.ID, "agent@example.com")

	teamA, teamB := e.team(a.ID, "A"), e.team(a.ID, "B")
	ada := e.contact(wa, "31612345678")
	ada.AssignedUserID, ada.TeamID = agent.ID, teamB.ID // assigned to agent, in another team
	e.must(e.s.UpdateContact(e.ctx, &ada), "UpdateContact")
	bob := e.contact(wa, "31687654321")
	bob.TeamID = teamB.ID
	e.must(e.s.UpdateContact(e.ctx, &bob), "UpdateContact")
	adaOnTelegram := e.contact(tg, "31612345678") // the same address on another channel, no team
	stranger := e.contact(other, "31612345678")   // and in another account

	add := func(c carillon.Contact, dir carillon.Direction, status carillon.Status, created time.Time) carillon.Message {
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: dir, Type: carillon.TypeText, Content: carillon.Content{Text: "hi"},
			Status: status, CreatedAt: sloppy(created), UpdatedAt: sloppy(created)}
		e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
		return m
	}
	// Created out of id order (an inbound message is stamped with the
	// provider's time), and two at the same millisecond.
	m1 := add(ada, carillon.Inbound, carillon.StatusReceived, at(time.Minute))
	m2 := add(ada, carillon.Outbound, carillon.StatusRead, at(3*time.Minute))
	m3 := add(bob, carillon.Outbound, carillon.StatusFailed, at(2*time.Minute))
	m4 := add(bob, carillon.Inbound, carillon.StatusReceived, at(3*time.Minute))
	m5 := add(adaOnTelegram, carillon.Outbound, carillon.StatusFailed, at(4*time.Minute))
	add(ada, carillon.Note, carillon.StatusNote, at(5*time.Minute))           // never in the log
	add(stranger, carillon.Inbound, carillon.StatusReceived, at(time.Minute)) // another account's

	all := carillon.MessageLogFilter{AccountID: a.ID}
	cases := []struct {
		name string
		f    func(f *carillon.MessageLogFilter)
		want []carillon.Message
	}{
		{"everything, newest first, notes left out", func(*carillon.MessageLogFilter) {}, []carillon.Message{m5, m4, m2, m3, m1}},
		{"a channel", func(f *carillon.MessageLogFilter) { f.ChannelID = wa.ID }, []carillon.Message{m4, m2, m3, m1}},
		{"another account's channel", func(f *carillon.MessageLogFilter) { f.ChannelID = other.ID }, nil},
		{"inbound", func(f *carillon.MessageLogFilter) { f.Direction = carillon.Inbound }, []carillon.Message{m4, m1}},
		{"outbound", func(f *carillon.MessageLogFilter) { f.Direction = carillon.Outbound }, []carillon.Message{m5, m2, m3}},
		{"notes", func(f *carillon.MessageLogFilter) { f.Direction = carillon.Note }, nil},
		{"a status", func(f *carillon.MessageLogFilter) { f.Status = carillon.StatusFailed }, []carillon.Message{m5, m3}},
		{"a status on a channel", func(f *carillon.MessageLogFilter) {
			f.Status, f.ChannelID = carillon.StatusFailed, wa.ID
		}, []carillon.Message{m3}},
		{"an address, on every channel", func(f *carillon.MessageLogFilter) { f.Address = "31612345678" }, []carillon.Message{m5, m2, m1}},
		{"an address and a direction", func(f *carillon.MessageLogFilter) {
			f.Address, f.Direction = "31612345678", carillon.Outbound
		}, []carillon.Message{m5, m2}},
		{"an unknown address", func(f *carillon.MessageLogFilter) { f.Address = "4915112345678" }, nil},
		{"assigned to a user", func(f *carillon.MessageLogFilter) { f.AssignedUserID = agent.ID }, []carillon.Message{m2, m1}},
		{"assigned to a user, failed", func(f *carillon.MessageLogFilter) {
			f.AssignedUserID, f.Status = agent.ID, carillon.StatusFailed
		}, nil},
		// An agent's chats: assigned to them, of their teams, of no team.
		{"an agent's chats, of no team", func(f *carillon.MessageLogFilter) {
			f.Agent = carillon.AgentChats{UserID: agent.ID + 1000}
		}, []carillon.Message{m5}},
		{"an agent's chats, assigned to them in another team", func(f *carillon.MessageLogFilter) {
			f.Agent = carillon.AgentChats{UserID: agent.ID, TeamIDs: []int64{teamA.ID}}
		}, []carillon.Message{m5, m2, m1}},
		{"an agent's chats, of their team", func(f *carillon.MessageLogFilter) {
			f.Agent = carillon.AgentChats{UserID: agent.ID + 1000, TeamIDs: []int64{teamA.ID, teamB.ID}}
		}, []carillon.Message{m5, m4, m2, m3, m1}},
		{"an agent's chats, a number", func(f *carillon.MessageLogFilter) {
			f.Agent, f.Address = carillon.AgentChats{UserID: agent.ID + 1000}, "31612345678"
		}, []carillon.Message{m5}},
		{"an agent's chats, a status", func(f *carillon.MessageLogFilter) {
			f.Agent, f.Status = carillon.AgentChats{UserID: agent.ID, TeamIDs: []int64{teamA.ID}}, carillon.StatusFailed
		}, []carillon.Message{m5}},
		{"from", func(f *carillon.MessageLogFilter) { f.From = sloppy(at(3 * time.Minute)) }, []carillon.Message{m5, m4, m2}},
		{"to (excluded)", func(f *carillon.MessageLogFilter) { f.To = at(3 * time.Minute) }, []carillon.Message{m3, m1}},
		{"from and to", func(f *carillon.MessageLogFilter) {
			f.From, f.To = at(2*time.Minute), at(4*time.Minute)
		}, []carillon.Message{m4, m2, m3}},
	}
	for _, tc := range cases {
		f := all
		tc.f(&f)
		got, err := e.s.MessageLog(e.ctx, f, carillon.MessageLogCursor{}, 100)
		e.must(err, "MessageLog "+tc.name)
		check(t, "MessageLog "+tc.name, ids(got), ids(tc.want))
	}

	// A message comes back whole.
	got, err := e.s.MessageLog(e.ctx, carillon.MessageLogFilter{AccountID: a.ID, ChannelID: tg.ID}, carillon.MessageLogCursor{}, 1)
	e.must(err, "MessageLog (one)")
	if len(got) != 1 {
		t.Fatalf("MessageLog (one): %d messages, want 1", len(got))
	}
	want := m5
	want.CreatedAt, want.UpdatedAt = norm(m5.CreatedAt), norm(m5.UpdatedAt)
	check(t, "MessageLog's message", got[0], want)

	// Page by page: each page starts after the previous one's last
	// message, also between two messages of the same millisecond.
	var walked []carillon.Message
	var after carillon.MessageLogCursor
	for range 10 {
		page, err := e.s.MessageLog(e.ctx, all, after, 2)
		e.must(err, "MessageLog page")
		if len(page) == 0 {
			break
		}
		walked = append(walked, page...)
		last := page[len(page)-1]
		after = carillon.MessageLogCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	check(t, "MessageLog walked page by page", ids(walked), ids([]carillon.Message{m5, m4, m2, m3, m1}))

	// A cursor with a filter: the failed messages after the newest one.
	page, err := e.s.MessageLog(e.ctx, carillon.MessageLogFilter{AccountID: a.ID, Status: carillon.StatusFailed},
		carillon.MessageLogCursor{CreatedAt: m5.CreatedAt, ID: m5.ID}, 10)
	e.must(err, "MessageLog after a cursor, filtered")
	check(t, "MessageLog after a cursor, filtered", ids(page), ids([]carillon.Message{m3}))

	// A user assigned more contacts than the log reads one by one: the log
	// is walked instead, each message looked up in their ids, with the
	// same answer. They are in team A: an
	// agent of A, or the user they are assigned to, sees more chats than
	// the log reads one by one too.
	busy := e.user(a.ID, "busy@example.com")
	var many []carillon.Contact
	for i := range 520 {
		c := e.contact(wa, fmt.Sprintf("4915100%06d", i))
		c.AssignedUserID, c.TeamID = busy.ID, teamA.ID
		e.must(e.s.UpdateContact(e.ctx, &c), "UpdateContact")
		many = append(many, c)
	}
	b1 := add(many[0], carillon.Inbound, carillon.StatusReceived, at(6*time.Minute))
	b2 := add(many[519], carillon.Outbound, carillon.StatusFailed, at(7*time.Minute))
	for _, tc := range []struct {
		name string
		f    carillon.MessageLogFilter
		want []carillon.Message
	}{
		{"many contacts", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: busy.ID}, []carillon.Message{b2, b1}},
		{"many contacts, failed", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: busy.ID, Status: carillon.StatusFailed}, []carillon.Message{b2}},
		{"many contacts, a number", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: busy.ID, Address: many[0].Address}, []carillon.Message{b1}},
		{"many contacts, another's number", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: busy.ID, Address: ada.Address}, nil},
		{"an agent of many contacts' team", carillon.MessageLogFilter{AccountID: a.ID, Agent: carillon.AgentChats{UserID: agent.ID + 1000, TeamIDs: []int64{teamA.ID}}},
			[]carillon.Message{b2, b1, m5}},
		{"an agent assigned many contacts of another team", carillon.MessageLogFilter{AccountID: a.ID, Agent: carillon.AgentChats{UserID: busy.ID, TeamIDs: []int64{teamB.ID}}},
			[]carillon.Message{b2, b1, m5, m4, m2, m3, m1}},
		{"an agent of another team", carillon.MessageLogFilter{AccountID: a.ID, Agent: carillon.AgentChats{UserID: agent.ID, TeamIDs: []int64{teamB.ID}}},
			[]carillon.Message{m5, m4, m2, m3, m1}},
		{"an agent of many contacts' team, failed", carillon.MessageLogFilter{AccountID: a.ID, Status: carillon.StatusFailed,
			Agent: carillon.AgentChats{UserID: agent.ID + 1000, TeamIDs: []int64{teamA.ID}}}, []carillon.Message{b2, m5}},
	} {
		got, err := e.s.MessageLog(e.ctx, tc.f, carillon.MessageLogCursor{}, 100)
		e.must(err, "MessageLog "+tc.name)
		check(t, "MessageLog "+tc.name, ids(got), ids(tc.want))
	}
	page, err = e.s.MessageLog(e.ctx, carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: busy.ID}, carillon.MessageLogCursor{CreatedAt: b2.CreatedAt, ID: b2.ID}, 100)
	e.must(err, "MessageLog many contacts after a cursor")
	check(t, "MessageLog many contacts after a cursor", ids(page), ids([]carillon.Message{b1}))

	// A user assigned more contacts than the log looks messages up in:
	// each message's contact is checked in the contacts, with the same
	// answer.
	crowded := e.user(a.ID, "crowded@example.com")
	var crowd []carillon.Contact
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		for i := range 4100 {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: wa.ID, Address: fmt.Sprintf("4915200%06d", i),
				ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base, AssignedUserID: crowded.ID}
			if err := q.CreateContact(e.ctx, &c); err != nil {
				return err
			}
			crowd = append(crowd, c)
		}
		return nil
	}), "CreateContact ×4100")
	c1 := add(crowd[0], carillon.Inbound, carillon.StatusReceived, at(8*time.Minute))
	a9 := add(ada, carillon.Inbound, carillon.StatusReceived, at(9*time.Minute))
	c2 := add(crowd[4099], carillon.Outbound, carillon.StatusFailed, at(10*time.Minute))
	for _, tc := range []struct {
		name  string
		f     carillon.MessageLogFilter
		after carillon.Message
		want  []carillon.Message
	}{
		{"crowded", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: crowded.ID}, carillon.Message{}, []carillon.Message{c2, c1}},
		{"crowded, failed", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: crowded.ID, Status: carillon.StatusFailed}, carillon.Message{}, []carillon.Message{c2}},
		{"crowded, a number", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: crowded.ID, Address: crowd[0].Address}, carillon.Message{}, []carillon.Message{c1}},
		{"crowded, after a cursor", carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: crowded.ID}, c2, []carillon.Message{c1}},
	} {
		got, err := e.s.MessageLog(e.ctx, tc.f, carillon.MessageLogCursor{CreatedAt: tc.after.CreatedAt, ID: tc.after.ID}, 100)
		e.must(err, "MessageLog "+tc.name)
		check(t, "MessageLog "+tc.name, ids(got), ids(tc.want))
	}

	// Assigned to someone else: a contact's messages, those stored before
	// too, leave the former assignee's log at once and join the new one's
	// (the older ones once the queued parts are made: testMessageAssignees),
	// and so do the messages stored after.
	assignedTo := func(userID int64) []carillon.Message {
		t.Helper()
		got, err := e.s.MessageLog(e.ctx, carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: userID}, carillon.MessageLogCursor{}, 100)
		e.must(err, "MessageLog assigned to a user")
		return got
	}
	check(t, "MessageLog assigned to agent, before", ids(assignedTo(agent.ID)), ids([]carillon.Message{a9, m2, m1}))
	bob.AssignedUserID = agent.ID
	e.must(e.s.UpdateContact(e.ctx, &bob), "UpdateContact (bob assigned)")
	ada.AssignedUserID = crowded.ID
	e.must(e.s.UpdateContact(e.ctx, &ada), "UpdateContact (ada reassigned)")
	m6 := add(bob, carillon.Outbound, carillon.StatusSent, at(11*time.Minute))
	e.rewriteQueuedAssignees()
	check(t, "MessageLog assigned to agent, after", ids(assignedTo(agent.ID)), ids([]carillon.Message{m6, m4, m3}))
	check(t, "MessageLog assigned to the new assignee", ids(assignedTo(crowded.ID)), ids([]carillon.Message{c2, a9, c1, m2, m1}))
	bob.AssignedUserID = 0
	e.must(e.s.UpdateContact(e.ctx, &bob), "UpdateContact (bob unassigned)")
	check(t, "MessageLog assigned to agent, unassigned", ids(assignedTo(agent.ID)), []int64{})

	// UpdateContactFrom is told the row as its caller read it; the
	// messages follow as they do UpdateContact.
	was := bob
	bob.AssignedUserID = agent.ID
	e.must(e.s.UpdateContactFrom(e.ctx, was, &bob), "UpdateContactFrom (bob assigned)")
	check(t, "MessageLog assigned to agent, UpdateContactFrom", ids(assignedTo(agent.ID)), ids([]carillon.Message{m6, m4, m3}))
	// Told a row that changed since (another transaction unassigned bob),
	// it writes nothing: the messages stay with the row as it is.
	stale := bob
	unassigned := bob
	unassigned.AssignedUserID = 0
	e.must(e.s.UpdateContact(e.ctx, &unassigned), "UpdateContact (bob unassigned meanwhile)")
	check(t, "MessageLog assigned to agent, unassigned meanwhile", ids(assignedTo(agent.ID)), []int64{})
	again := stale
	again.Note = "assigned again"
	wantErr(t, "UpdateContactFrom from a stale row", e.s.UpdateContactFrom(e.ctx, stale, &again), carillon.ErrStale)
	check(t, "MessageLog assigned to agent, UpdateContactFrom a stale row", ids(assignedTo(agent.ID)), []int64{})
	stored, err := e.s.ContactByID(e.ctx, a.ID, bob.ID)
	e.must(err, "ContactByID")
	check(t, "contact after UpdateContactFrom from a stale row", stored, normContact(unassigned))
	gone := again
	gone.ID = math.MaxInt32
	wantErr(t, "UpdateContactFrom of a missing contact", e.s.UpdateContactFrom(e.ctx, again, &gone), carillon.ErrNotFound)
}
