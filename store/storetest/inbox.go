package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The shared inbox (store/inbox.go): its pages, unread tallies, last
// messages, read marks and conversations' history.

// inboxContact makes a contact of ch with a conversation opened at base
// (closed when closed is set), its last message at last in direction dir
// (none when last is zero), assigned to user and in team.
func (e *env) inboxContact(ch carillon.Channel, address string, user, team int64, closed bool, last time.Duration, dir carillon.Direction) carillon.Contact {
	e.t.Helper()
	c := e.contact(ch, address)
	c.ConversationCreatedAt, c.AssignedUserID, c.TeamID = base, user, team
	if closed {
		c.ClosedAt = at(time.Hour)
	}
	if last != 0 {
		c.LastMessageAt, c.LastMessageDirection = sloppy(at(last)), dir
		if dir == carillon.Inbound {
			c.LastInboundAt = at(last)
		}
	}
	e.must(e.s.UpdateContact(e.ctx, &c), "UpdateContact")
	return c
}

// inboxCursor is the cursor after conversation c, as the service makes it.
func inboxCursor(c carillon.Contact) carillon.InboxCursor {
	return carillon.InboxCursor{Assigned: c.AssignedUserID != 0, LastMessageAt: c.LastMessageAt, ID: c.ID}
}

// testInbox reads the inbox with each filter, scope and order, whole and
// a page of 1, 2 and 3 conversations at a time after cursors.
func testInbox(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa, tg := e.channel(a.ID, carillon.WhatsApp, true), e.channel(a.ID, carillon.Telegram, true)
	me, other := e.user(a.ID, "me@example.com"), e.user(a.ID, "other@example.com")
	t1, t2 := e.team(a.ID, "T1"), e.team(a.ID, "T2")
	tag := e.tag(a.ID, "vip")
	const funnel = "7a1c2b3d-0000-4000-8000-000000000001"

	c1 := e.inboxContact(wa, "31600000001", 0, 0, false, time.Minute, carillon.Inbound)
	c2 := e.inboxContact(wa, "31600000002", me.ID, t1.ID, false, 2*time.Minute, carillon.Outbound)
	c3 := e.inboxContact(wa, "31600000003", other.ID, t2.ID, false, 3*time.Minute, carillon.Inbound)
	c3.FunnelID = funnel
	e.must(e.s.UpdateContact(e.ctx, &c3), "UpdateContact")
	c4 := e.inboxContact(wa, "31600000004", me.ID, t1.ID, true, 4*time.Minute, carillon.Inbound)
	c5 := e.inboxContact(tg, "31600000005", 0, t1.ID, false, 2*time.Minute, carillon.Inbound) // the time of c2, a later id
	c7 := e.inboxContact(wa, "31600000007", 0, 0, false, 0, "")                               // a conversation with no message yet
	e.contact(wa, "31600000006")                                                              // no conversation: never in the inbox
	e.inboxContact(e.channel(b.ID, carillon.WhatsApp, true), "31600000001", 0, 0, false, 5*time.Minute, carillon.Inbound)
	e.must(e.s.SetContactTags(e.ctx, c1.ID, []int64{tag.ID}), "SetContactTags")

	open, closed := carillon.StateOpen, carillon.StateClosed
	cases := []struct {
		name string
		f    carillon.InboxFilter
		want []carillon.Contact
	}{
		{"open, newest first", carillon.InboxFilter{State: open}, []carillon.Contact{c3, c5, c2, c1, c7}},
		{"open, oldest first", carillon.InboxFilter{State: open, Order: carillon.InboxOldest}, []carillon.Contact{c7, c1, c2, c5, c3}},
		{"open, unassigned first", carillon.InboxFilter{State: open, Order: carillon.InboxUnassignedFirst}, []carillon.Contact{c5, c1, c7, c3, c2}},
		{"pending", carillon.InboxFilter{State: carillon.StatePending}, []carillon.Contact{c3, c5, c1}},
		{"closed", carillon.InboxFilter{State: closed}, []carillon.Contact{c4}},
		{"any state", carillon.InboxFilter{}, []carillon.Contact{c4, c3, c5, c2, c1, c7}},
		{"any state, unassigned first", carillon.InboxFilter{Order: carillon.InboxUnassignedFirst}, []carillon.Contact{c5, c1, c7, c4, c3, c2}},
		{"assigned to me", carillon.InboxFilter{State: open, Assignee: me.ID}, []carillon.Contact{c2}},
		{"assigned to me, closed", carillon.InboxFilter{State: closed, Assignee: me.ID}, []carillon.Contact{c4}},
		{"assigned to me, unassigned first", carillon.InboxFilter{Assignee: me.ID, Order: carillon.InboxUnassignedFirst}, []carillon.Contact{c4, c2}},
		{"unassigned", carillon.InboxFilter{State: open, Unassigned: true}, []carillon.Contact{c5, c1, c7}},
		{"a team", carillon.InboxFilter{State: open, TeamID: t1.ID}, []carillon.Contact{c5, c2}},
		{"a team, oldest first", carillon.InboxFilter{State: open, TeamID: t1.ID, Order: carillon.InboxOldest}, []carillon.Contact{c2, c5}},
		{"a channel", carillon.InboxFilter{State: open, ChannelID: tg.ID}, []carillon.Contact{c5}},
		{"a tag", carillon.InboxFilter{State: open, TagID: tag.ID}, []carillon.Contact{c1}},
		{"a funnel stage", carillon.InboxFilter{State: open, FunnelID: funnel}, []carillon.Contact{c3}},
		{"a restricted agent's", carillon.InboxFilter{AssignedUserID: me.ID}, []carillon.Contact{c4, c2}},
		{"a restricted agent's unassigned", carillon.InboxFilter{AssignedUserID: me.ID, Unassigned: true}, nil},
		{"an agent's", carillon.InboxFilter{State: open, Agent: carillon.AgentChats{UserID: me.ID, TeamIDs: []int64{t1.ID}}},
			[]carillon.Contact{c5, c2, c1, c7}},
		{"an agent's, unassigned first", carillon.InboxFilter{State: open, Order: carillon.InboxUnassignedFirst,
			Agent: carillon.AgentChats{UserID: other.ID, TeamIDs: []int64{t2.ID}}}, []carillon.Contact{c1, c7, c3}},
		{"an agent's other team", carillon.InboxFilter{State: open, TeamID: t2.ID, Agent: carillon.AgentChats{UserID: me.ID, TeamIDs: []int64{t1.ID}}}, nil},
		{"filters together", carillon.InboxFilter{State: carillon.StatePending, TeamID: t1.ID, ChannelID: tg.ID, Unassigned: true}, []carillon.Contact{c5}},
	}
	for _, tc := range cases {
		f := tc.f
		f.AccountID = a.ID
		got, err := e.s.Inbox(e.ctx, f, carillon.InboxCursor{}, 100)
		e.must(err, "Inbox "+tc.name)
		check(t, "Inbox "+tc.name, contactIDs(got), contactIDs(tc.want))
		for _, size := range []int{1, 2, 3} {
			var walked []carillon.Contact
			var after carillon.InboxCursor
			for range 10 {
				page, err := e.s.Inbox(e.ctx, f, after, size)
				e.must(err, "Inbox "+tc.name)
				if len(page) > size {
					t.Fatalf("Inbox %s: %d conversations in a page of %d", tc.name, len(page), size)
				}
				walked = append(walked, page...)
				if len(page) < size {
					break
				}
				after = inboxCursor(page[len(page)-1])
			}
			check(t, fmt.Sprintf("Inbox %s in pages of %d", tc.name, size), contactIDs(walked), contactIDs(tc.want))
		}
	}
	got, err := e.s.Inbox(e.ctx, carillon.InboxFilter{AccountID: a.ID, State: open}, carillon.InboxCursor{}, 1)
	e.must(err, "Inbox")
	check(t, "a conversation of the inbox", got[0], normContact(c3))
}

// testInboxUnread counts the open conversations of a view a reader has
// not read: those whose contact wrote after the reader's mark, or ever
// wrote when the reader has none; exactly below the limit, the limit at
// and past it; each role's scope kept.
func testInboxUnread(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	me, other := e.user(a.ID, "me@example.com"), e.user(a.ID, "other@example.com")
	t1, t2 := e.team(a.ID, "T1"), e.team(a.ID, "T2")

	never := e.inboxContact(wa, "31600000001", 0, 0, false, time.Minute, carillon.Inbound)           // never read by me: unread
	read := e.inboxContact(wa, "31600000002", me.ID, t1.ID, false, 2*time.Minute, carillon.Inbound)  // read since by me
	newer := e.inboxContact(wa, "31600000003", me.ID, t1.ID, false, 3*time.Minute, carillon.Inbound) // wrote after my mark: unread
	e.inboxContact(wa, "31600000004", other.ID, t1.ID, true, 4*time.Minute, carillon.Inbound)        // closed: not counted
	e.inboxContact(wa, "31600000005", 0, 0, false, 5*time.Minute, carillon.Outbound)                 // never wrote: read
	e.inboxContact(wa, "31600000006", me.ID, t1.ID, false, 0, "")                                    // no message: read
	e.inboxContact(wa, "31600000007", other.ID, t1.ID, false, 6*time.Minute, carillon.Inbound)       // another's, never read: unread
	e.inboxContact(wa, "31600000008", 0, t2.ID, false, 7*time.Minute, carillon.Inbound)              // another team's, never read: unread
	e.inboxContact(e.channel(b.ID, carillon.WhatsApp, true), "31600000001", 0, 0, false, time.Minute, carillon.Inbound)
	e.must(e.s.MarkRead(e.ctx, me.ID, read.ID, at(2*time.Minute)), "MarkRead")
	e.must(e.s.MarkRead(e.ctx, me.ID, newer.ID, at(2*time.Minute)), "MarkRead")
	e.must(e.s.MarkRead(e.ctx, other.ID, never.ID, at(time.Hour)), "MarkRead of another reader")

	agent := carillon.AgentChats{UserID: other.ID}
	agentT1 := carillon.AgentChats{UserID: other.ID, TeamIDs: []int64{t1.ID}}
	cases := []struct {
		name   string
		f      carillon.InboxFilter
		reader int64
		limit  int
		want   int
	}{
		{"all", carillon.InboxFilter{}, me.ID, 10, 4},
		{"all, at the limit", carillon.InboxFilter{}, me.ID, 4, 4},
		{"all, past the limit", carillon.InboxFilter{}, me.ID, 3, 3},
		{"all, a limit of 1", carillon.InboxFilter{}, me.ID, 1, 1},
		{"another reader's all", carillon.InboxFilter{}, other.ID, 10, 4},
		{"my chats", carillon.InboxFilter{Assignee: me.ID}, me.ID, 10, 1},
		{"unassigned", carillon.InboxFilter{Unassigned: true}, me.ID, 10, 2},
		{"a team's", carillon.InboxFilter{TeamID: t1.ID}, me.ID, 10, 2},
		{"a team's, past the limit", carillon.InboxFilter{TeamID: t1.ID}, me.ID, 1, 1},
		{"state, order and filters are not read", carillon.InboxFilter{State: carillon.StateClosed, Order: carillon.InboxOldest,
			FunnelID: "none", ChannelID: 99999}, me.ID, 10, 4},
		{"a restricted agent's", carillon.InboxFilter{AssignedUserID: me.ID}, me.ID, 10, 1},
		{"a restricted agent's my chats", carillon.InboxFilter{AssignedUserID: me.ID, Assignee: me.ID}, me.ID, 10, 1},
		{"a restricted agent's unassigned", carillon.InboxFilter{AssignedUserID: me.ID, Unassigned: true}, me.ID, 10, 0},
		{"an agent's all", carillon.InboxFilter{Agent: agent}, other.ID, 10, 1},
		{"an agent's unassigned (of no team, read)", carillon.InboxFilter{Agent: agent, Unassigned: true}, other.ID, 10, 0},
		{"an agent's of a team: all", carillon.InboxFilter{Agent: agentT1}, other.ID, 10, 3},
		{"an agent's of a team: all, at the limit", carillon.InboxFilter{Agent: agentT1}, other.ID, 3, 3},
		{"an agent's of a team: all, past the limit", carillon.InboxFilter{Agent: agentT1}, other.ID, 2, 2},
		{"an agent's of a team: all, a limit of 1", carillon.InboxFilter{Agent: agentT1}, other.ID, 1, 1},
		{"an agent's of a team: my chats", carillon.InboxFilter{Agent: agentT1, Assignee: other.ID}, other.ID, 10, 1},
		{"an agent's of a team: the team's", carillon.InboxFilter{Agent: agentT1, TeamID: t1.ID}, other.ID, 10, 3},
		{"an agent's of a team: another team's", carillon.InboxFilter{Agent: agentT1, TeamID: t2.ID}, other.ID, 10, 0},
	}
	for _, tc := range cases {
		f := tc.f
		f.AccountID = a.ID
		got, err := e.s.InboxUnread(e.ctx, f, tc.reader, tc.limit)
		e.must(err, "InboxUnread "+tc.name)
		check(t, "InboxUnread "+tc.name, got, tc.want)
	}
}

// testLastMessages finds each contact's message of its last message time.
func testLastMessages(t *testing.T, e *env) {
	a := e.account("a")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	add := func(c carillon.Contact, dir carillon.Direction, created time.Duration) carillon.Message {
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: dir, Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}, Status: carillon.StatusReceived,
			CreatedAt: sloppy(at(created)), UpdatedAt: sloppy(at(created))}
		e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
		return m
	}
	c1 := e.inboxContact(wa, "31600000001", 0, 0, false, 2*time.Minute, carillon.Outbound)
	add(c1, carillon.Inbound, time.Minute)
	first := add(c1, carillon.Outbound, 2*time.Minute)
	last := add(c1, carillon.Outbound, 2*time.Minute) // the same time, stored later
	add(c1, carillon.Note, 3*time.Minute)             // a note is never the last message
	add(c1, carillon.Inbound, time.Minute)            // stored later, written earlier
	c2 := e.inboxContact(wa, "31600000002", 0, 0, false, 0, "")
	c3 := e.inboxContact(wa, "31600000003", 0, 0, false, time.Hour, carillon.Inbound) // its message is gone
	got, err := e.s.LastMessages(e.ctx, []carillon.Contact{c1, c2, c3})
	e.must(err, "LastMessages")
	if len(got) != 1 || got[c1.ID].ID != last.ID {
		t.Errorf("LastMessages = %v, want only contact %d's message %d (not %d)", got, c1.ID, last.ID, first.ID)
	}
	check(t, "the last message", got[c1.ID], norMessage(last))
}

// norMessage is what the store gives back for a message it was given.
func norMessage(m carillon.Message) carillon.Message {
	m.CreatedAt, m.UpdatedAt, m.NextAttemptAt = norm(m.CreatedAt), norm(m.UpdatedAt), norm(m.NextAttemptAt)
	return m
}

// testReadMarks: a mark only moves forward, per user and contact.
func testReadMarks(t *testing.T, e *env) {
	a := e.account("a")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	me, other := e.user(a.ID, "me@example.com"), e.user(a.ID, "other@example.com")
	c1, c2, c3 := e.contact(wa, "31600000001"), e.contact(wa, "31600000002"), e.contact(wa, "31600000003")

	e.must(e.s.MarkRead(e.ctx, me.ID, c1.ID, sloppy(at(2*time.Minute))), "MarkRead")
	e.must(e.s.MarkRead(e.ctx, me.ID, c1.ID, at(time.Minute)), "MarkRead back")
	e.must(e.s.MarkRead(e.ctx, me.ID, c2.ID, at(time.Minute)), "MarkRead")
	e.must(e.s.MarkRead(e.ctx, me.ID, c2.ID, at(3*time.Minute)), "MarkRead forward")
	e.must(e.s.MarkRead(e.ctx, other.ID, c3.ID, at(time.Minute)), "MarkRead of another user")
	got, err := e.s.ReadMarks(e.ctx, me.ID, []int64{c1.ID, c2.ID, c3.ID})
	e.must(err, "ReadMarks")
	check(t, "read marks", got, map[int64]time.Time{c1.ID: norm(at(2 * time.Minute)), c2.ID: at(3 * time.Minute)})
	got, err = e.s.ReadMarks(e.ctx, other.ID, []int64{c1.ID, c3.ID})
	e.must(err, "ReadMarks")
	check(t, "another user's read marks", got, map[int64]time.Time{c3.ID: at(time.Minute)})
	got, err = e.s.ReadMarks(e.ctx, me.ID, nil)
	e.must(err, "ReadMarks of no contact")
	check(t, "read marks of no contact", got, map[int64]time.Time{})
}

// testConversationHistory keeps a conversation's changes and reads them
// back oldest first, within a time range, the latest ones when more match.
func testConversationHistory(t *testing.T, e *env) {
	a := e.account("a")
	wa := e.channel(a.ID, carillon.WhatsApp, true)
	c, other := e.contact(wa, "31600000001"), e.contact(wa, "31600000002")
	changes := []carillon.ConversationChange{
		{ContactID: c.ID, Kind: carillon.ChangeOpened, CreatedAt: sloppy(at(time.Minute))},
		{ContactID: c.ID, Kind: carillon.ChangeAssigned, ByUserID: 7, UserID: 8, CreatedAt: at(2 * time.Minute)},
		{ContactID: c.ID, Kind: carillon.ChangeTeam, TeamID: 9, CreatedAt: at(2 * time.Minute)},
		{ContactID: c.ID, Kind: carillon.ChangeClosed, ByUserID: 7, Reason: "solved; «ok»", CreatedAt: at(3 * time.Minute)},
		{ContactID: other.ID, Kind: carillon.ChangeOpened, CreatedAt: at(2 * time.Minute)},
		{ContactID: c.ID, Kind: carillon.ChangeReopened, CreatedAt: at(4 * time.Minute)},
	}
	e.must(e.s.AddConversationChanges(e.ctx, changes[:3]), "AddConversationChanges")
	e.must(e.s.AddConversationChanges(e.ctx, changes[3:]), "AddConversationChanges")
	for i, ch := range changes {
		if ch.ID == 0 {
			t.Fatalf("AddConversationChanges left change %d's id 0", i)
		}
		changes[i].CreatedAt = norm(ch.CreatedAt)
	}
	cs := changes
	cases := []struct {
		name     string
		from, to time.Time
		limit    int
		want     []carillon.ConversationChange
	}{
		{"all", time.Time{}, time.Time{}, 10, []carillon.ConversationChange{cs[0], cs[1], cs[2], cs[3], cs[5]}},
		{"the latest", time.Time{}, time.Time{}, 2, []carillon.ConversationChange{cs[3], cs[5]}},
		{"from", at(2 * time.Minute), time.Time{}, 10, []carillon.ConversationChange{cs[1], cs[2], cs[3], cs[5]}},
		{"to", time.Time{}, at(3 * time.Minute), 10, []carillon.ConversationChange{cs[0], cs[1], cs[2]}},
		{"between", at(2 * time.Minute), at(4 * time.Minute), 10, []carillon.ConversationChange{cs[1], cs[2], cs[3]}},
		{"none", at(5 * time.Minute), time.Time{}, 10, nil},
	}
	for _, tc := range cases {
		got, err := e.s.ConversationHistory(e.ctx, c.ID, tc.from, tc.to, tc.limit)
		e.must(err, "ConversationHistory "+tc.name)
		check(t, "ConversationHistory "+tc.name, got, tc.want)
	}
}
