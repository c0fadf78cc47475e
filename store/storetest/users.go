package storetest

import (
	"errors"
	"fmt"
	"sync"
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
	emails, err := e.s.UserEmails(e.ctx, a.ID, []int64{u2.ID, u1.ID, ub.ID, u1.ID + u2.ID + ub.ID + 100})
	e.must(err, "UserEmails")
	check(t, "UserEmails (another account's user and an id of no user left out)", emails,
		map[int64]string{u1.ID: "ana.diaz@example.com", u2.ID: "bo@example.com"})

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

// testUsersAfter walks the account's users by id, a page after the last
// user of the one before; and counts them by role and password.
func testUsersAfter(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	var want []carillon.User
	for i, email := range []string{"d@example.com", "a@example.com", "c@example.com", "b@example.com", "e@example.com"} {
		u := e.user(a.ID, email)
		if i%2 == 0 {
			u.Role = carillon.RoleAdmin
			e.must(e.s.UpdateUser(e.ctx, &u), "UpdateUser")
		}
		if i < 2 {
			e.must(e.s.SetUserPassword(e.ctx, a.ID, u.ID, "hash"), "SetUserPassword")
			u.HasPassword = true
		}
		want = append(want, u)
	}
	other := e.user(b.ID, "a@example.com")
	e.must(e.s.SetUserPassword(e.ctx, b.ID, other.ID, "hash"), "SetUserPassword")

	for _, size := range []int{1, 2, 3, 5, 10} {
		var got []carillon.User
		after := int64(0)
		for range len(want) + 1 {
			page, err := e.s.UsersAfter(e.ctx, a.ID, after, size)
			e.must(err, "UsersAfter")
			if len(page) > size {
				t.Fatalf("UsersAfter of %d: %d users", size, len(page))
			}
			if len(page) == 0 {
				break
			}
			got = append(got, page...)
			after = page[len(page)-1].ID
		}
		check(t, fmt.Sprintf("the users walked %d at a time", size), got, want)
	}
	page, err := e.s.UsersAfter(e.ctx, b.ID, 0, 10)
	e.must(err, "UsersAfter")
	other.HasPassword = true
	check(t, "UsersAfter of the other account", page, []carillon.User{other})
	page, err = e.s.UsersAfter(e.ctx, b.ID, other.ID, 10)
	e.must(err, "UsersAfter")
	if len(page) != 0 {
		t.Errorf("UsersAfter past the last user: %d users", len(page))
	}

	for _, c := range []struct {
		name string
		f    carillon.UserFilter
		want int
	}{
		{"every user", carillon.UserFilter{}, 5},
		{"admins", carillon.UserFilter{Role: carillon.RoleAdmin}, 3},
		{"agents", carillon.UserFilter{Role: carillon.RoleAgent}, 2},
		{"users with a password", carillon.UserFilter{WithPassword: true}, 2},
		{"admins with a password", carillon.UserFilter{Role: carillon.RoleAdmin, WithPassword: true}, 1},
		{"restricted agents", carillon.UserFilter{Role: carillon.RoleRestrictedAgent}, 0},
	} {
		n, err := e.s.CountUsers(e.ctx, a.ID, c.f)
		e.must(err, "CountUsers")
		if n != c.want {
			t.Errorf("CountUsers of the %s: %d, want %d", c.name, n, c.want)
		}
	}
	if n, err := e.s.CountUsers(e.ctx, a.ID+b.ID+100, carillon.UserFilter{}); err != nil || n != 0 {
		t.Errorf("CountUsers of a missing account: %d, %v", n, err)
	}
}

// testLockAccount runs the same transaction in two goroutines at once, as
// two admins who demote each other do: lock the account, count the other
// admins who have a password, demote the other admin when one is left.
// The account's lock makes the second count after the first demotion, so
// one admin remains, whichever goes first.
func testLockAccount(t *testing.T, e *env) {
	a := e.account("a")
	wantNotFound(t, map[string]func() error{
		"LockAccount missing": func() error {
			return e.s.InTx(e.ctx, func(q carillon.Queries) error { return q.LockAccount(e.ctx, a.ID+100) })
		},
	})
	errLast := errors.New("the last admin")
	// demote takes the admin role from other, unless other is the last
	// admin with a password. started is closed once the transaction is
	// about to start; the transaction waits for proceed before it ends.
	demote := func(other carillon.User, started chan<- struct{}, proceed <-chan struct{}) error {
		close(started)
		return e.s.InTx(e.ctx, func(q carillon.Queries) error {
			if err := q.LockAccount(e.ctx, a.ID); err != nil {
				return err
			}
			n, err := q.CountUsers(e.ctx, a.ID, carillon.UserFilter{Role: carillon.RoleAdmin, WithPassword: true})
			if err != nil {
				return err
			}
			if n <= 1 {
				return errLast
			}
			other.Role = carillon.RoleAgent
			if err := q.UpdateUser(e.ctx, &other); err != nil {
				return err
			}
			if proceed != nil {
				<-proceed
			}
			return nil
		})
	}
	ana, bo := e.user(a.ID, "ana@example.com"), e.user(a.ID, "bo@example.com")
	for round := range 5 {
		for _, u := range []*carillon.User{&ana, &bo} {
			u.Role = carillon.RoleAdmin
			e.must(e.s.UpdateUser(e.ctx, u), "UpdateUser")
			e.must(e.s.SetUserPassword(e.ctx, a.ID, u.ID, "hash"), "SetUserPassword")
		}
		// The first transaction holds its demotion until the second is
		// about to start: the second's count runs while the first is
		// open, or after it; never before its write.
		firstStarted, secondStarted := make(chan struct{}), make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		wg.Go(func() { errs[0] = demote(bo, firstStarted, secondStarted) })
		<-firstStarted
		wg.Go(func() { errs[1] = demote(ana, secondStarted, nil) })
		wg.Wait()
		refused := 0
		for _, err := range errs {
			if errors.Is(err, errLast) {
				refused++
			} else if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		n, err := e.s.CountUsers(e.ctx, a.ID, carillon.UserFilter{Role: carillon.RoleAdmin})
		e.must(err, "CountUsers")
		if n != 1 || refused != 1 {
			t.Fatalf("round %d: two admins demoting each other at once left %d admins (%d refused), want 1", round, n, refused)
		}
	}
}
