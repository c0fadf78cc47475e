package service

import (
	"context"
	"errors"
	"maps"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
)

// ChannelForm is a channel as a person fills in the console's form: the
// fields of a ChannelSpec, where a secret setting left blank on an existing
// channel keeps its stored value (a form never shows a secret back).
type ChannelForm struct {
	// UUID names the channel to change; "" adds one.
	UUID      string
	Title     string
	Type      string
	Provider  string
	Main      bool
	Discarded bool
	Settings  map[string]string
}

// ConnectChannel declares the channel of a form with the rules of one
// `carillon channels add` (AddChannel: the provider's description, its own
// check of the settings, the match and the write), after asking the
// network whether the settings work: the provider reads the channel's
// number or bot with them (carillon.AddressReader), and a refusal (a wrong
// token, an unknown number id) refuses the form with the network's reason
// before anything is written. A discarded channel is not asked for.
//
// A form without a uuid adds a channel: a title another channel has is
// refused rather than that channel replaced. It returns the channel saved
// and a line per object changed; a refusal is a *ProblemError naming the
// field at fault.
func (s *Resources) ConnectChannel(ctx context.Context, p Principal, f ChannelForm) (carillon.Channel, []string, error) {
	spec := declaration.ChannelSpec{UUID: f.UUID, Title: f.Title, Type: f.Type, Provider: f.Provider, Main: f.Main,
		Discarded: f.Discarded, Settings: maps.Clone(f.Settings)}
	if spec.Settings == nil {
		spec.Settings = map[string]string{}
	}
	channels, err := s.store.AllChannels(ctx, p.Account.ID)
	if err != nil {
		return carillon.Channel{}, nil, s.internal(ctx, "list channels", err)
	}
	if err := keepStoredSecrets(s.registry, channels, &spec); err != nil {
		return carillon.Channel{}, nil, err
	}
	probs := declaration.CheckChannel(s.registry, &spec)
	if len(probs) == 0 {
		probs = s.checkProviderSettings(spec)
	}
	if len(probs) > 0 {
		return carillon.Channel{}, nil, &ProblemError{Problems: probs}
	}
	if err := s.askNetwork(ctx, spec); err != nil {
		return carillon.Channel{}, nil, err
	}
	ch, changes, err := s.AddChannel(ctx, p.Account.ID, spec)
	if pe := (*ProblemError)(nil); errors.As(err, &pe) {
		return carillon.Channel{}, nil, pe
	}
	if err != nil {
		return carillon.Channel{}, nil, s.internal(ctx, "save channel", err)
	}
	return ch, changes, nil
}

// keepStoredSecrets fills the blank secret settings of a form that names a
// channel with the channel's stored ones (of the same provider), and
// refuses a new channel whose title another has.
func keepStoredSecrets(registry *carillon.ProviderRegistry, channels []carillon.Channel, spec *declaration.ChannelSpec) error {
	if spec.UUID == "" {
		for _, c := range channels {
			if c.Title == spec.Title {
				return &ProblemError{Problems: []declaration.FieldProblem{declaration.FieldProblemf("title",
					"another channel is titled %q: give this one another title, or edit that one", spec.Title)}}
			}
		}
		return nil
	}
	for _, c := range channels {
		if c.UUID != spec.UUID {
			continue
		}
		if c.Provider != spec.Provider {
			return nil
		}
		info, _ := registry.Lookup(spec.Provider)
		for _, name := range info.SecretSettings() {
			if spec.Settings[name] == "" && c.Settings[name] != "" {
				spec.Settings[name] = c.Settings[name]
			}
		}
		return nil
	}
	return carillon.NotFound("channel")
}

// askNetwork reads the channel's own address with the spec's settings,
// when its provider can: the provider's live check of the credentials.
func (s *Resources) askNetwork(ctx context.Context, spec declaration.ChannelSpec) error {
	reader, ok := s.providers[spec.Provider].(carillon.AddressReader)
	if _, checks := s.providers[spec.Provider].(carillon.CredentialChecker); !ok || checks || spec.Discarded {
		// A provider that checks credentials is asked by AddChannel.
		return nil
	}
	candidate := carillon.Channel{UUID: spec.UUID, Title: spec.Title, Type: carillon.ChannelType(spec.Type), Provider: spec.Provider, Settings: spec.Settings}
	if _, err := reader.ReadAddress(ctx, candidate); err != nil {
		return &ProblemError{Problems: []declaration.FieldProblem{declaration.FieldProblemf("settings",
			"%s refused these settings: %v", spec.Provider, err)}}
	}
	return nil
}

// ChannelConnection is what a person pastes in the network's own console
// to connect a channel: where the network calls carillon and the settings
// its provider marks as given there too (WhatsApp's verify token), by
// name. Empty for a channel that is never called back.
type ChannelConnection struct {
	CallbackURL string
	Pasted      []Setting
}

// Setting is a channel setting by name.
type Setting struct {
	Name, Value string
}

// Connection returns what connects the channel at its network.
func (s *Resources) Connection(ch carillon.Channel) ChannelConnection {
	c := ChannelConnection{CallbackURL: s.CallbackURL(s.publicURL, ch)}
	if c.CallbackURL == "" {
		return c
	}
	info, _ := s.registry.Lookup(ch.Provider)
	for _, spec := range info.Settings {
		if spec.Pasted && ch.Settings[spec.Name] != "" {
			c.Pasted = append(c.Pasted, Setting{Name: spec.Name, Value: ch.Settings[spec.Name]})
		}
	}
	return c
}

// Providers returns the descriptions of the providers carillon runs, in
// the order they were registered: what a channel's form asks for.
func (s *Resources) Providers() []carillon.ProviderInfo {
	var out []carillon.ProviderInfo
	for _, name := range s.registry.Names() {
		info, _ := s.registry.Lookup(name)
		out = append(out, info)
	}
	return out
}
