package telegramtest_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/carillon/carillon/provider/telegram/telegramtest"
)

// post calls a Bot API method with a JSON body and decodes the answer.
func post(t *testing.T, s *telegramtest.Server, token, method, body string) (int, map[string]any) {
	t.Helper()
	resp, err := http.Post(s.URL()+"/bot"+token+"/"+method, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil {
		t.Fatalf("%s: answer is not JSON: %v", method, err)
	}
	return resp.StatusCode, answer
}

func TestSendAnswersAndRecords(t *testing.T) {
	t.Parallel()
	s := telegramtest.New()
	defer s.Close()

	for i, chat := range []string{"31415926", "-1001234567890"} {
		status, answer := post(t, s, telegramtest.DefaultToken, "sendMessage", `{"chat_id":`+chat+`,"text":"hi"}`)
		result, _ := answer["result"].(map[string]any)
		if status != 200 || answer["ok"] != true || result["message_id"] != float64(i+1) {
			t.Fatalf("answer %d = %d %v", i, status, answer)
		}
		want, _ := strconv.ParseFloat(chat, 64)
		if got := result["chat"].(map[string]any)["id"]; got != want {
			t.Errorf("chat id = %v, want %s", got, chat)
		}
	}
	status, answer := post(t, s, telegramtest.DefaultToken, "sendMessage", `{"chat_id":31415926}`)
	if status != 400 || answer["description"] != "Bad Request: message text is empty" {
		t.Errorf("sendMessage without text: %d %v", status, answer)
	}
	calls := s.CallsTo("SENDMESSAGE")
	if len(calls) != 3 || calls[1].Param("chat_id") != "-1001234567890" || calls[0].Param("text") != "hi" {
		t.Errorf("calls = %+v", calls)
	}

	// A form-encoded call is recorded the same way.
	resp, err := http.PostForm(s.URL()+"/bot"+telegramtest.DefaultToken+"/sendPhoto",
		url.Values{"chat_id": {"5"}, "photo": {"https://cdn.example.com/a.jpg"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if c := s.CallsTo("sendPhoto"); resp.StatusCode != 200 || len(c) != 1 || c[0].Param("photo") != "https://cdn.example.com/a.jpg" {
		t.Errorf("form call: %d %+v", resp.StatusCode, c)
	}
}

func TestScriptWrongTokenAndHangup(t *testing.T) {
	t.Parallel()
	s := telegramtest.New()
	defer s.Close()
	s.Script("sendMessage", telegramtest.TooManyRequests(5), telegramtest.Error(403, "Forbidden: bot was blocked by the user"), telegramtest.Hangup)

	status, answer := post(t, s, telegramtest.DefaultToken, "sendMessage", `{"chat_id":1,"text":"a"}`)
	params, _ := answer["parameters"].(map[string]any)
	if status != 429 || answer["error_code"] != float64(429) || params["retry_after"] != float64(5) {
		t.Errorf("first scripted answer: %d %v", status, answer)
	}
	if status, answer = post(t, s, telegramtest.DefaultToken, "sendMessage", `{"chat_id":1,"text":"a"}`); status != 403 {
		t.Errorf("second scripted answer: %d %v", status, answer)
	}
	if _, err := http.Post(s.URL()+"/bot"+telegramtest.DefaultToken+"/sendMessage", "application/json", strings.NewReader(`{"chat_id":1,"text":"a"}`)); err == nil {
		t.Error("the hangup answered")
	}
	if status, _ = post(t, s, telegramtest.DefaultToken, "sendMessage", `{"chat_id":1,"text":"a"}`); status != 200 {
		t.Errorf("after the script: %d, want the default answer", status)
	}
	status, answer = post(t, s, "42:WRONG", "sendMessage", `{"chat_id":1,"text":"a"}`)
	if status != 401 || answer["description"] != "Unauthorized" {
		t.Errorf("wrong token: %d %v", status, answer)
	}
	if status, _ = post(t, s, telegramtest.DefaultToken, "noSuchMethod", `{}`); status != 404 {
		t.Errorf("unknown method: %d, want 404", status)
	}
}

func TestFilesAndWebhook(t *testing.T) {
	t.Parallel()
	s := telegramtest.New("111:AAone", "222:AAtwo")
	defer s.Close()
	s.AddFile("F1", "photos/file_0.jpg", "", []byte{0xff, 0xd8})

	status, answer := post(t, s, "111:AAone", "getFile", `{"file_id":"F1"}`)
	result, _ := answer["result"].(map[string]any)
	if status != 200 || result["file_path"] != "photos/file_0.jpg" {
		t.Fatalf("getFile: %d %v", status, answer)
	}
	resp, err := http.Get(s.URL() + "/file/bot111:AAone/photos/file_0.jpg")
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(data) != "\xff\xd8" || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("file download: %d %q %s", resp.StatusCode, data, resp.Header.Get("Content-Type"))
	}
	if status, _ := post(t, s, "111:AAone", "getFile", `{"file_id":"nope"}`); status != 400 {
		t.Errorf("unknown file: %d, want 400", status)
	}

	post(t, s, "222:AAtwo", "setWebhook", `{"url":"https://example.com/cb","secret_token":"sss","allowed_updates":["message"]}`)
	if u, secret := s.Webhook(); u != "https://example.com/cb" || secret != "sss" {
		t.Errorf("Webhook() = %q, %q", u, secret)
	}
	if u, _, _ := s.WebhookOf("111:AAone"); u != "" {
		t.Errorf("the other bot's webhook = %q, want none", u)
	}
}

func TestPostUpdate(t *testing.T) {
	t.Parallel()
	s := telegramtest.New()
	defer s.Close()
	var (
		mu     sync.Mutex
		header string
		body   map[string]any
	)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		header = r.Header.Get(telegramtest.SecretTokenHeader)
		json.NewDecoder(r.Body).Decode(&body)
	}))
	defer receiver.Close()

	resp, err := s.PostUpdate(context.Background(), receiver.URL+"/cb", "sss", s.TextUpdate(7, "Ana", "hola"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	mu.Lock()
	defer mu.Unlock()
	msg, _ := body["message"].(map[string]any)
	if header != "sss" || msg["text"] != "hola" || body["update_id"] == nil {
		t.Errorf("received header %q, body %v", header, body)
	}
	if _, err := s.PostUpdate(context.Background(), "https://api.example.com/cb", "sss", map[string]any{}); err == nil {
		t.Error("PostUpdate reached for a non-loopback address")
	}
}
