package console

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// TestBrowserInvite: an admin invites a user whose name is a script (shown
// as text); the link, opened in another browser, sets the password and
// signs the user in with the role given.
func TestBrowserInvite(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/users"))
	if nav := tb.text("nav"); !strings.Contains(nav, "Users") {
		t.Errorf("an admin's navigation does not offer the users page: %q", nav)
	}
	tb.check("users")

	// The browser checks the email's form; the service, that it is new.
	tb.submit(map[string]string{"#invite-email": roleUsers[carillon.RoleAgent], "#invite-name": "Someone"}, `form[action="/settings/users"] button`)
	if got := tb.text("#invite-problem"); !strings.Contains(got, "has a password already") {
		t.Errorf("an invitation of a user who signs in says %q", got)
	}
	if got, _ := chromedp.Run(tb.ctx, chromedp.Value(chromedp.CSS("#invite-name"))); got != "Someone" {
		t.Errorf("the refused form kept the name %q", got)
	}
	tb.check("users-invite-problem")

	tb.submit(map[string]string{"#invite-email": "new@example.com", "#invite-name": xss, "#invite-role": "settings_agent"}, `form[action="/settings/users"] button`)
	link := tb.text("#invite-link")
	if !strings.HasPrefix(link, r.svc.PublicURL()+service.SignInLinkPath) {
		t.Fatalf("the invitation shows %q", link)
	}
	if got := tb.text(".notice h2"); !strings.Contains(got, xss) {
		t.Errorf("the invited user's name shows as %q, want the text %q", got, xss)
	}
	if got := tb.text(".notice"); !strings.Contains(got, "7 days") || !strings.Contains(got, "sends no e-mail") {
		t.Errorf("the notice does not say how long the link lasts and that it is not e-mailed: %q", got)
	}
	tb.check("users-invited")
	if !strings.Contains(tb.text("tbody"), xss) {
		t.Error("the list does not show the invited user's name as text")
	}
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/users"))
	if html, _ := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html"))); strings.Contains(html, link) {
		t.Error("the link is shown a second time")
	}

	// Another browser, as the invited person would open the link.
	guest := newTab(t)
	guest.do(chromedp.Navigate(r.srv.URL + strings.TrimPrefix(link, r.svc.PublicURL())))
	if got := guest.text("main"); !strings.Contains(got, "new@example.com") {
		t.Errorf("the invitation's page does not name its user: %q", got)
	}
	guest.check("welcome-invited")
	guest.submit(map[string]string{"#password": password}, `form button`)
	if loc := guest.location(); loc != "/" {
		t.Fatalf("the invitation led to %s", loc)
	}
	if got := guest.text(".who-name"); got != xss {
		t.Errorf("signed in as %q, want the text %q", got, xss)
	}
	if got := guest.text(".who-account"); !strings.Contains(got, "settings_agent") {
		t.Errorf("signed in with %q, want the role settings_agent", got)
	}
	guest.do(chromedp.Navigate(r.srv.URL + "/settings/users"))
	if got := guest.text("h1"); !strings.HasPrefix(got, "403") {
		t.Errorf("a settings agent on the users page sees %q", got)
	}

	u := r.userByEmail(t, "new@example.com")
	if !u.HasPassword || u.LastSignInAt.IsZero() {
		t.Errorf("the invited user after the link: %+v", u)
	}
}

// TestBrowserRoleChange: a role change applies to the next page of a
// session already open; the last admin is kept.
func TestBrowserRoleChange(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	me := r.userByEmail(t, roleUsers[carillon.RoleAdmin])
	admin := newTab(t)
	admin.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	other := newTab(t)
	other.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	if nav := other.text("nav"); strings.Contains(nav, "Users") {
		t.Errorf("an agent's navigation offers %q", nav)
	}

	setRole := func(uuid, role string) {
		t.Helper()
		admin.do(chromedp.Navigate(r.srv.URL + "/settings/users"))
		admin.do(chromedp.SetValue(chromedp.CSS("#role-of-"+uuid+" select"), role))
		admin.submit(nil, "#role-of-"+uuid+" button")
	}
	for _, step := range []struct {
		role, h1 string
	}{{"", "403"}, {"admin", "Users"}, {"agent", "403"}} {
		if step.role != "" {
			setRole(agent.UUID, step.role)
			if loc := admin.location(); loc != "/settings/users" {
				t.Fatalf("the role change led to %s", loc)
			}
		}
		other.do(chromedp.Navigate(r.srv.URL + "/settings/users"))
		if got := other.text("h1"); !strings.HasPrefix(got, step.h1) {
			t.Errorf("after the role %q, the agent's next users page shows %q, want %q", step.role, got, step.h1)
		}
	}
	other.check("forbidden-users")

	setRole(me.UUID, "agent")
	if got := admin.text("#role-problem"); !strings.Contains(got, "last admin") {
		t.Errorf("demoting the last admin says %q", got)
	}
	admin.check("users-last-admin")
	if u := r.userByEmail(t, me.Email); u.Role != carillon.RoleAdmin {
		t.Errorf("the last admin became %s", u.Role)
	}
}

// TestBrowserSignOutSessions: a user's sessions listed, one of them
// signed out from the account page, then every one by signing out
// everywhere, which ends the other browsers' sessions.
func TestBrowserSignOutSessions(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	email := roleUsers[carillon.RoleRestrictedAgent]
	// The other browsers first: the list is newest first, this browser's
	// session at the top.
	others := []*tab{newTab(t), newTab(t)}
	for _, o := range others {
		o.signIn(r.srv.URL, email)
	}
	here := newTab(t)
	here.signIn(r.srv.URL, email)
	here.do(chromedp.Navigate(r.srv.URL + "/account"))
	if got := here.text("main"); !strings.Contains(got, email) || !strings.Contains(got, "restricted_agent") {
		t.Errorf("the account page shows %q", got)
	}
	if got := here.text("main tbody tr:first-child .tag"); got != "this browser" {
		t.Errorf("the newest session, this browser's, is marked %q", got)
	}
	if n, _ := chromedp.Run(here.ctx, chromedp.Evaluate[int](`document.querySelectorAll("main tbody tr").length`)); n != 3 {
		t.Errorf("%d sessions listed, want 3", n)
	}
	here.check("account")

	// The second row is the newest other browser: others[1].
	here.submit(nil, "main tbody tr:nth-child(2) button")
	if loc := here.location(); loc != "/account" {
		t.Errorf("signing a session out led to %s", loc)
	}
	others[1].do(chromedp.Navigate(r.srv.URL + "/account"))
	if loc := others[1].location(); !strings.HasPrefix(loc, "/sign-in") {
		t.Errorf("the signed-out browser opens %s", loc)
	}
	others[0].do(chromedp.Navigate(r.srv.URL + "/account"))
	if loc := others[0].location(); loc != "/account" {
		t.Fatalf("a browser not signed out opens %s", loc)
	}

	here.submit(nil, `main form[action="/sign-out-everywhere"] button`)
	if loc := here.location(); loc != "/sign-in" {
		t.Errorf("signing out everywhere led to %s", loc)
	}
	others[0].do(chromedp.Navigate(r.srv.URL + "/account"))
	if loc := others[0].location(); !strings.HasPrefix(loc, "/sign-in") {
		t.Errorf("after signing out everywhere, another browser opens %s", loc)
	}
}

// TestBrowserChangePassword: the current password is required; this
// browser stays signed in and another one is signed out.
func TestBrowserChangePassword(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	email := roleUsers[carillon.RoleAgent]
	elsewhere := newTab(t)
	elsewhere.signIn(r.srv.URL, email)
	here := newTab(t)
	here.signIn(r.srv.URL, email)
	here.do(chromedp.Navigate(r.srv.URL + "/account"))
	here.submit(map[string]string{"#current-password": "not my password", "#new-password": "a new password"}, `form[action="/account/password"] button`)
	if got := here.text("#password-problem"); !strings.Contains(got, "current password is wrong") {
		t.Errorf("a wrong current password says %q", got)
	}
	here.check("account-password-wrong")
	here.submit(map[string]string{"#current-password": password, "#new-password": "a new password"}, `form[action="/account/password"] button`)
	if loc := here.location(); loc != "/account?password=changed" {
		t.Fatalf("the password change led to %s", loc)
	}
	if got := here.text(".notice h2"); got != "Password changed" {
		t.Errorf("after the change the page says %q", got)
	}
	here.check("account-password-changed")
	elsewhere.do(chromedp.Navigate(r.srv.URL + "/account"))
	if loc := elsewhere.location(); !strings.HasPrefix(loc, "/sign-in") {
		t.Errorf("another browser after the password change opens %s", loc)
	}
}

// TestBrowserUsersPages: the users of an account with more than a page of
// them, the second page reached by its link; a role changed there comes
// back to it.
func TestBrowserUsersPages(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	r.invite(t, usersPerPage+3)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/users"))
	tb.submit(nil, `a[rel="next"]`)
	second := tb.location()
	if !strings.HasPrefix(second, "/settings/users?after=") {
		t.Fatalf("the next users are at %s", second)
	}
	if n, _ := chromedp.Run(tb.ctx, chromedp.Evaluate[int](`document.querySelectorAll("main tbody tr").length`)); n != len(roleUsers)+3 {
		t.Errorf("the second page lists %d users, want %d", n, len(roleUsers)+3)
	}
	tb.check("users-page-2")
	u := r.userByEmail(t, fmt.Sprintf("user%03d@example.com", usersPerPage+2))
	tb.do(chromedp.SetValue(chromedp.CSS("#role-of-"+u.UUID+" select"), "restricted_agent"))
	tb.submit(nil, "#role-of-"+u.UUID+" button")
	if loc := tb.location(); loc != second {
		t.Errorf("a role changed on the second page led to %s", loc)
	}
	if u := r.userByEmail(t, u.Email); u.Role != carillon.RoleRestrictedAgent {
		t.Errorf("the role is %s", u.Role)
	}
}
