package console

import (
	"errors"
	"time"
)

// The domain types of people, sign-in and sessions, as the contract with the
// users and sessions feature names them. They stand here until that feature
// is in the domain (carillon.Role, carillon.User's Role, carillon.Session,
// carillon.SignInLink, service.SignInClient, service.RetryAfter), which
// replaces them one for one.

// Role is what a console user may see and do.
type Role string

// The roles.
const (
	RoleAdmin           Role = "admin"
	RoleAgent           Role = "agent"
	RoleRestrictedAgent Role = "restricted_agent"
	RoleSettingsAgent   Role = "settings_agent"
)

// User is a person of the account who may sign in.
type User struct {
	ID           int64
	UUID         string
	AccountID    int64
	Email        string
	Name         string
	Role         Role
	HasPassword  bool
	LastSignInAt time.Time
	CreatedAt    time.Time
}

// Session is a signed-in browser.
type Session struct {
	ID         int64
	AccountID  int64
	UserID     int64
	Hash       string
	Address    string
	UserAgent  string
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time
}

// SignInLink is a one-time link: a first admin's (UserID 0) or an invited
// user's.
type SignInLink struct {
	ID        int64
	AccountID int64
	UserID    int64
	Hash      string
	CreatedAt time.Time
	ExpiresAt time.Time
	UsedAt    time.Time
}

// SignInClient is who is signing in, for throttling and the session list.
type SignInClient struct {
	Address   string
	UserAgent string
}

// retryAfter reports the wait of a throttled sign-in: an error that
// carries one.
func retryAfter(err error) (time.Duration, bool) {
	var t interface{ RetryAfter() time.Duration }
	if errors.As(err, &t) {
		return t.RetryAfter(), true
	}
	return 0, false
}
