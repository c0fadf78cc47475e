package console

import (
	"context"
	"errors"
	"net/http"
	"net/url"
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
	ListTags(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Tag, service.PageInfo, error)
	DeclareTag(ctx context.Context, p service.Principal, name string) ([]string, error)
	TagContacts(ctx context.Context, p service.Principal, name string) (carillon.Tag, int, error)
	DeleteTag(ctx context.Context, p service.Principal, name string) (carillon.Tag, int, error)
	ListCustomFields(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.CustomField, service.PageInfo, error)
	CustomField(ctx context.Context, p service.Principal, name string) (carillon.CustomField, error)
	DeclareField(ctx context.Context, p service.Principal, f service.FieldEntry) ([]string, error)
	ListFunnels(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Funnel, service.PageInfo, error)
	Funnel(ctx context.Context, p service.Principal, uuid string) (carillon.Funnel, error)
	DeclareFunnel(ctx context.Context, p service.Principal, f service.FunnelEntry) ([]string, error)
	ListCustomStatuses(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.CustomStatus, service.PageInfo, error)
	CustomStatus(ctx context.Context, p service.Principal, id string) (carillon.CustomStatus, error)
	CreateCustomStatus(ctx context.Context, p service.Principal, in service.CustomStatusInput) (carillon.CustomStatus, error)
	UpdateCustomStatus(ctx context.Context, p service.Principal, id string, in service.CustomStatusInput) (carillon.CustomStatus, error)
	DeleteCustomStatus(ctx context.Context, p service.Principal, id string) error
	ListTemplates(ctx context.Context, p service.Principal, pr service.PageRequest) ([]carillon.Template, service.PageInfo, error)
	Template(ctx context.Context, p service.Principal, uuid string) (carillon.Template, error)
	DeclareTemplate(ctx context.Context, p service.Principal, t service.TemplateEntry) ([]string, error)
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
// last form made, and the pages of its list.
type catalogue struct {
	Sub      []navItem
	Problems []problem
	Changed  bool
	Pager    pager
}

func newCatalogue(r *http.Request) catalogue {
	return catalogue{Sub: settingsNav, Changed: r.URL.Query().Get("changed") == "1"}
}

// Invalid reports whether a problem of the form names field.
func (c catalogue) Invalid(field string) bool {
	return slices.ContainsFunc(c.Problems, func(p problem) bool { return p.Field == field })
}

// refused is the catalogue of a page that answers its form's problems.
func refused(probs []problem) catalogue {
	return catalogue{Sub: settingsNav, Problems: probs}
}

// perPage is how many entries a page of a settings list shows.
const perPage = 50

// pager links the pages of a settings list: ?page=N of its path, the page
// number the service's lists take (as the API's do).
type pager struct {
	Page, Pages, Total int
	Prev, Next         string
}

// listRequest is the page of a settings list the request shows: ?page=N,
// or the page field of a form sent from that page.
func listRequest(r *http.Request) service.PageRequest {
	return service.PageRequest{Page: r.FormValue("page"), Items: strconv.Itoa(perPage)}
}

// pagerOf links the pages around the one info describes.
func pagerOf(path string, info service.PageInfo) pager {
	p := pager{Page: info.Page, Pages: info.Pages, Total: info.Total}
	if info.Page > 1 {
		p.Prev = pageLink(path, min(info.Page-1, info.Pages))
	}
	if info.Page < info.Pages {
		p.Next = pageLink(path, info.Page+1)
	}
	return p
}

// pageLink is page n of the list at path.
func pageLink(path string, n int) string {
	if n <= 1 {
		return path
	}
	return path + "?page=" + strconv.Itoa(n)
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

// done answers a form that changed something: back to the page of the
// list it was sent from, which shows it.
func done(w http.ResponseWriter, r *http.Request, path string) error {
	return back(w, r, path, url.Values{"changed": {"1"}})
}

// back answers a form with the page of the list at path it was sent from,
// told what happened (query).
func back(w http.ResponseWriter, r *http.Request, path string, query url.Values) error {
	if page, err := strconv.Atoi(r.PostFormValue("page")); err == nil && page > 1 {
		query.Set("page", strconv.Itoa(page))
	}
	http.Redirect(w, r, path+"?"+query.Encode(), http.StatusSeeOther)
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
	teams, info, err := s.catalogues.ListTeams(r.Context(), v.principal, listRequest(r))
	if err != nil {
		return err
	}
	p.Teams, p.Pager = teams, pagerOf("/settings/teams", info)
	s.render(w, r, v, status, "teams", p)
	return nil
}

// createTeam declares a team of that name, as a teams entry of apply
// without members: one of that name is kept as it is.
func (s *Server) createTeam(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PostFormValue("name")
	_, err := s.catalogues.DeclareTeam(r.Context(), v.principal, service.TeamEntry{Name: name})
	if probs, ok := problemsOf(err); ok {
		return s.showTeams(w, r, v, http.StatusUnprocessableEntity, teamsPage{catalogue: refused(probs), Name: name})
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
	members, info, err := s.catalogues.TeamMembers(r.Context(), v.principal, t.UUID, "", listRequest(r))
	if err != nil {
		return err
	}
	p.Members, p.Pager = members, pagerOf("/settings/teams/"+t.UUID, info)
	s.render(w, r, v, status, "team", p)
	return nil
}

// teamMembers reads every member of the team, page after page: a change
// of membership declares the whole of it, as apply does.
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
		return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamPage{catalogue: refused(probs), Name: name})
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
			return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamPage{catalogue: refused([]problem{{Field: "members", Message: "give the email of the user to add"}})})
		}
		emails = append(emails, email)
	}
	_, err = s.catalogues.DeclareTeam(r.Context(), v.principal, service.TeamEntry{UUID: t.UUID, Name: t.Name, Members: emails})
	if probs, ok := problemsOf(err); ok {
		return s.showTeam(w, r, v, http.StatusUnprocessableEntity, teamPage{catalogue: refused(probs), Email: email})
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
	// Confirm is the tag a delete asks to confirm, with how many contacts
	// have it.
	Confirm  *carillon.Tag
	Contacts int
	// Deleted is the tag just deleted, and how many contacts had it.
	Deleted     string
	DeletedFrom int
}

func (s *Server) tagsPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := tagsPage{catalogue: newCatalogue(r), Deleted: r.URL.Query().Get("deleted")}
	p.DeletedFrom, _ = strconv.Atoi(r.URL.Query().Get("contacts"))
	return s.showTags(w, r, v, http.StatusOK, p)
}

func (s *Server) showTags(w http.ResponseWriter, r *http.Request, v *visit, status int, p tagsPage) error {
	tags, info, err := s.catalogues.ListTags(r.Context(), v.principal, listRequest(r))
	if err != nil {
		return err
	}
	p.Tags, p.Pager = tags, pagerOf("/settings/tags", info)
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
		return s.showTags(w, r, v, http.StatusUnprocessableEntity, tagsPage{catalogue: refused(probs), Name: name})
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/tags")
}

// deleteTag deletes a tag once confirmed: the form of a tag's row asks
// first (the page says how many contacts have it), the confirmation's
// form deletes it and takes it off them.
func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PostFormValue("name")
	if r.PostFormValue("confirm") != "1" {
		tag, n, err := s.catalogues.TagContacts(r.Context(), v.principal, name)
		if err != nil {
			return err
		}
		return s.showTags(w, r, v, http.StatusOK, tagsPage{catalogue: catalogue{Sub: settingsNav}, Confirm: &tag, Contacts: n})
	}
	tag, n, err := s.catalogues.DeleteTag(r.Context(), v.principal, name)
	if err != nil {
		return err
	}
	return back(w, r, "/settings/tags", url.Values{"deleted": {tag.Name}, "contacts": {strconv.Itoa(n)}})
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
		f, err := s.catalogues.CustomField(r.Context(), v.principal, name)
		if err != nil {
			return err
		}
		p.Editing, p.Name, p.Type, p.Options = true, f.Name, string(f.Type), strings.Join(f.Options, "\n")
	}
	return s.showFields(w, r, v, http.StatusOK, p)
}

func (s *Server) showFields(w http.ResponseWriter, r *http.Request, v *visit, status int, p fieldsPage) error {
	fields, info, err := s.catalogues.ListCustomFields(r.Context(), v.principal, listRequest(r))
	if err != nil {
		return err
	}
	p.Fields, p.Types, p.Pager = fields, fieldTypes, pagerOf("/settings/fields", info)
	s.render(w, r, v, status, "fields", p)
	return nil
}

// declareField declares a custom field, as a custom_fields entry of
// apply: the one of that name takes the type and options, or one is made.
// Options are one a line.
func (s *Server) declareField(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := fieldsPage{catalogue: catalogue{Sub: settingsNav}, Editing: r.PostFormValue("editing") == "1",
		Name: r.PostFormValue("name"), Type: r.PostFormValue("type"), Options: r.PostFormValue("options")}
	_, err := s.catalogues.DeclareField(r.Context(), v.principal, service.FieldEntry{Name: p.Name, Type: p.Type, Options: lines(p.Options)})
	if probs, ok := problemsOf(err); ok {
		p.Problems = probs
		return s.showFields(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/fields")
}

// lines are the lines of a text area that are not blank, trimmed.
func lines(text string) []string {
	var out []string
	for _, line := range strings.Split(text, "\n") {
		if l := strings.TrimSpace(line); l != "" {
			out = append(out, l)
		}
	}
	return out
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
		f, err := s.catalogues.Funnel(r.Context(), v.principal, id)
		if err != nil {
			return err
		}
		p.UUID, p.Name, p.Emoji, p.Position = f.UUID, f.Name, f.Emoji, strconv.Itoa(f.Position)
	}
	return s.showFunnels(w, r, v, http.StatusOK, p)
}

func (s *Server) showFunnels(w http.ResponseWriter, r *http.Request, v *visit, status int, p funnelsPage) error {
	funnels, info, err := s.catalogues.ListFunnels(r.Context(), v.principal, listRequest(r))
	if err != nil {
		return err
	}
	p.Funnels, p.Pager = funnels, pagerOf("/settings/funnels", info)
	if p.Position == "" && p.UUID == "" {
		p.Position = strconv.Itoa(info.Total) // after the others, counted from 0
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
		cs, err := s.catalogues.CustomStatus(r.Context(), v.principal, id)
		if err != nil {
			return err
		}
		p.ID, p.Name, p.Emoji = cs.UUID, cs.Name, cs.Emoji
	}
	return s.showStatuses(w, r, v, http.StatusOK, p)
}

func (s *Server) showStatuses(w http.ResponseWriter, r *http.Request, v *visit, status int, p statusesPage) error {
	statuses, info, err := s.catalogues.ListCustomStatuses(r.Context(), v.principal, listRequest(r))
	if err != nil {
		return err
	}
	p.Statuses, p.Pager = statuses, pagerOf("/settings/statuses", info)
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
	// Form is the declaration form: a new template, or the one named in
	// ?edit; Channels the titles it offers, Choices the values of its
	// other lists.
	Form     templateForm
	Channels []string
	Choices  service.TemplateChoices
}

type templateRow struct {
	carillon.Template
	Channel string
}

// templateForm is a template as its form shows it: the fields of a
// templates entry of apply, with its buttons' rows.
type templateForm struct {
	service.TemplateEntry
	Buttons []carillon.TemplateButton
	// channelID is the channel of the template being changed, whose title
	// the form shows.
	channelID int64
}

// The form offers two empty button rows after the template's own, and no
// more rows than the buttons a template may have (WhatsApp's limit, which
// the declaration checks): more buttons are refused by that check.
const (
	maxButtons   = 10
	emptyButtons = 2
)

// formOf is the form that declares t as it is.
func formOf(t carillon.Template) templateForm {
	return templateForm{TemplateEntry: service.TemplateEntry{UUID: t.UUID, Title: t.Title, Language: t.Language,
		Category: t.Category, Type: t.Type, Status: t.Status, Text: t.Text}, Buttons: t.Buttons, channelID: t.ChannelID}
}

// buttonRow is a row of the form's buttons, numbered from 1.
type buttonRow struct {
	N int
	carillon.TemplateButton
}

// Rows are the form's button rows: the template's buttons, then empty
// ones to add more.
func (f templateForm) Rows() []buttonRow {
	buttons := append(slices.Clip(f.Buttons), make([]carillon.TemplateButton, max(0, min(emptyButtons, maxButtons-len(f.Buttons))))...)
	rows := make([]buttonRow, len(buttons))
	for i, b := range buttons {
		rows[i] = buttonRow{N: i + 1, TemplateButton: b}
	}
	return rows
}

func (s *Server) templatesPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := templatesPage{catalogue: newCatalogue(r), Form: templateForm{TemplateEntry: service.TemplateEntry{Language: "en", Type: "text", Status: "approved"}}}
	if n, err := strconv.Atoi(r.URL.Query().Get("synced")); err == nil {
		p.Synced, p.Count = true, n
	}
	if id := r.URL.Query().Get("edit"); id != "" {
		t, err := s.catalogues.Template(r.Context(), v.principal, id)
		if err != nil {
			return err
		}
		p.Form = formOf(t)
	}
	return s.showTemplates(w, r, v, http.StatusOK, p)
}

// declareTemplate declares a template, as a templates entry of apply:
// the one of the uuid (or, for a new one, of the channel, title and
// language) takes every field of the form, or one is made. The buttons
// are the rows whose type is chosen, in order.
func (s *Server) declareTemplate(w http.ResponseWriter, r *http.Request, v *visit) error {
	f := r.PostForm // read by the CSRF check
	p := templatesPage{catalogue: catalogue{Sub: settingsNav}, Form: templateForm{TemplateEntry: service.TemplateEntry{
		UUID: f.Get("uuid"), Title: f.Get("title"), Channel: f.Get("channel"), Language: f.Get("language"),
		Category: f.Get("category"), Type: f.Get("type"), Status: f.Get("status"), Text: f.Get("text")}}}
	for i, typ := range f["button_type"] {
		if typ == "" {
			continue
		}
		b := carillon.TemplateButton{Type: typ, Text: nth(f["button_text"], i), URL: nth(f["button_url"], i), PhoneNumber: nth(f["button_phone_number"], i)}
		if typ == carillon.ButtonOTP {
			b.OTPType = nth(f["button_otp_type"], i)
		}
		p.Form.Buttons = append(p.Form.Buttons, b)
	}
	entry := p.Form.TemplateEntry
	entry.Buttons = p.Form.Buttons
	_, err := s.catalogues.DeclareTemplate(r.Context(), v.principal, entry)
	if probs, ok := problemsOf(err); ok {
		p.Problems = probs
		return s.showTemplates(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	return done(w, r, "/settings/templates")
}

// nth is the i-th of a form's values of one name, "" past them.
func nth(values []string, i int) string {
	if i < len(values) {
		return values[i]
	}
	return ""
}

func (s *Server) showTemplates(w http.ResponseWriter, r *http.Request, v *visit, status int, p templatesPage) error {
	templates, info, err := s.catalogues.ListTemplates(r.Context(), v.principal, listRequest(r))
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
		p.Channels = append(p.Channels, ch.Title)
	}
	if p.Form.channelID != 0 {
		p.Form.Channel = titles[p.Form.channelID]
	}
	for _, t := range templates {
		p.Templates = append(p.Templates, templateRow{Template: t, Channel: titles[t.ChannelID]})
	}
	p.Pager, p.Choices = pagerOf("/settings/templates", info), service.TemplateOptions()
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
		p := templatesPage{catalogue: catalogue{Sub: settingsNav}, Synced: true, Count: len(changes), Problem: err.Error(),
			Form: templateForm{TemplateEntry: service.TemplateEntry{Language: "en", Type: "text", Status: "approved"}}}
		return s.showTemplates(w, r, v, http.StatusBadGateway, p)
	}
	http.Redirect(w, r, "/settings/templates?synced="+strconv.Itoa(len(changes)), http.StatusSeeOther)
	return nil
}
