// Package store keeps carillon's objects in SQL: embedded SQLite by default,
// PostgreSQL for several instances. Both run the same queries (written once,
// with ? placeholders rewritten for PostgreSQL) over their own versioned
// migrations; what differs between the two databases is connection setup
// (sqlite.go, postgres.go) and one dialect value (dialect.go). The methods
// are grouped by aggregate, one file each, like the interfaces they
// implement at the module root. The store only persists: carillon's rules
// live in package service.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/carillon/carillon"
)

// Sealer encrypts channel settings at rest (see package secretbox).
type Sealer interface {
	Seal(plaintext []byte) []byte
	Open(sealed []byte) ([]byte, error)
}

// DB is a carillon.Store over database/sql. Its Queries run outside
// transactions, on the reader pool.
type DB struct {
	*queries
	dialect *dialect
	// writer takes every write; on SQLite it holds a single connection, so
	// that writers queue in Go instead of spinning on SQLite's lock.
	writer *sql.DB
	// reader serves reads outside transactions; on PostgreSQL it is writer.
	reader *sql.DB
	sealer Sealer

	rebound sync.Map // query text → PostgreSQL text
	stmts   sync.Map // stmtKey → *sql.Stmt (SQLite only)
	latest  int      // the newest migration version
	// file watches the SQLite database file; nil on PostgreSQL.
	file *fileWatch
	// vocabulary holds words known to be in search_words (search.go).
	vocabulary vocabulary
	// contacts are the contacts the SQLite writer keeps; nil on
	// PostgreSQL (kept_contacts.go).
	contacts *keptContacts
}

func newDB(d *dialect, writer, reader *sql.DB, sealer Sealer, latest int) *DB {
	db := &DB{dialect: d, writer: writer, reader: reader, sealer: sealer, latest: latest}
	db.queries = &queries{db: db, pool: reader}
	return db
}

type stmtKey struct {
	db    *sql.DB
	query string
}

var (
	_ carillon.Store   = (*DB)(nil)
	_ carillon.Queries = (*queries)(nil)
)

// Shared reports whether several server instances may share the store.
func (db *DB) Shared() bool { return db.dialect.shared }

// Close closes the store's connections.
func (db *DB) Close() error {
	err := db.writer.Close()
	if db.reader != db.writer {
		err = errors.Join(err, db.reader.Close())
	}
	return err
}

// Ready returns nil when the store answers and its migrations are applied.
func (db *DB) Ready(ctx context.Context) error {
	if err := db.file.check(); err != nil {
		return err
	}
	var v sql.NullInt64
	if err := db.reader.QueryRowContext(ctx, "SELECT MAX(version) FROM schema_migrations").Scan(&v); err != nil {
		return err
	}
	if int(v.Int64) < db.latest {
		return fmt.Errorf("store schema at version %d, want %d", v.Int64, db.latest)
	}
	return nil
}

// InTx runs fn in a transaction on the writer.
// On SQLite, a database file found removed or replaced refuses it
// (carillon.ErrStoreUnavailable), also after the commit: that commit went
// to a file that is gone, and its caller must not be told it is stored.
func (db *DB) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	if err := db.file.lostErr(); err != nil {
		return err
	}
	if db.dialect.pipelines {
		q, err := db.beginSession(ctx)
		if err != nil {
			return err
		}
		// Rolls back when fn fails or panics; a no-op once committed.
		defer q.rollbackSession()
		err = runTx(q, fn, q.commitSession)
		if q.laterFailed != nil {
			return q.laterFailed
		}
		return err
	}
	tx, err := db.writer.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	q := &queries{db: db, tx: tx, pool: db.writer}
	err = func() error {
		// Rolls back when fn fails or panics; a no-op once committed.
		defer tx.Rollback()
		return runTx(q, fn, func(context.Context) error {
			if err := tx.Commit(); err != nil {
				return fmt.Errorf("commit: %w", mapError(err))
			}
			return nil
		})
	}()
	// Only now is the writer's connection free again.
	q.prepareMissed(ctx)
	if err != nil {
		db.contacts.dropAll()
	} else {
		err = db.file.check()
	}
	return err
}

// runTx runs fn, writes what the transaction held until its end, and
// commits.
func runTx(q *queries, fn func(q carillon.Queries) error, commit func(context.Context) error) error {
	if err := fn(q); err != nil {
		return err
	}
	ctx := context.Background()
	// The events first: their check of pending events is a read, which
	// sends what the others queue (pipeline.go) before it.
	if err := q.writeHeldEvents(ctx); err != nil {
		return err
	}
	if err := q.writeHeldHistory(ctx); err != nil {
		return err
	}
	if err := q.writeHeldCounts(ctx); err != nil {
		return err
	}
	// The chat changes' ids lock their counter until the commit
	// (PostgreSQL), where the words sent with them add no round trip.
	if err := q.writeHeldChanges(ctx); err != nil {
		return err
	}
	// Last: the words, after every statement that may open a savepoint
	// (search.go).
	if err := q.writeHeldWords(ctx); err != nil {
		return err
	}
	if err := commit(ctx); err != nil {
		return err
	}
	q.db.vocabulary.learn(q.newWords)
	return nil
}

// prepareMissed prepares on the writer, once its transaction is over, the
// statements that the transaction had to prepare for itself: the next
// transactions reuse them instead of parsing them again.
func (q *queries) prepareMissed(ctx context.Context) {
	for query := range q.txStmts {
		_, _ = q.db.prepared(context.WithoutCancel(ctx), q.db.writer, query)
	}
}

// bind rewrites query's placeholders for the dialect, once per query text.
func (db *DB) bind(query string) string {
	if !db.dialect.numberedPlaceholders {
		return query
	}
	if q, ok := db.rebound.Load(query); ok {
		return q.(string)
	}
	bound := db.dialect.bind(query)
	db.rebound.Store(query, bound)
	return bound
}

// prepared returns a statement prepared once on the reader pool. SQLite's
// pure-Go driver prepares on every call otherwise; pgx caches statements
// itself.
func (db *DB) prepared(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	k := stmtKey{pool, query}
	if s, ok := db.stmts.Load(k); ok {
		return s.(*sql.Stmt), nil
	}
	s, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if prev, loaded := db.stmts.LoadOrStore(k, s); loaded {
		s.Close()
		return prev.(*sql.Stmt), nil
	}
	return s, nil
}

// queries runs statements either on the reader pool or inside a transaction.
type queries struct {
	db *DB
	// tx runs the transaction's statements; nil outside a transaction: a
	// *sql.Tx, or session on a dialect that pipelines (pipeline.go).
	tx   txRunner
	pool *sql.DB
	// session is the connection of a transaction that pipelines, begun
	// and ended by statements of its own; nil otherwise.
	session *sql.Conn
	// later are the writes queued to go with the next statement or the
	// commit (pipeline.go).
	later []laterStmt
	// laterFailed is the error of a queued write that had to succeed and
	// did not: a write that failed or changed no row where it had to
	// (execLaterChecked), or an INSERT that failed (insertLater). It is the
	// transaction's error once its answer came, whatever the caller of the
	// statement it went with made of it; nothing more is sent.
	laterFailed error
	// txStmts caches the statements prepared in this transaction (SQLite):
	// the writer's one connection is busy with the transaction, so they
	// cannot be prepared on the pool, and a transaction that groups many
	// requests runs each statement many times.
	txStmts map[string]*sql.Stmt
	// heldHistory is the status history this transaction added and has
	// not written yet (history.go).
	heldHistory heldHistory
	// heldChanges are the chat changes this transaction recorded, written
	// with their ids just before it commits (live.go).
	heldChanges []carillon.ChatChange
	// heldWords are the writes of words this transaction holds until its
	// end (search.go).
	heldWords []laterStmt
	// heldVocabulary are the words this transaction adds to the
	// vocabulary, written after its held words (search.go).
	heldVocabulary []string
	// newWords are the words this transaction added to the vocabulary,
	// known to be there once it commits (search.go).
	newWords []string
	// heldCounts is the change of each channel's, team's and tag's
	// number of contacts this transaction made, written just before it
	// commits (contacts.go).
	heldCounts map[countKey]int
	// heldEvents are the webhook events this transaction queued, written
	// with their ids just before it commits (webhook_queue.go).
	heldEvents []*carillon.WebhookEvent
	// contactsChecked is set once this transaction checked the kept
	// contacts against other connections' commits (kept_contacts.go).
	contactsChecked bool
	// txContacts are the contacts a PostgreSQL transaction preloaded
	// and read since (PreloadContacts); nil until it preloads.
	txContacts *keptContacts
}

// txRunner is what a transaction's statements run on: *sql.Tx, or the
// *sql.Conn of a transaction that pipelines.
type txRunner interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

func (q *queries) exec(ctx context.Context, query string, args ...any) (res sql.Result, err error) {
	if err := checkText(args); err != nil {
		return nil, err
	}
	if q.session != nil {
		return q.sessionExec(ctx, query, args)
	}
	if q.tx == nil {
		// A write of its own, committed at once: checked like InTx.
		if err := q.db.file.lostErr(); err != nil {
			return nil, err
		}
		defer func() {
			if err == nil {
				err = q.db.file.check()
			}
		}()
	}
	query = q.db.bind(query)
	s, err := q.stmt(ctx, q.db.writer, query)
	if err != nil {
		return nil, mapError(err)
	}
	switch {
	case s != nil:
		res, err = s.ExecContext(ctx, args...)
	case q.tx != nil:
		res, err = q.tx.ExecContext(ctx, query, args...)
	default:
		// Writes outside a transaction go to the writer: on SQLite the
		// reader pool is read-only.
		res, err = q.db.writer.ExecContext(ctx, query, args...)
	}
	return res, mapError(err)
}

// query runs a read: inside the transaction, or on the reader pool.
func (q *queries) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return q.queryOn(ctx, q.pool, query, args...)
}

// queryOn runs a statement that returns rows, inside the transaction when
// there is one, else on pool.
func (q *queries) queryOn(ctx context.Context, pool *sql.DB, query string, args ...any) (*sql.Rows, error) {
	if err := checkText(args); err != nil {
		return nil, err
	}
	if err := q.flushLater(ctx); err != nil {
		return nil, err
	}
	if q.tx == nil && pool == q.db.writer && pool != q.db.reader {
		// A write of its own (RETURNING) on a SQLite file found gone.
		if err := q.db.file.lostErr(); err != nil {
			return nil, err
		}
	}
	query = q.db.bind(query)
	s, err := q.stmt(ctx, pool, query)
	if err != nil {
		return nil, q.db.readFailed(err)
	}
	var rows *sql.Rows
	switch {
	case s != nil:
		rows, err = s.QueryContext(ctx, args...)
	case q.tx != nil:
		rows, err = q.tx.QueryContext(ctx, query, args...)
	default:
		rows, err = pool.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, q.db.readFailed(err)
	}
	return rows, nil
}

// readFailed explains a statement that failed: on SQLite, a read on a
// connection opened after the database file was removed finds an empty
// database ("no such table"); that is the store being unavailable
// (carillon.ErrStoreUnavailable, a 503), not a fault of the request.
func (db *DB) readFailed(err error) error {
	if lost := db.file.check(); lost != nil {
		return lost
	}
	return mapError(err)
}

// stmt returns the prepared statement to run query with, or nil when the
// query is to run as text (where the dialect does not prepare).
func (q *queries) stmt(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	if !q.db.dialect.prepares {
		return nil, nil
	}
	if q.tx != nil {
		// The transaction holds the writer's only connection: preparing on
		// the writer pool now would wait for that connection forever.
		// Use the statement prepared on that connection by an earlier
		// transaction, or prepare on the transaction, once per
		// transaction.
		if s, ok := q.txStmts[query]; ok {
			return s, nil
		}
		if s, ok := q.db.stmts.Load(stmtKey{q.db.writer, query}); ok {
			ts := q.tx.(*sql.Tx).StmtContext(ctx, s.(*sql.Stmt))
			if q.txStmts == nil {
				q.txStmts = map[string]*sql.Stmt{}
			}
			q.txStmts[query] = ts
			return ts, nil
		}
		s, err := q.tx.(*sql.Tx).PrepareContext(ctx, query)
		if err != nil {
			return nil, err
		}
		if q.txStmts == nil {
			q.txStmts = map[string]*sql.Stmt{}
		}
		q.txStmts[query] = s
		return s, nil
	}
	return q.db.prepared(ctx, pool, query)
}

// checkText refuses a statement whose text arguments are not valid UTF-8
// or hold a NUL character: PostgreSQL would refuse them with an error of
// its own, SQLite would keep them. The rules above the store never pass
// such text; should one slip through, both stores answer the same
// ErrInvalidText and write nothing.
func checkText(args []any) error {
	for i, a := range args {
		s, ok := a.(string)
		if !ok && a != nil {
			if v := reflect.ValueOf(a); v.Kind() == reflect.String {
				s, ok = v.String(), true // a named string type
			}
		}
		if ok && !carillon.ValidText(s) {
			return fmt.Errorf("%w (argument %d)", carillon.ErrInvalidText, i+1)
		}
	}
	return nil
}

// row is a single-row result whose Scan maps "no rows" to ErrNotFound.
type row struct {
	rows *sql.Rows
	err  error
	// inserted is the id of a row inserted without RETURNING (insertRow).
	inserted *int64
	// session, in a pipelining transaction, is the statement to run when
	// Scan is called, with what the transaction queued (pipeline.go).
	session *sessionRow
}

type sessionRow struct {
	q     *queries
	ctx   context.Context
	query string
	args  []any
}

func (r row) Scan(dest ...any) error {
	if s := r.session; s != nil {
		found := false
		err := s.q.sessionRows(s.ctx, s.query, s.args, func(r interface{ Scan(...any) error }) error {
			if found {
				return nil // the first row, as database/sql's
			}
			found = true
			return r.Scan(dest...)
		})
		if err == nil && !found {
			err = carillon.ErrNotFound
		}
		return err
	}
	if r.err != nil {
		return mapError(r.err)
	}
	if r.inserted != nil {
		if len(dest) != 1 {
			return fmt.Errorf("an inserted row's id scanned into %d values", len(dest))
		}
		id, ok := dest[0].(*int64)
		if !ok {
			return fmt.Errorf("an inserted row's id scanned into a %T", dest[0])
		}
		*id = *r.inserted
		return nil
	}
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return mapError(err)
		}
		return carillon.ErrNotFound
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	return r.rows.Close()
}

func (q *queries) queryRow(ctx context.Context, query string, args ...any) row {
	if q.session != nil {
		return row{session: &sessionRow{q, ctx, query, args}}
	}
	rows, err := q.query(ctx, query, args...)
	return row{rows: rows, err: err}
}

// insertRow runs an INSERT … RETURNING: on the writer, since it writes.
// On SQLite a one-row INSERT … RETURNING id runs as the INSERT alone, its
// id read from the connection: RETURNING makes SQLite journal the pages the
// statement changes (to undo it alone), a few pages a row for every index,
// and past 64 KiB move the journal, and every later one of the
// transaction, to a temporary file (docs/benchmarks.md). So does one whose
// conflicts DO NOTHING; a row it left out scans as carillon.ErrNotFound, as
// with RETURNING.
func (q *queries) insertRow(ctx context.Context, query string, args ...any) row {
	if q.session != nil {
		return row{session: &sessionRow{q, ctx, query, args}}
	}
	insert, ok := strings.CutSuffix(query, " RETURNING id")
	doNothing := strings.HasSuffix(insert, " DO NOTHING")
	if ok && q.db.dialect.rowidInserts && strings.HasPrefix(insert, "INSERT INTO ") &&
		(doNothing || !strings.Contains(insert, "ON CONFLICT")) {
		res, err := q.exec(ctx, insert, args...)
		if err != nil {
			return row{err: err}
		}
		if doNothing {
			// A row its DO NOTHING left out has no id: no row, as
			// RETURNING would return none.
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err == nil {
					err = sql.ErrNoRows
				}
				return row{err: err}
			}
		}
		id, err := res.LastInsertId()
		return row{inserted: &id, err: err}
	}
	rows, err := q.queryOn(ctx, q.db.writer, query, args...)
	return row{rows: rows, err: err}
}

// mapError turns unique-constraint violations into carillon.ErrConflict,
// and PostgreSQL's aborts of a transaction in a deadlock (40P01) or a
// serialization failure (40001) into carillon.ErrContention.
func mapError(err error) error {
	if err == nil || errors.Is(err, carillon.ErrConflict) || errors.Is(err, carillon.ErrContention) {
		return err
	}
	if errors.Is(err, sql.ErrNoRows) {
		return carillon.ErrNotFound
	}
	msg := err.Error()
	if strings.Contains(msg, "UNIQUE constraint failed") || strings.Contains(msg, "SQLSTATE 23505") {
		return fmt.Errorf("%w: %v", carillon.ErrConflict, err)
	}
	if strings.Contains(msg, "SQLSTATE 40P01") || strings.Contains(msg, "SQLSTATE 40001") {
		return fmt.Errorf("%w: %v", carillon.ErrContention, err)
	}
	return err
}

// affected returns ErrNotFound when an update or delete matched no row.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return carillon.ErrNotFound
	}
	return nil
}

// atomic runs fn in the transaction q is part of, or, outside one, in a
// transaction of its own: the resource writes that take several statements
// never leave half of their work behind.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.tx != nil {
		return fn(q)
	}
	return q.db.InTx(ctx, func(tq carillon.Queries) error { return fn(tq.(*queries)) })
}
