package store

import (
	"context"
	"time"

	"github.com/carillon/carillon"
)

// API keys. A key is found by its hash alone: it is what tells a request's
// account.

func (q *queries) CreateAPIKey(ctx context.Context, k *carillon.APIKey) error {
	return q.insertRow(ctx, `INSERT INTO api_keys (account_id, user_id, name, prefix, hash, created_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		k.AccountID, k.UserID, k.Name, k.Prefix, k.Hash, ms(k.CreatedAt), ms(k.LastUsedAt), ms(k.RevokedAt)).Scan(&k.ID)
}

const apiKeyCols = "id, account_id, user_id, name, prefix, hash, created_at, last_used_at, revoked_at"

func scanAPIKey(r interface{ Scan(...any) error }) (carillon.APIKey, error) {
	var k carillon.APIKey
	var created, used, revoked int64
	err := r.Scan(&k.ID, &k.AccountID, &k.UserID, &k.Name, &k.Prefix, &k.Hash, &created, &used, &revoked)
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = at(created), at(used), at(revoked)
	return k, err
}

func (q *queries) APIKeyByHash(ctx context.Context, hash string) (carillon.APIKey, int64, error) {
	var version int64
	k, err := scanAPIKey(&scanWith{r: q.queryRow(ctx, "SELECT "+apiKeyCols+
		", (SELECT channels_version FROM accounts WHERE accounts.id = api_keys.account_id) FROM api_keys WHERE hash = ?", hash), more: &version})
	return k, version, err
}

func (q *queries) ListAPIKeys(ctx context.Context, accountID int64) ([]carillon.APIKey, error) {
	return list(q, ctx, scanAPIKey, "SELECT "+apiKeyCols+" FROM api_keys WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) RevokeAPIKey(ctx context.Context, accountID, id int64, t time.Time) error {
	return affected(q.exec(ctx, "UPDATE api_keys SET revoked_at = ? WHERE account_id = ? AND id = ? AND revoked_at = 0", ms(t), accountID, id))
}

func (q *queries) TouchAPIKey(ctx context.Context, id int64, t time.Time) error {
	_, err := q.exec(ctx, "UPDATE api_keys SET last_used_at = ? WHERE id = ? AND last_used_at < ?", ms(t), id, ms(t))
	return err
}
