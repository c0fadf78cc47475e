package store

import (
	"context"
	"strings"

	"github.com/carillon/carillon"
)

// The messages log: an account's messages across its contacts, newest
// first, a page at a time after a cursor (keyset, never an offset: the log
// grows at its head while it is read).
//
// Its order is the one the indexes of migration 0008 keep: creation time,
// then id. Each filter has the index that serves it with that order, so
// that a page reads about as many rows as it shows:
//
//   - no filter, a direction, a time range: messages_log (account_id,
//     created_at, id), walked from the cursor down;
//   - a channel: messages_log_channel (channel_id, created_at, id);
//   - a status: messages_log_status (account_id, status, created_at, id);
//   - an assigned user alone (a restricted agent's log):
//     messages_log_assigned (assigned_user_id, created_at, id), each
//     message keeping its contact's assignee (migration 0016; before it,
//     a page walked about 4,000 messages of the account's log with 2,000
//     of 200,000 contacts assigned, measured in docs/benchmarks.md), and
//     each entry's contact checked (assignees.go);
//   - a number (with an assigned user or not) or an agent's chats: the
//     contacts they name are read first (contacts_address, and for an
//     agent's chats contacts_team with contacts_assigned, each read
//     stopping past maxLogContacts, or for a number past
//     maxListedContacts); up to maxLogContacts of them, each one's
//     messages (messages_contact), sorted; up to maxListedContacts, the
//     log is walked as without them, each message's contact looked up in
//     the list of their ids, which both databases hash once; more, the
//     log is walked and each message's contact checked in the contacts
//     (for an agent's chats, by the contact's primary key: with a third
//     of the contacts the agent's, a page walks about 170 messages on
//     both databases).
//
// The columns of the indexes not meant to serve a page are written as
// expressions (+account_id, +channel_id), which no index serves: without
// statistics (SQLite has none) an equality on account_id looks as good as
// one on channel_id, and a database could walk the account's index and
// filter a rare channel or status out row by row. The account still
// bounds every row. Measured with EXPLAIN on both databases with 1,000,000
// messages (docs/console.md): every filter reads a page in a few
// milliseconds.

func (q *queries) MessageLog(ctx context.Context, f carillon.MessageLogFilter, after carillon.MessageLogCursor, limit int) ([]carillon.Message, error) {
	// A number, an assigned user or an agent's chats name a set of
	// contacts: read first, so that each database is given their ids (a
	// plan made for a parameter it cannot see would walk every message
	// instead).
	var contactIDs []int64
	contactFirst, listed := false, false
	// A user's assigned contacts alone (a restricted agent's log): their
	// messages keep the assignee, in an index in the log's order.
	assigned := f.AssignedUserID != 0 && f.Address == "" && f.Agent.UserID == 0
	if !assigned && (f.Address != "" || f.AssignedUserID != 0 || f.Agent.UserID != 0) {
		ids, all, err := q.logContacts(ctx, f)
		if err != nil || len(ids) == 0 {
			return nil, err
		}
		contactIDs, contactFirst, listed = ids, all && len(ids) <= maxLogContacts, all && len(ids) > maxLogContacts
	}

	var where []string
	var args []any
	cond := func(c string, a ...any) {
		where = append(where, c)
		args = append(args, a...)
	}
	// Which index serves the page: the contacts' when a few are named;
	// else the status's, the channel's, or the account's. The columns of
	// the others are written as expressions.
	account, channel := "account_id", "channel_id"
	switch {
	case contactFirst || assigned:
		account, channel = "+account_id", "+channel_id"
	case f.Status != "":
		channel = "+channel_id"
	case f.ChannelID != 0:
		account = "+account_id"
	}
	cond(account+" = ?", f.AccountID)
	if f.ChannelID != 0 {
		cond(channel+" = ?", f.ChannelID)
	}
	if f.Status != "" {
		cond("status = ?", string(f.Status))
	}
	cond("direction <> ?", string(carillon.Note))
	if f.Direction != "" {
		cond("direction = ?", string(f.Direction))
	}
	if assigned {
		// assigned_user_id <> 0 is the index's own condition, written so
		// that SQLite sees the query within it. The contact is checked
		// too: a message keeps the assignee its contact had until its
		// part of a new assignment rewrites it (assignees.go), and must
		// not be shown to the former assignee meanwhile.
		cond("assigned_user_id = ? AND assigned_user_id <> 0", f.AssignedUserID)
		cond("EXISTS (SELECT 1 FROM contacts WHERE contacts.id = messages.contact_id AND contacts.assigned_user_id = ?)", f.AssignedUserID)
	} else if contactFirst || listed {
		// The list is padded to a power of two with its last id, so that
		// a few statement texts serve every length (SQLite keeps each
		// one prepared). Walking the log, the column is an expression,
		// which no index serves: each message is looked up in the list.
		n := 1
		for n < len(contactIDs) {
			n *= 2
		}
		marks := make([]string, n)
		for i := range marks {
			marks[i] = "?"
			args = append(args, contactIDs[min(i, len(contactIDs)-1)])
		}
		column := "contact_id"
		if listed {
			column = "+contact_id"
		}
		where = append(where, column+" IN ("+strings.Join(marks, ", ")+")")
	} else {
		if f.Address != "" {
			cond("contact_id IN (SELECT id FROM contacts WHERE address <> '' AND address = ? AND channel_id IN (SELECT id FROM channels WHERE account_id = ?))",
				f.Address, f.AccountID)
		}
		if f.AssignedUserID != 0 {
			cond("contact_id IN (SELECT id FROM contacts WHERE account_id = ? AND assigned_user_id = ?)", f.AccountID, f.AssignedUserID)
		}
		if f.Agent.UserID != 0 {
			// Checked message by message through the contact's primary
			// key: as an IN list, SQLite would first read every contact
			// of the account (an agent's chats are most of them).
			c, a := agentChats(f.Agent)
			cond("EXISTS (SELECT 1 FROM contacts WHERE contacts.id = messages.contact_id AND "+c+")", a...)
		}
	}
	if !f.From.IsZero() {
		cond("created_at >= ?", ms(f.From))
	}
	if !f.To.IsZero() {
		cond("created_at < ?", ms(f.To))
	}
	if after.ID != 0 {
		// (created_at, id) < (cursor): written so that the index's range
		// is on created_at alone, which both databases take.
		c := ms(after.CreatedAt)
		cond("created_at <= ? AND (created_at < ? OR id < ?)", c, c, after.ID)
	}
	args = append(args, limit)
	return list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM messages WHERE "+strings.Join(where, " AND ")+
		" ORDER BY created_at DESC, id DESC LIMIT ?", args...)
}

// maxLogContacts is the most contacts whose messages the log reads one
// contact at a time; past it, the log is walked and each message's
// contact checked.
const maxLogContacts = 512

// maxListedContacts is the most contacts of a number or an assigned user
// whose ids the log is walked with, each message's contact looked up in
// them; past it, each message's contact is checked in the contacts. Both
// databases take that many parameters (SQLite 32,766, PostgreSQL 65,535).
const maxListedContacts = 4096

// logContacts reads the ids of the contacts f names by number, by
// assigned user and by an agent's chats: at most maxListedContacts + 1 of
// them for a number or an assigned user, or, for an agent's chats alone,
// maxLogContacts + 1 of each of its two reads. all reports that they are
// every contact f names (no read stopped at its bound).
func (q *queries) logContacts(ctx context.Context, f carillon.MessageLogFilter) (ids []int64, all bool, err error) {
	scanID := func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}
	if f.Address != "" || f.AssignedUserID != 0 {
		var query string
		var args []any
		if f.Address != "" {
			// address <> '' lets both databases take contacts_address, a
			// partial index of the contacts that have one.
			query = "SELECT id FROM contacts WHERE address <> '' AND address = ? AND channel_id IN (SELECT id FROM channels WHERE account_id = ?)"
			args = []any{f.Address, f.AccountID}
			if f.AssignedUserID != 0 {
				query += " AND assigned_user_id = ?"
				args = append(args, f.AssignedUserID)
			}
		} else {
			query = "SELECT id FROM contacts WHERE account_id = ? AND assigned_user_id = ?"
			args = []any{f.AccountID, f.AssignedUserID}
		}
		if f.Agent.UserID != 0 {
			c, a := agentChats(f.Agent)
			query += " AND " + c
			args = append(args, a...)
		}
		ids, err := list(q, ctx, scanID, query+" ORDER BY id LIMIT ?", append(args, maxListedContacts+1)...)
		return ids, len(ids) <= maxListedContacts, err
	}
	// An agent's chats: the contacts of their teams and of no team
	// (contacts_team), then those assigned to them in other teams
	// (contacts_assigned). Neither read is ordered, so that each stops
	// after maxLogContacts + 1 rows however many contacts match: past
	// that, which ones were read does not matter, the log is walked.
	teams, teamArgs := teamList(f.Agent.TeamIDs)
	ids, err = list(q, ctx, scanID, "SELECT id FROM contacts WHERE account_id = ? AND team_id IN ("+teams+") LIMIT ?",
		append(append([]any{f.AccountID}, teamArgs...), maxLogContacts+1)...)
	if err != nil || len(ids) > maxLogContacts {
		return ids, false, err
	}
	theirs, err := list(q, ctx, scanID, "SELECT id FROM contacts WHERE account_id = ? AND assigned_user_id = ? AND team_id NOT IN ("+teams+") LIMIT ?",
		append(append([]any{f.AccountID, f.Agent.UserID}, teamArgs...), maxLogContacts+1)...)
	ids = append(ids, theirs...)
	return ids, len(ids) <= maxLogContacts, err
}

// agentChats is the condition on contacts that selects an agent's chats,
// with its arguments.
func agentChats(a carillon.AgentChats) (string, []any) {
	teams, args := teamList(a.TeamIDs)
	return "(assigned_user_id = ? OR team_id IN (" + teams + "))", append([]any{a.UserID}, args...)
}

// teamList is the placeholders and arguments of a list of team ids with
// 0, no team, first (idList).
func teamList(teamIDs []int64) (string, []any) {
	return idList(append([]int64{0}, teamIDs...))
}

// idList is the placeholders and arguments of an IN list of ids, padded
// to a power of two with its last id, so that a few statement texts serve
// every length (SQLite keeps each one prepared).
func idList(ids []int64) (string, []any) {
	n := 1
	for n < len(ids) {
		n *= 2
	}
	marks := make([]string, n)
	args := make([]any, n)
	for i := range marks {
		marks[i] = "?"
		args[i] = ids[min(i, len(ids)-1)]
	}
	return strings.Join(marks, ", "), args
}

// scanID reads a row of one id.
func scanID(r interface{ Scan(...any) error }) (int64, error) {
	var id int64
	return id, r.Scan(&id)
}

// scanText reads a row of one text.
func scanText(r interface{ Scan(...any) error }) (string, error) {
	var s string
	return s, r.Scan(&s)
}
