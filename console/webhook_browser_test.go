package console

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/webhook"
)

// hookReceiver is a local webhook endpoint that keeps what arrives.
type hookReceiver struct {
	srv *httptest.Server
	mu  sync.Mutex
	got []*http.Request
	// bodies are the bodies of got, in order.
	bodies [][]byte
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.got, h.bodies = append(h.got, r), append(h.bodies, body)
		h.mu.Unlock()
		w.Header().Set("X-Receiver", "test")
		w.WriteHeader(http.StatusAccepted)
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) requests() ([]*http.Request, [][]byte) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]*http.Request(nil), h.got...), append([][]byte(nil), h.bodies...)
}

// waitAttempts waits until the event's log holds n attempts.
func (r *rig) waitAttempts(t *testing.T, id string, n int) {
	t.Helper()
	deadline := time.After(15 * time.Second)
	for {
		v, err := r.svc.Webhooks.WebhookEvent(context.Background(), r.acct.Principal, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.Attempts) >= n {
			return
		}
		select {
		case <-deadline:
			t.Fatalf("event %s has %d attempts, want %d", id, len(v.Attempts), n)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// TestBrowserWebhook subscribes a local receiver (the secret shown once),
// sends it a test event that arrives signed and whose page shows its
// attempt without a reload, and resends it (a second attempt).
func TestBrowserWebhook(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	receiver := newHookReceiver(t)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/webhook"))
	tb.check("webhook-none")

	tb.do(chromedp.Click(chromedp.CSS(`input[name="events"][value="contact_created"]`), chromedp.NodeVisible))
	tb.submit(map[string]string{"#webhook-url": receiver.srv.URL + "/hook"}, `form[action="/settings/webhook"] button`)
	secret := tb.text("#webhook-secret")
	if !secretPattern.MatchString(secret) {
		t.Fatalf("the new webhook shows the secret %q", secret)
	}
	tb.check("webhook-created")
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/webhook"))
	page, err := chromedp.Run(tb.ctx, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(page, secret) || strings.Contains(page, "webhook-secret") {
		t.Error("the secret is shown a second time")
	}
	tb.check("webhook")

	tb.submit(nil, `form[action="/settings/webhook/test"] button`)
	loc := tb.location()
	id := strings.TrimPrefix(loc, "/settings/webhook/events/")
	if !strings.HasPrefix(id, "msg_") {
		t.Fatalf("the test event led to %s", loc)
	}
	// The page looks again by itself: the attempt appears on this very
	// page, whose mark stays, with no reload.
	if _, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.sameLoad = true`)); err != nil {
		t.Fatal(err)
	}
	tb.do(chromedp.WaitVisible(chromedp.CSS("#attempt-1")))
	if same, err := chromedp.Run(tb.ctx, chromedp.Evaluate[bool](`window.sameLoad === true`)); err != nil || !same {
		t.Errorf("the attempt appeared after a reload of the page (%v)", err)
	}
	r.waitAttempts(t, id, 1)
	got, bodies := receiver.requests()
	if len(got) != 1 || got[0].Header.Get("webhook-id") != id || got[0].URL.Path != "/hook" {
		t.Fatalf("the receiver got %d requests: %v", len(got), got)
	}
	h := got[0].Header
	if sig := webhook.Sign(secret, id, h.Get("webhook-timestamp"), bodies[0]); !strings.Contains(h.Get("webhook-signature"), sig) {
		t.Errorf("the test event's signature %q is not made with the secret shown (%s)", h.Get("webhook-signature"), sig)
	}
	if !strings.Contains(string(bodies[0]), `"event":"`+carillon.EventWebhookTest+`"`) {
		t.Errorf("the test event's body is %s", bodies[0])
	}
	if got := tb.text("#attempt-1"); got != "Attempt 1: 202 Accepted ✓" {
		t.Errorf("the event's page shows %q", got)
	}
	if got := tb.text(".attempt"); !strings.Contains(got, h.Get("webhook-signature")) || !strings.Contains(got, `{"received":true}`) ||
		!strings.Contains(got, "X-Receiver") {
		t.Errorf("the attempt does not show the headers sent and the answer: %q", got)
	}
	tb.check("webhook-event")

	tb.submit(nil, `form[action$="/resend"] button`)
	r.waitAttempts(t, id, 2)
	if got, _ := receiver.requests(); len(got) != 2 || got[1].Header.Get("webhook-id") != id {
		t.Errorf("resending: the receiver got %d requests", len(got))
	}
	tb.do(chromedp.Navigate(r.srv.URL + loc))
	if got := tb.text("#attempt-2"); got != "Attempt 2: 202 Accepted ✓" {
		t.Errorf("after resending, the event's page shows %q", got)
	}
}

// TestBrowserWebhookLog reads the delivery log with a delivered test
// event, and a filter it refuses.
func TestBrowserWebhookLog(t *testing.T) {
	t.Parallel()
	r := newWebhookRig(t)
	receiver := newHookReceiver(t)
	if _, _, err := r.svc.Webhooks.Subscribe(context.Background(), r.acct.Principal, receiver.srv.URL, []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	ev, err := r.svc.Webhooks.SendTestEvent(context.Background(), r.acct.Principal)
	if err != nil {
		t.Fatal(err)
	}
	r.waitAttempts(t, ev.UUID, 1)
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/webhook/events"))
	if got := tb.text("tbody tr:first-child"); !strings.Contains(got, carillon.EventWebhookTest) || !strings.Contains(got, "202") {
		t.Errorf("the log's first row is %q", got)
	}
	tb.check("webhook-events")
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/webhook/events?state=lost"))
	tb.check("webhook-events-problem")
}

// TestBrowserWebhookEventWaiting shows the page of an event that nothing
// delivers yet: it says the attempt will show there, with its link to
// reload the page.
func TestBrowserWebhookEventWaiting(t *testing.T) {
	t.Parallel()
	r := newRig(t, service.Options{})
	ctx := context.Background()
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, r.acct.Principal, "https://example.com/hook", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	ev, err := r.svc.Webhooks.SendTestEvent(ctx, r.acct.Principal)
	if err != nil {
		t.Fatal(err)
	}
	tb := newTab(t)
	tb.signIn(r.srv.URL, roleUsers[carillon.RoleAdmin])
	tb.do(chromedp.Navigate(r.srv.URL + "/settings/webhook/events/" + ev.UUID))
	if got := tb.text("#attempts"); !strings.Contains(got, "its attempt shows here once made") || !strings.Contains(got, "refresh the page") {
		t.Errorf("the page of an event not attempted says %q", got)
	}
	tb.check("webhook-event-waiting")
}
