package carillon

import (
	"context"
	"time"
)

// Role is what a console user may see and do.
type Role string

// The roles of console users.
const (
	RoleAdmin           Role = "admin"            // everything
	RoleAgent           Role = "agent"            // the chats of their teams
	RoleRestrictedAgent Role = "restricted_agent" // only the chats assigned to them
	RoleSettingsAgent   Role = "settings_agent"   // agent + settings pages
)

// Roles lists the roles, from the most to the least powerful but for
// settings_agent, which is an agent with the settings pages.
var Roles = []Role{RoleAdmin, RoleSettingsAgent, RoleAgent, RoleRestrictedAgent}

// ParseRole reads a role by its name. An unknown name is an
// invalid_parameter error on the field "role" that lists the roles.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", Invalid("role", "unknown role %q: one of admin, agent, restricted_agent, settings_agent", s)
}

// Session is a signed-in browser. Only the hash of its token is stored.
type Session struct {
	ID         int64
	AccountID  int64
	UserID     int64
	Hash       string // hex SHA-256 of the token
	Address    string // client address at sign-in
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time // LastSeenAt + the session lifetime; slides on use
}

// SignInLink is a one-time link: a first admin's (UserID 0: whoever opens
// it creates the account's first admin) or an invited user's. Only the
// hash of its token is stored.
type SignInLink struct {
	ID        int64
	AccountID int64
	UserID    int64 // 0: the link creates a first admin
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// SessionQueries keep the sessions of signed-in users. SessionByHash and
// DeleteExpiredSessions take no account: a session is found by its token
// before its account is known, and expired ones are forgotten for every
// account at once.
type SessionQueries interface {
	CreateSession(ctx context.Context, s *Session) error
	SessionByHash(ctx context.Context, hash string) (Session, error)
	// TouchSession moves a session's last use and expiry forward (never
	// back).
	TouchSession(ctx context.Context, accountID, id int64, lastSeen, expires time.Time) error
	// ListUserSessions lists a user's sessions, oldest first.
	ListUserSessions(ctx context.Context, accountID, userID int64) ([]Session, error)
	// DeleteSession returns ErrNotFound when the session is gone already.
	DeleteSession(ctx context.Context, accountID, id int64) error
	// DeleteUserSessions ends every session of the user and says how many
	// there were.
	DeleteUserSessions(ctx context.Context, accountID, userID int64) (int64, error)
	// DeleteExpiredSessions forgets the sessions that expired before t.
	DeleteExpiredSessions(ctx context.Context, t time.Time) (int64, error)
}

// SignInLinkQueries keep one-time sign-in links. SignInLinkByHash takes no
// account: a link is found by its token before its account is known.
type SignInLinkQueries interface {
	CreateSignInLink(ctx context.Context, l *SignInLink) error
	SignInLinkByHash(ctx context.Context, hash string) (SignInLink, error)
	// UseSignInLink marks the link used at t; a link used already is
	// ErrNotFound, so that of two uses at once only one wins.
	UseSignInLink(ctx context.Context, accountID, id int64, t time.Time) error
}
