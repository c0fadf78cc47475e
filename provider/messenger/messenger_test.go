package messenger_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/messenger/metatest"
	"github.com/carillon/carillon/provider/metagraph"
	"github.com/carillon/carillon/provider/providertest"
)

// The settings of the channel every case starts from; the secrets are
// distinctive so that a leak is caught.
const (
	testPageID      = "104857603392714"
	testPSID        = "6345432765432123"
	testToken       = "EAAGpage-secret-token-123"
	testAppSecret   = "meta-app-secret-456"
	testVerifyToken = "verify-token-789"
)

func subject() providertest.Subject {
	return providertest.Subject{
		New: func(c *http.Client, l *slog.Logger) carillon.Provider {
			return messenger.New(messenger.Options{HTTPClient: c, Logger: l})
		},
		Info: messenger.Info(),
		Channel: carillon.Channel{
			ID: 42, UUID: "0b6f3f8e2c4d4e1a9f7b5c3d1e2f4a6b", AccountID: 3, Title: "page",
			Type: carillon.Facebook, Provider: carillon.ProviderMessenger,
			Settings: map[string]string{
				"page_id": testPageID, "page_access_token": testToken, "app_secret": testAppSecret, "verify_token": testVerifyToken,
			},
		},
		Sign: func(ch carillon.Channel, cb *carillon.Callback) {
			cb.Header.Set(metagraph.SignatureHeader, metagraph.Sign(ch.Settings["app_secret"], cb.Body))
		},
		Calls: Calls,
	}
}

// Calls are the operations other than Send that the outbound cases name.
var Calls = map[string]providertest.Call{
	"read_address": providertest.ReadAddress,
	"read_profile": providertest.ReadProfile,
	"fetch_media":  providertest.FetchMedia,
}

func TestOutbound(t *testing.T) {
	providertest.RunOutbound(t, "testdata/outbound", subject())
}

func TestInbound(t *testing.T) {
	providertest.RunInbound(t, "testdata/inbound", subject())
}

func TestCheckSettings(t *testing.T) {
	p := messenger.New(messenger.Options{})
	valid := map[string]string{"page_id": testPageID, "page_access_token": testToken, "app_secret": testAppSecret, "verify_token": testVerifyToken}
	if err := p.CheckSettings(valid); err != nil {
		t.Fatalf("valid settings refused: %v", err)
	}
	for _, tc := range []struct {
		name    string
		change  map[string]string
		mention string
	}{
		{"no page id", map[string]string{"page_id": ""}, "page_id"},
		{"no token", map[string]string{"page_access_token": ""}, "page_access_token"},
		{"no app secret", map[string]string{"app_secret": " "}, "app_secret"},
		{"no verify token", map[string]string{"verify_token": ""}, "verify_token"},
		{"page id not numeric", map[string]string{"page_id": "../me"}, "page_id"},
		{"relative base url", map[string]string{"base_url": "graph.facebook.com"}, "base_url"},
		{"base url with a query", map[string]string{"base_url": "https://graph.facebook.com/?x=1"}, "base_url"},
		{"api version", map[string]string{"api_version": "25"}, "api_version"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := map[string]string{}
			for k, v := range valid {
				s[k] = v
			}
			for k, v := range tc.change {
				s[k] = v
			}
			err := p.CheckSettings(s)
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

// TestInfo: the description the rules read — settings, secrets, window
// and its tag, no captions.
func TestInfo(t *testing.T) {
	info := messenger.Info()
	if info.Name != "messenger" || !info.Serves(carillon.Facebook) || info.Serves(carillon.Instagram) || !info.CallsBack {
		t.Errorf("info = %+v", info)
	}
	secrets := strings.Join(info.SecretSettings(), ",")
	if secrets != "page_access_token,app_secret,verify_token" {
		t.Errorf("secret settings = %s", secrets)
	}
	if !info.EnforcesWindow(carillon.Channel{}) || info.MessageTags["HUMAN_AGENT"] != messenger.HumanAgentWindow || !info.NoCaptions {
		t.Errorf("window rules = %v %v %v", info.EnforcesWindow(carillon.Channel{}), info.MessageTags, info.NoCaptions)
	}
	for _, name := range []string{"page_id", "page_access_token", "app_secret", "verify_token", "api_version", "base_url", "mps"} {
		if _, ok := info.Setting(name); !ok {
			t.Errorf("setting %s not described", name)
		}
	}
}

// TestAgainstFakeGraph runs the provider against metatest's server: the
// fake that end-to-end tests use must agree with the provider.
func TestAgainstFakeGraph(t *testing.T) {
	srv := metatest.New(t)
	logger, log := providertest.NewLog()
	p := messenger.New(messenger.Options{HTTPClient: providertest.Client(), Logger: logger})
	ch := subject().Channel
	ch.Settings["base_url"] = srv.URL
	ch.Settings["page_access_token"] = srv.AccessToken()
	ctx := context.Background()

	out := carillon.Outgoing{Channel: ch, To: testPSID, Attempt: 1,
		Message: carillon.Message{UUID: "m1", Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}}}
	res, err := p.Send(ctx, out)
	if err != nil || !strings.HasPrefix(res.ExternalID, "m_") {
		t.Fatalf("send = %+v, %v", res, err)
	}
	if got := srv.Messages(); len(got) != 1 || got[0]["messaging_type"] != "RESPONSE" {
		t.Errorf("the fake got %v", got)
	}

	var se *carillon.SendError
	srv.Script("/messages", metatest.Throttled())
	if _, err = p.Send(ctx, out); !errors.As(err, &se) || se.Permanent || se.Code != "80006" || se.Scope != carillon.ScopeChannel {
		t.Errorf("throttled send: err = %v", err)
	}
	srv.Script("/messages", metatest.OutsideWindow())
	if _, err = p.Send(ctx, out); !errors.As(err, &se) || !se.Permanent || se.Code != "10" || !strings.Contains(string(se.Payload), "2018278") {
		t.Errorf("outside the window: err = %v", err)
	}

	url := srv.AddMedia("photo.jpg", "image/jpeg", []byte("JPEG"))
	body, ct, err := p.FetchMedia(ctx, ch, carillon.InboundMedia{URL: url})
	if err != nil {
		t.Fatal(err)
	}
	data, _ := io.ReadAll(body)
	body.Close()
	if string(data) != "JPEG" || ct != "image/jpeg" {
		t.Errorf("media = %q %q", data, ct)
	}

	if got, err := p.ReadAddress(ctx, ch); err != nil || got != testPageID {
		t.Errorf("ReadAddress = %q, %v", got, err)
	}
	ch.Settings["page_access_token"] = "not-the-token"
	if _, err := p.ReadAddress(ctx, ch); err == nil || !strings.Contains(err.Error(), "190") {
		t.Errorf("ReadAddress with a wrong token: err = %v", err)
	}
	log.AssertNoSecrets(t, srv.AccessToken(), "not-the-token")
}

// TestCallbacksFromFake checks that metatest's webhooks are what the
// provider reads, signature included.
func TestCallbacksFromFake(t *testing.T) {
	p := messenger.New(messenger.Options{})
	ch := subject().Channel
	body := metatest.Webhook("page", testPageID, metatest.Text(testPSID, testPageID, "m_in", "hello", 1767225600000),
		metatest.Delivery(testPSID, testPageID, []string{"m_out"}, 1767225600000),
		metatest.Read(testPSID, testPageID, 1767225600000, 1767225601000),
		metatest.Echo(testPageID, testPSID, "m_echo", "sent elsewhere", "", 1767225600000))
	cb := carillon.Callback{Method: http.MethodPost, Header: http.Header{}, Body: body}
	cb.Header.Set(metagraph.SignatureHeader, metatest.Sign(testAppSecret, body))
	res, err := p.ParseCallback(ch, cb)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Messages) != 2 || res.Messages[0].Content.Text != "hello" || !res.Messages[1].Echo || res.Messages[1].From != testPSID {
		t.Errorf("messages = %+v", res.Messages)
	}
	if len(res.Receipts) != 3 || res.Receipts[0].ExternalID != "m_out" || res.Receipts[2].Status != carillon.StatusRead || res.Receipts[2].Through.IsZero() {
		t.Errorf("receipts = %+v", res.Receipts)
	}
}
