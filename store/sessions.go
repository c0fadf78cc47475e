package store

import (
	"context"
	"time"

	"github.com/carillon/carillon"
)

// Console sessions and one-time sign-in links. Both are found by the hash
// of their token alone: it is what tells a browser's account.

func (q *queries) CreateSession(ctx context.Context, s *carillon.Session) error {
	return q.insertRow(ctx, `INSERT INTO sessions (account_id, user_id, hash, address, user_agent, created_at, last_seen_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		s.AccountID, s.UserID, s.Hash, s.Address, s.UserAgent, ms(s.CreatedAt), ms(s.LastSeenAt), ms(s.ExpiresAt)).Scan(&s.ID)
}

const sessionCols = "id, account_id, user_id, hash, address, user_agent, created_at, last_seen_at, expires_at"

func scanSession(r interface{ Scan(...any) error }) (carillon.Session, error) {
	var s carillon.Session
	var created, seen, expires int64
	err := r.Scan(&s.ID, &s.AccountID, &s.UserID, &s.Hash, &s.Address, &s.UserAgent, &created, &seen, &expires)
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = at(created), at(seen), at(expires)
	return s, err
}

func (q *queries) SessionByHash(ctx context.Context, hash string) (carillon.Session, error) {
	return scanSession(q.queryRow(ctx, "SELECT "+sessionCols+" FROM sessions WHERE hash = ?", hash))
}

func (q *queries) TouchSession(ctx context.Context, accountID, id int64, lastSeen, expires time.Time) error {
	_, err := q.exec(ctx, "UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE account_id = ? AND id = ? AND last_seen_at < ?",
		ms(lastSeen), ms(expires), accountID, id, ms(lastSeen))
	return err
}

func (q *queries) ListUserSessions(ctx context.Context, accountID, userID int64) ([]carillon.Session, error) {
	return list(q, ctx, scanSession, "SELECT "+sessionCols+" FROM sessions WHERE account_id = ? AND user_id = ? ORDER BY id", accountID, userID)
}

func (q *queries) DeleteSession(ctx context.Context, accountID, id int64) error {
	return affected(q.exec(ctx, "DELETE FROM sessions WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) DeleteUserSessions(ctx context.Context, accountID, userID int64) (int64, error) {
	return rowsChanged(q.exec(ctx, "DELETE FROM sessions WHERE account_id = ? AND user_id = ?", accountID, userID))
}

func (q *queries) DeleteExpiredSessions(ctx context.Context, t time.Time) (int64, error) {
	return rowsChanged(q.exec(ctx, "DELETE FROM sessions WHERE expires_at < ?", ms(t)))
}

func (q *queries) CreateSignInLink(ctx context.Context, l *carillon.SignInLink) error {
	return q.insertRow(ctx, `INSERT INTO sign_in_links (account_id, user_id, hash, created_at, expires_at, used_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		l.AccountID, l.UserID, l.Hash, ms(l.CreatedAt), ms(l.ExpiresAt), ms(l.UsedAt)).Scan(&l.ID)
}

func (q *queries) SignInLinkByHash(ctx context.Context, hash string) (carillon.SignInLink, error) {
	var l carillon.SignInLink
	var created, expires, used int64
	err := q.queryRow(ctx, "SELECT id, account_id, user_id, hash, created_at, expires_at, used_at FROM sign_in_links WHERE hash = ?", hash).
		Scan(&l.ID, &l.AccountID, &l.UserID, &l.Hash, &created, &expires, &used)
	l.CreatedAt, l.ExpiresAt, l.UsedAt = at(created), at(expires), at(used)
	return l, err
}

func (q *queries) UseSignInLink(ctx context.Context, accountID, id int64, t time.Time) error {
	return affected(q.exec(ctx, "UPDATE sign_in_links SET used_at = ? WHERE account_id = ? AND id = ? AND used_at = 0", ms(t), accountID, id))
}
