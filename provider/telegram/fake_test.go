package telegram_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/providertest"
	"github.com/carillon/carillon/provider/telegram"
	"github.com/carillon/carillon/provider/telegram/telegramtest"
)

// fixture is a provider wired to a fake Bot API server, with its log.
type fixture struct {
	fake     *telegramtest.Server
	provider *telegram.Provider
	log      *providertest.Log
	channel  carillon.Channel
}

func setup(t *testing.T) fixture {
	t.Helper()
	fake := telegramtest.New()
	t.Cleanup(fake.Close)
	logger, log := providertest.NewLog()
	f := fixture{
		fake:     fake,
		provider: telegram.New(telegram.Options{HTTPClient: providertest.Client(), Logger: logger}),
		log:      log,
		channel: carillon.Channel{
			ID: 9, UUID: "0193e4b2c1d87a6f9e0b1c2d3e4f5a6c", Type: carillon.Telegram, Provider: carillon.ProviderTelegram,
			Settings: map[string]string{"bot_token": telegramtest.DefaultToken, "webhook_secret": testSecret, "base_url": fake.URL()},
		},
	}
	t.Cleanup(func() { log.AssertNoSecrets(t, telegramtest.DefaultToken, testSecret) })
	return f
}

func (f fixture) text(to, text string) carillon.Outgoing {
	return carillon.Outgoing{Channel: f.channel, To: to, Attempt: 1,
		Message: carillon.Message{UUID: carillon.NewUUID(), Type: carillon.TypeText, Content: carillon.Content{Text: text}}}
}

func TestSendAgainstFake(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()

	first, err := f.provider.Send(ctx, f.text("31415926", "one"))
	if err != nil {
		t.Fatal(err)
	}
	second, err := f.provider.Send(ctx, f.text("27182818", "two"))
	if err != nil {
		t.Fatal(err)
	}
	if first.ExternalID != "31415926:1" || second.ExternalID != "27182818:2" {
		t.Errorf("external ids = %q, %q; want 31415926:1, 27182818:2", first.ExternalID, second.ExternalID)
	}
	calls := f.fake.CallsTo("sendMessage")
	if len(calls) != 2 || calls[0].Param("chat_id") != "31415926" || calls[1].Param("text") != "two" {
		t.Errorf("calls = %+v", calls)
	}

	f.fake.Script("sendMessage", telegramtest.TooManyRequests(3))
	_, err = f.provider.Send(ctx, f.text("31415926", "three"))
	var se *carillon.SendError
	if !errors.As(err, &se) || se.Permanent || se.RetryAfter != 3*time.Second || se.Scope != carillon.ScopeRecipient {
		t.Errorf("after a scripted 429: err = %#v, want a transient error waiting 3s", err)
	}
	if _, err := f.provider.Send(ctx, f.text("31415926", "three")); err != nil {
		t.Errorf("once the script is used up the fake accepts again: %v", err)
	}
}

// The bot's username, read with getMe when the channel is declared, is
// the channel's own address.
func TestReadAddressAgainstFake(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	if got, err := f.provider.ReadAddress(ctx, f.channel); err != nil || got != "carillon_test_bot" {
		t.Errorf("ReadAddress = %q, %v; want carillon_test_bot", got, err)
	}
	f.fake.Script("getMe", telegramtest.OK(map[string]any{"id": 1, "is_bot": true, "first_name": "nameless"}))
	if got, err := f.provider.ReadAddress(ctx, f.channel); err == nil {
		t.Errorf("ReadAddress of a bot without a username = %q, want an error", got)
	}
	wrong := f.channel
	wrong.Settings = map[string]string{"bot_token": "987654321:AAWrongToken", "base_url": f.fake.URL()}
	if _, err := f.provider.ReadAddress(ctx, wrong); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("ReadAddress with an unknown token: err = %v", err)
	}
	f.log.AssertNoSecrets(t, "987654321:AAWrongToken")
}

func TestSendWithUnknownTokenIsPermanent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	out := f.text("31415926", "hi")
	out.Channel.Settings = map[string]string{"bot_token": "987654321:AAWrongToken", "base_url": f.fake.URL()}
	_, err := f.provider.Send(context.Background(), out)
	var se *carillon.SendError
	if !errors.As(err, &se) || !se.Permanent || se.Code != "401" || se.Title != "Unauthorized" {
		t.Fatalf("err = %#v, want a permanent 401 Unauthorized", err)
	}
	f.log.AssertNoSecrets(t, "987654321:AAWrongToken")
}

func TestUnreachableServerKeepsTheTokenOut(t *testing.T) {
	t.Parallel()
	f := setup(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // its port now refuses connections
	f.channel.Settings["base_url"] = closed.URL

	_, err := f.provider.Send(context.Background(), f.text("31415926", "hi"))
	var se *carillon.SendError
	if !errors.As(err, &se) || se.Permanent || se.Code != "network" {
		t.Fatalf("err = %#v, want a transient network error", err)
	}
	if strings.Contains(err.Error(), telegramtest.DefaultToken) || !strings.Contains(err.Error(), "bot<redacted>") {
		t.Errorf("error %q: want the token replaced with <redacted>", err)
	}
	_, _, err = f.provider.FetchMedia(context.Background(), f.channel, carillon.InboundMedia{ID: "x"})
	if err == nil || strings.Contains(err.Error(), telegramtest.DefaultToken) {
		t.Errorf("FetchMedia error %v: want one without the token", err)
	}
	err = f.provider.RegisterCallback(context.Background(), f.channel, "https://carillon.example.com/callbacks/telegram/x")
	if err == nil || strings.Contains(err.Error(), telegramtest.DefaultToken) {
		t.Errorf("RegisterCallback error %v: want one without the token", err)
	}
}

func TestFetchMediaFromFake(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.fake.AddFile("AwACAgQAAxkBAAIBfWd2", "voice/file_4.oga", "", []byte("OggS..."))
	body, contentType, err := f.provider.FetchMedia(context.Background(), f.channel,
		carillon.InboundMedia{ID: "AwACAgQAAxkBAAIBfWd2", MimeType: "audio/ogg"})
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	data, _ := io.ReadAll(body)
	if string(data) != "OggS..." || contentType != "audio/ogg" {
		t.Errorf("got %q as %s, want OggS... as audio/ogg", data, contentType)
	}
	if _, _, err := f.provider.FetchMedia(context.Background(), f.channel, carillon.InboundMedia{ID: "unknown"}); err == nil ||
		!strings.Contains(err.Error(), "invalid file_id") {
		t.Errorf("unknown file: err = %v, want Telegram's invalid file_id", err)
	}
}

// TestWebhookRoundTrip registers the callback, then has the fake deliver an
// update to it the way Telegram would, secret token included.
func TestWebhookRoundTrip(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var (
		mu  sync.Mutex
		got []carillon.CallbackResult
	)
	callbacks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		res, err := f.provider.ParseCallback(f.channel, carillon.Callback{Method: r.Method, Query: r.URL.Query(), Header: r.Header, Body: body})
		var ce *carillon.CallbackError
		if errors.As(err, &ce) {
			http.Error(w, ce.Reason, ce.Status)
			return
		}
		mu.Lock()
		got = append(got, res)
		mu.Unlock()
	}))
	defer callbacks.Close()
	url := callbacks.URL + "/callbacks/telegram/" + f.channel.UUID

	if err := f.provider.RegisterCallback(context.Background(), f.channel, url); err != nil {
		t.Fatal(err)
	}
	gotURL, gotSecret := f.fake.Webhook()
	_, _, allowed := f.fake.WebhookOf(telegramtest.DefaultToken)
	if gotURL != url || gotSecret != testSecret || !slices.Equal(allowed, []string{"message"}) {
		t.Fatalf("webhook = %q, %q, %v; want %q, the channel's secret, [message]", gotURL, gotSecret, allowed, url)
	}

	update := f.fake.TextUpdate(31415926, "Ana", "hola")
	for _, secret := range []string{gotSecret, "forged"} {
		resp, err := f.fake.PostUpdate(context.Background(), gotURL, secret, update)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		want := http.StatusOK
		if secret == "forged" {
			want = http.StatusForbidden
		}
		if resp.StatusCode != want {
			t.Errorf("with secret %q: status %d, want %d", secret, resp.StatusCode, want)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || len(got[0].Messages) != 1 {
		t.Fatalf("callbacks parsed = %+v, want one message", got)
	}
	m := got[0].Messages[0]
	if m.From != "31415926" || m.Content.Text != "hola" || m.ProfileName != "Ana" || !strings.HasPrefix(m.ExternalID, "31415926:") {
		t.Errorf("message = %+v", m)
	}
}
