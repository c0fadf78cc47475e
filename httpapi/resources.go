package httpapi

import (
	"context"
	"net/http"

	"github.com/carillon/carillon"

	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// resources are the rules of the account's resources the API calls:
// channels, teams, templates, funnels, custom statuses, the plan and
// users' statuses (users.go). *service.Resources is one.
type resources interface {
	ListChannels(ctx context.Context, p service.Principal, f service.ChannelFilter, pr service.PageRequest) ([]carillon.Channel, service.PageInfo, error)
	Channel(ctx context.Context, p service.Principal, uuid string) (carillon.Channel, error)
	UpdateChannel(ctx context.Context, p service.Principal, uuid string, u service.ChannelUpdate) (carillon.Channel, error)
	ListTeams(ctx context.Context, p service.Principal, pr service.PageRequest) ([]service.TeamView, service.PageInfo, error)
	Team(ctx context.Context, p service.Principal, uuid string) (service.TeamView, error)
	UpdateTeam(ctx context.Context, p service.Principal, uuid string, u service.TeamUpdate) (service.TeamView, error)
	TeamMembers(ctx context.Context, p service.Principal, uuid, status string, pr service.PageRequest) ([]service.Member, service.PageInfo, error)
	ListTemplates(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Template, service.PageInfo, error)
	Template(ctx context.Context, p service.Principal, uuid string) (carillon.Template, error)
	UpdateTemplate(ctx context.Context, p service.Principal, uuid string, u service.TemplateUpdate) (carillon.Template, error)
	ListFunnels(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Funnel, service.PageInfo, error)
	ListCustomStatuses(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.CustomStatus, service.PageInfo, error)
	CustomStatus(ctx context.Context, p service.Principal, id string) (carillon.CustomStatus, error)
	CreateCustomStatus(ctx context.Context, p service.Principal, in service.CustomStatusInput) (carillon.CustomStatus, error)
	UpdateCustomStatus(ctx context.Context, p service.Principal, id string, in service.CustomStatusInput) (carillon.CustomStatus, error)
	DeleteCustomStatus(ctx context.Context, p service.Principal, id string) error
	Plan(ctx context.Context, p service.Principal) (service.Plan, error)
	SetUserStatus(ctx context.Context, p service.Principal, userUUID string, in service.UserStatusInput) (service.UserStatusView, error)
	ClearUserCustomStatus(ctx context.Context, p service.Principal, userUUID string) error
}

// pageRequest reads a list request's page and items parameters.
func pageRequest(r *http.Request) service.PageRequest {
	q := r.URL.Query()
	return service.PageRequest{Page: q.Get("page"), Items: q.Get("items")}
}

// writeList answers a page of a list: its items, converted for the wire,
// under their JSON name, and where the page stands under meta.
func writeList[T, W any](w http.ResponseWriter, name string, list []T, info service.PageInfo, convert func(T) W) {
	writeJSON(w, http.StatusOK, map[string]any{name: convertEach(list, convert), "meta": wire.Meta{Page: info.Page, Pages: info.Pages}})
}

// writeAppendedList writes the bytes writeList writes, {"<name>":[…],
// "meta":…}, each item appended by appendItem (a wire.Append function)
// instead of encoded by reflection: the lists read most. name must need
// no escaping in JSON and sort before "meta", as writeList's map orders
// its keys.
func writeAppendedList[T any](w http.ResponseWriter, name string, list []T, info service.PageInfo, appendItem func([]byte, T) []byte) {
	b := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(b)
	*b = append(append(append((*b)[:0], `{"`...), name...), `":[`...)
	for i, v := range list {
		if i > 0 {
			*b = append(*b, ',')
		}
		*b = appendItem(*b, v)
	}
	*b = append(*b, `],"meta":`...)
	*b = wire.AppendMeta(*b, wire.Meta{Page: info.Page, Pages: info.Pages})
	*b = append(*b, "}\n"...)
	writeBody(w, http.StatusOK, *b)
}

// convertEach converts every item of a list. An empty list is [] in JSON,
// never null.
func convertEach[T, W any](list []T, convert func(T) W) []W {
	out := make([]W, len(list))
	for i, v := range list {
		out[i] = convert(v)
	}
	return out
}

// decodeBody reads and decodes a request's JSON body into v.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// Channels

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	q := r.URL.Query()
	list, info, err := s.resources.ListChannels(r.Context(), p, service.ChannelFilter{Type: q.Get("type"), Active: q.Get("active")}, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "channels", list, info, wire.FromChannel)
	return nil
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	c, err := s.resources.Channel(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"channel": wire.FromChannel(c)})
	return nil
}

func (s *Server) updateChannel(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Title *string `json:"title"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	c, err := s.resources.UpdateChannel(r.Context(), p, r.PathValue("uuid"), service.ChannelUpdate{Title: in.Title})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"channel": wire.FromChannel(c)})
	return nil
}

// Teams

// teamOf converts a team with its member count.
func teamOf(t service.TeamView) wire.Team { return wire.FromTeam(t.Team, t.Members) }

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, info, err := s.resources.ListTeams(r.Context(), p, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "teams", list, info, teamOf)
	return nil
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	t, err := s.resources.Team(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": wire.FromTeam(t.Team, t.Members)})
	return nil
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Name *string `json:"name"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	t, err := s.resources.UpdateTeam(r.Context(), p, r.PathValue("uuid"), service.TeamUpdate{Name: in.Name})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": wire.FromTeam(t.Team, t.Members)})
	return nil
}

func (s *Server) teamMembers(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, info, err := s.resources.TeamMembers(r.Context(), p, r.PathValue("uuid"), r.URL.Query().Get("status"), pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "users", list, info, func(m service.Member) wire.TeamMember {
		return wire.FromTeamMember(m.User, m.Status, m.CustomStatus, wire.Time(m.LastUpdatedAt()))
	})
	return nil
}

// Templates

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, info, err := s.resources.ListTemplates(r.Context(), p, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "templates", list, info, wire.FromTemplate)
	return nil
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	t, err := s.resources.Template(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"template": wire.FromTemplate(t)})
	return nil
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in struct {
		Title *string `json:"title"`
	}
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	t, err := s.resources.UpdateTemplate(r.Context(), p, r.PathValue("uuid"), service.TemplateUpdate{Title: in.Title})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"template": wire.FromTemplate(t)})
	return nil
}

// Funnels

func (s *Server) listFunnels(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, info, err := s.resources.ListFunnels(r.Context(), p, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "funnels", list, info, wire.FromFunnel)
	return nil
}

// Custom statuses

type customStatusBody struct {
	Name  *string `json:"name"`
	Emoji *string `json:"emoji"`
}

func (b customStatusBody) input() service.CustomStatusInput {
	return service.CustomStatusInput{Name: b.Name, Emoji: b.Emoji}
}

func (s *Server) listCustomStatuses(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	list, info, err := s.resources.ListCustomStatuses(r.Context(), p, pageRequest(r))
	if err != nil {
		return err
	}
	writeList(w, "customStatuses", list, info, wire.FromCustomStatus)
	return nil
}

func (s *Server) getCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	cs, err := s.resources.CustomStatus(r.Context(), p, r.PathValue("id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatus": wire.FromCustomStatus(cs)})
	return nil
}

func (s *Server) createCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in customStatusBody
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	cs, err := s.resources.CreateCustomStatus(r.Context(), p, in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatus": wire.FromCustomStatus(cs)})
	return nil
}

func (s *Server) updateCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	var in customStatusBody
	if err := decodeBody(r, &in); err != nil {
		return err
	}
	cs, err := s.resources.UpdateCustomStatus(r.Context(), p, r.PathValue("id"), in.input())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatus": wire.FromCustomStatus(cs)})
	return nil
}

func (s *Server) deleteCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	if err := s.resources.DeleteCustomStatus(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "custom status was destroyed"})
	return nil
}

// Plan

func (s *Server) plan(w http.ResponseWriter, r *http.Request, p service.Principal) error {
	pl, err := s.resources.Plan(r.Context(), p)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, wire.Plan{Plan: wire.PlanName, IncludedChannels: pl.IncludedChannels, Licenses: pl.Licenses,
		ActiveUsers: pl.ActiveUsers, Teams: convertEach(pl.Teams, teamOf)})
	return nil
}
