package service

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/mail"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/throttle"
	"github.com/carillon/carillon/wire"
)

// People is the feature service of the console's users: their roles and
// passwords, signing in and out (sessions.go), and one-time sign-in links
// (a first admin's, an invited user's).
type People struct {
	*core
	// lifetime is how long a session lasts unused.
	lifetime time.Duration
	// byAddress and byEmail count failed sign-ins; nil: no limit.
	byAddress *throttle.Failures[netip.Prefix]
	byEmail   *throttle.Failures[string]
	// dummyHash is hashed against when no user's password can be, so that
	// an unknown email takes as long as a wrong password.
	dummyHash func() string
	// hashing is the cost of new password hashes.
	hashing PasswordHashing
}

// PeopleOptions configure the console's users.
type PeopleOptions struct {
	// SessionLifetime is how long a session lasts unused; 0 is
	// DefaultSessionLifetime.
	SessionLifetime time.Duration
	// SignInFailureLimit is how many failed sign-ins a client address, and
	// an email, may have every SignInFailurePeriod; 0 is no limit.
	SignInFailureLimit int
	// PasswordHashing is the cost of new password hashes; the zero value
	// is DefaultPasswordHashing. Hashes keep their own cost, so a hash made
	// at one cost verifies under any other.
	PasswordHashing PasswordHashing
}

// PasswordHashing is the cost of argon2id: the memory it fills and the
// passes it makes over it.
type PasswordHashing struct {
	MemoryKiB uint32
	Passes    uint32
}

// DefaultPasswordHashing is OWASP's first argon2id setting (19 MiB, two
// passes, one thread): about 30 ms a hash on one core.
var DefaultPasswordHashing = PasswordHashing{MemoryKiB: 19 * 1024, Passes: 2}

// DefaultSessionLifetime is how long a session lasts unused unless set.
const DefaultSessionLifetime = 14 * 24 * time.Hour

// SignInFailurePeriod is the period of the sign-in failure limit: the
// limit is a burst, and one failure is forgiven every period / limit.
const SignInFailurePeriod = 15 * time.Minute

// FirstAdminLinkLifetime and InviteLinkLifetime are how long a one-time
// sign-in link can be used.
const (
	FirstAdminLinkLifetime = 24 * time.Hour
	InviteLinkLifetime     = 7 * 24 * time.Hour
)

// SignInLinkPath is where the console serves a sign-in link: the link is
// the public URL, this path and the token.
const SignInLinkPath = "/welcome/"

func newPeople(c *core, o PeopleOptions) *People {
	p := &People{core: c, lifetime: o.SessionLifetime, hashing: o.PasswordHashing}
	if p.hashing.MemoryKiB == 0 || p.hashing.Passes == 0 {
		p.hashing = DefaultPasswordHashing
	}
	if p.lifetime <= 0 {
		p.lifetime = DefaultSessionLifetime
	}
	if o.SignInFailureLimit > 0 {
		p.byAddress = throttle.NewFailures[netip.Prefix](o.SignInFailureLimit, SignInFailurePeriod)
		p.byEmail = throttle.NewFailures[string](o.SignInFailureLimit, SignInFailurePeriod)
	}
	p.dummyHash = sync.OnceValue(func() string { return p.hashPassword("not a password of anyone") })
	return p
}

// Passwords are hashed with argon2id, its parameters kept in the hash (the
// PHC string form), so that they can be raised for new hashes while the
// old ones still verify.
const (
	argonThreads = 1
	argonKeyLen  = 32
	argonSaltLen = 16

	minPasswordLen = 8
	maxPasswordLen = 256
)

// checkPassword refuses a password too short or too long to be one.
func checkPassword(password string) error {
	n := utf8.RuneCountInString(password)
	switch {
	case n < minPasswordLen:
		return carillon.Invalid("password", "a password has at least %d characters", minPasswordLen)
	case n > maxPasswordLen:
		return carillon.Invalid("password", "a password has at most %d characters", maxPasswordLen)
	case !carillon.ValidText(password):
		return carillon.Invalid("password", "a password is text: valid UTF-8 without NUL characters")
	}
	return nil
}

var b64 = base64.RawStdEncoding

// hashPassword returns the PHC string of password's argon2id hash with a
// new salt, at p's cost.
func (p *People) hashPassword(password string) string {
	salt := make([]byte, argonSaltLen)
	_, _ = rand.Read(salt)
	m, t := p.hashing.MemoryKiB, p.hashing.Passes
	key := argon2.IDKey([]byte(password), salt, t, m, argonThreads, argonKeyLen)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, m, t, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// passwordMatches reports whether password is the one hashed in phc, with
// the parameters phc names. A hash it cannot read matches nothing.
func passwordMatches(phc, password string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return false
	}
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return false
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// cleanEmail is an email as users are kept: trimmed, in lower case, an
// address alone.
func cleanEmail(email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", carillon.Invalid("email", "an email is required")
	}
	a, err := mail.ParseAddress(email)
	if !carillon.ValidText(email) || err != nil || a.Address != email || a.Name != "" {
		return "", carillon.Invalid("email", "%q is not an email address", email)
	}
	return email, nil
}

func cleanName(name string) (string, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", carillon.Invalid("name", "a name is required")
	case !carillon.ValidText(name):
		return "", carillon.Invalid("name", "a name is text: valid UTF-8 without NUL characters")
	}
	return name, nil
}

func checkRole(r carillon.Role) error {
	_, err := carillon.ParseRole(string(r))
	return err
}

// CreateUser makes a user of the account with a password. An email taken
// in the account is already_exists.
func (p *People) CreateUser(ctx context.Context, accountID int64, email, name string, role carillon.Role, password string) (carillon.User, error) {
	u, err := newUser(accountID, email, name, role)
	if err != nil {
		return u, err
	}
	if err := checkPassword(password); err != nil {
		return u, err
	}
	hash := p.hashPassword(password)
	u.CreatedAt = p.clock.Now()
	err = p.inTx(ctx, func(q carillon.Queries) error {
		if err := createUser(ctx, q, &u); err != nil {
			return err
		}
		u.HasPassword = true
		return q.SetUserPassword(ctx, accountID, u.ID, hash)
	})
	return u, p.internal(ctx, "create user", err)
}

// newUser checks what makes a user.
func newUser(accountID int64, email, name string, role carillon.Role) (carillon.User, error) {
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: accountID, Role: role}
	var err error
	if u.Email, err = cleanEmail(email); err != nil {
		return u, err
	}
	if u.Name, err = cleanName(name); err != nil {
		return u, err
	}
	return u, checkRole(role)
}

func createUser(ctx context.Context, q carillon.Queries, u *carillon.User) error {
	err := q.CreateUser(ctx, u)
	if errors.Is(err, carillon.ErrConflict) {
		return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "email", Message: fmt.Sprintf("a user with the email %q exists in this account", u.Email)}
	}
	return err
}

// userByEmail finds the account's user by email, a not_found naming it
// when there is none.
func userByEmail(ctx context.Context, q carillon.Queries, accountID int64, email string) (carillon.User, error) {
	clean, err := cleanEmail(email)
	if err != nil {
		return carillon.User{}, err
	}
	u, err := q.UserByEmail(ctx, accountID, clean)
	if errors.Is(err, carillon.ErrNotFound) {
		return u, carillon.NotFound("user " + clean)
	}
	return u, err
}

// SetPassword sets the password of the account's user with that email and
// ends all the user's sessions (agent_session_updated system_logged_out
// when there were some).
func (p *People) SetPassword(ctx context.Context, accountID int64, email, password string) error {
	if err := checkPassword(password); err != nil {
		return err
	}
	u, err := userByEmail(ctx, p.store, accountID, email)
	if err != nil {
		return p.internal(ctx, "set password", err)
	}
	hash := p.hashPassword(password)
	err = p.inTx(ctx, func(q carillon.Queries) error {
		if err := q.SetUserPassword(ctx, accountID, u.ID, hash); err != nil {
			return err
		}
		return p.endSessions(ctx, q, u, actionSystemLoggedOut)
	})
	return p.internal(ctx, "set password", err)
}

// SetRole changes the role of the account's user with that uuid. The last
// admin who can sign in (one with a password) stays an admin: without
// them nobody could open the account's users, keys or webhook in the
// console. The change takes effect on the user's next request, since a
// session reads its user each time.
func (p *People) SetRole(ctx context.Context, accountID int64, userUUID string, role carillon.Role) error {
	if err := checkRole(role); err != nil {
		return err
	}
	err := p.inTx(ctx, func(q carillon.Queries) error {
		if role != carillon.RoleAdmin {
			if err := q.LockAccount(ctx, accountID); err != nil {
				return err
			}
		}
		u, err := q.UserByUUID(ctx, accountID, userUUID)
		if errors.Is(err, carillon.ErrNotFound) {
			return carillon.NotFound("user " + userUUID)
		}
		if err != nil || u.Role == role {
			return err
		}
		if u.Role == carillon.RoleAdmin && u.HasPassword {
			if n, err := signInAdmins(ctx, q, accountID); err != nil {
				return err
			} else if n <= 1 {
				return errLastAdmin
			}
		}
		u.Role = role
		return q.UpdateUser(ctx, &u)
	})
	return p.internal(ctx, "set role", err)
}

// errLastAdmin refuses to take the admin role from the last admin who can
// sign in.
var errLastAdmin = &carillon.Error{Code: carillon.CodeConflict, Field: "role", Message: "this is the account's last admin who can sign in: make another user an admin first"}

// signInAdmins counts the account's admins who can sign in (who have a
// password): the rule is that a change of role never leaves none, in the
// console (SetRole) as in a declaration (Apply). The transaction that
// takes a role away locks the account first (LockAccount), so that two
// such changes at once take turns and the second counts after the first:
// two admins who demote each other at once leave one admin, not none.
func signInAdmins(ctx context.Context, q carillon.Queries, accountID int64) (int, error) {
	return q.CountUsers(ctx, accountID, carillon.UserFilter{Role: carillon.RoleAdmin, WithPassword: true})
}

// EachUser hands the account's users to fn a page at a time, oldest
// first, each page read after the last user of the one before: an account
// of any number of users is listed without holding them all.
func (p *People) EachUser(ctx context.Context, accountID int64, fn func([]carillon.User) error) error {
	var after int64
	for {
		us, err := p.store.UsersAfter(ctx, accountID, after, MaxPageSize)
		if err != nil {
			return p.internal(ctx, "list users", err)
		}
		if len(us) == 0 {
			return nil
		}
		if err := fn(us); err != nil {
			return err
		}
		if len(us) < MaxPageSize {
			return nil
		}
		after = us[len(us)-1].ID
	}
}

// UserPage is a page of the account's users.
type UserPage struct {
	Users []carillon.User
	// Next is the cursor of the next page (UsersPage's after); "" on the
	// last page.
	Next string
	// Total is how many users the account has.
	Total int
}

// UsersPage lists the account's users, oldest first, from the one after
// the user of uuid after ("" from the first), at most size of them (1 to
// MaxPageSize). An account may have any number of users: the console walks
// them by the last user of a page, which stays right while users are
// added. An after that is no user of the account is invalid_parameter
// (field after).
func (p *People) UsersPage(ctx context.Context, accountID int64, after string, size int) (UserPage, error) {
	size = min(max(size, 1), MaxPageSize)
	var out UserPage
	var afterID int64
	if after != "" {
		u, err := p.User(ctx, accountID, after)
		if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeNotFound {
			return out, carillon.Invalid("after", "the page starts after a user who is not one of this account's: start from the first page")
		}
		if err != nil {
			return out, err
		}
		afterID = u.ID
	}
	users, err := p.store.UsersAfter(ctx, accountID, afterID, size+1)
	if err != nil {
		return out, p.internal(ctx, "list users", err)
	}
	if len(users) > size {
		users = users[:size]
		out.Next = users[size-1].UUID
	}
	out.Users = users
	if out.Total, err = p.store.CountUsers(ctx, accountID, carillon.UserFilter{}); err != nil {
		return out, p.internal(ctx, "count users", err)
	}
	return out, nil
}

// User finds the account's user of that uuid; another account's is
// not_found, as one that does not exist.
func (p *People) User(ctx context.Context, accountID int64, uuid string) (carillon.User, error) {
	if !carillon.ValidText(uuid) {
		return carillon.User{}, carillon.NotFound("user")
	}
	u, err := p.store.UserByUUID(ctx, accountID, uuid)
	if errors.Is(err, carillon.ErrNotFound) {
		return u, carillon.NotFound("user " + uuid)
	}
	return u, p.internal(ctx, "find user", err)
}

// Invite makes a user without a password and a one-time link for them
// (InviteLinkLifetime), returned once. A user of that email who has no
// password yet (one declared by carillon apply, or invited before) is
// given the role and a new link; one who has a password is already_exists.
func (p *People) Invite(ctx context.Context, accountID int64, email, name string, role carillon.Role) (carillon.User, string, error) {
	u, err := newUser(accountID, email, name, role)
	if err != nil {
		return u, "", err
	}
	now := p.clock.Now()
	var link string
	err = p.inTx(ctx, func(q carillon.Queries) error {
		cur, err := q.UserByEmail(ctx, accountID, u.Email)
		switch {
		case errors.Is(err, carillon.ErrNotFound):
			u.CreatedAt = now
			if err := createUser(ctx, q, &u); err != nil {
				return err
			}
		case err != nil:
			return err
		case cur.HasPassword:
			return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "email", Message: fmt.Sprintf("the user %s has a password already: they sign in", cur.Email)}
		default:
			cur.Role = role
			if err := q.UpdateUser(ctx, &cur); err != nil {
				return err
			}
			u = cur
		}
		link, err = createLink(ctx, q, accountID, u.ID, now, InviteLinkLifetime)
		return err
	})
	if err != nil {
		return carillon.User{}, "", p.internal(ctx, "invite", err)
	}
	return u, p.linkURL(link), nil
}

// FirstAdminLink makes a one-time link whose opener becomes an admin of the
// account (FirstAdminLinkLifetime), returned once.
func (p *People) FirstAdminLink(ctx context.Context, accountID int64) (string, error) {
	var link string
	err := p.inTx(ctx, func(q carillon.Queries) error {
		var err error
		link, err = createLink(ctx, q, accountID, 0, p.clock.Now(), FirstAdminLinkLifetime)
		return err
	})
	if err != nil {
		return "", p.internal(ctx, "first admin link", err)
	}
	return p.linkURL(link), nil
}

func (p *People) linkURL(token string) string {
	return strings.TrimSuffix(p.publicURL, "/") + SignInLinkPath + token
}

// createLink keeps a new link for the user (0: a first admin) and returns
// its token.
func createLink(ctx context.Context, q carillon.Queries, accountID, userID int64, now time.Time, lifetime time.Duration) (string, error) {
	token := newToken()
	l := carillon.SignInLink{AccountID: accountID, UserID: userID, Hash: HashKey(token), CreatedAt: now, ExpiresAt: now.Add(lifetime)}
	return token, q.CreateSignInLink(ctx, &l)
}

var errLinkNotFound = carillon.NotFound("sign-in link (unknown, used or expired)")

// SignInLink reads a link without using it (to show its form); the user is
// zero for a first-admin link. Unknown, used or expired: not_found.
func (p *People) SignInLink(ctx context.Context, token string) (carillon.SignInLink, carillon.User, error) {
	l, u, err := p.liveLink(ctx, p.store, token)
	return l, u, p.internal(ctx, "sign-in link", err)
}

func (p *People) liveLink(ctx context.Context, q carillon.Queries, token string) (carillon.SignInLink, carillon.User, error) {
	if token == "" || !carillon.ValidText(token) {
		return carillon.SignInLink{}, carillon.User{}, errLinkNotFound
	}
	l, err := q.SignInLinkByHash(ctx, HashKey(token))
	if errors.Is(err, carillon.ErrNotFound) || err == nil && (!l.UsedAt.IsZero() || !p.clock.Now().Before(l.ExpiresAt)) {
		return carillon.SignInLink{}, carillon.User{}, errLinkNotFound
	}
	if err != nil || l.UserID == 0 {
		return l, carillon.User{}, err
	}
	u, err := q.UserByID(ctx, l.AccountID, l.UserID)
	return l, u, err
}

// UseSignInLink sets the password (and, for a first-admin link, makes the
// admin from email and name: an existing user of that email without a
// password becomes it), marks the link used and signs in. An invited
// user's email and name are theirs already: email and name are ignored.
func (p *People) UseSignInLink(ctx context.Context, token, email, name, password string, c SignInClient) (string, carillon.Session, carillon.User, error) {
	l, u, err := p.liveLink(ctx, p.store, token)
	if err != nil {
		return "", carillon.Session{}, carillon.User{}, p.internal(ctx, "use sign-in link", err)
	}
	if l.UserID == 0 {
		if u, err = newUser(l.AccountID, email, name, carillon.RoleAdmin); err != nil {
			return "", carillon.Session{}, carillon.User{}, err
		}
	}
	if err := checkPassword(password); err != nil {
		return "", carillon.Session{}, carillon.User{}, err
	}
	hash := p.hashPassword(password)
	var sessionToken string
	var s carillon.Session
	err = p.inTx(ctx, func(q carillon.Queries) error {
		now := p.clock.Now()
		if !now.Before(l.ExpiresAt) {
			return errLinkNotFound
		}
		if err := q.UseSignInLink(ctx, l.AccountID, l.ID, now); errors.Is(err, carillon.ErrNotFound) {
			return errLinkNotFound
		} else if err != nil {
			return err
		}
		if l.UserID == 0 {
			if err := p.firstAdmin(ctx, q, &u, now); err != nil {
				return err
			}
		}
		if err := q.SetUserPassword(ctx, u.AccountID, u.ID, hash); err != nil {
			return err
		}
		u.HasPassword = true
		var err error
		sessionToken, s, err = p.startSession(ctx, q, &u, c, now)
		return err
	})
	if err != nil {
		return "", carillon.Session{}, carillon.User{}, p.internal(ctx, "use sign-in link", err)
	}
	return sessionToken, s, u, nil
}

// firstAdmin makes u, or adopts the user of its email when that one has
// no password yet, as an admin.
func (p *People) firstAdmin(ctx context.Context, q carillon.Queries, u *carillon.User, now time.Time) error {
	cur, err := q.UserByEmail(ctx, u.AccountID, u.Email)
	switch {
	case errors.Is(err, carillon.ErrNotFound):
		u.CreatedAt = now
		return createUser(ctx, q, u)
	case err != nil:
		return err
	case cur.HasPassword:
		return &carillon.Error{Code: carillon.CodeAlreadyExists, Field: "email", Message: fmt.Sprintf("the user %s has a password already: they sign in", cur.Email)}
	}
	cur.Role = carillon.RoleAdmin
	*u = cur
	return q.UpdateUser(ctx, u)
}

// The actions of agent_session_updated.
const (
	actionLoggedIn        = "user_logged_in"
	actionLoggedOut       = "user_logged_out"
	actionSystemLoggedOut = "system_logged_out"
)

// sessionUpdated records agent_session_updated for the user.
func (p *People) sessionUpdated(ctx context.Context, q carillon.Queries, u carillon.User, action string) error {
	return p.record(ctx, q, u.AccountID, carillon.EventAgentSessionUpdated, userSubject(u), func() (any, error) {
		m, err := member(ctx, q, u.AccountID, u, nil)
		return wire.AgentSessionUpdated{Action: action, User: m}, err
	})
}
