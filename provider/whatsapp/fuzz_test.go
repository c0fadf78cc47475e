package whatsapp_test

import (
	"net/http"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
	"github.com/carillon/carillon/provider/providertest"
	"github.com/carillon/carillon/provider/whatsapp"
)

// FuzzParseCallback feeds signed bodies of every shape to the callback
// parser: it must never panic, and must answer either what it read or a
// CallbackError that the HTTP adapter turns into a 4xx.
func FuzzParseCallback(f *testing.F) {
	for _, body := range providertest.InboundBodies(f, "testdata/inbound") {
		f.Add(body)
	}
	f.Add([]byte(`{"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":{"metadata":{"phone_number_id":"1"},"messages":[{}],"statuses":[{}]}}]}]}`))
	const secret = "fuzz-app-secret"
	ch := carillon.Channel{ID: 7, Provider: carillon.ProviderWhatsApp, Type: carillon.WhatsApp, Settings: map[string]string{
		"phone_number_id": "1", "access_token": "t", "app_secret": secret, "verify_token": "v"}}
	p := whatsapp.New(whatsapp.Options{})
	f.Fuzz(func(t *testing.T, body []byte) {
		h := http.Header{}
		h.Set(metagraph.SignatureHeader, metagraph.Sign(secret, body))
		res, ok := providertest.ParseFuzzed(t, p, ch, carillon.Callback{Method: http.MethodPost, Header: h, Body: body})
		if !ok {
			return
		}
		for _, m := range res.Messages {
			if m.ExternalID == "" || (m.From == "" && m.BSUID == "") {
				t.Fatalf("a message without an id or a sender: %+v", m)
			}
		}
		for _, r := range res.Receipts {
			if r.ExternalID == "" {
				t.Fatalf("a receipt without an id: %+v", r)
			}
		}
	})
}
