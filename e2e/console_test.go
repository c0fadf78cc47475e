package e2e

import (
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// browser is a person's browser in the console: a cookie jar, redirects
// shown to the test rather than followed.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{t: t, client: &http.Client{
		Jar: jar, Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// page is a console answer: its status, where it redirects to, its body.
type page struct {
	Code     int
	Location string
	Body     string
}

func (b *browser) read(resp *http.Response, err error, what string) page {
	b.t.Helper()
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
	return page{Code: resp.StatusCode, Location: resp.Header.Get("Location"), Body: string(body)}
}

func (b *browser) get(u string) page {
	b.t.Helper()
	resp, err := b.client.Get(u)
	return b.read(resp, err, "GET "+u)
}

func (b *browser) post(u string, form url.Values) page {
	b.t.Helper()
	resp, err := b.client.PostForm(u, form)
	return b.read(resp, err, "POST "+u)
}

// hiddenField is the value of the hidden input name of a form in body.
func hiddenField(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<input type="hidden" name="` + regexp.QuoteMeta(name) + `" value="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no hidden field %q in the form:\n%s", name, body)
	}
	return html.UnescapeString(m[1])
}

// signInFrom follows a console link without a session: it leads to the
// sign-in page, which brings the person back to the link once signed in.
// It returns the page the link shows then.
func (b *browser) signInFrom(base, link, email, password string) page {
	t := b.t
	t.Helper()
	path := strings.TrimPrefix(link, base)
	p := b.get(link)
	wantSignIn := "/sign-in?next=" + url.QueryEscape(path)
	if p.Code != http.StatusSeeOther || p.Location != wantSignIn {
		t.Fatalf("GET %s without a session: %d to %q, want 303 to %q", link, p.Code, p.Location, wantSignIn)
	}
	form := b.get(base + p.Location)
	if form.Code != http.StatusOK {
		t.Fatalf("the sign-in page: %d\n%s", form.Code, form.Body)
	}
	if next := hiddenField(t, form.Body, "next"); next != path {
		t.Fatalf("the sign-in form leads to %q after sign-in, want %q", next, path)
	}
	p = b.post(base+"/sign-in", url.Values{
		"csrf": {hiddenField(t, form.Body, "csrf")}, "next": {hiddenField(t, form.Body, "next")},
		"email": {email}, "password": {password},
	})
	if p.Code != http.StatusSeeOther || p.Location != path {
		t.Fatalf("signing in as %s: %d to %q, want 303 to %q\n%s", email, p.Code, p.Location, path, p.Body)
	}
	return b.get(base + p.Location)
}

// TestConsoleFollowsAPIHrefs sends a message through the API, follows the
// href and conversationHref of the contact it answers, signs in on the way
// (a user made with carillon users create) and lands on the contact's page
// and its conversation. A restricted agent the contact is not assigned to
// gets 404 at the same links once signed in.
func TestConsoleFollowsAPIHrefs(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		const text = "Hello from the end-to-end test"
		r := s.do(t, "POST", "/v1/messages/send", s.Key,
			`{"to": "+31 6 1234 5678", "from": "whatsapp", "type": "text", "content": {"text": "`+text+`"}, "fields": "contact"}`)
		enqueuedUUID(t, r)
		contact := object(t, object(t, r.JSON(t), "message"), "contact")
		href, _ := contact["href"].(string)
		convHref, _ := contact["conversationHref"].(string)
		cuuid, _ := contact["uuid"].(string)
		if href != s.URL+"/contacts/"+cuuid || !strings.HasPrefix(convHref, s.URL+"/chat/") {
			t.Fatalf("the contact's href %q and conversationHref %q, want %s/contacts/%s and %s/chat/…", href, convHref, s.URL, cuuid, s.URL)
		}

		users := map[string]string{"admin": "ana@example.com", "restricted_agent": "bo@example.com"}
		const password = "a password long enough"
		for role, email := range users {
			res := s.adminStdin(t, password+"\n", []string{"users", "create"}, "--email", email, "--name", role, "--role", role, "--password-stdin")
			if res.Code != 0 {
				t.Fatalf("users create %s: exit %d\n%s%s", email, res.Code, res.Stdout, res.Stderr)
			}
		}

		b := newBrowser(t)
		p := b.signInFrom(s.URL, href, users["admin"], password)
		if p.Code != http.StatusOK || !strings.Contains(p.Body, "31612345678") || !strings.Contains(p.Body, text) {
			t.Fatalf("the contact's page: %d, want 200 with its number and message\n%s", p.Code, p.Body)
		}
		p = b.get(convHref)
		if p.Code != http.StatusOK || !strings.Contains(p.Body, "31612345678") || !strings.Contains(p.Body, text) {
			t.Fatalf("the conversation's page: %d, want 200 with its contact and message\n%s", p.Code, p.Body)
		}

		// The conversation's link signs in too, and shows only what the
		// user may see.
		b = newBrowser(t)
		p = b.signInFrom(s.URL, convHref, users["restricted_agent"], password)
		if p.Code != http.StatusNotFound || strings.Contains(p.Body, text) {
			t.Errorf("a restricted agent's conversation page of a contact not theirs: %d, want 404 without its messages", p.Code)
		}
		if p = b.get(href); p.Code != http.StatusNotFound || strings.Contains(p.Body, text) {
			t.Errorf("a restricted agent's contact page of a contact not theirs: %d, want 404 without its messages", p.Code)
		}
	})
}
