package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/carillon/carillon"
)

var _ carillon.Queries = (*queries)(nil)

func ms(t time.Time) int64 { return carillon.Millis(t) }
func at(v int64) time.Time { return carillon.UnixMilli(v) }

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// Accounts

func (q *queries) CreateAccount(ctx context.Context, a *carillon.Account) error {
	return q.insertRow(ctx, "INSERT INTO accounts (uuid, name, created_at) VALUES (?, ?, ?) RETURNING id",
		a.UUID, a.Name, ms(a.CreatedAt)).Scan(&a.ID)
}

const accountCols = "id, uuid, name, created_at"

func scanAccount(r interface{ Scan(...any) error }) (carillon.Account, error) {
	var a carillon.Account
	var created int64
	err := r.Scan(&a.ID, &a.UUID, &a.Name, &created)
	a.CreatedAt = at(created)
	return a, err
}

func (q *queries) AccountByID(ctx context.Context, id int64) (carillon.Account, error) {
	return scanAccount(q.queryRow(ctx, "SELECT "+accountCols+" FROM accounts WHERE id = ?", id))
}

func (q *queries) AccountByName(ctx context.Context, name string) (carillon.Account, error) {
	return scanAccount(q.queryRow(ctx, "SELECT "+accountCols+" FROM accounts WHERE name = ?", name))
}

func (q *queries) ListAccounts(ctx context.Context) ([]carillon.Account, error) {
	return list(q, ctx, scanAccount, "SELECT "+accountCols+" FROM accounts ORDER BY id")
}

// list runs a query and scans each row with scan.
func list[T any](q *queries, ctx context.Context, scan func(interface{ Scan(...any) error }) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	return scanAll(rows, err, scan)
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

// Teams and users

func (q *queries) CreateTeam(ctx context.Context, t *carillon.Team) error {
	return q.insertRow(ctx, "INSERT INTO teams (uuid, account_id, name, is_default, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		t.UUID, t.AccountID, t.Name, boolInt(t.Default), ms(t.CreatedAt)).Scan(&t.ID)
}

func scanTeam(r interface{ Scan(...any) error }) (carillon.Team, error) {
	var t carillon.Team
	var def, created int64
	err := r.Scan(&t.ID, &t.UUID, &t.AccountID, &t.Name, &def, &created)
	t.Default, t.CreatedAt = def != 0, at(created)
	return t, err
}

func (q *queries) ListTeams(ctx context.Context, accountID int64) ([]carillon.Team, error) {
	return list(q, ctx, scanTeam, "SELECT id, uuid, account_id, name, is_default, created_at FROM teams WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) CreateUser(ctx context.Context, u *carillon.User) error {
	return q.insertRow(ctx, "INSERT INTO users (uuid, account_id, email, name, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		u.UUID, u.AccountID, u.Email, u.Name, ms(u.CreatedAt)).Scan(&u.ID)
}

const userCols = "id, uuid, account_id, email, name, created_at"

func scanUser(r interface{ Scan(...any) error }) (carillon.User, error) {
	var u carillon.User
	var created int64
	err := r.Scan(&u.ID, &u.UUID, &u.AccountID, &u.Email, &u.Name, &created)
	u.CreatedAt = at(created)
	return u, err
}

func (q *queries) UserByID(ctx context.Context, accountID, id int64) (carillon.User, error) {
	return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) UserByEmail(ctx context.Context, accountID int64, email string) (carillon.User, error) {
	return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE account_id = ? AND email = ?", accountID, email))
}

// API keys

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

func (q *queries) APIKeyByHash(ctx context.Context, hash string) (carillon.APIKey, error) {
	return scanAPIKey(q.queryRow(ctx, "SELECT "+apiKeyCols+" FROM api_keys WHERE hash = ?", hash))
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

// Secrets at rest: channel settings and webhook secrets are stored sealed,
// as base64 text.

// seal encrypts plain with the store's key; what names it in errors.
func (q *queries) seal(plain []byte, what string) (string, error) {
	if q.db.sealer == nil {
		return "", fmt.Errorf("store: no secret key to seal %s", what)
	}
	return base64.StdEncoding.EncodeToString(q.db.sealer.Seal(plain)), nil
}

// open decrypts what seal made.
func (q *queries) open(sealed, what string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	if q.db.sealer == nil {
		return nil, fmt.Errorf("store: no secret key to open %s", what)
	}
	plain, err := q.db.sealer.Open(raw)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return plain, nil
}

// Channels

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

func (q *queries) ChannelByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Channel, error) {
	return q.scanChannel(q.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) MainChannel(ctx context.Context, accountID int64, typ carillon.ChannelType) (carillon.Channel, error) {
	return q.scanChannel(q.queryRow(ctx, "SELECT "+channelCols+" FROM channels WHERE account_id = ? AND type = ? AND main = 1 ORDER BY id LIMIT 1", accountID, string(typ)))
}

func (q *queries) ListChannels(ctx context.Context, accountID int64) ([]carillon.Channel, error) {
	return list(q, ctx, q.scanChannel, "SELECT "+channelCols+" FROM channels WHERE account_id = ? ORDER BY id", accountID)
}

// Contacts

const contactCols = `id, uuid, account_id, channel_id, address, bsuid, name, created_at, updated_at, last_inbound_at,
	conversation_uuid, conversation_created_at, closed_at, closing_reason, assigned_user_id, team_id, funnel_id,
	blocked_at, note, bot_status, bot_started_at`

func scanContact(r interface{ Scan(...any) error }) (carillon.Contact, error) {
	var c carillon.Contact
	var created, updated, inbound, convCreated, closed, blocked, botStarted int64
	err := r.Scan(&c.ID, &c.UUID, &c.AccountID, &c.ChannelID, &c.Address, &c.BSUID, &c.Name, &created, &updated, &inbound,
		&c.ConversationUUID, &convCreated, &closed, &c.ClosingReason, &c.AssignedUserID, &c.TeamID, &c.FunnelID,
		&blocked, &c.Note, &c.BotStatus, &botStarted)
	c.CreatedAt, c.UpdatedAt, c.LastInboundAt = at(created), at(updated), at(inbound)
	c.ConversationCreatedAt, c.ClosedAt, c.BlockedAt, c.BotStartedAt = at(convCreated), at(closed), at(blocked), at(botStarted)
	return c, err
}

func contactArgs(c *carillon.Contact) []any {
	return []any{c.Address, c.BSUID, c.Name, ms(c.UpdatedAt), ms(c.LastInboundAt), c.ConversationUUID,
		ms(c.ConversationCreatedAt), ms(c.ClosedAt), c.ClosingReason, c.AssignedUserID, c.TeamID, c.FunnelID,
		ms(c.BlockedAt), c.Note, c.BotStatus, ms(c.BotStartedAt)}
}

func (q *queries) CreateContact(ctx context.Context, c *carillon.Contact) error {
	args := append([]any{c.UUID, c.AccountID, c.ChannelID, ms(c.CreatedAt)}, contactArgs(c)...)
	return q.insertRow(ctx, `INSERT INTO contacts (uuid, account_id, channel_id, created_at, address, bsuid, name, updated_at,
		last_inbound_at, conversation_uuid, conversation_created_at, closed_at, closing_reason, assigned_user_id, team_id,
		funnel_id, blocked_at, note, bot_status, bot_started_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`, args...).Scan(&c.ID)
}

func (q *queries) UpdateContact(ctx context.Context, c *carillon.Contact) error {
	args := append(contactArgs(c), c.AccountID, c.ID)
	return affected(q.exec(ctx, `UPDATE contacts SET address = ?, bsuid = ?, name = ?, updated_at = ?, last_inbound_at = ?,
		conversation_uuid = ?, conversation_created_at = ?, closed_at = ?, closing_reason = ?, assigned_user_id = ?,
		team_id = ?, funnel_id = ?, blocked_at = ?, note = ?, bot_status = ?, bot_started_at = ?
		WHERE account_id = ? AND id = ?`, args...))
}

func (q *queries) ContactByID(ctx context.Context, accountID, id int64) (carillon.Contact, error) {
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) ContactByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Contact, error) {
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) ContactByAddress(ctx context.Context, channelID int64, address string) (carillon.Contact, error) {
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE channel_id = ? AND address = ? AND address <> ''", channelID, address))
}

func (q *queries) ContactByBSUID(ctx context.Context, channelID int64, bsuid string) (carillon.Contact, error) {
	return scanContact(q.queryRow(ctx, "SELECT "+contactCols+" FROM contacts WHERE channel_id = ? AND bsuid = ? AND bsuid <> ''", channelID, bsuid))
}

// Messages

const messageCols = `id, uuid, account_id, channel_id, contact_id, direction, type, content, template_uuid, template_values,
	status, status_payload, external_id, metadata, created_at, updated_at, send_state, attempts, next_attempt_at, owner, last_error, version`

func scanMessage(r interface{ Scan(...any) error }) (carillon.Message, error) {
	var m carillon.Message
	var dir, content, values, status, metadata, state string
	var payload sql.NullString
	var created, updated, next int64
	err := r.Scan(&m.ID, &m.UUID, &m.AccountID, &m.ChannelID, &m.ContactID, &dir, &m.Type, &content, &m.TemplateUUID, &values,
		&status, &payload, &m.ExternalID, &metadata, &created, &updated, &state, &m.Attempts, &next, &m.Owner, &m.LastError, &m.Version)
	if err != nil {
		return m, err
	}
	m.Direction, m.Status, m.SendState = carillon.Direction(dir), carillon.Status(status), carillon.SendState(state)
	m.CreatedAt, m.UpdatedAt, m.NextAttemptAt = at(created), at(updated), at(next)
	if payload.Valid {
		m.StatusPayload = json.RawMessage(payload.String)
	}
	if err := unmarshalIf(content, &m.Content); err != nil {
		return m, err
	}
	if err := unmarshalIf(values, &m.TemplateValues); err != nil {
		return m, err
	}
	return m, unmarshalIf(metadata, &m.Metadata)
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

func (q *queries) CreateMessage(ctx context.Context, m *carillon.Message) error {
	content, _ := json.Marshal(m.Content)
	return q.insertRow(ctx, `INSERT INTO messages (uuid, account_id, channel_id, contact_id, direction, type, content,
		template_uuid, template_values, status, status_payload, external_id, metadata, created_at, updated_at,
		send_state, attempts, next_attempt_at, owner, last_error)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		m.UUID, m.AccountID, m.ChannelID, m.ContactID, string(m.Direction), m.Type, string(content),
		m.TemplateUUID, marshalIf(m.TemplateValues, len(m.TemplateValues) == 0), string(m.Status), nullJSON(m.StatusPayload),
		m.ExternalID, marshalIf(m.Metadata, len(m.Metadata) == 0), ms(m.CreatedAt), ms(m.UpdatedAt),
		string(m.SendState), m.Attempts, ms(m.NextAttemptAt), m.Owner, m.LastError).Scan(&m.ID)
}

func (q *queries) UpdateMessage(ctx context.Context, m *carillon.Message) error {
	content, _ := json.Marshal(m.Content)
	err := affected(q.exec(ctx, `UPDATE messages SET content = ?, status = ?, status_payload = ?, external_id = ?,
		updated_at = ?, send_state = ?, attempts = ?, next_attempt_at = ?, owner = ?, last_error = ?, version = version + 1
		WHERE account_id = ? AND id = ? AND version = ?`,
		string(content), string(m.Status), nullJSON(m.StatusPayload), m.ExternalID, ms(m.UpdatedAt),
		string(m.SendState), m.Attempts, ms(m.NextAttemptAt), m.Owner, m.LastError, m.AccountID, m.ID, m.Version))
	if errors.Is(err, carillon.ErrNotFound) {
		// Missing, or changed since it was read?
		var v int64
		if q.queryRow(ctx, "SELECT version FROM messages WHERE account_id = ? AND id = ?", m.AccountID, m.ID).Scan(&v) == nil {
			return carillon.ErrStale
		}
	}
	if err == nil {
		m.Version++
	}
	return err
}

func (q *queries) MessageByID(ctx context.Context, accountID, id int64) (carillon.Message, error) {
	return scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) MessageByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Message, error) {
	return scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) MessageByExternalID(ctx context.Context, channelID int64, externalID string) (carillon.Message, error) {
	return scanMessage(q.queryRow(ctx, "SELECT "+messageCols+" FROM messages WHERE channel_id = ? AND external_id = ? AND external_id <> ''", channelID, externalID))
}

// The send pipeline's bookkeeping

func (q *queries) QueuedMessages(ctx context.Context, owner string, afterID int64, limit int) ([]carillon.Message, error) {
	return list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM messages WHERE send_state = 'queued' AND owner = ? AND id > ? ORDER BY id LIMIT ?",
		owner, afterID, limit)
}

func (q *queries) EarlierQueued(ctx context.Context, channelID, contactID, messageID int64) (bool, error) {
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE send_state = 'queued' AND contact_id = ? AND channel_id = ? AND id < ? LIMIT 1) AS earlier",
		contactID, channelID, messageID).Scan(&n)
	return n > 0, err
}

func (q *queries) CountQueued(ctx context.Context) (int64, error) {
	var n int64
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM messages WHERE send_state = 'queued'").Scan(&n)
	return n, err
}

func (q *queries) RegisterInstance(ctx context.Context, id string, t time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO instances (id, started_at, heartbeat_at) VALUES (?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, id, ms(t), ms(t))
	return err
}

func (q *queries) StaleInstances(ctx context.Context, before time.Time) ([]string, error) {
	return list(q, ctx, func(r interface{ Scan(...any) error }) (string, error) {
		var id string
		return id, r.Scan(&id)
	}, "SELECT id FROM instances WHERE heartbeat_at < ? ORDER BY id", ms(before))
}

func (q *queries) AdoptMessages(ctx context.Context, from, to string) (int64, error) {
	res, err := q.exec(ctx, "UPDATE messages SET owner = ? WHERE send_state = 'queued' AND owner = ?", to, from)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func (q *queries) DeleteInstance(ctx context.Context, id string) error {
	_, err := q.exec(ctx, "DELETE FROM instances WHERE id = ?", id)
	return err
}

func (q *queries) CountInstances(ctx context.Context, since time.Time) (int, error) {
	var n int
	err := q.queryRow(ctx, "SELECT COUNT(*) FROM instances WHERE heartbeat_at >= ?", ms(since)).Scan(&n)
	return n, err
}

// Idempotency

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
