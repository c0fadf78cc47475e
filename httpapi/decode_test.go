package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/carillon/carillon"
)

func TestDecodeJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		body  string
		code  carillon.ErrorCode
		field string
	}{
		{"empty body reads as {}", "", "", ""},
		{"whitespace reads as {}", "  \n", "", ""},
		{"object", `{"to":"+31612345678","unknown":1}`, "", ""},
		{"broken", `{"to":`, carillon.CodeMalformedJSON, ""},
		{"syntax", `{"to" "x"}`, carillon.CodeMalformedJSON, ""},
		{"array", `[1,2]`, carillon.CodeMalformedJSON, ""},
		{"trailing data", `{"to":"x"} {"to":"y"}`, carillon.CodeMalformedJSON, ""},
		{"number for a string", `{"to":31612345678}`, carillon.CodeInvalidParameter, "to"},
		{"string for an object", `{"content":"hi"}`, carillon.CodeInvalidParameter, "content"},
		{"nested wrong type", `{"content":{"text":5}}`, carillon.CodeInvalidParameter, "content.text"},
		{"array of numbers", `{"template_values":[1]}`, carillon.CodeInvalidParameter, "template_values"},
		{"NUL in a field", `{"to":"+31612345678","content":{"text":"a\u0000b"}}`, carillon.CodeInvalidParameter, "content.text"},
		{"invalid UTF-8 in a field", "{\"content\":{\"text\":\"caf\xe9\"},\"to\":\"x\"}", carillon.CodeInvalidParameter, "content.text"},
		{"NUL in an array", `{"template_values":["ok","\u0000"]}`, carillon.CodeInvalidParameter, "template_values"},
		{"NUL in a map", `{"metadata":{"order":{"id":"1\u0000"}}}`, carillon.CodeInvalidParameter, "metadata.order.id"},
		{"NUL in a key", `{"metadata":{"a\u0000":"x"}}`, carillon.CodeInvalidParameter, "metadata.a"},
		{"NUL in an unknown field", `{"x":[{"y":"\u0000"}],"to":"1"}`, carillon.CodeInvalidParameter, "x.y"},
		{"field after a nested object", `{"content":{"text":"ok"},"from":"\u0000"}`, carillon.CodeInvalidParameter, "from"},
		{"an escaped backslash before u0000 is text", `{"to":"\\u0000"}`, "", ""},
		{"other control characters are text", `{"to":"\u0001\t"}`, "", ""},
		{"U+FFFD written out is text", `{"to":"\ufffd\u00e9","content":{"text":"é👋"}}`, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b sendBody
			err := decodeJSON([]byte(tt.body), &b)
			if tt.code == "" {
				if err != nil {
					t.Fatalf("decode: %v", err)
				}
				return
			}
			e, ok := carillon.AsError(err)
			if !ok || e.Code != tt.code || e.Field != tt.field {
				t.Fatalf("error = %v; want %s field %q", err, tt.code, tt.field)
			}
		})
	}
}

func TestBodyHashIgnoresFormatting(t *testing.T) {
	t.Parallel()
	a := bodyHash([]byte(`{"to":"+31612345678","from":"whatsapp","content":{"text":"hi"}}`))
	b := bodyHash([]byte("{\n \"from\": \"whatsapp\", \"content\": {\"text\": \"hi\"}, \"to\": \"+31612345678\"\n}"))
	c := bodyHash([]byte(`{"to":"+31612345678","from":"whatsapp","content":{"text":"hi!"}}`))
	if a != b || a == c {
		t.Fatalf("hashes: same body %v, different body %v", a == b, a == c)
	}
}

func TestStatusOfEveryCode(t *testing.T) {
	t.Parallel()
	for code, want := range map[carillon.ErrorCode]int{
		carillon.CodeUnauthorized: 401, carillon.CodeMalformedJSON: 400, carillon.CodeNotFound: 404,
		carillon.CodeRateLimited: 429, carillon.CodeInvalidParameter: 422, carillon.CodeOutsideWindow: 422,
		carillon.CodeIdempotencyKeyReused: 422, carillon.CodeAlreadyExists: 422, carillon.CodeNotSupported: 422,
		carillon.CodeInternal: http.StatusInternalServerError, carillon.CodeInvalidHeader: 400,
		carillon.CodeRequestTimeout: 408, carillon.CodeUnavailable: 503,
	} {
		if got := statusOf(code); got != want {
			t.Errorf("statusOf(%s) = %d, want %d", code, got, want)
		}
	}
}

func TestCheckRequest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, pattern, path string
		code                carillon.ErrorCode
		field               string
	}{
		{"well-formed ids", "GET /v1/contacts/{uuid}/{sub}", "/v1/contacts/phone/+31%206%2012345678?channel_uuid=abc&tags=Zo%C3%AB", "", ""},
		{"provider message id", "DELETE /v1/messages/{uuid}", "/v1/messages/wamid.HBgLMzE2MTIzNDU2NzgVAgARGBI=", "", ""},
		{"NUL in the path", "POST /callbacks/{provider}/{channel}", "/callbacks/whatsapp/a%00b", carillon.CodeNotFound, ""},
		{"invalid UTF-8 in the path", "GET /v1/contacts/{uuid}", "/v1/contacts/%ff", carillon.CodeNotFound, ""},
		{"invalid UTF-8 in the first segment", "POST /callbacks/{provider}/{channel}", "/callbacks/what%ffsapp/abc", carillon.CodeNotFound, ""},
		{"control character in the path", "GET /v1/custom_statuses/{id}", "/v1/custom_statuses/a%0Ab", carillon.CodeNotFound, ""},
		{"identifier too long", "GET /v1/contacts/{uuid}", "/v1/contacts/" + strings.Repeat("a", 256), carillon.CodeNotFound, ""},
		{"longest identifier", "GET /v1/contacts/{uuid}", "/v1/contacts/" + strings.Repeat("a", 255), "", ""},
		{"NUL in a query value", "GET /v1/contacts/{uuid}/{sub}", "/v1/contacts/phone/123?channel_uuid=a%00", carillon.CodeInvalidParameter, "channel_uuid"},
		{"invalid UTF-8 in a query value", "GET /v1/contacts", "/v1/contacts?tags=%ff", carillon.CodeInvalidParameter, "tags"},
		{"invalid UTF-8 in a query name", "GET /v1/contacts", "/v1/contacts?%ff=1", carillon.CodeInvalidParameter, "\uFFFD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mux := http.NewServeMux()
			var err error
			mux.HandleFunc(tt.pattern, func(_ http.ResponseWriter, r *http.Request) { err = checkRequest(r) })
			mux.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(strings.Fields(tt.pattern)[0], tt.path, nil))
			if tt.code == "" {
				if err != nil {
					t.Fatalf("checkRequest: %v", err)
				}
				return
			}
			e, ok := carillon.AsError(err)
			if !ok || e.Code != tt.code || e.Field != tt.field {
				t.Fatalf("error = %v; want %s field %q", err, tt.code, tt.field)
			}
		})
	}
}

// FuzzDecodeSend checks that no body makes the send decoder panic, and that
// every refusal is a client error.
func FuzzDecodeSend(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"to":"+31612345678","from":"whatsapp","type":"text","content":{"text":"hi"}}`,
		`{"metadata":{"a":"b"},"template_values":["x"]}`, `[`, `{"content":null}`, `{"to":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b sendBody
		err := decodeJSON(body, &b)
		if err == nil {
			_ = b.request()
			return
		}
		e, ok := carillon.AsError(err)
		if !ok || statusOf(e.Code) >= 500 || statusOf(e.Code) < 400 {
			t.Fatalf("decodeJSON(%q) = %v: not a client error", body, err)
		}
	})
}

// FuzzDecodeContact checks that no body makes the contact decoder panic,
// and that every refusal is a client error.
func FuzzDecodeContact(f *testing.F) {
	for _, s := range []string{``, `{}`, `{"identifier":"+31612345678","source":"whatsapp","name":"Kim","tags":["VIP"]}`,
		`{"custom_fields":{"Plan":"pro","Seats":3,"Products":["chat"],"Email":null}}`, `{"unassign_user":true,"note":""}`,
		`{"tags":"VIP"}`, `{"custom_fields":[1]}`, `[`, `{"name":1e400}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var b contactBody
		err := decodeJSON(body, &b)
		if err == nil {
			_, _ = b.input(), b.update()
			return
		}
		e, ok := carillon.AsError(err)
		if !ok || statusOf(e.Code) >= 500 || statusOf(e.Code) < 400 {
			t.Fatalf("decodeJSON(%q) = %v: not a client error", body, err)
		}
	})
}
