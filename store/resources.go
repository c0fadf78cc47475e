package store

import (
	"context"
	"strings"

	"github.com/carillon/carillon"
)

// The account's catalogues that contacts and users point to: tags, custom
// fields, funnel stages and custom statuses.

// Tags

func (q *queries) CreateTag(ctx context.Context, t *carillon.Tag) error {
	return q.insertRow(ctx, "INSERT INTO tags (account_id, name, name_key, created_at) VALUES (?, ?, ?, ?) RETURNING id",
		t.AccountID, t.Name, strings.ToLower(t.Name), ms(t.CreatedAt)).Scan(&t.ID)
}

const tagCols = "id, account_id, name, created_at"

func scanTag(r interface{ Scan(...any) error }) (carillon.Tag, error) {
	var t carillon.Tag
	var created int64
	err := r.Scan(&t.ID, &t.AccountID, &t.Name, &created)
	t.CreatedAt = at(created)
	return t, err
}

// TagByName compares lower-cased names (the name_key column), which works
// alike on both databases, whatever their collations.
func (q *queries) TagByName(ctx context.Context, accountID int64, name string) (carillon.Tag, error) {
	return scanTag(q.queryRow(ctx, "SELECT "+tagCols+" FROM tags WHERE account_id = ? AND name_key = ?", accountID, strings.ToLower(name)))
}

func (q *queries) ListTags(ctx context.Context, accountID int64, page carillon.Page) ([]carillon.Tag, int, error) {
	return listPage(q, ctx, scanTag, "SELECT "+tagCols+" FROM tags WHERE account_id = ? ORDER BY id",
		"SELECT COUNT(*) FROM tags WHERE account_id = ?", page, accountID)
}

func (q *queries) LockTags(ctx context.Context, accountID int64, ids []int64, forDelete bool) ([]int64, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	lock := q.db.dialect.shareRows
	if forDelete {
		lock = q.db.dialect.lockRows
	}
	args := []any{accountID}
	for _, id := range ids {
		args = append(args, id)
	}
	return list(q, ctx, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, "SELECT id FROM tags WHERE account_id = ? AND id IN ("+placeholders(len(ids))+") ORDER BY id"+lock, args...)
}

// DeleteTag deletes the contacts' links to the tag (through the tag of
// the account: another account's tag id deletes nothing), then the tag.
func (q *queries) DeleteTag(ctx context.Context, accountID, id int64) (int, error) {
	var n int64
	err := q.atomic(ctx, func(q *queries) error {
		res, err := q.exec(ctx, "DELETE FROM contact_tags WHERE tag_id IN (SELECT id FROM tags WHERE account_id = ? AND id = ?)", accountID, id)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		if err := affected(q.exec(ctx, "DELETE FROM tags WHERE account_id = ? AND id = ?", accountID, id)); err != nil {
			return err
		}
		// Its counts go with it, after the tag: a transaction that tags
		// a contact with it meanwhile holds the tag's row (PostgreSQL),
		// and either commits first, and this delete fails on its link, or
		// fails on the tag gone; it never waits for a count this holds.
		for k := range q.heldCounts {
			if (k.table == tagCounts && k.id == id) || (k.table == tagBlockCounts && k.of == id) {
				delete(q.heldCounts, k)
			}
		}
		if _, err := q.exec(ctx, "DELETE FROM tag_counts WHERE tag_id = ?", id); err != nil {
			return err
		}
		_, err = q.exec(ctx, "DELETE FROM tag_blocks WHERE tag_id = ?", id)
		return err
	})
	return int(n), err
}

// Custom fields

const customFieldCols = "id, account_id, name, type, options, created_at, updated_at"

func scanCustomField(r interface{ Scan(...any) error }) (carillon.CustomField, error) {
	var f carillon.CustomField
	var typ, options string
	var created, updated int64
	if err := r.Scan(&f.ID, &f.AccountID, &f.Name, &typ, &options, &created, &updated); err != nil {
		return f, err
	}
	f.Type, f.CreatedAt, f.UpdatedAt = carillon.FieldType(typ), at(created), at(updated)
	return f, unmarshalIf(options, &f.Options)
}

func (q *queries) CreateCustomField(ctx context.Context, f *carillon.CustomField) error {
	return q.insertRow(ctx, `INSERT INTO custom_fields (account_id, name, type, options, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		f.AccountID, f.Name, string(f.Type), marshalIf(f.Options, len(f.Options) == 0), ms(f.CreatedAt), ms(f.UpdatedAt)).Scan(&f.ID)
}

func (q *queries) UpdateCustomField(ctx context.Context, f *carillon.CustomField) error {
	return affected(q.exec(ctx, "UPDATE custom_fields SET name = ?, type = ?, options = ?, updated_at = ? WHERE account_id = ? AND id = ?",
		f.Name, string(f.Type), marshalIf(f.Options, len(f.Options) == 0), ms(f.UpdatedAt), f.AccountID, f.ID))
}

func (q *queries) CustomFieldByName(ctx context.Context, accountID int64, name string) (carillon.CustomField, error) {
	return scanCustomField(q.queryRow(ctx, "SELECT "+customFieldCols+" FROM custom_fields WHERE account_id = ? AND name = ?", accountID, name))
}

func (q *queries) ListCustomFields(ctx context.Context, accountID int64, page carillon.Page) ([]carillon.CustomField, int, error) {
	return listPage(q, ctx, scanCustomField, "SELECT "+customFieldCols+" FROM custom_fields WHERE account_id = ? ORDER BY id",
		"SELECT COUNT(*) FROM custom_fields WHERE account_id = ?", page, accountID)
}

func (q *queries) AllCustomFields(ctx context.Context, accountID int64) ([]carillon.CustomField, error) {
	return list(q, ctx, scanCustomField, "SELECT "+customFieldCols+" FROM custom_fields WHERE account_id = ? ORDER BY id", accountID)
}

// Funnels

const funnelCols = "id, uuid, account_id, name, emoji, position, created_at"

func scanFunnel(r interface{ Scan(...any) error }) (carillon.Funnel, error) {
	var f carillon.Funnel
	var created int64
	err := r.Scan(&f.ID, &f.UUID, &f.AccountID, &f.Name, &f.Emoji, &f.Position, &created)
	f.CreatedAt = at(created)
	return f, err
}

func (q *queries) CreateFunnel(ctx context.Context, f *carillon.Funnel) error {
	return q.insertRow(ctx, "INSERT INTO funnels (uuid, account_id, name, emoji, position, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		f.UUID, f.AccountID, f.Name, f.Emoji, f.Position, ms(f.CreatedAt)).Scan(&f.ID)
}

func (q *queries) UpdateFunnel(ctx context.Context, f *carillon.Funnel) error {
	return affected(q.exec(ctx, "UPDATE funnels SET name = ?, emoji = ?, position = ? WHERE account_id = ? AND id = ?",
		f.Name, f.Emoji, f.Position, f.AccountID, f.ID))
}

func (q *queries) FunnelByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Funnel, error) {
	return scanFunnel(q.queryRow(ctx, "SELECT "+funnelCols+" FROM funnels WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) FunnelByName(ctx context.Context, accountID int64, name string) (carillon.Funnel, error) {
	return scanFunnel(q.queryRow(ctx, "SELECT "+funnelCols+" FROM funnels WHERE account_id = ? AND name = ?", accountID, name))
}

func (q *queries) ListFunnels(ctx context.Context, accountID int64, page carillon.Page) ([]carillon.Funnel, int, error) {
	return listPage(q, ctx, scanFunnel, "SELECT "+funnelCols+" FROM funnels WHERE account_id = ? ORDER BY position, id",
		"SELECT COUNT(*) FROM funnels WHERE account_id = ?", page, accountID)
}

// Custom statuses

const customStatusCols = "id, uuid, account_id, name, emoji, created_at, updated_at"

func scanCustomStatus(r interface{ Scan(...any) error }) (carillon.CustomStatus, error) {
	var s carillon.CustomStatus
	var created, updated int64
	err := r.Scan(&s.ID, &s.UUID, &s.AccountID, &s.Name, &s.Emoji, &created, &updated)
	s.CreatedAt, s.UpdatedAt = at(created), at(updated)
	return s, err
}

func (q *queries) CreateCustomStatus(ctx context.Context, s *carillon.CustomStatus) error {
	return q.insertRow(ctx, `INSERT INTO custom_statuses (uuid, account_id, name, emoji, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		s.UUID, s.AccountID, s.Name, s.Emoji, ms(s.CreatedAt), ms(s.UpdatedAt)).Scan(&s.ID)
}

func (q *queries) UpdateCustomStatus(ctx context.Context, s *carillon.CustomStatus) error {
	return affected(q.exec(ctx, "UPDATE custom_statuses SET name = ?, emoji = ?, updated_at = ? WHERE account_id = ? AND id = ?",
		s.Name, s.Emoji, ms(s.UpdatedAt), s.AccountID, s.ID))
}

func (q *queries) DeleteCustomStatus(ctx context.Context, accountID, id int64) error {
	return q.atomic(ctx, func(q *queries) error {
		if err := affected(q.exec(ctx, "DELETE FROM custom_statuses WHERE account_id = ? AND id = ?", accountID, id)); err != nil {
			return err
		}
		_, err := q.exec(ctx, "UPDATE users SET custom_status_id = 0 WHERE account_id = ? AND custom_status_id = ?", accountID, id)
		return err
	})
}

func (q *queries) CustomStatusByID(ctx context.Context, accountID, id int64) (carillon.CustomStatus, error) {
	return scanCustomStatus(q.queryRow(ctx, "SELECT "+customStatusCols+" FROM custom_statuses WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) CustomStatusByUUID(ctx context.Context, accountID int64, uuid string) (carillon.CustomStatus, error) {
	return scanCustomStatus(q.queryRow(ctx, "SELECT "+customStatusCols+" FROM custom_statuses WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) CustomStatusByName(ctx context.Context, accountID int64, name string) (carillon.CustomStatus, error) {
	return scanCustomStatus(q.queryRow(ctx, "SELECT "+customStatusCols+" FROM custom_statuses WHERE account_id = ? AND name = ?", accountID, name))
}

func (q *queries) ListCustomStatuses(ctx context.Context, accountID int64, page carillon.Page) ([]carillon.CustomStatus, int, error) {
	return listPage(q, ctx, scanCustomStatus, "SELECT "+customStatusCols+" FROM custom_statuses WHERE account_id = ? ORDER BY id",
		"SELECT COUNT(*) FROM custom_statuses WHERE account_id = ?", page, accountID)
}
