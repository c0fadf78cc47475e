package service_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// peopleFixture is the default account of a service on a clock the test
// moves, with a webhook that keeps agent_session_updated events.
type peopleFixture struct {
	svc   *service.Service
	db    *store.DB
	clock *manualClock
	acct  carillon.Account
	p     service.Principal
}

func setupPeople(t *testing.T, o service.PeopleOptions) *peopleFixture {
	t.Helper()
	db := testrig.SQLite(t)
	clock := &manualClock{t: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	svc := testrig.Service(t, service.Options{Store: db, Clock: clock, Registry: providers, People: o})
	a := testrig.DefaultAccount(t, svc)
	if _, _, err := svc.Webhooks.Subscribe(context.Background(), a.Principal, "https://hooks.example.com/x", []string{carillon.EventAgentSessionUpdated}); err != nil {
		t.Fatal(err)
	}
	return &peopleFixture{svc: svc, db: db, clock: clock, acct: a.Account, p: a.Principal}
}

// createUser creates a user of the fixture's account, or fails the test.
func (f *peopleFixture) createUser(t *testing.T, email, name string, role carillon.Role, password string) carillon.User {
	t.Helper()
	u, err := f.svc.People.CreateUser(context.Background(), f.acct.ID, email, name, role, password)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// sessionActions lists the actions of the agent_session_updated events
// recorded since the last call, as "email:action".
func (f *peopleFixture) sessionActions(t *testing.T) string {
	t.Helper()
	var out []string
	for _, e := range pendingEvents(t, &fixture{db: f.db, p: f.p}) {
		p := payloadOf(t, e)
		user, _ := p["user"].(map[string]any)
		out = append(out, user["email"].(string)+":"+p["action"].(string))
	}
	return strings.Join(out, ",")
}

var client = service.SignInClient{Address: "192.0.2.7", UserAgent: "test browser"}

func wantUnauthorized(t *testing.T, what string, err error) *carillon.Error {
	t.Helper()
	e, ok := carillon.AsError(err)
	if !ok || e.Code != carillon.CodeUnauthorized {
		t.Fatalf("%s: error %v, want unauthorized", what, err)
	}
	if _, throttled := service.RetryAfter(err); throttled {
		t.Fatalf("%s: throttled, want a plain refusal", what)
	}
	return e
}

func TestSignIn(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	ana := f.createUser(t, " Ana@Example.com ", "Ana", carillon.RoleAdmin, "correct horse")
	if ana.Email != "ana@example.com" || ana.Role != carillon.RoleAdmin || !ana.HasPassword {
		t.Fatalf("created %+v", ana)
	}
	var refusal *carillon.Error
	tests := []struct {
		name, email, password string
		ok                    bool
	}{
		{"right", "ana@example.com", "correct horse", true},
		{"email in another case, with spaces", "  ANA@example.COM", "correct horse", true},
		{"wrong password", "ana@example.com", "correct horsE", false},
		{"unknown email", "bo@example.com", "correct horse", false},
		{"not an email", "ana", "correct horse", false},
		{"empty password", "ana@example.com", "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token, s, u, err := f.svc.People.SignIn(ctx, tc.email, tc.password, client)
			if !tc.ok {
				e := wantUnauthorized(t, "SignIn", err)
				if refusal != nil && *e != *refusal {
					t.Errorf("refusal %+v differs from another refusal %+v: it tells which was wrong", e, refusal)
				}
				refusal = e
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if token == "" || u.ID != ana.ID || s.UserID != ana.ID || s.AccountID != f.acct.ID || s.Address != client.Address || s.UserAgent != client.UserAgent {
				t.Fatalf("signed in: token %q, session %+v, user %+v", token, s, u)
			}
			if !u.LastSignInAt.Equal(f.clock.Now()) {
				t.Errorf("last sign-in %v, want %v", u.LastSignInAt, f.clock.Now())
			}
			gotS, gotU, err := f.svc.People.Session(ctx, token)
			if err != nil || gotS.ID != s.ID || gotU.ID != ana.ID || gotU.Role != carillon.RoleAdmin {
				t.Fatalf("Session of the new token: %+v, %+v, %v", gotS, gotU, err)
			}
			stored, err := f.db.SessionByHash(ctx, service.HashKey(token))
			if err != nil || stored.ID != s.ID {
				t.Fatalf("the store keeps the token's hash: %+v, %v", stored, err)
			}
		})
	}
	if got := f.sessionActions(t); got != "ana@example.com:user_logged_in,ana@example.com:user_logged_in" {
		t.Errorf("events = %q", got)
	}
	hash, err := f.db.UserPasswordHash(ctx, f.acct.ID, ana.ID)
	if err != nil || !strings.HasPrefix(hash, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Contains(hash, "correct horse") {
		t.Errorf("stored hash %q, %v", hash, err)
	}
}

// TestSignInAcrossAccounts checks that an email signs into the oldest
// account whose password matches.
func TestSignInAcrossAccounts(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	var accts []carillon.Account
	for _, name := range []string{"second", "third"} {
		a, _, _, err := f.svc.Accounts.SetupAccount(ctx, name, false)
		if err != nil {
			t.Fatal(err)
		}
		accts = append(accts, a)
	}
	passwords := map[int64]string{f.acct.ID: "password one", accts[0].ID: "password two", accts[1].ID: "password two"}
	for id, pw := range passwords {
		if _, err := f.svc.People.CreateUser(ctx, id, "ana@example.com", "Ana", carillon.RoleAgent, pw); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct {
		password string
		want     int64
	}{
		{"password one", f.acct.ID},
		{"password two", accts[0].ID},
	} {
		_, s, u, err := f.svc.People.SignIn(ctx, "ana@example.com", tc.password, client)
		if err != nil || s.AccountID != tc.want || u.AccountID != tc.want {
			t.Errorf("password %q: signed into account %d (user of %d), %v; want %d", tc.password, s.AccountID, u.AccountID, err, tc.want)
		}
	}
}

func TestSignInThrottling(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{SignInFailureLimit: 3})
	ctx := context.Background()
	for _, email := range []string{"ana@example.com", "bo@example.com"} {
		if _, err := f.svc.People.CreateUser(ctx, f.acct.ID, email, "Someone", carillon.RoleAgent, "right password"); err != nil {
			t.Fatal(err)
		}
	}
	a := service.SignInClient{Address: "192.0.2.1"}
	a6 := service.SignInClient{Address: "2001:db8:1:2::1"}
	signIn := func(email, password string, c service.SignInClient) error {
		_, _, _, err := f.svc.People.SignIn(ctx, email, password, c)
		return err
	}
	// Three failures of ana's email from address a use up both limits.
	for range 3 {
		wantUnauthorized(t, "a wrong password", signIn("ana@example.com", "wrong password", a))
	}
	perPeriod := service.SignInFailurePeriod / 3
	tests := []struct {
		name     string
		email    string
		c        service.SignInClient
		throttle bool
	}{
		{"same address, same email, right password", "ana@example.com", a, true},
		{"same address, another email", "bo@example.com", a, true},
		{"another address, same email", "ana@example.com", service.SignInClient{Address: "192.0.2.2"}, true},
		{"another address, another email", "bo@example.com", service.SignInClient{Address: "192.0.2.2"}, false},
	}
	for _, tc := range tests {
		err := signIn(tc.email, "right password", tc.c)
		wait, throttled := service.RetryAfter(err)
		if throttled != tc.throttle {
			t.Fatalf("%s: error %v, throttled %v; want throttled %v", tc.name, err, throttled, tc.throttle)
		}
		if !tc.throttle {
			continue
		}
		if e, _ := carillon.AsError(err); e == nil || e.Code != carillon.CodeRateLimited {
			t.Errorf("%s: error %v, want rate_limited", tc.name, err)
		}
		if wait != perPeriod {
			t.Errorf("%s: retry after %s, want %s", tc.name, wait, perPeriod)
		}
	}
	// An IPv6 client is counted by its /64.
	for range 3 {
		wantUnauthorized(t, "a wrong password", signIn("nobody@example.com", "wrong password", a6))
	}
	if _, throttled := service.RetryAfter(signIn("bo@example.com", "right password", service.SignInClient{Address: "2001:db8:1:2:ffff::9"})); !throttled {
		t.Error("another address of the same /64 is not throttled")
	}
	// Once a failure is forgiven, one more attempt is allowed.
	f.clock.advance(perPeriod)
	if err := signIn("ana@example.com", "right password", a); err != nil {
		t.Fatalf("after the wait: %v", err)
	}
}

func TestSignInUnlimitedByDefault(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "right password")
	for range 12 {
		_, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "wrong password", client)
		wantUnauthorized(t, "wrong password", err)
	}
	if _, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "right password", client); err != nil {
		t.Fatal(err)
	}
}

func TestSessionExpiryAndSliding(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{SessionLifetime: time.Hour})
	ctx := context.Background()
	f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "right password")
	token, s0, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "right password", client)
	if err != nil {
		t.Fatal(err)
	}
	start := f.clock.Now()
	if !s0.ExpiresAt.Equal(start.Add(time.Hour)) {
		t.Fatalf("new session expires at %v, want %v", s0.ExpiresAt, start.Add(time.Hour))
	}
	type step struct {
		after   time.Duration
		alive   bool
		expires time.Duration // since start, when alive
	}
	for i, st := range []step{
		{30 * time.Second, true, time.Hour},
		{90 * time.Second, true, 2*time.Minute + time.Hour},
		{59 * time.Minute, true, 61*time.Minute + time.Hour},
		{time.Hour - time.Millisecond, true, 121*time.Minute - time.Millisecond + time.Hour}, // unused a lifetime less 1ms
		{time.Hour, false, 0}, // unused a whole lifetime
	} {
		f.clock.advance(st.after)
		s, _, err := f.svc.People.Session(ctx, token)
		if !st.alive {
			wantUnauthorized(t, "Session past its expiry", err)
			continue
		}
		if err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if !s.ExpiresAt.Equal(start.Add(st.expires)) {
			t.Errorf("step %d: expires at +%s, want +%s", i, s.ExpiresAt.Sub(start), st.expires)
		}
		stored, err := f.db.SessionByHash(ctx, service.HashKey(token))
		if err != nil || !stored.ExpiresAt.Equal(s.ExpiresAt) {
			t.Errorf("step %d: stored expiry %v, answered %v (%v)", i, stored.ExpiresAt, s.ExpiresAt, err)
		}
	}
	for _, bad := range []string{"", "nonsense", strings.Repeat("0", 64), "bad\x00token"} {
		_, _, err := f.svc.People.Session(ctx, bad)
		wantUnauthorized(t, "Session of "+bad, err)
	}
}

func TestSignOut(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	ana := f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "right password")
	var tokens []string
	for range 3 {
		token, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "right password", client)
		if err != nil {
			t.Fatal(err)
		}
		tokens = append(tokens, token)
	}
	live, err := f.svc.People.Sessions(ctx, f.acct.ID, ana.ID)
	if err != nil || len(live) != 3 {
		t.Fatalf("sessions: %d, %v", len(live), err)
	}
	if err := f.svc.People.SignOut(ctx, tokens[0]); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.People.Session(ctx, tokens[0])
	wantUnauthorized(t, "Session after SignOut", err)
	if _, _, err := f.svc.People.Session(ctx, tokens[1]); err != nil {
		t.Fatalf("another session after SignOut: %v", err)
	}
	if err := f.svc.People.SignOut(ctx, tokens[0]); err != nil {
		t.Fatalf("SignOut twice: %v", err)
	}
	if err := f.svc.People.SignOutEverywhere(ctx, f.acct.ID, ana.ID); err != nil {
		t.Fatal(err)
	}
	for _, token := range tokens[1:] {
		_, _, err = f.svc.People.Session(ctx, token)
		wantUnauthorized(t, "Session after SignOutEverywhere", err)
	}
	if err := f.svc.People.SignOutEverywhere(ctx, f.acct.ID, ana.ID); err != nil {
		t.Fatalf("SignOutEverywhere with no session: %v", err)
	}
	if live, err := f.svc.People.Sessions(ctx, f.acct.ID, ana.ID); err != nil || len(live) != 0 {
		t.Errorf("sessions after SignOutEverywhere: %d, %v", len(live), err)
	}
	want := "ana@example.com:user_logged_in,ana@example.com:user_logged_in,ana@example.com:user_logged_in," +
		"ana@example.com:user_logged_out,ana@example.com:user_logged_out"
	if got := f.sessionActions(t); got != want {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestSetPasswordEndsSessions(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "old password")
	token, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "old password", client)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.People.SetPassword(ctx, f.acct.ID, "ANA@example.com", "new password"); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.People.Session(ctx, token)
	wantUnauthorized(t, "Session after a password change", err)
	_, _, _, err = f.svc.People.SignIn(ctx, "ana@example.com", "old password", client)
	wantUnauthorized(t, "the old password", err)
	if _, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "new password", client); err != nil {
		t.Fatalf("the new password: %v", err)
	}
	if got := f.sessionActions(t); got != "ana@example.com:user_logged_in,ana@example.com:system_logged_out,ana@example.com:user_logged_in" {
		t.Errorf("events = %q", got)
	}
	for _, tc := range []struct {
		email, password string
		code            carillon.ErrorCode
		field           string
	}{
		{"ana@example.com", "short", carillon.CodeInvalidParameter, "password"},
		{"bo@example.com", "long enough", carillon.CodeNotFound, ""},
	} {
		wantCode(t, f.svc.People.SetPassword(ctx, f.acct.ID, tc.email, tc.password), tc.code, tc.field)
	}
}

func TestCreateUserValidation(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "right password")
	tests := []struct {
		name         string
		email, uname string
		role         carillon.Role
		password     string
		code         carillon.ErrorCode
		field        string
	}{
		{"no email", "", "Bo", carillon.RoleAgent, "right password", carillon.CodeInvalidParameter, "email"},
		{"not an email", "bo at example.com", "Bo", carillon.RoleAgent, "right password", carillon.CodeInvalidParameter, "email"},
		{"a name with the email", "Bo <bo@example.com>", "Bo", carillon.RoleAgent, "right password", carillon.CodeInvalidParameter, "email"},
		{"no name", "bo@example.com", "  ", carillon.RoleAgent, "right password", carillon.CodeInvalidParameter, "name"},
		{"no role", "bo@example.com", "Bo", "", "right password", carillon.CodeInvalidParameter, "role"},
		{"unknown role", "bo@example.com", "Bo", "owner", "right password", carillon.CodeInvalidParameter, "role"},
		{"password of 7", "bo@example.com", "Bo", carillon.RoleAgent, "1234567", carillon.CodeInvalidParameter, "password"},
		{"password of 257", "bo@example.com", "Bo", carillon.RoleAgent, strings.Repeat("p", 257), carillon.CodeInvalidParameter, "password"},
		{"email taken", "ANA@example.com", "Ana again", carillon.RoleAgent, "right password", carillon.CodeAlreadyExists, "email"},
	}
	for _, tc := range tests {
		_, err := f.svc.People.CreateUser(ctx, f.acct.ID, tc.email, tc.uname, tc.role, tc.password)
		e, ok := carillon.AsError(err)
		if !ok || e.Code != tc.code || e.Field != tc.field {
			t.Errorf("%s: error %v, want %s on %q", tc.name, err, tc.code, tc.field)
		}
	}
	// The limits themselves are allowed, counted in characters.
	for _, pw := range []string{"12345678", strings.Repeat("é", 256)} {
		if _, err := f.svc.People.CreateUser(ctx, f.acct.ID, "u"+pw[:2]+"@example.com", "U", carillon.RoleAgent, pw); err != nil {
			t.Errorf("password of %d characters: %v", len([]rune(pw)), err)
		}
	}
	var users []carillon.User
	err := f.svc.People.EachUser(ctx, f.acct.ID, func(us []carillon.User) error {
		users = append(users, us...)
		return nil
	})
	if err != nil || len(users) != 3 {
		t.Fatalf("EachUser: %d users, %v; want 3, nothing of the refused ones", len(users), err)
	}
}

// TestEachUser walks an account's users a page at a time: every user once,
// oldest first, in pages of service.MaxPageSize, whatever their number.
func TestEachUser(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 1, service.MaxPageSize - 1, service.MaxPageSize, 2*service.MaxPageSize + 1} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			f := setupPeople(t, service.PeopleOptions{})
			ctx := context.Background()
			other, _, _, err := f.svc.Accounts.SetupAccount(ctx, "other", false)
			if err != nil {
				t.Fatal(err)
			}
			var want []int64
			for i := range n {
				u := carillon.User{UUID: carillon.NewUUID(), AccountID: f.acct.ID, Email: fmt.Sprintf("u%03d@example.com", i), Name: "U", Role: carillon.RoleAgent}
				if err := f.db.CreateUser(ctx, &u); err != nil {
					t.Fatal(err)
				}
				want = append(want, u.ID)
				theirs := carillon.User{UUID: carillon.NewUUID(), AccountID: other.ID, Email: u.Email, Name: "Other", Role: carillon.RoleAgent}
				if err := f.db.CreateUser(ctx, &theirs); err != nil {
					t.Fatal(err)
				}
			}
			var got []int64
			var pages []int
			err = f.svc.People.EachUser(ctx, f.acct.ID, func(us []carillon.User) error {
				pages = append(pages, len(us))
				for _, u := range us {
					got = append(got, u.ID)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, want) {
				t.Errorf("EachUser: users %v, want %v", got, want)
			}
			for _, size := range pages {
				if size > service.MaxPageSize || size == 0 {
					t.Errorf("EachUser: pages of %v users, want 1 to %d each", pages, service.MaxPageSize)
				}
			}
		})
	}
}

func TestSetRole(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	ana := f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "right password")
	other, _, _, err := f.svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		account int64
		uuid    string
		role    carillon.Role
		code    carillon.ErrorCode // "": accepted
		want    carillon.Role
	}{
		{f.acct.ID, ana.UUID, carillon.RoleSettingsAgent, "", carillon.RoleSettingsAgent},
		{f.acct.ID, ana.UUID, carillon.RoleSettingsAgent, "", carillon.RoleSettingsAgent},
		{f.acct.ID, ana.UUID, "superuser", carillon.CodeInvalidParameter, carillon.RoleSettingsAgent},
		{other.ID, ana.UUID, carillon.RoleAdmin, carillon.CodeNotFound, carillon.RoleSettingsAgent},
		{f.acct.ID, carillon.NewUUID(), carillon.RoleAdmin, carillon.CodeNotFound, carillon.RoleSettingsAgent},
		{f.acct.ID, ana.UUID, carillon.RoleRestrictedAgent, "", carillon.RoleRestrictedAgent},
	}
	for i, tc := range tests {
		err := f.svc.People.SetRole(ctx, tc.account, tc.uuid, tc.role)
		if e, _ := carillon.AsError(err); (tc.code == "" && err != nil) || (tc.code != "" && (e == nil || e.Code != tc.code)) {
			t.Errorf("case %d: error %v, want %q", i, err, tc.code)
		}
		u, err := f.db.UserByID(ctx, f.acct.ID, ana.ID)
		if err != nil || u.Role != tc.want {
			t.Errorf("case %d: role %q, %v; want %q", i, u.Role, err, tc.want)
		}
	}
}

func TestInviteLink(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	u, link, err := f.svc.People.Invite(ctx, f.acct.ID, "bo@example.com", "Bo", carillon.RoleRestrictedAgent)
	if err != nil {
		t.Fatal(err)
	}
	token, ok := strings.CutPrefix(link, "http://carillon.test/welcome/")
	if !ok || len(token) < 40 || u.HasPassword || u.Role != carillon.RoleRestrictedAgent {
		t.Fatalf("invite: %+v, link %q", u, link)
	}
	// An invited user cannot sign in before choosing a password.
	_, _, _, err = f.svc.People.SignIn(ctx, "bo@example.com", "", client)
	wantUnauthorized(t, "SignIn of an invited user", err)

	l, lu, err := f.svc.People.SignInLink(ctx, token)
	if err != nil || l.UserID != u.ID || lu.ID != u.ID || !l.ExpiresAt.Equal(f.clock.Now().Add(service.InviteLinkLifetime)) {
		t.Fatalf("SignInLink: %+v, %+v, %v", l, lu, err)
	}
	wantCode(t, useLink(f, token, "", "", "short"), carillon.CodeInvalidParameter, "password")
	sessionToken, s, su, err := f.svc.People.UseSignInLink(ctx, token, "ignored@example.com", "Ignored", "bo's password", client)
	if err != nil || sessionToken == "" || s.UserID != u.ID || su.Email != "bo@example.com" || su.Name != "Bo" || !su.HasPassword {
		t.Fatalf("UseSignInLink: %+v, %+v, %v", s, su, err)
	}
	// Used once only.
	wantCode(t, useLink(f, token, "", "", "another password"), carillon.CodeNotFound, "")
	_, _, err = f.svc.People.SignInLink(ctx, token)
	wantCode(t, err, carillon.CodeNotFound, "")
	if _, _, _, err := f.svc.People.SignIn(ctx, "bo@example.com", "bo's password", client); err != nil {
		t.Fatalf("SignIn with the chosen password: %v", err)
	}
	if got := f.sessionActions(t); got != "bo@example.com:user_logged_in,bo@example.com:user_logged_in" {
		t.Errorf("events = %q", got)
	}

	// A link expires; inviting again gives a new one; a user with a
	// password is not invited.
	_, link, err = f.svc.People.Invite(ctx, f.acct.ID, "cy@example.com", "Cy", carillon.RoleAgent)
	if err != nil {
		t.Fatal(err)
	}
	expired := strings.TrimPrefix(link, "http://carillon.test/welcome/")
	f.clock.advance(service.InviteLinkLifetime)
	_, _, err = f.svc.People.SignInLink(ctx, expired)
	wantCode(t, err, carillon.CodeNotFound, "")
	wantCode(t, useLink(f, expired, "", "", "cy's password"), carillon.CodeNotFound, "")
	again, link, err := f.svc.People.Invite(ctx, f.acct.ID, "cy@example.com", "Cy", carillon.RoleSettingsAgent)
	if err != nil || again.Role != carillon.RoleSettingsAgent {
		t.Fatalf("invite again: %+v, %v", again, err)
	}
	if err := useLink(f, strings.TrimPrefix(link, "http://carillon.test/welcome/"), "", "", "cy's password"); err != nil {
		t.Fatalf("the new link: %v", err)
	}
	_, _, err = f.svc.People.Invite(ctx, f.acct.ID, "cy@example.com", "Cy", carillon.RoleAgent)
	wantCode(t, err, carillon.CodeAlreadyExists, "email")
}

func useLink(f *peopleFixture, token, email, name, password string) error {
	_, _, _, err := f.svc.People.UseSignInLink(context.Background(), token, email, name, password, client)
	return err
}

func TestFirstAdminLink(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	link, err := f.svc.People.FirstAdminLink(ctx, f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	token := strings.TrimPrefix(link, "http://carillon.test/welcome/")
	l, u, err := f.svc.People.SignInLink(ctx, token)
	if err != nil || l.UserID != 0 || u.ID != 0 || l.AccountID != f.acct.ID || !l.ExpiresAt.Equal(f.clock.Now().Add(24*time.Hour)) {
		t.Fatalf("SignInLink: %+v, %+v, %v", l, u, err)
	}
	// What the opener gives is checked, and a refusal leaves the link.
	wantCode(t, useLink(f, token, "not an email", "Ana", "ana's password"), carillon.CodeInvalidParameter, "email")
	wantCode(t, useLink(f, token, "ana@example.com", "", "ana's password"), carillon.CodeInvalidParameter, "name")
	_, s, admin, err := f.svc.People.UseSignInLink(ctx, token, "Ana@example.com", "Ana", "ana's password", client)
	if err != nil || admin.Role != carillon.RoleAdmin || admin.Email != "ana@example.com" || s.UserID != admin.ID || s.AccountID != f.acct.ID {
		t.Fatalf("UseSignInLink: %+v, %+v, %v", s, admin, err)
	}
	wantCode(t, useLink(f, token, "eve@example.com", "Eve", "eve's password"), carillon.CodeNotFound, "")
	users, err := eachUser(ctx, f.svc.People, f.acct.ID)
	if err != nil || len(users) != 1 || users[0].Role != carillon.RoleAdmin || !users[0].HasPassword {
		t.Fatalf("users: %+v, %v", users, err)
	}

	// A first admin's link adopts a user declared without a password, but
	// takes no one's password over.
	link, err = f.svc.People.FirstAdminLink(ctx, f.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	token = strings.TrimPrefix(link, "http://carillon.test/welcome/")
	wantCode(t, useLink(f, token, "ana@example.com", "Ana", "another password"), carillon.CodeAlreadyExists, "email")
	if _, _, err := f.svc.People.SignInLink(ctx, token); err != nil {
		t.Fatalf("a refused use used the link: %v", err)
	}
	f.clock.advance(service.FirstAdminLinkLifetime)
	wantCode(t, useLink(f, token, "bo@example.com", "Bo", "bo's password"), carillon.CodeNotFound, "")
	if _, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "ana's password", client); err != nil {
		t.Fatal(err)
	}
}

func TestRetryAfterOfOtherErrors(t *testing.T) {
	t.Parallel()
	for _, err := range []error{nil, errors.New("x"), carillon.Errorf(carillon.CodeRateLimited, "API rate")} {
		if _, ok := service.RetryAfter(err); ok {
			t.Errorf("RetryAfter(%v) reports a throttled sign-in", err)
		}
	}
}

// TestApplyRoles checks the roles of a declaration: given, they are set;
// not given, a new user is an agent and an existing one keeps theirs.
func TestApplyRoles(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	apply := func(yaml string) []string {
		t.Helper()
		d, err := declaration.Parse("account.yaml", []byte(yaml), providers)
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.svc.Resources.Apply(ctx, f.acct.ID, d)
		if err != nil {
			t.Fatal(err)
		}
		return res.Changes
	}
	roles := func() string {
		t.Helper()
		users, err := eachUser(ctx, f.svc.People, f.acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, u := range users {
			out = append(out, u.Email+":"+string(u.Role))
		}
		return strings.Join(out, ",")
	}
	steps := []struct {
		file    string
		roles   string
		changes int
	}{
		{"users:\n  - {email: ana@example.com, name: Ana, role: admin}\n  - {email: bo@example.com, name: Bo}\n",
			"ana@example.com:admin,bo@example.com:agent", 2},
		{"users:\n  - {email: ana@example.com, name: Ana}\n  - {email: bo@example.com, name: Bo, role: agent}\n",
			"ana@example.com:admin,bo@example.com:agent", 0},
		{"users:\n  - {email: bo@example.com, name: Bo, role: restricted_agent}\n",
			"ana@example.com:admin,bo@example.com:restricted_agent", 1},
	}
	for i, st := range steps {
		changes := apply(st.file)
		if got := roles(); got != st.roles || len(changes) != st.changes {
			t.Errorf("step %d: roles %q, changes %q; want %q and %d changes", i, got, changes, st.roles, st.changes)
		}
	}
	if got := apply("users:\n  - {email: bo@example.com, name: Bo, role: settings_agent}\n"); len(got) != 1 || got[0] != "updated user bo@example.com: role" {
		t.Errorf("changes = %q", got)
	}
}

// TestSetRoleKeepsAnAdmin refuses to take the admin role from the last
// admin who can sign in, and lets it go once another admin has a password.
func TestSetRoleKeepsAnAdmin(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	ana := f.createUser(t, "ana@example.com", "Ana", carillon.RoleAdmin, "right password")
	// An invited admin cannot sign in yet: they do not count.
	bo, _, err := f.svc.People.Invite(ctx, f.acct.ID, "bo@example.com", "Bo", carillon.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		do   func() error
		uuid string
		role carillon.Role
		code carillon.ErrorCode // "": accepted
	}{
		{"the last admin with a password", nil, ana.UUID, carillon.RoleAgent, carillon.CodeConflict},
		{"the last admin to admin", nil, ana.UUID, carillon.RoleAdmin, ""},
		{"an admin without a password", nil, bo.UUID, carillon.RoleSettingsAgent, ""},
		{"once another admin signs in", func() error {
			_, err := f.svc.People.CreateUser(ctx, f.acct.ID, "cy@example.com", "Cy", carillon.RoleAdmin, "right password")
			return err
		}, ana.UUID, carillon.RoleAgent, ""},
	}
	for _, s := range steps {
		if s.do != nil {
			if err := s.do(); err != nil {
				t.Fatal(err)
			}
		}
		err := f.svc.People.SetRole(ctx, f.acct.ID, s.uuid, s.role)
		if s.code == "" {
			if err != nil {
				t.Errorf("%s: %v", s.name, err)
			}
			continue
		}
		wantCode(t, err, s.code, "role")
		u, err := f.db.UserByUUID(ctx, f.acct.ID, s.uuid)
		if err != nil || u.Role != carillon.RoleAdmin {
			t.Errorf("%s: role %q after the refusal, %v", s.name, u.Role, err)
		}
	}
	// Cy is now the last admin.
	users, _ := eachUser(ctx, f.svc.People, f.acct.ID)
	for _, u := range users {
		if u.Email == "cy@example.com" {
			wantCode(t, f.svc.People.SetRole(ctx, f.acct.ID, u.UUID, carillon.RoleRestrictedAgent), carillon.CodeConflict, "role")
		}
	}
}

// TestApplyKeepsAnAdmin: a declaration may not take the admin role from
// the last admin who can sign in; it may when it makes another one, in the
// same file or before.
func TestApplyKeepsAnAdmin(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	for _, u := range []struct {
		email string
		role  carillon.Role
	}{{"ana@example.com", carillon.RoleAdmin}, {"cy@example.com", carillon.RoleAgent}} {
		if _, err := f.svc.People.CreateUser(ctx, f.acct.ID, u.email, "User", u.role, "right password"); err != nil {
			t.Fatal(err)
		}
	}
	// An invited admin cannot sign in yet: they do not count.
	if _, _, err := f.svc.People.Invite(ctx, f.acct.ID, "bo@example.com", "Bo", carillon.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name, file string
		// problem is the line and start of the refusal; "" when applied.
		problem string
		roles   string
	}{
		{"the last admin demoted", "users:\n  - {email: bo@example.com, name: Bo, role: agent}\n  - email: ana@example.com\n    name: User\n    role: settings_agent\n",
			"account.yaml:5: user ana@example.com: the account would have no admin left who can sign in", "ana:admin cy:agent bo:admin"},
		{"the last admin demoted as another is made", "users:\n  - {email: ana@example.com, name: User, role: agent}\n  - {email: cy@example.com, name: User, role: admin}\n",
			"", "ana:agent cy:admin bo:admin"},
		{"an admin without a password demoted", "users:\n  - {email: bo@example.com, name: Bo, role: restricted_agent}\n",
			"", "ana:agent cy:admin bo:restricted_agent"},
		{"the new last admin demoted", "users:\n  - {email: cy@example.com, name: User, role: agent}\n",
			"account.yaml:2: user cy@example.com", "ana:agent cy:admin bo:restricted_agent"},
	}
	for _, s := range steps {
		d, err := declaration.Parse("account.yaml", []byte(s.file), providers)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.svc.Resources.Apply(ctx, f.acct.ID, d)
		if s.problem == "" && err != nil {
			t.Errorf("%s: %v", s.name, err)
		}
		if s.problem != "" {
			var de *declaration.Error
			if !errors.As(err, &de) || !strings.HasPrefix(err.Error(), s.problem) {
				t.Errorf("%s: error %v, want %q", s.name, err, s.problem)
			}
		}
		users, err := eachUser(ctx, f.svc.People, f.acct.ID)
		if err != nil {
			t.Fatal(err)
		}
		var roles []string
		for _, u := range users {
			roles = append(roles, strings.TrimSuffix(u.Email, "@example.com")+":"+string(u.Role))
		}
		if got := strings.Join(roles, " "); got != s.roles {
			t.Errorf("%s: roles %s, want %s", s.name, got, s.roles)
		}
	}
}

// TestSetRoleAtOnce: two admins who demote each other at the same moment
// leave one admin, on each store: the second change counts the admins
// after the first.
func TestSetRoleAtOnce(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		svc := testrig.Service(t, service.Options{Store: open(), Registry: providers})
		acct := testrig.DefaultAccount(t, svc)
		ctx := context.Background()
		var admins [2]carillon.User
		for i, email := range []string{"ana@example.com", "bo@example.com"} {
			u, err := svc.People.CreateUser(ctx, acct.ID, email, "Admin", carillon.RoleAdmin, "right password")
			if err != nil {
				t.Fatal(err)
			}
			admins[i] = u
		}
		for round := range 5 {
			for _, u := range admins {
				if err := svc.People.SetRole(ctx, acct.ID, u.UUID, carillon.RoleAdmin); err != nil {
					t.Fatal(err)
				}
			}
			start := make(chan struct{})
			var errs [2]error
			var wg sync.WaitGroup
			for i := range admins {
				wg.Go(func() {
					<-start
					errs[i] = svc.People.SetRole(ctx, acct.ID, admins[1-i].UUID, carillon.RoleAgent)
				})
			}
			close(start)
			wg.Wait()
			refused := 0
			for _, err := range errs {
				if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeConflict {
					refused++
				} else if err != nil {
					t.Fatal(err)
				}
			}
			users, err := eachUser(ctx, svc.People, acct.ID)
			if err != nil {
				t.Fatal(err)
			}
			left := 0
			for _, u := range users {
				if u.Role == carillon.RoleAdmin {
					left++
				}
			}
			if left != 1 || refused != 1 {
				t.Fatalf("round %d: %d admins left, %d changes refused; want 1 and 1", round, left, refused)
			}
		}
	})
}

// eachUser reads every user of the account through People.EachUser.
func eachUser(ctx context.Context, p *service.People, accountID int64) ([]carillon.User, error) {
	var out []carillon.User
	err := p.EachUser(ctx, accountID, func(us []carillon.User) error {
		out = append(out, us...)
		return nil
	})
	return out, err
}
