package service

import (
	"context"
	"encoding/json"
	"errors"
	"net/mail"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// What a contact's body names by its public name, resolved to rows of the
// account: tags, custom fields (and a value checked by its field's type),
// users by email, teams by uuid.

// tagIDs resolves tag names, whatever their case; every one must exist.
//
// The tags are locked (shared) before the contact and its links to tags
// are written, as DeleteTag locks its tag first: a tag deleted meanwhile
// is not found, and a deletion that comes after waits and takes the tag
// off this contact too.
func tagIDs(ctx context.Context, q carillon.Queries, accountID int64, names []string) ([]int64, error) {
	ids := []int64{}
	byID := map[int64]string{}
	for _, name := range names {
		t, err := q.TagByName(ctx, accountID, strings.TrimSpace(name))
		if errors.Is(err, carillon.ErrNotFound) {
			return nil, carillon.Invalid("tags", "no tag %q in this account: create it first", name)
		}
		if err != nil {
			return nil, err
		}
		if !slices.Contains(ids, t.ID) {
			ids = append(ids, t.ID)
			byID[t.ID] = name
		}
	}
	locked, err := q.LockTags(ctx, accountID, ids, false)
	if err != nil {
		return nil, err
	}
	for _, id := range ids {
		if !slices.Contains(locked, id) {
			return nil, carillon.Invalid("tags", "no tag %q in this account: create it first", byID[id])
		}
	}
	return ids, nil
}

// fieldValues checks custom field values against their fields' types and
// returns them as stored, by field id.
func fieldValues(ctx context.Context, q carillon.Queries, accountID int64, in map[string]any) (map[int64]string, error) {
	out := make(map[int64]string, len(in))
	names := make([]string, 0, len(in))
	for name := range in {
		names = append(names, name)
	}
	slices.Sort(names) // the first fault reported is always the same
	for _, name := range names {
		f, err := q.CustomFieldByName(ctx, accountID, name)
		if errors.Is(err, carillon.ErrNotFound) {
			return nil, carillon.Invalid("custom_fields."+name, "no custom field %q in this account: create it first", name)
		}
		if err != nil {
			return nil, err
		}
		v, err := FieldValueOf(f, in[name])
		if err != nil {
			return nil, err
		}
		out[f.ID] = v
	}
	return out, nil
}

// FieldValueOf checks a value given for custom field f and returns it as
// stored: a number as its decimal text, a checkbox as a JSON array string.
// null and "" give "", which removes the value.
func FieldValueOf(f carillon.CustomField, value any) (string, error) {
	field := "custom_fields." + f.Name
	bad := func(format string, args ...any) (string, error) {
		return "", carillon.Invalid(field, field+" "+format, args...)
	}
	if value == nil {
		return "", nil
	}
	if s, ok := value.(string); ok && strings.TrimSpace(s) == "" {
		return "", nil
	}
	if f.Type == carillon.FieldNumber {
		switch v := value.(type) {
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), nil
		case json.Number:
			value = string(v)
		}
	}
	if f.Type == carillon.FieldCheckbox {
		var items []any
		switch v := value.(type) {
		case []any:
			items = v
		case []string:
			for _, s := range v {
				items = append(items, s)
			}
		case string:
			if json.Unmarshal([]byte(v), &items) != nil {
				return bad("must be an array of strings, each one of %s", strings.Join(f.Options, ", "))
			}
		default:
			return bad("must be an array of strings, each one of %s", strings.Join(f.Options, ", "))
		}
		chosen := []string{}
		for _, it := range items {
			s, ok := it.(string)
			if !ok || !slices.Contains(f.Options, s) {
				return bad("takes only %s, not %v", strings.Join(f.Options, ", "), it)
			}
			if !slices.Contains(chosen, s) {
				chosen = append(chosen, s)
			}
		}
		if len(chosen) == 0 {
			return "", nil
		}
		b, _ := json.Marshal(chosen)
		return string(b), nil
	}
	s, ok := value.(string)
	if !ok {
		return bad("must be a string")
	}
	s = strings.TrimSpace(s)
	if n := utf8.RuneCountInString(s); n > maxFieldValue {
		return bad("is %d characters long; at most %d are allowed", n, maxFieldValue)
	}
	switch f.Type {
	case carillon.FieldEmail:
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s || !strings.Contains(s[strings.LastIndex(s, "@")+1:], ".") {
			return bad("must be an email address, not %q", s)
		}
	case carillon.FieldNumber:
		if _, err := strconv.ParseFloat(s, 64); err != nil || strings.ContainsAny(s, "xXpPnN_") {
			return bad("must be a number, not %q", s)
		}
	case carillon.FieldDate:
		if _, err := time.Parse(time.DateOnly, s); err != nil {
			return bad("must be a date written YYYY-MM-DD, not %q", s)
		}
	case carillon.FieldDropdown:
		if !slices.Contains(f.Options, s) {
			return bad("must be one of %s, not %q", strings.Join(f.Options, ", "), s)
		}
	}
	return s, nil
}

// userID resolves the email of a user of the account.
func userID(ctx context.Context, q carillon.Queries, accountID int64, email string) (int64, error) {
	u, err := q.UserByEmail(ctx, accountID, strings.TrimSpace(email))
	if errors.Is(err, carillon.ErrNotFound) {
		return 0, carillon.Invalid("assigned_user", "no user %q in this account", email)
	}
	return u.ID, err
}

// teamID resolves a team of the account.
func teamID(ctx context.Context, q carillon.Queries, accountID int64, uuid string) (int64, error) {
	t, err := q.TeamByUUID(ctx, accountID, uuid)
	if errors.Is(err, carillon.ErrNotFound) {
		return 0, carillon.Invalid("team_uuid", "no team %q in this account", uuid)
	}
	return t.ID, err
}
