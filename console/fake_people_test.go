package console

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/carillon/carillon"
)

// fakePeople stands for the users and sessions feature in the console's
// tests: users with passwords and roles, sessions by token, one-time links
// and a limit of failed sign-ins per client address.
type fakePeople struct {
	mu        sync.Mutex
	accountID int64
	nextID    int64
	users     map[string]*fakeUser // by email
	sessions  map[string]Session   // by token
	links     map[string]int64     // by token: the user id, 0 for a first admin
	failures  map[string]int       // by client address
	limit     int
}

type fakeUser struct {
	User
	password string
}

// throttled is the error of a sign-in over the failure limit.
type throttled struct{ wait time.Duration }

func (t *throttled) Error() string             { return "too many failed sign-ins" }
func (t *throttled) RetryAfter() time.Duration { return t.wait }

func newFakePeople(accountID int64) *fakePeople {
	return &fakePeople{accountID: accountID, users: map[string]*fakeUser{}, sessions: map[string]Session{},
		links: map[string]int64{}, failures: map[string]int{}, limit: 1000}
}

func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

var errWrongSignIn = &carillon.Error{Code: carillon.CodeUnauthorized, Message: "wrong email or password"}

func (f *fakePeople) addUser(email, name string, role Role, password string) User {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	u := &fakeUser{User: User{ID: f.nextID, UUID: carillon.NewUUID(), AccountID: f.accountID, Email: email, Name: name, Role: role,
		HasPassword: password != ""}, password: password}
	f.users[email] = u
	return u.User
}

// throttle refuses every sign-in from now on, as over the failure limit.
func (f *fakePeople) throttle() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.limit = 0
}

// sessionFor signs the user in without a password, as a test's shortcut.
func (f *fakePeople) sessionFor(email string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newSession(f.users[email].User)
}

func (f *fakePeople) newSession(u User) string {
	token := randomToken()
	f.sessions[token] = Session{ID: int64(len(f.sessions) + 1), AccountID: u.AccountID, UserID: u.ID}
	return token
}

func (f *fakePeople) SignIn(ctx context.Context, email, password string, c SignInClient) (string, Session, User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failures[c.Address] >= f.limit {
		return "", Session{}, User{}, &throttled{wait: 15 * time.Minute}
	}
	u, ok := f.users[strings.ToLower(email)]
	if !ok || u.password == "" || u.password != password {
		f.failures[c.Address]++
		return "", Session{}, User{}, errWrongSignIn
	}
	token := f.newSession(u.User)
	return token, f.sessions[token], u.User, nil
}

func (f *fakePeople) Session(ctx context.Context, token string) (Session, User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	s, ok := f.sessions[token]
	if !ok {
		return Session{}, User{}, &carillon.Error{Code: carillon.CodeUnauthorized, Message: "no such session"}
	}
	for _, u := range f.users {
		if u.ID == s.UserID {
			return s, u.User, nil
		}
	}
	return Session{}, User{}, &carillon.Error{Code: carillon.CodeUnauthorized, Message: "no such user"}
}

func (f *fakePeople) SignOut(ctx context.Context, token string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.sessions, token)
	return nil
}

func (f *fakePeople) SignOutEverywhere(ctx context.Context, accountID, userID int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	for token, s := range f.sessions {
		if s.AccountID == accountID && s.UserID == userID {
			delete(f.sessions, token)
		}
	}
	return nil
}

// firstAdminLink makes a link whose opener becomes an admin.
func (f *fakePeople) firstAdminLink() string {
	f.mu.Lock()
	defer f.mu.Unlock()
	token := randomToken()
	f.links[token] = 0
	return token
}

func (f *fakePeople) SignInLink(ctx context.Context, token string) (SignInLink, User, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	userID, ok := f.links[token]
	if !ok {
		return SignInLink{}, User{}, carillon.NotFound("sign-in link")
	}
	for _, u := range f.users {
		if u.ID == userID {
			return SignInLink{AccountID: f.accountID, UserID: userID}, u.User, nil
		}
	}
	return SignInLink{AccountID: f.accountID}, User{}, nil
}

func (f *fakePeople) UseSignInLink(ctx context.Context, token, email, name, password string, c SignInClient) (string, Session, User, error) {
	link, u, err := f.SignInLink(ctx, token)
	if err != nil {
		return "", Session{}, User{}, err
	}
	if len(password) < 8 {
		return "", Session{}, User{}, carillon.Invalid("password", "a password has at least 8 characters")
	}
	if link.UserID == 0 {
		if email == "" || name == "" {
			return "", Session{}, User{}, carillon.Invalid("email", "an email and a name are needed")
		}
		u = f.addUser(strings.ToLower(email), name, RoleAdmin, password)
	} else {
		f.mu.Lock()
		f.users[u.Email].password = password
		f.mu.Unlock()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.links, token)
	s := f.newSession(u)
	return s, f.sessions[s], u, nil
}
