package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
)

// checkProviderSettings asks the channel's provider, when it checks
// settings, what is wrong with a spec that CheckChannel accepted.
func (s *Resources) checkProviderSettings(spec declaration.ChannelSpec) []declaration.FieldProblem {
	checker, ok := s.providers[spec.Provider].(carillon.SettingsChecker)
	if !ok {
		return nil
	}
	if err := checker.CheckSettings(spec.Settings); err != nil {
		return []declaration.FieldProblem{declaration.FieldProblemf("settings", "%s", err.Error())}
	}
	return nil
}

// CallbackURL returns where the channel's provider calls carillon, "" for
// a channel of a provider that is never called back (the sandbox).
func (s *core) CallbackURL(publicURL string, ch carillon.Channel) string {
	if info, ok := s.registry.Lookup(ch.Provider); !ok || !info.CallsBack {
		return ""
	}
	return strings.TrimRight(publicURL, "/") + "/callbacks/" + ch.Provider + "/" + ch.UUID
}

// enforcesWindow reports whether free-form messages on the channel need
// the 24-hour customer service window, as its provider describes.
func (s *core) enforcesWindow(ch carillon.Channel) bool {
	info, ok := s.registry.Lookup(ch.Provider)
	return ok && info.EnforcesWindow != nil && info.EnforcesWindow(ch)
}

// checkCredentials asks the network of a declared channel whose provider
// checks credentials (carillon.CredentialChecker) whether it takes them:
// its refusal is returned, and the declaration is refused before anything
// is written. It is called outside any transaction.
func (s *core) checkCredentials(ctx context.Context, spec declaration.ChannelSpec) error {
	checker, ok := s.providers[spec.Provider].(carillon.CredentialChecker)
	if !ok || spec.Discarded {
		return nil
	}
	ch := carillon.Channel{UUID: spec.UUID, Title: spec.Title, Type: carillon.ChannelType(spec.Type), Provider: spec.Provider, Settings: spec.Settings}
	if err := checker.CheckCredentials(ctx, ch); err != nil {
		return fmt.Errorf("%s refused these settings: %v", spec.Provider, err)
	}
	return nil
}

// channelWriter declares channels in one transaction; it keeps the
// account's channels as they stand.
type channelWriter struct {
	providers *carillon.ProviderRegistry
	q         carillon.Queries
	accountID int64
	now       time.Time
	channels  []carillon.Channel
	changes   []string
}

func newChannelWriter(ctx context.Context, providers *carillon.ProviderRegistry, q carillon.Queries, accountID int64, now time.Time) (*channelWriter, error) {
	chs, err := q.AllChannels(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return &channelWriter{providers: providers, q: q, accountID: accountID, now: now, channels: chs}, nil
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
func (w *channelWriter) match(spec declaration.ChannelSpec) (int, *declaration.FieldProblem) {
	if spec.UUID == "" {
		return w.byTitle(spec.Title), nil
	}
	for i, c := range w.channels {
		if c.UUID == spec.UUID {
			if j := w.byTitle(spec.Title); j >= 0 && j != i {
				p := declaration.FieldProblemf("title", "another channel (uuid %s) is titled %q", w.channels[j].UUID, spec.Title)
				return 0, &p
			}
			return i, nil
		}
	}
	p := declaration.FieldProblemf("uuid", "no channel has the uuid %q", spec.UUID)
	return 0, &p
}

// upsert creates or updates the channel that a checked spec declares. A
// problem is returned as *ProblemError.
func (w *channelWriter) upsert(ctx context.Context, spec declaration.ChannelSpec) (carillon.Channel, error) {
	i, p := w.match(spec)
	if p != nil {
		return carillon.Channel{}, &ProblemError{Problems: []declaration.FieldProblem{*p}}
	}
	settings := make(map[string]string, len(spec.Settings)+1)
	for k, v := range spec.Settings {
		settings[k] = v
	}
	typ := carillon.ChannelType(spec.Type)
	info, _ := w.providers.Lookup(spec.Provider)
	if i < 0 {
		generateSettings(info, settings, nil)
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
	if old.Provider == spec.Provider {
		generateSettings(info, settings, old.Settings)
	} else {
		generateSettings(info, settings, nil)
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
	if ch.Address != "" && (ch.Provider != old.Provider || namesAnotherAccount(info, old.Settings, ch.Settings)) {
		// The number or bot learned belongs to the former settings: it is
		// learned again (LearnAddress, or the next callback).
		if err := w.q.SetChannelAddress(ctx, ch.ID, ""); err != nil {
			return ch, err
		}
		ch.Address = ""
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

// defaultSettings returns the settings of a new channel of the named
// provider declared with none: the defaults its description gives.
func defaultSettings(providers *carillon.ProviderRegistry, name string) map[string]string {
	settings := map[string]string{}
	info, _ := providers.Lookup(name)
	for _, spec := range info.Settings {
		if spec.Default != "" {
			settings[spec.Name] = spec.Default
		}
	}
	return settings
}

// generateSettings fills the unset settings that the provider generates:
// with their value in kept (the channel's settings before, of the same
// provider) when there is one, since the network was given it; else with
// a new one.
func generateSettings(info carillon.ProviderInfo, settings, kept map[string]string) {
	for _, spec := range info.Settings {
		if spec.Generate == nil || settings[spec.Name] != "" {
			continue
		}
		if v := kept[spec.Name]; v != "" {
			settings[spec.Name] = v
		} else {
			settings[spec.Name] = spec.Generate()
		}
	}
}

// namesAnotherAccount reports whether new settings point the channel at
// another number or bot of its network than old did: whether a setting
// its provider marks as identifying changed.
func namesAnotherAccount(info carillon.ProviderInfo, old, new map[string]string) bool {
	for _, spec := range info.Settings {
		if spec.Identifies && old[spec.Name] != new[spec.Name] {
			return true
		}
	}
	return false
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
	Problems []declaration.FieldProblem
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
func (s *Resources) AddChannel(ctx context.Context, accountID int64, spec declaration.ChannelSpec) (carillon.Channel, []string, error) {
	probs := declaration.CheckChannel(s.registry, &spec)
	if len(probs) == 0 {
		probs = s.checkProviderSettings(spec)
	}
	if len(probs) > 0 {
		return carillon.Channel{}, nil, &ProblemError{Problems: probs}
	}
	if err := s.checkCredentials(ctx, spec); err != nil {
		return carillon.Channel{}, nil, &ProblemError{Problems: []declaration.FieldProblem{declaration.FieldProblemf("settings", "%s", err.Error())}}
	}
	var ch carillon.Channel
	var changes []string
	err := s.inTx(ctx, func(q carillon.Queries) error {
		w, err := newChannelWriter(ctx, s.registry, q, accountID, s.clock.Now())
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
