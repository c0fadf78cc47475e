package store

import (
	"context"

	"github.com/carillon/carillon"
)

// Templates: a channel's message templates.

const templateCols = "id, uuid, account_id, channel_id, title, text, type, category, status, language, buttons, external_id, created_at, updated_at"

func scanTemplate(r interface{ Scan(...any) error }) (carillon.Template, error) {
	var t carillon.Template
	var buttons string
	var created, updated int64
	err := r.Scan(&t.ID, &t.UUID, &t.AccountID, &t.ChannelID, &t.Title, &t.Text, &t.Type, &t.Category, &t.Status,
		&t.Language, &buttons, &t.ExternalID, &created, &updated)
	if err != nil {
		return t, err
	}
	t.CreatedAt, t.UpdatedAt = at(created), at(updated)
	return t, unmarshalIf(buttons, &t.Buttons)
}

func (q *queries) CreateTemplate(ctx context.Context, t *carillon.Template) error {
	return q.insertRow(ctx, `INSERT INTO templates (uuid, account_id, channel_id, title, text, type, category, status, language,
		buttons, external_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		t.UUID, t.AccountID, t.ChannelID, t.Title, t.Text, t.Type, t.Category, t.Status, t.Language,
		marshalIf(t.Buttons, len(t.Buttons) == 0), t.ExternalID, ms(t.CreatedAt), ms(t.UpdatedAt)).Scan(&t.ID)
}

// UpdateTemplate writes every field but the template's identity and its
// channel.
func (q *queries) UpdateTemplate(ctx context.Context, t *carillon.Template) error {
	return affected(q.exec(ctx, `UPDATE templates SET title = ?, text = ?, type = ?, category = ?, status = ?, language = ?,
		buttons = ?, external_id = ?, updated_at = ? WHERE account_id = ? AND id = ?`,
		t.Title, t.Text, t.Type, t.Category, t.Status, t.Language, marshalIf(t.Buttons, len(t.Buttons) == 0),
		t.ExternalID, ms(t.UpdatedAt), t.AccountID, t.ID))
}

func (q *queries) TemplateByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Template, error) {
	return scanTemplate(q.queryRow(ctx, "SELECT "+templateCols+" FROM templates WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) TemplateByKey(ctx context.Context, channelID int64, title, language string) (carillon.Template, error) {
	return scanTemplate(q.queryRow(ctx, "SELECT "+templateCols+" FROM templates WHERE channel_id = ? AND title = ? AND language = ?",
		channelID, title, language))
}

func (q *queries) ListTemplates(ctx context.Context, accountID int64, page carillon.Page) ([]carillon.Template, int, error) {
	return listPage(q, ctx, scanTemplate, "SELECT "+templateCols+" FROM templates WHERE account_id = ? ORDER BY id",
		"SELECT COUNT(*) FROM templates WHERE account_id = ?", page, accountID)
}
