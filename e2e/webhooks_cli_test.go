package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestWebhooksRedeliverCLI runs carillon webhooks redeliver against a
// server that delivers to a receiver on loopback (--webhook-allow-private):
// the command attempts the event again, with the same webhook-id, and prints
// the answer's JSON.
func TestWebhooksRedeliverCLI(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var ids []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	defer receiver.Close()
	s := startServer(t, "--webhook-allow-private")

	if r := s.do(t, "POST", "/v1/webhooks/subscribe", s.Key, `{"url": "`+receiver.URL+`/hooks", "subscriptions": ["contact_created"]}`); r.Code != http.StatusOK {
		t.Fatalf("subscribe: want 200, got %s", r)
	}
	if r := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31612345678", "source": "whatsapp", "name": "Kim"}`); r.Code != http.StatusOK {
		t.Fatalf("create a contact: want 200, got %s", r)
	}
	var id string
	for deadline := time.Now().Add(10 * time.Second); id == ""; time.Sleep(50 * time.Millisecond) {
		r := s.do(t, "GET", "/v1/webhooks/events?status=success", s.Key, "")
		var log struct {
			WebhookEvents []struct {
				ID string `json:"id"`
			} `json:"webhook_events"`
		}
		if r.Code != http.StatusOK || json.Unmarshal(r.Body, &log) != nil {
			t.Fatalf("the delivery log: %s", r)
		}
		if len(log.WebhookEvents) == 1 {
			id = log.WebhookEvents[0].ID
		} else if time.Now().After(deadline) {
			t.Fatalf("contact_created was not delivered: %s", r)
		}
	}

	client := []string{"--url", s.URL, "--api-key", s.Key}
	res := carillon(t, nil, append(append([]string{"webhooks", "redeliver"}, client...), id)...)
	if res.Code != 0 {
		t.Fatalf("webhooks redeliver: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	e := object(t, response{Code: 200, Body: []byte(res.Stdout)}.JSON(t), "webhook_event")
	if e["id"] != id || e["event"] != "contact_created" || e["success"] != true || e["attempts"] != json.Number("2") {
		t.Errorf("webhooks redeliver printed %q, want the event %s attempted twice", res.Stdout, id)
	}
	mu.Lock()
	got := append([]string(nil), ids...)
	mu.Unlock()
	if len(got) != 2 || got[0] != id || got[1] != id {
		t.Errorf("the receiver got the webhook-ids %q, want %s twice", got, id)
	}

	res = carillon(t, []string{"CARILLON_URL=" + s.URL, "CARILLON_API_KEY=" + s.Key}, "webhooks", "redeliver", "msg_00000000000000000000000000000000")
	if res.Code != 1 || !strings.Contains(res.Stderr, "not_found") || !strings.Contains(res.Stdout, `"not_found"`) {
		t.Errorf("redeliver an unknown event: want exit 1 naming not_found, got exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	res = carillon(t, nil, append([]string{"webhooks", "redeliver"}, client...)...)
	if res.Code != 2 {
		t.Errorf("webhooks redeliver without an id: want exit 2 (usage), got %d\nstderr: %s", res.Code, res.Stderr)
	}
	res = carillon(t, nil, append([]string{"webhooks", "resend"}, client...)...)
	if res.Code != 2 {
		t.Errorf("webhooks resend: want exit 2 (usage), got %d\nstderr: %s", res.Code, res.Stderr)
	}
}
