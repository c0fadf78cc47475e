package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAuth checks API keys: missing, malformed and unknown ones are
// refused; keys made and revoked by carillon keys on the running server's
// store take effect at once.
func TestAuth(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	refused := []struct {
		name    string
		headers []string
	}{
		{"no header", nil},
		{"wrong scheme", []string{"Authorization", "Basic " + s.Key}},
		{"no scheme", []string{"Authorization", s.Key}},
		{"empty bearer", []string{"Authorization", "Bearer "}},
		{"unknown key", []string{"Authorization", "Bearer crln_0123456789abcdef0123456789abcdef0123456789abcdef"}},
		{"not a key", []string{"Authorization", "Bearer hello"}},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			for _, req := range []struct{ method, path, body string }{
				{"GET", "/v1/auth/me", ""},
				{"POST", "/v1/messages/send", seedBody},
				{"GET", "/v1/messages/status/0123456789abcdef0123456789abcdef", ""},
			} {
				r := s.do(t, req.method, req.path, "", req.body, tc.headers...)
				wantError(t, r, http.StatusUnauthorized, "unauthorized", "")
			}
		})
	}

	t.Run("first key", func(t *testing.T) {
		r := s.do(t, "GET", "/v1/auth/me", s.Key, "")
		if r.Code != http.StatusOK {
			t.Fatalf("GET /v1/auth/me: %s", r)
		}
		me := r.JSON(t)
		name, _ := me["api_key"].(string)
		if me["status"] != "ok" || me["user_email"] != "" || name == "" || me["user_name"] != name {
			t.Errorf("GET /v1/auth/me = %s, want status ok, user_email \"\", user_name = api_key = the key's name", r)
		}
		if strings.Contains(string(r.Body), s.Key) {
			t.Errorf("GET /v1/auth/me shows the key's secret: %s", r)
		}
	})

	t.Run("created and revoked while running", func(t *testing.T) {
		key := s.createKey(t, "ci-bot")
		r := s.do(t, "GET", "/v1/auth/me", key, "")
		if r.Code != http.StatusOK {
			t.Fatalf("a new key is refused: %s", r)
		}
		var me map[string]any
		if err := json.Unmarshal(r.Body, &me); err != nil {
			t.Fatal(err)
		}
		want := map[string]any{"status": "ok", "user_email": "", "user_name": "ci-bot", "api_key": "ci-bot"}
		if compact(me) != compact(want) {
			t.Errorf("GET /v1/auth/me = %s, want %s", compact(me), compact(want))
		}
		enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", key, seedBody))

		res := s.admin(t, []string{"keys", "revoke"}, "ci-bot")
		if res.Code != 0 {
			t.Fatalf("keys revoke: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
		wantError(t, s.do(t, "GET", "/v1/auth/me", key, ""), http.StatusUnauthorized, "unauthorized", "")
		wantError(t, s.do(t, "POST", "/v1/messages/send", key, seedBody), http.StatusUnauthorized, "unauthorized", "")
		// The other keys still work.
		if r := s.do(t, "GET", "/v1/auth/me", s.Key, ""); r.Code != http.StatusOK {
			t.Errorf("revoking ci-bot broke the first key: %s", r)
		}
	})

	t.Run("two Authorization headers", func(t *testing.T) {
		other := s.createKey(t, "second")
		wrong := "crln_0123456789abcdef0123456789abcdef0123456789abcdef"
		for _, pair := range [][2]string{{s.Key, wrong}, {wrong, s.Key}, {s.Key, other}, {s.Key, s.Key}} {
			req, err := http.NewRequest("GET", s.URL+"/v1/auth/me", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Add("Authorization", "Bearer "+pair[0])
			req.Header.Add("Authorization", "Bearer "+pair[1])
			resp, err := s.HTTP.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			r := response{Code: resp.StatusCode, Header: resp.Header, Body: body}
			wantError(t, r, http.StatusBadRequest, "invalid_header", "Authorization")
			checkGolden(t, filepath.Join("testdata", "errors", "authorization_twice.json"), r)
		}
	})

	t.Run("keys list shows no secret", func(t *testing.T) {
		res := s.admin(t, []string{"keys", "list"})
		if res.Code != 0 {
			t.Fatalf("keys list: exit %d\n%s", res.Code, res.Stderr)
		}
		if strings.Contains(res.Stdout, s.Key) || strings.Contains(res.Stderr, s.Key) {
			t.Errorf("keys list prints a key's secret:\n%s", res.Stdout)
		}
	})

	t.Run("endpoints without a key", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			r := s.do(t, "GET", path, "", "")
			if r.Code != http.StatusOK || compact(r.JSON(t)) != `{"status":"ok"}` {
				t.Errorf("GET %s = %s, want 200 {\"status\":\"ok\"}", path, r)
			}
		}
	})
}

// errorCase is a request that the API must refuse with a 4xx JSON error.
type errorCase struct {
	name         string
	method, path string
	body         string
	headers      []string
	status       int
	code, field  string
}

func sendCase(name, body string, status int, code, field string, headers ...string) errorCase {
	return errorCase{name: name, method: "POST", path: "/v1/messages/send", body: body, headers: headers, status: status, code: code, field: field}
}

// TestErrorAnswers checks the error answers of the API against golden files
// in testdata/errors (go test ./e2e -run TestErrorAnswers -update rewrites
// them): status and body exactly.
func TestErrorAnswers(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	metadata := func(n int) string {
		pairs := make([]string, n)
		for i := range pairs {
			pairs[i] = fmt.Sprintf(`"k%02d": "v"`, i)
		}
		return "{" + strings.Join(pairs, ", ") + "}"
	}
	text := func(extra string) string {
		return `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": "hi"}` + extra + `}`
	}
	cases := []errorCase{
		sendCase("malformed_json", `{"to": "+31612345678", "from": "whatsapp",`, 400, "malformed_json", ""),
		sendCase("malformed_json_garbage", `{to: +31612345678}`, 400, "malformed_json", ""),
		sendCase("trailing_data", text("")+` {}`, 400, "malformed_json", ""),
		sendCase("body_array", `["+31612345678"]`, 400, "malformed_json", ""),
		sendCase("body_string", `"hello"`, 400, "malformed_json", ""),
		sendCase("body_null", `null`, 400, "malformed_json", ""),
		sendCase("empty_body", ``, 422, "invalid_parameter", "from"),
		sendCase("missing_from", `{"to": "+31612345678", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "from"),
		sendCase("missing_to", `{"from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "to"),
		sendCase("missing_type", `{"to": "+31612345678", "from": "whatsapp", "content": {"text": "hi"}}`, 422, "invalid_parameter", "type"),
		sendCase("missing_content", `{"to": "+31612345678", "from": "whatsapp", "type": "text"}`, 422, "invalid_parameter", "content"),
		sendCase("empty_text", `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": ""}}`, 422, "invalid_parameter", "content.text"),
		sendCase("unknown_from", `{"to": "+31612345678", "from": "sms", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "from"),
		sendCase("unknown_type_inside_a_supported_name", `{"to": "+31612345678", "from": "whatsapp", "type": "tact", "content": {"text": "hi"}}`, 422, "invalid_parameter", "type"),
		sendCase("body_too_large", `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": "`+strings.Repeat("x", 1<<20)+`"}}`, 413, "payload_too_large", ""),
		sendCase("unknown_type", `{"to": "+31612345678", "from": "whatsapp", "type": "sticker", "content": {"text": "hi"}}`, 422, "invalid_parameter", "type"),
		sendCase("invalid_phone", `{"to": "+1234", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "to"),
		sendCase("invalid_phone_letters", `{"to": "call me", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "to"),
		sendCase("to_number", `{"to": 31612345678, "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "to"),
		sendCase("content_string", `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": "hi"}`, 422, "invalid_parameter", "content"),
		sendCase("image_without_url", `{"to": "+31612345678", "from": "whatsapp", "type": "image", "content": {"text": "a caption"}}`, 422, "invalid_parameter", "content.url"),
		sendCase("image_relative_url", `{"to": "+31612345678", "from": "whatsapp", "type": "image", "content": {"url": "/cat.png"}}`, 422, "invalid_parameter", "content.url"),
		sendCase("document_ftp_url", `{"to": "+31612345678", "from": "whatsapp", "type": "document", "content": {"url": "ftp://files.example.com/a.pdf"}}`, 422, "invalid_parameter", "content.url"),
		sendCase("metadata_11_pairs", text(`, "metadata": `+metadata(11)), 422, "invalid_parameter", "metadata"),
		sendCase("metadata_long_key", text(`, "metadata": {"`+strings.Repeat("k", 51)+`": "v"}`), 422, "invalid_parameter", "metadata"),
		sendCase("metadata_long_value", text(`, "metadata": {"k": "`+strings.Repeat("v", 501)+`"}`), 422, "invalid_parameter", "metadata"),
		sendCase("metadata_number_value", text(`, "metadata": {"order": 42}`), 422, "invalid_parameter", "metadata"),
		sendCase("metadata_not_object", text(`, "metadata": "order=42"`), 422, "invalid_parameter", "metadata"),
		sendCase("fields_unknown", text(`, "fields": "foo"`), 422, "invalid_parameter", "fields"),
		sendCase("unknown_channel_uuid", text(`, "channel_uuid": "0123456789abcdef0123456789abcdef"`), 422, "invalid_parameter", "channel_uuid"),
		sendCase("template_uuid", text(`, "template_uuid": "0123456789abcdef0123456789abcdef", "optin_contact": true`), 422, "invalid_parameter", "template_uuid"),
		sendCase("bot_status_unknown", text(`, "bot_status": "bot_pause"`), 422, "invalid_parameter", "bot_status"),
		sendCase("bsuid_too_long", `{"bsuid": "`+strings.Repeat("b", 129)+`", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "bsuid"),
		sendCase("text_too_long", `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": "`+strings.Repeat("é", 4097)+`"}}`, 422, "invalid_parameter", "content.text"),
		sendCase("no_channel_of_that_type", `{"to": "+31612345678", "from": "telegram", "type": "text", "content": {"text": "hi"}}`, 422, "invalid_parameter", "from"),
		sendCase("idempotency_key_too_long", text(""), 422, "invalid_parameter", "Idempotency-Key", "Idempotency-Key", strings.Repeat("k", 256)),
		{name: "status_unknown_uuid", method: "GET", path: "/v1/messages/status/0123456789abcdef0123456789abcdef", status: 404, code: "not_found"},
		{name: "delete_unknown_uuid", method: "DELETE", path: "/v1/messages/0123456789abcdef0123456789abcdef", status: 404, code: "not_found"},
		{name: "unknown_v1_path", method: "GET", path: "/v1/no/such/thing", status: 404, code: "not_found"},
		{name: "unknown_v1_path_post", method: "POST", path: "/v1/messages/sendd", body: seedBody, status: 404, code: "not_found"},
		// Paths that are not in their clean form name no endpoint: JSON,
		// never a redirect with an HTML body.
		{name: "path_dot_dot", method: "GET", path: "/v1/../x", status: 404, code: "not_found"},
		{name: "path_dot", method: "GET", path: "/v1/./auth/me", status: 404, code: "not_found"},
		{name: "path_double_slash", method: "POST", path: "/v1/messages//send", body: seedBody, status: 404, code: "not_found"},
		{name: "path_v1_alone", method: "GET", path: "/v1", status: 404, code: "not_found"},
		{name: "path_outside_v1", method: "GET", path: "/media/../healthz", status: 404, code: "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := s.do(t, tc.method, tc.path, s.Key, tc.body, tc.headers...)
			if r.Code >= 500 {
				t.Fatalf("a client mistake answered a server error: %s", r)
			}
			wantError(t, r, tc.status, tc.code, tc.field)
			checkGolden(t, filepath.Join("testdata", "errors", tc.name+".json"), r)
		})
	}
}

// golden is the content of a golden file: an answer's status and body.
type golden struct {
	Status int             `json:"status"`
	Body   json.RawMessage `json:"body"`
}

// checkNormalisedGolden compares an answer, normalised (volatile uuids and
// times replaced, see normalise), with its golden file
// testdata/dir/name.json. before rewrites the raw body, after the
// normalised one, when given.
func checkNormalisedGolden(t *testing.T, dir, name string, r response, before, after func([]byte) []byte) {
	t.Helper()
	raw := r.Body
	if before != nil {
		raw = before(raw)
	}
	var v any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("%s: the answer is not JSON: %v: %q", name, err, r.Body)
	}
	body, err := json.Marshal(normalise(v))
	if err != nil {
		t.Fatal(err)
	}
	if after != nil {
		body = after(body)
	}
	checkGolden(t, filepath.Join("testdata", dir, name+".json"), response{Code: r.Code, Body: body})
}

// checkGolden compares an answer with its golden file, or rewrites the
// file with -update.
func checkGolden(t *testing.T, path string, r response) {
	t.Helper()
	if !json.Valid(r.Body) {
		t.Fatalf("the answer's body is not JSON: %q", r.Body)
	}
	got, err := json.MarshalIndent(golden{Status: r.Code, Body: bytes.TrimSpace(r.Body)}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
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
		t.Errorf("answer differs from %s:\ngot:\n%s\nwant:\n%s", path, got, want)
	}
}

// TestRateLimit checks the per-key limit: a burst beyond it is answered 429
// with Retry-After, and waiting that long is enough.
func TestRateLimit(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--rate-limit", "5")
	// The requests go 20 at once, so that a loaded machine cannot spread
	// them over the time it takes to earn their tokens; and however long a
	// round took, no more may pass than the burst (the rate) and what the
	// rate added since the first.
	const rate = 5
	var ok, limited int
	var last response
	start := time.Now()
	for round := 0; limited == 0 && round < 10; round++ {
		answers := make([]response, 20)
		errs := make([]error, len(answers))
		var wg sync.WaitGroup
		for i := range answers {
			wg.Go(func() { answers[i], errs[i] = s.try("GET", "/v1/auth/me", s.Key, "") })
		}
		wg.Wait()
		for i, r := range answers {
			if errs[i] != nil {
				t.Fatalf("GET /v1/auth/me: %v", errs[i])
			}
			switch r.Code {
			case http.StatusOK:
				ok++
			case http.StatusTooManyRequests:
				limited++
				last = r
				wantError(t, r, http.StatusTooManyRequests, "rate_limited", "")
				ra := r.Header.Get("Retry-After")
				if n, err := strconv.Atoi(ra); err != nil || n < 1 {
					t.Errorf("Retry-After %q, want whole seconds ≥ 1", ra)
				}
			default:
				t.Fatalf("want 200 or 429, got %s", r)
			}
		}
		elapsed := time.Since(start)
		if most := rate + int(rate*elapsed.Seconds()) + 1; ok > most {
			t.Fatalf("at %d per second, %d requests answered 200 in %s; want at most %d", rate, ok, elapsed.Round(time.Millisecond), most)
		}
	}
	if ok == 0 || limited == 0 {
		t.Fatalf("requests 20 at once at %d per second: %d answered 200, %d answered 429; want some of each", rate, ok, limited)
	}
	// The limit is per key: another key is not held back.
	other := s.createKey(t, "other")
	if r := s.do(t, "GET", "/v1/auth/me", other, ""); r.Code != http.StatusOK {
		t.Errorf("another key is limited by the first one's burst: %s", r)
	}
	// Waiting Retry-After seconds is enough.
	n, _ := strconv.Atoi(last.Header.Get("Retry-After"))
	time.Sleep(time.Duration(n) * time.Second)
	if r := s.do(t, "GET", "/v1/auth/me", s.Key, ""); r.Code != http.StatusOK {
		t.Errorf("after waiting Retry-After (%d s), still refused: %s", n, r)
	}
}

// TestSandboxInbound simulates customers writing, by the API and the CLI,
// and uses the client commands send and status.
func TestSandboxInbound(t *testing.T) {
	t.Parallel()
	s := startServer(t)

	t.Run("API", func(t *testing.T) {
		r := s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "+31612345678", "text": "Hi, where is my order?"}`)
		if r.Code != http.StatusOK {
			t.Fatalf("want 200, got %s", r)
		}
		msg := object(t, r.JSON(t), "message")
		if u, _ := msg["uuid"].(string); !isUUID(u) || msg["status"] != "received" {
			t.Errorf("want {\"message\": {\"uuid\", \"status\": \"received\"}}, got %s", r)
		}
	})
	t.Run("missing from", func(t *testing.T) {
		wantError(t, s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"text": "hi"}`), 422, "invalid_parameter", "from")
	})
	t.Run("missing text", func(t *testing.T) {
		wantError(t, s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "+31612345678"}`), 422, "invalid_parameter", "text")
	})
	t.Run("invalid from", func(t *testing.T) {
		wantError(t, s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "not a number", "text": "hi"}`), 422, "invalid_parameter", "from")
	})
	t.Run("unknown channel", func(t *testing.T) {
		wantError(t, s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "+31612345678", "text": "hi", "channel_uuid": "0123456789abcdef0123456789abcdef"}`),
			422, "invalid_parameter", "channel_uuid")
	})
	t.Run("malformed", func(t *testing.T) {
		wantError(t, s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": `), 400, "malformed_json", "")
	})
	t.Run("no key", func(t *testing.T) {
		wantError(t, s.do(t, "POST", "/v1/sandbox/inbound", "", `{"from": "+31612345678", "text": "hi"}`), 401, "unauthorized", "")
	})

	client := []string{"--url", s.URL, "--api-key", s.Key}
	t.Run("CLI sandbox inbound", func(t *testing.T) {
		res := carillon(t, nil, append(append([]string{"sandbox", "inbound"}, client...), "--from", "+31612345679", "--text", "hello from the CLI")...)
		if res.Code != 0 {
			t.Fatalf("exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		msg := object(t, response{Code: 200, Body: []byte(res.Stdout)}.JSON(t), "message")
		if u, _ := msg["uuid"].(string); !isUUID(u) || msg["status"] != "received" {
			t.Errorf("want the answer's JSON on standard output, got %q", res.Stdout)
		}
	})
	t.Run("CLI send and status", func(t *testing.T) {
		res := carillon(t, nil, append(append([]string{"send"}, client...), "--to", "+31612345680", "--text", "hello")...)
		if res.Code != 0 {
			t.Fatalf("send: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		uuid := enqueuedUUID(t, response{Code: 200, Body: []byte(res.Stdout)})
		s.waitStatus(t, uuid, "read", 10*time.Second, nil)
		res = carillon(t, nil, append(append([]string{"status"}, client...), uuid)...)
		if res.Code != 0 {
			t.Fatalf("status: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		msg := object(t, response{Code: 200, Body: []byte(res.Stdout)}.JSON(t), "message")
		if msg["uuid"] != uuid || msg["status"] != "read" {
			t.Errorf("status printed %q, want the message %s read", res.Stdout, uuid)
		}
		if r := s.do(t, "GET", "/v1/messages/status/"+uuid, s.Key, ""); res.Stdout != string(r.Body) {
			t.Errorf("status printed %q, want the API's answer as it is: %q", res.Stdout, r.Body)
		}
	})
	t.Run("CLI from the environment", func(t *testing.T) {
		res := carillon(t, []string{"CARILLON_URL=" + s.URL, "CARILLON_API_KEY=" + s.Key}, "send", "--to", "+31612345681", "--text", "env", "--idempotency-key", "cli-1")
		if res.Code != 0 {
			t.Fatalf("send: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		first := enqueuedUUID(t, response{Code: 200, Body: []byte(res.Stdout)})
		res = carillon(t, []string{"CARILLON_URL=" + s.URL, "CARILLON_API_KEY=" + s.Key}, "send", "--to", "+31612345681", "--text", "env", "--idempotency-key", "cli-1")
		if again := enqueuedUUID(t, response{Code: 200, Body: []byte(res.Stdout)}); again != first {
			t.Errorf("send --idempotency-key twice made two messages: %s and %s", first, again)
		}
	})
	t.Run("CLI errors", func(t *testing.T) {
		res := carillon(t, nil, append(append([]string{"send"}, client...), "--to", "+1234", "--text", "hello")...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "invalid_parameter") {
			t.Errorf("send to an invalid number: want exit 1 with the reason on standard error, got exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		res = carillon(t, nil, append(append([]string{"send"}, client...), "--text", "hello")...)
		if res.Code != 2 {
			t.Errorf("send without --to: want exit 2 (usage), got %d\nstderr: %s", res.Code, res.Stderr)
		}
		res = carillon(t, nil, "send", "--url", s.URL, "--api-key", "crln_0000", "--to", "+31612345678", "--text", "hello")
		if res.Code != 1 || strings.Contains(res.Stdout+res.Stderr, "crln_0000") {
			t.Errorf("send with a wrong key: want exit 1 without the key in the output, got exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		res = carillon(t, nil, append(append([]string{"status"}, client...), "0123456789abcdef0123456789abcdef")...)
		if res.Code != 1 || !strings.Contains(res.Stderr, "not_found") {
			t.Errorf("status of an unknown message: want exit 1 naming not_found, got exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		if r := s.do(t, "GET", "/v1/messages/status/0123456789abcdef0123456789abcdef", s.Key, ""); res.Stdout != string(r.Body) {
			t.Errorf("status of an unknown message printed %q, want the API's error answer as it is: %q", res.Stdout, r.Body)
		}
	})
}

// TestFirstStart checks what serve prints: the first API key on the first
// line of standard output on a fresh store, a first admin's one-time
// sign-in link on the next, nothing on a restart; and that a second serve
// on the same data folder is refused.
func TestFirstStart(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	lines := strings.Split(s.stdout.String(), "\n")
	if len(lines) != 3 || lines[0] != s.Key || lines[2] != "" {
		t.Errorf("standard output of the first start is %q, want the key and the link, one line each", s.stdout.String())
	} else if token, ok := strings.CutPrefix(lines[1], s.URL+"/welcome/"); !ok || len(token) != 64 || strings.Trim(token, "0123456789abcdef") != "" {
		t.Errorf("second line of standard output %q, want %s/welcome/<token>", lines[1], s.URL)
	}
	if !strings.Contains(s.stderr.String(), "one-time sign-in link to the console") || !strings.Contains(s.stderr.String(), "24 hours") {
		t.Errorf("standard error does not say what the link is and how long it works:\n%s", s.stderr.String())
	}

	second := carillon(t, nil, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--data", s.data)
	if second.Code != 1 || !strings.Contains(second.Stderr, "another carillon serve") {
		t.Errorf("a second serve on the same data folder: want exit 1 naming the running one, got exit %d\nstderr: %s", second.Code, second.Stderr)
	}

	if err := s.stop(); err != nil {
		t.Fatalf("SIGTERM: want exit status 0, got %v", err)
	}
	s.restart()
	if r := s.do(t, "GET", "/v1/auth/me", s.Key, ""); r.Code != http.StatusOK {
		t.Errorf("after a restart, the first key is refused: %s", r)
	}
	if err := s.stop(); err != nil {
		t.Fatalf("SIGTERM: want exit status 0, got %v", err)
	}
	if out := s.stdout.String(); out != "" {
		t.Errorf("a restart printed %q on standard output, want nothing (the key is printed once)", out)
	}
}

// TestFirstStartOnATakenPort: a first start whose address is taken prints
// no key and no link and exits 1 naming the address; the next start, on a
// free address, prints both, the link with that address.
func TestFirstStartOnATakenPort(t *testing.T) {
	t.Parallel()
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	dir := t.TempDir()
	res := carillon(t, nil, "serve", "--addr", taken.Addr().String(), "--data", dir)
	if res.Code != 1 || res.Stdout != "" || !strings.Contains(res.Stderr, "address already in use") || strings.Contains(res.Stderr, "API key") {
		t.Errorf("serve on a taken address: want exit 1 naming it, nothing on standard output, no key announced; got exit %d\nstdout: %q\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	s := newServer(t, dir)
	s.start(true)
	lines := strings.Split(s.stdout.String(), "\n")
	if len(lines) != 3 || lines[0] != s.Key || !strings.HasPrefix(lines[1], s.URL+"/welcome/") {
		t.Errorf("standard output of the start after it is %q, want the key and a link to %s/welcome/", s.stdout.String(), s.URL)
	}
}

// TestKeyBeforeFirstStart makes a key with carillon keys create on an empty
// data folder, then starts serve there: the store is set up once, serve
// prints no key, and the key made before works.
func TestKeyBeforeFirstStart(t *testing.T) {
	t.Parallel()
	s := newServer(t, t.TempDir())
	key := s.createKey(t, "provisioned")
	s.start(false)
	if out := s.stdout.String(); out != "" {
		t.Errorf("serve on a store set up by keys create printed %q on standard output, want nothing", out)
	}
	r := s.do(t, "GET", "/v1/auth/me", key, "")
	if r.Code != http.StatusOK || r.JSON(t)["api_key"] != "provisioned" {
		t.Fatalf("the key made before the first start: %s", r)
	}
	s.Key = key
	s.waitStatus(t, s.sendText(t, "+31612345678", "provisioned"), "read", 10*time.Second, nil)
}

// TestTenantIsolation makes a second account with carillon accounts create
// while the server runs: its key sees none of the first account's messages,
// and Idempotency-Keys are per account.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	res := s.admin(t, []string{"accounts", "create"}, "--name", "acme")
	if res.Code != 0 {
		t.Fatalf("accounts create: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	other := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(other, "crln_") {
		t.Fatalf("accounts create: no key on the last line of %q", res.Stdout)
	}

	body := `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": "mine"}}`
	mine := enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key, body, "Idempotency-Key", "shared-key"))
	msg := s.waitStatus(t, mine, "read", 10*time.Second, nil)
	external := ""
	if p, ok := msg["messageStatusPayload"].(map[string]any); ok {
		external, _ = p["id"].(string)
	}

	wantError(t, s.do(t, "GET", "/v1/messages/status/"+mine, other, ""), http.StatusNotFound, "not_found", "")
	wantError(t, s.do(t, "DELETE", "/v1/messages/"+mine, other, ""), http.StatusNotFound, "not_found", "")
	if external != "" {
		wantError(t, s.do(t, "DELETE", "/v1/messages/"+external, other, ""), http.StatusNotFound, "not_found", "")
	}
	if st := s.status(t, mine)["status"]; st != "read" {
		t.Errorf("another account's DELETE changed the message: status %v", st)
	}

	theirs := enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", other, body, "Idempotency-Key", "shared-key"))
	if theirs == mine {
		t.Fatalf("an Idempotency-Key of one account replayed another account's message %s", mine)
	}
	wantError(t, s.do(t, "GET", "/v1/messages/status/"+theirs, s.Key, ""), http.StatusNotFound, "not_found", "")
	r := s.do(t, "GET", "/v1/messages/status/"+theirs, other, "")
	if r.Code != http.StatusOK {
		t.Errorf("the second account cannot read its own message: %s", r)
	}
	if me := s.do(t, "GET", "/v1/auth/me", other, ""); me.Code != http.StatusOK {
		t.Errorf("the second account's key: %s", me)
	}

	// The provider's id of a message deletes it too.
	if external == "" {
		t.Fatalf("the read message's messageStatusPayload has no provider id: %s", compact(msg))
	}
	if r := s.do(t, "DELETE", "/v1/messages/"+external, s.Key, ""); r.Code != http.StatusNoContent {
		t.Errorf("DELETE by the provider's id %s: want 204, got %s", external, r)
	}
	if st := s.status(t, mine)["status"]; st != "deleted" {
		t.Errorf("after DELETE by the provider's id: status %v, want deleted", st)
	}
}
