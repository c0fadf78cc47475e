package console

import (
	"context"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/webhook"
)

// newWebhookRig is a rig whose service may deliver webhooks to loopback
// receivers, and does: a deliverer runs until the test ends.
func newWebhookRig(t testing.TB) *rig {
	t.Helper()
	svc := testrig.Service(t, service.Options{Webhooks: service.WebhookOptions{AllowPrivate: true, RetryBase: time.Hour}})
	startDelivery(t, svc)
	return newRigOf(t, svc)
}

// startDelivery delivers svc's webhook events, until the test ends.
func startDelivery(t testing.TB, svc *service.Service) {
	t.Helper()
	d := webhook.New(webhook.Options{Service: svc.Webhooks, AllowPrivate: true, Timeout: 5 * time.Second, Poll: 50 * time.Millisecond})
	svc.Notifier().SubscribeEvents(d)
	svc.Notifier().ServeRedeliveries(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

var secretPattern = regexp.MustCompile(`whsec_[A-Za-z0-9+/=]{44}`)

// secretIn is the signing secret a page shows, "" when none.
func secretIn(page string) string { return secretPattern.FindString(html.UnescapeString(page)) }

// TestWebhookPagesRoles opens and posts every webhook page as each role:
// admins only; the others get 403 and change nothing.
func TestWebhookPagesRoles(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, r.acct.Principal, "https://example.com/hook", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	ev, err := r.svc.Webhooks.SendTestEvent(ctx, r.acct.Principal)
	if err != nil {
		t.Fatal(err)
	}
	before, _ := r.svc.Webhooks.WebhookStatus(ctx, r.acct.Principal)
	pages := []struct {
		method, path string
		form         url.Values
		admin        int
	}{
		{"GET", "/settings/webhook", nil, http.StatusOK},
		{"GET", "/settings/webhook/events", nil, http.StatusOK},
		{"GET", "/settings/webhook/events/" + ev.UUID, nil, http.StatusOK},
		{"POST", "/settings/webhook", url.Values{"url": {"https://example.com/changed"}, "events": {carillon.EventContactCreated}}, http.StatusSeeOther},
		{"POST", "/settings/webhook/test", url.Values{}, http.StatusSeeOther},
		{"POST", "/settings/webhook/events/resend-failed", url.Values{}, http.StatusSeeOther},
		{"POST", "/settings/webhook/rotate", url.Values{}, http.StatusOK},
		{"POST", "/settings/webhook/unsubscribe", url.Values{}, http.StatusSeeOther},
	}
	// The others first: the admin's forms change the webhook.
	for _, role := range []carillon.Role{carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent, carillon.RoleAdmin} {
		for _, p := range pages {
			c, csrf := r.client(t, roleUsers[role])
			var resp *http.Response
			if p.method == "GET" {
				resp = get(t, c, r.srv.URL+p.path)
			} else {
				p.form.Set("csrf", csrf)
				resp = post(t, c, r.srv.URL+p.path, p.form)
			}
			want := http.StatusForbidden
			if role == carillon.RoleAdmin {
				want = p.admin
			}
			if resp.StatusCode != want {
				t.Errorf("%s %s as %s: %d, want %d", p.method, p.path, role, resp.StatusCode, want)
			}
		}
		if role == carillon.RoleRestrictedAgent {
			after, err := r.svc.Webhooks.WebhookStatus(ctx, r.acct.Principal)
			if err != nil || after.URL != before.URL || after.Backlog != before.Backlog || !after.PreviousSecretUntil.IsZero() {
				t.Errorf("the webhook changed under the refused forms: %+v, %v", after, err)
			}
		}
	}
	if _, err := r.svc.Webhooks.WebhookStatus(ctx, r.acct.Principal); err == nil {
		t.Error("the admin's unsubscribe left the webhook")
	}
}

// TestWebhookPagesCSRF: every webhook form without the session's token is
// refused, and changes nothing.
func TestWebhookPagesCSRF(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, path := range []string{"/settings/webhook", "/settings/webhook/test", "/settings/webhook/rotate", "/settings/webhook/unsubscribe",
		"/settings/webhook/events/resend-failed", "/settings/webhook/events/msg_0123456789abcdef0123456789abcdef/resend"} {
		for _, token := range []string{"", "forged"} {
			form := url.Values{"url": {"https://example.com/hook"}, "events": {carillon.EventContactCreated}}
			if token != "" {
				form.Set("csrf", token)
			}
			if resp := post(t, c, r.srv.URL+path, form); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with csrf %q: %d, want 403", path, token, resp.StatusCode)
			}
		}
	}
	if _, err := r.svc.Webhooks.WebhookStatus(ctx, r.acct.Principal); err == nil {
		t.Error("a forged form subscribed a webhook")
	}
}

// TestWebhookSettingsForm: problems are shown on the form with their field
// and the values sent; the secret is shown in the answer that made it and
// never again.
func TestWebhookSettingsForm(t *testing.T) {
	r := newRig(t, service.Options{})
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	form := func(u string, events ...string) url.Values {
		return url.Values{"csrf": {csrf}, "url": {u}, "events": events}
	}
	if body := readBody(t, get(t, c, r.srv.URL+"/settings/webhook")); !strings.Contains(body, "The account has no webhook") {
		t.Errorf("the page of an account without a webhook:\n%s", body)
	}
	cases := []struct {
		name  string
		form  url.Values
		field string
		kept  string
	}{
		{"no url", form("", carillon.EventContactCreated), `id="url-problem"`, `name="events" value="contact_created" checked`},
		{"not a url", form("ftp://example.com/x", carillon.EventContactCreated), `id="url-problem"`, `value="ftp://example.com/x"`},
		{"a private address", form("http://127.0.0.1:9/x", carillon.EventContactCreated), `id="url-problem"`, `value="http://127.0.0.1:9/x"`},
		{"no event", form("https://example.com/<b>"), `id="events-problem"`, `value="https://example.com/&lt;b&gt;"`},
		{"an unknown event", form("https://example.com/x", "nope"), `id="events-problem"`, `value="https://example.com/x"`},
	}
	for _, tc := range cases {
		resp := post(t, c, r.srv.URL+"/settings/webhook", tc.form)
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, tc.field) || !strings.Contains(body, tc.kept) {
			t.Errorf("%s: %d, want 422 with %s and %s kept:\n%s", tc.name, resp.StatusCode, tc.field, tc.kept, body)
		}
	}

	resp := post(t, c, r.srv.URL+"/settings/webhook", form("https://example.com/hook", carillon.EventContactCreated, carillon.EventMessageCreated))
	body := readBody(t, resp)
	secret := secretIn(body)
	if resp.StatusCode != http.StatusCreated || secret == "" {
		t.Fatalf("subscribing: %d, secret %q:\n%s", resp.StatusCode, secret, body)
	}
	page := readBody(t, get(t, c, r.srv.URL+"/settings/webhook"))
	if secretIn(page) != "" {
		t.Error("the secret is shown a second time")
	}
	if !strings.Contains(page, `value="message_created" checked`) || strings.Contains(page, `value="contact_deleted" checked`) {
		t.Error("the page does not show the events subscribed")
	}

	resp = post(t, c, r.srv.URL+"/settings/webhook", form("https://example.com/other", carillon.EventContactDeleted))
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/settings/webhook?saved=1" {
		t.Errorf("saving: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if secretIn(readBody(t, resp)) != "" {
		t.Error("saving shows a secret")
	}

	resp = post(t, c, r.srv.URL+"/settings/webhook/rotate", url.Values{"csrf": {csrf}})
	body = readBody(t, resp)
	rotated := secretIn(body)
	if resp.StatusCode != http.StatusOK || rotated == "" || rotated == secret || !strings.Contains(body, "Previous secret") {
		t.Errorf("rotating: %d, secret %q:\n%s", resp.StatusCode, rotated, body)
	}
	if secretIn(readBody(t, get(t, c, r.srv.URL+"/settings/webhook"))) != "" {
		t.Error("the rotated secret is shown a second time")
	}
}

// TestWebhookLogPages: filters a user can fix answer 422 on the form; an
// event of another account is a 404; a resend says how many it queued.
func TestWebhookLogPages(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	other, _, _, err := r.svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	otherP := r.acct.Principal
	otherP.Account = other
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, otherP, "https://example.com/hook", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	otherEvent, err := r.svc.Webhooks.SendTestEvent(ctx, otherP)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, r.acct.Principal, "https://example.com/hook", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	own, err := r.svc.Webhooks.SendTestEvent(ctx, r.acct.Principal)
	if err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		path   string
		status int
		want   string
	}{
		{"/settings/webhook/events", http.StatusOK, own.UUID},
		{"/settings/webhook/events?event=webhook_test&state=pending", http.StatusOK, own.UUID},
		{"/settings/webhook/events?state=delivered", http.StatusOK, "No event matches these filters"},
		{"/settings/webhook/events?state=lost", http.StatusUnprocessableEntity, `id="filter-problem"`},
		{"/settings/webhook/events?from=2026-12-04T12:00&to=2026-12-04T11:00", http.StatusUnprocessableEntity, "to must be after from"},
		{"/settings/webhook/events?after=zzz", http.StatusUnprocessableEntity, "after is not a cursor"},
		{"/settings/webhook/events/" + own.UUID, http.StatusOK, "Not attempted yet"},
		{"/settings/webhook/events/" + otherEvent.UUID, http.StatusNotFound, "not your account"},
		{"/settings/webhook/events/nope", http.StatusNotFound, ""},
	}
	for _, tc := range cases {
		resp := get(t, c, r.srv.URL+tc.path)
		body := readBody(t, resp)
		if resp.StatusCode != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("GET %s: %d, want %d with %q", tc.path, resp.StatusCode, tc.status, tc.want)
		}
		if strings.Contains(body, otherEvent.UUID) {
			t.Errorf("GET %s shows another account's event", tc.path)
		}
	}
	// Another account's event cannot be resent either.
	if resp := post(t, c, r.srv.URL+"/settings/webhook/events/"+otherEvent.UUID+"/resend", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("resending another account's event: %d, want 404", resp.StatusCode)
	}

	resp := post(t, c, r.srv.URL+"/settings/webhook/events/resend-failed", url.Values{"csrf": {csrf}, "from": {"2026-12-04T12:00"}, "to": {"noon"}})
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="resend-problem"`) || !strings.Contains(body, `value="2026-12-04T12:00"`) {
		t.Errorf("resending with a bad period: %d:\n%s", resp.StatusCode, body)
	}
	resp = post(t, c, r.srv.URL+"/settings/webhook/events/resend-failed", url.Values{"csrf": {csrf}, "from": {"2026-12-04T12:00"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/settings/webhook/events?from=2026-12-04T12%3A00&queued=0" {
		t.Errorf("resending: %d to %q", resp.StatusCode, loc)
	}
	if body := readBody(t, get(t, c, r.srv.URL+"/settings/webhook/events?queued=0")); !strings.Contains(body, "0 given-up events queued again") {
		t.Errorf("the log does not say how many were queued")
	}

	// A disabled webhook refuses a test event, on its page, saying why.
	hook, err := r.svc.Store().WebhookByAccount(ctx, r.acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := r.svc.Store().DisableWebhook(ctx, hook.ID, time.Now().Add(time.Hour), time.Now()); !ok || err != nil {
		t.Fatalf("disabling: %v, %v", ok, err)
	}
	resp = post(t, c, r.srv.URL+"/settings/webhook/test", url.Values{"csrf": {csrf}})
	if body := readBody(t, resp); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "the webhook is disabled") || !strings.Contains(body, "<strong>disabled</strong> since") {
		t.Errorf("a test event to a disabled webhook: %d:\n%s", resp.StatusCode, body)
	}
	if err := r.svc.Webhooks.Unsubscribe(ctx, r.acct.Principal); err != nil {
		t.Fatal(err)
	}
	if resp := post(t, c, r.srv.URL+"/settings/webhook/test", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a test event without a webhook: %d, want 404", resp.StatusCode)
	}
}

// TestWebhookLogPagination follows the log's keyset links, which keep the
// filters.
func TestWebhookLogPagination(t *testing.T) {
	r := newRig(t, service.Options{})
	ctx := context.Background()
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, r.acct.Principal, "https://example.com/hook", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range service.WebhookLogSize + 1 {
		e, err := r.svc.Webhooks.SendTestEvent(ctx, r.acct.Principal)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, e.UUID)
	}
	first := readBody(t, get(t, c, r.srv.URL+"/settings/webhook/events?event=webhook_test&state="))
	older := regexp.MustCompile(`<a href="([^"]+)" rel="next">Older events</a>`).FindStringSubmatch(first)
	if older == nil || !strings.Contains(first, ids[len(ids)-1]) || strings.Contains(first, ids[0]) || strings.Contains(first, "Newest events") {
		t.Fatalf("the first page:\n%s", first)
	}
	next := html.UnescapeString(older[1])
	if !strings.Contains(next, "event=webhook_test") || !strings.Contains(next, "after=") || strings.Contains(next, "state=") {
		t.Errorf("the next page's link is %q", next)
	}
	second := readBody(t, get(t, c, r.srv.URL+next))
	if !strings.Contains(second, ids[0]) || strings.Contains(second, ids[1]) || strings.Contains(second, "Older events") ||
		!strings.Contains(second, `<a href="/settings/webhook/events?event=webhook_test">Newest events</a>`) {
		t.Errorf("the second page:\n%s", second)
	}
}

// TestWebhookEventWaits: the page of an event not attempted yet loads the
// script that looks again (assets/refresh.js), and keeps a link that
// reloads it without one; once attempted, the page waits no more.
func TestWebhookEventWaits(t *testing.T) {
	svc := testrig.Service(t, service.Options{Webhooks: service.WebhookOptions{AllowPrivate: true, RetryBase: time.Hour}})
	r := newRigOf(t, svc)
	ctx := context.Background()
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) }))
	t.Cleanup(receiver.Close)
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	js := get(t, c, r.srv.URL+"/assets/refresh.js")
	if ct := js.Header.Get("Content-Type"); js.StatusCode != http.StatusOK || !strings.Contains(ct, "javascript") {
		t.Fatalf("the script: %d, %s", js.StatusCode, ct)
	}
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, r.acct.Principal, receiver.URL, []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	// Nothing delivers events yet: the event waits.
	ev, err := r.svc.Webhooks.SendTestEvent(ctx, r.acct.Principal)
	if err != nil {
		t.Fatal(err)
	}
	path := "/settings/webhook/events/" + ev.UUID
	page := readBody(t, get(t, c, r.srv.URL+path))
	waits := []string{`<script src="/assets/refresh.js" defer></script>`, `<p data-refresh>`, `<a href="` + path + `">refresh the page</a>`,
		`id="attempts" data-refresh-part`, `id="event-facts" data-refresh-part`}
	for _, want := range waits[:3] {
		if !strings.Contains(page, want) {
			t.Errorf("the page of an event not attempted does not hold %s", want)
		}
	}
	startDelivery(t, svc)
	r.waitAttempts(t, ev.UUID, 1)
	page = readBody(t, get(t, c, r.srv.URL+path))
	for _, want := range waits[3:] {
		if !strings.Contains(page, want) {
			t.Errorf("the page of an attempted event does not hold %s, which the script refreshes", want)
		}
	}
	for _, gone := range waits[:2] {
		if strings.Contains(page, gone) {
			t.Errorf("the page of an attempted event still waits: %s", gone)
		}
	}
}
