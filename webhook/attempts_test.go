package webhook_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/webhook"
)

// attempts reads the delivery log's attempts of an event.
func (h *harness) attempts(e carillon.WebhookEvent) []carillon.WebhookAttempt {
	h.t.Helper()
	list, err := h.db.WebhookAttempts(context.Background(), e.ID)
	if err != nil {
		h.t.Fatal(err)
	}
	return list
}

// TestEachAttemptIsLogged fails an event once and delivers it the second
// time: the log keeps both attempts, each with the headers sent (the
// signature verifies over the event's body) and the answer.
func TestEachAttemptIsLogged(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	r := newReceiver(t, func(d delivery, n int) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	hook := h.subscribe(r.srv.URL, carillon.EventContactCreated)
	h.start(webhook.Options{})
	h.contact("+31612345678")
	got := r.waitFor("a second attempt", func(d []delivery) bool { return len(d) >= 2 })
	e := h.waitEvent(got[0].id, func(e carillon.WebhookEvent) bool { return e.State == carillon.EventDelivered })

	list := h.attempts(e)
	if len(list) != 2 {
		t.Fatalf("%d attempts logged, want 2: %+v", len(list), list)
	}
	verifier, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []int{http.StatusServiceUnavailable, http.StatusOK} {
		a := list[i]
		if a.EventID != e.ID || a.Number != i+1 || a.Response.Code != want || a.Success != (want == http.StatusOK) || a.Error != "" {
			t.Errorf("attempt %d = %+v, want number %d answered %d", i+1, a, i+1, want)
		}
		if a.Response.Body != `{"status":"ok"}` || a.Response.Headers["Content-Type"] == "" {
			t.Errorf("attempt %d answer = %+v", i+1, a.Response)
		}
		sent := http.Header{}
		for k, v := range a.RequestHeaders {
			sent.Set(k, v)
		}
		if sent.Get("webhook-id") != e.UUID || sent.Get("Content-Type") != "application/json" {
			t.Errorf("attempt %d sent headers %v", i+1, a.RequestHeaders)
		}
		if err := verifier.Verify(e.Body, sent); err != nil {
			t.Errorf("attempt %d: the logged signature does not verify over the event's body: %v", i+1, err)
		}
		if a.Duration < 0 || a.At.IsZero() {
			t.Errorf("attempt %d at %s took %s", i+1, a.At, a.Duration)
		}
	}
	if !list[1].At.After(list[0].At) && !list[1].At.Equal(list[0].At) {
		t.Errorf("second attempt at %s, before the first at %s", list[1].At, list[0].At)
	}
}

// TestAnAttemptWithoutAnswerLogsWhy delivers to a server that is gone: the
// attempt has no answer and says why.
func TestAnAttemptWithoutAnswerLogsWhy(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	gone := httptest.NewServer(http.NotFoundHandler())
	url := gone.URL
	gone.Close()
	h.subscribe(url, carillon.EventContactCreated)
	h.start(webhook.Options{})
	h.contact("+31612345678")
	list := waitLog(t, h, func(es []carillon.WebhookEvent) bool { return len(es) == 1 && es[0].Attempts >= 1 })
	a := h.attempts(list[0])
	if len(a) == 0 || a[0].Response.Code != 0 || a[0].Success || !strings.Contains(a[0].Error, "refused") {
		t.Fatalf("attempt to a closed server = %+v", a)
	}
	if strings.Contains(a[0].Error, url) {
		t.Errorf("the logged error holds the webhook's URL: %q", a[0].Error)
	}
}

// TestAnswersThatAreNotTextAreKept: a receiver may answer binary, invalid
// UTF-8 or a NUL byte, with a multi-byte character across the bound of
// what is kept. The attempt is still recorded (the store takes text only),
// its answer made text and cut at a character.
func TestAnswersThatAreNotTextAreKept(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	body := "\x00\xff\xfe" + strings.Repeat("é", 3000) // 3 + 6000 bytes
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("X-Odd", "caf\xe9")
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	h.subscribe(srv.URL, carillon.EventContactCreated)
	h.start(webhook.Options{})
	h.contact("+31612345678")
	list := waitLog(t, h, func(es []carillon.WebhookEvent) bool { return len(es) == 1 && es[0].State == carillon.EventDelivered })
	for _, got := range []carillon.WebhookResponse{list[0].Response, h.attempts(list[0])[0].Response} {
		if !carillon.ValidText(got.Body) || !carillon.ValidText(got.Headers["X-Odd"]) {
			t.Errorf("kept answer is not text: %q, header %q", got.Body[:20], got.Headers["X-Odd"])
		}
		if len(got.Body) > 4<<10 || len(got.Body) < 4<<10-utf8.UTFMax || !strings.HasPrefix(got.Body, "\uFFFD\uFFFDé") || !strings.HasSuffix(got.Body, "é") {
			t.Errorf("kept %d bytes of the answer, starting %q", len(got.Body), got.Body[:12])
		}
	}
}
