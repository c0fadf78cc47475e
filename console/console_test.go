package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// newRecorder serves one request, with a form and a cookie when given.
func newRecorder(h http.Handler, method, path string, form url.Values, cookie *http.Cookie) *httptest.ResponseRecorder {
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req := httptest.NewRequest(method, path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		req.AddCookie(cookie)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

// TestRoles opens every page as each role: the table in roles.go decides,
// and a page outside the role's sections is a 403.
func TestRoles(t *testing.T) {
	r := newRig(t, service.Options{})
	contact, conversation := contactWithConversation(t, r.svc, r.acct.Principal, "Ada", "hello")
	// Assigned to the restricted agent, whom the others would not show
	// (TestContactPagesViewers).
	assignTo(t, r.svc, r.acct.Principal, contact, roleUsers[carillon.RoleRestrictedAgent])
	pages := []struct {
		path    string
		allowed []carillon.Role
	}{
		{"/", []carillon.Role{carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent}},
		{"/inbox", []carillon.Role{carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent}},
		{"/contacts/" + contact, []carillon.Role{carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent}},
		{"/chat/" + conversation, []carillon.Role{carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent}},
		{"/settings/api-keys", []carillon.Role{carillon.RoleAdmin}},
	}
	for _, p := range pages {
		for role, email := range roleUsers {
			t.Run(string(role)+p.path, func(t *testing.T) {
				c, _ := r.client(t, email)
				resp := get(t, c, r.srv.URL+p.path)
				want := http.StatusForbidden
				for _, a := range p.allowed {
					if a == role {
						want = http.StatusOK
					}
				}
				if resp.StatusCode != want {
					t.Errorf("GET %s as %s: %d, want %d", p.path, role, resp.StatusCode, want)
				}
			})
		}
	}
	// A form of a page the role may not open is refused too.
	c, csrf := r.client(t, roleUsers[carillon.RoleAgent])
	if resp := post(t, c, r.srv.URL+"/settings/api-keys", url.Values{"csrf": {csrf}, "name": {"sneaky"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("agent creating a key: %d, want 403", resp.StatusCode)
	}
	keys, _ := r.svc.Accounts.ListKeys(context.Background(), r.acct.ID)
	if len(keys) != 1 {
		t.Errorf("the account has %d keys after an agent's refused form, want 1", len(keys))
	}
}

// TestSectionsTable checks the one table of who opens what.
func TestSectionsTable(t *testing.T) {
	all := []section{sectionAny, sectionHome, sectionConversations, sectionSettings, sectionAdmin}
	want := map[carillon.Role][]section{
		carillon.RoleAdmin:           all,
		carillon.RoleSettingsAgent:   {sectionAny, sectionHome, sectionConversations, sectionSettings},
		carillon.RoleAgent:           {sectionAny, sectionHome, sectionConversations},
		carillon.RoleRestrictedAgent: {sectionAny, sectionHome, sectionConversations},
		carillon.Role("unknown"):     nil,
	}
	for role, sections := range want {
		for _, sec := range all {
			expected := false
			for _, s := range sections {
				expected = expected || s == sec
			}
			if got := mayOpen(role, sec); got != expected {
				t.Errorf("mayOpen(%s, %s) = %v, want %v", role, sec, got, expected)
			}
		}
	}
}

// TestOtherAccount answers 404 for another account's contact and
// conversation, as for one that does not exist.
func TestOtherAccount(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	other, _, _, err := r.svc.Accounts.SetupAccount(ctx, "other", true)
	if err != nil {
		t.Fatal(err)
	}
	p := r.acct.Principal
	p.Account = other
	contact, conversation := contactWithConversation(t, r.svc, p, "Other's", "private")
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, path := range []string{"/contacts/" + contact, "/chat/" + conversation, "/contacts/0123456789abcdef0123456789abcdef", "/contacts/not-a-uuid", "/no-such-page"} {
		resp := get(t, c, r.srv.URL+path)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
		if strings.Contains(string(body), "private") || strings.Contains(string(body), "Other&#39;s") {
			t.Errorf("GET %s shows the other account's contact", path)
		}
	}
}

// TestSecurityHeaders checks the headers of every kind of answer.
func TestSecurityHeaders(t *testing.T) {
	r := newRig(t, service.Options{})
	signedIn, _ := r.client(t, roleUsers[carillon.RoleAgent])
	anonymous, _ := r.client(t, "")
	cases := []struct {
		name   string
		c      *http.Client
		path   string
		status int
		page   bool
	}{
		{"sign-in page", anonymous, "/sign-in", http.StatusOK, true},
		{"redirect to sign in", anonymous, "/", http.StatusSeeOther, true},
		{"home", signedIn, "/", http.StatusOK, true},
		{"403", signedIn, "/settings/api-keys", http.StatusForbidden, true},
		{"404", signedIn, "/nowhere", http.StatusNotFound, true},
		{"stylesheet", anonymous, "/assets/console.css", http.StatusOK, false},
		{"script", anonymous, "/assets/console.js", http.StatusOK, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := get(t, tc.c, r.srv.URL+tc.path)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			want := map[string]string{
				"Content-Security-Policy": "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
				"X-Frame-Options":         "DENY",
				"X-Content-Type-Options":  "nosniff",
				"Referrer-Policy":         "same-origin",
			}
			if tc.page {
				want["Cache-Control"] = "no-store"
			}
			for k, v := range want {
				if got := resp.Header.Get(k); got != v {
					t.Errorf("%s: %q, want %q", k, got, v)
				}
			}
		})
	}
}

// TestNoInlineScriptOrStyle reads every template: the policy forbids
// inline script and style, so none may be written.
func TestNoInlineScriptOrStyle(t *testing.T) {
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<style|\sstyle=|\son[a-z]+=|javascript:`)
	for name, tmpl := range parsePages().byName {
		for _, sub := range tmpl.Templates() {
			if sub.Tree == nil {
				continue
			}
			if m := inline.FindString(sub.Tree.Root.String()); m != "" {
				t.Errorf("template %s (%s) has inline script or style: %q", name, sub.Name(), m)
			}
		}
	}
}

// TestCSRF refuses forms without the right token, signed in or not.
func TestCSRF(t *testing.T) {
	r := newRig(t, service.Options{})
	admin, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	anonymous, _ := r.client(t, "")
	cases := []struct {
		name string
		c    *http.Client
		path string
		form url.Values
	}{
		{"no token", admin, "/settings/api-keys", url.Values{"name": {"k"}}},
		{"wrong token", admin, "/settings/api-keys", url.Values{"name": {"k"}, "csrf": {strings.Repeat("0", 64)}}},
		{"another session's token", admin, "/settings/api-keys", url.Values{"name": {"k"}, "csrf": {csrfToken("another session")}}},
		{"sign-out without token", admin, "/sign-out", url.Values{}},
		{"sign-in without the cookie", anonymous, "/sign-in", url.Values{"email": {roleUsers[carillon.RoleAdmin]}, "password": {password}, "csrf": {csrf}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if resp := post(t, tc.c, r.srv.URL+tc.path, tc.form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s: %d, want 403", tc.path, resp.StatusCode)
			}
		})
	}
	keys, _ := r.svc.Accounts.ListKeys(context.Background(), r.acct.ID)
	if len(keys) != 1 {
		t.Errorf("%d keys after refused forms, want 1", len(keys))
	}
	if resp := get(t, admin, r.srv.URL+"/"); resp.StatusCode != http.StatusOK {
		t.Errorf("the session ended by a refused sign-out: %d", resp.StatusCode)
	}
	// With the token, the same form works.
	if resp := post(t, admin, r.srv.URL+"/settings/api-keys", url.Values{"name": {"k"}, "csrf": {csrf}}); resp.StatusCode != http.StatusCreated {
		t.Errorf("POST with the token: %d, want 201", resp.StatusCode)
	}
}

// TestSignInFlow signs in over HTTP: wrong email and wrong password get
// the same answer, the right ones a cookie and the page asked for.
func TestSignInFlow(t *testing.T) {
	r := newRig(t, service.Options{})
	c, _ := r.client(t, "")
	resp := get(t, c, r.srv.URL+"/settings/api-keys")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in?next=%2Fsettings%2Fapi-keys" {
		t.Fatalf("unauthenticated page: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	csrf := formToken(t, get(t, c, r.srv.URL+"/sign-in?next=%2Fsettings%2Fapi-keys"))
	var bodies []string
	for _, creds := range [][2]string{{"nobody@example.com", password}, {roleUsers[carillon.RoleAdmin], "wrong password"}} {
		resp := post(t, c, r.srv.URL+"/sign-in", url.Values{"csrf": {csrf}, "email": {creds[0]}, "password": {creds[1]}})
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(string(body), wrongSignIn) {
			t.Errorf("sign-in as %s/%s: %d, want 401 with %q", creds[0], creds[1], resp.StatusCode, wrongSignIn)
		}
		bodies = append(bodies, strings.Replace(string(body), creds[0], "EMAIL", 1))
	}
	if bodies[0] != bodies[1] {
		t.Error("a wrong email and a wrong password get different pages")
	}
	resp = post(t, c, r.srv.URL+"/sign-in", url.Values{"csrf": {csrf}, "email": {roleUsers[carillon.RoleAdmin]}, "password": {password}, "next": {"/settings/api-keys"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/api-keys" {
		t.Fatalf("sign-in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie {
			cookie = ck
		}
	}
	if cookie == nil || !cookie.HttpOnly || cookie.SameSite != http.SameSiteLaxMode || cookie.Path != "/" || cookie.Secure {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, not Secure on http", cookie)
	}
	if resp := get(t, c, r.srv.URL+"/settings/api-keys"); resp.StatusCode != http.StatusOK {
		t.Errorf("the page after sign-in: %d", resp.StatusCode)
	}

}

// TestSignInThrottled answers 429 with Retry-After once over the limit of
// failed sign-ins, the right password included.
func TestSignInThrottled(t *testing.T) {
	r := newRig(t, withSignInLimit(1))
	c, _ := r.client(t, "")
	csrf := formToken(t, get(t, c, r.srv.URL+"/sign-in"))
	if resp := post(t, c, r.srv.URL+"/sign-in", url.Values{"csrf": {csrf}, "email": {roleUsers[carillon.RoleAdmin]}, "password": {"wrong password"}}); resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("first wrong password: %d, want 401", resp.StatusCode)
	}
	resp := post(t, c, r.srv.URL+"/sign-in", url.Values{"csrf": {csrf}, "email": {roleUsers[carillon.RoleAdmin]}, "password": {password}})
	wait, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if resp.StatusCode != http.StatusTooManyRequests || err != nil || wait < 1 || wait > 900 {
		t.Errorf("throttled sign-in: %d, Retry-After %q; want 429 and a wait of at most 15 minutes", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == sessionCookie && ck.Value != "" {
			t.Error("a throttled sign-in set a session cookie")
		}
	}
}

// TestSecureCookie marks the session cookie Secure when the public URL is
// https.
func TestSecureCookie(t *testing.T) {
	r := newRig(t, service.Options{PublicURL: "https://carillon.example"})
	path := r.firstAdminLink(t)
	s := r.srv.Config.Handler
	w := newRecorder(s, "GET", "/sign-in", nil, nil)
	csrf := w.Result().Cookies()[0]
	if !csrf.Secure {
		t.Errorf("CSRF cookie not Secure on https")
	}
	w = newRecorder(s, "POST", path, url.Values{"csrf": {csrf.Value}, "email": {"b@example.com"}, "name": {"B"}, "password": {password}}, csrf)
	if w.Code != http.StatusSeeOther {
		t.Fatalf("welcome: %d", w.Code)
	}
	found := false
	for _, ck := range w.Result().Cookies() {
		if ck.Name == sessionCookie {
			found = true
			if !ck.Secure {
				t.Errorf("session cookie not Secure on https")
			}
		}
	}
	if !found {
		t.Error("the first admin's link set no session cookie")
	}
}

func TestLocalPath(t *testing.T) {
	cases := map[string]string{
		"/settings/api-keys":  "/settings/api-keys",
		"/contacts/ab?x=1":    "/contacts/ab?x=1",
		"":                    "/",
		"https://evil.test/":  "/",
		"//evil.test/":        "/",
		"/\\evil.test":        "/",
		"relative":            "/",
		"/\r\nSet-Cookie: x":  "/",
		"javascript:alert(1)": "/",
	}
	for in, want := range cases {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// formToken reads the csrf field of a page's form.
func formToken(t testing.TB, resp *http.Response) string {
	t.Helper()
	body, _ := io.ReadAll(resp.Body)
	m := regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`).FindSubmatch(body)
	if m == nil {
		t.Fatalf("no csrf field in the page:\n%s", body)
	}
	return string(m[1])
}

// TestSignOut ends this browser's session, and "everywhere" every session
// of the user, the other users' kept.
func TestSignOut(t *testing.T) {
	r := newRig(t, service.Options{})
	first, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	second, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	third, csrfThird := r.client(t, roleUsers[carillon.RoleAdmin])
	agent, _ := r.client(t, roleUsers[carillon.RoleAgent])

	resp := post(t, first, r.srv.URL+"/sign-out", url.Values{"csrf": {csrf}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/sign-in" {
		t.Errorf("sign-out: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	status := func(c *http.Client) int { return get(t, c, r.srv.URL+"/").StatusCode }
	if status(first) != http.StatusSeeOther || status(second) != http.StatusOK {
		t.Errorf("after signing out one browser: %d (it), %d (another), want 303, 200", status(first), status(second))
	}
	post(t, third, r.srv.URL+"/sign-out-everywhere", url.Values{"csrf": {csrfThird}})
	if status(second) != http.StatusSeeOther || status(third) != http.StatusSeeOther || status(agent) != http.StatusOK {
		t.Errorf("after signing out everywhere: %d, %d (the user's), %d (another user's), want 303, 303, 200",
			status(second), status(third), status(agent))
	}
}
