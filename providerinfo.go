package carillon

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ProviderInfo is what a provider says of itself: the channels it serves
// and the settings it reads. Each provider package describes itself; the
// rules ask a ProviderRegistry, so that nothing outside a provider knows
// its settings.
type ProviderInfo struct {
	// Name is the provider's name in declarations and callback URLs.
	Name string
	// Title is the provider's name as people read it ("WhatsApp Cloud
	// API", "Messenger"): the console writes it in its sentences.
	Title string
	// ChannelTypes are the channel types it serves; none means any.
	ChannelTypes []ChannelType
	// Settings are the channel settings it reads; any other is refused.
	Settings []SettingSpec
	// DefaultMPS is the pace of a channel that sets no mps: messages per
	// second, 0 for unpaced.
	DefaultMPS int
	// CallsBack is set when the network calls carillon at the channel's
	// callback URL.
	CallsBack bool
	// EnforcesWindow, when set, tells whether free-form messages sent on
	// the channel need WhatsApp's 24-hour customer service window; nil
	// means they never do.
	EnforcesWindow func(ch Channel) bool
	// MessageTags are the message tags a free-form message may carry on
	// the provider's channels, by name, with how long after the customer's
	// last message each lets it go (Meta's HUMAN_AGENT: 7 days). A
	// customer who never wrote cannot be written to, tag or not.
	MessageTags map[string]time.Duration
	// NoTemplates is set when the provider's channels send no templates:
	// a template send is refused up front, and the console's composer
	// offers none.
	NoTemplates bool
	// NoCaptions is set when the network's media messages carry no text:
	// a send of a file with content.text is refused up front.
	NoCaptions bool
	// SendTypes, when set, are the only message types the provider's
	// channels send; the others are refused up front.
	SendTypes []string
	// Media are the files the provider's channels send: the console's
	// composer says them, and refuses a file the network would not take.
	Media MediaLimits
	// ReservedAddresses are addresses to which the provider gives a
	// behaviour of its own (the sandbox's reserved numbers), listed for
	// people who try them.
	ReservedAddresses []ReservedAddress
}

// ReservedAddress is an address with a behaviour of its own, in words.
type ReservedAddress struct {
	// Address is written as the network writes it: E.164 digits without
	// "+" for a phone number.
	Address   string
	Behaviour string
}

// SettingSpec describes one channel setting of a provider.
type SettingSpec struct {
	Name string
	// Required settings must be set (an empty value counts as unset).
	Required bool
	// Secret settings are never shown and never logged.
	Secret bool
	// Pasted settings are also given to the network's own console, with
	// the callback URL (WhatsApp's verify token): the console shows them
	// on the channel's page, secret or not.
	Pasted bool
	// Default is written in place of an unset value.
	Default string
	// Generate makes the value of an unset setting: once when the channel
	// is created or moves to this provider, then kept while the setting
	// stays unset (the network was given it).
	Generate func() string
	// Identifies is set on the settings that name the number or bot: a new
	// value points the channel at another one, whose address is learned
	// again.
	Identifies bool
	// Check, when set, returns the value normalised, or an error saying
	// what is wrong with it (never quoting a secret).
	Check func(value string) (string, error)
}

// Setting returns the provider's setting of that name.
func (p ProviderInfo) Setting(name string) (SettingSpec, bool) {
	i := slices.IndexFunc(p.Settings, func(s SettingSpec) bool { return s.Name == name })
	if i < 0 {
		return SettingSpec{}, false
	}
	return p.Settings[i], true
}

// Serves reports whether the provider serves channels of type t.
func (p ProviderInfo) Serves(t ChannelType) bool {
	return len(p.ChannelTypes) == 0 || slices.Contains(p.ChannelTypes, t)
}

// SecretSettings returns the names of the provider's secret settings.
func (p ProviderInfo) SecretSettings() []string {
	var names []string
	for _, s := range p.Settings {
		if s.Secret {
			names = append(names, s.Name)
		}
	}
	return names
}

// SettingMPS is the pace setting every provider reads (MessagesPerSecond).
const SettingMPS = "mps"

// PaceSetting is the mps setting: a whole number of messages per second,
// 0 for unpaced.
func PaceSetting() SettingSpec {
	return SettingSpec{Name: SettingMPS, Check: func(v string) (string, error) {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return "", fmt.Errorf("mps must be a whole number, 0 or more, not %q", v)
		}
		return strconv.Itoa(n), nil
	}}
}

// URLSetting is a setting whose value is an absolute http or https URL
// (a network's API server, a fake of it in tests).
func URLSetting(name string) SettingSpec {
	return SettingSpec{Name: name, Identifies: true, Check: func(v string) (string, error) {
		if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return "", fmt.Errorf("%s must be an absolute http or https URL", name)
		}
		return v, nil
	}}
}

// ProviderRegistry holds the descriptions of the providers carillon runs,
// in the order they were registered.
type ProviderRegistry struct {
	infos []ProviderInfo
}

// NewProviderRegistry returns a registry of the providers. A provider
// without a name, a name registered twice, or a setting described twice
// is a mistake of the wiring, refused at start.
func NewProviderRegistry(infos ...ProviderInfo) (*ProviderRegistry, error) {
	seen := map[string]bool{}
	for _, p := range infos {
		if p.Name == "" {
			return nil, errors.New("a provider has no name")
		}
		if p.Title == "" {
			return nil, fmt.Errorf("provider %q has no title", p.Name)
		}
		if seen[p.Name] {
			return nil, fmt.Errorf("provider %q registered twice", p.Name)
		}
		seen[p.Name] = true
		settings := map[string]bool{}
		for _, s := range p.Settings {
			if s.Name == "" || settings[s.Name] {
				return nil, fmt.Errorf("provider %q: setting %q is empty or described twice", p.Name, s.Name)
			}
			settings[s.Name] = true
		}
	}
	return &ProviderRegistry{infos: slices.Clone(infos)}, nil
}

// Lookup returns the description of the named provider.
func (r *ProviderRegistry) Lookup(name string) (ProviderInfo, bool) {
	if r == nil {
		return ProviderInfo{}, false
	}
	for _, p := range r.infos {
		if p.Name == name {
			return p, true
		}
	}
	return ProviderInfo{}, false
}

// Names returns the providers' names in the order they were registered.
func (r *ProviderRegistry) Names() []string {
	if r == nil {
		return nil
	}
	names := make([]string, len(r.infos))
	for i, p := range r.infos {
		names[i] = p.Name
	}
	return names
}

// DefaultMPS returns each provider's pace when a channel sets none.
func (r *ProviderRegistry) DefaultMPS() map[string]int {
	paces := map[string]int{}
	if r != nil {
		for _, p := range r.infos {
			paces[p.Name] = p.DefaultMPS
		}
	}
	return paces
}

// CheckImplementations reports a provider described with no
// implementation, or implemented with no description: either would fail
// only when a channel of it is used.
func (r *ProviderRegistry) CheckImplementations(impls map[string]Provider) error {
	var errs []error
	for _, name := range r.Names() {
		if impls[name] == nil {
			errs = append(errs, fmt.Errorf("provider %q is described but has no implementation", name))
		}
	}
	for name := range impls {
		if _, ok := r.Lookup(name); !ok {
			errs = append(errs, fmt.Errorf("provider %q is implemented but not described", name))
		}
	}
	return errors.Join(errs...)
}

// MediaLimits are the files a provider's channels send, as the network
// takes them by URL: each kind of media, and the largest file sent as a
// document. A file of no kind, or larger than its kind takes, goes as a
// document; when Document is 0 the network sends no documents
// (Instagram), and such a file is not sent at all.
type MediaLimits struct {
	Kinds    []MediaKind
	Document int64
}

// MediaKind is a message type a network takes files as: the types of file
// (as the media store keeps them) it takes as such, named for people, and
// the largest it takes.
type MediaKind struct {
	Type         string
	ContentTypes []string
	Names        string
	Max          int64
}

// Kind returns the kind of message type typ, nil when the network takes
// no file as that type.
func (l MediaLimits) Kind(typ string) *MediaKind {
	for i := range l.Kinds {
		if l.Kinds[i].Type == typ {
			return &l.Kinds[i]
		}
	}
	return nil
}

// TypeOf is the message type a file of that content type and size goes
// as; "" when the network takes it as none (a document where it sends
// none, or one larger than Largest).
func (l MediaLimits) TypeOf(contentType string, size int64) string {
	base, _, _ := strings.Cut(contentType, ";")
	base = strings.ToLower(strings.TrimSpace(base))
	for _, k := range l.Kinds {
		if slices.Contains(k.ContentTypes, base) && size <= k.Max {
			return k.Type
		}
	}
	if size <= l.Document {
		return TypeDocument
	}
	return ""
}

// Largest is the size of the largest file the network takes, of any kind.
func (l MediaLimits) Largest() int64 {
	n := l.Document
	for _, k := range l.Kinds {
		n = max(n, k.Max)
	}
	return n
}

// ContentTypes are the types of file the network takes as media, and
// none more: empty when it takes any file (as a document).
func (l MediaLimits) ContentTypes() []string {
	if l.Document > 0 {
		return nil
	}
	var out []string
	for _, k := range l.Kinds {
		out = append(out, k.ContentTypes...)
	}
	return out
}
