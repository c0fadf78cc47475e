// Package messenger is the Facebook Messenger provider, and the Meta
// messaging code that the Instagram provider shares with it: both networks
// take messages through Meta's Send API (POST /{id}/messages with a bearer
// token) and call back with the same signed "messaging" webhooks. It
// translates carillon messages into Send API calls, classifies Meta's
// answers, and translates the callbacks into inbound messages, echoes and
// receipts. It keeps no state and touches no store; see
// docs/channels/messenger.md and docs/channels/instagram.md.
package messenger

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
// api_version.
const DefaultAPIVersion = metagraph.DefaultAPIVersion

// DefaultBaseURL is Meta's Graph API, where Messenger's Send API is.
const DefaultBaseURL = metagraph.DefaultBaseURL

// The settings every Meta network reads, whatever it calls its id and token.
const (
	SettingAppSecret   = "app_secret"
	SettingVerifyToken = "verify_token"
	SettingBaseURL     = "base_url"
	SettingAPIVersion  = "api_version"
)

// Messenger's own settings.
const (
	SettingPageID          = "page_id"
	SettingPageAccessToken = "page_access_token"
)

// TagHumanAgent is Meta's HUMAN_AGENT message tag: a person's answer, up to
// 7 days after the customer's last message.
const TagHumanAgent = "HUMAN_AGENT"

// HumanAgentWindow is how long after the customer's last message
// HUMAN_AGENT lets a message go.
const HumanAgentWindow = 7 * 24 * time.Hour

// Network describes one of Meta's messaging networks as the shared code
// needs it: Messenger here, Instagram in provider/instagram.
type Network struct {
	// Name is the provider's name (its callback path), Label the network's
	// name in logs and errors, Title its name as people read it.
	Name, Label, Title string
	// ChannelType is the type of the channels it serves.
	ChannelType carillon.ChannelType
	// IDSetting names the page or account id setting, the path of sends
	// and the entry id of callbacks; TokenSetting the bearer token's.
	IDSetting, TokenSetting string
	// DefaultBaseURL is the Graph host of the network's API.
	DefaultBaseURL string
	// Object is the webhook's "object" ("page", "instagram").
	Object string
	// SendTypes are the message types the network takes.
	SendTypes []string
	// Media are the files it takes by URL, of each type.
	Media carillon.MediaLimits
	// EchoMetadata is set when the Send API carries message.metadata back
	// in the echo (Messenger): the echo of a carillon send is then known
	// by its uuid.
	EchoMetadata bool
	// ProfileFields are the fields of a user's profile read for their
	// name, joined by spaces in order; when all are empty, the fallback
	// field (Instagram's username).
	ProfileFields   []string
	ProfileFallback string
	// DefaultMPS is the pace of a channel that sets none.
	DefaultMPS int
	// IDHelp says where the id setting is found, for errors.
	IDHelp string
}

const mb = 1 << 20

// Messenger is the Facebook Messenger network.
var Messenger = Network{
	Name: carillon.ProviderMessenger, Label: "messenger", Title: "Messenger", ChannelType: carillon.Facebook,
	IDSetting: SettingPageID, TokenSetting: SettingPageAccessToken, DefaultBaseURL: DefaultBaseURL,
	Object:    "page",
	SendTypes: []string{carillon.TypeText, carillon.TypeImage, carillon.TypeVideo, carillon.TypeAudio, carillon.TypeDocument},
	// The Send API's attachments: images up to 8 MB, any other file up
	// to 25 MB.
	Media: carillon.MediaLimits{Document: 25 * mb, Kinds: []carillon.MediaKind{
		{Type: carillon.TypeImage, ContentTypes: []string{"image/jpeg", "image/png", "image/gif"}, Names: "a JPEG, PNG or GIF image", Max: 8 * mb},
		{Type: carillon.TypeVideo, ContentTypes: []string{"video/mp4"}, Names: "an MP4 video", Max: 25 * mb},
		{Type: carillon.TypeAudio, ContentTypes: []string{"audio/aac", "audio/mpeg", "audio/mp4", "audio/wav", "audio/wave", "audio/x-wav"}, Names: "an AAC, MP3, M4A or WAV audio", Max: 25 * mb},
	}},
	EchoMetadata: true, DefaultMPS: 20, ProfileFields: []string{"first_name", "last_name"},
	IDHelp: "the Facebook Page's numeric id (Page → About → Page transparency, or the Messenger settings of the app)",
}

// Options configure a Provider.
type Options struct {
	// HTTPClient makes every Graph API call and media download; nil means
	// a client with a 30-second timeout.
	HTTPClient *http.Client
	// Logger receives the provider's log lines; nil discards them.
	Logger *slog.Logger
}

// Provider is a Meta messaging provider (Messenger, or Instagram through
// NewNetwork). It is safe for concurrent use; every channel's settings
// come with each call.
type Provider struct {
	net    Network
	client *http.Client
	log    *slog.Logger
}

var (
	_ carillon.Provider          = (*Provider)(nil)
	_ carillon.SettingsChecker   = (*Provider)(nil)
	_ carillon.CallbackParser    = (*Provider)(nil)
	_ carillon.MediaFetcher      = (*Provider)(nil)
	_ carillon.AddressReader     = (*Provider)(nil)
	_ carillon.CredentialChecker = (*Provider)(nil)
	_ carillon.ProfileReader     = (*Provider)(nil)
)

// New returns the Messenger provider.
func New(opts Options) *Provider { return NewNetwork(Messenger, opts) }

// NewNetwork returns a provider of one of Meta's messaging networks.
func NewNetwork(net Network, opts Options) *Provider {
	p := &Provider{net: net, client: opts.HTTPClient, log: opts.Logger}
	if p.client == nil {
		p.client = &http.Client{Timeout: 30 * time.Second}
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	return p
}

// Info describes the Messenger provider.
func Info() carillon.ProviderInfo { return NetworkInfo(Messenger) }

// NetworkInfo describes the provider of a Meta network: its settings, the
// 24-hour standard messaging window with HUMAN_AGENT's 7 days, attachments
// without captions, and callbacks.
func NetworkInfo(net Network) carillon.ProviderInfo {
	return carillon.ProviderInfo{
		Name:         net.Name,
		Title:        net.Title,
		ChannelTypes: []carillon.ChannelType{net.ChannelType},
		Settings: []carillon.SettingSpec{
			{Name: net.IDSetting, Required: true, Identifies: true},
			{Name: net.TokenSetting, Required: true, Secret: true},
			{Name: SettingAppSecret, Required: true, Secret: true},
			{Name: SettingVerifyToken, Required: true, Secret: true, Pasted: true},
			carillon.URLSetting(SettingBaseURL),
			{Name: SettingAPIVersion},
			carillon.PaceSetting(),
		},
		DefaultMPS:     net.DefaultMPS,
		CallsBack:      true,
		EnforcesWindow: func(carillon.Channel) bool { return true },
		MessageTags:    map[string]time.Duration{TagHumanAgent: HumanAgentWindow},
		NoCaptions:     true,
		NoTemplates:    true,
		SendTypes:      net.SendTypes,
		Media:          net.Media,
	}
}

// CheckSettings reports what is wrong with a channel's settings: the
// required ones missing, an id that is not numeric, a base_url or
// api_version that cannot be used. Errors name settings, never values.
func (p *Provider) CheckSettings(settings map[string]string) error {
	n := p.net
	var errs []error
	for _, name := range []string{n.IDSetting, n.TokenSetting, SettingAppSecret, SettingVerifyToken} {
		if strings.TrimSpace(settings[name]) == "" {
			errs = append(errs, fmt.Errorf("%s: setting %s is required", n.Label, name))
		}
	}
	if id := settings[n.IDSetting]; id != "" && !IsGraphID(id) {
		errs = append(errs, fmt.Errorf("%s: setting %s must be %s", n.Label, n.IDSetting, n.IDHelp))
	}
	errs = append(errs, metagraph.CheckURLSettings(n.Label, settings, SettingBaseURL, SettingAPIVersion)...)
	return errors.Join(errs...)
}

// IsGraphID reports whether s is a Graph object id or a scoped user id
// (digits). Ids go into URL paths and are addresses, so anything else is
// refused rather than escaped.
func IsGraphID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// graphURL is the URL of a Graph API path for channel ch.
func (p *Provider) graphURL(ch carillon.Channel, segments ...string) string {
	return metagraph.URL(ch.Setting(SettingBaseURL, p.net.DefaultBaseURL), ch.Setting(SettingAPIVersion, DefaultAPIVersion), segments...)
}
