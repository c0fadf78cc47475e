package store

import (
	"context"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// Idempotency records: the answers to sends made with an Idempotency-Key.

func (q *queries) IdempotencyRecord(ctx context.Context, accountID int64, key string) (carillon.IdempotencyRecord, error) {
	var r carillon.IdempotencyRecord
	var created int64
	err := q.queryRow(ctx, "SELECT account_id, idem_key, request_hash, message_uuid, fields, created_at FROM idempotency_keys WHERE account_id = ? AND idem_key = ?",
		accountID, key).Scan(&r.AccountID, &r.Key, &r.RequestHash, &r.MessageUUID, &r.Fields, &created)
	r.CreatedAt = at(created)
	return r, err
}

func (q *queries) SaveIdempotencyRecord(ctx context.Context, r carillon.IdempotencyRecord) error {
	_, err := q.exec(ctx, `INSERT INTO idempotency_keys (account_id, idem_key, request_hash, message_uuid, fields, created_at)
		VALUES (?, ?, ?, ?, ?, ?)`,
		r.AccountID, r.Key, r.RequestHash, r.MessageUUID, r.Fields, ms(r.CreatedAt))
	return err
}

// idempotencyChunk bounds the records one transaction of
// DeleteIdempotencyRecords deletes. Keys
// are the clients' own, spread all over the primary key's pages, so each
// record deleted writes a page of its own: an hour of records at 100 sends
// a second (360,000) took 2.6 to 3.5 s in one statement, on SQLite's one
// writer that every send waits for (docs/benchmarks.md). A variable for
// the store's tests.
var idempotencyChunk = 500

func (q *queries) DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int64, error) {
	var deleted int64
	for {
		// The chunk's records are those made up to the time of its
		// idempotencyChunk-th oldest (those made in the same millisecond
		// with it too), read from the index of times alone: an IN list
		// of their keys is planned as a walk of the account's keys.
		bound, last := ms(before)-1, false
		err := q.queryRow(ctx, "SELECT created_at FROM idempotency_keys WHERE created_at < ? ORDER BY created_at LIMIT 1 OFFSET ?",
			ms(before), idempotencyChunk-1).Scan(&bound)
		if errors.Is(err, carillon.ErrNotFound) {
			last = true
		} else if err != nil {
			return deleted, err
		}
		var n int64
		err = q.atomic(ctx, func(q *queries) (err error) {
			n, err = rowsChanged(q.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at <= ?", bound))
			return err
		})
		deleted += n
		if err != nil || last {
			return deleted, err
		}
	}
}

func (q *queries) DeleteIdempotencyRecord(ctx context.Context, accountID int64, key string, before time.Time) error {
	_, err := q.exec(ctx, "DELETE FROM idempotency_keys WHERE account_id = ? AND idem_key = ? AND created_at < ?", accountID, key, ms(before))
	return err
}
