package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
)

// The outgoing webhooks, end to end: the real server delivers to a receiver
// on loopback (hence --webhook-allow-private) that records every request.

// allEvents subscribes to every event name of the wire contract.
const allEvents = `["message_created", "message_status_updated", "contact_created", "contact_updated", "contact_deleted",
	"conversation_opened", "conversation_closed", "agent_status_updated", "agent_session_updated", "team_membership_updated"]`

// hookRequest is one request the receiver got.
type hookRequest struct {
	Gen     int // the receiver's generation when it arrived (see receiver.gen)
	ID      string
	Header  http.Header
	Body    []byte
	Event   string
	Payload map[string]any
	// Code is what the receiver answered, 0 when it answered nothing (the
	// connection dropped, or the server went away first).
	Code int
}

// acked reports whether the receiver answered the request with a 2xx.
func (h *hookRequest) acked() bool { return h.Code >= 200 && h.Code < 300 }

// subject returns the uuid of the contact an event is about, or "user:" and
// the email of the user of an agent or team event.
func (h *hookRequest) subject() string {
	p := h.Payload
	switch h.Event {
	case "contact_created", "contact_updated", "contact_deleted":
		s, _ := p["uuid"].(string)
		return s
	case "agent_status_updated":
		s, _ := p["email"].(string)
		return "user:" + s
	case "team_membership_updated":
		u, _ := p["user"].(map[string]any)
		s, _ := u["email"].(string)
		return "user:" + s
	}
	c, _ := p["contact"].(map[string]any)
	s, _ := c["uuid"].(string)
	return s
}

// label names an event for the order checks: its name, and the status of a
// message_status_updated.
func (h *hookRequest) label() string {
	if h.Event == "message_status_updated" {
		st, _ := h.Payload["status"].(string)
		return h.Event + " " + st
	}
	return h.Event
}

// receiver is a webhook endpoint that records every delivery. handle
// decides the answer (nil: 200 {"status": "ok"}): it writes it and returns
// its code, 0 when it wrote none.
type receiver struct {
	*httptest.Server
	handle func(h *hookRequest, w http.ResponseWriter, r *http.Request) int

	mu       sync.Mutex
	gen      int
	arrived  []*hookRequest // in the order they arrived
	answered []*hookRequest // in the order they were answered
}

func newReceiver(t testing.TB, handle func(h *hookRequest, w http.ResponseWriter, r *http.Request) int) *receiver {
	rc := &receiver{handle: handle}
	rc.Server = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	h := &hookRequest{ID: r.Header.Get("webhook-id"), Header: r.Header.Clone(), Body: body}
	var env struct {
		Event   string         `json:"event"`
		Payload map[string]any `json:"payload"`
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	_ = dec.Decode(&env)
	h.Event, h.Payload = env.Event, env.Payload
	rc.mu.Lock()
	h.Gen = rc.gen
	rc.arrived = append(rc.arrived, h)
	rc.mu.Unlock()
	code := http.StatusOK
	if rc.handle != nil {
		code = rc.handle(h, w, r)
	} else {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"status": "ok"}`)
	}
	rc.mu.Lock()
	h.Code = code
	rc.answered = append(rc.answered, h)
	rc.mu.Unlock()
}

// deliveries returns the requests of webhook events (health checks left
// out), in the order they were answered.
func (rc *receiver) deliveries() []*hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []*hookRequest
	for _, h := range rc.answered {
		if h.Event != "health_check" {
			out = append(out, h)
		}
	}
	return out
}

// firstAcks returns, for each webhook-id answered with a 2xx, the first
// such request, in the order they were answered.
func (rc *receiver) firstAcks() []*hookRequest {
	var out []*hookRequest
	seen := map[string]bool{}
	for _, h := range rc.deliveries() {
		if h.acked() && !seen[h.ID] {
			seen[h.ID] = true
			out = append(out, h)
		}
	}
	return out
}

// ackCounts counts the 2xx answers per webhook-id.
func (rc *receiver) ackCounts() map[string]int {
	n := map[string]int{}
	for _, h := range rc.deliveries() {
		if h.acked() {
			n[h.ID]++
		}
	}
	return n
}

// waitUntil polls cond every 20 ms until it holds, and fails the test with
// what() after timeout.
func waitUntil(t testing.TB, timeout time.Duration, cond func() bool, what func() string) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("still not so after %v: %s", timeout, what())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// logEntry is a WebhookEvent of the delivery log.
type logEntry struct {
	ID       string          `json:"id"`
	Event    string          `json:"event"`
	Payload  json.RawMessage `json:"payload"`
	Response struct {
		Code    *int              `json:"code"`
		Body    *string           `json:"body"`
		Headers map[string]string `json:"headers"`
	} `json:"response"`
	Success       bool    `json:"success"`
	Attempts      int     `json:"attempts"`
	NextAttemptAt *string `json:"nextAttemptAt"`
	CreatedAt     string  `json:"createdAt"`
}

type logPage struct {
	Events []logEntry `json:"webhook_events"`
	Meta   struct {
		Page, Pages int
	} `json:"meta"`
}

// webhookLog reads one page of GET /v1/webhooks/events?query.
func (s *server) webhookLog(t testing.TB, query string) logPage {
	t.Helper()
	r := s.do(t, "GET", "/v1/webhooks/events?"+query, s.Key, "")
	var p logPage
	if r.Code != http.StatusOK {
		t.Fatalf("GET /v1/webhooks/events?%s: want 200, got %s", query, r)
	}
	if err := json.Unmarshal(r.Body, &p); err != nil || p.Events == nil {
		t.Fatalf("GET /v1/webhooks/events?%s: want {webhook_events, meta}, got %s (%v)", query, r, err)
	}
	return p
}

// wholeLog reads every page of the delivery log with the filters of query.
func (s *server) wholeLog(t testing.TB, query string) []logEntry {
	t.Helper()
	var all []logEntry
	for page := 1; ; page++ {
		p := s.webhookLog(t, fmt.Sprintf("%s&items=100&page=%d", query, page))
		all = append(all, p.Events...)
		if page >= p.Meta.Pages {
			return all
		}
	}
}

// subscribe subscribes the first key's account to url and returns the
// webhook's secret.
func (s *server) subscribe(t testing.TB, url, subscriptions string) string {
	t.Helper()
	r := s.do(t, "POST", "/v1/webhooks/subscribe", s.Key, `{"url": "`+url+`", "subscriptions": `+subscriptions+`}`)
	if r.Code != http.StatusOK {
		t.Fatalf("subscribe: want 200, got %s", r)
	}
	secret, _ := object(t, r.JSON(t), "webhook")["secret"].(string)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("subscribe: the answer that creates the webhook shows no whsec_ secret: %s", r)
	}
	return secret
}

var (
	webhookIDForm = regexp.MustCompile(`^msg_[0-9a-f]{32}$`)
	// unixTimestamp is the provider's time in a messageStatusPayload.
	unixTimestamp = regexp.MustCompile(`"timestamp":"\d+"`)
	// reportTime is the report's time in a messageStatusPayload's payload.
	reportTime = regexp.MustCompile(`"ts":\d+`)
)

// checkSigned checks a delivery's headers and verifies its signature with
// the Standard Webhooks reference library.
func checkSigned(t testing.TB, h *hookRequest, secret string) {
	t.Helper()
	if !webhookIDForm.MatchString(h.ID) {
		t.Errorf("%s: webhook-id %q is not msg_ and 32 hex characters", h.Event, h.ID)
	}
	if ts, err := strconv.ParseInt(h.Header.Get("webhook-timestamp"), 10, 64); err != nil || ts <= 0 {
		t.Errorf("%s: webhook-timestamp %q is not Unix seconds", h.Event, h.Header.Get("webhook-timestamp"))
	}
	if ct := h.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q, want application/json", h.Event, ct)
	}
	wh, err := standardwebhooks.NewWebhook(secret)
	if err != nil {
		t.Fatal(err)
	}
	if err := wh.Verify(h.Body, h.Header); err != nil {
		t.Errorf("%s %s: the reference library does not verify the signature %q: %v", h.Event, h.ID, h.Header.Get("webhook-signature"), err)
	}
}

// checkWebhookGolden compares a delivery's body, normalised (uuids, times,
// links), with its golden file testdata/webhooks/name.json, or rewrites the
// file with -update.
func checkWebhookGolden(t *testing.T, name string, body []byte) {
	t.Helper()
	raw := volatileHref.ReplaceAll(body, []byte("<public URL>/$1/<uuid>"))
	raw = unixTimestamp.ReplaceAll(raw, []byte(`"timestamp":"<unix time>"`))
	raw = reportTime.ReplaceAll(raw, []byte(`"ts":"<unix time>"`))
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: the delivery's body is not JSON: %v: %q", name, err, body)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(normalise(v)); err != nil {
		t.Fatal(err)
	}
	got := embeddedUUID.ReplaceAll(b.Bytes(), []byte("<uuid>"))
	path := filepath.Join("testdata", "webhooks", name+".json")
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./e2e -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the delivery differs from %s:\ngot:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// checkSubjectOrder checks that the 2xx-answered events (first answer of
// each id) of each subject named in want came in want's order, and that
// every one came.
func checkSubjectOrder(t testing.TB, acks []*hookRequest, want map[string][]string) {
	t.Helper()
	got := map[string][]string{}
	for _, h := range acks {
		if _, ok := want[h.subject()]; ok {
			got[h.subject()] = append(got[h.subject()], h.label())
		}
	}
	for subject, w := range want {
		if !slices.Equal(got[subject], w) {
			t.Errorf("the events of %s arrived as %q, want %q", subject, got[subject], w)
		}
	}
}

// membershipAccount declares a user and a team for the agent events.
const membershipAccount = `users:
  - {email: ana@example.com, name: Ana Diaz}
teams:
  - {name: Support, members: [ana@example.com]}
`

// TestWebhookEvents causes every event through the API (and carillon apply)
// on each store, and checks each delivery: signed so that the reference
// library verifies it, with a webhook-id of its own, and its body as the
// golden file testdata/webhooks/<event>.json has it.
func TestWebhookEvents(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		rc := newReceiver(t, nil)
		s := startServerOn(t, kind, "--webhook-allow-private", "--rate-limit", "0")
		secret := s.subscribe(t, rc.URL+"/hooks/carillon", allEvents)

		// A contact created, changed, closed, opened, and at the end
		// deleted.
		r := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31 6 1234 5678", "source": "whatsapp", "name": "Kim Jansen"}`)
		if r.Code != http.StatusOK {
			t.Fatalf("create a contact: want 200, got %s", r)
		}
		kim, _ := object(t, r.JSON(t), "contact")["uuid"].(string)
		if r := s.do(t, "PATCH", "/v1/contacts/"+kim, s.Key, `{"name": "Kim de Vries", "note": "prefers mornings"}`); r.Code != http.StatusOK {
			t.Fatalf("update the contact: want 200, got %s", r)
		}
		// A contact made by the API has no conversation until one is
		// opened: open, close, open again.
		for _, step := range []struct{ path, body string }{{"open", ""}, {"close", `{"closing_reason": "resolved"}`}, {"open", ""}} {
			if r := s.do(t, "POST", "/v1/contacts/"+kim+"/conversation/"+step.path, s.Key, step.body); r.Code != http.StatusOK {
				t.Fatalf("%s the conversation: want 200, got %s", step.path, r)
			}
		}

		// A send to a new number, with metadata: contact_created,
		// conversation_opened, message_created, then its statuses.
		body := `{"to": "+31612345601", "from": "whatsapp", "type": "text", "content": {"text": "Your order has shipped"},
			"metadata": {"order_id": "A-1001", "source": "shop"}}`
		sent := enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key, body))
		s.waitStatus(t, sent, "read", 20*time.Second, nil)
		// A send to the sandbox's number that is not on WhatsApp fails.
		failed := enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key,
			`{"to": "+15550000001", "from": "whatsapp", "type": "text", "content": {"text": "Your code is 4821"}}`))
		s.waitStatus(t, failed, "failed", 20*time.Second, nil)

		// A customer writes in.
		r = s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "+31612345602", "text": "Hi, where is my parcel?"}`)
		if r.Code != http.StatusOK {
			t.Fatalf("sandbox inbound: want 200, got %s", r)
		}
		received, _ := object(t, r.JSON(t), "message")["uuid"].(string)

		// A user joins a team (carillon apply), then changes status.
		file := filepath.Join(t.TempDir(), "account.yaml")
		if err := os.WriteFile(file, []byte(membershipAccount), 0o600); err != nil {
			t.Fatal(err)
		}
		res := s.admin(t, []string{"apply"}, file)
		if res.Code != 0 {
			t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		ids := map[string]string{}
		for _, m := range createdObject.FindAllStringSubmatch(res.Stdout, -1) {
			ids[m[1]+" "+m[2]] = m[3]
		}
		ana := ids["user ana@example.com"]
		if ana == "" {
			t.Fatalf("apply did not report the user's uuid:\n%s", res.Stdout)
		}
		if r := s.do(t, "PUT", "/v1/users/"+ana+"/status", s.Key, `{"available": true}`); r.Code != http.StatusOK {
			t.Fatalf("set the user's status: want 200, got %s", r)
		}

		if r := s.do(t, "DELETE", "/v1/contacts/"+kim, s.Key, ""); r.Code != http.StatusOK {
			t.Fatalf("delete the contact: want 200, got %s", r)
		}

		// What must arrive: name → how to recognise it.
		type want struct {
			golden string
			match  func(h *hookRequest) bool
		}
		contactIs := func(uuid string) func(h *hookRequest) bool {
			return func(h *hookRequest) bool { return h.subject() == uuid }
		}
		messageIs := func(uuid, status string) func(h *hookRequest) bool {
			return func(h *hookRequest) bool { return h.Payload["uuid"] == uuid && h.Payload["status"] == status }
		}
		var newContact string // the contact the send created
		wants := []want{
			{"contact_created", func(h *hookRequest) bool { return h.Event == "contact_created" && h.Payload["uuid"] == kim }},
			{"contact_updated", contactIs(kim)},
			{"conversation_closed", contactIs(kim)},
			{"conversation_opened", func(h *hookRequest) bool { return h.Event == "conversation_opened" && h.subject() == kim }},
			{"message_created", messageIs(sent, "sent")},
			{"message_status_updated_sent", messageIs(sent, "sent")},
			{"message_status_updated_delivered", messageIs(sent, "delivered")},
			{"message_status_updated_read", messageIs(sent, "read")},
			{"message_created_received", messageIs(received, "received")},
			{"team_membership_updated", func(h *hookRequest) bool { return true }},
			{"agent_status_updated", func(h *hookRequest) bool { return true }},
			{"contact_deleted", contactIs(kim)},
			{"contact_created_by_send", func(h *hookRequest) bool { return newContact != "" && h.subject() == newContact }},
			{"conversation_opened_by_send", func(h *hookRequest) bool { return newContact != "" && h.subject() == newContact }},
			{"message_status_updated_failed", messageIs(failed, "failed")},
		}
		eventOf := func(golden string) string {
			for _, e := range []string{"message_created", "message_status_updated", "contact_created", "conversation_opened"} {
				if strings.HasPrefix(golden, e+"_") {
					return e
				}
			}
			return golden
		}
		find := func(w want) *hookRequest {
			for _, h := range rc.firstAcks() {
				if h.Event == eventOf(w.golden) && w.match(h) {
					return h
				}
			}
			return nil
		}
		waitUntil(t, 60*time.Second, func() bool {
			if newContact == "" {
				if h := find(wants[4]); h != nil {
					newContact = h.subject()
				}
			}
			for _, w := range wants {
				if find(w) == nil {
					return false
				}
			}
			return true
		}, func() string {
			var missing []string
			for _, w := range wants {
				if find(w) == nil {
					missing = append(missing, w.golden)
				}
			}
			var got []string
			for _, h := range rc.deliveries() {
				got = append(got, h.label()+" of "+h.subject())
			}
			return fmt.Sprintf("the receiver did not get %q; it got %q", missing, got)
		})

		for _, w := range wants {
			h := find(w)
			checkSigned(t, h, secret)
			checkWebhookGolden(t, w.golden, h.Body)
		}
		// The failure's reason where Callbell's clients read it, and the
		// message's uuid as gsId.
		msp, _ := find(wants[len(wants)-1]).Payload["messageStatusPayload"].(map[string]any)
		if inner, _ := msp["payload"].(map[string]any); msp["gsId"] != failed || msp["type"] != "failed" ||
			inner["reason"] != "Message undeliverable" || inner["code"] != json.Number("131026") {
			t.Errorf("the failure's messageStatusPayload = %s", compact(msp))
		}
		if r := s.do(t, "GET", "/v1/contacts/"+kim, s.Key, ""); r.Code != http.StatusNotFound {
			t.Errorf("the deleted contact: want 404, got %s", r)
		}

		// Each event has a webhook-id of its own, and every delivery so far
		// is the first and only one of its event (the receiver answered
		// every one with 200).
		seen := map[string]string{}
		for _, h := range rc.deliveries() {
			if prev, dup := seen[h.ID]; dup {
				t.Errorf("webhook-id %s came twice: %s, then %s", h.ID, prev, h.label())
			}
			seen[h.ID] = h.label()
			checkSigned(t, h, secret)
		}
		// The order of each subject's events.
		checkSubjectOrder(t, rc.firstAcks(), map[string][]string{
			kim: {"contact_created", "contact_updated", "conversation_opened", "conversation_closed", "conversation_opened", "contact_deleted"},
			newContact: {"contact_created", "conversation_opened", "message_created",
				"message_status_updated sent", "message_status_updated delivered", "message_status_updated read"},
			"user:ana@example.com": {"team_membership_updated", "agent_status_updated"},
		})
		// The log lists every delivery, each a success at its first attempt.
		waitUntil(t, 30*time.Second, func() bool { return len(s.wholeLog(t, "status=success")) == len(seen) }, func() string {
			return fmt.Sprintf("the log lists %d successes, the receiver got %d events", len(s.wholeLog(t, "status=success")), len(seen))
		})
		for _, e := range s.wholeLog(t, "") {
			if seen[e.ID] == "" || !e.Success || e.Attempts != 1 || e.NextAttemptAt != nil || e.Response.Code == nil || *e.Response.Code != 200 ||
				e.Response.Body == nil || *e.Response.Body != `{"status": "ok"}` || e.Response.Headers["Content-Type"] != "application/json" {
				t.Errorf("log entry %s %s: want a success at the first attempt, answered 200 {\"status\": \"ok\"}, got %+v", e.ID, e.Event, e)
			}
		}
	})
}

// TestWebhookOutage takes the receiver down (503, then connections dropped
// without an answer) while events happen, then brings it back, on each
// store: every event comes, each acknowledged exactly once, the events of
// each contact in the order they happened; during the outage the log shows
// the failures.
func TestWebhookOutage(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		const (
			up = iota
			unavailable
			dropping
		)
		var mode atomic.Int32
		mode.Store(unavailable)
		rc := newReceiver(t, func(h *hookRequest, w http.ResponseWriter, r *http.Request) int {
			switch mode.Load() {
			case unavailable:
				w.Header().Set("X-Receiver", "maintenance")
				w.WriteHeader(http.StatusServiceUnavailable)
				_, _ = io.WriteString(w, "down for maintenance")
				return http.StatusServiceUnavailable
			case dropping:
				conn, _, err := http.NewResponseController(w).Hijack()
				if err == nil {
					conn.Close()
				}
				return 0
			}
			_, _ = io.WriteString(w, `{"status": "ok"}`)
			return http.StatusOK
		})
		// Retries 50 ms, 100 ms, 200 ms … apart rather than 1 s, 2 s, 4 s:
		// the outage needs several attempts.
		s := startServerOn(t, kind, "--webhook-allow-private", "--rate-limit", "0", "--webhook-retry-base", "50ms")
		secret := s.subscribe(t, rc.URL, allEvents)

		const n = 5
		msgs := make([]string, n)
		for i := range msgs {
			body := fmt.Sprintf(`{"to": "%s", "from": "whatsapp", "type": "text", "content": {"text": "message %d"}, "metadata": {"n": "%d"}}`, phoneNumber(40+i), i, i)
			msgs[i] = enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key, body))
		}
		for _, m := range msgs {
			s.waitStatus(t, m, "read", 20*time.Second, nil)
		}
		const total = 6 * n // contact_created, conversation_opened, message_created, sent, delivered, read

		// 503: the log shows the failures, with the receiver's answer.
		var failed logEntry
		waitUntil(t, 20*time.Second, func() bool {
			for _, e := range s.webhookLog(t, "status=failed").Events {
				if e.Attempts > 1 && e.Response.Code != nil && *e.Response.Code == 503 {
					failed = e
					return true
				}
			}
			return false
		}, func() string {
			return "no failed event with response code 503 and attempts > 1 in the log: " + compact(s.webhookLog(t, "status=failed"))
		})
		if failed.Success || failed.NextAttemptAt == nil || failed.Response.Body == nil || *failed.Response.Body != "down for maintenance" ||
			failed.Response.Headers["X-Receiver"] != "maintenance" {
			t.Errorf("a failed event during the outage: want success false, a next attempt, the receiver's body and headers, got %+v", failed)
		}
		if got := s.webhookLog(t, "status=success").Events; len(got) != 0 {
			t.Errorf("during the outage the log lists successes: %s", compact(got))
		}

		// No answer at all: the response's members are null.
		mode.Store(dropping)
		waitUntil(t, 20*time.Second, func() bool {
			for _, e := range s.webhookLog(t, "status=failed").Events {
				if e.Response.Code == nil {
					if e.Response.Body != nil || e.Response.Headers != nil {
						t.Errorf("a failed attempt without an answer: want response {code, body, headers} all null, got %+v", e.Response)
					}
					return true
				}
			}
			return false
		}, func() string {
			return "no failed event without a response in the log: " + compact(s.webhookLog(t, "status=failed"))
		})

		// Back up: everything comes.
		mode.Store(up)
		waitUntil(t, 60*time.Second, func() bool { return len(rc.ackCounts()) >= total }, func() string {
			return fmt.Sprintf("%d of %d events acknowledged", len(rc.ackCounts()), total)
		})
		acks := rc.ackCounts()
		if len(acks) != total {
			t.Errorf("%d events acknowledged, want %d", len(acks), total)
		}
		for id, k := range acks {
			if k != 1 {
				t.Errorf("webhook-id %s acknowledged %d times, want once (no crash happened)", id, k)
			}
		}
		for _, h := range rc.deliveries() {
			checkSigned(t, h, secret)
		}
		order := map[string][]string{}
		for _, h := range rc.firstAcks() {
			if h.Event == "contact_created" {
				order[h.subject()] = []string{"contact_created", "conversation_opened", "message_created",
					"message_status_updated sent", "message_status_updated delivered", "message_status_updated read"}
			}
		}
		if len(order) != n {
			t.Errorf("contact_created came for %d contacts, want %d", len(order), n)
		}
		checkSubjectOrder(t, rc.firstAcks(), order)

		// The log: every event delivered (once the server recorded the
		// last answers), those the outage hit after several attempts.
		var log []logEntry
		waitUntil(t, 10*time.Second, func() bool {
			log = s.wholeLog(t, "status=success")
			return len(log) >= total
		}, func() string { return fmt.Sprintf("the log lists %d successes, want %d", len(log), total) })
		log = s.wholeLog(t, "")
		retried := 0
		for _, e := range log {
			if acks[e.ID] != 1 || !e.Success || e.NextAttemptAt != nil || e.Response.Code == nil || *e.Response.Code != 200 {
				t.Errorf("log entry %s %s after the outage: want delivered, got %+v", e.ID, e.Event, e)
			}
			if e.Attempts > 1 {
				retried++
			}
		}
		if len(log) != total || retried == 0 {
			t.Errorf("the log lists %d events (%d attempted more than once), want %d, some retried", len(log), retried, total)
		}
		if got := s.wholeLog(t, "status=failed"); len(got) != 0 {
			t.Errorf("after the outage the log still lists failures: %s", compact(got))
		}
	})
}

// TestWebhookCrash kills the server (kill -9) while deliveries are in
// flight and many events wait, on each store, and restarts it: every event
// comes, those in flight at the kill again after their lease ends, and the
// events of each contact in order.
func TestWebhookCrash(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		const (
			n      = 50
			total  = 6 * n
			before = 100 // events answered before the receiver holds the rest
		)
		gate := make(chan struct{})
		var release sync.Once
		t.Cleanup(func() { release.Do(func() { close(gate) }) })
		var answered, waiting atomic.Int32
		var heldMu sync.Mutex
		held := map[string]bool{} // the webhook-ids held without an answer
		rc := newReceiver(t, func(h *hookRequest, w http.ResponseWriter, r *http.Request) int {
			if h.Gen == 0 && answered.Add(1) > before {
				// Held without an answer until the server gives up the
				// attempt (--webhook-timeout) or is gone.
				heldMu.Lock()
				held[h.ID] = true
				heldMu.Unlock()
				waiting.Add(1)
				defer waiting.Add(-1)
				select {
				case <-gate:
				case <-r.Context().Done():
				}
				return 0
			}
			_, _ = io.WriteString(w, `{"status": "ok"}`)
			return http.StatusOK
		})
		// A short lease slack: the events in flight at the kill come again
		// 2 × 1 s + 1 s after their claim rather than 12 s.
		s := startServerOn(t, kind, "--webhook-allow-private", "--rate-limit", "0", "--webhook-timeout", "1s",
			"--webhook-lease-slack", "1s")
		secret := s.subscribe(t, rc.URL, allEvents)

		msgs := make([]string, n)
		for i := range msgs {
			msgs[i] = s.sendText(t, phoneNumber(i), fmt.Sprintf("crash %d", i))
		}
		// Every event is recorded before the kill: the last is each
		// message's read.
		for _, m := range msgs {
			s.waitStatus(t, m, "read", 30*time.Second, nil)
		}
		// Kill while the receiver holds deliveries: their events are
		// leased by the dead server.
		waitUntil(t, 30*time.Second, func() bool { return waiting.Load() > 0 }, func() string {
			return fmt.Sprintf("the receiver holds no delivery (%d answered)", answered.Load())
		})
		s.kill()
		heldMu.Lock()
		var inFlight []string // never answered with a 2xx: must come again
		for id := range held {
			inFlight = append(inFlight, id)
		}
		heldMu.Unlock()
		rc.mu.Lock()
		rc.gen = 1
		ackedBefore := map[string]bool{}
		for _, h := range rc.answered {
			if h.acked() {
				ackedBefore[h.ID] = true
			}
		}
		rc.mu.Unlock()
		release.Do(func() { close(gate) })
		t.Logf("killed with %d events acknowledged and %d held, of %d", len(ackedBefore), len(inFlight), total)

		// The receiver now answers at once. A 1 s timeout would let a
		// loaded machine time out an answered attempt and send its event
		// again, which at-least-once allows but this test counts as a
		// duplicate. The events the dead server leased keep the lease it
		// gave them (a later flag wins).
		s.args = append(s.args, "--webhook-timeout", "10s")
		s.restart()
		waitUntil(t, 60*time.Second, func() bool { return len(rc.ackCounts()) >= total }, func() string {
			return fmt.Sprintf("%d of %d events acknowledged after the restart", len(rc.ackCounts()), total)
		})

		// Each event in flight at the kill came again, after the restart.
		again := map[string]bool{}
		for _, h := range rc.deliveries() {
			if h.Gen == 1 {
				again[h.ID] = true
			}
			checkSigned(t, h, secret)
		}
		for _, id := range inFlight {
			if !again[id] {
				t.Errorf("the event %s, held unanswered before the kill, did not come again", id)
			}
		}
		// Only an event acknowledged as the server died may be acknowledged
		// twice.
		for id, k := range rc.ackCounts() {
			if k > 1 && !ackedBefore[id] {
				t.Errorf("webhook-id %s acknowledged %d times", id, k)
			}
			if k > 2 {
				t.Errorf("webhook-id %s acknowledged %d times, want at most twice", id, k)
			}
		}
		order := map[string][]string{}
		for _, h := range rc.firstAcks() {
			if h.Event == "contact_created" {
				order[h.subject()] = []string{"contact_created", "conversation_opened", "message_created",
					"message_status_updated sent", "message_status_updated delivered", "message_status_updated read"}
			}
		}
		if len(order) != n {
			t.Errorf("contact_created came for %d contacts, want %d", len(order), n)
		}
		checkSubjectOrder(t, rc.firstAcks(), order)

		// The store holds as many events as came, all delivered.
		var log []logEntry
		waitUntil(t, 10*time.Second, func() bool {
			log = s.wholeLog(t, "")
			for _, e := range log {
				if !e.Success {
					return false
				}
			}
			return len(log) >= total
		}, func() string { return fmt.Sprintf("the log lists %d events, not all delivered", len(log)) })
		acks := rc.ackCounts()
		for _, e := range log {
			if acks[e.ID] == 0 {
				t.Errorf("the log's event %s %s never reached the receiver", e.ID, e.Event)
			}
		}
		if len(log) != total || len(acks) != total {
			t.Errorf("the log lists %d events, the receiver acknowledged %d, want %d", len(log), len(acks), total)
		}
	})
}

// TestWebhookLog checks the delivery log's filters, pages and order, its
// errors, redelivery, and the secret rotation, on each store.
func TestWebhookLog(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		var failing atomic.Bool
		failing.Store(true)
		rc := newReceiver(t, func(h *hookRequest, w http.ResponseWriter, r *http.Request) int {
			// The receiver refuses the events of the contact named Failing
			// while failing is set.
			if failing.Load() && strings.Contains(string(h.Body), `"name":"Failing"`) {
				w.WriteHeader(http.StatusInternalServerError)
				_, _ = io.WriteString(w, "boom")
				return http.StatusInternalServerError
			}
			_, _ = io.WriteString(w, `{"status": "ok"}`)
			return http.StatusOK
		})
		s := startServerOn(t, kind, "--webhook-allow-private", "--rate-limit", "0")

		// Without a webhook the log is empty.
		if p := s.webhookLog(t, ""); len(p.Events) != 0 || p.Meta.Page != 1 {
			t.Errorf("the log without a webhook: %s", compact(p))
		}
		secret := s.subscribe(t, rc.URL, `["contact_created", "contact_updated"]`)
		// Subscribing again replaces the webhook and keeps its secret: the
		// answer shows none.
		r := s.do(t, "POST", "/v1/webhooks/subscribe", s.Key, `{"url": "`+rc.URL+`", "subscriptions": ["contact_created", "contact_updated"]}`)
		if r.Code != http.StatusOK || strings.Contains(string(r.Body), "secret") {
			t.Errorf("subscribe again: want 200 without the secret, got %s", r)
		}

		create := func(number, name string) string {
			t.Helper()
			r := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "`+number+`", "source": "whatsapp", "name": "`+name+`"}`)
			if r.Code != http.StatusOK {
				t.Fatalf("create a contact: want 200, got %s", r)
			}
			uuid, _ := object(t, r.JSON(t), "contact")["uuid"].(string)
			return uuid
		}
		// Ok, created then updated (delivered); Failing, created (refused,
		// retried). The log is newest first: Failing's, then Ok's update,
		// then Ok's creation.
		ok := create(phoneNumber(70), "Ok")
		waitUntil(t, 60*time.Second, func() bool { return len(s.webhookLog(t, "status=success").Events) == 1 }, func() string {
			return "contact_created not delivered: " + compact(s.webhookLog(t, ""))
		})
		if r := s.do(t, "PATCH", "/v1/contacts/"+ok, s.Key, `{"name": "Ok Two"}`); r.Code != http.StatusOK {
			t.Fatalf("update the contact: want 200, got %s", r)
		}
		waitUntil(t, 60*time.Second, func() bool { return len(s.webhookLog(t, "status=success").Events) == 2 }, func() string {
			return "contact_updated not delivered: " + compact(s.webhookLog(t, ""))
		})
		create(phoneNumber(71), "Failing")
		waitUntil(t, 60*time.Second, func() bool { return len(s.webhookLog(t, "").Events) == 3 }, func() string {
			return "the log does not list the three events: " + compact(s.webhookLog(t, ""))
		})

		ids := func(es []logEntry) []string {
			var out []string
			for _, e := range es {
				out = append(out, e.Event+"/"+nameIn(e.Payload))
			}
			return out
		}
		for _, tc := range []struct {
			query string
			want  []string
			pages int
		}{
			{"", []string{"contact_created/Failing", "contact_updated/Ok Two", "contact_created/Ok"}, 1},
			{"status=success", []string{"contact_updated/Ok Two", "contact_created/Ok"}, 1},
			{"status=failed", []string{"contact_created/Failing"}, 1},
			{"subscriptions=contact_updated", []string{"contact_updated/Ok Two"}, 1},
			{"subscriptions=contact_created", []string{"contact_created/Failing", "contact_created/Ok"}, 1},
			{"subscriptions=contact_updated,contact_created", []string{"contact_created/Failing", "contact_updated/Ok Two", "contact_created/Ok"}, 1},
			{"subscriptions=contact_created&status=success", []string{"contact_created/Ok"}, 1},
			{"subscriptions=message_created", nil, 1},
			{"items=2", []string{"contact_created/Failing", "contact_updated/Ok Two"}, 2},
			{"items=2&page=2", []string{"contact_created/Ok"}, 2},
			{"items=1&page=2", []string{"contact_updated/Ok Two"}, 3},
			{"items=1&page=9", nil, 3},
		} {
			p := s.webhookLog(t, tc.query)
			if got := ids(p.Events); !slices.Equal(got, tc.want) || p.Meta.Pages != tc.pages {
				t.Errorf("GET /v1/webhooks/events?%s: got %q (%d pages), want %q (%d pages)", tc.query, got, p.Meta.Pages, tc.want, tc.pages)
			}
		}
		for _, tc := range []struct{ query, field string }{
			{"status=pending", "status"},
			{"status=SUCCESS", "status"},
			{"subscriptions=contact_created,nope", "subscriptions"},
			{"subscriptions=health_check", "subscriptions"},
			{"page=first", "page"},
			{"items=abc", "items"},
		} {
			r := s.do(t, "GET", "/v1/webhooks/events?"+tc.query, s.Key, "")
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("GET /v1/webhooks/events?%s: want 422, got %s", tc.query, r)
				continue
			}
			wantError(t, r, http.StatusUnprocessableEntity, "invalid_parameter", tc.field)
		}

		// Redelivery: of a delivered event, and of a failing one.
		all := s.webhookLog(t, "").Events
		failingEvent, okCreated := all[0], all[2]
		before := len(rc.deliveries())
		r = s.do(t, "POST", "/v1/webhooks/events/"+okCreated.ID+"/redeliver", s.Key, "")
		var one struct {
			Event logEntry `json:"webhook_event"`
		}
		if r.Code != http.StatusOK || json.Unmarshal(r.Body, &one) != nil {
			t.Fatalf("redeliver: want 200 {webhook_event}, got %s", r)
		}
		if e := one.Event; e.ID != okCreated.ID || !e.Success || e.Attempts != okCreated.Attempts+1 || e.NextAttemptAt != nil ||
			e.Response.Code == nil || *e.Response.Code != 200 || string(e.Payload) != string(okCreated.Payload) {
			t.Errorf("redeliver a delivered event: want it attempted once more, a success, got %+v", e)
		}
		d := rc.deliveries()
		if len(d) < before+1 {
			t.Fatalf("the receiver got nothing on redeliver")
		}
		var again *hookRequest
		for _, h := range d[before:] {
			if h.ID == okCreated.ID {
				again = h
			}
		}
		first := rc.firstAcks()[0]
		if again == nil || !bytes.Equal(again.Body, first.Body) || first.ID != okCreated.ID {
			t.Errorf("redeliver: the receiver did not get the same webhook-id and body again")
		} else {
			checkSigned(t, again, secret)
		}

		cur := s.webhookLog(t, "status=failed").Events
		if len(cur) != 1 || cur[0].ID != failingEvent.ID {
			t.Fatalf("the failed events: %s", compact(cur))
		}
		r = s.do(t, "POST", "/v1/webhooks/events/"+failingEvent.ID+"/redeliver", s.Key, "")
		one.Event = logEntry{}
		if r.Code != http.StatusOK || json.Unmarshal(r.Body, &one) != nil {
			t.Fatalf("redeliver: want 200 {webhook_event}, got %s", r)
		}
		if e := one.Event; e.Success || e.Attempts <= cur[0].Attempts || e.NextAttemptAt == nil || e.Response.Code == nil || *e.Response.Code != 500 ||
			e.Response.Body == nil || *e.Response.Body != "boom" {
			t.Errorf("redeliver a refused event: want another failed attempt answered 500 boom, got %+v (it had %d attempts)", e, cur[0].Attempts)
		}
		failing.Store(false)
		r = s.do(t, "POST", "/v1/webhooks/events/"+failingEvent.ID+"/redeliver", s.Key, "")
		one.Event = logEntry{}
		if r.Code != http.StatusOK || json.Unmarshal(r.Body, &one) != nil || !one.Event.Success || one.Event.NextAttemptAt != nil {
			t.Errorf("redeliver once the receiver accepts: want a success, got %s", r)
		}
		for _, bad := range []string{"msg_00000000000000000000000000000000", "nope"} {
			wantError(t, s.do(t, "POST", "/v1/webhooks/events/"+bad+"/redeliver", s.Key, ""), http.StatusNotFound, "not_found", "")
		}

		// Secret rotation: deliveries carry both signatures.
		r = s.do(t, "POST", "/v1/webhooks/rotate_secret", s.Key, "")
		if r.Code != http.StatusOK {
			t.Fatalf("rotate_secret: want 200, got %s", r)
		}
		newSecret, _ := object(t, r.JSON(t), "webhook")["secret"].(string)
		if !strings.HasPrefix(newSecret, "whsec_") || newSecret == secret {
			t.Fatalf("rotate_secret: want a new whsec_ secret, got %s", r)
		}
		rotated := create(phoneNumber(72), "Rotated")
		var h *hookRequest
		waitUntil(t, 60*time.Second, func() bool {
			for _, x := range rc.firstAcks() {
				if x.subject() == rotated {
					h = x
				}
			}
			return h != nil
		}, func() string { return "contact_created after the rotation not delivered" })
		if sigs := strings.Fields(h.Header.Get("webhook-signature")); len(sigs) != 2 {
			t.Errorf("after a rotation: want two signatures, got %q", h.Header.Get("webhook-signature"))
		}
		checkSigned(t, h, newSecret)
		checkSigned(t, h, secret)

		// Unsubscribe: the log goes, and nothing more is recorded.
		if r := s.do(t, "DELETE", "/v1/webhooks/unsubscribe", s.Key, ""); r.Code != http.StatusOK || !strings.Contains(string(r.Body), `"webhook was destroyed"`) {
			t.Errorf("unsubscribe: want 200 webhook was destroyed, got %s", r)
		}
		create(phoneNumber(73), "Unheard")
		if p := s.webhookLog(t, ""); len(p.Events) != 0 {
			t.Errorf("the log after unsubscribe: %s", compact(p))
		}
		wantError(t, s.do(t, "POST", "/v1/webhooks/events/"+okCreated.ID+"/redeliver", s.Key, ""), http.StatusNotFound, "not_found", "")
	})
}

// nameIn returns the name of the contact of a payload.
func nameIn(payload json.RawMessage) string {
	var p struct{ Name string }
	_ = json.Unmarshal(payload, &p)
	return p.Name
}

// TestWebhookPrivateAddresses checks the guard against private targets,
// on each store: without --webhook-allow-private, subscribing to loopback,
// private, link-local addresses or localhost answers 422 naming url, and a
// name that resolves to such an address is refused when a delivery dials
// it.
func TestWebhookPrivateAddresses(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind, "--rate-limit", "0")
		for _, u := range []string{
			"http://127.0.0.1:8080/hooks", "http://127.0.0.1/", "https://127.9.9.9/x", "http://localhost:8080/hooks", "http://localhost/",
			"http://LOCALHOST./", "http://api.localhost/", "http://169.254.169.254/", "http://169.254.169.254/latest/meta-data/",
			"http://10.1.2.3/", "http://172.16.0.1/", "http://192.168.1.10:3000/", "http://[::1]:8080/", "http://[fe80::1]/",
			"http://[::ffff:127.0.0.1]/", "http://[::ffff:169.254.169.254]/", "http://0.0.0.0/", "http://[::]/", "http://224.0.0.1/",
			"http://100.64.0.1/", "http://[fd00::1]/",
			// Not absolute http(s) URLs.
			"ftp://example.com/", "example.com/hooks", "http:///x", "",
			// Ports out of range.
			"https://example.com:65536/hooks", "https://example.com:0/hooks", "https://example.com:4294967297/hooks",
		} {
			r := s.do(t, "POST", "/v1/webhooks/subscribe", s.Key, `{"url": "`+u+`", "subscriptions": ["contact_created"]}`)
			if r.Code != http.StatusUnprocessableEntity {
				t.Errorf("subscribe to %q: want 422, got %s", u, r)
				continue
			}
			wantError(t, r, http.StatusUnprocessableEntity, "invalid_parameter", "url")
		}
		for _, tc := range []struct{ subs, field string }{
			{`[]`, "subscriptions"}, {`["nope"]`, "subscriptions"}, {`["health_check"]`, "subscriptions"},
		} {
			r := s.do(t, "POST", "/v1/webhooks/subscribe", s.Key, `{"url": "https://example.com/hooks", "subscriptions": `+tc.subs+`}`)
			wantError(t, r, http.StatusUnprocessableEntity, "invalid_parameter", tc.field)
		}
		// Nothing was subscribed: the log is empty, and a public URL is
		// taken.
		if p := s.webhookLog(t, ""); len(p.Events) != 0 {
			t.Errorf("the log: %s", compact(p))
		}

		// A name resolving to a loopback or private address passes the
		// subscribe check (it is a name), and every attempt refuses it:
		// the receiver, listening on every address, gets nothing.
		host, addr := localName(t)
		if host == "" {
			t.Logf("no host name resolves to a private or loopback address here: the dial-time guard is not tested")
			return
		}
		var got atomic.Int32
		ln, err := net.Listen("tcp", ":0")
		if err != nil {
			t.Fatal(err)
		}
		rcv := &httptest.Server{Listener: ln, Config: &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			got.Add(1)
		})}}
		rcv.Start()
		defer rcv.Close()
		port := ln.Addr().(*net.TCPAddr).Port
		url := fmt.Sprintf("http://%s:%d/hooks", host, port)
		s.subscribe(t, url, `["contact_created"]`)
		if r := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31612345699", "source": "whatsapp", "name": "Guarded"}`); r.Code != http.StatusOK {
			t.Fatalf("create a contact: want 200, got %s", r)
		}
		waitUntil(t, 30*time.Second, func() bool {
			es := s.webhookLog(t, "status=failed").Events
			return len(es) == 1 && es[0].Response.Code == nil
		}, func() string { return "no failed attempt in the log: " + compact(s.webhookLog(t, "")) })
		if got.Load() != 0 {
			t.Errorf("a delivery to %s (%s) reached the receiver", url, addr)
		}
		// The attempt is recorded beside the delivery, which logs its
		// failure: either may come first.
		waitUntil(t, 30*time.Second, func() bool { return strings.Contains(s.stderr.String(), "refused address") },
			func() string {
				return fmt.Sprintf("the server's log does not say why the attempt to %s (%s) failed", url, addr)
			})
	})
}

// localName returns a host name of this machine (from /etc/hosts or the
// host name) that resolves to a loopback or private address, and that
// address, or "" when there is none.
func localName(t testing.TB) (string, string) {
	var names []string
	if f, err := os.Open("/etc/hosts"); err == nil {
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			fields := strings.Fields(strings.SplitN(sc.Text(), "#", 2)[0])
			if len(fields) > 1 {
				names = append(names, fields[1:]...)
			}
		}
		f.Close()
	}
	if h, err := os.Hostname(); err == nil {
		names = append(names, h)
	}
	for _, name := range names {
		lower := strings.ToLower(strings.TrimSuffix(name, "."))
		if lower == "localhost" || strings.HasSuffix(lower, ".localhost") || net.ParseIP(name) != nil {
			continue
		}
		addrs, err := net.LookupHost(name)
		if err != nil || len(addrs) == 0 {
			continue
		}
		allLocal := true
		for _, a := range addrs {
			ip := net.ParseIP(a)
			if ip == nil || !(ip.IsLoopback() || ip.IsPrivate()) {
				allLocal = false
			}
		}
		if allLocal {
			return name, addrs[0]
		}
	}
	return "", ""
}
