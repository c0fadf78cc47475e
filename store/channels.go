package store

import (
	"context"
	"encoding/json"

	"github.com/carillon/carillon"
)

// Channels, with their provider settings sealed at rest (sealed.go).

func (q *queries) sealSettings(settings map[string]string) (string, error) {
	if settings == nil {
		settings = map[string]string{}
	}
	plain, err := json.Marshal(settings)
	if err != nil {
		return "", err
	}
	return q.seal(plain, "channel settings")
}

func (q *queries) CreateChannel(ctx context.Context, c *carillon.Channel) error {
	settings, err := q.sealSettings(c.Settings)
	if err != nil {
		return err
	}
	return q.insertRow(ctx, `INSERT INTO channels (uuid, account_id, title, type, provider, main, settings, address, discarded_at, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		c.UUID, c.AccountID, c.Title, string(c.Type), c.Provider, boolInt(c.Main), settings, c.Address,
		ms(c.DiscardedAt), ms(c.CreatedAt), ms(c.UpdatedAt)).Scan(&c.ID)
}

func (q *queries) ChannelForCallback(ctx context.Context, uuid string) (carillon.Channel, error) {
	return q.scanChannel(q.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE uuid = ?", uuid))
}

func (q *queries) ChannelVersionByUUID(ctx context.Context, uuid string) (accountID, id, version int64, err error) {
	err = q.queryRow(ctx, `SELECT channels.account_id, channels.id, accounts.channels_version
		FROM channels JOIN accounts ON accounts.id = channels.account_id WHERE channels.uuid = ?`, uuid).Scan(&accountID, &id, &version)
	return accountID, id, version, err
}

func (q *queries) UpdateChannel(ctx context.Context, c *carillon.Channel) error {
	settings, err := q.sealSettings(c.Settings)
	if err != nil {
		return err
	}
	return affected(q.exec(ctx, `UPDATE channels SET title = ?, type = ?, provider = ?, main = ?, settings = ?,
		discarded_at = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
		c.Title, string(c.Type), c.Provider, boolInt(c.Main), settings, ms(c.DiscardedAt), ms(c.UpdatedAt), c.AccountID, c.ID))
}

func (q *queries) SetChannelAddress(ctx context.Context, channelID int64, address string) error {
	return affected(q.exec(ctx, "UPDATE channels SET address = ? WHERE id = ?", address, channelID))
}

const channelCols = "id, uuid, account_id, title, type, provider, main, settings, address, discarded_at, created_at, updated_at"

func (q *queries) scanChannel(r interface{ Scan(...any) error }) (carillon.Channel, error) {
	var c carillon.Channel
	var typ, sealed string
	var main, discarded, created, updated int64
	if err := r.Scan(&c.ID, &c.UUID, &c.AccountID, &c.Title, &typ, &c.Provider, &main, &sealed, &c.Address, &discarded, &created, &updated); err != nil {
		return c, err
	}
	c.Type, c.Main = carillon.ChannelType(typ), main != 0
	c.DiscardedAt, c.CreatedAt, c.UpdatedAt = at(discarded), at(created), at(updated)
	plain, err := q.open(sealed, "settings of channel "+c.UUID)
	if err != nil {
		return c, err
	}
	return c, json.Unmarshal(plain, &c.Settings)
}

func (q *queries) ChannelByID(ctx context.Context, id int64) (carillon.Channel, error) {
	return q.scanChannel(q.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE id = ?", id))
}

func (q *queries) ChannelsByIDs(ctx context.Context, ids []int64) (map[int64]carillon.Channel, error) {
	out := make(map[int64]carillon.Channel, len(ids))
	err := q.byIDs(ctx, ids, "SELECT "+channelCols+" FROM channels WHERE id IN (%s)", func(r interface{ Scan(...any) error }) error {
		c, err := q.scanChannel(r)
		if err != nil {
			return err
		}
		out[c.ID] = c
		return nil
	})
	return out, err
}

func (q *queries) ChannelByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Channel, error) {
	return q.scanChannel(q.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) MainChannel(ctx context.Context, accountID int64, typ carillon.ChannelType) (carillon.Channel, error) {
	return q.scanChannel(q.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE account_id = ? AND type = ? AND main = 1 ORDER BY id LIMIT 1", accountID, string(typ)))
}

func (q *queries) ListChannels(ctx context.Context, accountID int64, f carillon.ChannelFilter, page carillon.Page) ([]carillon.Channel, int, error) {
	where := "account_id = ?"
	args := []any{accountID}
	if f.Type != "" {
		where += " AND type = ?"
		args = append(args, string(f.Type))
	}
	if f.Active != nil {
		// Channel.Active: a channel is active until it is discarded.
		if *f.Active {
			where += " AND discarded_at = 0"
		} else {
			where += " AND discarded_at <> 0"
		}
	}
	return listPage(q, ctx, q.scanChannel, "SELECT "+channelCols+" FROM channels WHERE "+where+" ORDER BY id",
		"SELECT COUNT(*) FROM channels WHERE "+where, page, args...)
}

func (q *queries) ChannelsVersion(ctx context.Context, accountID int64) (int64, error) {
	var v int64
	err := q.queryRow(ctx, "SELECT channels_version FROM accounts WHERE id = ?", accountID).Scan(&v)
	return v, err
}

func (q *queries) AllChannels(ctx context.Context, accountID int64) ([]carillon.Channel, error) {
	return list(q, ctx, q.scanChannel, "SELECT "+channelCols+" FROM channels WHERE account_id = ? ORDER BY id", accountID)
}
