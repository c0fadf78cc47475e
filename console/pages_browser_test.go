package console

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// xss is what a user may write in a field: it must show as text, run
// nothing and break no policy.
const xss = `<script>alert("x")</script><img src=x onerror=alert(1)>`

// TestBrowserDetectsViolations proves the checks can fail: a page with an
// inline script under the console's policy is caught, and axe-core finds
// an image without a text.
func TestBrowserDetectsViolations(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", contentSecurityPolicy)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte(`<!doctype html><html lang="en"><title>t</title><main><h1>t</h1><img src="data:,"><script>document.title = "ran"</script></main></html>`))
	}))
	t.Cleanup(srv.Close)
	tb.do(chromedp.Navigate(srv.URL))
	tb.do(chromedp.WaitReady(chromedp.CSS("body")))
	violations, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`window.cspViolations`))
	if err != nil {
		t.Fatal(err)
	}
	if len(violations) == 0 {
		t.Error("an inline script under the policy went unnoticed")
	}
	if title, _ := chromedp.Run(tb.ctx, chromedp.Title()); title == "ran" {
		t.Error("the inline script ran despite the policy")
	}
	if found := tb.axeViolations(); !strings.Contains(strings.Join(found, "\n"), "image-alt") {
		t.Errorf("axe-core missed the image without alt: %q", found)
	}
}

// TestBrowserSignInAndKeys signs in after a wrong password, creates a key
// whose name is a script (shown once, as text), revokes it, and signs out.
func TestBrowserSignInAndKeys(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	tb := newTab(t)
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/api-keys"))
	if loc := tb.location(); loc != "/sign-in?next=%2Fsettings%2Fapi-keys" {
		t.Fatalf("a page before sign-in led to %s", loc)
	}
	tb.check("sign-in")

	tb.submit(map[string]string{"#email": roleUsers[carillon.RoleAdmin], "#password": "not the password"}, `form[action="/sign-in"] button`)
	if got := tb.text(".problem"); got != wrongSignIn {
		t.Errorf("wrong password: %q, want %q", got, wrongSignIn)
	}
	tb.check("sign-in-wrong-password")

	tb.submit(map[string]string{"#email": roleUsers[carillon.RoleAdmin], "#password": password}, `form[action="/sign-in"] button`)
	if loc := tb.location(); loc != "/settings/api-keys" {
		t.Fatalf("sign-in led to %s, want the page asked for", loc)
	}
	tb.check("api-keys")

	tb.submit(map[string]string{"#key-name": xss}, `form[action="/settings/api-keys"] button`)
	secret := tb.text("#new-key")
	if !regexp.MustCompile(`^crln_[0-9a-f]{48}$`).MatchString(secret) {
		t.Fatalf("the new key shows %q", secret)
	}
	if got := tb.text(".notice h2"); !strings.Contains(got, xss) {
		t.Errorf("the key's name shows as %q, want the text %q", got, xss)
	}
	tb.check("api-keys-created")
	if _, err := r.svc.Accounts.Authenticate(context.Background(), secret); err != nil {
		t.Errorf("the key shown does not authenticate: %v", err)
	}

	tb.do(chromedp.Navigate(r.srv.URL + "/settings/api-keys"))
	html, err := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, secret) {
		t.Error("the key's secret is shown a second time")
	}
	if !strings.Contains(tb.text("tbody"), xss) {
		t.Errorf("the list does not show the key's name as text")
	}

	tb.submit(nil, `tbody tr:first-child button.danger`)
	if got := tb.text("tbody tr:first-child td:last-child"); !strings.HasPrefix(got, "revoked") {
		t.Errorf("after revoking, the key's state is %q", got)
	}
	if _, err := r.svc.Accounts.Authenticate(context.Background(), secret); err == nil {
		t.Error("the revoked key still authenticates")
	}

	tb.submit(nil, `form[action="/sign-out"] button`)
	if loc := tb.location(); loc != "/sign-in" {
		t.Errorf("sign-out led to %s", loc)
	}
	tb.do(chromedp.Navigate(r.srv.URL + "/"))
	if loc := tb.location(); !strings.HasPrefix(loc, "/sign-in") {
		t.Errorf("after sign-out, the home page led to %s", loc)
	}
}

// TestBrowserThrottled shows the 429 page once over the failure limit.
func TestBrowserThrottled(t *testing.T) {
	t.Parallel()
	r := newRig(t, withSignInLimit(1))
	tb := newTab(t)
	tb.do(chromedp.Navigate(r.srv.URL + "/sign-in"))
	tb.submit(map[string]string{"#email": roleUsers[carillon.RoleAdmin], "#password": "wrong password"}, `form[action="/sign-in"] button`)
	tb.submit(map[string]string{"#email": roleUsers[carillon.RoleAdmin], "#password": password}, `form[action="/sign-in"] button`)
	if got := tb.text("h1"); !strings.HasPrefix(got, "429") {
		t.Errorf("throttled sign-in shows %q", got)
	}
	tb.check("too-many-sign-ins")
}

// TestBrowserRolesAndTenancy: an agent's navigation, a 403 for an admin
// page, a 404 for another account's contact.
func TestBrowserRolesAndTenancy(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	other, _, _, err := r.svc.Accounts.SetupAccount(context.Background(), "other", false)
	if err != nil {
		t.Fatal(err)
	}
	p := r.acct.Principal
	p.Account = other
	otherContact, _ := contactWithConversation(t, r.svc, p, "Other's contact", "private")

	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAgent])
	if nav := tb.text("nav"); strings.Contains(nav, "API keys") {
		t.Errorf("an agent's navigation offers %q", nav)
	}
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/api-keys"))
	if got := tb.text("h1"); !strings.HasPrefix(got, "403") {
		t.Errorf("an agent on the API keys page sees %q", got)
	}
	tb.check("forbidden")
	tb.do(chromedp.Navigate(r.srv.URL + "/contacts/" + otherContact))
	if got := tb.text("h1"); !strings.HasPrefix(got, "404") {
		t.Errorf("another account's contact shows %q", got)
	}
	tb.check("not-found")
}

// TestBrowserCSRF: a form whose token was tampered with is refused.
func TestBrowserCSRF(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/api-keys"))
	tb.do(chromedp.SetAttributeValue(chromedp.CSS(`form[action="/settings/api-keys"] input[name="csrf"]`), "value", "forged"))
	tb.submit(map[string]string{"#key-name": "forged"}, `form[action="/settings/api-keys"] button`)
	if got := tb.text("h1"); !strings.HasPrefix(got, "403") {
		t.Errorf("a forged form shows %q", got)
	}
	keys, _ := r.svc.Accounts.ListKeys(context.Background(), r.acct.ID)
	if len(keys) != 1 {
		t.Errorf("%d keys after a forged form, want 1", len(keys))
	}
}

// TestBrowserPages checks the home, contact and conversation pages, with a
// script as the contact's name and in its message.
func TestBrowserPages(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	contact, conversation := contactWithConversation(t, r.svc, r.acct.Principal, xss, xss)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/"))
	if got := tb.text("#curl"); !strings.Contains(got, "http://carillon.test/v1/messages/send") {
		t.Errorf("the getting-started curl is %q", got)
	}
	tb.check("home")
	for _, pg := range []struct{ name, path string }{{"contact", "/contacts/" + contact}, {"chat-by-uuid", "/chat/" + conversation}} {
		tb.do(chromedp.Navigate(r.srv.URL + pg.path))
		if got := tb.text("h1"); got != xss {
			t.Errorf("%s: the name shows as %q, want the text", pg.name, got)
		}
		if got := tb.text(".thread .text"); got != xss {
			t.Errorf("%s: the message shows as %q, want the text", pg.name, got)
		}
		tb.check(pg.name)
	}
}

// TestBrowserFirstAdmin opens a first-admin link, makes the admin and lands
// signed in on the home page.
func TestBrowserFirstAdmin(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	link := r.firstAdminLink(t)
	tb := newTab(t)
	tb.do(chromedp.Navigate(r.srv.URL + link))
	tb.check("welcome")
	tb.submit(map[string]string{"#email": "first@example.com", "#name": "First Admin", "#password": "short"}, `form button`)
	if got := tb.text(".problem"); !strings.Contains(got, "8 characters") {
		t.Errorf("a short password shows %q", got)
	}
	tb.submit(map[string]string{"#email": "first@example.com", "#name": "First Admin", "#password": password}, `form button`)
	if loc := tb.location(); loc != "/" {
		t.Fatalf("the link led to %s", loc)
	}
	if got := tb.text(".who-name"); got != "First Admin" {
		t.Errorf("signed in as %q", got)
	}
	tb.do(chromedp.Navigate(r.srv.URL + link))
	if got := tb.text("h1"); !strings.HasPrefix(got, "404") {
		t.Errorf("a used link shows %q", got)
	}
}
