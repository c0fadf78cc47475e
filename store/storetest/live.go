package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The record of chat changes and who is on which conversation
// (store/live.go).

// change is a change of contact c of kind, made at t.
func change(c carillon.Contact, kind string, t time.Time) carillon.ChatChange {
	return carillon.ChatChange{AccountID: c.AccountID, Kind: kind, ContactID: c.ID, ContactUUID: c.UUID,
		ConversationUUID: c.ConversationUUID, AssignedUserID: 7, TeamID: 8, WasAssignedUserID: 9, WasTeamID: 10, CreatedAt: sloppy(t)}
}

// numbered is changes as the store gives them back, numbered from first.
func numbered(first int64, changes ...carillon.ChatChange) []carillon.ChatChange {
	out := make([]carillon.ChatChange, len(changes))
	for i, c := range changes {
		c.ID = first + int64(i)
		c.CreatedAt = norm(c.CreatedAt)
		out[i] = c
	}
	return out
}

func (e *env) changeLog() carillon.ChatChangeLog {
	e.t.Helper()
	l, err := e.s.ChatChangeLog(e.ctx)
	e.must(err, "ChatChangeLog")
	return l
}

func testChatChanges(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	other := e.fixture("b")
	check(t, "the log of a new store", e.changeLog(), carillon.ChatChangeLog{})

	// Rolled back: nothing of it stays, and no id is used up.
	boom := errors.New("boom")
	err := e.s.InTx(ctx, func(q carillon.Queries) error {
		e.must(q.AddChatChange(ctx, change(f.contact, carillon.EventMessageCreated, base)), "AddChatChange")
		return boom
	})
	wantErr(t, "InTx", err, boom)
	got, err := e.s.ChatChanges(ctx, 0, 100)
	e.must(err, "ChatChanges")
	check(t, "changes after a rollback", len(got), 0)
	check(t, "the log after a rollback", e.changeLog(), carillon.ChatChangeLog{})

	// Committed: numbered from 1 in the order they were added, the other
	// account's among them.
	a1 := change(f.contact, carillon.EventMessageCreated, base)
	b1 := change(other.contact, carillon.EventContactUpdated, at(time.Second))
	a2 := change(f.contact, carillon.EventConversationClosed, at(2*time.Second))
	err = e.s.InTx(ctx, func(q carillon.Queries) error {
		for _, c := range []carillon.ChatChange{a1, b1, a2} {
			if err := q.AddChatChange(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	e.must(err, "InTx")
	// Outside a transaction: written at once, with the next id.
	a3 := change(f.contact, carillon.ChangePresence, at(3*time.Second))
	e.must(e.s.AddChatChange(ctx, a3), "AddChatChange outside a transaction")

	all := numbered(1, a1, b1, a2, a3)
	got, err = e.s.ChatChanges(ctx, 0, 100)
	e.must(err, "ChatChanges")
	check(t, "every change", got, all)
	check(t, "the log", e.changeLog(), carillon.ChatChangeLog{LastID: 4})
	for _, tc := range []struct {
		name         string
		after, limit int64
		want         []carillon.ChatChange
	}{
		{"after 1", 1, 100, all[1:]},
		{"after 1, 2 of them", 1, 2, all[1:3]},
		{"after the last", 4, 100, nil},
	} {
		got, err := e.s.ChatChanges(ctx, tc.after, int(tc.limit))
		e.must(err, "ChatChanges "+tc.name)
		if len(got) != 0 || len(tc.want) != 0 {
			check(t, "ChatChanges "+tc.name, got, tc.want)
		}
	}
	for _, tc := range []struct {
		name                  string
		account               int64
		after, through, limit int64
		want                  []carillon.ChatChange
	}{
		{"a's", f.acct.ID, 0, 4, 100, []carillon.ChatChange{all[0], all[2], all[3]}},
		{"a's after 1", f.acct.ID, 1, 4, 100, []carillon.ChatChange{all[2], all[3]}},
		{"a's through 3", f.acct.ID, 0, 3, 100, []carillon.ChatChange{all[0], all[2]}},
		{"a's, 1 of them", f.acct.ID, 0, 4, 1, []carillon.ChatChange{all[0]}},
		{"b's", other.acct.ID, 0, 4, 100, []carillon.ChatChange{all[1]}},
		{"b's after 2", other.acct.ID, 2, 4, 100, nil},
	} {
		got, err := e.s.AccountChatChanges(ctx, tc.account, tc.after, tc.through, int(tc.limit))
		e.must(err, "AccountChatChanges "+tc.name)
		if len(got) != 0 || len(tc.want) != 0 {
			check(t, "AccountChatChanges "+tc.name, got, tc.want)
		}
	}

	// More changes in one transaction than one statement writes: numbered
	// on from the last id, in the order they were added.
	many := make([]carillon.ChatChange, 450)
	for i := range many {
		many[i] = change(f.contact, carillon.EventMessageCreated, at(time.Duration(10+i)*time.Second))
	}
	err = e.s.InTx(ctx, func(q carillon.Queries) error {
		for _, c := range many {
			if err := q.AddChatChange(ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	e.must(err, "InTx of 450 changes")
	got, err = e.s.ChatChanges(ctx, 4, 1000)
	e.must(err, "ChatChanges after 4")
	check(t, "450 changes of one transaction", got, numbered(5, many...))
	check(t, "the log after them", e.changeLog(), carillon.ChatChangeLog{LastID: 454})
}

// testChatChangesCommitOrder: a change's id follows the commits, not the
// inserts. On a store that several writers share (PostgreSQL), the
// transaction that recorded a change first but commits last gets the
// higher id. SQLite's single writer runs one transaction at a time.
func testChatChangesCommitOrder(t *testing.T, e *env) {
	if !e.s.Shared() {
		t.Skip("one writer at a time: commits are in the order of the writes")
	}
	ctx := e.ctx
	f := e.fixture("a")
	first, second := change(f.contact, carillon.EventMessageCreated, base), change(f.contact, carillon.EventContactUpdated, base)
	added, release := make(chan struct{}), make(chan struct{})
	done := make(chan error, 1)
	go func() {
		done <- e.s.InTx(ctx, func(q carillon.Queries) error {
			if err := q.AddChatChange(ctx, first); err != nil {
				return err
			}
			close(added)
			<-release
			return nil
		})
	}()
	<-added
	e.must(e.s.InTx(ctx, func(q carillon.Queries) error { return q.AddChatChange(ctx, second) }), "InTx of the second change")
	got, err := e.s.ChatChanges(ctx, 0, 100)
	e.must(err, "ChatChanges")
	check(t, "changes while the first transaction is open", got, numbered(1, second))
	close(release)
	e.must(<-done, "InTx of the first change")
	got, err = e.s.ChatChanges(ctx, 0, 100)
	e.must(err, "ChatChanges")
	check(t, "changes in commit order", got, numbered(1, second, first))
}

func testPruneChatChanges(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	var all []carillon.ChatChange
	for i := range 6 {
		c := change(f.contact, carillon.EventMessageCreated, at(time.Duration(i)*time.Minute))
		e.must(e.s.AddChatChange(ctx, c), "AddChatChange")
		all = append(all, c)
	}
	all = numbered(1, all...)
	for _, tc := range []struct {
		name    string
		before  time.Time
		keep    int
		deleted int64
		log     carillon.ChatChangeLog
	}{
		{"nothing old, keeping more than there are", base, 100, 0, carillon.ChatChangeLog{LastID: 6}},
		{"made before the 3rd", at(2 * time.Minute), 100, 2, carillon.ChatChangeLog{LastID: 6, PrunedThrough: 2}},
		{"again", at(2 * time.Minute), 100, 0, carillon.ChatChangeLog{LastID: 6, PrunedThrough: 2}},
		{"all but the newest 2", base, 2, 2, carillon.ChatChangeLog{LastID: 6, PrunedThrough: 4}},
		{"all", at(time.Hour), 0, 2, carillon.ChatChangeLog{LastID: 6, PrunedThrough: 6}},
	} {
		n, err := e.s.PruneChatChanges(ctx, tc.before, tc.keep)
		e.must(err, "PruneChatChanges "+tc.name)
		if n != tc.deleted {
			t.Errorf("PruneChatChanges %s: deleted %d, want %d", tc.name, n, tc.deleted)
		}
		check(t, "the log after pruning "+tc.name, e.changeLog(), tc.log)
		got, err := e.s.ChatChanges(ctx, 0, 100)
		e.must(err, "ChatChanges")
		if want := all[tc.log.PrunedThrough:]; len(got) != 0 || len(want) != 0 {
			check(t, "changes left after pruning "+tc.name, got, want)
		}
	}
	// The ids go on after the pruned ones.
	c := change(f.contact, carillon.EventMessageCreated, base)
	e.must(e.s.AddChatChange(ctx, c), "AddChatChange")
	got, err := e.s.ChatChanges(ctx, 6, 100)
	e.must(err, "ChatChanges")
	check(t, "the change after pruning", got, numbered(7, c))
	// Pruning by age stops at the first change made since: one committed
	// after it with an earlier time (another instance's clock) stays.
	later, earlier := change(f.contact, carillon.EventMessageCreated, at(10*time.Minute)), change(f.contact, carillon.EventMessageCreated, at(5*time.Minute))
	e.must(e.s.AddChatChange(ctx, later), "AddChatChange")
	e.must(e.s.AddChatChange(ctx, earlier), "AddChatChange")
	n, err := e.s.PruneChatChanges(ctx, at(7*time.Minute), 100)
	e.must(err, "PruneChatChanges")
	if n != 1 {
		t.Errorf("PruneChatChanges before a change made later than the next: deleted %d, want 1", n)
	}
	check(t, "the log after pruning before a change made later than the next", e.changeLog(), carillon.ChatChangeLog{LastID: 9, PrunedThrough: 7})
	got, err = e.s.ChatChanges(ctx, 0, 100)
	e.must(err, "ChatChanges")
	check(t, "changes left after pruning before a change made later than the next", got, numbered(8, later, earlier))
}

func testChatPresence(t *testing.T, e *env) {
	ctx := e.ctx
	f := e.fixture("a")
	ann, bob := e.user(f.acct.ID, "ann@example.com"), e.user(f.acct.ID, "bob@example.com")
	second := e.contact(f.channel, "5491100000002")
	presence := func(c carillon.Contact, u carillon.User, viewing, typing time.Time) carillon.ChatPresence {
		return carillon.ChatPresence{AccountID: c.AccountID, ContactID: c.ID, UserID: u.ID, ViewingUntil: sloppy(viewing), TypingUntil: sloppy(typing)}
	}
	shown := func(p carillon.ChatPresence, u carillon.User) carillon.ChatPresence {
		p.UserUUID, p.UserName = u.UUID, u.Name
		p.ViewingUntil, p.TypingUntil = norm(p.ViewingUntil), norm(p.TypingUntil)
		return p
	}
	bobViews := presence(f.contact, bob, at(time.Minute), time.Time{})
	annTypes := presence(f.contact, ann, at(time.Minute), at(10*time.Second))
	annViewsSecond := presence(second, ann, at(30*time.Second), time.Time{})
	for _, p := range []carillon.ChatPresence{bobViews, presence(f.contact, ann, at(time.Minute), time.Time{}), annTypes, annViewsSecond} {
		e.must(e.s.SetChatPresence(ctx, p), "SetChatPresence")
	}
	for _, tc := range []struct {
		name string
		now  time.Time
		want map[int64][]carillon.ChatPresence
	}{
		{"now, by name", base, map[int64][]carillon.ChatPresence{
			f.contact.ID: {shown(annTypes, ann), shown(bobViews, bob)},
			second.ID:    {shown(annViewsSecond, ann)},
		}},
		{"once the second's ended", at(30 * time.Second), map[int64][]carillon.ChatPresence{
			f.contact.ID: {shown(annTypes, ann), shown(bobViews, bob)},
		}},
		{"once all ended", at(time.Minute), map[int64][]carillon.ChatPresence{}},
	} {
		got, err := e.s.ChatPresences(ctx, []int64{f.contact.ID, second.ID, 999999}, tc.now)
		e.must(err, "ChatPresences "+tc.name)
		check(t, "ChatPresences "+tc.name, got, tc.want)
	}

	// Ended presences are deleted; a contact's go with it.
	e.must(e.s.DeleteChatPresences(ctx, at(45*time.Second)), "DeleteChatPresences")
	e.must(e.s.SetChatPresence(ctx, annViewsSecond), "SetChatPresence")
	got, err := e.s.ChatPresences(ctx, []int64{f.contact.ID, second.ID}, base)
	e.must(err, "ChatPresences")
	check(t, "presences left", got, map[int64][]carillon.ChatPresence{
		f.contact.ID: {shown(annTypes, ann), shown(bobViews, bob)},
		second.ID:    {shown(annViewsSecond, ann)},
	})
	e.must(e.s.DeleteChatPresences(ctx, at(90*time.Second)), "DeleteChatPresences")
	e.must(e.s.SetChatPresence(ctx, annViewsSecond), "SetChatPresence")
	e.must(e.s.DeleteContact(ctx, f.acct.ID, second.ID), "DeleteContact")
	got, err = e.s.ChatPresences(ctx, []int64{f.contact.ID, second.ID}, base)
	e.must(err, "ChatPresences")
	check(t, "presences after every one ended or its contact was deleted", got, map[int64][]carillon.ChatPresence{})
}
