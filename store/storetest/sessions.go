package storetest

import (
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Users' roles, passwords and sign-ins (store/users.go); console sessions
// and sign-in links (store/sessions.go).

func testUserSignIn(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	admin := carillon.User{UUID: carillon.NewUUID(), AccountID: a.ID, Email: "ana@example.com", Name: "Ana", CreatedAt: base, Role: carillon.RoleAdmin}
	e.must(e.s.CreateUser(e.ctx, &admin), "CreateUser")
	other := e.user(a.ID, "bo@example.com")
	ub := e.user(b.ID, "ana@example.com")

	got, err := e.s.UserByID(e.ctx, a.ID, admin.ID)
	e.must(err, "UserByID")
	check(t, "new user with a role", got, admin)
	if got.HasPassword || !got.LastSignInAt.IsZero() {
		t.Errorf("new user: has password %v, last sign-in %v", got.HasPassword, got.LastSignInAt)
	}

	// The role is written with the user; HasPassword is not.
	up := admin
	up.Role, up.HasPassword = carillon.RoleSettingsAgent, true
	e.must(e.s.UpdateUser(e.ctx, &up), "UpdateUser")
	want := admin
	want.Role = carillon.RoleSettingsAgent
	got, err = e.s.UserByID(e.ctx, a.ID, admin.ID)
	e.must(err, "UserByID")
	check(t, "user after UpdateUser of its role", got, want)

	hash, err := e.s.UserPasswordHash(e.ctx, a.ID, admin.ID)
	e.must(err, "UserPasswordHash")
	check(t, "password hash of a user without one", hash, "")
	const h = "$argon2id$v=19$m=65536,t=3,p=2$c2FsdA$aGFzaA"
	e.must(e.s.SetUserPassword(e.ctx, a.ID, admin.ID, h), "SetUserPassword")
	hash, err = e.s.UserPasswordHash(e.ctx, a.ID, admin.ID)
	e.must(err, "UserPasswordHash")
	check(t, "password hash", hash, h)
	want.HasPassword = true
	got, err = e.s.UserByID(e.ctx, a.ID, admin.ID)
	e.must(err, "UserByID")
	check(t, "user with a password", got, want)

	e.must(e.s.TouchUserSignIn(e.ctx, a.ID, admin.ID, sloppy(at(time.Hour))), "TouchUserSignIn")
	want.LastSignInAt = at(time.Hour)
	list, err := e.s.ListUsers(e.ctx, a.ID)
	e.must(err, "ListUsers")
	check(t, "ListUsers", list, []carillon.User{want, other})

	wantNotFound(t, map[string]func() error{
		"SetUserPassword other account":  func() error { return e.s.SetUserPassword(e.ctx, b.ID, admin.ID, "x") },
		"SetUserPassword missing":        func() error { return e.s.SetUserPassword(e.ctx, a.ID, admin.ID+other.ID+ub.ID+100, "x") },
		"UserPasswordHash other account": func() error { _, err := e.s.UserPasswordHash(e.ctx, b.ID, admin.ID); return err },
		"TouchUserSignIn other account":  func() error { return e.s.TouchUserSignIn(e.ctx, b.ID, admin.ID, at(2*time.Hour)) },
	})
	hash, err = e.s.UserPasswordHash(e.ctx, a.ID, admin.ID)
	e.must(err, "UserPasswordHash")
	check(t, "password hash after refused changes", hash, h)
	got, err = e.s.UserByID(e.ctx, b.ID, ub.ID)
	e.must(err, "UserByID")
	check(t, "the other account's user of the same email", got, ub)

	// Across accounts, oldest account first; the email as written.
	c := e.account("c")
	uc := e.user(c.ID, "ana@example.com")
	byEmail, err := e.s.UsersByEmail(e.ctx, "ana@example.com")
	e.must(err, "UsersByEmail")
	check(t, "UsersByEmail", userEmailsAccounts(byEmail), []int64{a.ID, b.ID, c.ID})
	check(t, "UsersByEmail of the oldest account", byEmail[0], want)
	check(t, "UsersByEmail of the newest account", byEmail[2], uc)
	byEmail, err = e.s.UsersByEmail(e.ctx, "nobody@example.com")
	e.must(err, "UsersByEmail")
	if len(byEmail) != 0 {
		t.Errorf("UsersByEmail of an unknown email: %d users", len(byEmail))
	}
}

func userEmailsAccounts(us []carillon.User) []int64 {
	out := []int64{}
	for _, u := range us {
		out = append(out, u.AccountID)
	}
	return out
}

func (e *env) session(u carillon.User, hash string, lastSeen time.Time) carillon.Session {
	e.t.Helper()
	s := carillon.Session{AccountID: u.AccountID, UserID: u.ID, Hash: hash, Address: "192.0.2.7", UserAgent: "Firefox \"quoted\"",
		CreatedAt: lastSeen, LastSeenAt: lastSeen, ExpiresAt: lastSeen.Add(24 * time.Hour)}
	e.must(e.s.CreateSession(e.ctx, &s), "CreateSession")
	if s.ID == 0 {
		e.t.Fatal("CreateSession left the ID 0")
	}
	s.CreatedAt, s.LastSeenAt, s.ExpiresAt = norm(s.CreatedAt), norm(s.LastSeenAt), norm(s.ExpiresAt)
	return s
}

func testSessions(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u, other := e.user(a.ID, "ana@example.com"), e.user(a.ID, "bo@example.com")
	ub := e.user(b.ID, "ana@example.com")
	s1 := e.session(u, strings.Repeat("a1", 32), sloppy(base))
	s2 := e.session(u, strings.Repeat("b2", 32), at(time.Hour))
	so := e.session(other, strings.Repeat("c3", 32), at(time.Hour))
	sb := e.session(ub, strings.Repeat("d4", 32), at(time.Hour))

	got, err := e.s.SessionByHash(e.ctx, s1.Hash)
	e.must(err, "SessionByHash")
	check(t, "SessionByHash", got, s1)
	dup := carillon.Session{AccountID: a.ID, UserID: u.ID, Hash: s1.Hash, CreatedAt: base, LastSeenAt: base, ExpiresAt: base}
	wantErr(t, "CreateSession with a hash taken", e.s.CreateSession(e.ctx, &dup), carillon.ErrConflict)

	list, err := e.s.ListUserSessions(e.ctx, a.ID, u.ID)
	e.must(err, "ListUserSessions")
	check(t, "ListUserSessions", list, []carillon.Session{s1, s2})
	list, err = e.s.ListUserSessions(e.ctx, b.ID, u.ID)
	e.must(err, "ListUserSessions")
	if len(list) != 0 {
		t.Errorf("ListUserSessions with another account: %d sessions", len(list))
	}

	// Touching moves the last use and the expiry forward only, and not
	// from another account.
	touches := []struct {
		account  int64
		seen     time.Time
		wantSeen time.Time
	}{
		{a.ID, sloppy(at(10 * time.Minute)), at(10 * time.Minute)},
		{a.ID, at(5 * time.Minute), at(10 * time.Minute)},
		{b.ID, at(20 * time.Minute), at(10 * time.Minute)},
		{a.ID, at(30 * time.Minute), at(30 * time.Minute)},
	}
	for _, tc := range touches {
		e.must(e.s.TouchSession(e.ctx, tc.account, s1.ID, tc.seen, tc.seen.Add(24*time.Hour)), "TouchSession")
		got, err := e.s.SessionByHash(e.ctx, s1.Hash)
		e.must(err, "SessionByHash")
		want := s1
		want.LastSeenAt, want.ExpiresAt = tc.wantSeen, tc.wantSeen.Add(24*time.Hour)
		check(t, "session after touching at "+show(tc.seen), got, want)
	}
	s1.LastSeenAt, s1.ExpiresAt = at(30*time.Minute), at(30*time.Minute+24*time.Hour)

	// Ending one session, then all of a user's.
	wantErr(t, "DeleteSession of another account", e.s.DeleteSession(e.ctx, b.ID, s2.ID), carillon.ErrNotFound)
	e.must(e.s.DeleteSession(e.ctx, a.ID, s2.ID), "DeleteSession")
	wantErr(t, "DeleteSession twice", e.s.DeleteSession(e.ctx, a.ID, s2.ID), carillon.ErrNotFound)
	_, err = e.s.SessionByHash(e.ctx, s2.Hash)
	wantErr(t, "SessionByHash of an ended session", err, carillon.ErrNotFound)

	n, err := e.s.DeleteUserSessions(e.ctx, b.ID, u.ID)
	e.must(err, "DeleteUserSessions")
	check(t, "sessions ended with another account", n, int64(0))
	s3 := e.session(u, strings.Repeat("e5", 32), at(2*time.Hour))
	n, err = e.s.DeleteUserSessions(e.ctx, a.ID, u.ID)
	e.must(err, "DeleteUserSessions")
	check(t, "sessions ended", n, int64(2))
	for _, s := range []carillon.Session{s1, s3} {
		_, err = e.s.SessionByHash(e.ctx, s.Hash)
		wantErr(t, "SessionByHash after DeleteUserSessions", err, carillon.ErrNotFound)
	}
	for _, s := range []carillon.Session{so, sb} {
		got, err := e.s.SessionByHash(e.ctx, s.Hash)
		e.must(err, "SessionByHash of another user's session")
		check(t, "another user's session after DeleteUserSessions", got, s)
	}

	// Forgetting the expired: so expires at 25h, sb is made to expire later.
	e.must(e.s.TouchSession(e.ctx, b.ID, sb.ID, at(3*time.Hour), at(27*time.Hour)), "TouchSession")
	n, err = e.s.DeleteExpiredSessions(e.ctx, at(25*time.Hour))
	e.must(err, "DeleteExpiredSessions")
	check(t, "sessions expired before their expiry", n, int64(0))
	n, err = e.s.DeleteExpiredSessions(e.ctx, at(26*time.Hour))
	e.must(err, "DeleteExpiredSessions")
	check(t, "sessions expired", n, int64(1))
	_, err = e.s.SessionByHash(e.ctx, so.Hash)
	wantErr(t, "SessionByHash of an expired session", err, carillon.ErrNotFound)
	_, err = e.s.SessionByHash(e.ctx, sb.Hash)
	e.must(err, "SessionByHash of a session not expired")
}

func testSignInLinks(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u := e.user(a.ID, "ana@example.com")
	first := carillon.SignInLink{AccountID: a.ID, Hash: strings.Repeat("a1", 32), CreatedAt: sloppy(base), ExpiresAt: sloppy(at(24 * time.Hour))}
	invite := carillon.SignInLink{AccountID: a.ID, UserID: u.ID, Hash: strings.Repeat("b2", 32), CreatedAt: base, ExpiresAt: at(24 * time.Hour)}
	for _, l := range []*carillon.SignInLink{&first, &invite} {
		e.must(e.s.CreateSignInLink(e.ctx, l), "CreateSignInLink")
		if l.ID == 0 {
			t.Fatal("CreateSignInLink left the ID 0")
		}
		l.CreatedAt, l.ExpiresAt = norm(l.CreatedAt), norm(l.ExpiresAt)
	}
	dup := carillon.SignInLink{AccountID: b.ID, Hash: first.Hash, CreatedAt: base, ExpiresAt: base}
	wantErr(t, "CreateSignInLink with a hash taken", e.s.CreateSignInLink(e.ctx, &dup), carillon.ErrConflict)

	for _, l := range []carillon.SignInLink{first, invite} {
		got, err := e.s.SignInLinkByHash(e.ctx, l.Hash)
		e.must(err, "SignInLinkByHash")
		check(t, "SignInLinkByHash", got, l)
	}
	_, err := e.s.SignInLinkByHash(e.ctx, strings.Repeat("ff", 32))
	wantErr(t, "SignInLinkByHash of an unknown hash", err, carillon.ErrNotFound)

	// Used once only, and not from another account.
	wantErr(t, "UseSignInLink of another account", e.s.UseSignInLink(e.ctx, b.ID, invite.ID, at(time.Hour)), carillon.ErrNotFound)
	e.must(e.s.UseSignInLink(e.ctx, a.ID, invite.ID, sloppy(at(time.Hour))), "UseSignInLink")
	wantErr(t, "UseSignInLink twice", e.s.UseSignInLink(e.ctx, a.ID, invite.ID, at(2*time.Hour)), carillon.ErrNotFound)
	got, err := e.s.SignInLinkByHash(e.ctx, invite.Hash)
	e.must(err, "SignInLinkByHash")
	invite.UsedAt = at(time.Hour)
	check(t, "link after its use", got, invite)
	got, err = e.s.SignInLinkByHash(e.ctx, first.Hash)
	e.must(err, "SignInLinkByHash")
	check(t, "another link after a use", got, first)
}
