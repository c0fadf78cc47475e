package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/fold"
)

// Search: the words of every message and contact, folded by package fold,
// in two index tables (migration 0012), message_words and contact_words,
// one row per message or contact that has words, keyed by its id (rowid).
// SQLite keeps them in FTS5 tables, PostgreSQL as tsvectors with a GIN
// index; the dialect says how each writes and matches words.
//
// What is indexed is the domain's SearchText of a message or contact,
// written by the store methods that write them, in their statement's
// transaction: CreateMessage and CreateContact add the row; UpdateMessage
// and UpdateContact write it again when the SearchText changed (a status
// or the time of a contact's last message, the most frequent updates,
// leave it as it is); DeleteContact removes the contact's and its
// messages'. Rows stored before the index existed are indexed by the
// migration that made it (indexWords).
//
// A search reads the index newest first (by rowid, the id), joined to the
// messages or contacts of the account, with the filter of the chats a
// viewer sees, and stops at its limit: a page after the cursor (an id) is
// as quick as the first.

// wordsOf is the space-separated folded words of text, as the index keeps
// them.
func wordsOf(text string) string {
	return strings.Join(fold.Words(text), " ")
}

// writeWords writes the words of text as row id of the index table:
// removing the row first when replace, and leaving none when text has no
// word.
func (q *queries) writeWords(ctx context.Context, table string, id int64, text string, replace bool) error {
	if replace {
		if _, err := q.exec(ctx, "DELETE FROM "+table+" WHERE rowid = ?", id); err != nil {
			return err
		}
	}
	words := wordsOf(text)
	if words == "" {
		return nil
	}
	_, err := q.exec(ctx, "INSERT INTO "+table+" (rowid, words) VALUES (?, "+q.db.dialect.words+")", id, words)
	return err
}

func (q *queries) SearchMessages(ctx context.Context, f carillon.SearchFilter, before int64, limit int) ([]carillon.Message, error) {
	where, args, ok := q.searchWhere("message_words", "messages", f, before)
	if !ok {
		return nil, nil
	}
	// The chats a viewer sees, checked by each message's contact.
	if f.AssignedUserID != 0 {
		where += " AND EXISTS (SELECT 1 FROM contacts WHERE contacts.id = messages.contact_id AND assigned_user_id = ?)"
		args = append(args, f.AssignedUserID)
	}
	if f.Agent.UserID != 0 {
		c, a := agentChats(f.Agent)
		where += " AND EXISTS (SELECT 1 FROM contacts WHERE contacts.id = messages.contact_id AND " + c + ")"
		args = append(args, a...)
	}
	return list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM message_words JOIN messages ON messages.id = message_words.rowid WHERE "+
		where+" ORDER BY message_words.rowid DESC LIMIT ?", append(args, limit)...)
}

func (q *queries) SearchContacts(ctx context.Context, f carillon.SearchFilter, before int64, limit int) ([]carillon.Contact, error) {
	where, args, ok := q.searchWhere("contact_words", "contacts", f, before)
	if !ok {
		return nil, nil
	}
	if f.AssignedUserID != 0 {
		where += " AND contacts.assigned_user_id = ?"
		args = append(args, f.AssignedUserID)
	}
	if f.Agent.UserID != 0 {
		c, a := agentChats(f.Agent)
		where += " AND " + c
		args = append(args, a...)
	}
	return list(q, ctx, scanContact, "SELECT "+contactCols+" FROM contact_words JOIN contacts ON contacts.id = contact_words.rowid WHERE "+
		where+" ORDER BY contact_words.rowid DESC LIMIT ?", append(args, limit)...)
}

// searchWhere is the condition of a search of index table words over table
// rows, of f's account and words, below the cursor before, with its
// arguments; ok is false when f names no word. Each word is folded again
// (folding a folded word changes nothing): whatever a caller passes, a
// word is one word of the index, never a query's syntax.
func (q *queries) searchWhere(words, rows string, f carillon.SearchFilter, before int64) (where string, args []any, ok bool) {
	var folded []string
	for _, w := range f.Words {
		if w = fold.Fold(w); w != "" {
			folded = append(folded, w)
		}
	}
	if len(folded) == 0 {
		return "", nil, false
	}
	where = fmt.Sprintf(q.db.dialect.matchWords, words) + " AND " + rows + ".account_id = ?"
	args = []any{q.db.dialect.searchQuery(folded, f.Prefix), f.AccountID}
	if before != 0 {
		where += " AND " + words + ".rowid < ?"
		args = append(args, before)
	}
	return where, args, true
}

// ftsQuery is an FTS5 query of folded words: each quoted, all of them
// required, the last one a prefix when prefix is set.
func ftsQuery(words []string, prefix bool) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = `"` + w + `"`
	}
	if prefix && len(parts) > 0 {
		parts[len(parts)-1] += "*"
	}
	return strings.Join(parts, " ")
}

// tsQuery is a PostgreSQL tsquery of folded words, read by the tsquery
// type's own input (no text search configuration cuts or folds them):
// each quoted, all of them required, the last one a prefix when prefix is
// set.
func tsQuery(words []string, prefix bool) string {
	parts := make([]string, len(words))
	for i, w := range words {
		parts[i] = "'" + w + "'"
	}
	if prefix && len(parts) > 0 {
		parts[len(parts)-1] += ":*"
	}
	return strings.Join(parts, " & ")
}

// indexWords fills the index tables with the words of the messages and
// contacts stored before they existed: the step of migration 0012, in its
// transaction. It reads the rows a batch at a time, in order of id, and
// writes their words in statements of many rows.
func indexWords(ctx context.Context, tx *sql.Tx, d *dialect) error {
	const batch = 1000
	type row struct {
		id   int64
		text string
	}
	fill := func(table, read string, scan func(*sql.Rows) (row, error)) error {
		after := int64(0)
		for {
			rows, err := tx.QueryContext(ctx, d.bind(read), after, batch)
			if err != nil {
				return err
			}
			var got []row
			for rows.Next() {
				r, err := scan(rows)
				if err != nil {
					rows.Close()
					return err
				}
				got = append(got, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			if len(got) == 0 {
				return nil
			}
			after = got[len(got)-1].id
			var values []string
			var args []any
			for _, r := range got {
				if words := wordsOf(r.text); words != "" {
					values = append(values, "(?, "+d.words+")")
					args = append(args, r.id, words)
				}
			}
			if len(values) == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, d.bind("INSERT INTO "+table+" (rowid, words) VALUES "+strings.Join(values, ", ")), args...); err != nil {
				return err
			}
		}
	}
	err := fill("message_words", "SELECT "+messageCols+" FROM messages WHERE id > ? ORDER BY id LIMIT ?", func(r *sql.Rows) (row, error) {
		m, err := scanMessage(r)
		return row{m.ID, m.SearchText()}, err
	})
	if err != nil {
		return fmt.Errorf("index the words of messages: %w", err)
	}
	err = fill("contact_words", "SELECT "+contactCols+" FROM contacts WHERE id > ? ORDER BY id LIMIT ?", func(r *sql.Rows) (row, error) {
		c, err := scanContact(r)
		return row{c.ID, c.SearchText()}, err
	})
	if err != nil {
		return fmt.Errorf("index the words of contacts: %w", err)
	}
	return nil
}
