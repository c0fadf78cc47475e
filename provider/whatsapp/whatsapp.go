// Package whatsapp is the WhatsApp Cloud API provider: it translates carillon
// messages into Graph API calls, classifies the answers, and translates
// Meta's webhook callbacks into inbound messages and receipts. It keeps no
// state and touches no store; see docs/channels/whatsapp.md.
package whatsapp

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/provider/metagraph"
)

// DefaultAPIVersion is the Graph API version used when a channel sets no
// api_version. docs/channels/whatsapp.md names it too.
const DefaultAPIVersion = metagraph.DefaultAPIVersion

// DefaultBaseURL is Meta's Graph API.
const DefaultBaseURL = metagraph.DefaultBaseURL

// The channel settings the provider reads.
const (
	SettingPhoneNumberID     = "phone_number_id"
	SettingBusinessAccountID = "business_account_id"
	SettingAccessToken       = "access_token"
	SettingAppSecret         = "app_secret"
	SettingVerifyToken       = "verify_token"
	SettingBaseURL           = "base_url"
	SettingAPIVersion        = "api_version"
)

// Options configure a Provider.
type Options struct {
	// HTTPClient makes every Graph API call, media downloads included;
	// nil means a client with a 30-second timeout.
	HTTPClient *http.Client
	// Logger receives the provider's log lines; nil discards them.
	Logger *slog.Logger
}

// Provider is the WhatsApp Cloud API provider. It is safe for concurrent
// use; every channel's settings come with each call.
type Provider struct {
	client *http.Client
	log    *slog.Logger
}

var (
	_ carillon.Provider        = (*Provider)(nil)
	_ carillon.SettingsChecker = (*Provider)(nil)
	_ carillon.CallbackParser  = (*Provider)(nil)
	_ carillon.MediaFetcher    = (*Provider)(nil)
	_ carillon.TemplateSource  = (*Provider)(nil)
)

// New returns a provider.
func New(opts Options) *Provider {
	p := &Provider{client: opts.HTTPClient, log: opts.Logger}
	if p.client == nil {
		p.client = &http.Client{Timeout: 30 * time.Second}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// CheckSettings reports what is wrong with a WhatsApp channel's settings:
// the required ones missing, a base_url or api_version that cannot be used.
// The error names settings, never their values.
func CheckSettings(settings map[string]string) error {
	var errs []error
	for _, name := range []string{SettingPhoneNumberID, SettingAccessToken, SettingAppSecret, SettingVerifyToken} {
		if strings.TrimSpace(settings[name]) == "" {
			errs = append(errs, fmt.Errorf("whatsapp: setting %s is required", name))
		}
	}
	if id := settings[SettingPhoneNumberID]; id != "" && !isGraphID(id) {
		errs = append(errs, fmt.Errorf("whatsapp: setting %s must be the numeric id shown in WhatsApp → API Setup", SettingPhoneNumberID))
	}
	if id := settings[SettingBusinessAccountID]; id != "" && !isGraphID(id) {
		errs = append(errs, fmt.Errorf("whatsapp: setting %s must be the numeric id shown in WhatsApp → API Setup", SettingBusinessAccountID))
	}
	errs = append(errs, metagraph.CheckURLSettings("whatsapp", settings, SettingBaseURL, SettingAPIVersion)...)
	return errors.Join(errs...)
}

// isGraphID reports whether s looks like a Graph object id (digits). Ids go
// into URL paths, so anything else is refused rather than escaped.
func isGraphID(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// graphURL is the URL of a Graph API path (segments joined with "/") for
// channel ch.
func graphURL(ch carillon.Channel, segments ...string) string {
	return metagraph.URL(ch.Setting(SettingBaseURL, DefaultBaseURL), ch.Setting(SettingAPIVersion, DefaultAPIVersion), segments...)
}

// CheckSettings checks a channel's settings (carillon.SettingsChecker).
func (p *Provider) CheckSettings(settings map[string]string) error { return CheckSettings(settings) }

// Info describes the provider: it serves WhatsApp channels, paced at 80
// messages per second (Cloud API's default throughput), under the 24-hour
// customer service window, and Meta calls carillon back.
func Info() carillon.ProviderInfo {
	return carillon.ProviderInfo{
		Name:         carillon.ProviderWhatsApp,
		Title:        "WhatsApp Cloud API",
		ChannelTypes: []carillon.ChannelType{carillon.WhatsApp},
		Settings: []carillon.SettingSpec{
			{Name: SettingPhoneNumberID, Required: true, Identifies: true},
			{Name: SettingBusinessAccountID},
			{Name: SettingAccessToken, Required: true, Secret: true},
			{Name: SettingAppSecret, Required: true, Secret: true},
			{Name: SettingVerifyToken, Required: true, Secret: true, Pasted: true},
			carillon.URLSetting(SettingBaseURL),
			{Name: SettingAPIVersion},
			carillon.PaceSetting(),
		},
		DefaultMPS:     80,
		CallsBack:      true,
		EnforcesWindow: func(carillon.Channel) bool { return true },
		Media:          Media,
	}
}

const mb = 1 << 20

// Media are the WhatsApp Cloud API's media types and sizes for a file sent
// by its URL.
var Media = carillon.MediaLimits{Document: 100 * mb, Kinds: []carillon.MediaKind{
	{Type: carillon.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, Names: "a JPEG or PNG image", Max: 5 * mb},
	{Type: carillon.TypeVideo, ContentTypes: []string{"video/mp4", "video/3gpp"}, Names: "an MP4 or 3GPP video", Max: 16 * mb},
	{Type: carillon.TypeAudio, ContentTypes: []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, Names: "an AAC, AMR, MP3, M4A or Ogg audio", Max: 16 * mb},
}}
