package console

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// catalogues are the account's teams, tags, custom fields, funnels,
// custom statuses and templates, changed as the API and `carillon apply`
// change them. *service.Resources is one.
type catalogues interface {
	ListTeams(ctx context.Context, p service.Principal, pr service.PageRequest) ([]service.TeamView, service.PageInfo, error)
	Team(ctx context.Context, p service.Principal, uuid string) (service.TeamView, error)
	TeamMembers(ctx context.Context, p service.Principal, uuid, status string, pr service.PageRequest) ([]service.Member, service.PageInfo, error)
	UpdateTeam(ctx context.Context, p service.Principal, uuid string, u service.TeamUpdate) (service.TeamView, error)
	DeclareTeam(ctx context.Context, p service.Principal, t service.TeamEntry) ([]string, error)
	ListTags(ctx context.Context, p service.Principal) ([]carillon.Tag, error)
	DeclareTag(ctx context.Context, p service.Principal, name string) ([]string, error)
	ListCustomFields(ctx context.Context, p service.Principal) ([]carillon.CustomField, error)
	DeclareField(ctx context.Context, p service.Principal, f service.FieldEntry) ([]string, error)
	ListFunnels(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Funnel, service.PageInfo, error)
	DeclareFunnel(ctx context.Context, p service.Principal, f service.FunnelEntry) ([]string, error)
	ListCustomStatuses(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.CustomStatus, service.PageInfo, error)
	CreateCustomStatus(ctx context.Context, p service.Principal, in service.CustomStatusInput) (carillon.CustomStatus, error)
	UpdateCustomStatus(ctx context.Context, p service.Principal, id string, in service.CustomStatusInput) (carillon.CustomStatus, error)
	DeleteCustomStatus(ctx context.Context, p service.Principal, id string) error
	ListTemplates(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Template, service.PageInfo, error)
	Template(ctx context.Context, p service.Principal, uuid string) (carillon.Template, error)
	UpdateTemplate(ctx context.Context, p service.Principal, uuid string, u service.TemplateUpdate) (carillon.Template, error)
}

// settingsNav are the pages of the settings section, linked from each.
var settingsNav = []navItem{
	{"Teams", "/settings/teams", sectionSettings},
	{"Tags", "/settings/tags", sectionSettings},
	{"Custom fields", "/settings/fields", sectionSettings},
	{"Funnels", "/settings/funnels", sectionSettings},
	{"Custom statuses", "/settings/statuses", sectionSettings},
	{"Templates", "/settings/templates", sectionSettings},
}

// catalogue is what every settings page shows besides its own: the
// section's pages, the problems that refused its form, the changes its
// last form made.
type catalogue struct {
	Sub      []navItem
	Problems []problem
	Changed  bool
}

func newCatalogue(r *http.Request) catalogue {
	return catalogue{Sub: settingsNav, Changed: r.URL.Query().Get("changed") == "1"}
}

// problemsOf is the refusal err as the problems of a form, each naming
// its field; ok is false for an error the form cannot fix.
func problemsOf(err error) ([]problem, bool) {
	var pe *service.ProblemError
	if errors.As(err, &pe) {
		probs := make([]problem, len(pe.Problems))
		for i, p := range pe.Problems {
			probs[i] = problem{Field: p.Field, Message: p.Message}
		}
		return probs, true
	}
	if e, ok := carillon.AsError(err); ok && (e.Code == carillon.CodeInvalidParameter || e.Code == carillon.CodeAlreadyExists) {
		return []problem{{Field: e.Field, Message: e.Message}}, true
	}
	return nil, false
}

// done answers a form that changed something: back to the page that shows
// it.
func done(w http.ResponseWriter, r *http.Request, path string) error {
	sep := "?"
	if strings.Contains(path, "?") {
		sep = "&"
	}
	http.Redirect(w, r, path+sep+"changed=1", http.StatusSeeOther)
	return nil
}

// Teams

type teamsPage struct {
	catalogue
	Teams []service.TeamView
	Name  string
}

func (s *Server) teamsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showTeams(w, r, v, http.StatusOK, teamsPage{catalogue: newCatalogue(r)})
}

func (s *Server) showTeams(w http.ResponseWriter, r *http.Request, v *visit, status int, p teamsPage) error {
	for page := 1; ; page++ {
		list, info, err := s.catalogues.ListTeams(r.Context(), v.principal, service.PageRequest{Page: strconv.Itoa(page), Items: strconv.Itoa(service.MaxPageSize)})
		if err != nil {
			return err
		}
		p.Teams = append(p.Teams, list...)
		if page >= info.Pages {
			break
		}
	}
	s.render(w, r, v, status, "teams", p)
	return nil
}

// createTeam declares a team of that name, as a teams entry of apply
// without members: one of that name is kept as it is.
func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PostFormValue("name")
	_, err := s.catalogues.DeclareTeam(r.Context(), v.principal, service.TeamEntry{Name: name})
	if probs, ok := problemsOf(err); ok {
		return s.showTeams(w, r, v, http.StatusUnprocessableEntity, teamsPage{catalogue: catalogue{Sub: settingsNav, Problems: probs}, Name: name})
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/teams")
}

type teamPage struct {
	catalogue
	Team    service.TeamView
	Members []service.Member
	Name    string
	Email   string
}

func (s *Server) teamPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showTeam(w, r, v, http.StatusOK, teamPage{catalogue: newCatalogue(r)})
}

func (s *Server) showTeam(w http.ResponseWriter, r *http.Request, v *visit, status int, p teamPage) error {
	t, err := s.catalogues.Team(r.Context(), v.principal, pathUUID(r))
	if err != nil {
		return err
	}
	p.Team = t
	if p.Name == "" {
		p.Name = t.Name
	}
	if p.Members, err = s.teamMembers(r.Context(), v, t.UUID); err != nil {
		return err
	}
	s.render(w, r, v, status, "team", p)
	return nil
}

// teamMembers reads every member of the team, page after page.
func (s *Server) teamMembers(ctx context.Context, v *visit, uuid string) ([]service.Member, error) {
	var all []service.Member
	for page := 1; ; page++ {
		list, info, err := s.catalogues.TeamMembers(ctx, v.principal, uuid, "", service.PageRequest{Page: strconv.Itoa(page), Items: strconv.Itoa(service.MaxPageSize)})
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		if page >= info.Pages {
			return all, nil
		}
	}
}

// renameTeam renames a team, as PATCH /v1/teams/{uuid} does.
func (s *Server) renameTeam(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PostFormValue("name")
	_, err := s.catalogues.UpdateTeam(r.Context(), v.principal, pathUUID(r), service.TeamUpdate{Name: &name})
	if probs, ok := problemsOf(err); ok {
		return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamPage{catalogue: catalogue{Sub: settingsNav, Problems: probs}, Name: name})
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/teams/"+pathUUID(r))
}

// addTeamMember and removeTeamMember declare the team's membership with
// one member more or less, as a teams entry of apply with its members.
func (s *Server) addTeamMember(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.changeMembers(w, r, v, true)
}

func (s *Server) removeTeamMember(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.changeMembers(w, r, v, false)
}

func (s *Server) changeMembers(w http.ResponseWriter, r *http.Request, v *visit, add bool) error {
	t, err := s.catalogues.Team(r.Context(), v.principal, pathUUID(r))
	if err != nil {
		return err
	}
	members, err := s.teamMembers(r.Context(), v, t.UUID)
	if err != nil {
		return err
	}
	email := strings.ToLower(strings.TrimSpace(r.PostFormValue("email")))
	emails := []string{}
	for _, m := range members {
		if m.User.Email != email {
			emails = append(emails, m.User.Email)
		}
	}
	if add {
		if email == "" {
			return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamPage{catalogue: catalogue{Sub: settingsNav,
				Problems: []problem{{Field: "members", Message: "give the email of the user to add"}}}})
		}
		emails = append(emails, email)
	}
	_, err = s.catalogues.DeclareTeam(r.Context(), v.principal, service.TeamEntry{UUID: t.UUID, Name: t.Name, Members: emails})
	if probs, ok := problemsOf(err); ok {
		return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamPage{catalogue: catalogue{Sub: settingsNav, Problems: probs}, Email: email})
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/teams/"+t.UUID)
}

// Tags

type tagsPage struct {
	catalogue
	Tags []carillon.Tag
	Name string
}

func (s *Server) tagsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showTags(w, r, v, http.StatusOK, tagsPage{catalogue: newCatalogue(r)})
}

func (s *Server) showTags(w http.ResponseWriter, r *http.Request, v *visit, status int, p tagsPage) error {
	tags, err := s.catalogues.ListTags(r.Context(), v.principal)
	if err != nil {
		return err
	}
	p.Tags = tags
	s.render(w, r, v, status, "tags", p)
	return nil
}

// createTag declares a tag, as a tags entry of apply: one of that name,
// whatever its case, is kept.
func (s *Server) createTag(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PostFormValue("name")
	_, err := s.catalogues.DeclareTag(r.Context(), v.principal, name)
	if probs, ok := problemsOf(err); ok {
		for i := range probs {
			probs[i].Field = "name" // a tags entry is its name
		}
		return s.showTags(w, r, v, http.StatusUnprocessableEntity, tagsPage{catalogue: catalogue{Sub: settingsNav, Problems: probs}, Name: name})
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/tags")
}

// Custom fields

type fieldsPage struct {
	catalogue
	Fields []carillon.CustomField
	Types  []carillon.FieldType
	// The form: a new field, or the one named in ?edit.
	Editing bool
	Name    string
	Type    string
	Options string
}

// fieldTypes are the types a custom field may have, in the order the form
// offers them.
var fieldTypes = []carillon.FieldType{carillon.FieldText, carillon.FieldEmail, carillon.FieldNumber, carillon.FieldDate, carillon.FieldDropdown, carillon.FieldCheckbox}

func (s *Server) fieldsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := fieldsPage{catalogue: newCatalogue(r)}
	if name := r.URL.Query().Get("edit"); name != "" {
		fields, err := s.catalogues.ListCustomFields(r.Context(), v.principal)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(fields, func(f carillon.CustomField) bool { return f.Name == name })
		if i < 0 {
			return carillon.NotFound("custom field")
		}
		p.Editing, p.Name, p.Type, p.Options = true, name, string(fields[i].Type), strings.Join(fields[i].Options, "\n")
	}
	return s.showFields(w, r, v, http.StatusOK, p)
}

func (s *Server) showFields(w http.ResponseWriter, r *http.Request, v *visit, status int, p fieldsPage) error {
	fields, err := s.catalogues.ListCustomFields(r.Context(), v.principal)
	if err != nil {
		return err
	}
	p.Fields, p.Types = fields, fieldTypes
	s.render(w, r, v, status, "fields", p)
	return nil
}

// declareField declares a custom field, as a custom_fields entry of
// apply: the one of that name takes the type and options, or one is made.
// Options are one a line.
func (s *Server) declareField(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := fieldsPage{catalogue: catalogue{Sub: settingsNav}, Editing: r.PostFormValue("editing") == "1",
		Name: r.PostFormValue("name"), Type: r.PostFormValue("type"), Options: r.PostFormValue("options")}
	var options []string
	for _, line := range strings.Split(p.Options, "\n") {
		if o := strings.TrimSpace(line); o != "" {
			options = append(options, o)
		}
	}
	_, err := s.catalogues.DeclareField(r.Context(), v.principal, service.FieldEntry{Name: p.Name, Type: p.Type, Options: options})
	if probs, ok := problemsOf(err); ok {
		p.Problems = probs
		return s.showFields(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/fields")
}

// allPages reads a whole list of the service, page after page.
func allPages[T any](list func(pr service.PageRequest) ([]T, service.PageInfo, error)) ([]T, error) {
	var all []T
	for page := 1; ; page++ {
		items, info, err := list(service.PageRequest{Page: strconv.Itoa(page), Items: strconv.Itoa(service.MaxPageSize)})
		if err != nil {
			return nil, err
		}
		all = append(all, items...)
		if page >= info.Pages {
			return all, nil
		}
	}
}

// Funnels

type funnelsPage struct {
	catalogue
	Funnels []carillon.Funnel
	// The form: a new stage, or the one named in ?edit.
	UUID, Name, Emoji, Position string
}

func (s *Server) funnelsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := funnelsPage{catalogue: newCatalogue(r)}
	if id := r.URL.Query().Get("edit"); id != "" {
		funnels, err := s.funnels(r, v)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(funnels, func(f carillon.Funnel) bool { return f.UUID == id })
		if i < 0 {
			return carillon.NotFound("funnel")
		}
		f := funnels[i]
		p.UUID, p.Name, p.Emoji, p.Position = f.UUID, f.Name, f.Emoji, strconv.Itoa(f.Position)
	}
	return s.showFunnels(w, r, v, http.StatusOK, p)
}

func (s *Server) funnels(r *http.Request, v *visit) ([]carillon.Funnel, error) {
	return allPages(func(pr service.PageRequest) ([]carillon.Funnel, service.PageInfo, error) {
		return s.catalogues.ListFunnels(r.Context(), v.principal, pr)
	})
}

func (s *Server) showFunnels(w http.ResponseWriter, r *http.Request, v *visit, status int, p funnelsPage) error {
	funnels, err := s.funnels(r, v)
	if err != nil {
		return err
	}
	p.Funnels = funnels
	if p.Position == "" && p.UUID == "" {
		p.Position = strconv.Itoa(len(funnels))
	}
	s.render(w, r, v, status, "funnels", p)
	return nil
}

// declareFunnel declares a funnel stage, as a funnels entry of apply: the
// one of the uuid (or, for a new one, of the name) takes the name, emoji
// and position, or one is made.
func (s *Server) declareFunnel(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := funnelsPage{catalogue: catalogue{Sub: settingsNav}, UUID: r.PostFormValue("uuid"), Name: r.PostFormValue("name"),
		Emoji: r.PostFormValue("emoji"), Position: strings.TrimSpace(r.PostFormValue("position"))}
	position, err := strconv.Atoi(p.Position)
	if err != nil {
		p.Problems = []problem{{Field: "position", Message: "position must be a whole number, 0 or more"}}
		return s.showFunnels(w, r, v, http.StatusUnprocessableEntity, p)
	}
	_, err = s.catalogues.DeclareFunnel(r.Context(), v.principal, service.FunnelEntry{UUID: p.UUID, Name: p.Name, Emoji: p.Emoji, Position: position})
	if probs, ok := problemsOf(err); ok {
		p.Problems = probs
		return s.showFunnels(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/funnels")
}

// Custom statuses

type statusesPage struct {
	catalogue
	Statuses []carillon.CustomStatus
	// The form: a new status, or the one named in ?edit.
	ID, Name, Emoji string
}

func (s *Server) statusesPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := statusesPage{catalogue: newCatalogue(r)}
	if id := r.URL.Query().Get("edit"); id != "" {
		statuses, err := s.statuses(r, v)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(statuses, func(cs carillon.CustomStatus) bool { return cs.UUID == id })
		if i < 0 {
			return carillon.NotFound("custom status")
		}
		p.ID, p.Name, p.Emoji = statuses[i].UUID, statuses[i].Name, statuses[i].Emoji
	}
	return s.showStatuses(w, r, v, http.StatusOK, p)
}

func (s *Server) statuses(r *http.Request, v *visit) ([]carillon.CustomStatus, error) {
	return allPages(func(pr service.PageRequest) ([]carillon.CustomStatus, service.PageInfo, error) {
		return s.catalogues.ListCustomStatuses(r.Context(), v.principal, pr)
	})
}

func (s *Server) showStatuses(w http.ResponseWriter, r *http.Request, v *visit, status int, p statusesPage) error {
	statuses, err := s.statuses(r, v)
	if err != nil {
		return err
	}
	p.Statuses = statuses
	s.render(w, r, v, status, "statuses", p)
	return nil
}

// saveStatus creates a custom status, or changes the one of the form's id,
// as POST and PUT /v1/custom_statuses do.
func (s *Server) saveStatus(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := statusesPage{catalogue: catalogue{Sub: settingsNav}, ID: r.PostFormValue("id"), Name: r.PostFormValue("name"), Emoji: r.PostFormValue("emoji")}
	in := service.CustomStatusInput{Name: &p.Name, Emoji: &p.Emoji}
	var err error
	if p.ID == "" {
		_, err = s.catalogues.CreateCustomStatus(r.Context(), v.principal, in)
	} else {
		_, err = s.catalogues.UpdateCustomStatus(r.Context(), v.principal, p.ID, in)
	}
	if probs, ok := problemsOf(err); ok {
		p.Problems = probs
		return s.showStatuses(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/statuses")
}

// deleteStatus deletes a custom status, as DELETE /v1/custom_statuses
// does: the users who showed it show none.
func (s *Server) deleteStatus(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := s.catalogues.DeleteCustomStatus(r.Context(), v.principal, r.PostFormValue("id")); err != nil {
		return err
	}
	return done(w, r, "/settings/statuses")
}

// Templates

type templatesPage struct {
	catalogue
	Templates []templateRow
	// Synced is set after a sync, with the number of templates it made
	// or changed; Problem when a network failed.
	Synced  bool
	Count   int
	Problem string
	// The rename form of the template named in ?edit.
	UUID, Title string
}

type templateRow struct {
	carillon.Template
	Channel string
}

func (s *Server) templatesPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := templatesPage{catalogue: newCatalogue(r)}
	if n, err := strconv.Atoi(r.URL.Query().Get("synced")); err == nil {
		p.Synced, p.Count = true, n
	}
	if id := r.URL.Query().Get("edit"); id != "" {
		t, err := s.catalogues.Template(r.Context(), v.principal, id)
		if err != nil {
			return err
		}
		p.UUID, p.Title = t.UUID, t.Title
	}
	return s.showTemplates(w, r, v, http.StatusOK, p)
}

// renameTemplate renames a template, as PATCH /v1/templates/{uuid} does.
func (s *Server) renameTemplate(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := templatesPage{catalogue: catalogue{Sub: settingsNav}, UUID: r.PostFormValue("uuid"), Title: r.PostFormValue("title")}
	_, err := s.catalogues.UpdateTemplate(r.Context(), v.principal, p.UUID, service.TemplateUpdate{Title: &p.Title})
	if probs, ok := problemsOf(err); ok {
		p.Problems = probs
		return s.showTemplates(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/templates")
}

func (s *Server) showTemplates(w http.ResponseWriter, r *http.Request, v *visit, status int, p templatesPage) error {
	templates, err := allPages(func(pr service.PageRequest) ([]carillon.Template, service.PageInfo, error) {
		return s.catalogues.ListTemplates(r.Context(), v.principal, pr)
	})
	if err != nil {
		return err
	}
	chs, err := s.allChannels(r.Context(), v.principal)
	if err != nil {
		return err
	}
	titles := map[int64]string{}
	for _, ch := range chs {
		titles[ch.ID] = ch.Title
	}
	for _, t := range templates {
		p.Templates = append(p.Templates, templateRow{Template: t, Channel: titles[t.ChannelID]})
	}
	s.render(w, r, v, status, "templates", p)
	return nil
}

// syncTemplates reads the templates of the account's channels whose
// provider keeps them (WhatsApp), as `carillon templates sync` does, and
// says how many changed. A network that fails is said on the page (what
// the others changed is kept).
func (s *Server) syncTemplates(w http.ResponseWriter, r *http.Request, v *visit) error {
	changes, err := s.networks.SyncTemplates(r.Context(), v.account.ID, "")
	if err != nil {
		s.log.WarnContext(r.Context(), "templates not synced", "error", err)
		p := templatesPage{catalogue: catalogue{Sub: settingsNav}, Synced: true, Count: len(changes), Problem: err.Error()}
		return s.showTemplates(w, r, v, http.StatusBadGateway, p)
	}
	http.Redirect(w, r, "/settings/templates?synced="+strconv.Itoa(len(changes)), http.StatusSeeOther)
	return nil
}
