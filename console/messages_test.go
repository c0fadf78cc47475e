package console

import (
	"context"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/service"
)

// providers describes the sandbox to the tests' service: the sandbox page
// lists its reserved numbers.
var providers = func() *carillon.ProviderRegistry {
	r, err := carillon.NewProviderRegistry(sandbox.Info())
	if err != nil {
		panic(err)
	}
	return r
}()

// inbound makes a customer write to the account's sandbox.
func (r *rig) inbound(t testing.TB, from, text string) carillon.Message {
	t.Helper()
	m, err := r.svc.Messages.SandboxInbound(context.Background(), r.acct.Principal, from, text, "")
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// send sends a message from the account, assigned to the user of email
// when not "".
func (r *rig) send(t testing.TB, to, text, assignee string) carillon.Message {
	t.Helper()
	res, err := r.svc.Messages.Send(context.Background(), r.acct.Principal, service.SendRequest{To: to, From: "whatsapp", Type: "text",
		Content: &carillon.Content{Text: text}, AssignedUser: assignee})
	if err != nil {
		t.Fatal(err)
	}
	return res.Message
}

var messageLink = regexp.MustCompile(`href="/messages/([0-9a-f]{32})"`)

// listed returns the uuids of the messages a page of the log links to.
func listed(page string) []string {
	var out []string
	for _, m := range messageLink.FindAllStringSubmatch(page, -1) {
		out = append(out, m[1])
	}
	return out
}

// TestMessagesPages opens the log and a message as each role: every role
// reads them; a restricted agent only the messages of the contacts
// assigned to them, another's message a 404 as one of another account.
func TestMessagesPages(t *testing.T) {
	r := newRig(t, service.Options{})
	restricted := roleUsers[carillon.RoleRestrictedAgent]
	theirs := r.send(t, "+31612345678", "for the restricted agent", restricted)
	others := r.inbound(t, "+31687654321", "for anyone else")
	everything := []string{others.UUID, theirs.UUID}
	for role, email := range roleUsers {
		t.Run(string(role), func(t *testing.T) {
			c, _ := r.client(t, email)
			resp := get(t, c, r.srv.URL+"/messages")
			page := readBody(t, resp)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("GET /messages: %d", resp.StatusCode)
			}
			want := everything
			if role == carillon.RoleRestrictedAgent {
				want = []string{theirs.UUID}
			}
			if got := listed(page); strings.Join(got, ",") != strings.Join(want, ",") {
				t.Errorf("the log lists %v, want %v", got, want)
			}
			for _, id := range everything {
				status := http.StatusOK
				if role == carillon.RoleRestrictedAgent && id != theirs.UUID {
					status = http.StatusNotFound
				}
				resp := get(t, c, r.srv.URL+"/messages/"+id)
				page := readBody(t, resp)
				if resp.StatusCode != status {
					t.Errorf("GET /messages/%s: %d, want %d", id, resp.StatusCode, status)
				}
				if status == http.StatusNotFound && strings.Contains(page, "anyone else") {
					t.Errorf("the 404 of another's message shows its text")
				}
			}
		})
	}
}

// TestMessagesFilters narrows the log by each filter, and answers a
// filter that cannot be read with 422 naming its field, values kept.
func TestMessagesFilters(t *testing.T) {
	r := newRig(t, service.Options{})
	in := r.inbound(t, "+31687654321", "a question")
	out := r.send(t, "+31612345678", "an answer", "")
	failing := r.send(t, "+15550000001", "to nobody", "")
	m := failing
	m.Attempts = 1
	if _, err := r.svc.Messages.RecordOutcome(context.Background(), m, service.Outcome{Err: &carillon.SendError{Permanent: true,
		Code: "131026", Title: "Message undeliverable"}}); err != nil {
		t.Fatal(err)
	}
	c, _ := r.client(t, roleUsers[carillon.RoleAgent])
	cases := []struct {
		query string
		want  []string
	}{
		{"", []string{failing.UUID, out.UUID, in.UUID}},
		{"direction=in", []string{in.UUID}},
		{"direction=out", []string{failing.UUID, out.UUID}},
		{"status=failed", []string{failing.UUID}},
		{"number=%2B31+6+1234+5678", []string{out.UUID}},
		{"number=31612345678&direction=in", nil},
		{"from=2000-01-01T00%3A00&to=2999-01-01T00%3A00", []string{failing.UUID, out.UUID, in.UUID}},
		{"to=2000-01-01T00%3A00", nil},
	}
	for _, tc := range cases {
		resp := get(t, c, r.srv.URL+"/messages?"+tc.query)
		page := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /messages?%s: %d", tc.query, resp.StatusCode)
		}
		if got := listed(page); strings.Join(got, ",") != strings.Join(tc.want, ",") {
			t.Errorf("GET /messages?%s lists %v, want %v", tc.query, got, tc.want)
		}
	}
	bad := []struct{ query, field, kept string }{
		{"status=lost&number=12345", "f-status", `value="12345"`},
		{"direction=sideways", "f-direction", ""},
		{"from=yesterday", "f-from", `value="yesterday"`},
		{"channel=0123456789abcdef0123456789abcdef", "f-channel", ""},
		{"after=garbage", "", ""},
	}
	for _, tc := range bad {
		resp := get(t, c, r.srv.URL+"/messages?"+tc.query)
		page := readBody(t, resp)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="filter-problem"`) {
			t.Errorf("GET /messages?%s: %d, want 422 with the problem shown", tc.query, resp.StatusCode)
		}
		if tc.field != "" && !regexp.MustCompile(`id="`+tc.field+`"[^>]*aria-invalid="true"`).MatchString(page) {
			t.Errorf("GET /messages?%s: the field %s is not marked invalid", tc.query, tc.field)
		}
		if !strings.Contains(page, tc.kept) {
			t.Errorf("GET /messages?%s: the values are not kept (%s)", tc.query, tc.kept)
		}
	}

	// The failed message's page explains its failure.
	resp := get(t, c, r.srv.URL+"/messages/"+failing.UUID)
	page := readBody(t, resp)
	for _, want := range []string{"Message undeliverable", "131026", "not on WhatsApp", "enqueued", "failed", "/contacts/"} {
		if !strings.Contains(page, want) {
			t.Errorf("the failed message's page does not show %q", want)
		}
	}
}

// TestMessagesPaging follows the log's "older" link to its end: every
// message once, the filter kept.
func TestMessagesPaging(t *testing.T) {
	r := newRig(t, service.Options{})
	var want []string
	for range service.MessageLogPage + 2 {
		want = append([]string{r.inbound(t, "+31612345678", "hello").UUID}, want...)
	}
	r.send(t, "+31612345678", "not inbound", "")
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	next := "/messages?direction=in"
	var got []string
	for i := 0; next != "" && i < 5; i++ {
		page := readBody(t, get(t, c, r.srv.URL+next))
		got = append(got, listed(page)...)
		next = ""
		if m := regexp.MustCompile(`href="(/messages\?[^"]+)" rel="next"`).FindStringSubmatch(page); m != nil {
			next = strings.ReplaceAll(m[1], "&amp;", "&")
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("paging walked %d messages, want the %d inbound ones, newest first", len(got), len(want))
	}
}

// TestMessagesEscapeText shows what a customer typed as text.
func TestMessagesEscapeText(t *testing.T) {
	r := newRig(t, service.Options{})
	m := r.inbound(t, "+31612345678", `<script>alert("x")</script>`)
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, path := range []string{"/messages", "/messages/" + m.UUID} {
		page := readBody(t, get(t, c, r.srv.URL+path))
		if strings.Contains(page, `<script>alert`) || !strings.Contains(page, `&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;`) {
			t.Errorf("%s does not show the customer's text escaped", path)
		}
	}
}

// TestMessagesOtherAccount answers 404 for another account's message.
func TestMessagesOtherAccount(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	other, _, _, err := r.svc.Accounts.SetupAccount(ctx, "other", true)
	if err != nil {
		t.Fatal(err)
	}
	p := r.acct.Principal
	p.Account = other
	m, err := r.svc.Messages.SandboxInbound(ctx, p, "+31612345678", "private words", "")
	if err != nil {
		t.Fatal(err)
	}
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, path := range []string{"/messages/" + m.UUID, "/messages/not-a-uuid"} {
		resp := get(t, c, r.srv.URL+path)
		if page := readBody(t, resp); resp.StatusCode != http.StatusNotFound || strings.Contains(page, "private words") {
			t.Errorf("GET %s: %d, want 404 without the message", path, resp.StatusCode)
		}
	}
	if page := readBody(t, get(t, c, r.srv.URL+"/messages")); strings.Contains(page, m.UUID) {
		t.Errorf("the log lists another account's message")
	}
}
