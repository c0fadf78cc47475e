package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	_ "modernc.org/sqlite"
)

// seedBody is the body of the getting-started guide's curl command, byte
// for byte, with the recipient filled in.
const seedBody = `{
    "to": "+31612345678",
    "from": "whatsapp",
    "type": "text",
    "content": {
      "text": "Hello from Callbell API!"
    }
  }`

// TestGettingStarted runs the guide's two curl commands against a fresh
// server with the default sandbox delay: the send answers enqueued, and the
// status, polled, reaches delivered and then read. On SQLite and on
// PostgreSQL.
func TestGettingStarted(t *testing.T) {
	t.Parallel()
	eachStore(t, testGettingStarted)
}

func testGettingStarted(t *testing.T, kind string) {
	s := startServerOn(t, kind, "--sandbox-delay", "200ms")

	r := s.do(t, "POST", "/v1/messages/send", s.Key, seedBody, "Content-Type", "application/json")
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("send: Content-Type %q, want application/json", ct)
	}
	uuid := enqueuedUUID(t, r)

	var seen []string
	msg := s.waitStatus(t, uuid, "read", 10*time.Second, &seen)
	if !slices.Contains(seen, "delivered") {
		t.Errorf("polling every 20 ms never saw delivered before read: saw %v", seen)
	}
	if msg["uuid"] != uuid {
		t.Errorf("status answers uuid %v, want %s", msg["uuid"], uuid)
	}
	// Callbell's documented shape: the provider's message id, the status
	// reported, the report, the recipient.
	if p, _ := msg["messageStatusPayload"].(map[string]any); p["id"] != "wamid.sandbox."+uuid || p["type"] != "read" ||
		p["destination"] != "31612345678" || p["payload"] == nil || len(p) != 4 {
		t.Errorf("status answer's messageStatusPayload = %s", compact(msg["messageStatusPayload"]))
	}

	// Nothing went wrong, so the server logged no error.
	if err := s.stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	if lines := s.errorLogs(); len(lines) > 0 {
		t.Errorf("the getting-started flow logged %d lines at level ERROR, first: %s", len(lines), lines[0])
	}
}

// TestSandboxNumbers sends to each of the sandbox's reserved numbers and
// checks the documented behaviour, then checks in the store how many
// provider attempts the retried ones took. On SQLite and on PostgreSQL.
func TestSandboxNumbers(t *testing.T) {
	t.Parallel()
	eachStore(t, testSandboxNumbers)
}

func testSandboxNumbers(t *testing.T, kind string) {
	// Retries 50 ms, 100 ms … apart rather than 1 s, 2 s: the numbers
	// that fail before they succeed need the same attempts, sooner.
	s := startServerOn(t, kind, "--send-retry-base", "50ms")
	// control sends to an ordinary number and waits until it is read: once
	// it is, every receipt of a message sent before it was sent has come.
	control := func(t *testing.T) {
		t.Helper()
		s.waitStatus(t, s.sendText(t, "+31612345699", "control"), "read", 10*time.Second, nil)
	}
	// statusPayload reads messageStatusPayload, in the shape Callbell
	// documents: {"id", "type", "payload": {…}, "destination"}.
	statusPayload := func(t *testing.T, msg map[string]any, status, destination string) (inner map[string]any) {
		t.Helper()
		p, ok := msg["messageStatusPayload"].(map[string]any)
		if !ok {
			t.Fatalf("messageStatusPayload is not an object: %s", compact(msg["messageStatusPayload"]))
		}
		inner, _ = p["payload"].(map[string]any)
		if id, _ := p["id"].(string); id == "" || p["type"] != status || p["destination"] != destination || inner == nil || len(p) != 4 {
			t.Fatalf("messageStatusPayload is not {id, type: %s, payload, destination: %s}: %s", status, destination, compact(p))
		}
		return inner
	}

	uuids := map[string]string{}
	var mu sync.Mutex
	remember := func(number, uuid string) {
		mu.Lock()
		uuids[number] = uuid
		mu.Unlock()
	}
	cases := []struct {
		name, to string
		check    func(t *testing.T, uuid string)
	}{
		{"not on WhatsApp", "+15550000001", func(t *testing.T, uuid string) {
			msg := s.waitStatus(t, uuid, "failed", 10*time.Second, nil)
			// The code and reason where Callbell's clients read them, and
			// the provider's own report (WhatsApp's errors) beside them.
			p := statusPayload(t, msg, "failed", "15550000001")
			if p["code"] != json.Number("131026") || p["reason"] != "Message undeliverable" {
				t.Errorf("want code 131026 and its reason at messageStatusPayload.payload, got %s", compact(p))
			}
			if errs, _ := p["errors"].([]any); len(errs) != 1 || compact(errs[0].(map[string]any)["code"]) != "131026" {
				t.Errorf("want the provider's errors kept in messageStatusPayload.payload, got %s", compact(p))
			}
		}},
		{"never delivered", "+15550000002", func(t *testing.T, uuid string) {
			s.waitStatus(t, uuid, "sent", 10*time.Second, nil)
			control(t)
			if st := s.status(t, uuid)["status"]; st != "sent" {
				t.Errorf("want it to stay sent, it became %v", st)
			}
		}},
		{"never read", "+15550000003", func(t *testing.T, uuid string) {
			s.waitStatus(t, uuid, "delivered", 10*time.Second, nil)
			control(t)
			if st := s.status(t, uuid)["status"]; st != "delivered" {
				t.Errorf("want it to stay delivered, it became %v", st)
			}
		}},
		{"rate limited twice", "+15550000004", func(t *testing.T, uuid string) {
			s.waitStatus(t, uuid, "read", 20*time.Second, nil)
		}},
		{"server error once", "+15550000005", func(t *testing.T, uuid string) {
			s.waitStatus(t, uuid, "read", 20*time.Second, nil)
		}},
		{"mismatch", "+15550000006", func(t *testing.T, uuid string) {
			msg := s.waitStatus(t, uuid, "mismatch", 10*time.Second, nil)
			p := statusPayload(t, msg, "mismatch", "15550000006")
			corrected, _ := p["destination"].(string)
			if corrected == "" || corrected == "15550000006" || strings.Trim(corrected, "0123456789") != "" || p["reason"] == nil {
				t.Errorf("want the corrected number (digits, not 15550000006) at messageStatusPayload.payload.destination, and a reason, got %s", compact(p))
			}
		}},
		{"other reserved number", "+15550000042", func(t *testing.T, uuid string) {
			s.waitStatus(t, uuid, "read", 10*time.Second, nil)
		}},
		{"written with spaces", "+1 555 000 0042", func(t *testing.T, uuid string) {
			s.waitStatus(t, uuid, "read", 10*time.Second, nil)
		}},
	}
	t.Run("numbers", func(t *testing.T) {
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				uuid := s.sendText(t, tc.to, "sandbox "+tc.name)
				remember(tc.to, uuid)
				tc.check(t, uuid)
			})
		}
	})
	if t.Failed() {
		return
	}

	// The retried numbers took the documented number of attempts, and no
	// message was sent twice.
	if err := s.stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	db := s.openStore(t)
	for number, want := range map[string]int{"+15550000004": 3, "+15550000005": 2, "+15550000001": 1, "+15550000042": 1} {
		var attempts, sent int
		err := db.QueryRow(`SELECT attempts, (SELECT COUNT(*) FROM message_statuses s WHERE s.message_id = m.id AND s.status = 'sent')
			FROM messages m WHERE uuid = $1`, uuids[number]).Scan(&attempts, &sent)
		if err != nil {
			t.Fatalf("%s: %v", number, err)
		}
		if attempts != want {
			t.Errorf("%s: %d provider attempts, want %d", number, attempts, want)
		}
		if wantSent := map[bool]int{true: 0, false: 1}[number == "+15550000001"]; sent != wantSent {
			t.Errorf("%s: %d 'sent' status rows, want %d", number, sent, wantSent)
		}
	}
}

// openDB opens a stopped server's SQLite database.
func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.Ping(); err != nil {
		t.Fatal(err)
	}
	return db
}

// TestSendFields asks for the contact and the conversation in the send's
// answer.
func TestSendFields(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	r := s.do(t, "POST", "/v1/messages/send", s.Key,
		`{"to": "+31 6-1234.5678", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "fields": "contact,conversation"}`)
	enqueuedUUID(t, r)
	msg := object(t, r.JSON(t), "message")
	contact := object(t, msg, "contact")
	conv := object(t, msg, "conversation")

	for _, k := range []string{"uuid", "name", "phoneNumber", "avatarUrl", "createdAt", "source", "href", "conversationHref",
		"tags", "assignedUser", "customFields", "team", "channel", "funnelId", "closedAt", "blockedAt", "note"} {
		if _, ok := contact[k]; !ok {
			t.Errorf("contact lacks %q: %s", k, compact(contact))
		}
	}
	cuuid, _ := contact["uuid"].(string)
	if !isUUID(cuuid) {
		t.Errorf("contact uuid %q is not 32 lowercase hex characters", cuuid)
	}
	if contact["phoneNumber"] != "31612345678" {
		t.Errorf("phoneNumber %v, want 31612345678 (E.164 digits without +)", contact["phoneNumber"])
	}
	if contact["source"] != "whatsapp" {
		t.Errorf("source %v, want whatsapp", contact["source"])
	}
	if href, _ := contact["href"].(string); !strings.HasPrefix(href, s.URL+"/") || !strings.HasSuffix(href, cuuid) {
		t.Errorf("contact href %q, want %s/…/%s", href, s.URL, cuuid)
	}
	if tags, ok := contact["tags"].([]any); !ok || len(tags) != 0 {
		t.Errorf("tags %s, want []", compact(contact["tags"]))
	}
	if cf, ok := contact["customFields"].(map[string]any); !ok || len(cf) != 0 {
		t.Errorf("customFields %s, want {}", compact(contact["customFields"]))
	}
	if contact["closedAt"] != nil {
		t.Errorf("contact closedAt %v, want null", contact["closedAt"])
	}
	ch := object(t, contact, "channel")
	if u, _ := ch["uuid"].(string); !isUUID(u) {
		t.Errorf("channel uuid %q is not 32 lowercase hex characters", u)
	}
	want := map[string]any{"title": "sandbox", "type": "whatsapp", "main": true, "discardedAt": nil}
	for k, v := range want {
		if got, ok := ch[k]; !ok || got != v {
			t.Errorf("channel %s = %s, want %s (channel %s)", k, compact(got), compact(v), compact(ch))
		}
	}

	for _, k := range []string{"source", "href", "createdAt", "closedAt", "contact"} {
		if _, ok := conv[k]; !ok {
			t.Errorf("conversation lacks %q: %s", k, compact(conv))
		}
	}
	href, _ := conv["href"].(string)
	if !strings.HasPrefix(href, s.URL+"/") {
		t.Errorf("conversation href %q, want it under %s", href, s.URL)
	}
	if contact["conversationHref"] != href {
		t.Errorf("contact conversationHref %v differs from the conversation's href %q", contact["conversationHref"], href)
	}
	if created, _ := conv["createdAt"].(string); !isISOTime(created) {
		t.Errorf("conversation createdAt %v, want an ISO 8601 UTC time", conv["createdAt"])
	}
	if conv["closedAt"] != nil {
		t.Errorf("conversation closedAt %v, want null", conv["closedAt"])
	}

	// The same number written another way is the same contact.
	r = s.do(t, "POST", "/v1/messages/send", s.Key,
		`{"to": "31612345678", "from": "whatsapp", "type": "text", "content": {"text": "again"}, "fields": "contact"}`)
	enqueuedUUID(t, r)
	again := object(t, r.JSON(t), "message")
	if got := object(t, again, "contact")["uuid"]; got != cuuid {
		t.Errorf("the same number made another contact: %v, want %s", got, cuuid)
	}
	if _, ok := again["conversation"]; ok {
		t.Errorf("fields=contact answered a conversation too: %s", compact(again))
	}
	// Without fields, neither.
	r = s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "31612345678", "from": "whatsapp", "type": "text", "content": {"text": "plain"}}`)
	enqueuedUUID(t, r)
	plain := object(t, r.JSON(t), "message")
	for _, k := range []string{"contact", "conversation"} {
		if _, ok := plain[k]; ok {
			t.Errorf("a send without fields answered %s: %s", k, compact(plain))
		}
	}
}

func isISOTime(s string) bool {
	_, err := time.Parse("2006-01-02T15:04:05Z", s)
	return err == nil
}

// TestDeleteMessage deletes a sent message and one that has not left yet.
// The one that has not left goes to a number rate limited twice: retried
// 250 ms, then 500 ms later (rather than 1 s and 2 s), it is still
// waiting when the DELETE, the test's next request, comes.
func TestDeleteMessage(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--send-retry-base", "250ms")

	sent := s.sendText(t, "+15550000002", "to be deleted")
	s.waitStatus(t, sent, "sent", 10*time.Second, nil)
	r := s.do(t, "DELETE", "/v1/messages/"+sent, s.Key, "")
	if r.Code != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("DELETE of a sent message: want 204 with no body, got %d %q", r.Code, r.Body)
	}
	if st := s.status(t, sent)["status"]; st != "deleted" {
		t.Errorf("after DELETE, status %v, want deleted", st)
	}

	// A message still waiting for its retry is deleted before it leaves: it
	// is never sent, and the next message to the recipient goes.
	waiting := s.sendText(t, "+15550000004", "deleted before it leaves")
	r = s.do(t, "DELETE", "/v1/messages/"+waiting, s.Key, "")
	if r.Code != http.StatusNoContent || len(r.Body) != 0 {
		t.Fatalf("DELETE of a queued message: want 204 with no body, got %d %q", r.Code, r.Body)
	}
	next := s.sendText(t, "+15550000004", "after the deleted one")
	s.waitStatus(t, next, "read", 20*time.Second, nil)
	if st := s.status(t, waiting)["status"]; st != "deleted" {
		t.Errorf("deleted queued message: status %v, want deleted", st)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	var n int
	if err := openDB(t, s.dbPath()).QueryRow(`SELECT COUNT(*) FROM message_statuses s JOIN messages m ON m.id = s.message_id
		WHERE m.uuid = $1 AND s.status = 'sent'`, waiting).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 0 {
		t.Errorf("the message deleted before it left was sent anyway (%d 'sent' rows)", n)
	}
}

// TestIdempotency retries sends with an Idempotency-Key, on SQLite and on
// PostgreSQL.
func TestIdempotency(t *testing.T) {
	t.Parallel()
	eachStore(t, testIdempotency)
}

func testIdempotency(t *testing.T, kind string) {
	s := startServerOn(t, kind)
	send := func(t *testing.T, key, body string) response {
		t.Helper()
		return s.do(t, "POST", "/v1/messages/send", s.Key, body, "Idempotency-Key", key)
	}
	body := `{"to": "+31612345601", "from": "whatsapp", "type": "text", "content": {"text": "once"}, "metadata": {"order": "42", "shop": "nl"}}`
	reordered := `{"metadata":{"shop":"nl","order":"42"},"content":{"text":"once"},"type":"text","from":"whatsapp","to":"+31612345601"}`

	t.Run("retry with the same body", func(t *testing.T) {
		first := send(t, "order-42", body)
		uuid := enqueuedUUID(t, first)
		second := send(t, "order-42", body)
		if second.Code != first.Code || string(second.Body) != string(first.Body) {
			t.Errorf("the retry's answer differs from the first:\nfirst:  %s\nsecond: %s", first, second)
		}
		// Once the message has gone, a retry still answers the first answer.
		s.waitStatus(t, uuid, "read", 10*time.Second, nil)
		third := send(t, "order-42", reordered)
		if third.Code != first.Code || string(third.Body) != string(first.Body) {
			t.Errorf("a retry with the keys in another order, after the message was read, answered differently:\nfirst: %s\nretry: %s", first, third)
		}
		if st := s.status(t, uuid)["status"]; st != "read" {
			t.Errorf("status %v after the retries, want read", st)
		}
	})
	t.Run("same key, other body", func(t *testing.T) {
		enqueuedUUID(t, send(t, "order-43", `{"to": "+31612345602", "from": "whatsapp", "type": "text", "content": {"text": "A"}}`))
		r := send(t, "order-43", `{"to": "+31612345602", "from": "whatsapp", "type": "text", "content": {"text": "B"}}`)
		wantError(t, r, http.StatusUnprocessableEntity, "idempotency_key_reused", "Idempotency-Key")
	})
	t.Run("concurrent retries", func(t *testing.T) {
		b := `{"to": "+31612345603", "from": "whatsapp", "type": "text", "content": {"text": "racing"}}`
		answers := make([]response, 8)
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() {
				r, err := s.try("POST", "/v1/messages/send", s.Key, b, "Idempotency-Key", "race-1")
				if err != nil {
					t.Error(err)
				}
				answers[i] = r
			})
		}
		wg.Wait()
		first := enqueuedUUID(t, answers[0])
		for _, r := range answers[1:] {
			if got := enqueuedUUID(t, r); got != first {
				t.Errorf("concurrent sends with one Idempotency-Key made two messages: %s and %s", first, got)
			}
		}
	})
	t.Run("another key is another message", func(t *testing.T) {
		a := enqueuedUUID(t, send(t, "k-a", `{"to": "+31612345604", "from": "whatsapp", "type": "text", "content": {"text": "x"}}`))
		b := enqueuedUUID(t, send(t, "k-b", `{"to": "+31612345604", "from": "whatsapp", "type": "text", "content": {"text": "x"}}`))
		if a == b {
			t.Errorf("two keys answered one message %s", a)
		}
	})
	// After a failure, only the concurrent retries are counted: whatever
	// they were answered, they must not have made two messages.
	failed := t.Failed()

	if err := s.stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	db := s.openStore(t)
	for number, want := range map[string]int{"31612345601": 1, "31612345602": 1, "31612345603": 1, "31612345604": 2} {
		if failed && number != "31612345603" {
			continue
		}
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM messages m JOIN contacts c ON c.id = m.contact_id
			WHERE c.address = $1 AND m.direction = 'out'`, number).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != want {
			t.Errorf("%s: %d messages stored, want %d", number, n, want)
		}
	}
}

// wantError checks an error answer: its status, a JSON content type, its
// code, and its field ("" for none).
func wantError(t testing.TB, r response, status int, code, field string) map[string]any {
	t.Helper()
	if r.Code != status {
		t.Errorf("want %d %s, got %s", status, code, r)
		return nil
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("error answer's Content-Type %q, want application/json", ct)
	}
	e := object(t, r.JSON(t), "error")
	if e["code"] != code {
		t.Errorf("error code %v, want %s (%s)", e["code"], code, r)
	}
	if msg, _ := e["message"].(string); msg == "" {
		t.Errorf("error without a message: %s", r)
	}
	if got, _ := e["field"].(string); got != field {
		t.Errorf("error field %q, want %q (%s)", got, field, r)
	}
	return e
}

func phoneNumber(i int) string { return fmt.Sprintf("+316123456%02d", i) }

// TestSendAccepts sends valid requests at the edges of the contract: each
// is accepted and read.
func TestSendAccepts(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	pairs := make([]string, 10)
	for i := range pairs {
		pairs[i] = fmt.Sprintf(`"%s%02d": "%s"`, strings.Repeat("k", 48), i, strings.Repeat("v", 500))
	}
	cases := []struct {
		name, body string
		headers    []string
	}{
		{"unknown fields are ignored", `{"to": "+31612345610", "from": "whatsapp", "type": "text", "content": {"text": "hi", "emoji": true}, "colour": "blue"}`, nil},
		{"number without +", `{"to": "31612345611", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, nil},
		{"number with punctuation", `{"to": "+31 (6) 1234-56.12", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, nil},
		{"to wins over bsuid", `{"to": "+31612345613", "bsuid": "NL.1234567890", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, nil},
		{"bsuid only", `{"bsuid": "NL.9876543210", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, nil},
		{"image with caption", `{"to": "+31612345614", "from": "whatsapp", "type": "image", "content": {"url": "https://example.com/cat.png", "text": "a cat"}}`, nil},
		{"document", `{"to": "+31612345615", "from": "whatsapp", "type": "document", "content": {"url": "http://example.com/invoice.pdf"}}`, nil},
		{"audio", `{"to": "+31612345616", "from": "whatsapp", "type": "audio", "content": {"url": "https://example.com/a.ogg"}}`, nil},
		{"video", `{"to": "+31612345617", "from": "whatsapp", "type": "video", "content": {"url": "https://example.com/v.mp4"}}`, nil},
		{"longest text", `{"to": "+31612345618", "from": "whatsapp", "type": "text", "content": {"text": "` + strings.Repeat("é", 4096) + `"}}`, nil},
		{"largest metadata", `{"to": "+31612345619", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "metadata": {` + strings.Join(pairs, ", ") + `}}`, nil},
		{"empty metadata", `{"to": "+31612345620", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "metadata": {}}`, nil},
		{"null metadata", `{"to": "+31612345621", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "metadata": null}`, nil},
		{"longest Idempotency-Key", `{"to": "+31612345622", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, []string{"Idempotency-Key", strings.Repeat("k", 255)}},
		{"bot status", `{"to": "+31612345623", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "bot_status": "bot_start"}`, nil},
		{"channel_uuid of the main channel", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := tc.body
			if body == "" {
				r := s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "+31612345624", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "fields": "contact"}`)
				enqueuedUUID(t, r)
				ch := object(t, object(t, object(t, r.JSON(t), "message"), "contact"), "channel")
				body = `{"to": "+31612345624", "from": "whatsapp", "type": "text", "content": {"text": "again"}, "channel_uuid": "` + ch["uuid"].(string) + `"}`
			}
			uuid := enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key, body, tc.headers...))
			s.waitStatus(t, uuid, "read", 10*time.Second, nil)
		})
	}
}

// TestSendMaxAttempts lowers send-max-attempts: a message whose attempts
// all fail with transient errors fails with the last error.
func TestSendMaxAttempts(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--send-max-attempts", "2", "--send-retry-base", "50ms")
	msg := s.waitStatus(t, s.sendText(t, "+15550000004", "gives up"), "failed", 20*time.Second, nil)
	p, _ := msg["messageStatusPayload"].(map[string]any)
	inner, _ := p["payload"].(map[string]any)
	if fmt.Sprint(inner["code"]) != "130429" || inner["reason"] != "Rate limit hit" {
		t.Errorf("want the last error (the rate limit, code 130429) in messageStatusPayload, got %s", compact(msg["messageStatusPayload"]))
	}
	// One that succeeds on its second attempt is not affected.
	s.waitStatus(t, s.sendText(t, "+15550000005", "second time lucky"), "read", 20*time.Second, nil)
}
