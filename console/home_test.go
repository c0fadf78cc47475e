package console

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// webhookSection is the home page's webhook section of body.
func webhookSection(t *testing.T, body string) string {
	t.Helper()
	start := strings.Index(body, `id="webhook-title"`)
	if start < 0 {
		t.Fatalf("the home page has no webhook section:\n%s", body)
	}
	end := strings.Index(body[start:], "</section>")
	return body[start : start+end]
}

// TestHomeWebhook: the home page's webhook section leads admins to the
// webhook's pages, with or without a webhook; other roles see its state
// without a link to pages they cannot open.
func TestHomeWebhook(t *testing.T) {
	r := newRig(t, service.Options{})
	cases := []struct {
		role  carillon.Role
		links bool
	}{
		{carillon.RoleAdmin, true},
		{carillon.RoleSettingsAgent, false},
		{carillon.RoleAgent, false},
		{carillon.RoleRestrictedAgent, false},
	}
	read := func(t *testing.T, role carillon.Role) string {
		t.Helper()
		c, _ := r.client(t, roleUsers[role])
		resp := get(t, c, r.srv.URL+"/")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET / as %s: %d", role, resp.StatusCode)
		}
		return webhookSection(t, readBody(t, resp))
	}
	for _, tc := range cases {
		t.Run("none/"+string(tc.role), func(t *testing.T) {
			s := read(t, tc.role)
			if !strings.Contains(s, "No webhook yet") {
				t.Errorf("no webhook, the section says %q", s)
			}
			if got := strings.Contains(s, `<a href="/settings/webhook">`); got != tc.links {
				t.Errorf("a link to the webhook page: %v, want %v in %q", got, tc.links, s)
			}
			if strings.Contains(s, "/v1/") {
				t.Errorf("the section sends people to the API: %q", s)
			}
		})
	}
	if _, _, err := r.svc.Webhooks.Subscribe(context.Background(), r.acct.Principal, "https://hooks.example.com/carillon", []string{carillon.EventMessageCreated}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range cases {
		t.Run("subscribed/"+string(tc.role), func(t *testing.T) {
			s := read(t, tc.role)
			if !strings.Contains(s, "https://hooks.example.com/carillon") {
				t.Errorf("the section does not show the webhook's URL: %q", s)
			}
			for _, link := range []string{`href="/settings/webhook"`, `href="/settings/webhook/events"`} {
				if got := strings.Contains(s, link); got != tc.links {
					t.Errorf("%s: %v, want %v in %q", link, got, tc.links, s)
				}
			}
		})
	}
}
