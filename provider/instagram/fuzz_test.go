package instagram_test

import (
	"net/http"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/metagraph"
	"github.com/carillon/carillon/provider/providertest"
)

// FuzzParseCallback feeds signed bodies of every shape to the callback
// decoder with Instagram's settings: no panic, a 4xx CallbackError or what
// it read, every message and receipt naming what the service needs.
func FuzzParseCallback(f *testing.F) {
	for _, body := range providertest.InboundBodies(f, "testdata/inbound") {
		f.Add(body)
	}
	f.Add([]byte(`{"object":"instagram","entry":[{"id":"1","messaging":[{"sender":{"id":"2"},"read":{"mid":""}},{"message":{"reply_to":{"story":{}}}}]}]}`))
	const secret = "fuzz-app-secret"
	ch := carillon.Channel{ID: 7, Provider: carillon.ProviderInstagram, Type: carillon.Instagram, Settings: map[string]string{
		"account_id": "1", "access_token": "t", "app_secret": secret, "verify_token": "v"}}
	p := instagram.New(instagram.Options{})
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
