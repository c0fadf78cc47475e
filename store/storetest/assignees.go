package storetest

import (
	"slices"
	"testing"

	"github.com/carillon/carillon"
)

// testMessageAssignees assigns a contact with more messages than its
// assignment rewrites itself (three in the store's own tests): a
// restricted agent's log shows the newest at once and the older ones as
// the queued parts rewrite them, newest first; the former assignee never
// sees one of them, rewritten or not; a second assignment during the parts
// wins; a contact deleted leaves nothing queued.
func testMessageAssignees(t *testing.T, e *env) {
	f := e.fixture("a")
	a, c := f.acct, f.contact
	ann, bea := e.user(a.ID, "ann@example.com"), e.user(a.ID, "bea@example.com")
	msgs := []carillon.Message{f.message}
	for range 6 {
		msgs = append(msgs, e.message(c, carillon.SendNone, ""))
	}
	newest := func(n int) []int64 { // ids of the n newest messages, newest first
		out := ids(msgs[len(msgs)-n:])
		slices.Reverse(out)
		return out
	}
	logOf := func(what string, u carillon.User, want []int64) {
		t.Helper()
		got, err := e.s.MessageLog(e.ctx, carillon.MessageLogFilter{AccountID: a.ID, AssignedUserID: u.ID}, carillon.MessageLogCursor{}, 100)
		e.must(err, "MessageLog")
		gotIDs := ids(got)
		slices.SortFunc(gotIDs, func(x, y int64) int { return int(y - x) })
		check(t, what+": "+u.Email+"'s log", gotIDs, want)
	}
	part := func(what string, want bool) {
		t.Helper()
		made, err := e.s.RewriteQueuedMessageAssignees(e.ctx, 2)
		e.must(err, "RewriteQueuedMessageAssignees")
		check(t, what, made, want)
	}
	assign := func(u carillon.User) {
		t.Helper()
		cur, err := e.s.ContactByID(e.ctx, a.ID, c.ID)
		e.must(err, "ContactByID")
		cur.AssignedUserID = u.ID
		e.must(e.s.UpdateContact(e.ctx, &cur), "UpdateContact")
	}

	part("a part with nothing queued", false)
	assign(ann)
	logOf("assigned", ann, newest(3))
	part("the first part", true)
	logOf("after a part of 2", ann, newest(5))

	// Assigned again before the parts are done: the former assignee sees
	// none of the contact's messages, those not rewritten yet included.
	assign(bea)
	logOf("assigned again", ann, []int64{})
	logOf("assigned again", bea, newest(3))
	for range 2 {
		part("a part of the second assignment", true)
	}
	logOf("after two parts", bea, newest(7))
	part("the last part, which finds nothing left below", true)
	part("a part once the contact is done", false)
	logOf("done", bea, newest(7))
	logOf("done", ann, []int64{})

	// A contact deleted while queued leaves nothing to do.
	assign(ann)
	e.must(e.s.DeleteContact(e.ctx, a.ID, c.ID), "DeleteContact")
	part("a part after the queued contact's deletion", false)
}

// rewriteQueuedAssignees makes every queued part of the assignments made,
// as carillon serve does in the background.
func (e *env) rewriteQueuedAssignees() {
	e.t.Helper()
	for {
		made, err := e.s.RewriteQueuedMessageAssignees(e.ctx, 100)
		e.must(err, "RewriteQueuedMessageAssignees")
		if !made {
			return
		}
	}
}
