package console

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// TestSandboxRoles opens the sandbox page and sends its form as each role:
// admins and settings agents play customers; agents get 403 and their form
// stores nothing.
func TestSandboxRoles(t *testing.T) {
	r := newRig(t, service.Options{})
	allowed := map[carillon.Role]bool{carillon.RoleAdmin: true, carillon.RoleSettingsAgent: true}
	for role, email := range roleUsers {
		t.Run(string(role), func(t *testing.T) {
			c, csrf := r.client(t, email)
			want, wantPost := http.StatusForbidden, http.StatusForbidden
			if allowed[role] {
				want, wantPost = http.StatusOK, http.StatusSeeOther
			}
			if resp := get(t, c, r.srv.URL+"/sandbox"); resp.StatusCode != want {
				t.Errorf("GET /sandbox: %d, want %d", resp.StatusCode, want)
			}
			resp := post(t, c, r.srv.URL+"/sandbox", url.Values{"csrf": {csrf}, "channel": {r.sandboxChannel(t)},
				"from": {"+31612345678"}, "text": {"from " + string(role)}})
			if resp.StatusCode != wantPost {
				t.Errorf("POST /sandbox: %d, want %d", resp.StatusCode, wantPost)
			}
		})
	}
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	page := readBody(t, get(t, c, r.srv.URL+"/messages"))
	for role := range roleUsers {
		if got := strings.Contains(page, "from "+string(role)); got != allowed[role] {
			t.Errorf("message of %s in the log: %v, want %v", role, got, allowed[role])
		}
	}
}

// sandboxChannel is the uuid of the account's sandbox channel.
func (r *rig) sandboxChannel(t testing.TB) string {
	t.Helper()
	sb, err := r.svc.Messages.SandboxChannels(context.Background(), r.acct.Principal)
	if err != nil || len(sb.Channels) == 0 {
		t.Fatalf("sandbox channels: %+v, %v", sb.Channels, err)
	}
	return sb.Channels[0].UUID
}

// TestSandboxInbound plays a customer: the message arrives, the page links
// to its conversation and to the message in the log, which shows it
// received; a reserved number is taken over the typed one.
func TestSandboxInbound(t *testing.T) {
	r := newRig(t, service.Options{})
	c, csrf := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	page := readBody(t, get(t, c, r.srv.URL+"/sandbox"))
	for _, want := range []string{"+15550000001", "131026", "+15550000006", `name="reserved"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the sandbox page does not list %q", want)
		}
	}
	resp := post(t, c, r.srv.URL+"/sandbox", url.Values{"csrf": {csrf}, "channel": {r.sandboxChannel(t)},
		"from": {"+31 6 1234 5678"}, "reserved": {"15550000003"}, "text": {"Where is my order?"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /sandbox: %d, want 303", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	m := regexp.MustCompile(`^/sandbox\?sent=([0-9a-f]{32})$`).FindStringSubmatch(loc)
	if m == nil {
		t.Fatalf("redirected to %q, want /sandbox?sent=<uuid>", loc)
	}
	page = readBody(t, get(t, c, r.srv.URL+loc))
	if !strings.Contains(page, `href="/messages/`+m[1]+`"`) || !regexp.MustCompile(`href="/chat/[0-9a-f]{32}"`).MatchString(page) {
		t.Errorf("the page after the message does not link to the message and its conversation")
	}
	msg := readBody(t, get(t, c, r.srv.URL+"/messages/"+m[1]))
	for _, want := range []string{"Where is my order?", "15550000003", "received"} {
		if !strings.Contains(msg, want) {
			t.Errorf("the message's page does not show %q", want)
		}
	}
}

// TestSandboxForm refuses a form without the session's CSRF token, and
// answers a field a person can fix with 422 naming it, values kept;
// neither stores a message.
func TestSandboxForm(t *testing.T) {
	r := newRig(t, service.Options{})
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	channel := r.sandboxChannel(t)
	cases := []struct {
		name   string
		form   url.Values
		status int
		field  string
	}{
		{"no CSRF token", url.Values{"channel": {channel}, "from": {"+31612345678"}, "text": {"hi"}}, http.StatusForbidden, ""},
		{"another session's token", url.Values{"csrf": {csrfToken("other")}, "channel": {channel}, "from": {"+31612345678"}, "text": {"hi"}}, http.StatusForbidden, ""},
		{"no number", url.Values{"csrf": {csrf}, "channel": {channel}, "text": {"kept text"}}, http.StatusUnprocessableEntity, "s-from"},
		{"not a number", url.Values{"csrf": {csrf}, "channel": {channel}, "from": {"call me"}, "text": {"kept text"}}, http.StatusUnprocessableEntity, "s-from"},
		{"blank text", url.Values{"csrf": {csrf}, "channel": {channel}, "from": {"+31612345678"}, "text": {"  "}}, http.StatusUnprocessableEntity, "s-text"},
		{"no channel", url.Values{"csrf": {csrf}, "from": {"+31612345678"}, "text": {"kept text"}}, http.StatusUnprocessableEntity, "s-channel"},
		{"unknown channel", url.Values{"csrf": {csrf}, "channel": {"0123456789abcdef0123456789abcdef"}, "from": {"+31612345678"}, "text": {"kept text"}}, http.StatusUnprocessableEntity, "s-channel"},
	}
	for _, tc := range cases {
		resp := post(t, c, r.srv.URL+"/sandbox", tc.form)
		page := readBody(t, resp)
		if resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
			continue
		}
		if tc.field == "" {
			continue
		}
		if !regexp.MustCompile(`id="` + tc.field + `"[^>]*aria-invalid="true"`).MatchString(page) {
			t.Errorf("%s: the field %s is not marked invalid", tc.name, tc.field)
		}
		if text := tc.form.Get("text"); strings.TrimSpace(text) != "" && !strings.Contains(page, text) {
			t.Errorf("%s: the text typed is not kept", tc.name)
		}
	}
	page := readBody(t, get(t, c, r.srv.URL+"/messages"))
	if got := listed(page); len(got) != 0 {
		t.Errorf("refused forms stored %d messages", len(got))
	}
}
