package console

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// TestAccountSessions: the page lists the user's sessions; one of them is
// signed out by its form, another user's is not found.
func TestAccountSessions(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	here, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	elsewhere, _ := r.client(t, roleUsers[carillon.RoleAgent])
	_, _ = r.client(t, roleUsers[carillon.RoleAdmin])
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	admin := r.userByEmail(t, roleUsers[carillon.RoleAdmin])
	mine, _ := r.svc.People.Sessions(ctx, r.acct.ID, agent.ID)
	theirs, _ := r.svc.People.Sessions(ctx, r.acct.ID, admin.ID)
	if len(mine) != 2 || len(theirs) != 1 {
		t.Fatalf("sessions: %d and %d", len(mine), len(theirs))
	}
	page := readBody(t, get(t, here, r.srv.URL+"/account"))
	for _, want := range []string{agent.Email, "192.0.2.1", "this browser", `name="session" value="` + strconv.FormatInt(mine[1].ID, 10) + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the account page does not show %q", want)
		}
	}
	if strings.Count(page, `action="/account/sessions/end"`) != 2 {
		t.Errorf("the page lists %d sessions, want 2", strings.Count(page, `action="/account/sessions/end"`))
	}
	cases := []struct {
		name    string
		session string
		status  int
	}{
		{"another user's session", strconv.FormatInt(theirs[0].ID, 10), http.StatusNotFound},
		{"not a session", "x", http.StatusNotFound},
		{"the other browser's session", strconv.FormatInt(mine[1].ID, 10), http.StatusSeeOther},
		{"a session ended already", strconv.FormatInt(mine[1].ID, 10), http.StatusNotFound},
	}
	for _, tc := range cases {
		if resp := post(t, here, r.srv.URL+"/account/sessions/end", url.Values{"csrf": {csrf}, "session": {tc.session}}); resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	if live, _ := r.svc.People.Sessions(ctx, r.acct.ID, admin.ID); len(live) != 1 {
		t.Error("another user's session was ended")
	}
	// Which of the two is elsewhere depends on the order of the sign-ins:
	// the first was here.
	if resp := get(t, elsewhere, r.srv.URL+"/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the ended session still opens the account page: %d", resp.StatusCode)
	}
	if resp := get(t, here, r.srv.URL+"/account"); resp.StatusCode != http.StatusOK {
		t.Errorf("this browser after ending the other session: %d", resp.StatusCode)
	}
	// Ending this browser's own session signs it out.
	resp := post(t, here, r.srv.URL+"/account/sessions/end", url.Values{"csrf": {csrf}, "session": {strconv.FormatInt(mine[0].ID, 10)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
		t.Errorf("ending this browser's session: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// TestChangePasswordForm: the current password is required; the new one
// is checked; this browser stays signed in and the others are signed out.
func TestChangePasswordForm(t *testing.T) {
	r := newRig(t, service.Options{})
	here, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	elsewhere, _ := r.client(t, roleUsers[carillon.RoleAgent])
	cases := []struct {
		name, current, new string
		status             int
		says, field        string
	}{
		{"wrong current password", "not the password", "a new password", http.StatusUnprocessableEntity, "The current password is wrong", "current-password"},
		{"no current password", "", "a new password", http.StatusUnprocessableEntity, "The current password is wrong", "current-password"},
		{"too short", password, "short", http.StatusUnprocessableEntity, "at least 8 characters", "new-password"},
	}
	for _, tc := range cases {
		resp := post(t, here, r.srv.URL+"/account/password", url.Values{"csrf": {csrf}, "current_password": {tc.current}, "password": {tc.new}})
		page := readBody(t, resp)
		if resp.StatusCode != tc.status || !strings.Contains(page, tc.says) {
			t.Errorf("%s: %d, want %d saying %q", tc.name, resp.StatusCode, tc.status, tc.says)
		}
		if !strings.Contains(page, `id="`+tc.field+`" name=`) || !strings.Contains(page, `aria-invalid="true"`) {
			t.Errorf("%s: the field %s is not marked", tc.name, tc.field)
		}
		if strings.Contains(page, tc.current+`"`) && tc.current != "" || strings.Contains(page, `value="`+tc.new+`"`) {
			t.Errorf("%s: a password is written back into the page", tc.name)
		}
	}
	if resp := get(t, elsewhere, r.srv.URL+"/account"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a refused change signed another session out: %d", resp.StatusCode)
	}
	resp := post(t, here, r.srv.URL+"/account/password", url.Values{"csrf": {csrf}, "current_password": {password}, "password": {"a new password"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account?password=changed" {
		t.Fatalf("the change: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if page := readBody(t, get(t, here, r.srv.URL+"/account?password=changed")); !strings.Contains(page, "Password changed") {
		t.Error("this browser is not told the password changed")
	}
	if resp := get(t, elsewhere, r.srv.URL+"/account"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another session after the change: %d, want a redirect to sign in", resp.StatusCode)
	}
	if _, _, _, err := r.svc.People.SignIn(context.Background(), roleUsers[carillon.RoleAgent], "a new password", service.SignInClient{}); err != nil {
		t.Errorf("the new password: %v", err)
	}
}

// TestChangePasswordThrottled: wrong current passwords count as failed
// sign-ins; over the limit the form answers 429 with Retry-After.
func TestChangePasswordThrottled(t *testing.T) {
	r := newRig(t, withSignInLimit(2))
	c, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	for i, want := range []int{http.StatusUnprocessableEntity, http.StatusUnprocessableEntity, http.StatusTooManyRequests} {
		resp := post(t, c, r.srv.URL+"/account/password", url.Values{"csrf": {csrf}, "current_password": {"a guess"}, "password": {"a new password"}})
		if resp.StatusCode != want {
			t.Errorf("try %d: %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests && resp.Header.Get("Retry-After") == "" {
			t.Error("429 without Retry-After")
		}
	}
}
