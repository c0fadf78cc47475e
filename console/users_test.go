package console

import (
	"context"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// allUsers reads every user of the rig's account.
func (r *rig) allUsers() ([]carillon.User, error) {
	var out []carillon.User
	err := r.svc.People.EachUser(context.Background(), r.acct.ID, func(us []carillon.User) error {
		out = append(out, us...)
		return nil
	})
	return out, err
}

// userByEmail is the rig's account's user of that email.
func (r *rig) userByEmail(t testing.TB, email string) carillon.User {
	t.Helper()
	users, err := r.allUsers()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range users {
		if u.Email == email {
			return u
		}
	}
	t.Fatalf("no user %s", email)
	return carillon.User{}
}

// TestUsersPageRoles: the users page and its forms are the admin's; every
// role opens its own account page.
func TestUsersPageRoles(t *testing.T) {
	r := newRig(t, service.Options{})
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	for role, email := range roleUsers {
		t.Run(string(role), func(t *testing.T) {
			c, csrf := r.client(t, email)
			want := http.StatusForbidden
			if role == carillon.RoleAdmin {
				want = http.StatusOK
			}
			if resp := get(t, c, r.srv.URL+"/settings/users"); resp.StatusCode != want {
				t.Errorf("GET /settings/users: %d, want %d", resp.StatusCode, want)
			}
			if resp := get(t, c, r.srv.URL+"/account"); resp.StatusCode != http.StatusOK {
				t.Errorf("GET /account: %d, want 200", resp.StatusCode)
			}
			if role == carillon.RoleAdmin {
				return
			}
			forms := []struct {
				path string
				form url.Values
			}{
				{"/settings/users", url.Values{"email": {"sneaky@example.com"}, "name": {"Sneaky"}, "role": {"admin"}}},
				{"/settings/users/role", url.Values{"user": {agent.UUID}, "role": {"admin"}}},
				{"/settings/users/link", url.Values{"user": {agent.UUID}}},
			}
			for _, f := range forms {
				f.form.Set("csrf", csrf)
				if resp := post(t, c, r.srv.URL+f.path, f.form); resp.StatusCode != http.StatusForbidden {
					t.Errorf("POST %s: %d, want 403", f.path, resp.StatusCode)
				}
			}
		})
	}
	users, _ := r.allUsers()
	if len(users) != len(roleUsers) {
		t.Errorf("%d users after refused invitations, want %d", len(users), len(roleUsers))
	}
	if u := r.userByEmail(t, agent.Email); u.Role != carillon.RoleAgent {
		t.Errorf("the agent's role is %s after refused changes", u.Role)
	}
}

// TestUsersCSRF refuses the users' and account's forms without their
// token, and changes nothing.
func TestUsersCSRF(t *testing.T) {
	r := newRig(t, service.Options{})
	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	sessions, err := r.svc.People.Sessions(context.Background(), r.acct.ID, r.userByEmail(t, roleUsers[carillon.RoleAdmin]).ID)
	if err != nil || len(sessions) != 1 {
		t.Fatalf("sessions: %v, %v", sessions, err)
	}
	forged := csrfToken("another session")
	forms := []struct {
		path string
		form url.Values
	}{
		{"/settings/users", url.Values{"email": {"new@example.com"}, "name": {"New"}, "role": {"agent"}}},
		{"/settings/users/role", url.Values{"user": {agent.UUID}, "role": {"admin"}}},
		{"/settings/users/link", url.Values{"user": {agent.UUID}}},
		{"/account/sessions/end", url.Values{"session": {"1"}}},
		{"/account/password", url.Values{"current_password": {password}, "password": {"a new password"}}},
	}
	for _, f := range forms {
		for _, token := range []string{"", forged} {
			form := url.Values{}
			for k, v := range f.form {
				form[k] = v
			}
			if token != "" {
				form.Set("csrf", token)
			}
			if resp := post(t, admin, r.srv.URL+f.path, form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: %d, want 403", f.path, token, resp.StatusCode)
			}
		}
	}
	users, _ := r.allUsers()
	if len(users) != len(roleUsers) {
		t.Errorf("%d users after forged invitations", len(users))
	}
	if u := r.userByEmail(t, agent.Email); u.Role != carillon.RoleAgent {
		t.Errorf("the agent's role is %s after a forged change", u.Role)
	}
	if live, _ := r.svc.People.Sessions(context.Background(), r.acct.ID, sessions[0].UserID); len(live) != 1 {
		t.Errorf("%d sessions after forged forms, want 1", len(live))
	}
	if _, _, _, err := r.svc.People.SignIn(context.Background(), roleUsers[carillon.RoleAdmin], password, service.SignInClient{}); err != nil {
		t.Errorf("the password changed with a forged form: %v", err)
	}
}

// TestInvite: the invitation's problems are shown on its form with the
// values kept; an invitation shows its link once.
func TestInvite(t *testing.T) {
	r := newRig(t, service.Options{})
	admin, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	cases := []struct {
		name               string
		email, uname, role string
		status             int
		says               string
	}{
		{"no email", "", "Bo", "agent", http.StatusUnprocessableEntity, "An email is required"},
		{"not an email", "bo at example", "Bo", "agent", http.StatusUnprocessableEntity, "is not an email address"},
		{"no name", "bo@example.com", " ", "agent", http.StatusUnprocessableEntity, "A name is required"},
		{"unknown role", "bo@example.com", "Bo", "owner", http.StatusUnprocessableEntity, "Unknown role"},
		{"a user with a password", roleUsers[carillon.RoleAgent], "Agent", "agent", http.StatusUnprocessableEntity, "has a password already"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := post(t, admin, r.srv.URL+"/settings/users", url.Values{"csrf": {csrf}, "email": {tc.email}, "name": {tc.uname}, "role": {tc.role}})
			page := readBody(t, resp)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if !strings.Contains(page, tc.says) {
				t.Errorf("the page does not say %q", tc.says)
			}
			if !strings.Contains(page, `aria-invalid="true"`) {
				t.Error("no field is marked invalid")
			}
			if tc.email != "" && !strings.Contains(page, `value="`+tc.email+`"`) {
				t.Errorf("the email %q is not kept", tc.email)
			}
			if strings.Contains(page, service.SignInLinkPath) {
				t.Error("a refused invitation shows a link")
			}
		})
	}
	users, _ := r.allUsers()
	if len(users) != len(roleUsers) {
		t.Fatalf("%d users after refused invitations", len(users))
	}

	resp := post(t, admin, r.srv.URL+"/settings/users", url.Values{"csrf": {csrf}, "email": {"Bo@Example.com"}, "name": {"Bo <b>"}, "role": {"settings_agent"}})
	page := readBody(t, resp)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("invitation: %d", resp.StatusCode)
	}
	link := linkIn(t, page, r.svc.PublicURL())
	if !strings.Contains(page, "7 days") || !strings.Contains(page, "sends no e-mail") {
		t.Error("the page does not say how long the link lasts and that it is not e-mailed")
	}
	if !strings.Contains(page, "Bo &lt;b&gt;") {
		t.Error("the invited user's name is not shown as text")
	}
	bo := r.userByEmail(t, "bo@example.com")
	if bo.Role != carillon.RoleSettingsAgent || bo.HasPassword {
		t.Errorf("the invited user: %+v", bo)
	}
	if _, u, err := r.svc.People.SignInLink(context.Background(), strings.TrimPrefix(link, r.svc.PublicURL()+service.SignInLinkPath)); err != nil || u.ID != bo.ID {
		t.Errorf("the link shown is not the user's: %v, %v", u, err)
	}
	again := readBody(t, get(t, admin, r.srv.URL+"/settings/users"))
	if strings.Contains(again, link) {
		t.Error("the link is shown a second time")
	}
	if !strings.Contains(again, `id="link-of-`+bo.UUID+`"`) {
		t.Error("a user without a password has no form for a new link")
	}

	// A new link for the user who has no password yet; none for one who has.
	resp = post(t, admin, r.srv.URL+"/settings/users/link", url.Values{"csrf": {csrf}, "user": {bo.UUID}})
	if page := readBody(t, resp); resp.StatusCode != http.StatusCreated || linkIn(t, page, r.svc.PublicURL()) == link {
		t.Errorf("a new link: %d", resp.StatusCode)
	}
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	for _, tc := range []struct {
		uuid   string
		status int
	}{{agent.UUID, http.StatusUnprocessableEntity}, {carillon.NewUUID(), http.StatusNotFound}, {"", http.StatusNotFound}} {
		resp := post(t, admin, r.srv.URL+"/settings/users/link", url.Values{"csrf": {csrf}, "user": {tc.uuid}})
		if page := readBody(t, resp); resp.StatusCode != tc.status || strings.Contains(page, service.SignInLinkPath) {
			t.Errorf("a new link for %q: %d, want %d and no link", tc.uuid, resp.StatusCode, tc.status)
		}
	}
}

// linkIn finds the one sign-in link a page shows.
func linkIn(t testing.TB, page, publicURL string) string {
	t.Helper()
	prefix := publicURL + service.SignInLinkPath
	i := strings.Index(page, prefix)
	if i < 0 {
		t.Fatal("the page shows no sign-in link")
	}
	end := strings.IndexAny(page[i:], "<\" ")
	return page[i : i+end]
}

// TestSetRoleForm: a role change is a redirect; the last admin who can
// sign in is kept, said beside them; another account's user is a 404.
func TestSetRoleForm(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	admin, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	me := r.userByEmail(t, roleUsers[carillon.RoleAdmin])
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	other, _, _, err := r.svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	stranger, err := r.svc.People.CreateUser(ctx, other.ID, "stranger@example.com", "Stranger", carillon.RoleAgent, password)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		uuid   string
		role   string
		status int
		says   string
	}{
		{"promote the agent", agent.UUID, "settings_agent", http.StatusSeeOther, ""},
		{"unknown role", agent.UUID, "owner", http.StatusUnprocessableEntity, "Unknown role"},
		{"demote the last admin", me.UUID, "agent", http.StatusConflict, "last admin who can sign in"},
		{"another account's user", stranger.UUID, "admin", http.StatusNotFound, ""},
		{"no such user", carillon.NewUUID(), "admin", http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		resp := post(t, admin, r.srv.URL+"/settings/users/role", url.Values{"csrf": {csrf}, "user": {tc.uuid}, "role": {tc.role}})
		page := readBody(t, resp)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
		if tc.status == http.StatusSeeOther && resp.Header.Get("Location") != "/settings/users" {
			t.Errorf("%s: redirected to %q", tc.name, resp.Header.Get("Location"))
		}
		if tc.says != "" && (!strings.Contains(page, tc.says) || !strings.Contains(page, `aria-describedby="role-problem"`)) {
			t.Errorf("%s: the page does not say %q beside the user", tc.name, tc.says)
		}
	}
	if u := r.userByEmail(t, agent.Email); u.Role != carillon.RoleSettingsAgent {
		t.Errorf("the agent's role: %s", u.Role)
	}
	if u := r.userByEmail(t, me.Email); u.Role != carillon.RoleAdmin {
		t.Errorf("the last admin's role: %s", u.Role)
	}
	if u, _ := r.svc.Store().UserByID(ctx, other.ID, stranger.ID); u.Role != carillon.RoleAgent {
		t.Errorf("another account's user's role: %s", u.Role)
	}
}

// TestRoleChangeOnNextRequest: a session reads its user on every request,
// so a role change applies to the next page of a session already open.
func TestRoleChangeOnNextRequest(t *testing.T) {
	r := newRig(t, service.Options{})
	admin, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	agentClient, _ := r.client(t, roleUsers[carillon.RoleAgent])
	agent := r.userByEmail(t, roleUsers[carillon.RoleAgent])
	for _, step := range []struct {
		role string
		want int
	}{{"agent", http.StatusForbidden}, {"admin", http.StatusOK}, {"restricted_agent", http.StatusForbidden}} {
		if resp := post(t, admin, r.srv.URL+"/settings/users/role", url.Values{"csrf": {csrf}, "user": {agent.UUID}, "role": {step.role}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("role %s: %d", step.role, resp.StatusCode)
		}
		if resp := get(t, agentClient, r.srv.URL+"/settings/users"); resp.StatusCode != step.want {
			t.Errorf("as %s, the users page: %d, want %d", step.role, resp.StatusCode, step.want)
		}
	}
}

// TestUsersPages: the users are listed 50 a page, oldest first, each once;
// a form sent from a page comes back to it; a page after a user of no
// account of ours is refused.
func TestUsersPages(t *testing.T) {
	r := newRig(t, service.Options{})
	r.invite(t, 2*usersPerPage+7)
	total := len(roleUsers) + 2*usersPerPage + 7
	admin, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	seen := map[string]bool{}
	var pages []string
	for next := "/settings/users"; next != ""; {
		pages = append(pages, next)
		page := readBody(t, get(t, admin, r.srv.URL+next))
		if !strings.Contains(page, fmt.Sprintf("%d users, oldest first", total)) {
			t.Errorf("%s does not say how many users there are", next)
		}
		rows := strings.Count(page, `action="/settings/users/role"`)
		if want := min(usersPerPage, total-len(seen)); rows != want {
			t.Errorf("%s lists %d users, want %d", next, rows, want)
		}
		for _, m := range userEmail.FindAllStringSubmatch(page, -1) {
			if seen[m[1]] {
				t.Errorf("%s lists %s again", next, m[1])
			}
			seen[m[1]] = true
		}
		next = ""
		if m := nextUsers.FindStringSubmatch(page); m != nil {
			next = html.UnescapeString(m[1])
		}
	}
	if len(pages) != 3 || len(seen) != total {
		t.Errorf("%d pages list %d users, want 3 pages and %d users", len(pages), len(seen), total)
	}

	// A role changed on the second page leads back to it.
	second := pages[1]
	after := strings.TrimPrefix(second, "/settings/users?after=")
	u := r.userByEmail(t, "user060@example.com")
	resp := post(t, admin, r.srv.URL+"/settings/users/role", url.Values{"csrf": {csrf}, "user": {u.UUID}, "role": {"settings_agent"}, "after": {after}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != second {
		t.Errorf("a role changed on the second page: %d to %q, want 303 to %s", resp.StatusCode, resp.Header.Get("Location"), second)
	}
	resp = post(t, admin, r.srv.URL+"/settings/users/role", url.Values{"csrf": {csrf}, "user": {u.UUID}, "role": {"owner"}, "after": {after}})
	if page := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="role-of-`+u.UUID+`"`) {
		t.Errorf("a refused role on the second page: %d, the page shows the user: %v", resp.StatusCode, strings.Contains(page, u.UUID))
	}
	for _, bad := range []string{carillon.NewUUID(), "%ff"} {
		if resp := get(t, admin, r.srv.URL+"/settings/users?after="+bad); resp.StatusCode != http.StatusUnprocessableEntity {
			t.Errorf("a page after %q: %d, want 422", bad, resp.StatusCode)
		}
	}
}

var (
	userEmail = regexp.MustCompile(`<td data-label="Email" class="nowrap">([^<]+)</td>`)
	nextUsers = regexp.MustCompile(`<a href="([^"]+)" rel="next">Next users</a>`)
)

// invite invites n users, user000@example.com and on.
func (r *rig) invite(t testing.TB, n int) {
	t.Helper()
	for i := range n {
		if _, _, err := r.svc.People.Invite(context.Background(), r.acct.ID, fmt.Sprintf("user%03d@example.com", i), fmt.Sprintf("User %03d", i), carillon.RoleAgent); err != nil {
			t.Fatal(err)
		}
	}
}
