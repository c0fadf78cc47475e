package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/carillon/carillon"
)

// Conversions between Go values and columns (times as Unix milliseconds,
// booleans as integers, JSON as text), and the scanning of rows.

func ms(t time.Time) int64 { return carillon.Millis(t) }

func at(v int64) time.Time { return carillon.UnixMilli(v) }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// list runs a query and scans each row with scan.
func list[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	var out []T
	err := q.scanRows(ctx, func(r interface{ Scan(...any) error }) error {
		v, err := scan(r)
		out = append(out, v)
		return err
	}, query, args...)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// listPage runs query, a SELECT … ORDER BY, for one page of its rows (LIMIT
// and OFFSET), and countQuery, the SELECT COUNT(*) of the same rows, for
// the total: the one way every paged list is read. args are the arguments
// both share. The ORDER BY must be total (ending with a unique column), or
// rows that tie could move from one page to the next.
func listPage[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), query, countQuery string,
	page carillon.Page, args ...any) ([]T, int, error) {
	rows, err := list(q, ctx, scan, query+" LIMIT ? OFFSET ?", append(args[:len(args):len(args)], page.Size, page.Offset())...)
	if err != nil {
		return nil, 0, err
	}
	n, err := q.count(ctx, countQuery, args...)
	return rows, n, err
}

// listPageByIDs is listPage for a large table paged newest first: the
// page's ids are picked first, from an index alone where the condition
// allows, then their rows are read by id, so that a deep page's OFFSET
// steps over index entries rather than over the rows before it. The
// total comes with the rows, countQuery a column of the same statement
// (not correlated: both databases compute it once), one statement
// instead of two (on PostgreSQL a round trip less); it is asked apart
// only when the page has no row.
func listPageByIDs[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), cols, table, where, countQuery string,
	page carillon.Page, args ...any) ([]T, int, error) {
	return listPageByIDsFrom(q, ctx, scan, cols, table, where, args, countQuery, args, page.Size, page.Offset())
}

// listPageByIDsFrom is listPageByIDs for limit rows after offset of those
// that match where, the total counted by countQuery with its own
// arguments.
func listPageByIDsFrom[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), cols, table,
	where string, whereArgs []any, countQuery string, countArgs []any, limit, offset int) ([]T, int, error) {
	return listPageOfIDs(q, ctx, scan, cols, table, "SELECT id FROM "+table+" WHERE "+where+" ORDER BY id DESC LIMIT ? OFFSET ?",
		whereArgs, countQuery, countArgs, limit, offset)
}

// listPageOfIDs is listPageByIDsFrom for the ids that idsQuery, which ends
// in LIMIT ? OFFSET ?, selects from wherever they are indexed: the page's
// rows are those ids' rows of table, newest first.
func listPageOfIDs[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), cols, table,
	idsQuery string, idsArgs []any, countQuery string, countArgs []any, limit, offset int) ([]T, int, error) {
	var total int
	more := &scanWith{more: &total}
	withTotal := func(r interface{ Scan(...any) error }) (T, error) {
		more.r = r
		return scan(more)
	}
	queryArgs := make([]any, 0, len(countArgs)+len(idsArgs)+2)
	queryArgs = append(append(append(queryArgs, countArgs...), idsArgs...), limit, offset)
	rows, err := list(q, ctx, withTotal, "SELECT "+cols+", ("+countQuery+") FROM "+table+" WHERE id IN ("+idsQuery+") ORDER BY id DESC", queryArgs...)
	if err != nil {
		return nil, 0, err
	}
	if len(rows) > 0 {
		return rows, total, nil
	}
	total, err = q.count(ctx, countQuery, countArgs...)
	return rows, total, err
}

// scanWith scans a row into the destinations its Scan is given and then
// into more: a column a query adds after those its scan function reads.
type scanWith struct {
	r    interface{ Scan(...any) error }
	more any
	dest []any // kept from row to row
}

func (s *scanWith) Scan(dest ...any) error {
	s.dest = append(append(s.dest[:0], dest...), s.more)
	return s.r.Scan(s.dest...)
}

// listWritten runs a statement that writes and returns rows (UPDATE …
// RETURNING): on the writer, like insertRow.
func listWritten[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.queryOn(ctx, q.db.writer, query, args...)
	return scanAll(rows, err, scan)
}

func scanAll[T any](rows *sql.Rows, err error, scan func(interface{ Scan(...any) error }) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func unmarshalIf(s string, v any) error {
	if s == "" {
		return nil
	}
	return json.Unmarshal([]byte(s), v)
}

func marshalIf[T any](v T, empty bool) string {
	if empty {
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func nullJSON(p json.RawMessage) any {
	if p == nil {
		return nil
	}
	return string(p)
}

// scanRows runs a query and hands each row to scan.
func (q *queries) scanRows(ctx context.Context, scan func(r interface{ Scan(...any) error }) error, query string, args ...any) error {
	if q.session != nil {
		return q.sessionRows(ctx, query, args, scan)
	}
	return q.eachRow(ctx, scan, query, args...)
}

// eachRow runs a query through database/sql and hands each row to scan.
func (q *queries) eachRow(ctx context.Context, scan func(r interface{ Scan(...any) error }) error, query string, args ...any) error {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	return mapError(rows.Err())
}

// count runs a SELECT COUNT(*) query.
func (q *queries) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := q.queryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// changedRow reports whether a statement changed a row.
func changedRow(res sql.Result, err error) (bool, error) {
	n, err := rowsChanged(res, err)
	return n > 0, err
}

// rowsChanged returns how many rows a statement changed.
func rowsChanged(res sql.Result, err error) (int64, error) {
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
