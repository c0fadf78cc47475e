package whatsapptest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/carillon/carillon/provider/providertest"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// do makes a Graph-style request to the fake and decodes its JSON answer.
func do(t *testing.T, method, url, token string, body any) (int, map[string]any) {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := providertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&v)
	return resp.StatusCode, v
}

func TestMessagesAndScripts(t *testing.T) {
	s := whatsapptest.New(t)
	tok := s.AccessToken()
	send := map[string]any{"messaging_product": "whatsapp", "to": "16505551234", "type": "text", "text": map[string]any{"body": "hi"}}

	status, v := do(t, http.MethodPost, s.URL+"/v25.0/123/messages", tok, send)
	if status != http.StatusOK {
		t.Fatalf("status = %d %v", status, v)
	}
	first := v["messages"].([]any)[0].(map[string]any)["id"].(string)
	if wa := v["contacts"].([]any)[0].(map[string]any)["wa_id"]; wa != "16505551234" || !strings.HasPrefix(first, "wamid.") {
		t.Errorf("answer = %v", v)
	}
	_, v = do(t, http.MethodPost, s.URL+"/v25.0/123/messages", tok, send)
	if v["messages"].([]any)[0].(map[string]any)["id"] == first {
		t.Error("two sends got the same wamid")
	}

	s.Script("/messages", whatsapptest.Throttled(), whatsapptest.GraphError(http.StatusBadRequest, 131026, "Message undeliverable", "x"))
	for _, want := range []float64{130429, 131026} {
		status, v = do(t, http.MethodPost, s.URL+"/v25.0/123/messages", tok, send)
		if status != http.StatusBadRequest || v["error"].(map[string]any)["code"] != want {
			t.Errorf("scripted answer = %d %v, want code %v", status, v, want)
		}
	}
	if status, _ = do(t, http.MethodPost, s.URL+"/v25.0/123/messages", tok, send); status != http.StatusOK {
		t.Errorf("after the script: status %d", status)
	}

	status, v = do(t, http.MethodPost, s.URL+"/v25.0/123/messages", "wrong", send)
	if status != http.StatusUnauthorized || v["error"].(map[string]any)["code"] != float64(190) {
		t.Errorf("wrong token: %d %v", status, v)
	}
	status, _ = do(t, http.MethodPost, s.URL+"/v25.0/123/messages", tok, map[string]any{"to": "1"})
	if status != http.StatusBadRequest {
		t.Errorf("invalid body: status %d", status)
	}

	if n := len(s.Requests()); n != 7 {
		t.Errorf("recorded %d requests, want 7", n)
	}
	if m := s.Messages(); len(m) != 7 || m[0]["to"] != "16505551234" {
		t.Errorf("messages = %v", m)
	}
}

func TestMediaAndTemplates(t *testing.T) {
	s := whatsapptest.New(t)
	tok := s.AccessToken()
	s.AddMedia("555", "audio/ogg", []byte("OGG"))
	_, meta := do(t, http.MethodGet, s.URL+"/v25.0/555", tok, nil)
	mediaURL, _ := meta["url"].(string)
	if !strings.HasPrefix(mediaURL, s.URL+"/") || meta["mime_type"] != "audio/ogg" {
		t.Fatalf("metadata = %v", meta)
	}
	req, _ := http.NewRequest(http.MethodGet, mediaURL, nil)
	if resp, err := providertest.Client().Do(req); err != nil || resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("media without token: %v %v", resp, err)
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	resp, err := providertest.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(data) != "OGG" || resp.Header.Get("Content-Type") != "audio/ogg" {
		t.Errorf("media = %q %q", data, resp.Header.Get("Content-Type"))
	}

	s.SetTemplates("777",
		whatsapptest.Template{ID: "1", Name: "a", Status: "APPROVED", Category: "UTILITY", Language: "en_US"},
		whatsapptest.Template{ID: "2", Name: "b", Status: "APPROVED", Category: "UTILITY", Language: "en_US"},
		whatsapptest.Template{ID: "3", Name: "c", Status: "PENDING", Category: "MARKETING", Language: "es"})
	s.SetTemplatePageSize(2)
	var names []string
	for url := s.URL + "/v25.0/777/message_templates?limit=100"; url != ""; {
		_, page := do(t, http.MethodGet, url, tok, nil)
		for _, d := range page["data"].([]any) {
			names = append(names, d.(map[string]any)["name"].(string))
		}
		url, _ = page["paging"].(map[string]any)["next"].(string)
	}
	if strings.Join(names, ",") != "a,b,c" {
		t.Errorf("templates listed: %v", names)
	}
}

func TestCallbackHelpers(t *testing.T) {
	const secret = "s3cret"
	var got []*http.Request
	var bodies [][]byte
	carillon := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, bodies = append(got, r), append(bodies, b)
		if r.Method == http.MethodGet {
			io.WriteString(w, r.URL.Query().Get("hub.challenge"))
		}
	}))
	defer carillon.Close()
	ctx := context.Background()

	if resp, err := whatsapptest.PostStatus(ctx, carillon.URL+"/cb", secret, "106", "wamid.A", "16505551234", "delivered"); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	s := whatsapptest.New(t)
	if resp, err := whatsapptest.PostMessage(ctx, carillon.URL+"/cb", secret, "106",
		whatsapptest.Message{ID: s.NextWAMID(), From: "16505551234", ProfileName: "Ana", Text: "hi"}); err != nil {
		t.Fatal(err)
	} else {
		resp.Body.Close()
	}
	resp, err := whatsapptest.Verify(ctx, carillon.URL+"/cb", "vt", "12345")
	if err != nil {
		t.Fatal(err)
	}
	challenge, _ := io.ReadAll(resp.Body)
	resp.Body.Close()

	if len(got) != 3 || string(challenge) != "12345" || got[2].URL.Query().Get("hub.verify_token") != "vt" {
		t.Fatalf("requests = %d, challenge %q", len(got), challenge)
	}
	for i := range 2 {
		if sig := got[i].Header.Get("X-Hub-Signature-256"); sig != whatsapptest.Sign(secret, bodies[i]) {
			t.Errorf("callback %d: signature %q does not match its body", i, sig)
		}
		var n struct {
			Entry []struct {
				Changes []struct {
					Field string `json:"field"`
					Value struct {
						Metadata struct {
							PhoneNumberID string `json:"phone_number_id"`
						} `json:"metadata"`
					} `json:"value"`
				} `json:"changes"`
			} `json:"entry"`
		}
		if err := json.Unmarshal(bodies[i], &n); err != nil || n.Entry[0].Changes[0].Field != "messages" || n.Entry[0].Changes[0].Value.Metadata.PhoneNumberID != "106" {
			t.Errorf("callback %d: %s", i, bodies[i])
		}
	}
}

// The fake refuses, as Meta does (132000), a template message whose
// parameters do not match a template it lists.
func TestTemplateParametersChecked(t *testing.T) {
	s := whatsapptest.New(t)
	s.SetTemplates("555", whatsapptest.AuthenticationTemplate("1", "verify_code", "en_US"), whatsapptest.URLButtonTemplate("2", "order_tracking", "en_US"))
	text := func(v string) map[string]any { return map[string]any{"type": "text", "text": v} }
	body := map[string]any{"type": "body", "parameters": []any{text("4821")}}
	button := func(index, subType string) map[string]any {
		return map[string]any{"type": "button", "sub_type": subType, "index": index, "parameters": []any{text("4821")}}
	}
	for _, tc := range []struct {
		name, template string
		components     []any
		ok             bool
	}{
		{"the code in the body and the button", "verify_code", []any{body, button("0", "url")}, true},
		{"the button's parameter missing", "verify_code", []any{body}, false},
		{"the body's parameter missing", "verify_code", []any{button("0", "url")}, false},
		{"a button of another kind", "verify_code", []any{body, button("0", "copy_code")}, false},
		{"a dynamic URL after two body parameters", "order_tracking", []any{
			map[string]any{"type": "body", "parameters": []any{text("Ana"), text("A-1042")}}, button("0", "url")}, true},
		{"a parameter for the quick reply", "order_tracking", []any{
			map[string]any{"type": "body", "parameters": []any{text("Ana"), text("A-1042")}}, button("0", "url"), button("1", "url")}, false},
		{"a template the fake does not list is not checked", "hello_world", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tpl := map[string]any{"name": tc.template, "language": map[string]any{"code": "en_US"}}
			if tc.components != nil {
				tpl["components"] = tc.components
			}
			status, v := do(t, http.MethodPost, s.URL+"/v25.0/123/messages", s.AccessToken(),
				map[string]any{"messaging_product": "whatsapp", "to": "16505551234", "type": "template", "template": tpl})
			e, _ := v["error"].(map[string]any)
			code, _ := e["code"].(float64)
			if tc.ok && status != http.StatusOK || !tc.ok && (status != http.StatusBadRequest || code != 132000) {
				t.Errorf("answer = %d %v", status, v)
			}
		})
	}
}
