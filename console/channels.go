package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// channels are the account's channels, how they connect and what their
// providers ask for. *service.Resources is one.
type channels interface {
	ListChannels(ctx context.Context, p service.Principal, f service.ChannelFilter, pr service.PageRequest) ([]carillon.Channel, service.PageInfo, error)
	Channel(ctx context.Context, p service.Principal, uuid string) (carillon.Channel, error)
	ConnectChannel(ctx context.Context, p service.Principal, f service.ChannelForm) (carillon.Channel, []string, error)
	Connection(ch carillon.Channel) service.ChannelConnection
	Providers() []carillon.ProviderInfo
}

// networks are the calls that reach a channel's network once it is saved,
// as `carillon channels add` makes them. *service.Messages is one.
type networks interface {
	RegisterCallback(ctx context.Context, ch carillon.Channel, publicURL string) error
	LearnAddress(ctx context.Context, ch carillon.Channel) (carillon.Channel, error)
	SyncTemplates(ctx context.Context, accountID int64, channelUUID string) ([]string, error)
}

// channelsPage lists the account's channels, with the sandbox's reserved
// numbers.
type channelsPage struct {
	Channels []channelRow
	Reserved []carillon.ReservedAddress
}

type channelRow struct {
	carillon.Channel
	OwnAddress  string
	CallbackURL string
}

// allChannels reads every channel of the account, page after page.
func (s *Server) allChannels(ctx context.Context, p service.Principal) ([]carillon.Channel, error) {
	var all []carillon.Channel
	for page := 1; ; page++ {
		list, info, err := s.channels.ListChannels(ctx, p, service.ChannelFilter{}, service.PageRequest{Page: strconv.Itoa(page), Items: strconv.Itoa(service.MaxPageSize)})
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		if page >= info.Pages {
			return all, nil
		}
	}
}

func (s *Server) channelsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	chs, err := s.allChannels(r.Context(), v.principal)
	if err != nil {
		return err
	}
	p := channelsPage{}
	for _, ch := range chs {
		p.Channels = append(p.Channels, channelRow{Channel: ch, OwnAddress: ch.OwnAddress(), CallbackURL: s.channels.Connection(ch).CallbackURL})
	}
	for _, info := range s.channels.Providers() {
		p.Reserved = append(p.Reserved, info.ReservedAddresses...)
	}
	s.render(w, r, v, http.StatusOK, "channels", p)
	return nil
}

// channelPage is the form of a channel, new or stored, with what connects
// it at its network once saved.
type channelPage struct {
	New      bool
	UUID     string
	Title    string
	Type     string
	Provider string
	// ProviderTitle is the provider's name as people read it.
	ProviderTitle string
	Main          bool
	Discarded     bool
	// Types are the channel types the provider serves.
	Types     []string
	Providers []carillon.ProviderInfo
	Settings  []settingField
	// Problems are what refused the form, each with its field.
	Problems []problem
	// Saved is set after a save; Unregistered when the network could not
	// be told the callback URL.
	Saved        bool
	Unregistered bool
	Address      string
	Connection   service.ChannelConnection
}

// settingField is one of the provider's settings on the form.
type settingField struct {
	Name, Value, Default string
	Required, Secret     bool
	// Stored is set on a secret the channel has: left blank, it is kept.
	Stored  bool
	Problem string
}

// problem is a refusal of a form, at a field ("" for the whole form).
type problem struct {
	Field, Message string
}

func (s *Server) newChannelPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	f := service.ChannelForm{Provider: r.URL.Query().Get("provider")}
	p, err := s.channelForm(f, carillon.Channel{}, nil)
	if err != nil {
		return err
	}
	s.render(w, r, v, http.StatusOK, "channel", p)
	return nil
}

func (s *Server) channelPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	ch, err := s.channels.Channel(r.Context(), v.principal, pathUUID(r))
	if err != nil {
		return err
	}
	f := service.ChannelForm{UUID: ch.UUID, Title: ch.Title, Type: string(ch.Type), Provider: ch.Provider, Main: ch.Main,
		Discarded: !ch.Active(), Settings: ch.Settings}
	if pr := r.URL.Query().Get("provider"); pr != "" && pr != ch.Provider {
		f.Provider, f.Settings = pr, nil
	}
	p, err := s.channelForm(f, ch, nil)
	if err != nil {
		return err
	}
	p.Saved = r.URL.Query().Get("saved") == "1"
	p.Unregistered = r.URL.Query().Get("registered") == "0"
	p.Address, p.Connection = ch.OwnAddress(), s.channels.Connection(ch)
	s.render(w, r, v, http.StatusOK, "channel", p)
	return nil
}

// channelForm is the page of form f: the provider's settings, their
// values (never a secret's) and the problems that refused it. stored is
// the channel as saved (zero for a new one).
func (s *Server) channelForm(f service.ChannelForm, stored carillon.Channel, probs []problem) (channelPage, error) {
	p := channelPage{New: f.UUID == "", UUID: f.UUID, Title: f.Title, Type: f.Type, Provider: f.Provider, Main: f.Main, Discarded: f.Discarded, Problems: probs}
	infos := s.channels.Providers()
	var info carillon.ProviderInfo
	p.Providers = infos
	for _, in := range infos {
		if in.Name == f.Provider {
			info = in
		}
	}
	if info.Name == "" {
		if f.Provider != "" && len(probs) == 0 {
			return p, carillon.NotFound("provider " + f.Provider)
		}
		info = infos[0]
		for _, in := range infos {
			if in.Name == carillon.ProviderWhatsApp {
				info = in
			}
		}
		p.Provider = info.Name
	}
	p.ProviderTitle = info.Title
	for _, t := range info.ChannelTypes {
		p.Types = append(p.Types, string(t))
	}
	if len(p.Types) == 0 {
		p.Types = []string{string(carillon.WhatsApp), string(carillon.Telegram), string(carillon.Facebook), string(carillon.Instagram)}
	}
	if p.Type == "" {
		p.Type = p.Types[0]
	}
	for _, spec := range info.Settings {
		sf := settingField{Name: spec.Name, Default: spec.Default, Required: spec.Required, Secret: spec.Secret}
		if spec.Secret {
			sf.Stored = stored.Provider == info.Name && stored.Settings[spec.Name] != ""
		} else {
			sf.Value = f.Settings[spec.Name]
		}
		for _, pr := range probs {
			if pr.Field == "settings."+spec.Name {
				sf.Problem = pr.Message
			}
		}
		p.Settings = append(p.Settings, sf)
	}
	return p, nil
}

// saveChannel checks and saves a channel's form, as `carillon channels
// add` does: the settings checked by the provider and tried on its
// network first, then the channel written, its callback URL registered
// with a network that is told it, and its number or bot read.
func (s *Server) saveChannel(w http.ResponseWriter, r *http.Request, v *visit) error {
	f := service.ChannelForm{Title: r.PostFormValue("title"), Type: r.PostFormValue("type"), Provider: r.PostFormValue("provider"),
		Main: r.PostFormValue("main") == "on", Discarded: r.PostFormValue("discarded") == "on", Settings: map[string]string{}}
	var stored carillon.Channel
	if r.PathValue("uuid") != "" {
		var err error
		if stored, err = s.channels.Channel(r.Context(), v.principal, pathUUID(r)); err != nil {
			return err
		}
		f.UUID = stored.UUID
	}
	for k, vals := range r.PostForm {
		if name, ok := strings.CutPrefix(k, "setting."); ok && len(vals) > 0 {
			f.Settings[name] = vals[0]
		}
	}
	ch, changes, err := s.channels.ConnectChannel(r.Context(), v.principal, f)
	var pe *service.ProblemError
	if errors.As(err, &pe) {
		var probs []problem
		for _, pr := range pe.Problems {
			probs = append(probs, problem{Field: pr.Field, Message: pr.Message})
		}
		p, ferr := s.channelForm(f, stored, probs)
		if ferr != nil {
			return ferr
		}
		if !p.New {
			p.Address, p.Connection = stored.OwnAddress(), s.channels.Connection(stored)
		}
		s.render(w, r, v, http.StatusUnprocessableEntity, "channel", p)
		return nil
	}
	if err != nil {
		return err
	}
	q := url.Values{"saved": {"1"}}
	if len(changes) > 0 {
		if err := s.networks.RegisterCallback(r.Context(), ch, s.publicURL); err != nil {
			s.log.WarnContext(r.Context(), "callback URL not registered", "channel", ch.UUID, "error", err)
			q.Set("registered", "0")
		}
	}
	if _, err := s.networks.LearnAddress(r.Context(), ch); err != nil {
		s.log.WarnContext(r.Context(), "channel address not learned", "channel", ch.UUID, "error", err)
	}
	http.Redirect(w, r, "/settings/channels/"+ch.UUID+"?"+q.Encode(), http.StatusSeeOther)
	return nil
}
