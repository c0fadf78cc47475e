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

// maxKeysAtOnce is the most hashes one statement of APIKeysByHash reads;
// more are read in several.
const maxKeysAtOnce = 64

// APIKeysByHash reads each distinct hash once, by the unique index on hash.
func (q *queries) APIKeysByHash(ctx context.Context, hashes []string) ([]carillon.KeyByHash, error) {
	distinct := make([]string, 0, len(hashes))
	found := make(map[string]carillon.KeyByHash, len(hashes))
	for _, h := range hashes {
		if _, seen := found[h]; !seen {
			found[h] = carillon.KeyByHash{}
			distinct = append(distinct, h)
		}
	}
	err := inLists(ctx, q, distinct, maxKeysAtOnce, "SELECT "+apiKeyCols+", (SELECT channels_version FROM accounts WHERE accounts.id = api_keys.account_id)"+
		" FROM api_keys WHERE hash IN (%s)", func(r interface{ Scan(...any) error }) error {
		var read carillon.KeyByHash
		k, err := scanAPIKey(&scanWith{r: r, more: &read.ChannelsVersion})
		if err != nil {
			return err
		}
		read.Found, read.Key = true, k
		found[k.Hash] = read
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]carillon.KeyByHash, len(hashes))
	for i, h := range hashes {
		out[i] = found[h]
	}
	return out, nil
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
