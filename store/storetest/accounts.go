package storetest

import (
	"testing"

	"github.com/carillon/carillon"
)

// Accounts (store/accounts.go).

func testAccounts(t *testing.T, e *env) {
	a := carillon.Account{UUID: carillon.NewUUID(), Name: "acme", CreatedAt: sloppy(base)}
	e.must(e.s.CreateAccount(e.ctx, &a), "CreateAccount")
	if a.ID == 0 {
		t.Fatal("CreateAccount left the ID 0")
	}
	want := a
	want.CreatedAt = norm(a.CreatedAt)

	got, err := e.s.AccountByID(e.ctx, a.ID)
	e.must(err, "AccountByID")
	check(t, "AccountByID", got, want)
	got, err = e.s.AccountByName(e.ctx, "acme")
	e.must(err, "AccountByName")
	check(t, "AccountByName", got, want)

	b := carillon.Account{UUID: carillon.NewUUID(), Name: "beta"} // no creation time
	e.must(e.s.CreateAccount(e.ctx, &b), "CreateAccount")
	if b.ID == a.ID {
		t.Fatalf("two accounts share the ID %d", a.ID)
	}
	got, err = e.s.AccountByID(e.ctx, b.ID)
	e.must(err, "AccountByID")
	check(t, "account without creation time", got, b)

	list, err := e.s.ListAccounts(e.ctx)
	e.must(err, "ListAccounts")
	check(t, "ListAccounts", list, []carillon.Account{want, b})
}
