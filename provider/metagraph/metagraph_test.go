package metagraph_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

func TestClassify(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	codes := metagraph.Codes{
		Transient: map[int]carillon.ErrorScope{4: carillon.ScopeChannel, 1: carillon.ScopeRecipient},
		Permanent: map[int]bool{100: true},
	}
	withSubcode := codes
	withSubcode.Subcode = true
	refusal := `{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100,"error_subcode":2018001,"error_data":{"details":"x"}}}`
	tests := []struct {
		name        string
		codes       metagraph.Codes
		answer      metagraph.Answer
		wantCode    string
		wantTitle   string
		permanent   bool
		scope       carillon.ErrorScope
		retryAfter  time.Duration
		wantPayload string
	}{
		{"permanent code, no subcode in the payload", codes, metagraph.Answer{Status: 400, Body: []byte(refusal)},
			"100", "Invalid parameter", true, carillon.ScopeRecipient, 0,
			`{"errors":[{"code":100,"error_data":{"details":"x"},"message":"(#100) Invalid parameter","title":"Invalid parameter"}]}`},
		{"permanent code, subcode in the payload", withSubcode, metagraph.Answer{Status: 400, Body: []byte(refusal)},
			"100", "Invalid parameter", true, carillon.ScopeRecipient, 0,
			`{"errors":[{"code":100,"error_data":{"details":"x"},"error_subcode":2018001,"message":"(#100) Invalid parameter","title":"Invalid parameter"}]}`},
		{"transient code holds the channel back", codes, metagraph.Answer{Status: 400, Header: http.Header{"Retry-After": {"30"}},
			Body: []byte(`{"error":{"message":"(#4) Application request limit reached","code":4}}`)},
			"4", "Application request limit reached", false, carillon.ScopeChannel, 30 * time.Second,
			`{"errors":[{"code":4,"message":"(#4) Application request limit reached","title":"Application request limit reached"}]}`},
		{"permission code in 200-299", codes, metagraph.Answer{Status: 500, Body: []byte(`{"error":{"message":"(#200) Permissions error","code":200}}`)},
			"200", "Permissions error", true, carillon.ScopeRecipient, 0,
			`{"errors":[{"code":200,"message":"(#200) Permissions error","title":"Permissions error"}]}`},
		{"unknown 429 holds the channel back", codes, metagraph.Answer{Status: 429, Header: http.Header{"Retry-After": {now.Add(time.Minute).Format(http.TimeFormat)}}, Body: []byte("slow down")},
			"http_429", "HTTP 429 Too Many Requests", false, carillon.ScopeChannel, time.Minute,
			`{"errors":[{"code":429,"message":"slow down","title":"HTTP 429 Too Many Requests"}]}`},
		{"a proxy's 502 is retried", codes, metagraph.Answer{Status: 502, Body: []byte("<html>bad gateway</html>")},
			"http_502", "HTTP 502 Bad Gateway", false, carillon.ScopeRecipient, 0,
			`{"errors":[{"code":502,"message":"\u003chtml\u003ebad gateway\u003c/html\u003e","title":"HTTP 502 Bad Gateway"}]}`},
		{"unknown 4xx fails", codes, metagraph.Answer{Status: 404, Body: nil},
			"http_404", "HTTP 404 Not Found", true, carillon.ScopeRecipient, 0,
			`{"errors":[{"code":404,"message":"","title":"HTTP 404 Not Found"}]}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			se := tt.codes.Classify(tt.answer, now)
			if se.Code != tt.wantCode || se.Title != tt.wantTitle || se.Permanent != tt.permanent || se.Scope != tt.scope || se.RetryAfter != tt.retryAfter {
				t.Errorf("Classify = code %q title %q permanent %v scope %v retry %v, want %q %q %v %v %v",
					se.Code, se.Title, se.Permanent, se.Scope, se.RetryAfter, tt.wantCode, tt.wantTitle, tt.permanent, tt.scope, tt.retryAfter)
			}
			if string(se.Payload) != tt.wantPayload {
				t.Errorf("payload = %s\nwant      %s", se.Payload, tt.wantPayload)
			}
		})
	}
}

func TestCheckSignature(t *testing.T) {
	body := []byte(`{"object":"page"}`)
	tests := []struct {
		name, secret, header, want string
	}{
		{"signed", "s3cret", metagraph.Sign("s3cret", body), ""},
		{"no secret", "", metagraph.Sign("s3cret", body), "the channel has no app_secret to check signatures with"},
		{"missing", "s3cret", "", "missing X-Hub-Signature-256"},
		{"not hex", "s3cret", "sha256=zz", "X-Hub-Signature-256 is not sha256=<hex>"},
		{"other secret", "s3cret", metagraph.Sign("other", body), "wrong X-Hub-Signature-256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cb := carillon.Callback{Method: http.MethodPost, Header: http.Header{}, Body: body}
			if tt.header != "" {
				cb.Header.Set(metagraph.SignatureHeader, tt.header)
			}
			err := metagraph.CheckSignature(tt.secret, cb)
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("CheckSignature = %q, want nil", err.Reason)
			case tt.want != "" && (err == nil || err.Reason != tt.want || err.Status != http.StatusForbidden):
				t.Errorf("CheckSignature = %v, want 403 %q", err, tt.want)
			}
		})
	}
}

func TestHandshake(t *testing.T) {
	tests := []struct {
		name, token string
		query       url.Values
		wantStatus  int
		wantBody    string
	}{
		{"echoes the challenge", "tok", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"tok"}, "hub.challenge": {"42"}}, 200, "42"},
		{"wrong token", "tok", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {"nope"}, "hub.challenge": {"42"}}, 403, ""},
		{"no token set", "", url.Values{"hub.mode": {"subscribe"}, "hub.verify_token": {""}, "hub.challenge": {"42"}}, 403, ""},
		{"not subscribe", "tok", url.Values{"hub.mode": {"other"}, "hub.verify_token": {"tok"}}, 403, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := metagraph.Handshake(tt.token, carillon.Callback{Method: http.MethodGet, Query: tt.query})
			if tt.wantStatus != 200 {
				ce, ok := err.(*carillon.CallbackError)
				if !ok || ce.Status != tt.wantStatus {
					t.Errorf("Handshake error = %v, want a %d", err, tt.wantStatus)
				}
				return
			}
			if err != nil || res.Reply == nil || res.Reply.Status != 200 || string(res.Reply.Body) != tt.wantBody {
				t.Errorf("Handshake = %+v, %v; want 200 %q", res.Reply, err, tt.wantBody)
			}
		})
	}
}
