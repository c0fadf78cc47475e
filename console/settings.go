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
}

// settingsNav are the pages of the settings section, linked from each.
var settingsNav = []navItem{
	{"Teams", "/settings/teams", sectionSettings},
	{"Tags", "/settings/tags", sectionSettings},
	{"Custom fields", "/settings/fields", sectionSettings},
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
