package httpapi_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/httpapi"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// FuzzCallbackPath sends provider callbacks to any provider and channel
// path segments, bytes that are not UTF-8 and NULs included: the answer is
// always a JSON client error (never a 500), and a segment that is not a
// well-formed identifier is a 404 before any lookup.
func FuzzCallbackPath(f *testing.F) {
	db := testrig.SQLite(f)
	svc := testrig.Service(f, service.Options{Store: db, InstanceID: "fuzz", PublicURL: "http://127.0.0.1"})
	acct := testrig.DefaultAccount(f, svc).Account
	channels, err := db.AllChannels(f.Context(), acct.ID)
	if err != nil || len(channels) == 0 {
		f.Fatalf("channels: %v, %v", channels, err)
	}
	api := httpapi.New(testrig.APIOptions(svc))

	for _, seed := range [][2]string{{"whatsapp", channels[0].UUID}, {"sandbox", channels[0].UUID}, {"telegram", carillon.NewUUID()},
		{"whatsapp", "a\x00b"}, {"whatsapp", "\xff"}, {"what\xffsapp", "x"}, {"whatsapp", strings.Repeat("9", 300)}, {"", ""}, {"..", "."}} {
		f.Add(seed[0], seed[1], true)
		f.Add(seed[0], seed[1], false)
	}
	f.Fuzz(func(t *testing.T, provider, channel string, post bool) {
		method, body := http.MethodGet, ""
		if post {
			method, body = http.MethodPost, `{"object":"whatsapp_business_account","entry":[]}`
		}
		req := httptest.NewRequest(method, "/callbacks/"+url.PathEscape(provider)+"/"+url.PathEscape(channel)+"?hub.mode=subscribe", strings.NewReader(body))
		rec := httptest.NewRecorder()
		api.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s /callbacks/%q/%q = %d %s", method, provider, channel, rec.Code, rec.Body)
		}
		if rec.Code >= 400 && !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s /callbacks/%q/%q = %d with a body that is not JSON: %q", method, provider, channel, rec.Code, rec.Body)
		}
		if (!carillon.WellFormedID(provider) || !carillon.WellFormedID(channel)) && rec.Code != http.StatusNotFound &&
			rec.Code != http.StatusMovedPermanently && rec.Code != http.StatusTemporaryRedirect {
			t.Fatalf("%s /callbacks/%q/%q = %d, want 404 for a segment that is not an identifier", method, provider, channel, rec.Code)
		}
	})
}
