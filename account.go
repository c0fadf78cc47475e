package carillon

import (
	"context"
	"time"
)

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

// TeamWithMembers is a team with its number of members, as a contact's
// team is shown.
type TeamWithMembers struct {
	Team
	Members int
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
	// Role is what the user may do in the console: agent for a user
	// declared without one.
	Role Role
	// LastSignInAt is the user's last sign-in to the console; zero: never.
	LastSignInAt time.Time
	// HasPassword is true once the user has a password (the hash itself is
	// read apart, by UserPasswordHash). Writes of the user ignore it.
	HasPassword bool
}

// AccountQueries keep accounts.
type AccountQueries interface {
	CreateAccount(ctx context.Context, a *Account) error
	AccountByID(ctx context.Context, id int64) (Account, error)
	AccountByName(ctx context.Context, name string) (Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)
	// LockAccount keeps the account's row locked until the transaction
	// it runs in ends, so that the transactions of the account that take
	// it run one after the other: a rule over several of the account's
	// rows (it keeps an admin who can sign in) reads them after the
	// writes of the transactions before it. Outside a transaction it
	// only checks that the account exists.
	LockAccount(ctx context.Context, id int64) error
}

// TeamMemberFilter selects a team's members in lists. Zero fields select
// every member.
type TeamMemberFilter struct {
	// Available, when set, keeps the members who are (or are not)
	// available (UserStatus.Available).
	Available *bool
}

// UserFilter selects an account's users. Zero fields select every user.
type UserFilter struct {
	// Role, when set, keeps the users of that role.
	Role Role
	// WithPassword keeps the users who have a password (HasPassword).
	WithPassword bool
}

// UserQueries keep the account's users and their status.
type UserQueries interface {
	CreateUser(ctx context.Context, u *User) error
	UpdateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, accountID, id int64) (User, error)
	// UserEmails reads the emails of the account's users of ids, by id,
	// in one statement: the assignees of a page of contacts. An id of no
	// user of the account is left out.
	UserEmails(ctx context.Context, accountID int64, ids []int64) (map[int64]string, error)
	UserByUUID(ctx context.Context, accountID int64, uuid string) (User, error)
	UserByEmail(ctx context.Context, accountID int64, email string) (User, error)
	ListUsers(ctx context.Context, accountID int64) ([]User, error)
	// UsersAfter lists the account's users that come after the one of id
	// after (0: from the first), oldest first (by id), at most limit of
	// them: a page of a list walked by its last user.
	UsersAfter(ctx context.Context, accountID, after int64, limit int) ([]User, error)
	// CountUsers counts the account's users that f selects.
	CountUsers(ctx context.Context, accountID int64, f UserFilter) (int, error)
	UserStatus(ctx context.Context, accountID, userID int64) (UserStatus, error)
	SetUserStatus(ctx context.Context, accountID, userID int64, s UserStatus) error
	// UsersByEmail lists the users with that email in every account,
	// oldest account first: signing in comes before an account is known.
	UsersByEmail(ctx context.Context, email string) ([]User, error)
	// SetUserPassword keeps the hash of the user's password.
	SetUserPassword(ctx context.Context, accountID, userID int64, hash string) error
	// UserPasswordHash is the hash of the user's password; "" when none.
	UserPasswordHash(ctx context.Context, accountID, userID int64) (string, error)
	// TouchUserSignIn records the user's sign-in at t.
	TouchUserSignIn(ctx context.Context, accountID, userID int64, t time.Time) error
}

// TeamQueries keep the account's teams and their members.
type TeamQueries interface {
	CreateTeam(ctx context.Context, t *Team) error
	UpdateTeam(ctx context.Context, t *Team) error
	TeamByID(ctx context.Context, accountID, id int64) (Team, error)
	// TeamsByIDs reads the account's teams of ids, by id, each with its
	// number of members, in one statement: the teams of a page of
	// contacts. An id of no team of the account is left out.
	TeamsByIDs(ctx context.Context, accountID int64, ids []int64) (map[int64]TeamWithMembers, error)
	TeamByUUID(ctx context.Context, accountID int64, uuid string) (Team, error)
	TeamByName(ctx context.Context, accountID int64, name string) (Team, error)
	// ListTeams lists a page of the account's teams, oldest first, and
	// counts them all.
	ListTeams(ctx context.Context, accountID int64, page Page) ([]Team, int, error)
	// AllTeams reads every team of the account, oldest first: the plan
	// (GET /plan) shows them all, unpaged.
	AllTeams(ctx context.Context, accountID int64) ([]Team, error)
	// ListTeamMembers lists a page of a team's users that f selects, by
	// email (compared byte by byte, on every database) then id, and
	// counts all that f selects.
	ListTeamMembers(ctx context.Context, teamID int64, f TeamMemberFilter, page Page) ([]User, int, error)
	// TeamMembers reads every user of a team, in ListTeamMembers' order:
	// applying a declaration makes the membership exactly the declared
	// one, so it compares the whole of both.
	TeamMembers(ctx context.Context, teamID int64) ([]User, error)
	// CountTeamMembers counts the members of each of the account's teams.
	CountTeamMembers(ctx context.Context, accountID int64) (map[int64]int, error)
	// TeamMemberCount counts the members of one team.
	TeamMemberCount(ctx context.Context, teamID int64) (int, error)
	// UserTeamIDs lists the ids of the account's teams the user is a
	// member of, in id order: the chats an agent sees follow them.
	UserTeamIDs(ctx context.Context, accountID, userID int64) ([]int64, error)
	AddTeamMember(ctx context.Context, teamID, userID int64, at time.Time) error
	// RemoveTeamMember returns ErrNotFound when the user was no member.
	RemoveTeamMember(ctx context.Context, teamID, userID int64) error
}

// KeyByHash is an API key as APIKeyQueries.APIKeysByHash read it.
type KeyByHash struct {
	Found bool // no key has the hash when false
	Key   APIKey
	// ChannelsVersion is the version of the key's account's channels
	// (ChannelQueries.ChannelsVersion) read in the same statement: what
	// the request may use of the channels an instance keeps in memory.
	ChannelsVersion int64
}

// APIKeyQueries keep API keys. APIKeysByHash and TouchAPIKey take no
// account: they authenticate a request, before its account is known.
type APIKeyQueries interface {
	CreateAPIKey(ctx context.Context, k *APIKey) error
	// APIKeysByHash reads the keys with these hashes, revoked ones too,
	// one answer a hash, in the hashes' order (a hash may come more than
	// once): the keys of the requests that came at the same time, read
	// in one statement.
	APIKeysByHash(ctx context.Context, hashes []string) ([]KeyByHash, error)
	ListAPIKeys(ctx context.Context, accountID int64) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, accountID, id int64, at time.Time) error
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error
}
