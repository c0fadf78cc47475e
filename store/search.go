package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/fold"
)

// Search: the words of every message and contact, folded by package fold,
// in two index tables (migration 0012), message_words and contact_words,
// one row per message or contact that has words, keyed by its id (rowid),
// and the vocabulary of every word indexed (search_words). SQLite keeps
// the words in FTS5 tables, PostgreSQL as tsvectors with a GIN index; the
// dialect says how each writes and matches them.
//
// What is indexed is the domain's SearchText of a message or contact,
// written by the store methods that write them, in their statement's
// transaction: CreateMessage and CreateContact add the row; EraseMessage
// removes a message's (UpdateMessage, a change of its status or send job,
// the most frequent update, leaves its content and its words as they are);
// UpdateContact writes the contact's again when its SearchText changed (the
// time of its last message, its most frequent update, leaves it as it is);
// DeleteContact removes the contact's and its messages'. Rows stored before the index existed are indexed by the
// migration that made it (indexWords). The vocabulary only grows: a word
// no row holds any more finds nothing.
//
// A search reads the index newest first (by rowid, the id), joined to the
// messages or contacts of the account, with the filter of the chats a
// viewer sees, and stops at its limit; the ways it avoids reading much
// more than a page, each measured with bench/search (docs/benchmarks.md):
//
//   - The last word, a start of words, is looked up in the vocabulary
//     and searched as the words it starts (up to maxStarting of them),
//     which each database reads newest first and stops reading at the
//     page's end: FTS5 otherwise merges the whole list of every word a
//     start matches before it returns one row (half a second for a
//     start that is a word of most messages), and PostgreSQL estimates
//     a start's matches worse than a word's. On SQLite, a start of up to
//     three characters is read from FTS5's own index of the words' first
//     two and three characters instead. A start of more words than
//     maxStarting is searched as a start.
//   - PostgreSQL's GIN index returns a word's rows in no order: it plans
//     either that index (every row with the words, sorted) or a walk of
//     the index table newest first, checking each row's words, and misjudges
//     rare words, whose walk then reads the whole table (seconds on
//     1,000,000 messages). So a search first walks the newest
//     searchWindow ids below its cursor, which finds a page of any
//     common word; and only when that window holds less than a page,
//     reads the older rows through the GIN index, sorted (an order by an
//     expression, which no index serves, leaves no other plan), which is
//     quick for the rare words that get there. Each statement is planned
//     with its values (dialect.searchArgs), not a plan kept for any
//     words. SQLite's FTS5 returns its matches newest first by itself.

// maxStarting is the most words a last word may start and be searched as
// those words; a start of more is searched as a start.
const maxStarting = 32

// wordsOf is the folded words of text, as the index keeps them.
func wordsOf(text string) []string {
	return fold.Words(text)
}

// writeWords writes the words of text as row id of the index table, and
// adds them to the vocabulary: removing the row first when replace, and
// leaving none when text has no word. id is the row's id (int64), or a
// pointer to where its INSERT's answer writes it (*int64, insertLater):
// the words are held to the transaction's end, and sent after that answer
// (writeHeldWords).
func (q *queries) writeWords(ctx context.Context, table string, id any, text string, replace bool) error {
	if replace {
		if err := q.holdWords(ctx, "DELETE FROM "+table+" WHERE rowid = ?", id); err != nil {
			return err
		}
	}
	words := wordsOf(text)
	if len(words) == 0 {
		return nil
	}
	if err := q.holdWords(ctx, q.wordsInsert(table, 1), id, strings.Join(words, " ")); err != nil {
		return err
	}
	if words = q.db.vocabulary.unknown(words); len(words) == 0 {
		return nil
	}
	if q.tx == nil {
		return q.writeVocabulary(ctx, words)
	}
	q.heldVocabulary = append(q.heldVocabulary, words...)
	q.newWords = append(q.newWords, words...)
	return nil
}

// wordsTables are the index tables of words (search_words aside).
var wordsTables = [...]string{"message_words", "contact_words"}

// wordsInsert is the insert of rows of words into table.
func (q *queries) wordsInsert(table string, rows int) string {
	return "INSERT INTO " + table + " (rowid, words) VALUES " + valuesRows("(?, "+q.db.dialect.words+")", rows)
}

// writeVocabulary adds words to the vocabulary, a few statements of many
// rows (execRowsLater); a word there already, or twice, is a conflict
// like any other.
func (q *queries) writeVocabulary(ctx context.Context, words []string) error {
	var rows [][]any
	for _, w := range slices.Compact(slices.Sorted(slices.Values(words))) {
		rows = append(rows, []any{w})
	}
	return q.execRowsLater(ctx, rows, func(n int) string {
		return "INSERT INTO search_words (word) VALUES " + valuesRows("(?)", n) + " ON CONFLICT DO NOTHING"
	})
}

// A transaction's writes of words are held until its end, after every
// other statement of it (runTx). Why: on SQLite a statement that may fail
// halfway (most writes) opens a savepoint, and FTS5 answers a savepoint by
// writing the words it keeps in memory to disk. Written among the
// transaction's other statements, each message's words went to disk as a
// segment of their own, which FTS5 then merged; written last, they go once,
// at the commit (measured in docs/benchmarks.md). Every other statement on
// the words tables first writes what the transaction holds
// (writeHeldWords), so that it sees them, and a deletion is not followed
// by a held insert of the words it deleted.

// holdWords holds a write of words until the transaction's end; outside a
// transaction it runs at once.
func (q *queries) holdWords(ctx context.Context, query string, args ...any) error {
	return q.deferWrite(ctx, q.tx != nil, &q.heldWords, query, args...)
}

// writeHeldWords writes the words the transaction holds, in the order
// they were held, and then the words it adds to the vocabulary. Inserts of
// words into one table held one after the other (a batch of messages'
// words) are written as few statements of many rows (execRowsLater).
func (q *queries) writeHeldWords(ctx context.Context) error {
	if q.tx == nil {
		return nil // nothing is held, and q is shared: leave it untouched
	}
	if len(q.heldWords) > 0 {
		if err := q.flushAwaited(ctx, laterStmt.returnsID); err != nil {
			return err
		}
	}
	held := q.heldWords
	q.heldWords = nil
	inserts := map[string]string{} // the insert of one row of words: its table
	for _, t := range wordsTables {
		inserts[q.wordsInsert(t, 1)] = t
	}
	for i := 0; i < len(held); {
		table, ok := inserts[held[i].query]
		if !ok {
			if err := q.execLater(ctx, held[i].query, held[i].args...); err != nil {
				return err
			}
			i++
			continue
		}
		var rows [][]any
		for first := held[i].query; i < len(held) && held[i].query == first; i++ {
			rows = append(rows, held[i].args)
		}
		if err := q.execRowsLater(ctx, rows, func(n int) string { return q.wordsInsert(table, n) }); err != nil {
			return err
		}
	}
	vocabulary := q.heldVocabulary
	q.heldVocabulary = nil
	return q.writeVocabulary(ctx, vocabulary)
}

// maxKnownWords bounds the vocabulary a store keeps in memory: past it,
// the words it does not know are written as before.
const maxKnownWords = 1 << 17

// vocabulary is the words this store has seen committed to search_words:
// a message's words are mostly known ones, and a word known is not
// written again. Rows of search_words are never removed, so a word seen
// committed, by this store, stays there, whoever else (another instance)
// writes; a word is learnt only once its transaction committed, so a
// rolled back one is written again.
type vocabulary struct {
	mu    sync.Mutex
	known map[string]struct{}
}

// unknown returns the words of words not known, in order.
func (v *vocabulary) unknown(words []string) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for _, w := range words {
		if _, ok := v.known[w]; !ok {
			out = append(out, w)
		}
	}
	return out
}

// learn records words as committed.
func (v *vocabulary) learn(words []string) {
	if len(words) == 0 {
		return
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.known == nil {
		v.known = map[string]struct{}{}
	}
	for _, w := range words {
		if len(v.known) >= maxKnownWords {
			return
		}
		v.known[w] = struct{}{}
	}
}

// match is what a search matches, as the dialect writes it (searchQuery):
// every word of all, one of any when it is not empty, and a word starting
// with prefix when it is not "".
type match struct {
	all, any []string
	prefix   string
}

// searchMatch reads f's words into a match; ok is false when it can find
// nothing (no word, or a start no word has). Each word is folded again
// (folding a folded word changes nothing): whatever a caller passes, a
// word is one word of the index, never a query's syntax.
func (q *queries) searchMatch(ctx context.Context, f carillon.SearchFilter) (m match, ok bool, err error) {
	for _, w := range f.Words {
		if w = fold.Fold(w); w != "" {
			m.all = append(m.all, w)
		}
	}
	if len(m.all) == 0 {
		return m, false, nil
	}
	if !f.Prefix {
		return m, true, nil
	}
	last := m.all[len(m.all)-1]
	m.all = m.all[:len(m.all)-1]
	if utf8.RuneCountInString(last) <= q.db.dialect.prefixIndexed {
		m.prefix = last
		return m, true, nil
	}
	// Every word that starts so is below last followed by the greatest
	// character.
	starting, err := list(q, ctx, scanText, "SELECT word FROM search_words WHERE word >= ? AND word < ? ORDER BY word LIMIT ?", last, last+"\U0010FFFF", maxStarting+1)
	switch {
	case err != nil || len(starting) == 0:
		return m, false, err
	case len(starting) > maxStarting:
		m.prefix = last
	default:
		m.any = starting
	}
	return m, true, nil
}

func (q *queries) SearchMessages(ctx context.Context, f carillon.SearchFilter, before int64, limit int) ([]carillon.Message, error) {
	if err := q.writeHeldWords(ctx); err != nil {
		return nil, err
	}
	m, ok, err := q.searchMatch(ctx, f)
	if !ok || err != nil {
		return nil, err
	}
	where := fmt.Sprintf(q.db.dialect.matchWords, "message_words") + " AND messages.account_id = ?"
	args := []any{q.db.dialect.searchQuery(m), f.AccountID}
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
	return searchRows(q, ctx, "message_words", before, limit, func(cond string, condArgs []any, order string, limit int) ([]carillon.Message, error) {
		a := slices.Concat(q.db.dialect.searchArgs, args, condArgs, []any{limit})
		return list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM message_words JOIN messages ON messages.id = message_words.rowid WHERE "+
			where+cond+" ORDER BY "+order+" LIMIT ?", a...)
	})
}

func (q *queries) SearchContacts(ctx context.Context, f carillon.SearchFilter, before int64, limit int) ([]carillon.Contact, error) {
	if err := q.writeHeldWords(ctx); err != nil {
		return nil, err
	}
	m, ok, err := q.searchMatch(ctx, f)
	if !ok || err != nil {
		return nil, err
	}
	where := fmt.Sprintf(q.db.dialect.matchWords, "contact_words") + " AND contacts.account_id = ?"
	args := []any{q.db.dialect.searchQuery(m), f.AccountID}
	if f.AssignedUserID != 0 {
		where += " AND contacts.assigned_user_id = ?"
		args = append(args, f.AssignedUserID)
	}
	if f.Agent.UserID != 0 {
		c, a := agentChats(f.Agent)
		where += " AND " + c
		args = append(args, a...)
	}
	return searchRows(q, ctx, "contact_words", before, limit, func(cond string, condArgs []any, order string, limit int) ([]carillon.Contact, error) {
		a := slices.Concat(q.db.dialect.searchArgs, args, condArgs, []any{limit})
		return list(q, ctx, scanContact, "SELECT "+contactCols+" FROM contact_words JOIN contacts ON contacts.id = contact_words.rowid WHERE "+
			where+cond+" ORDER BY "+order+" LIMIT ?", a...)
	})
}

// searchRows reads a page of a search of the index table index, the rows
// below the cursor before (none when 0), at most limit: read runs the
// search's statement with a condition on the index's rowid (" AND …", ""
// for none) and its arguments, an order and a limit. Where the dialect
// walks a window first (searchWindow), that window's newest rows, then,
// when they make less than a page, the older ones through the words'
// index (see the top of this file).
func searchRows[T any](q *queries, ctx context.Context, index string, before int64, limit int,
	read func(cond string, args []any, order string, limit int) ([]T, error)) ([]T, error) {
	newest := index + ".rowid DESC"
	window := q.db.dialect.searchWindow
	if window == 0 {
		if before == 0 {
			return read("", nil, newest, limit)
		}
		return read(" AND "+index+".rowid < ?", []any{before}, newest, limit)
	}
	top := before
	if top == 0 {
		var last sql.NullInt64
		if err := q.queryRow(ctx, "SELECT MAX(rowid) FROM "+index).Scan(&last); err != nil || !last.Valid {
			return nil, err
		}
		top = last.Int64 + 1
	}
	// Ids are dense enough that the window's ids are about as many rows.
	low := top - window
	found, err := read(" AND "+index+".rowid < ? AND "+index+".rowid >= ?", []any{top, low}, newest, limit)
	if err != nil || len(found) == limit || low <= 1 {
		return found, err
	}
	older, err := read(" AND "+index+".rowid < ?", []any{low}, index+".rowid + 0 DESC", limit-len(found))
	return append(found, older...), err
}

// ftsQuery is an FTS5 query of a match: each word quoted, a start followed
// by *, the words any may be in parentheses, all of them required.
func ftsQuery(m match) string {
	parts := make([]string, 0, len(m.all)+2)
	for _, w := range m.all {
		parts = append(parts, `"`+w+`"`)
	}
	if len(m.any) > 0 {
		alt := make([]string, len(m.any))
		for i, w := range m.any {
			alt[i] = `"` + w + `"`
		}
		parts = append(parts, "("+strings.Join(alt, " OR ")+")")
	}
	if m.prefix != "" {
		parts = append(parts, `"`+m.prefix+`"*`)
	}
	return strings.Join(parts, " AND ")
}

// tsQuery is a PostgreSQL tsquery of a match, read by the tsquery type's
// own input (no text search configuration cuts or folds the words): each
// word quoted, a start followed by :*, the words any may be in
// parentheses, all of them required.
func tsQuery(m match) string {
	parts := make([]string, 0, len(m.all)+2)
	for _, w := range m.all {
		parts = append(parts, "'"+w+"'")
	}
	if len(m.any) > 0 {
		alt := make([]string, len(m.any))
		for i, w := range m.any {
			alt[i] = "'" + w + "'"
		}
		parts = append(parts, "("+strings.Join(alt, " | ")+")")
	}
	if m.prefix != "" {
		parts = append(parts, "'"+m.prefix+"':*")
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
			vocabulary := map[string]bool{}
			for _, r := range got {
				if words := wordsOf(r.text); len(words) > 0 {
					values = append(values, "(?, "+d.words+")")
					args = append(args, r.id, strings.Join(words, " "))
					for _, w := range words {
						vocabulary[w] = true
					}
				}
			}
			if len(values) == 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, d.bind("INSERT INTO "+table+" (rowid, words) VALUES "+strings.Join(values, ", ")), args...); err != nil {
				return err
			}
			words := make([]any, 0, len(vocabulary))
			for w := range vocabulary {
				words = append(words, w)
			}
			for len(words) > 0 {
				n := min(len(words), 1000)
				if _, err := tx.ExecContext(ctx, d.bind("INSERT INTO search_words (word) VALUES "+
					strings.TrimSuffix(strings.Repeat("(?), ", n), ", ")+" ON CONFLICT DO NOTHING"), words[:n]...); err != nil {
					return err
				}
				words = words[n:]
			}
		}
	}
	// The backfill reads only the columns SearchText needs, as they are at
	// this migration: later migrations add columns that the stores' full
	// row reads name, and which do not exist yet when this one runs.
	err := fill("message_words", "SELECT id, content FROM messages WHERE id > ? ORDER BY id LIMIT ?", func(r *sql.Rows) (row, error) {
		var m carillon.Message
		var content string
		if err := r.Scan(&m.ID, &content); err != nil {
			return row{}, err
		}
		err := unmarshalIf(content, &m.Content)
		return row{m.ID, m.SearchText()}, err
	})
	if err != nil {
		return fmt.Errorf("index the words of messages: %w", err)
	}
	err = fill("contact_words", "SELECT id, name, address FROM contacts WHERE id > ? ORDER BY id LIMIT ?", func(r *sql.Rows) (row, error) {
		var c carillon.Contact
		err := r.Scan(&c.ID, &c.Name, &c.Address)
		return row{c.ID, c.SearchText()}, err
	})
	if err != nil {
		return fmt.Errorf("index the words of contacts: %w", err)
	}
	if d.analyzeSearch != "" {
		if _, err := tx.ExecContext(ctx, d.analyzeSearch); err != nil {
			return fmt.Errorf("analyze the search index: %w", err)
		}
	}
	return nil
}
