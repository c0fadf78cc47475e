// Package telegram is the provider of Telegram bots, through the Bot API
// (https://core.telegram.org/bots/api). It is a pure translator: a message
// in, a Bot API call out, its answer classified; an Update in, an inbound
// message out. It keeps nothing and touches no store.
//
// The bot token travels in the URL path of every call
// (<base_url>/bot<token>/<method>), and Go's net/http quotes the URL in its
// errors: every error string and log line of this package has the token
// replaced with "<redacted>" before it leaves.
package telegram

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// DefaultBaseURL is the Bot API server of Telegram.
const DefaultBaseURL = "https://api.telegram.org"

// The channel settings the provider reads.
const (
	SettingBotToken      = "bot_token"
	SettingWebhookSecret = "webhook_secret"
	SettingBaseURL       = "base_url"
)

// SecretTokenHeader is the header in which Telegram repeats the secret_token
// given to setWebhook on every update it posts.
const SecretTokenHeader = "X-Telegram-Bot-Api-Secret-Token"

// maxAnswerSize bounds a Bot API answer read into memory: a Message is a few
// KiB; anything much larger is not the Bot API talking.
const maxAnswerSize = 1 << 20

var (
	// botTokenPattern is the shape of the token @BotFather hands out: the
	// bot's numeric id, a colon, then the secret part.
	botTokenPattern = regexp.MustCompile(`^[0-9]+:[A-Za-z0-9_-]+$`)
	// webhookSecretPattern is what setWebhook accepts as secret_token.
	webhookSecretPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)
)

// Options configure a Provider.
type Options struct {
	// HTTPClient makes the Bot API calls; default: a client with a 60-second
	// timeout (sendPhoto and friends make Telegram download the file from
	// its URL before answering).
	HTTPClient *http.Client
	// Logger gets the calls' outcomes; default: slog.Default().
	Logger *slog.Logger
}

// Provider is the Telegram Bot API provider. One Provider serves every
// Telegram channel: the bot's token and secrets come from each channel's
// settings.
type Provider struct {
	client *http.Client
	log    *slog.Logger
}

// New returns a Telegram provider.
func New(o Options) *Provider {
	p := &Provider{client: o.HTTPClient, log: o.Logger}
	if p.client == nil {
		p.client = &http.Client{Timeout: 60 * time.Second}
	}
	if p.log == nil {
		p.log = slog.Default()
	}
	return p
}

// CheckSettings reports what is wrong with a Telegram channel's settings:
// bot_token is required and shaped like "<digits>:<token>"; webhook_secret,
// when set (an empty value counts as absent, as for every setting), must be what setWebhook accepts (1 to 256 characters of
// A-Z, a-z, 0-9, _ and -); base_url, when set, must be an absolute http(s)
// URL. The error never quotes a secret.
func CheckSettings(settings map[string]string) error {
	token := settings[SettingBotToken]
	if token == "" {
		return errors.New("bot_token is required: the token @BotFather gave the bot")
	}
	if !botTokenPattern.MatchString(token) {
		return errors.New(`bot_token is not a Bot API token: it looks like "123456789:AAE…", the bot's id, a colon, then letters, digits, _ and -`)
	}
	if secret := settings[SettingWebhookSecret]; secret != "" && !webhookSecretPattern.MatchString(secret) {
		return errors.New("webhook_secret must be 1 to 256 characters of A-Z, a-z, 0-9, _ and - (leave it out to have one generated)")
	}
	if base := settings[SettingBaseURL]; base != "" {
		u, err := url.Parse(base)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("base_url %q is not an absolute http(s) URL", base)
		}
	}
	return nil
}

// NewWebhookSecret returns a random webhook secret, for a channel created
// without one: 32 characters of base64url (192 random bits), all in the
// charset setWebhook accepts.
func NewWebhookSecret() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails (crypto/rand documents it)
	return base64.RawURLEncoding.EncodeToString(b)
}

// bot is one channel's Bot API access, read from its settings.
type bot struct {
	baseURL string
	token   string
	channel string // the channel's uuid, for the log
}

func botOf(ch carillon.Channel) (bot, error) {
	b := bot{
		baseURL: strings.TrimRight(ch.Setting(SettingBaseURL, DefaultBaseURL), "/"),
		token:   ch.Settings[SettingBotToken],
		channel: ch.UUID,
	}
	if !botTokenPattern.MatchString(b.token) {
		// Also keeps a token with '/', '?' or '#' from rewriting the URL.
		return bot{}, errors.New("the channel's bot_token is missing or malformed")
	}
	return b, nil
}

func (b bot) methodURL(method string) string { return b.baseURL + "/bot" + b.token + "/" + method }

func (b bot) fileURL(path string) string { return b.baseURL + "/file/bot" + b.token + "/" + path }

// redact replaces the bot token in s (an error string, a URL) with
// "<redacted>", so that "bot123:AAE…" reads "bot<redacted>".
func (b bot) redact(s string) string {
	if b.token == "" {
		return s
	}
	s = strings.ReplaceAll(s, b.token, "<redacted>")
	// A URL printed fully escaped writes the token's colon as %3A (the
	// token's other characters never need escaping).
	for _, colon := range []string{"%3A", "%3a"} {
		s = strings.ReplaceAll(s, strings.ReplaceAll(b.token, ":", colon), "<redacted>")
	}
	// The part after the colon is the secret one: caught wherever it shows
	// without the bot's id.
	if _, secret, ok := strings.Cut(b.token, ":"); ok && secret != "" {
		s = strings.ReplaceAll(s, secret, "<redacted>")
	}
	return s
}

// transportError is a call that got no answer: the connection failed, timed
// out or was cut. Its text has the token redacted; it deliberately does not
// wrap net/http's error, whose text quotes the URL and so the token. It
// wraps the context's error when the caller gave up.
type transportError struct {
	method string
	text   string
	ctxErr error
}

func (e *transportError) Error() string { return "telegram " + e.method + ": " + e.text }

func (e *transportError) Unwrap() error { return e.ctxErr }

// apiError is an answer with ok false.
type apiError struct {
	method      string
	code        int
	description string
}

func (e *apiError) Error() string {
	return fmt.Sprintf("telegram %s: %d %s", e.method, e.code, e.description)
}

// reply is a Bot API call's outcome when an HTTP answer came.
type reply struct {
	status int    // the HTTP status
	raw    []byte // the body as it came
	answer answer
	// parsed is false when the body was not a Bot API answer (a proxy's
	// error page, say).
	parsed bool
}

// call posts params as JSON to a Bot API method. The error is a
// *transportError when no answer came; an answer with ok false is returned
// as a reply, for the caller to classify.
func (p *Provider) call(ctx context.Context, b bot, method string, params any) (reply, error) {
	body, err := json.Marshal(params)
	if err != nil {
		return reply{}, fmt.Errorf("telegram %s: %w", method, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.methodURL(method), bytes.NewReader(body))
	if err != nil {
		return reply{}, &transportError{method: method, text: b.redact(err.Error())}
	}
	req.Header.Set("Content-Type", "application/json")
	start := time.Now()
	resp, err := p.client.Do(req)
	if err != nil {
		return reply{}, p.transportFailure(ctx, b, method, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize))
	if err != nil {
		return reply{}, p.transportFailure(ctx, b, method, err)
	}
	r := reply{status: resp.StatusCode, raw: raw}
	r.parsed = json.Unmarshal(raw, &r.answer) == nil && (r.answer.OK || r.answer.ErrorCode != 0)
	p.log.LogAttrs(ctx, slog.LevelDebug, "telegram call",
		slog.String("channel", b.channel), slog.String("method", method),
		slog.Int("status", resp.StatusCode), slog.Bool("ok", r.answer.OK),
		slog.Duration("duration", time.Since(start)))
	return r, nil
}

// transportFailure logs and returns a call that got no answer.
func (p *Provider) transportFailure(ctx context.Context, b bot, method string, err error) error {
	e := &transportError{method: method, text: b.redact(err.Error()), ctxErr: ctx.Err()}
	p.log.LogAttrs(ctx, slog.LevelWarn, "telegram call failed",
		slog.String("channel", b.channel), slog.String("method", method), slog.String("error", e.text))
	return e
}

// result decodes a successful call's result into v, or returns the error
// the answer carried.
func (r reply) result(b bot, method string, v any) error {
	if !r.parsed {
		return fmt.Errorf("telegram %s: HTTP %d with a body that is not a Bot API answer", method, r.status)
	}
	if !r.answer.OK {
		return &apiError{method: method, code: r.answer.ErrorCode, description: b.redact(r.answer.Description)}
	}
	if err := json.Unmarshal(r.answer.Result, v); err != nil {
		return fmt.Errorf("telegram %s: unexpected result: %w", method, err)
	}
	return nil
}

// RegisterCallback points the bot's webhook at callbackURL with setWebhook,
// with the channel's webhook secret as secret_token so that ParseCallback
// can tell Telegram's calls from forgeries. Only message updates are asked
// for; updates already pending are kept.
func (p *Provider) RegisterCallback(ctx context.Context, ch carillon.Channel, callbackURL string) error {
	b, err := botOf(ch)
	if err != nil {
		return fmt.Errorf("telegram setWebhook: %w", err)
	}
	secret := ch.Settings[SettingWebhookSecret]
	if !webhookSecretPattern.MatchString(secret) {
		return errors.New("telegram setWebhook: the channel has no valid webhook_secret (generate one with NewWebhookSecret)")
	}
	r, err := p.call(ctx, b, "setWebhook", map[string]any{
		"url":                  callbackURL,
		"secret_token":         secret,
		"allowed_updates":      []string{"message"},
		"drop_pending_updates": false,
	})
	if err != nil {
		return err
	}
	var done bool
	if err := r.result(b, "setWebhook", &done); err != nil {
		return err
	}
	if !done {
		return errors.New("telegram setWebhook: the Bot API answered ok with result false")
	}
	return nil
}

// usernamePattern is what Telegram allows in a username (5 to 32
// characters; bots' end in "bot").
var usernamePattern = regexp.MustCompile(`^[A-Za-z0-9_]{5,32}$`)

// ReadAddress asks getMe for the bot's username, the channel's own address
// (written without "@", as the Bot API writes it).
func (p *Provider) ReadAddress(ctx context.Context, ch carillon.Channel) (string, error) {
	b, err := botOf(ch)
	if err != nil {
		return "", fmt.Errorf("telegram getMe: %w", err)
	}
	r, err := p.call(ctx, b, "getMe", map[string]any{})
	if err != nil {
		return "", err
	}
	var me struct {
		Username string `json:"username"`
	}
	if err := r.result(b, "getMe", &me); err != nil {
		return "", err
	}
	if !usernamePattern.MatchString(me.Username) {
		return "", errors.New("telegram getMe: the bot has no username")
	}
	return me.Username, nil
}

// The interfaces the provider implements.
var (
	_ carillon.Provider          = (*Provider)(nil)
	_ carillon.SettingsChecker   = (*Provider)(nil)
	_ carillon.CallbackParser    = (*Provider)(nil)
	_ carillon.MediaFetcher      = (*Provider)(nil)
	_ carillon.CallbackRegistrar = (*Provider)(nil)
	_ carillon.AddressReader     = (*Provider)(nil)
)

// CheckSettings checks a channel's settings (carillon.SettingsChecker).
func (p *Provider) CheckSettings(settings map[string]string) error { return CheckSettings(settings) }

// Info describes the provider: it serves Telegram channels, paced at 30
// messages per second (the Bot API's broadcast limit), and Telegram calls
// carillon back with a webhook_secret generated when none is given.
func Info() carillon.ProviderInfo {
	return carillon.ProviderInfo{
		Name:         carillon.ProviderTelegram,
		Title:        "Telegram",
		ChannelTypes: []carillon.ChannelType{carillon.Telegram},
		Settings: []carillon.SettingSpec{
			{Name: SettingBotToken, Required: true, Secret: true, Identifies: true},
			{Name: SettingWebhookSecret, Secret: true, Generate: NewWebhookSecret},
			carillon.URLSetting(SettingBaseURL),
			carillon.PaceSetting(),
		},
		DefaultMPS: 30,
		CallsBack:  true,
		// The Bot API's limits on a file given by URL: 5 MB for a photo,
		// 20 MB for another file.
		Media: carillon.MediaLimits{Document: 20 << 20, Kinds: []carillon.MediaKind{
			{Type: carillon.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, Names: "a JPEG or PNG image", Max: 5 << 20},
			{Type: carillon.TypeVideo, ContentTypes: []string{"video/mp4"}, Names: "an MP4 video", Max: 20 << 20},
			{Type: carillon.TypeAudio, ContentTypes: []string{"audio/mpeg", "audio/mp4"}, Names: "an MP3 or M4A audio", Max: 20 << 20},
		}},
	}
}
