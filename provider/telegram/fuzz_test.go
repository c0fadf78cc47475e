package telegram_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/telegram"
)

// FuzzParseCallback feeds updates of every shape, with the right secret, to
// the callback parser: it must never panic, and must answer either what it
// read or a CallbackError that the HTTP adapter turns into a 4xx.
func FuzzParseCallback(f *testing.F) {
	files, _ := filepath.Glob("testdata/inbound/*.json")
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		var c struct {
			Request struct {
				Body json.RawMessage `json:"body"`
			} `json:"request"`
		}
		if json.Unmarshal(raw, &c) == nil && len(c.Request.Body) > 0 {
			f.Add([]byte(c.Request.Body))
		}
	}
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"chat":{"id":5},"photo":[{}]}}`))
	const secret = "fuzz-secret"
	ch := carillon.Channel{ID: 7, Provider: carillon.ProviderTelegram, Type: carillon.Telegram, Settings: map[string]string{
		"bot_token": "123:abc", "webhook_secret": secret}}
	p := telegram.New(telegram.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set(telegram.SecretTokenHeader, secret)
		res, err := p.ParseCallback(ch, carillon.Callback{Method: http.MethodPost, Header: h, Body: body})
		if err != nil {
			var ce *carillon.CallbackError
			if !errors.As(err, &ce) || ce.Status < 400 || ce.Status > 499 {
				t.Fatalf("ParseCallback error %v is not a 4xx CallbackError", err)
			}
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || m.From == "" {
				t.Fatalf("a message without an id or a sender: %+v", m)
			}
		}
	})
}
