package instagram_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/instagram"
	"github.com/carillon/carillon/provider/messenger"
	"github.com/carillon/carillon/provider/messenger/metatest"
	"github.com/carillon/carillon/provider/metagraph"
	"github.com/carillon/carillon/provider/providertest"
)

// The settings of the channel every case starts from; the secrets are
// distinctive so that a leak is caught.
const (
	testAccountID   = "17841405822304914"
	testIGSID       = "1234567890123456"
	testToken       = "IGAAtest-secret-token-123"
	testAppSecret   = "meta-app-secret-456"
	testVerifyToken = "verify-token-789"
)

func subject() providertest.Subject {
	return providertest.Subject{
		New: func(c *http.Client, l *slog.Logger) carillon.Provider {
			return instagram.New(instagram.Options{HTTPClient: c, Logger: l})
		},
		Info: instagram.Info(),
		Channel: carillon.Channel{
			ID: 43, UUID: "1c7f3f8e2c4d4e1a9f7b5c3d1e2f4a6b", AccountID: 3, Title: "insta",
			Type: carillon.Instagram, Provider: carillon.ProviderInstagram,
			Settings: map[string]string{
				"account_id": testAccountID, "access_token": testToken, "app_secret": testAppSecret, "verify_token": testVerifyToken,
			},
		},
		Sign: func(ch carillon.Channel, cb *carillon.Callback) {
			cb.Header.Set(metagraph.SignatureHeader, metagraph.Sign(ch.Settings["app_secret"], cb.Body))
		},
		Calls: map[string]providertest.Call{
			"read_address": providertest.ReadAddress,
			"read_profile": providertest.ReadProfile,
			"fetch_media":  providertest.FetchMedia,
		},
	}
}

func TestOutbound(t *testing.T) {
	providertest.RunOutbound(t, "testdata/outbound", subject())
}

func TestInbound(t *testing.T) {
	providertest.RunInbound(t, "testdata/inbound", subject())
}

// TestInfo: Instagram's own settings, its host, and Meta's window rules.
func TestInfo(t *testing.T) {
	info := instagram.Info()
	if info.Name != "instagram" || !info.Serves(carillon.Instagram) || info.Serves(carillon.Facebook) || !info.CallsBack {
		t.Errorf("info = %+v", info)
	}
	if got := strings.Join(info.SecretSettings(), ","); got != "access_token,app_secret,verify_token" {
		t.Errorf("secret settings = %s", got)
	}
	if info.MessageTags["HUMAN_AGENT"] != messenger.HumanAgentWindow || !info.NoCaptions {
		t.Errorf("window rules = %v %v", info.MessageTags, info.NoCaptions)
	}
	for _, typ := range info.SendTypes {
		if typ == carillon.TypeDocument {
			t.Errorf("Instagram sends no documents, but SendTypes = %v", info.SendTypes)
		}
	}
	p := instagram.New(instagram.Options{})
	if err := p.CheckSettings(map[string]string{"account_id": "me", "access_token": "t", "app_secret": "s", "verify_token": "v"}); err == nil || !strings.Contains(err.Error(), "account_id") {
		t.Errorf("a non-numeric account_id: err = %v", err)
	}
}

// TestAgainstFakeGraph: sends to /{account_id}/messages on the fake, with
// the Instagram token; metatest's webhooks are what the provider reads.
func TestAgainstFakeGraph(t *testing.T) {
	srv := metatest.New(t)
	logger, log := providertest.NewLog()
	p := instagram.New(instagram.Options{HTTPClient: providertest.Client(), Logger: logger})
	ch := subject().Channel
	ch.Settings["base_url"] = srv.URL
	ch.Settings["access_token"] = srv.AccessToken()
	ctx := context.Background()
	out := carillon.Outgoing{Channel: ch, To: testIGSID, Attempt: 1,
		Message: carillon.Message{UUID: "m1", Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}}}
	if res, err := p.Send(ctx, out); err != nil || !strings.HasPrefix(res.ExternalID, "m_") {
		t.Fatalf("send = %+v, %v", res, err)
	}
	reqs := srv.Requests()
	if last := reqs[len(reqs)-1]; last.Path != "/v25.0/"+testAccountID+"/messages" || last.Header.Get("Authorization") != "Bearer "+srv.AccessToken() {
		t.Errorf("request = %s %s", last.Method, last.Path)
	}
	if _, ok := srv.Messages()[0]["message"].(map[string]any)["metadata"]; ok {
		t.Errorf("Instagram sends carry no metadata: %v", srv.Messages()[0])
	}
	var se *carillon.SendError
	srv.Script("/messages", metatest.GraphError(400, 80002, 0, "Too many calls"))
	if _, err := p.Send(ctx, out); !errors.As(err, &se) || se.Permanent || se.Scope != carillon.ScopeChannel {
		t.Errorf("throttled: err = %v", err)
	}
	log.AssertNoSecrets(t, srv.AccessToken())

	body := metatest.Webhook("instagram", testAccountID, metatest.Seen(testIGSID, testAccountID, "m_out", 1767225600000))
	cb := carillon.Callback{Method: http.MethodPost, Header: http.Header{}, Body: body}
	cb.Header.Set(metagraph.SignatureHeader, metatest.Sign(testAppSecret, body))
	res, err := p.ParseCallback(ch, cb)
	if err != nil || len(res.Receipts) != 1 || !res.Receipts[0].AndEarlier || res.Receipts[0].ExternalID != "m_out" {
		t.Errorf("seen = %+v, %v", res.Receipts, err)
	}
}
