package store

import (
	"context"
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

func (q *queries) DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int64, error) {
	res, err := q.exec(ctx, "DELETE FROM idempotency_keys WHERE created_at < ?", ms(before))
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
