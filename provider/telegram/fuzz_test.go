package telegram_test

import (
	"net/http"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/providertest"
	"github.com/carillon/carillon/provider/telegram"
)

// FuzzParseCallback feeds updates of every shape, with the right secret, to
// the callback parser: it must never panic, and must answer either what it
// read or a CallbackError that the HTTP adapter turns into a 4xx.
func FuzzParseCallback(f *testing.F) {
	for _, body := range providertest.InboundBodies(f, "testdata/inbound") {
		f.Add(body)
	}
	f.Add([]byte(`{"update_id":1,"message":{"message_id":1,"chat":{"id":5},"photo":[{}]}}`))
	const secret = "fuzz-secret"
	ch := carillon.Channel{ID: 7, Provider: carillon.ProviderTelegram, Type: carillon.Telegram, Settings: map[string]string{
		"bot_token": "123:abc", "webhook_secret": secret}}
	p := telegram.New(telegram.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set(telegram.SecretTokenHeader, secret)
		res, ok := providertest.ParseFuzzed(t, p, ch, carillon.Callback{Method: http.MethodPost, Header: h, Body: body})
		if !ok {
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || m.From == "" {
				t.Fatalf("a message without an id or a sender: %+v", m)
			}
		}
	})
}
