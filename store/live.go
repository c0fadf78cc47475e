package store

import (
	"context"
	"errors"
	"sort"
	"time"

	"github.com/carillon/carillon"
)

// The record of chat changes (chat_changes) gets its ids at commit.
//
// Why: a reader follows the record by id ("everything after the last id
// I saw"). Ids the database gives at INSERT are in the order the rows
// were inserted, not the order their transactions commit: on PostgreSQL a
// transaction that inserted id 11 may commit before the one that inserted
// id 10, and a reader that saw 11 would never look back for 10. So a
// transaction holds its changes and writes them last, just before it
// commits (runTx): one UPDATE of the single row of chat_change_log takes
// the next ids, and that row's lock, held to the commit, makes the next
// transaction that records changes wait for this one to commit before it
// takes its own. Ids are then in commit order, and a reader that has seen
// an id has seen every lower one. The lock is held only for the INSERT and
// the commit, not for the rest of a transaction the committer shares
// between many requests. SQLite's single writer gives the same order by
// itself.

const chatChangeCols = "id, account_id, kind, contact_id, contact_uuid, conversation_uuid, assigned_user_id, team_id, was_assigned_user_id, was_team_id, created_at"

// AddChatChange holds the change until the transaction commits; outside a
// transaction it is written at once, in a transaction of its own.
func (q *queries) AddChatChange(ctx context.Context, c carillon.ChatChange) error {
	if q.tx == nil {
		return q.atomic(ctx, func(q *queries) error { return q.AddChatChange(ctx, c) })
	}
	q.heldChanges = append(q.heldChanges, c)
	return nil
}

// writeHeldChanges writes the changes the transaction holds, with their
// ids: the last statement of a transaction before its commit (runTx).
func (q *queries) writeHeldChanges(ctx context.Context) error {
	held := q.heldChanges
	q.heldChanges = nil
	if len(held) == 0 {
		return nil
	}
	// The ids are the counter's next ones, each row's the last minus its
	// distance below it. In a transaction that pipelines (PostgreSQL),
	// the row adds that offset to the counter row the UPDATE before it
	// moved, so that no statement waits for an answer and both go with
	// the commit (pipeline.go). Elsewhere (SQLite) the UPDATE returns the
	// last id and each row carries its own: a subquery per row would make
	// every kept statement text larger. The rows go a few statements of
	// many (execRowsLater).
	n := int64(len(held))
	idValue, last := "?", int64(0)
	if q.session != nil {
		if err := q.execLater(ctx, "UPDATE chat_change_log SET last_id = last_id + ? WHERE id = 1", n); err != nil {
			return err
		}
		idValue = "(SELECT last_id FROM chat_change_log WHERE id = 1) + ?" // last stays 0
	} else if err := q.insertRow(ctx, "UPDATE chat_change_log SET last_id = last_id + ? WHERE id = 1 RETURNING last_id", n).Scan(&last); err != nil {
		return err
	}
	rows := make([][]any, len(held))
	for i, c := range held {
		below := n - int64(i) - 1 // the row's distance below the last id
		rows[i] = []any{last - below, c.AccountID, c.Kind, c.ContactID, c.ContactUUID, c.ConversationUUID,
			c.AssignedUserID, c.TeamID, c.WasAssignedUserID, c.WasTeamID, ms(c.CreatedAt)}
	}
	return q.execRowsLater(ctx, rows, func(n int) string {
		return "INSERT INTO chat_changes (" + chatChangeCols + ") VALUES " + valuesRows("("+idValue+", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", n)
	})
}

func scanChatChange(r interface{ Scan(...any) error }) (carillon.ChatChange, error) {
	var c carillon.ChatChange
	var created int64
	err := r.Scan(&c.ID, &c.AccountID, &c.Kind, &c.ContactID, &c.ContactUUID, &c.ConversationUUID,
		&c.AssignedUserID, &c.TeamID, &c.WasAssignedUserID, &c.WasTeamID, &created)
	c.CreatedAt = at(created)
	return c, err
}

func (q *queries) ChatChanges(ctx context.Context, after int64, limit int) ([]carillon.ChatChange, error) {
	return list(q, ctx, scanChatChange, "SELECT "+chatChangeCols+" FROM chat_changes WHERE id > ? ORDER BY id LIMIT ?", after, limit)
}

func (q *queries) AccountChatChanges(ctx context.Context, accountID, after, through int64, limit int) ([]carillon.ChatChange, error) {
	return list(q, ctx, scanChatChange, "SELECT "+chatChangeCols+" FROM chat_changes WHERE account_id = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?",
		accountID, after, through, limit)
}

func (q *queries) ChatChangeLog(ctx context.Context) (carillon.ChatChangeLog, error) {
	var l carillon.ChatChangeLog
	err := q.queryRow(ctx, "SELECT last_id, pruned_through FROM chat_change_log WHERE id = 1").Scan(&l.LastID, &l.PrunedThrough)
	return l, err
}

// pruneChunk bounds the changes one transaction of PruneChatChanges
// deletes. Under a steady load a minute's changes number hundreds of
// thousands, all past the rows kept at the next prune: deleted in one
// transaction, they held SQLite's one writer, which every send waits for,
// for 0.4 s (docs/benchmarks.md). A variable for the store's tests.
var pruneChunk = 2000

func (q *queries) PruneChatChanges(ctx context.Context, before time.Time, keep int) (int64, error) {
	l, err := q.ChatChangeLog(ctx)
	if err != nil {
		return 0, err
	}
	// By age: every change ahead of the first one, in id (commit) order,
	// made at `before` or later; found by the primary key, stepping over
	// the changes about to be deleted. A change dated earlier than one
	// committed before it (another instance's clock) is kept as long as
	// that one.
	old := l.LastID
	err = q.queryRow(ctx, "SELECT id FROM chat_changes WHERE id > ? AND created_at >= ? ORDER BY id LIMIT 1",
		l.PrunedThrough, ms(before)).Scan(&old)
	if err == nil {
		old--
	} else if !errors.Is(err, carillon.ErrNotFound) {
		return 0, err
	}
	cut := max(old, l.LastID-int64(keep))
	var deleted int64
	for from := l.PrunedThrough; from < cut; {
		end, n, err := q.pruneChatChangesChunk(ctx, from, cut)
		if err != nil {
			return deleted, err
		}
		deleted += n
		from = end
	}
	return deleted, nil
}

// pruneChatChangesChunk deletes, in a transaction of its own, the changes
// after from up to the pruneChunk-th or through cut, whichever comes
// first, and moves PrunedThrough to where it stopped, which it returns
// with how many it deleted.
func (q *queries) pruneChatChangesChunk(ctx context.Context, from, cut int64) (end, deleted int64, err error) {
	end = cut
	err = q.queryRow(ctx, "SELECT id FROM chat_changes WHERE id > ? AND id < ? ORDER BY id LIMIT 1 OFFSET ?",
		from, cut, pruneChunk-1).Scan(&end)
	if err != nil && !errors.Is(err, carillon.ErrNotFound) {
		return from, 0, err
	}
	err = q.atomic(ctx, func(q *queries) error {
		res, err := q.exec(ctx, "DELETE FROM chat_changes WHERE id > ? AND id <= ?", from, end)
		if err != nil {
			return err
		}
		if deleted, err = res.RowsAffected(); err != nil {
			return err
		}
		_, err = q.exec(ctx, "UPDATE chat_change_log SET pruned_through = ? WHERE id = 1 AND pruned_through < ?", end, end)
		return err
	})
	if err != nil {
		return from, 0, err
	}
	return end, deleted, nil
}

func (q *queries) SetChatPresence(ctx context.Context, p carillon.ChatPresence) error {
	_, err := q.exec(ctx, `INSERT INTO chat_presence (contact_id, user_id, account_id, viewing_until, typing_until) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (contact_id, user_id) DO UPDATE SET viewing_until = excluded.viewing_until, typing_until = excluded.typing_until`,
		p.ContactID, p.UserID, p.AccountID, ms(p.ViewingUntil), ms(p.TypingUntil))
	return err
}

// ChatPresences sorts each contact's presences in Go, by name then user
// id, compared by bytes whatever the database's collation.
func (q *queries) ChatPresences(ctx context.Context, contactIDs []int64, now time.Time) (map[int64][]carillon.ChatPresence, error) {
	out := make(map[int64][]carillon.ChatPresence)
	// The contact ids come first in the IN list's arguments: the time is
	// appended to them, the last argument.
	t := ms(now)
	for len(contactIDs) > 0 {
		n := min(len(contactIDs), idsPerQuery)
		args := make([]any, 0, n+2)
		for _, id := range contactIDs[:n] {
			args = append(args, id)
		}
		args = append(args, t, t)
		err := q.scanRows(ctx, func(r interface{ Scan(...any) error }) error {
			var p carillon.ChatPresence
			var viewing, typing int64
			if err := r.Scan(&p.ContactID, &p.UserID, &p.AccountID, &viewing, &typing, &p.UserUUID, &p.UserName); err != nil {
				return err
			}
			p.ViewingUntil, p.TypingUntil = at(viewing), at(typing)
			out[p.ContactID] = append(out[p.ContactID], p)
			return nil
		}, `SELECT chat_presence.contact_id, chat_presence.user_id, chat_presence.account_id, chat_presence.viewing_until,
			chat_presence.typing_until, users.uuid, users.name
			FROM chat_presence JOIN users ON users.id = chat_presence.user_id
			WHERE chat_presence.contact_id IN (`+placeholders(n)+`) AND (chat_presence.viewing_until > ? OR chat_presence.typing_until > ?)`, args...)
		if err != nil {
			return nil, err
		}
		contactIDs = contactIDs[n:]
	}
	for _, ps := range out {
		sort.Slice(ps, func(i, j int) bool {
			if ps[i].UserName != ps[j].UserName {
				return ps[i].UserName < ps[j].UserName
			}
			return ps[i].UserID < ps[j].UserID
		})
	}
	return out, nil
}

func (q *queries) DeleteChatPresences(ctx context.Context, t time.Time) error {
	_, err := q.exec(ctx, "DELETE FROM chat_presence WHERE viewing_until < ? AND typing_until < ?", ms(t), ms(t))
	return err
}
