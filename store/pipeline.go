package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
)

// Statements sent together (PostgreSQL).
//
// On PostgreSQL every statement is a round trip: carillon sends it, the
// server runs it, carillon waits for the answer before it sends the next,
// and on both sides each one costs a write and a read on the socket, and
// a wake-up of the other process. Many writes of a transaction have an
// answer nobody waits for: the words search finds a message by, the
// status history, the numbers of contacts, the chat changes, the BEGIN.
// A transaction queues those (execLater) and sends them in one batch with
// its next statement (pgx's pipelining: the statements go out together,
// their answers come back together), or with its COMMIT. The usual tail of
// a transaction (status history, contact counts, chat changes) and its
// commit then cost one round trip instead of one each, and the
// chat-change counter's row lock, taken in that tail and held to the
// commit (live.go), is held for that one round trip, not across several.
//
// For this, a PostgreSQL transaction runs on a connection of its own
// (*sql.Conn), begun and ended by statements of its own, not on a *sql.Tx:
// database/sql cannot send a *sql.Tx's statements in a batch, nor commit
// it in one. Its statements go through pgx on that connection (batch),
// except a search's, which runs in an execution mode of its own and
// sends what is queued first (flushLater). On SQLite, which has no
// round trips to save, execLater runs the statement at once, and
// transactions are *sql.Tx as ever.
//
// A queued write that fails fails the statement it went with, or the
// commit: the transaction is rolled back as for any error. Its result is
// read only by the batch: whether a write that must change a row did
// (execLaterChecked), and the id a message's INSERT returns, which the
// unit that queued it does not read before the transaction's next answer
// (insertLater). Every other queued write is one whose result nobody reads.

// laterStmt is a statement queued or held on the transaction, with its
// placeholders as written (?): they are bound for the dialect as it is
// sent.
type laterStmt struct {
	query string
	args  []any
	// notWritten, when not nil, is the error of the write when it
	// changed no row (execLaterChecked).
	notWritten func() error
	// id, when not nil, receives the id an INSERT … RETURNING id returns,
	// once its answer is read (insertLater).
	id *int64
}

// execLater runs a write whose result nobody reads: at once, or, in a
// pipelining transaction, queued to go with the transaction's next
// statement or its commit.
func (q *queries) execLater(ctx context.Context, query string, args ...any) error {
	return q.deferWrite(ctx, q.session != nil, &q.later, query, args...)
}

// execLaterChecked queues, in a pipelining transaction, a write that must
// change a row: when its answer, read with the statement it went with,
// says it changed none, notWritten (which may read, in the transaction)
// gives the error the transaction fails with (DB.InTx), whatever that
// statement's caller makes of it. It never goes with the COMMIT, which the
// server would run before the answer is read (commitSession).
func (q *queries) execLaterChecked(notWritten func() error, query string, args ...any) error {
	return appendChecked(&q.later, laterStmt{query: query, args: args, notWritten: notWritten})
}

// insertLater queues, in a pipelining transaction, an INSERT … RETURNING
// id that must write its row: its id is written to *id once its answer is
// read, with the transaction's next statement, at the latest with its
// COMMIT. Should it fail, the transaction fails with its error (DB.InTx),
// whatever the caller of the statement that brought the answer makes of it.
// A write that needs the id before then holds a pointer to it and is sent
// after the answer (flushAwaited). An INSERT that may write no row (ON
// CONFLICT … DO NOTHING) has notWritten, which gives the error the
// transaction then fails with, as execLaterChecked's; it never goes with
// the COMMIT either.
func (q *queries) insertLater(id *int64, notWritten func() error, query string, args ...any) error {
	return appendChecked(&q.later, laterStmt{query: query, args: args, id: id, notWritten: notWritten})
}

// flushAwaited sends what the transaction queued when a statement among
// it is one whose answer must be read before what follows is sent
// (awaited): a write that must change a row, before the COMMIT
// (commitSession); an INSERT whose id is still to come, before the writes
// that hold a pointer to it (writeHeldWords).
func (q *queries) flushAwaited(ctx context.Context, awaited func(laterStmt) bool) error {
	if !slices.ContainsFunc(q.later, awaited) {
		return nil
	}
	return q.flushLater(ctx)
}

// checksRows reports whether s must change a row (execLaterChecked).
func (s laterStmt) checksRows() bool { return s.notWritten != nil }

// returnsID reports whether s is an INSERT whose id is read from its
// answer (insertLater).
func (s laterStmt) returnsID() bool { return s.id != nil }

// deferWrite appends a write to list, its text checked now, when the
// transaction defers it; otherwise it runs the write at once.
func (q *queries) deferWrite(ctx context.Context, deferred bool, list *[]laterStmt, query string, args ...any) error {
	if !deferred {
		_, err := q.exec(ctx, query, args...)
		return err
	}
	return appendChecked(list, laterStmt{query: query, args: args})
}

// appendChecked appends s to list once its text arguments are checked: a
// queued write's are checked as it is queued, as a write run at once.
func appendChecked(list *[]laterStmt, s laterStmt) error {
	if err := checkText(s.args); err != nil {
		return err
	}
	*list = append(*list, s)
	return nil
}

// maxRowsAStatement bounds the rows of one statement that writes many.
const maxRowsAStatement = 64

// rowsAStatement is how many of n rows the next statement writes: all of
// them when under 8, else the most that is a multiple of 8 (up to
// maxRowsAStatement). So any number of rows up to 64 takes at most two
// statements, and every statement is one of 15 texts (SQLite keeps each
// text prepared, pgx each described). Powers of two alone kept 7 texts but
// took up to 7 statements, one per bit of the number of rows: on
// PostgreSQL, where each statement costs the server a parse, a bind and an
// executor set-up, that was 43 % more statements for a webhook phase's
// events than multiples of 8 take (docs/benchmarks.md).
func rowsAStatement(n int) int {
	switch {
	case n >= maxRowsAStatement:
		return maxRowsAStatement
	case n >= 8:
		return n - n%8
	default:
		return n
	}
}

// execRowsLater writes rows, each a row's arguments, in order, with
// execLater: a few statements of many rows (rowsAStatement), statement(n)
// the text of one of n rows.
func (q *queries) execRowsLater(ctx context.Context, rows [][]any, statement func(n int) string) error {
	for len(rows) > 0 {
		n := rowsAStatement(len(rows))
		if err := q.execLater(ctx, statement(n), slices.Concat(rows[:n]...)...); err != nil {
			return err
		}
		rows = rows[n:]
	}
	return nil
}

// valuesRows is n rows of a VALUES list, each written as row.
func valuesRows(row string, n int) string {
	return strings.TrimSuffix(strings.Repeat(row+", ", n), ", ")
}

// flushLater sends what the transaction queued, for a statement that
// cannot go in the same batch (one read through database/sql's rows):
// every statement of the transaction sends what was queued before it, so
// that it sees it.
func (q *queries) flushLater(ctx context.Context) error {
	if len(q.later) == 0 {
		return nil
	}
	return mapError(q.batch(ctx, nil, nil))
}

// batch sends, in one round trip on the transaction's connection, what
// the transaction queued and then final (when not nil), and reads final's
// answer with read. Once a statement fails, the server skips the rest of
// the batch, and the transaction is to be rolled back.
func (q *queries) batch(ctx context.Context, final *laterStmt, read func(pgx.BatchResults) error) error {
	if q.laterFailed != nil {
		// The transaction is to fail: nothing more is sent, its COMMIT
		// least of all.
		return q.laterFailed
	}
	later := q.later
	q.later = nil
	var notWritten func() error // of the first checked write that changed no row
	laterFailed := false        // a queued write that had to succeed failed
	err := q.session.Raw(func(driverConn any) error {
		c, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("batch: not a pgx connection: %T", driverConn)
		}
		var b pgx.Batch
		for _, s := range later {
			b.Queue(q.db.bind(s.query), s.args...)
		}
		if final != nil {
			b.Queue(q.db.bind(final.query), final.args...)
		}
		br := c.Conn().SendBatch(ctx, &b)
		for _, s := range later {
			var err error
			wrote := false
			if s.id != nil {
				err = br.QueryRow().Scan(s.id)
				wrote = err == nil
				if errors.Is(err, pgx.ErrNoRows) && s.notWritten != nil {
					err = nil // its clause left the row out: the server went on
				}
			} else {
				var tag pgconn.CommandTag
				tag, err = br.Exec()
				wrote = tag.RowsAffected() > 0
			}
			if err != nil {
				// A message's INSERT's error is the transaction's, and so
				// is a checked write's.
				laterFailed = s.returnsID() || s.checksRows()
				br.Close()
				return err
			}
			if s.notWritten != nil && !wrote && notWritten == nil {
				notWritten = s.notWritten
			}
		}
		if read != nil {
			if err := read(br); err != nil {
				br.Close()
				return err
			}
		}
		return br.Close()
	})
	if notWritten != nil {
		// The transaction is to fail: with what the write's caller
		// gives, read once the connection is free again; or, should the
		// statement that brought the answer have failed too, with that.
		if err == nil {
			err = notWritten()
		}
		q.laterFailed = err
	}
	if laterFailed {
		q.laterFailed = mapError(err)
	}
	return err
}

// sessionExec runs a write of a pipelining transaction, sent with what
// the transaction queued before it.
func (q *queries) sessionExec(ctx context.Context, query string, args []any) (sql.Result, error) {
	var tag pgconn.CommandTag
	err := q.batch(ctx, &laterStmt{query: query, args: args}, func(br pgx.BatchResults) error {
		var err error
		tag, err = br.Exec()
		return err
	})
	if err != nil {
		return nil, mapError(err)
	}
	return rowsAffected(tag.RowsAffected()), nil
}

// sessionRows runs a statement that returns rows in a pipelining
// transaction, sent with what the transaction queued before it, and hands
// each row to each.
func (q *queries) sessionRows(ctx context.Context, query string, args []any, each func(r interface{ Scan(...any) error }) error) error {
	if err := checkText(args); err != nil {
		return err
	}
	if len(args) > 0 {
		if _, ok := args[0].(pgx.QueryExecMode); ok {
			// A statement with an execution mode of its own (the dialect's
			// searchArgs): a batch runs every statement in the
			// connection's mode, so it goes alone, after what is queued.
			return q.eachRow(ctx, each, query, args...)
		}
	}
	return q.batch(ctx, &laterStmt{query: query, args: args}, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return mapError(err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := each(rows); err != nil {
				return err
			}
		}
		return mapError(rows.Err())
	})
}

// rowsAffected is the sql.Result of a write sent in a batch.
type rowsAffected int64

func (n rowsAffected) RowsAffected() (int64, error) { return int64(n), nil }

func (rowsAffected) LastInsertId() (int64, error) {
	return 0, errors.New("LastInsertId is not supported: use RETURNING")
}

// beginSession begins a transaction on a connection of its own, for a
// dialect that pipelines. Its BEGIN goes with its first statement.
func (db *DB) beginSession(ctx context.Context) (*queries, error) {
	conn, err := db.writer.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", err)
	}
	return &queries{db: db, tx: conn, session: conn, pool: db.writer, later: []laterStmt{{query: "BEGIN"}}}, nil
}

// commitSession sends what the transaction still queues with its COMMIT,
// and gives the connection back to the pool.
func (q *queries) commitSession(ctx context.Context) error {
	err := q.flushAwaited(ctx, laterStmt.checksRows)
	if err == nil {
		err = q.batch(ctx, &laterStmt{query: "COMMIT"}, func(br pgx.BatchResults) error {
			tag, err := br.Exec()
			if err == nil && tag.String() != "COMMIT" {
				err = fmt.Errorf("the transaction was rolled back (%s)", tag)
			}
			return err
		})
	}
	if err != nil {
		q.rollbackSession()
		return fmt.Errorf("commit: %w", mapError(err))
	}
	q.session.Close()
	q.session = nil
	return nil
}

// rollbackSession rolls the transaction back and gives the connection
// back to the pool; a no-op once committed. Should the rollback fail, the
// pool does not keep the connection: pgx's database/sql driver closes a
// connection given back inside a transaction (stdlib.Conn.ResetSession).
func (q *queries) rollbackSession() {
	if q.session == nil {
		return
	}
	conn := q.session
	q.session, q.later = nil, nil
	_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
	conn.Close()
}
