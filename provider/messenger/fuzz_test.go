package messenger_test

import (
	"net/http"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/metagraph"
	"github.com/carillon/carillon/provider/providertest"
)

// FuzzParseCallback feeds signed bodies of every shape to the callback
// decoder: it must never panic, and must answer either what it read or a
// CallbackError that the HTTP adapter turns into a 4xx; every message and
// receipt it reads names what the service needs to store it once.
func FuzzParseCallback(f *testing.F) {
	for _, body := range providertest.InboundBodies(f, "testdata/inbound") {
		f.Add(body)
	}
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","messaging":[{},{"message":{}},{"delivery":{}},{"read":{}},{"reaction":{}},{"postback":{}}]}]}`))
	f.Add([]byte(`{"object":"page","entry":[{"id":"1","messaging":[{"sender":{"id":"1"},"recipient":{"id":"2"},"message":{"mid":"x","is_echo":true}}]}]}`))
	const secret = "fuzz-app-secret"
	ch := carillon.Channel{ID: 7, Provider: carillon.ProviderMessenger, Type: carillon.Facebook, Settings: map[string]string{
		"page_id": "1", "page_access_token": "t", "app_secret": secret, "verify_token": "v"}}
	p := messenger.New(messenger.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set(metagraph.SignatureHeader, metagraph.Sign(secret, body))
		res, ok := providertest.ParseFuzzed(t, p, ch, carillon.Callback{Method: http.MethodPost, Header: h, Body: body})
		if !ok {
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || !messenger.IsGraphID(m.From) || m.From == "1" {
				t.Fatalf("a message without an id or a customer: %+v", m)
			}
		}
		for _, r := range res.Receipts {
			if r.ExternalID == "" && (r.Recipient == "" || r.Through.IsZero()) {
				t.Fatalf("a receipt that names no message: %+v", r)
			}
		}
	})
}
