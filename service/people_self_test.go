package service_test

import (
	"context"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

func TestEndSession(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{})
	ctx := context.Background()
	ana := f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "right password")
	f.createUser(t, "bo@example.com", "Bo", carillon.RoleAgent, "right password")
	anaToken, anaSession, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "right password", client)
	if err != nil {
		t.Fatal(err)
	}
	otherToken, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "right password", client)
	if err != nil {
		t.Fatal(err)
	}
	boToken, boSession, _, err := f.svc.People.SignIn(ctx, "bo@example.com", "right password", client)
	if err != nil {
		t.Fatal(err)
	}
	f.sessionActions(t)
	// Another user's session is not found, and stays.
	wantCode(t, f.svc.People.EndSession(ctx, f.acct.ID, ana.ID, boSession.ID), carillon.CodeNotFound, "")
	if _, _, err := f.svc.People.Session(ctx, boToken); err != nil {
		t.Fatalf("Bo's session after Ana tried to end it: %v", err)
	}
	if err := f.svc.People.EndSession(ctx, f.acct.ID, ana.ID, anaSession.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = f.svc.People.Session(ctx, anaToken)
	wantUnauthorized(t, "the ended session", err)
	if _, _, err := f.svc.People.Session(ctx, otherToken); err != nil {
		t.Errorf("Ana's other session: %v", err)
	}
	wantCode(t, f.svc.People.EndSession(ctx, f.acct.ID, ana.ID, anaSession.ID), carillon.CodeNotFound, "")
	want := "ana@example.com:user_logged_out"
	if got := f.sessionActions(t); got != want {
		t.Errorf("events = %q, want %q", got, want)
	}
}

func TestChangePassword(t *testing.T) {
	t.Parallel()
	f := setupPeople(t, service.PeopleOptions{SignInFailureLimit: 3})
	ctx := context.Background()
	ana := f.createUser(t, "ana@example.com", "Ana", carillon.RoleAgent, "old password")
	here, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "old password", client)
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, _, _, err := f.svc.People.SignIn(ctx, "ana@example.com", "old password", client)
	if err != nil {
		t.Fatal(err)
	}
	f.sessionActions(t)
	refused := []struct {
		name, current, password, field string
	}{
		{"wrong current password", "not it at all", "new password", "current_password"},
		{"new password too short", "old password", "short", "password"},
	}
	for _, tc := range refused {
		wantCode(t, f.svc.People.ChangePassword(ctx, f.acct.ID, ana.ID, tc.current, tc.password, here, client), carillon.CodeInvalidParameter, tc.field)
		for _, token := range []string{here, elsewhere} {
			if _, _, err := f.svc.People.Session(ctx, token); err != nil {
				t.Fatalf("%s: a session ended: %v", tc.name, err)
			}
		}
	}
	if err := f.svc.People.ChangePassword(ctx, f.acct.ID, ana.ID, "old password", "new password", here, client); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.People.Session(ctx, here); err != nil {
		t.Errorf("the session that changed the password: %v", err)
	}
	_, _, err = f.svc.People.Session(ctx, elsewhere)
	wantUnauthorized(t, "another session after the change", err)
	_, _, _, err = f.svc.People.SignIn(ctx, "ana@example.com", "old password", client)
	wantUnauthorized(t, "the old password", err)
	if got := f.sessionActions(t); got != "ana@example.com:system_logged_out" {
		t.Errorf("events = %q", got)
	}
	// Wrong current passwords count as failed sign-ins: the third in a
	// row (with the failed sign-in above) is over the limit.
	wantCode(t, f.svc.People.ChangePassword(ctx, f.acct.ID, ana.ID, "guess", "another password", here, client), carillon.CodeInvalidParameter, "current_password")
	err = f.svc.People.ChangePassword(ctx, f.acct.ID, ana.ID, "new password", "another password", here, client)
	if _, throttled := service.RetryAfter(err); !throttled {
		t.Errorf("a change after %d failures: %v, want throttled", 3, err)
	}
}
