package httpapi

import (
	"net/http"

	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// pageRequest reads a list request's page and items parameters.
func pageRequest(r *http.Request) service.PageRequest {
	q := r.URL.Query()
	return service.PageRequest{Page: q.Get("page"), Items: q.Get("items")}
}

func meta(p service.PageInfo) wire.Meta { return wire.Meta{Page: p.Page, Pages: p.Pages} }

// decodeBody reads and decodes a request's JSON body into v.
func decodeBody(r *http.Request, v any) error {
	body, err := readBody(r)
	if err != nil {
		return err
	}
	return decodeJSON(body, v)
}

// Channels

func (s *Server) listChannels(w http.ResponseWriter, r *http.Request, p service.Principal) {
	q := r.URL.Query()
	list, info, err := s.svc.Resources.ListChannels(r.Context(), p, service.ChannelFilter{Type: q.Get("type"), Active: q.Get("active")}, pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.Channel, len(list))
	for i, c := range list {
		out[i] = wire.FromChannel(c)
	}
	writeJSON(w, http.StatusOK, map[string]any{"channels": out, "meta": meta(info)})
}

func (s *Server) getChannel(w http.ResponseWriter, r *http.Request, p service.Principal) {
	c, err := s.svc.Resources.Channel(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"channel": wire.FromChannel(c)})
}

func (s *Server) updateChannel(w http.ResponseWriter, r *http.Request, p service.Principal) {
	var in struct {
		Title *string `json:"title"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	c, err := s.svc.Resources.UpdateChannel(r.Context(), p, r.PathValue("uuid"), service.ChannelUpdate{Title: in.Title})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"channel": wire.FromChannel(c)})
}

// Teams

func teamsOf(list []service.TeamView) []wire.Team {
	out := make([]wire.Team, len(list))
	for i, t := range list {
		out[i] = wire.FromTeam(t.Team, t.Members)
	}
	return out
}

func (s *Server) listTeams(w http.ResponseWriter, r *http.Request, p service.Principal) {
	list, info, err := s.svc.Resources.ListTeams(r.Context(), p, pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"teams": teamsOf(list), "meta": meta(info)})
}

func (s *Server) getTeam(w http.ResponseWriter, r *http.Request, p service.Principal) {
	t, err := s.svc.Resources.Team(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": wire.FromTeam(t.Team, t.Members)})
}

func (s *Server) updateTeam(w http.ResponseWriter, r *http.Request, p service.Principal) {
	var in struct {
		Name *string `json:"name"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.svc.Resources.UpdateTeam(r.Context(), p, r.PathValue("uuid"), service.TeamUpdate{Name: in.Name})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"team": wire.FromTeam(t.Team, t.Members)})
}

func (s *Server) teamMembers(w http.ResponseWriter, r *http.Request, p service.Principal) {
	list, info, err := s.svc.Resources.TeamMembers(r.Context(), p, r.PathValue("uuid"), r.URL.Query().Get("status"), pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.TeamMember, len(list))
	for i, m := range list {
		out[i] = wire.FromTeamMember(m.User, m.Status, m.CustomStatus, wire.Time(m.LastUpdatedAt()))
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "meta": meta(info)})
}

// Templates

func (s *Server) listTemplates(w http.ResponseWriter, r *http.Request, p service.Principal) {
	list, info, err := s.svc.Resources.ListTemplates(r.Context(), p, pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.Template, len(list))
	for i, t := range list {
		out[i] = wire.FromTemplate(t)
	}
	writeJSON(w, http.StatusOK, map[string]any{"templates": out, "meta": meta(info)})
}

func (s *Server) getTemplate(w http.ResponseWriter, r *http.Request, p service.Principal) {
	t, err := s.svc.Resources.Template(r.Context(), p, r.PathValue("uuid"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"template": wire.FromTemplate(t)})
}

func (s *Server) updateTemplate(w http.ResponseWriter, r *http.Request, p service.Principal) {
	var in struct {
		Title *string `json:"title"`
	}
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	t, err := s.svc.Resources.UpdateTemplate(r.Context(), p, r.PathValue("uuid"), service.TemplateUpdate{Title: in.Title})
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"template": wire.FromTemplate(t)})
}

// Funnels

func (s *Server) listFunnels(w http.ResponseWriter, r *http.Request, p service.Principal) {
	list, info, err := s.svc.Resources.ListFunnels(r.Context(), p, pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.Funnel, len(list))
	for i, f := range list {
		out[i] = wire.FromFunnel(f)
	}
	writeJSON(w, http.StatusOK, map[string]any{"funnels": out, "meta": meta(info)})
}

// Custom statuses

type customStatusBody struct {
	Name  *string `json:"name"`
	Emoji *string `json:"emoji"`
}

func (b customStatusBody) input() service.CustomStatusInput {
	return service.CustomStatusInput{Name: b.Name, Emoji: b.Emoji}
}

func (s *Server) listCustomStatuses(w http.ResponseWriter, r *http.Request, p service.Principal) {
	list, info, err := s.svc.Resources.ListCustomStatuses(r.Context(), p, pageRequest(r))
	if err != nil {
		writeError(w, r, err)
		return
	}
	out := make([]wire.CustomStatus, len(list))
	for i, cs := range list {
		out[i] = wire.FromCustomStatus(cs)
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatuses": out, "meta": meta(info)})
}

func (s *Server) getCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) {
	cs, err := s.svc.Resources.CustomStatus(r.Context(), p, r.PathValue("id"))
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatus": wire.FromCustomStatus(cs)})
}

func (s *Server) createCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) {
	var in customStatusBody
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	cs, err := s.svc.Resources.CreateCustomStatus(r.Context(), p, in.input())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatus": wire.FromCustomStatus(cs)})
}

func (s *Server) updateCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) {
	var in customStatusBody
	if err := decodeBody(r, &in); err != nil {
		writeError(w, r, err)
		return
	}
	cs, err := s.svc.Resources.UpdateCustomStatus(r.Context(), p, r.PathValue("id"), in.input())
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"customStatus": wire.FromCustomStatus(cs)})
}

func (s *Server) deleteCustomStatus(w http.ResponseWriter, r *http.Request, p service.Principal) {
	if err := s.svc.Resources.DeleteCustomStatus(r.Context(), p, r.PathValue("id")); err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "custom status was destroyed"})
}

// Plan

func (s *Server) plan(w http.ResponseWriter, r *http.Request, p service.Principal) {
	pl, err := s.svc.Resources.Plan(r.Context(), p)
	if err != nil {
		writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, wire.Plan{Plan: wire.PlanName, IncludedChannels: pl.IncludedChannels, Licenses: pl.Licenses,
		ActiveUsers: pl.ActiveUsers, Teams: teamsOf(pl.Teams)})
}
