package store

import (
	"context"
	"time"

	"github.com/carillon/carillon"
)

// Users and their status. A user's team memberships are the team's
// (teams.go); the custom statuses a user may take are the account's
// (resources.go).

func (q *queries) CreateUser(ctx context.Context, u *carillon.User) error {
	return q.insertRow(ctx, "INSERT INTO users (uuid, account_id, email, name, created_at, role) VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
		u.UUID, u.AccountID, u.Email, u.Name, ms(u.CreatedAt), string(u.Role)).Scan(&u.ID)
}

// userCols are read by scanUser; a user's password hash is not among
// them (UserPasswordHash), only whether there is one.
const userCols = "id, uuid, account_id, email, name, created_at, role, last_sign_in_at, CASE WHEN password_hash = '' THEN 0 ELSE 1 END"

func scanUser(r interface{ Scan(...any) error }) (carillon.User, error) {
	var u carillon.User
	var created, signedIn, hasPassword int64
	var role string
	err := r.Scan(&u.ID, &u.UUID, &u.AccountID, &u.Email, &u.Name, &created, &role, &signedIn, &hasPassword)
	u.CreatedAt, u.Role, u.LastSignInAt, u.HasPassword = at(created), carillon.Role(role), at(signedIn), hasPassword != 0
	return u, err
}

func (q *queries) UserByID(ctx context.Context, accountID, id int64) (carillon.User, error) {
	return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) UserEmails(ctx context.Context, accountID int64, ids []int64) (map[int64]string, error) {
	out := make(map[int64]string, len(ids))
	err := q.byIDs(ctx, ids, "SELECT id, email FROM users WHERE account_id = ? AND id IN (%s)", func(r interface{ Scan(...any) error }) error {
		var id int64
		var email string
		if err := r.Scan(&id, &email); err != nil {
			return err
		}
		out[id] = email
		return nil
	}, accountID)
	return out, err
}

func (q *queries) UserByEmail(ctx context.Context, accountID int64, email string) (carillon.User, error) {
	return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE account_id = ? AND email = ?", accountID, email))
}

func (q *queries) UpdateUser(ctx context.Context, u *carillon.User) error {
	return affected(q.exec(ctx, "UPDATE users SET email = ?, name = ?, role = ? WHERE account_id = ? AND id = ?", u.Email, u.Name, string(u.Role), u.AccountID, u.ID))
}

func (q *queries) UserByUUID(ctx context.Context, accountID int64, uuid string) (carillon.User, error) {
	return scanUser(q.queryRow(ctx, "SELECT "+userCols+" FROM users WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

func (q *queries) ListUsers(ctx context.Context, accountID int64) ([]carillon.User, error) {
	return list(q, ctx, scanUser, "SELECT "+userCols+" FROM users WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) UsersAfter(ctx context.Context, accountID, after int64, limit int) ([]carillon.User, error) {
	return list(q, ctx, scanUser, "SELECT "+userCols+" FROM users WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?", accountID, after, limit)
}

func (q *queries) CountUsers(ctx context.Context, accountID int64, f carillon.UserFilter) (int, error) {
	query, args := "SELECT COUNT(*) FROM users WHERE account_id = ?", []any{accountID}
	if f.Role != "" {
		query, args = query+" AND role = ?", append(args, string(f.Role))
	}
	if f.WithPassword {
		query += " AND password_hash <> ''"
	}
	return q.count(ctx, query, args...)
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

// Console sign-in: the password hash is read and written apart from the
// user, so that no list of users carries it.

func (q *queries) UsersByEmail(ctx context.Context, email string) ([]carillon.User, error) {
	return list(q, ctx, scanUser, "SELECT "+userCols+" FROM users WHERE email = ? ORDER BY account_id", email)
}

func (q *queries) SetUserPassword(ctx context.Context, accountID, userID int64, hash string) error {
	return affected(q.exec(ctx, "UPDATE users SET password_hash = ? WHERE account_id = ? AND id = ?", hash, accountID, userID))
}

func (q *queries) UserPasswordHash(ctx context.Context, accountID, userID int64) (string, error) {
	var hash string
	err := q.queryRow(ctx, "SELECT password_hash FROM users WHERE account_id = ? AND id = ?", accountID, userID).Scan(&hash)
	return hash, err
}

func (q *queries) TouchUserSignIn(ctx context.Context, accountID, userID int64, t time.Time) error {
	return affected(q.exec(ctx, "UPDATE users SET last_sign_in_at = ? WHERE account_id = ? AND id = ?", ms(t), accountID, userID))
}
