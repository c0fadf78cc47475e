package console

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// rig is a console served on a loopback port over the real service (a
// SQLite store with the default account), with a user of each role.
type rig struct {
	svc  *service.Service
	acct testrig.Account
	srv  *httptest.Server
}

// password is every test user's password.
const password = "correct horse battery"

// The test users, one of each role, by email.
var roleUsers = map[carillon.Role]string{
	carillon.RoleAdmin:           "admin@example.com",
	carillon.RoleSettingsAgent:   "settings@example.com",
	carillon.RoleAgent:           "agent@example.com",
	carillon.RoleRestrictedAgent: "restricted@example.com",
}

// newRig serves the console over a service built with o (an unset
// PublicURL is http://carillon.test).
func newRig(t testing.TB, o service.Options) *rig {
	t.Helper()
	if o.Registry == nil {
		o.Registry = providers
	}
	return newRigOf(t, testrig.Service(t, o))
}

// newRigOf serves the console over the service svc.
func newRigOf(t testing.TB, svc *service.Service) *rig {
	t.Helper()
	acct := testrig.DefaultAccount(t, svc)
	for role, email := range roleUsers {
		if _, err := svc.People.CreateUser(context.Background(), acct.ID, email, "User "+string(role), role, password); err != nil {
			t.Fatal(err)
		}
	}
	c := New(Options{People: svc.People, Accounts: svc.Accounts, Contacts: svc.Contacts, Inbox: svc.Inbox, Messages: svc.Messages, Webhooks: svc.Webhooks, Users: svc.People,
		Live: svc.Live, PublicURL: svc.PublicURL()})
	srv := httptest.NewServer(c)
	t.Cleanup(srv.Close)
	// Before the server closes (which waits for every answer to end): a
	// tab's live stream ends only when told.
	t.Cleanup(svc.Live.EndStreams)
	return &rig{svc: svc, acct: acct, srv: srv}
}

// withSignInLimit sets the limit of failed sign-ins.
func withSignInLimit(n int) service.Options {
	return service.Options{People: service.PeopleOptions{SignInFailureLimit: n}}
}

// client returns an HTTP client that does not follow redirects, signed in
// as the user with that email ("" for none), and the CSRF token of its
// forms.
func (r *rig) client(t testing.TB, email string) (*http.Client, string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if email == "" {
		return c, ""
	}
	token, _, _, err := r.svc.People.SignIn(context.Background(), email, password, service.SignInClient{Address: "192.0.2.1", UserAgent: "test"})
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse(r.srv.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: token, Path: "/"}})
	return c, csrfToken(token)
}

// firstAdminLink makes a first admin's link and returns its path.
func (r *rig) firstAdminLink(t testing.TB) string {
	t.Helper()
	link, err := r.svc.People.FirstAdminLink(context.Background(), r.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimPrefix(link, r.svc.PublicURL())
}

// post sends a form.
func post(t testing.TB, c *http.Client, u string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func get(t testing.TB, c *http.Client, u string) *http.Response {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// contactWithConversation makes a contact of the account of p with an
// open conversation and a note, and returns its uuid and its
// conversation's.
func contactWithConversation(t testing.TB, svc *service.Service, p service.Principal, name, note string) (string, string) {
	t.Helper()
	ctx := context.Background()
	c, err := svc.Contacts.CreateContact(ctx, p, service.ContactInput{Identifier: "+31612345678", Source: "whatsapp", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Contacts.OpenConversation(ctx, p, c.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Contacts.AddNote(ctx, p, c.UUID, note); err != nil {
		t.Fatal(err)
	}
	v, err := svc.Contacts.Contact(ctx, p, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	return v.UUID, v.ConversationUUID
}

// readBody reads an answer's body.
func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
