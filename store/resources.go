package store

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// atomic runs fn in the transaction q is part of, or, outside one, in a
// transaction of its own: the resource writes that take several statements
// never leave half of their work behind.
func (q *queries) atomic(ctx context.Context, fn func(q *queries) error) error {
	if q.tx != nil {
		return fn(q)
	}
	return q.db.InTx(ctx, func(tq carillon.Queries) error { return fn(tq.(*queries)) })
}

// placeholders returns n comma-separated ? placeholders, for IN lists.
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// idsPerQuery bounds the ids of one IN list, far below both databases'
// parameter limits; lists of a page of contacts fit in one query.
const idsPerQuery = 500

// byContacts runs query, whose %s is replaced by an IN list of contact ids,
// for the ids, idsPerQuery at a time, and hands each row to scan.
func (q *queries) byContacts(ctx context.Context, contactIDs []int64, query string, scan func(r interface{ Scan(...any) error }) error) error {
	for len(contactIDs) > 0 {
		n := min(len(contactIDs), idsPerQuery)
		args := make([]any, n)
		for i, id := range contactIDs[:n] {
			args[i] = id
		}
		if err := q.scanRows(ctx, scan, strings.Replace(query, "%s", placeholders(n), 1), args...); err != nil {
			return err
		}
		contactIDs = contactIDs[n:]
	}
	return nil
}

// scanRows runs a query and hands each row to scan.
func (q *queries) scanRows(ctx context.Context, scan func(r interface{ Scan(...any) error }) error, query string, args ...any) error {
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
	return rows.Err()
}

// count runs a SELECT COUNT(*) query.
func (q *queries) count(ctx context.Context, query string, args ...any) (int, error) {
	var n int
	err := q.queryRow(ctx, query, args...).Scan(&n)
	return n, err
}

// Users

func (q *queries) UpdateUser(ctx context.Context, u *carillon.User) error {
	return affected(q.exec(ctx, "UPDATE users SET email = ?, name = ? WHERE account_id = ? AND id = ?", u.Email, u.Name, u.AccountID, u.ID))
}

func (q *queries) UserByUUID(ctx context.Context, accountID int64, uuid string) (carillon.User, error) {
	return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) ListUsers(ctx context.Context, accountID int64) ([]carillon.User, error) {
	return list(q, ctx, scanUser, "SELECT "+userCols+" FROM users WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) UserStatus(ctx context.Context, accountID, userID int64) (carillon.UserStatus, error) {
	var s carillon.UserStatus
	var available, availabilityAt, customAt int64
	err := q.queryRow(ctx, "SELECT available, availability_at, custom_status_id, custom_status_at FROM users WHERE account_id = ? AND id = ?",
		accountID, userID).Scan(&available, &availabilityAt, &s.CustomStatusID, &customAt)
	s.Available, s.AvailabilityAt, s.CustomStatusAt = available != 0, at(availabilityAt), at(customAt)
	return s, err
}

func (q *queries) SetUserStatus(ctx context.Context, accountID, userID int64, s carillon.UserStatus) error {
	return affected(q.exec(ctx, `UPDATE users SET available = ?, availability_at = ?, custom_status_id = ?, custom_status_at = ?
		WHERE account_id = ? AND id = ?`,
		boolInt(s.Available), ms(s.AvailabilityAt), s.CustomStatusID, ms(s.CustomStatusAt), accountID, userID))
}

// Teams and their members

const teamCols = "id, uuid, account_id, name, is_default, created_at"

func (q *queries) UpdateTeam(ctx context.Context, t *carillon.Team) error {
	return affected(q.exec(ctx, "UPDATE teams SET name = ?, is_default = ? WHERE account_id = ? AND id = ?",
		t.Name, boolInt(t.Default), t.AccountID, t.ID))
}

func (q *queries) TeamByID(ctx context.Context, accountID, id int64) (carillon.Team, error) {
	return scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) TeamByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Team, error) {
	return scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

// TeamByName returns the oldest team of the name: team names are not unique
// in the schema.
func (q *queries) TeamByName(ctx context.Context, accountID int64, name string) (carillon.Team, error) {
	return scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE account_id = ? AND name = ? ORDER BY id LIMIT 1", accountID, name))
}

// TeamMembers sorts in Go, not in SQL: PostgreSQL would order by the
// database's collation, SQLite by bytes.
func (q *queries) TeamMembers(ctx context.Context, teamID int64) ([]carillon.User, error) {
	users, err := list(q, ctx, scanUser, "SELECT "+userCols+" FROM users WHERE id IN (SELECT user_id FROM team_members WHERE team_id = ?)", teamID)
	if err != nil {
		return nil, err
	}
	sort.Slice(users, func(i, j int) bool {
		if users[i].Email != users[j].Email {
			return users[i].Email < users[j].Email
		}
		return users[i].ID < users[j].ID
	})
	return users, nil
}

func (q *queries) CountTeamMembers(ctx context.Context, accountID int64) (map[int64]int, error) {
	out := map[int64]int{}
	err := q.scanRows(ctx, func(r interface{ Scan(...any) error }) error {
		var team int64
		var n int
		if err := r.Scan(&team, &n); err != nil {
			return err
		}
		out[team] = n
		return nil
	}, `SELECT teams.id, COUNT(team_members.user_id) FROM teams LEFT JOIN team_members ON team_members.team_id = teams.id
		WHERE teams.account_id = ? GROUP BY teams.id`, accountID)
	return out, err
}

func (q *queries) AddTeamMember(ctx context.Context, teamID, userID int64, t time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO team_members (team_id, user_id, added_at) VALUES (?, ?, ?)", teamID, userID, ms(t))
	return err
}

func (q *queries) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	return affected(q.exec(ctx, "DELETE FROM team_members WHERE team_id = ? AND user_id = ?", teamID, userID))
}

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

func (q *queries) ListTags(ctx context.Context, accountID int64) ([]carillon.Tag, error) {
	return list(q, ctx, scanTag, "SELECT "+tagCols+" FROM tags WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) SetContactTags(ctx context.Context, contactID int64, tagIDs []int64) error {
	// A set: a tag named twice is kept once.
	seen := make(map[int64]bool, len(tagIDs))
	args := make([]any, 0, 2*len(tagIDs))
	for _, id := range tagIDs {
		if !seen[id] {
			seen[id] = true
			args = append(args, contactID, id)
		}
	}
	return q.atomic(ctx, func(q *queries) error {
		if _, err := q.exec(ctx, "DELETE FROM contact_tags WHERE contact_id = ?", contactID); err != nil {
			return err
		}
		if len(args) == 0 {
			return nil
		}
		values := strings.TrimSuffix(strings.Repeat("(?, ?), ", len(args)/2), ", ")
		_, err := q.exec(ctx, "INSERT INTO contact_tags (contact_id, tag_id) VALUES "+values, args...)
		return err
	})
}

// ContactTags gives every contact asked for an entry, empty when it has no
// tag. Names are sorted in Go, by bytes, for the reason TeamMembers gives.
func (q *queries) ContactTags(ctx context.Context, contactIDs []int64) (map[int64][]string, error) {
	out := make(map[int64][]string, len(contactIDs))
	for _, id := range contactIDs {
		out[id] = []string{}
	}
	err := q.byContacts(ctx, contactIDs, `SELECT contact_tags.contact_id, tags.name FROM contact_tags
		JOIN tags ON tags.id = contact_tags.tag_id WHERE contact_tags.contact_id IN (%s)`,
		func(r interface{ Scan(...any) error }) error {
			var id int64
			var name string
			if err := r.Scan(&id, &name); err != nil {
				return err
			}
			out[id] = append(out[id], name)
			return nil
		})
	if err != nil {
		return nil, err
	}
	for _, names := range out {
		sort.Strings(names)
	}
	return out, nil
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

func (q *queries) ListCustomFields(ctx context.Context, accountID int64) ([]carillon.CustomField, error) {
	return list(q, ctx, scanCustomField, "SELECT "+customFieldCols+" FROM custom_fields WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) SetContactFieldValue(ctx context.Context, contactID, fieldID int64, value string) error {
	if value == "" {
		_, err := q.exec(ctx, "DELETE FROM contact_field_values WHERE contact_id = ? AND field_id = ?", contactID, fieldID)
		return err
	}
	_, err := q.exec(ctx, `INSERT INTO contact_field_values (contact_id, field_id, value) VALUES (?, ?, ?)
		ON CONFLICT (contact_id, field_id) DO UPDATE SET value = excluded.value`, contactID, fieldID, value)
	return err
}

// ContactFieldValues gives every contact asked for an entry, empty when it
// has no value.
func (q *queries) ContactFieldValues(ctx context.Context, contactIDs []int64) (map[int64]map[int64]string, error) {
	out := make(map[int64]map[int64]string, len(contactIDs))
	for _, id := range contactIDs {
		out[id] = map[int64]string{}
	}
	err := q.byContacts(ctx, contactIDs, "SELECT contact_id, field_id, value FROM contact_field_values WHERE contact_id IN (%s)",
		func(r interface{ Scan(...any) error }) error {
			var contact, field int64
			var value string
			if err := r.Scan(&contact, &field, &value); err != nil {
				return err
			}
			out[contact][field] = value
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Templates

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
	ts, err := list(q, ctx, scanTemplate, "SELECT "+templateCols+" FROM templates WHERE account_id = ? ORDER BY id LIMIT ? OFFSET ?",
		accountID, page.Size, page.Offset())
	if err != nil {
		return nil, 0, err
	}
	n, err := q.count(ctx, "SELECT COUNT(*) FROM templates WHERE account_id = ?", accountID)
	return ts, n, err
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

func (q *queries) ListFunnels(ctx context.Context, accountID int64) ([]carillon.Funnel, error) {
	return list(q, ctx, scanFunnel, "SELECT "+funnelCols+" FROM funnels WHERE account_id = ? ORDER BY position, id", accountID)
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

func (q *queries) ListCustomStatuses(ctx context.Context, accountID int64) ([]carillon.CustomStatus, error) {
	return list(q, ctx, scanCustomStatus, "SELECT "+customStatusCols+" FROM custom_statuses WHERE account_id = ? ORDER BY id", accountID)
}

// Contact lists and deletion

// ListContacts builds its WHERE clause from the filter's set fields; every
// tag adds its own EXISTS, so that a contact must have them all.
func (q *queries) ListContacts(ctx context.Context, accountID int64, f carillon.ContactFilter, page carillon.Page) ([]carillon.Contact, int, error) {
	where := "account_id = ?"
	args := []any{accountID}
	if f.ChannelType != "" {
		where += " AND channel_id IN (SELECT id FROM channels WHERE account_id = ? AND type = ?)"
		args = append(args, accountID, string(f.ChannelType))
	}
	if f.TeamID != 0 {
		where += " AND team_id = ?"
		args = append(args, f.TeamID)
	}
	for _, tag := range f.TagIDs {
		where += " AND EXISTS (SELECT 1 FROM contact_tags WHERE contact_tags.contact_id = contacts.id AND contact_tags.tag_id = ?)"
		args = append(args, tag)
	}
	cs, err := list(q, ctx, scanContact, "SELECT "+contactCols+" FROM contacts WHERE "+where+" ORDER BY id DESC LIMIT ? OFFSET ?",
		append(args, page.Size, page.Offset())...)
	if err != nil {
		return nil, 0, err
	}
	n, err := q.count(ctx, "SELECT COUNT(*) FROM contacts WHERE "+where, args...)
	return cs, n, err
}

func (q *queries) DeleteContact(ctx context.Context, accountID, id int64) error {
	return q.atomic(ctx, func(q *queries) error {
		var found int64
		if err := q.queryRow(ctx, "SELECT id FROM contacts WHERE account_id = ? AND id = ?", accountID, id).Scan(&found); err != nil {
			return err
		}
		if err := q.deleteContactStatusHistory(ctx, id); err != nil {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM contact_tags WHERE contact_id = ?",
			"DELETE FROM contact_field_values WHERE contact_id = ?",
			"DELETE FROM messages WHERE contact_id = ?",
			"DELETE FROM contacts WHERE id = ?",
		} {
			if _, err := q.exec(ctx, stmt, id); err != nil {
				return err
			}
		}
		return nil
	})
}

func (q *queries) ContactMessages(ctx context.Context, accountID, contactID int64, page carillon.Page) ([]carillon.Message, int, error) {
	msgs, err := list(q, ctx, scanMessage, "SELECT "+messageCols+" FROM messages WHERE account_id = ? AND contact_id = ? ORDER BY id DESC LIMIT ? OFFSET ?",
		accountID, contactID, page.Size, page.Offset())
	if err != nil {
		return nil, 0, err
	}
	n, err := q.count(ctx, "SELECT COUNT(*) FROM messages WHERE account_id = ? AND contact_id = ?", accountID, contactID)
	return msgs, n, err
}
