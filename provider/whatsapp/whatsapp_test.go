package whatsapp_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
	"github.com/carillon/carillon/provider/providertest"
	"github.com/carillon/carillon/provider/whatsapp"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// The settings of the channel every case starts from; the secrets are
// distinctive so that a leak is caught.
const (
	testPhoneNumberID = "106540352242922"
	testWABA          = "102290129340398"
	testToken         = "EAAtest-secret-token-123"
	testAppSecret     = "app-secret-456"
	testVerifyToken   = "verify-token-789"
)

func subject() providertest.Subject {
	return providertest.Subject{
		New: func(c *http.Client, l *slog.Logger) carillon.Provider {
			return whatsapp.New(whatsapp.Options{HTTPClient: c, Logger: l})
		},
		Info: whatsapp.Info(),
		Channel: carillon.Channel{
			ID: 42, UUID: "0b6f3f8e2c4d4e1a9f7b5c3d1e2f4a6b", AccountID: 3, Title: "support",
			Type: carillon.WhatsApp, Provider: carillon.ProviderWhatsApp,
			Settings: map[string]string{
				"phone_number_id": testPhoneNumberID, "business_account_id": testWABA,
				"access_token": testToken, "app_secret": testAppSecret, "verify_token": testVerifyToken,
			},
		},
		Sign: func(ch carillon.Channel, cb *carillon.Callback) {
			cb.Header.Set(metagraph.SignatureHeader, metagraph.Sign(ch.Settings["app_secret"], cb.Body))
		},
		Calls: map[string]providertest.Call{
			"fetch_media":     providertest.FetchMedia,
			"fetch_templates": fetchTemplates,
		},
	}
}

func fetchTemplates(cc providertest.CallContext, _ json.RawMessage) (any, error) {
	templates, err := cc.Provider.(carillon.TemplateSource).FetchTemplates(cc.Context, cc.Channel)
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for _, t := range templates {
		out = append(out, map[string]any{
			"channel_id": t.ChannelID, "account_id": t.AccountID, "title": t.Title, "language": t.Language,
			"category": t.Category, "status": t.Status, "text": t.Text, "type": t.Type, "external_id": t.ExternalID,
			"buttons": t.Buttons,
		})
	}
	return out, nil
}

func TestOutbound(t *testing.T) {
	providertest.RunOutbound(t, "testdata/outbound", subject())
}

func TestInbound(t *testing.T) {
	providertest.RunInbound(t, "testdata/inbound", subject())
}

func TestCheckSettings(t *testing.T) {
	valid := map[string]string{
		"phone_number_id": testPhoneNumberID, "access_token": testToken, "app_secret": testAppSecret, "verify_token": testVerifyToken,
	}
	if err := whatsapp.CheckSettings(valid); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	for _, tc := range []struct {
		name    string
		change  map[string]string
		mention string
	}{
		{"no phone number id", map[string]string{"phone_number_id": ""}, "phone_number_id"},
		{"no access token", map[string]string{"access_token": ""}, "access_token"},
		{"no app secret", map[string]string{"app_secret": " "}, "app_secret"},
		{"no verify token", map[string]string{"verify_token": ""}, "verify_token"},
		{"phone number id not numeric", map[string]string{"phone_number_id": "../me"}, "phone_number_id"},
		{"business account id not numeric", map[string]string{"business_account_id": "waba"}, "business_account_id"},
		{"relative base url", map[string]string{"base_url": "graph.facebook.com"}, "base_url"},
		{"api version", map[string]string{"api_version": "23"}, "api_version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := map[string]string{}
			for k, v := range valid {
				s[k] = v
			}
			for k, v := range tc.change {
				s[k] = v
			}
			err := whatsapp.CheckSettings(s)
			if err == nil || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("err = %v, want one naming %s", err, tc.mention)
			}
			for _, secret := range []string{testToken, testAppSecret, testVerifyToken} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("the error shows a secret: %v", err)
				}
			}
		})
	}
}

// TestAgainstFakeGraph runs the provider against whatsapptest's server:
// the fake that end-to-end tests use must agree with the provider.
func TestAgainstFakeGraph(t *testing.T) {
	srv := whatsapptest.New(t)
	logger, log := providertest.NewLog()
	p := whatsapp.New(whatsapp.Options{HTTPClient: providertest.Client(), Logger: logger})
	ch := subject().Channel
	ch.Settings["base_url"] = srv.URL
	ch.Settings["access_token"] = srv.AccessToken()
	ctx := context.Background()

	out := carillon.Outgoing{Channel: ch, To: "16505551234", Attempt: 1,
		Message: carillon.Message{UUID: "m1", Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}}}
	res, err := p.Send(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.ExternalID, "wamid.") || res.Address != "16505551234" {
		t.Errorf("result = %+v", res)
	}

	srv.Script("/messages", whatsapptest.Throttled())
	_, err = p.Send(ctx, out)
	var se *carillon.SendError
	if !errors.As(err, &se) || se.Permanent || se.Code != "130429" || se.Scope != carillon.ScopeChannel {
		t.Errorf("throttled send: err = %v", err)
	}
	if _, err := p.Send(ctx, out); err != nil {
		t.Errorf("the script should be used up: %v", err)
	}

	srv.AddMedia("m-1", "image/png", []byte("PNGDATA"))
	body, ct, err := p.FetchMedia(ctx, ch, carillon.InboundMedia{ID: "m-1"})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if string(data) != "PNGDATA" || ct != "image/png" {
		t.Errorf("media = %q %q", data, ct)
	}

	var templates []whatsapptest.Template
	for _, name := range []string{"a", "b", "c", "d", "e"} {
		templates = append(templates, whatsapptest.Template{ID: "id-" + name, Name: name, Status: "APPROVED", Category: "UTILITY",
			Language: "en_US", Components: []whatsapptest.Component{{Type: "BODY", Text: "Hello {{1}}"}}})
	}
	srv.SetTemplates(testWABA, templates...)
	srv.SetTemplatePageSize(2)
	got, err := p.FetchTemplates(ctx, ch)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 || got[4].Title != "e" || got[0].Text != "Hello {{1}}" || got[0].Status != "approved" {
		t.Errorf("templates = %+v", got)
	}

	// The channel's number, read when it is declared: Meta writes it
	// formatted, carillon keeps its digits.
	if got, err := p.ReadAddress(ctx, ch); err != nil || got != whatsapptest.DisplayPhoneNumber {
		t.Errorf("ReadAddress = %q, %v; want %q", got, err, whatsapptest.DisplayPhoneNumber)
	}
	srv.SetDisplayPhoneNumber(ch.Settings["phone_number_id"], "not a number")
	if got, err := p.ReadAddress(ctx, ch); err == nil {
		t.Errorf("ReadAddress of a display number that is none = %q, want an error", got)
	}

	ch.Settings["access_token"] = "not-the-token"
	if _, err := p.ReadAddress(ctx, ch); err == nil || !strings.Contains(err.Error(), "190") {
		t.Errorf("ReadAddress with a wrong token: err = %v", err)
	}
	_, err = p.Send(ctx, carillon.Outgoing{Channel: ch, To: "1", Message: out.Message, Attempt: 1})
	if !errors.As(err, &se) || !se.Permanent || se.Code != "190" {
		t.Errorf("wrong token: err = %v", err)
	}
	log.AssertNoSecrets(t, srv.AccessToken(), "not-the-token")
}

// TestCallbacksFromFakeGraph checks that whatsapptest's callbacks are what
// the provider reads, signature included.
func TestCallbacksFromFakeGraph(t *testing.T) {
	p := whatsapp.New(whatsapp.Options{})
	ch := subject().Channel
	body := whatsapptest.StatusPayload(testPhoneNumberID, "wamid.X", "16505551234", "failed")
	cb := carillon.Callback{Method: http.MethodPost, Header: http.Header{}, Body: body}
	cb.Header.Set(metagraph.SignatureHeader, whatsapptest.Sign(testAppSecret, body))
	res, err := p.ParseCallback(ch, cb)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Receipts) != 1 || res.Receipts[0].Status != carillon.StatusFailed || !strings.Contains(string(res.Receipts[0].Payload), "131026") {
		t.Errorf("receipts = %+v", res.Receipts)
	}

	body = whatsapptest.MessagePayload(testPhoneNumberID, whatsapptest.Message{ID: "wamid.Y", BSUID: "US.1", ProfileName: "Ana", Text: "hello"})
	cb = carillon.Callback{Method: http.MethodPost, Header: http.Header{}, Body: body}
	cb.Header.Set(metagraph.SignatureHeader, whatsapptest.Sign(testAppSecret, body))
	res, err = p.ParseCallback(ch, cb)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 1 {
		t.Fatalf("messages = %+v", res.Messages)
	}
	if m := res.Messages[0]; m.From != "" || m.BSUID != "US.1" || m.ProfileName != "Ana" || m.Content.Text != "hello" || m.ExternalID != "wamid.Y" {
		t.Errorf("message = %+v", m)
	}
}
