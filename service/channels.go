package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// ChannelSpec is a channel as `carillon apply` or `carillon channels add`
// declares it. The same rules check and write both.
type ChannelSpec struct {
	// UUID, when given, picks the channel to update (and may rename it);
	// otherwise the channel is matched by Title.
	UUID     string
	Title    string
	Type     string
	Provider string
	// Main makes the channel its type's main one in place of the former.
	// False never demotes a main channel: every type keeps one.
	Main bool
	// Discarded marks the channel discarded; false brings it back.
	Discarded bool
	// Settings are the provider's settings, secrets included.
	Settings map[string]string
}

// Problem is one thing wrong with a declared object: the field it is about
// ("settings.mps" for a channel setting; "" for the whole object) and what
// is wrong.
type Problem struct {
	Field   string
	Message string
}

func problemf(field, format string, args ...any) Problem {
	return Problem{Field: field, Message: fmt.Sprintf(format, args...)}
}

// providerSettings lists each provider's setting names, and which ones are
// required.
var providerSettings = map[string]map[string]bool{
	carillon.ProviderSandbox: {"window": false, "mps": false},
	carillon.ProviderWhatsApp: {
		"phone_number_id": true, "business_account_id": false, "access_token": true, "app_secret": true,
		"verify_token": true, "base_url": false, "api_version": false, "mps": false,
	},
	carillon.ProviderTelegram: {"bot_token": true, "webhook_secret": false, "base_url": false, "mps": false},
}

// CheckChannel returns what is wrong with a declared channel, without
// looking at the store. It normalises spec: empty settings are dropped and a
// sandbox channel's window defaults to open.
func CheckChannel(spec *ChannelSpec) []Problem {
	var probs []Problem
	spec.Title = strings.TrimSpace(spec.Title)
	if spec.Title == "" {
		probs = append(probs, problemf("title", "a channel needs a title"))
	}
	if !carillon.ValidChannelType(spec.Type) {
		probs = append(probs, problemf("type", "channel type %q is not one of whatsapp, telegram, facebook, instagram", spec.Type))
	}
	known, ok := providerSettings[spec.Provider]
	if !ok {
		probs = append(probs, problemf("provider", "provider %q is not one of sandbox, whatsapp, telegram", spec.Provider))
		return probs
	}
	if carillon.ValidChannelType(spec.Type) {
		switch {
		case spec.Provider == carillon.ProviderWhatsApp && spec.Type != string(carillon.WhatsApp):
			probs = append(probs, problemf("provider", "the whatsapp provider serves channels of type whatsapp, not %s", spec.Type))
		case spec.Provider == carillon.ProviderTelegram && spec.Type != string(carillon.Telegram):
			probs = append(probs, problemf("provider", "the telegram provider serves channels of type telegram, not %s", spec.Type))
		}
	}
	settings := map[string]string{}
	for _, k := range sortedKeys(spec.Settings) {
		v := strings.TrimSpace(spec.Settings[k])
		if _, ok := known[k]; !ok {
			probs = append(probs, problemf("settings."+k, "unknown setting %q of the %s provider (known: %s)", k, spec.Provider, strings.Join(sortedKeys(known), ", ")))
			continue
		}
		if v == "" {
			continue
		}
		settings[k] = v
		switch k {
		case "window":
			if v != "open" && v != "enforced" {
				probs = append(probs, problemf("settings."+k, "window must be open or enforced, not %q", v))
			}
		case "mps":
			if n, err := strconv.Atoi(v); err != nil || n < 0 {
				probs = append(probs, problemf("settings."+k, "mps must be a whole number, 0 or more, not %q", v))
			} else {
				settings[k] = strconv.Itoa(n)
			}
		case "base_url":
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				probs = append(probs, problemf("settings."+k, "base_url must be an absolute http or https URL"))
			}
		}
	}
	for _, k := range sortedKeys(known) {
		if known[k] && settings[k] == "" {
			probs = append(probs, problemf("settings", "the %s provider needs the setting %s", spec.Provider, k))
		}
	}
	if spec.Provider == carillon.ProviderSandbox && settings["window"] == "" {
		settings["window"] = "open"
	}
	spec.Settings = settings
	return probs
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// newWebhookSecret returns 32 random URL-safe characters.
func newWebhookSecret() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// checkProviderSettings asks the channel's provider, when it checks
// settings, what is wrong with a spec that CheckChannel accepted.
func (s *Service) checkProviderSettings(spec ChannelSpec) []Problem {
	checker, ok := s.providers[spec.Provider].(carillon.SettingsChecker)
	if !ok {
		return nil
	}
	if err := checker.CheckSettings(spec.Settings); err != nil {
		return []Problem{problemf("settings", "%s", err.Error())}
	}
	return nil
}

// CallbackURL returns where the channel's provider calls carillon, "" for
// a sandbox channel, which no provider calls.
func CallbackURL(publicURL string, ch carillon.Channel) string {
	if ch.Provider == carillon.ProviderSandbox {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/callbacks/" + ch.Provider + "/" + ch.UUID
}

// channelWriter declares channels in one transaction; it keeps the
// account's channels as they stand.
type channelWriter struct {
	q         carillon.Queries
	accountID int64
	now       time.Time
	channels  []carillon.Channel
	changes   []string
}

func newChannelWriter(ctx context.Context, q carillon.Queries, accountID int64, now time.Time) (*channelWriter, error) {
	chs, err := q.ListChannels(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &channelWriter{q: q, accountID: accountID, now: now, channels: chs}, nil
}

// byTitle returns the index of the oldest channel with the title, or -1.
func (w *channelWriter) byTitle(title string) int {
	for i, c := range w.channels {
		if c.Title == title {
			return i
		}
	}
	return -1
}

// match returns the index of the channel the spec names, -1 when it names
// none (a new channel), or a problem.
func (w *channelWriter) match(spec ChannelSpec) (int, *Problem) {
	if spec.UUID == "" {
		return w.byTitle(spec.Title), nil
	}
	for i, c := range w.channels {
		if c.UUID == spec.UUID {
			if j := w.byTitle(spec.Title); j >= 0 && j != i {
				p := problemf("title", "another channel (uuid %s) is titled %q", w.channels[j].UUID, spec.Title)
				return 0, &p
			}
			return i, nil
		}
	}
	p := problemf("uuid", "no channel has the uuid %q", spec.UUID)
	return 0, &p
}

// upsert creates or updates the channel that a checked spec declares. A
// problem is returned as *ProblemError.
func (w *channelWriter) upsert(ctx context.Context, spec ChannelSpec) (carillon.Channel, error) {
	i, p := w.match(spec)
	if p != nil {
		return carillon.Channel{}, &ProblemError{Problems: []Problem{*p}}
	}
	settings := make(map[string]string, len(spec.Settings)+1)
	for k, v := range spec.Settings {
		settings[k] = v
	}
	typ := carillon.ChannelType(spec.Type)
	if i < 0 {
		if spec.Provider == carillon.ProviderTelegram && settings["webhook_secret"] == "" {
			settings["webhook_secret"] = newWebhookSecret()
		}
		ch := carillon.Channel{
			UUID: carillon.NewUUID(), AccountID: w.accountID, Title: spec.Title, Type: typ, Provider: spec.Provider,
			Main: spec.Main || !w.hasMain(typ, -1), Settings: settings, CreatedAt: w.now, UpdatedAt: w.now,
		}
		if spec.Discarded {
			ch.DiscardedAt = w.now
		}
		if ch.Main {
			if err := w.demoteOthers(ctx, typ, -1); err != nil {
				return ch, err
			}
		}
		if err := w.q.CreateChannel(ctx, &ch); err != nil {
			return ch, err
		}
		w.channels = append(w.channels, ch)
		w.changes = append(w.changes, fmt.Sprintf("created channel %s (uuid %s)", ch.Title, ch.UUID))
		return ch, nil
	}
	old := w.channels[i]
	ch := old
	if spec.Provider == carillon.ProviderTelegram && settings["webhook_secret"] == "" {
		// Keep the generated secret: Telegram was given it.
		if s := old.Settings["webhook_secret"]; old.Provider == carillon.ProviderTelegram && s != "" {
			settings["webhook_secret"] = s
		} else {
			settings["webhook_secret"] = newWebhookSecret()
		}
	}
	var what []string
	if ch.Title != spec.Title {
		ch.Title, what = spec.Title, append(what, "title")
	}
	if ch.Type != typ {
		ch.Type, what = typ, append(what, "type")
	}
	if ch.Provider != spec.Provider {
		ch.Provider, what = spec.Provider, append(what, "provider")
	}
	if !equalSettings(ch.Settings, settings) {
		ch.Settings, what = settings, append(what, "settings")
	}
	if spec.Discarded != !ch.Active() {
		if spec.Discarded {
			ch.DiscardedAt = w.now
		} else {
			ch.DiscardedAt = time.Time{}
		}
		what = append(what, "discarded")
	}
	// A channel that changes type hands its old type's main role to the
	// oldest other channel of that type; it is main of its new type when
	// asked, or when that type has none.
	if ch.Type != old.Type && old.Main {
		if err := w.promoteOldest(ctx, old.Type, i); err != nil {
			return ch, err
		}
	}
	wantMain := spec.Main || (old.Main && ch.Type == old.Type) || !w.hasMain(ch.Type, i)
	if ch.Main != wantMain {
		ch.Main, what = wantMain, append(what, "main")
	}
	if ch.Main {
		if err := w.demoteOthers(ctx, ch.Type, i); err != nil {
			return ch, err
		}
	}
	if len(what) == 0 {
		return ch, nil
	}
	ch.UpdatedAt = w.now
	if err := w.q.UpdateChannel(ctx, &ch); err != nil {
		return ch, err
	}
	w.channels[i] = ch
	w.changes = append(w.changes, fmt.Sprintf("updated channel %s: %s", ch.Title, strings.Join(what, ", ")))
	return ch, nil
}

// hasMain reports whether a channel of the type other than the one at
// index skip is main.
func (w *channelWriter) hasMain(typ carillon.ChannelType, skip int) bool {
	for i, c := range w.channels {
		if i != skip && c.Type == typ && c.Main {
			return true
		}
	}
	return false
}

// demoteOthers makes every channel of the type but the one at index keep
// no longer main.
func (w *channelWriter) demoteOthers(ctx context.Context, typ carillon.ChannelType, keep int) error {
	for i, c := range w.channels {
		if i == keep || c.Type != typ || !c.Main {
			continue
		}
		c.Main, c.UpdatedAt = false, w.now
		if err := w.q.UpdateChannel(ctx, &c); err != nil {
			return err
		}
		w.channels[i] = c
		w.changes = append(w.changes, fmt.Sprintf("updated channel %s: main", c.Title))
	}
	return nil
}

// promoteOldest makes the oldest channel of the type, but the one at index
// skip, its main one.
func (w *channelWriter) promoteOldest(ctx context.Context, typ carillon.ChannelType, skip int) error {
	for i, c := range w.channels {
		if i == skip || c.Type != typ {
			continue
		}
		c.Main, c.UpdatedAt = true, w.now
		if err := w.q.UpdateChannel(ctx, &c); err != nil {
			return err
		}
		w.channels[i] = c
		w.changes = append(w.changes, fmt.Sprintf("updated channel %s: main", c.Title))
		return nil
	}
	return nil
}

func equalSettings(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// ProblemError is a refused declaration of one channel.
type ProblemError struct {
	Problems []Problem
}

func (e *ProblemError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Message
	}
	return strings.Join(msgs, "; ")
}

// AddChannel creates the channel a spec declares, or updates the one with
// its title (or uuid), with the rules of one channels entry of apply. It
// returns the channel and a line per object changed.
func (s *Service) AddChannel(ctx context.Context, accountID int64, spec ChannelSpec) (carillon.Channel, []string, error) {
	probs := CheckChannel(&spec)
	if len(probs) == 0 {
		probs = s.checkProviderSettings(spec)
	}
	if len(probs) > 0 {
		return carillon.Channel{}, nil, &ProblemError{Problems: probs}
	}
	var ch carillon.Channel
	var changes []string
	err := s.store.InTx(ctx, func(q carillon.Queries) error {
		w, err := newChannelWriter(ctx, q, accountID, s.clock.Now())
		if err != nil {
			return err
		}
		ch, err = w.upsert(ctx, spec)
		changes = w.changes
		return err
	})
	if err != nil {
		return carillon.Channel{}, nil, err
	}
	return ch, changes, nil
}
