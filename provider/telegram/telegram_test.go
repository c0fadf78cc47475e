package telegram_test

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/providertest"
	"github.com/carillon/carillon/provider/telegram"
)

// The test channel's secrets; the case files write them where Telegram
// would see them (the token in request paths, the secret in setWebhook).
const (
	testToken  = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
	testSecret = "wh_S3cret-token_for_tests"
)

// subject plugs the provider into the shared case runners.
func subject() providertest.Subject {
	return providertest.Subject{
		New: func(client *http.Client, logger *slog.Logger) carillon.Provider {
			return telegram.New(telegram.Options{HTTPClient: client, Logger: logger})
		},
		Info: telegram.Info(),
		Channel: carillon.Channel{
			ID: 42, UUID: "0193e4b2c1d87a6f9e0b1c2d3e4f5a6b", AccountID: 1, Title: "tg-bot",
			Type: carillon.Telegram, Provider: carillon.ProviderTelegram,
			Settings: map[string]string{"bot_token": testToken, "webhook_secret": testSecret},
		},
		Sign: func(ch carillon.Channel, cb *carillon.Callback) {
			cb.Header.Set(telegram.SecretTokenHeader, ch.Settings["webhook_secret"])
		},
		Calls: map[string]providertest.Call{
			"fetch_media": providertest.FetchMedia,
			// args: {"url"}; output: {"registered": true}.
			"register_callback": func(c providertest.CallContext, args json.RawMessage) (any, error) {
				var a struct {
					URL string `json:"url"`
				}
				if err := json.Unmarshal(args, &a); err != nil {
					return nil, fmt.Errorf("the case's args: %w", err)
				}
				if err := c.Provider.(carillon.CallbackRegistrar).RegisterCallback(c.Context, c.Channel, a.URL); err != nil {
					return nil, err
				}
				return map[string]bool{"registered": true}, nil
			},
		},
	}
}

func TestOutbound(t *testing.T) {
	providertest.RunOutbound(t, "testdata/outbound", subject())
}

func TestInbound(t *testing.T) {
	providertest.RunInbound(t, "testdata/inbound", subject())
}

func TestCheckSettings(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 256)
	tests := []struct {
		name     string
		settings map[string]string
		wantErr  string // "" when valid
	}{
		{"token only", map[string]string{"bot_token": testToken}, ""},
		{"token and secret", map[string]string{"bot_token": testToken, "webhook_secret": testSecret}, ""},
		{"256-character secret", map[string]string{"bot_token": testToken, "webhook_secret": long}, ""},
		{"local base url", map[string]string{"bot_token": testToken, "base_url": "http://127.0.0.1:8081"}, ""},
		{"no token", map[string]string{}, "bot_token is required"},
		{"token without id", map[string]string{"bot_token": "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"}, "not a Bot API token"},
		{"token with letters in the id", map[string]string{"bot_token": "12a:AAH"}, "not a Bot API token"},
		{"token with a slash", map[string]string{"bot_token": "123:AAH/../x"}, "not a Bot API token"},
		{"empty secret counts as absent", map[string]string{"bot_token": testToken, "webhook_secret": ""}, ""},
		{"secret with a space", map[string]string{"bot_token": testToken, "webhook_secret": "two words"}, "webhook_secret"},
		{"secret with a colon", map[string]string{"bot_token": testToken, "webhook_secret": "a:b"}, "webhook_secret"},
		{"257-character secret", map[string]string{"bot_token": testToken, "webhook_secret": long + "a"}, "webhook_secret"},
		{"relative base url", map[string]string{"bot_token": testToken, "base_url": "api.telegram.org"}, "base_url"},
		{"ftp base url", map[string]string{"bot_token": testToken, "base_url": "ftp://api.telegram.org"}, "base_url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := telegram.CheckSettings(tt.settings)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v, want none", err)
			case tt.wantErr != "" && err == nil:
				t.Fatalf("no error, want one about %q", tt.wantErr)
			case tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr):
				t.Fatalf("error %q does not mention %q", err, tt.wantErr)
			}
			for _, secret := range []string{tt.settings["bot_token"], tt.settings["webhook_secret"]} {
				if err != nil && len(secret) > 3 && strings.Contains(err.Error(), secret) {
					t.Errorf("the error quotes a secret: %v", err)
				}
			}
		})
	}
}

func TestNewWebhookSecret(t *testing.T) {
	t.Parallel()
	seen := map[string]bool{}
	for range 100 {
		s := telegram.NewWebhookSecret()
		if err := telegram.CheckSettings(map[string]string{"bot_token": testToken, "webhook_secret": s}); err != nil {
			t.Fatalf("NewWebhookSecret() = %q: %v", s, err)
		}
		if len(s) != 32 {
			t.Fatalf("NewWebhookSecret() = %q: want 32 characters (192 random bits)", s)
		}
		if seen[s] {
			t.Fatalf("NewWebhookSecret() repeated %q", s)
		}
		seen[s] = true
	}
}
