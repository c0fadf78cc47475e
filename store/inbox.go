package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// The shared inbox: an account's conversations a page at a time after a
// cursor (keyset, never an offset: conversations move to the head of the
// inbox as their customers write), each user's read marks, and each
// conversation's history.
//
// A page is read from one of the partial indexes of migration 0014, in
// its order (last message time, then id), from the cursor on:
//
//   - open conversations of the account (All, and its filters):
//     contacts_inbox_open, which also holds the columns the filters and an
//     agent's chats name (assigned user, team, channel, last message's
//     direction, funnel stage), so that a walk checks them in the index
//     and reads only the rows of its page;
//   - open ones assigned to one user or to nobody (My chats, Unassigned, a
//     restricted agent's): contacts_inbox_open_assigned; of one team:
//     contacts_inbox_open_team;
//   - closed ones: contacts_inbox_closed (with the same columns) and
//     contacts_inbox_closed_assigned.
//
// The states are written as the literals of the indexes' WHERE clauses
// (closed_at = 0, conversation_created_at <> 0), never as parameters:
// SQLite takes a partial index only for a query whose WHERE holds its
// terms as written. A tag's few contacts are read first (see Inbox).
//
// Unread conversations are counted per view up to a bound the service
// sets (InboxUnread): a walk that stops there, whatever the number of
// open conversations. Measured with 50,000 conversations, 10,000 of them
// open (docs/inbox.md): a page in about a millisecond on both databases.

// stateTerms are the conditions of a conversation state, "" for any.
func stateTerms(s carillon.ConversationState) string {
	switch s {
	case carillon.StateOpen:
		return "closed_at = 0"
	case carillon.StatePending:
		return "closed_at = 0 AND last_message_direction = 'in'"
	case carillon.StateClosed:
		return "closed_at <> 0"
	}
	return ""
}

// inboxWhere is the WHERE clause of the conversations f selects, with its
// arguments: its scope, its view and its filters. tagged, when not nil,
// are the ids of the contacts of f's tag.
func inboxWhere(f carillon.InboxFilter, tagged []int64) (string, []any) {
	// A few tagged contacts are read by their ids, and sorted: the
	// account's column is an expression, which no index serves.
	account := "account_id = ?"
	if tagged != nil {
		account = "+account_id = ?"
	}
	where := []string{account, "conversation_created_at <> 0"}
	args := []any{f.AccountID}
	cond := func(c string, a ...any) {
		where = append(where, c)
		args = append(args, a...)
	}
	if s := stateTerms(f.State); s != "" {
		cond(s)
	}
	if f.AssignedUserID != 0 {
		cond("assigned_user_id = ?", f.AssignedUserID)
	}
	if f.Agent.UserID != 0 {
		c, a := agentChats(f.Agent)
		cond(c, a...)
	}
	if f.Assignee != 0 {
		cond("assigned_user_id = ?", f.Assignee)
	}
	if f.Unassigned {
		cond("assigned_user_id = 0")
	}
	if f.TeamID != 0 {
		cond("team_id = ?", f.TeamID)
	}
	if f.ChannelID != 0 {
		cond("channel_id = ?", f.ChannelID)
	}
	switch {
	case f.TagID != 0 && tagged != nil:
		marks, a := idList(tagged)
		cond("id IN ("+marks+")", a...)
	case f.TagID != 0:
		cond("EXISTS (SELECT 1 FROM contact_tags WHERE contact_tags.contact_id = contacts.id AND contact_tags.tag_id = ?)", f.TagID)
	}
	if f.FunnelID != "" {
		cond("funnel_id = ?", f.FunnelID)
	}
	return strings.Join(where, " AND "), args
}

// Inbox reads a page in f's order. Unassigned first is two walks: the
// unassigned conversations, newest first, then, when the page is not full,
// the assigned ones from their start; the cursor says which walk it is in.
//
// A tag names a set of contacts: when it has few (maxTaggedFirst), their
// ids are read first (contact_tags_tag) and each database is given them,
// as the messages log does with a few contacts; else the walk checks each
// conversation's tags.
func (q *queries) Inbox(ctx context.Context, f carillon.InboxFilter, after carillon.InboxCursor, limit int) ([]carillon.Contact, error) {
	var tagged []int64
	if f.TagID != 0 {
		ids, err := list(q, ctx, scanID, "SELECT contact_id FROM contact_tags WHERE tag_id = ? LIMIT ?", f.TagID, maxTaggedFirst+1)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		if len(ids) <= maxTaggedFirst {
			tagged = ids
		}
	}
	if f.Order != carillon.InboxUnassignedFirst || f.Unassigned || f.Assignee != 0 || f.AssignedUserID != 0 {
		// Every conversation of such a view is on one side.
		return q.inboxWalk(ctx, f, tagged, "", after, limit)
	}
	var out []carillon.Contact
	if !after.Assigned {
		list, err := q.inboxWalk(ctx, f, tagged, "assigned_user_id = 0", after, limit)
		if err != nil || len(list) >= limit {
			return list, err
		}
		out, after = list, carillon.InboxCursor{Assigned: true}
	}
	list, err := q.inboxWalk(ctx, f, tagged, "assigned_user_id <> 0", after, limit-len(out))
	return append(out, list...), err
}

// maxTaggedFirst is the most contacts of a tag whose ids the inbox reads
// before its conversations.
const maxTaggedFirst = 512

// inboxWalk reads up to limit conversations of f that also meet side,
// after the cursor (a zero id: from the start).
func (q *queries) inboxWalk(ctx context.Context, f carillon.InboxFilter, tagged []int64, side string, after carillon.InboxCursor, limit int) ([]carillon.Contact, error) {
	query, args := inboxWalkQuery(f, tagged, side, after, limit)
	return list(q, ctx, scanContact, query, args...)
}

func inboxWalkQuery(f carillon.InboxFilter, tagged []int64, side string, after carillon.InboxCursor, limit int) (string, []any) {
	where, args := inboxWhere(f, tagged)
	if side != "" {
		where += " AND " + side
	}
	order, cmp := "DESC", "<"
	if f.Order == carillon.InboxOldest {
		order, cmp = "ASC", ">"
	}
	if after.ID != 0 {
		// (last_message_at, id) past the cursor, written so that the
		// index's range is on last_message_at alone.
		t := ms(after.LastMessageAt)
		where += " AND last_message_at " + cmp + "= ? AND (last_message_at " + cmp + " ? OR id " + cmp + " ?)"
		args = append(args, t, t, after.ID)
	}
	return "SELECT " + contactCols + " FROM contacts WHERE " + where + " ORDER BY last_message_at " + order + ", id " + order + " LIMIT ?",
		append(args, limit)
}

// InboxUnread counts at most limit unread conversations with a walk that
// stops at the limit: the open conversations the customer wrote in, from
// contacts_inbox_unread (by assigned user, or all of the account) or
// contacts_inbox_open_team (a team's), each joined to the reader's read
// mark by its primary key. It reads limit conversations plus those of the
// walk the reader read since their customer last wrote, whatever the
// number of open conversations.
//
// An agent's scope (assigned to them, or of their teams or of none) is
// two walks, each from its own index: the conversations assigned to the
// agent, then, when they are fewer than the limit, those of their teams
// assigned to someone else or nobody; one walk of the account's would
// read every conversation of the other teams to find theirs. The walks
// are two statements, not one UNION ALL: PostgreSQL plans the arms of a
// UNION ALL under a LIMIT as if they were read whole (a bitmap scan of
// the whole team), and each statement alone as stopping at its limit.
func (q *queries) InboxUnread(ctx context.Context, f carillon.InboxFilter, readerID int64, limit int) (int, error) {
	view := carillon.InboxFilter{AccountID: f.AccountID, AssignedUserID: f.AssignedUserID, State: carillon.StateOpen,
		Assignee: f.Assignee, Unassigned: f.Unassigned, TeamID: f.TeamID}
	a := f.Agent
	if a.UserID == 0 {
		return q.inboxUnreadWalk(ctx, view, "", nil, readerID, limit)
	}
	mine := view
	mine.AssignedUserID = a.UserID
	n, err := q.inboxUnreadWalk(ctx, mine, "", nil, readerID, limit)
	if err != nil || n >= limit {
		return n, err
	}
	teams, args := teamList(a.TeamIDs)
	m, err := q.inboxUnreadWalk(ctx, view, "team_id IN ("+teams+") AND assigned_user_id <> ?", append(args, a.UserID), readerID, limit-n)
	return n + m, err
}

// inboxUnreadWalk counts at most limit unread conversations of f that
// also meet extra.
func (q *queries) inboxUnreadWalk(ctx context.Context, f carillon.InboxFilter, extra string, extraArgs []any, readerID int64, limit int) (int, error) {
	query, args := inboxUnreadQuery(f, extra, extraArgs, readerID, limit)
	var n int
	err := q.queryRow(ctx, query, args...).Scan(&n)
	return n, err
}

func inboxUnreadQuery(f carillon.InboxFilter, extra string, extraArgs []any, readerID int64, limit int) (string, []any) {
	where, args := inboxWhere(f, nil)
	if extra != "" {
		where += " AND " + extra
		args = append(args, extraArgs...)
	}
	return "SELECT COUNT(*) FROM (SELECT 1 FROM contacts LEFT JOIN read_marks ON read_marks.user_id = ? AND read_marks.contact_id = contacts.id" +
			" WHERE " + where + " AND last_inbound_at <> 0 AND last_inbound_at > COALESCE(read_marks.read_at, 0) LIMIT ?) unread",
		append(append([]any{readerID}, args...), limit)
}

// LastMessages reads each contact's message by its contact, account and
// id (messages_contact), newest first, stopping at the first one of its
// time.
func (q *queries) LastMessages(ctx context.Context, contacts []carillon.Contact) (map[int64]carillon.Message, error) {
	out := make(map[int64]carillon.Message, len(contacts))
	for _, c := range contacts {
		if c.LastMessageAt.IsZero() {
			continue
		}
		m, err := scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE contact_id = ? AND account_id = ? AND +created_at = ?"+
			" AND direction <> 'note' ORDER BY id DESC LIMIT 1", c.ID, c.AccountID, ms(c.LastMessageAt)))
		if errors.Is(err, carillon.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out[c.ID] = m
	}
	return out, nil
}

func (q *queries) MarkRead(ctx context.Context, userID, contactID int64, at time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO read_marks (user_id, contact_id, read_at) VALUES (?, ?, ?)
		ON CONFLICT (user_id, contact_id) DO UPDATE SET read_at = excluded.read_at WHERE excluded.read_at > read_marks.read_at`,
		userID, contactID, ms(at))
	return err
}

func (q *queries) ReadMarks(ctx context.Context, userID int64, contactIDs []int64) (map[int64]time.Time, error) {
	out := make(map[int64]time.Time, len(contactIDs))
	err := q.byIDs(ctx, contactIDs, "SELECT contact_id, read_at FROM read_marks WHERE user_id = ? AND contact_id IN (%s)", func(r interface{ Scan(...any) error }) error {
		var id, t int64
		if err := r.Scan(&id, &t); err != nil {
			return err
		}
		out[id] = at(t)
		return nil
	}, userID)
	if err != nil {
		return nil, err
	}
	return out, nil
}

const conversationChangeCols = "id, contact_id, kind, by_user_id, user_id, team_id, reason, created_at"

func scanConversationChange(r interface{ Scan(...any) error }) (carillon.ConversationChange, error) {
	var c carillon.ConversationChange
	var kind string
	var created int64
	err := r.Scan(&c.ID, &c.ContactID, &kind, &c.ByUserID, &c.UserID, &c.TeamID, &c.Reason, &created)
	c.Kind, c.CreatedAt = carillon.ConversationChangeKind(kind), at(created)
	return c, err
}

func (q *queries) AddConversationChanges(ctx context.Context, changes []carillon.ConversationChange) error {
	for i := range changes {
		c := &changes[i]
		err := q.insertRow(ctx, `INSERT INTO conversation_changes (contact_id, kind, by_user_id, user_id, team_id, reason, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`, c.ContactID, string(c.Kind), c.ByUserID, c.UserID, c.TeamID, c.Reason,
			ms(c.CreatedAt)).Scan(&c.ID)
		if err != nil {
			return err
		}
	}
	return nil
}

// ConversationHistory reads the latest entries first (limit bounds them),
// and gives them back oldest first.
func (q *queries) ConversationHistory(ctx context.Context, contactID int64, from, to time.Time, limit int) ([]carillon.ConversationChange, error) {
	where, args := "contact_id = ?", []any{contactID}
	if !from.IsZero() {
		where += " AND created_at >= ?"
		args = append(args, ms(from))
	}
	if !to.IsZero() {
		where += " AND created_at < ?"
		args = append(args, ms(to))
	}
	out, err := list(q, ctx, scanConversationChange, "SELECT "+conversationChangeCols+" FROM conversation_changes WHERE "+where+
		" ORDER BY created_at DESC, id DESC LIMIT ?", append(args, limit)...)
	slices.Reverse(out)
	return out, err
}
