package storetest

import (
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Users and their status (store/users.go).

func (e *env) user(accountID int64, email string) carillon.User {
	e.t.Helper()
	u := carillon.User{UUID: carillon.NewUUID(), AccountID: accountID, Email: email, Name: "User " + email, CreatedAt: base, Role: carillon.RoleAgent}
	e.must(e.s.CreateUser(e.ctx, &u), "CreateUser")
	return u
}

func userEmails(us []carillon.User) []string {
	out := []string{}
	for _, u := range us {
		out = append(out, u.Email)
	}
	return out
}

func testUsers(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u1 := e.user(a.ID, "ana@example.com")
	u2 := e.user(a.ID, "bo@example.com")
	ub := e.user(b.ID, "ana@example.com")

	got, err := e.s.UserByUUID(e.ctx, a.ID, u1.UUID)
	e.must(err, "UserByUUID")
	check(t, "UserByUUID", got, u1)

	up := u1
	up.Email, up.Name = "ana.diaz@example.com", "Ana Díaz \"A\""
	up.UUID, up.CreatedAt = "ignored", at(time.Hour) // identity: not written
	e.must(e.s.UpdateUser(e.ctx, &up), "UpdateUser")
	want := u1
	want.Email, want.Name = up.Email, up.Name
	got, err = e.s.UserByID(e.ctx, a.ID, u1.ID)
	e.must(err, "UserByID")
	check(t, "user after UpdateUser", got, want)
	got, err = e.s.UserByEmail(e.ctx, a.ID, "ana.diaz@example.com")
	e.must(err, "UserByEmail of the new email")
	check(t, "UserByEmail of the new email", got, want)
	_, err = e.s.UserByEmail(e.ctx, a.ID, "ana@example.com")
	wantErr(t, "UserByEmail of the old email", err, carillon.ErrNotFound)

	dup := want
	dup.Email = u2.Email
	wantErr(t, "UpdateUser to another user's email", e.s.UpdateUser(e.ctx, &dup), carillon.ErrConflict)
	dup.Email = ub.Email // another account's user's email: allowed
	e.must(e.s.UpdateUser(e.ctx, &dup), "UpdateUser to the email of another account's user")
	want = dup
	bad := want
	bad.AccountID, bad.Name = b.ID, "hijacked"
	missing := want
	missing.ID = u1.ID + u2.ID + ub.ID + 100

	wantNotFound(t, map[string]func() error{
		"UpdateUser with the wrong account": func() error { return e.s.UpdateUser(e.ctx, &bad) },
		"UpdateUser of a missing user":      func() error { return e.s.UpdateUser(e.ctx, &missing) },
		"UserByUUID other account":          func() error { _, err := e.s.UserByUUID(e.ctx, b.ID, u1.UUID); return err },
		"UserByUUID missing":                func() error { _, err := e.s.UserByUUID(e.ctx, a.ID, carillon.NewUUID()); return err },
	})
	got, err = e.s.UserByID(e.ctx, a.ID, u1.ID)
	e.must(err, "UserByID")
	check(t, "user after refused updates", got, want)
	got, err = e.s.UserByID(e.ctx, b.ID, ub.ID)
	e.must(err, "UserByID")
	check(t, "another account's user", got, ub)

	list, err := e.s.ListUsers(e.ctx, a.ID)
	e.must(err, "ListUsers")
	check(t, "ListUsers", list, []carillon.User{want, u2})
	list, err = e.s.ListUsers(e.ctx, b.ID)
	e.must(err, "ListUsers")
	check(t, "ListUsers of the other account", list, []carillon.User{ub})
	list, err = e.s.ListUsers(e.ctx, a.ID+b.ID+100)
	e.must(err, "ListUsers")
	if len(list) != 0 {
		t.Errorf("ListUsers of a missing account: %d users", len(list))
	}
}

func testUserStatus(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	u := e.user(a.ID, "ana@example.com")
	other := e.user(a.ID, "bo@example.com")
	cs := e.customStatus(a.ID, "Lunch")

	got, err := e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "status of a new user", got, carillon.UserStatus{})

	set := carillon.UserStatus{Available: true, AvailabilityAt: sloppy(at(time.Minute)), CustomStatusID: cs.ID, CustomStatusAt: sloppy(at(2 * time.Minute))}
	e.must(e.s.SetUserStatus(e.ctx, a.ID, u.ID, set), "SetUserStatus")
	want := carillon.UserStatus{Available: true, AvailabilityAt: norm(set.AvailabilityAt), CustomStatusID: cs.ID, CustomStatusAt: norm(set.CustomStatusAt)}
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after SetUserStatus", got, want)

	// The status is not part of the user, and the user not of the status.
	gotU, err := e.s.UserByID(e.ctx, a.ID, u.ID)
	e.must(err, "UserByID")
	check(t, "user after SetUserStatus", gotU, u)
	renamed := u
	renamed.Name = "renamed"
	e.must(e.s.UpdateUser(e.ctx, &renamed), "UpdateUser")
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after UpdateUser", got, want)
	got, err = e.s.UserStatus(e.ctx, a.ID, other.ID)
	e.must(err, "UserStatus")
	check(t, "another user's status", got, carillon.UserStatus{})

	// Back to away, without a custom status.
	clr := carillon.UserStatus{AvailabilityAt: at(time.Hour), CustomStatusAt: at(time.Hour)}
	e.must(e.s.SetUserStatus(e.ctx, a.ID, u.ID, clr), "SetUserStatus")
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after clearing", got, clr)

	wantNotFound(t, map[string]func() error{
		"UserStatus other account":    func() error { _, err := e.s.UserStatus(e.ctx, b.ID, u.ID); return err },
		"UserStatus missing":          func() error { _, err := e.s.UserStatus(e.ctx, a.ID, u.ID+other.ID+100); return err },
		"SetUserStatus other account": func() error { return e.s.SetUserStatus(e.ctx, b.ID, u.ID, set) },
		"SetUserStatus missing":       func() error { return e.s.SetUserStatus(e.ctx, a.ID, u.ID+other.ID+100, set) },
	})
	got, err = e.s.UserStatus(e.ctx, a.ID, u.ID)
	e.must(err, "UserStatus")
	check(t, "UserStatus after refused changes", got, clr)
}
