package carillon

import "time"

// Account is a tenant: every object belongs to exactly one account, and an API
// key sees only its own account's objects.
type Account struct {
	ID        int64
	UUID      string
	Name      string
	CreatedAt time.Time
}

// DefaultAccountName is the account that the first start creates.
const DefaultAccountName = "default"

// Team groups users; an account's first team is its default one.
type Team struct {
	ID        int64
	UUID      string
	AccountID int64
	Name      string
	Default   bool
	CreatedAt time.Time
}

// DefaultTeamName is the name of the team that a new account starts with.
const DefaultTeamName = "General"

// APIKey authenticates API requests for one account. Only a hash of the
// secret is kept; the secret itself is shown once, when the key is made.
type APIKey struct {
	ID         int64
	AccountID  int64
	UserID     int64 // 0: the key acts for the account, not for a user
	Name       string
	Prefix     string // the first characters of the secret, to recognise it in lists
	Hash       string // hex SHA-256 of the secret
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// Revoked reports whether the key may no longer be used.
func (k APIKey) Revoked() bool { return !k.RevokedAt.IsZero() }

// User is a person of the account (an agent, in Callbell's words).
type User struct {
	ID        int64
	UUID      string
	AccountID int64
	Email     string
	Name      string
	CreatedAt time.Time
}
