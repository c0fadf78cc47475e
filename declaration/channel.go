package declaration

import (
	"fmt"
	"sort"
	"strings"

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

// FieldProblem is one thing wrong with a declared object: the field it is about
// ("settings.mps" for a channel setting; "" for the whole object) and what
// is wrong.
type FieldProblem struct {
	Field   string
	Message string
}

// FieldProblemf returns the problem with field, its message formatted.
func FieldProblemf(field, format string, args ...any) FieldProblem {
	return FieldProblem{Field: field, Message: fmt.Sprintf(format, args...)}
}

// CheckChannel returns what is wrong with a declared channel, without
// looking at the store, by the description of its provider in providers.
// It normalises spec: empty settings are dropped and unset ones with a
// default get it.
func CheckChannel(providers *carillon.ProviderRegistry, spec *ChannelSpec) []FieldProblem {
	var probs []FieldProblem
	spec.Title = strings.TrimSpace(spec.Title)
	if spec.Title == "" {
		probs = append(probs, FieldProblemf("title", "a channel needs a title"))
	}
	if !carillon.ValidChannelType(spec.Type) {
		probs = append(probs, FieldProblemf("type", "channel type %q is not one of whatsapp, telegram, facebook, instagram", spec.Type))
	}
	info, ok := providers.Lookup(spec.Provider)
	if !ok {
		probs = append(probs, FieldProblemf("provider", "provider %q is not one of %s", spec.Provider, strings.Join(providers.Names(), ", ")))
		return probs
	}
	if carillon.ValidChannelType(spec.Type) && !info.Serves(carillon.ChannelType(spec.Type)) {
		types := make([]string, len(info.ChannelTypes))
		for i, t := range info.ChannelTypes {
			types[i] = string(t)
		}
		probs = append(probs, FieldProblemf("provider", "the %s provider serves channels of type %s, not %s", spec.Provider, strings.Join(types, " or "), spec.Type))
	}
	settings := map[string]string{}
	for _, k := range sortedKeys(spec.Settings) {
		v := strings.TrimSpace(spec.Settings[k])
		setting, ok := info.Setting(k)
		if !ok {
			known := make([]string, len(info.Settings))
			for i, s := range info.Settings {
				known[i] = s.Name
			}
			sort.Strings(known)
			probs = append(probs, FieldProblemf("settings."+k, "unknown setting %q of the %s provider (known: %s)", k, spec.Provider, strings.Join(known, ", ")))
			continue
		}
		if v == "" {
			continue
		}
		settings[k] = v
		if setting.Check != nil {
			if norm, err := setting.Check(v); err != nil {
				probs = append(probs, FieldProblemf("settings."+k, "%s", err.Error()))
			} else {
				settings[k] = norm
			}
		}
	}
	required := []string{}
	for _, s := range info.Settings {
		if s.Required {
			required = append(required, s.Name)
		}
	}
	sort.Strings(required)
	for _, k := range required {
		if settings[k] == "" {
			probs = append(probs, FieldProblemf("settings", "the %s provider needs the setting %s", spec.Provider, k))
		}
	}
	for _, s := range info.Settings {
		if s.Default != "" && settings[s.Name] == "" {
			settings[s.Name] = s.Default
		}
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
