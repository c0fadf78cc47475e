package console

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// TestSettingsRoles: the catalogues are the settings agents' pages as well
// as the admins'; the other roles get 403, forms included.
func TestSettingsRoles(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	if _, err := r.svc.Resources.DeclareTeam(ctx, r.acct.Principal, service.TeamEntry{Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	sales := teamNamed(t, r, "Sales")
	allowed := map[carillon.Role]bool{carillon.RoleAdmin: true, carillon.RoleSettingsAgent: true}
	for _, path := range []string{"/settings/teams", "/settings/teams/" + sales.UUID, "/settings/tags", "/settings/fields"} {
		for role, email := range roleUsers {
			c, _ := r.client(t, email)
			want := http.StatusForbidden
			if allowed[role] {
				want = http.StatusOK
			}
			if resp := get(t, c, r.srv.URL+path); resp.StatusCode != want {
				t.Errorf("GET %s as %s: %d, want %d", path, role, resp.StatusCode, want)
			}
		}
	}
	for _, role := range []carillon.Role{carillon.RoleAgent, carillon.RoleRestrictedAgent} {
		c, csrf := r.client(t, roleUsers[role])
		for _, path := range []string{"/settings/teams", "/settings/tags", "/settings/fields"} {
			if resp := post(t, c, r.srv.URL+path, url.Values{"csrf": {csrf}, "name": {"Sneaky"}, "type": {"text"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s as %s: %d, want 403", path, role, resp.StatusCode)
			}
		}
	}
	if tags, _ := r.svc.Resources.ListTags(ctx, r.acct.Principal); len(tags) != 0 {
		t.Errorf("refused forms made tags %v", tags)
	}
	// The settings agent sees the settings in its navigation, not the
	// channels.
	c, _ := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	page := body(t, get(t, c, r.srv.URL+"/settings/tags"))
	if !strings.Contains(page, `href="/settings/teams"`) || strings.Contains(page, `href="/settings/channels"`) {
		t.Error("a settings agent's navigation: want the settings, not the channels")
	}
}

// TestSettingsFormsCSRF: every form of the settings refuses a missing or
// wrong token and changes nothing.
func TestSettingsFormsCSRF(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	if _, err := r.svc.Resources.DeclareTeam(ctx, r.acct.Principal, service.TeamEntry{Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	team := teamNamed(t, r, "Sales")
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, path := range []string{"/settings/teams", "/settings/teams/" + team.UUID, "/settings/teams/" + team.UUID + "/members",
		"/settings/tags", "/settings/fields", "/settings/channels/new"} {
		for _, token := range []string{"", csrfToken("another session")} {
			if resp := post(t, c, r.srv.URL+path, url.Values{"csrf": {token}, "name": {"Forged"}, "type": {"text"}, "email": {"a@example.com"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", path, token, resp.StatusCode)
			}
		}
	}
	if tags, _ := r.svc.Resources.ListTags(ctx, r.acct.Principal); len(tags) != 0 {
		t.Errorf("forged forms made tags %v", tags)
	}
	if after, _ := r.svc.Resources.Team(ctx, r.acct.Principal, team.UUID); after.Name != "Sales" || after.Members != 0 {
		t.Errorf("a forged form changed the team: %+v", after)
	}
}

// formCase is a form sent to a settings page and what its answer shows.
type formCase struct {
	name   string
	path   string
	form   url.Values
	status int
	shows  []string
}

func runForms(t *testing.T, r *settingsRig, cases []formCase) {
	t.Helper()
	c, csrf := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.form.Set("csrf", csrf)
			resp := post(t, c, r.srv.URL+tc.path, tc.form)
			page := body(t, resp)
			if resp.StatusCode != tc.status {
				t.Fatalf("POST %s: %d, want %d\n%s", tc.path, resp.StatusCode, tc.status, page)
			}
			if tc.status == http.StatusSeeOther {
				page = body(t, get(t, c, r.srv.URL+resp.Header.Get("Location")))
			}
			for _, s := range tc.shows {
				if !strings.Contains(page, s) {
					t.Errorf("the page does not show %q", s)
				}
			}
		})
	}
}

// TestTagsAndFieldsForms: tags and custom fields are declared as apply
// declares them; a refused form is a 422 naming its field, with the values
// kept.
func TestTagsAndFieldsForms(t *testing.T) {
	r := newSettingsRig(t)
	runForms(t, r, []formCase{
		{"a tag", "/settings/tags", url.Values{"name": {"VIP <b>"}}, http.StatusSeeOther, []string{"VIP &lt;b&gt;", "Saved."}},
		{"the same tag in another case", "/settings/tags", url.Values{"name": {"vip <B>"}}, http.StatusSeeOther, []string{"VIP &lt;b&gt;"}},
		{"a blank tag", "/settings/tags", url.Values{"name": {"  "}}, http.StatusUnprocessableEntity, []string{"<strong>name</strong>"}},
		{"a text field", "/settings/fields", url.Values{"name": {"Plan"}, "type": {"text"}}, http.StatusSeeOther, []string{"Plan", "text"}},
		{"a dropdown field", "/settings/fields", url.Values{"name": {"Size"}, "type": {"dropdown"}, "options": {"S\r\nM\r\n\r\nL"}}, http.StatusSeeOther, []string{"S, M, L"}},
		{"a dropdown without options", "/settings/fields", url.Values{"name": {"Colour"}, "type": {"dropdown"}, "options": {""}}, http.StatusUnprocessableEntity,
			[]string{"a dropdown field needs options", `value="Colour"`}},
		{"an unknown type", "/settings/fields", url.Values{"name": {"Colour"}, "type": {"colour"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>type</strong>", "is not one of", `value="Colour"`}},
		{"options twice", "/settings/fields", url.Values{"name": {"Colour"}, "type": {"checkbox"}, "options": {"red\nred"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>options</strong>", "given twice", "red\nred"}},
		{"options of a text field", "/settings/fields", url.Values{"name": {"Notes"}, "type": {"text"}, "options": {"a"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>options</strong>", "takes no options"}},
		{"a field changed", "/settings/fields", url.Values{"name": {"Size"}, "type": {"checkbox"}, "options": {"S\nXL"}, "editing": {"1"}}, http.StatusSeeOther, []string{"checkbox", "S, XL"}},
	})
	ctx := context.Background()
	tags, _ := r.svc.Resources.ListTags(ctx, r.acct.Principal)
	if len(tags) != 1 || tags[0].Name != "VIP <b>" {
		t.Errorf("tags %+v, want VIP <b> alone", tags)
	}
	fields, _ := r.svc.Resources.ListCustomFields(ctx, r.acct.Principal)
	if len(fields) != 2 || fields[1].Name != "Size" || fields[1].Type != carillon.FieldCheckbox || strings.Join(fields[1].Options, ",") != "S,XL" {
		t.Errorf("fields %+v", fields)
	}
	c, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	page := body(t, get(t, c, r.srv.URL+"/settings/fields?edit=Size"))
	if !strings.Contains(page, `value="Size" readonly`) || !strings.Contains(page, "S\nXL</textarea>") {
		t.Error("the form of a field does not show it")
	}
	if resp := get(t, c, r.srv.URL+"/settings/fields?edit=Nothing"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the form of no field: %d, want 404", resp.StatusCode)
	}
}

// TestTeamForms: teams are added as apply adds them, renamed as the API
// renames them, and their members changed as apply sets them.
func TestTeamForms(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	for _, email := range []string{"ada@example.com", "bob@example.com"} {
		u := carillon.User{UUID: carillon.NewUUID(), AccountID: r.acct.ID, Email: email, Name: strings.Split(email, "@")[0], CreatedAt: time.Now()}
		if err := r.svc.Store().CreateUser(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	runForms(t, r, []formCase{
		{"a team", "/settings/teams", url.Values{"name": {"Sales"}}, http.StatusSeeOther, []string{"Sales"}},
		{"another", "/settings/teams", url.Values{"name": {"Support"}}, http.StatusSeeOther, []string{"Support"}},
		{"a blank name", "/settings/teams", url.Values{"name": {""}}, http.StatusUnprocessableEntity, []string{"<strong>name</strong>"}},
	})
	team := teamNamed(t, r, "Sales")
	sales := "/settings/teams/" + team.UUID
	runForms(t, r, []formCase{
		{"a member", sales + "/members", url.Values{"email": {"Ada@example.com"}}, http.StatusSeeOther, []string{"ada@example.com"}},
		{"another member", sales + "/members", url.Values{"email": {"bob@example.com"}}, http.StatusSeeOther, []string{"ada@example.com", "bob@example.com"}},
		{"no such user", sales + "/members", url.Values{"email": {"eve@example.com"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>members</strong>", html.EscapeString(`no user has the email "eve@example.com"`), `value="eve@example.com"`}},
		{"a member removed", sales + "/members/remove", url.Values{"email": {"ada@example.com"}}, http.StatusSeeOther, []string{"bob@example.com"}},
		{"a rename", sales, url.Values{"name": {"Sales EU"}}, http.StatusSeeOther, []string{"Sales EU"}},
		{"a taken name", sales, url.Values{"name": {"Support"}}, http.StatusUnprocessableEntity, []string{"<strong>name</strong>", "another team", `value="Support"`}},
	})
	members, _, _ := r.svc.Resources.TeamMembers(ctx, r.acct.Principal, team.UUID, "", service.PageRequest{})
	if len(members) != 1 || members[0].User.Email != "bob@example.com" {
		t.Errorf("members %+v, want bob alone", members)
	}
	if after, _ := r.svc.Resources.Team(ctx, r.acct.Principal, team.UUID); after.Name != "Sales EU" {
		t.Errorf("team named %q", after.Name)
	}
}

// teamNamed is the account's team of that name.
func teamNamed(t testing.TB, r *settingsRig, name string) service.TeamView {
	t.Helper()
	teams, _, err := r.svc.Resources.ListTeams(context.Background(), r.acct.Principal, service.PageRequest{Items: "100"})
	if err != nil {
		t.Fatal(err)
	}
	for _, team := range teams {
		if team.Name == name {
			return team
		}
	}
	t.Fatalf("no team named %q in %+v", name, teams)
	return service.TeamView{}
}

// TestFunnelsAndStatusesForms: funnel stages are declared as apply declares
// them; custom statuses made, changed and deleted as the API does.
func TestFunnelsAndStatusesForms(t *testing.T) {
	r := newSettingsRig(t)
	runForms(t, r, []formCase{
		{"a stage", "/settings/funnels", url.Values{"name": {"Lead <i>"}, "emoji": {"🌱"}, "position": {"0"}}, http.StatusSeeOther, []string{"Lead &lt;i&gt;", "🌱"}},
		{"a blank name", "/settings/funnels", url.Values{"name": {""}, "position": {"1"}}, http.StatusUnprocessableEntity, []string{"<strong>name</strong>"}},
		{"a position that is no number", "/settings/funnels", url.Values{"name": {"Won"}, "position": {"first"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>position</strong>", `value="Won"`, `value="first"`}},
		{"a negative position", "/settings/funnels", url.Values{"name": {"Won"}, "position": {"-1"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>position</strong>", "0 or more"}},
		{"a status", "/settings/statuses", url.Values{"name": {"Lunch"}, "emoji": {"🍔"}}, http.StatusSeeOther, []string{"Lunch", "🍔"}},
		{"a status too long", "/settings/statuses", url.Values{"name": {strings.Repeat("x", 101)}}, http.StatusUnprocessableEntity, []string{"<strong>name</strong>", "at most 100"}},
		{"a status taken", "/settings/statuses", url.Values{"name": {"Lunch"}}, http.StatusUnprocessableEntity, []string{"<strong>name</strong>", "already"}},
	})
	ctx := context.Background()
	funnels, _, _ := r.svc.Resources.ListFunnels(ctx, r.acct.Principal, service.PageRequest{})
	statuses, _, _ := r.svc.Resources.ListCustomStatuses(ctx, r.acct.Principal, service.PageRequest{})
	if len(funnels) != 1 || len(statuses) != 1 {
		t.Fatalf("funnels %+v, statuses %+v", funnels, statuses)
	}
	runForms(t, r, []formCase{
		{"a stage renamed and moved", "/settings/funnels", url.Values{"uuid": {funnels[0].UUID}, "name": {"Prospect"}, "emoji": {""}, "position": {"3"}}, http.StatusSeeOther, []string{"Prospect"}},
		{"a status changed", "/settings/statuses", url.Values{"id": {statuses[0].UUID}, "name": {"Lunch break"}, "emoji": {""}}, http.StatusSeeOther, []string{"Lunch break"}},
	})
	funnels, _, _ = r.svc.Resources.ListFunnels(ctx, r.acct.Principal, service.PageRequest{})
	if len(funnels) != 1 || funnels[0].Name != "Prospect" || funnels[0].Position != 3 || funnels[0].Emoji != "" {
		t.Errorf("funnels %+v", funnels)
	}
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, path := range []string{"/settings/funnels?edit=" + funnels[0].UUID, "/settings/statuses?edit=" + statuses[0].UUID} {
		if page := body(t, get(t, c, r.srv.URL+path)); !strings.Contains(page, `name="uuid"`) && !strings.Contains(page, `name="id"`) {
			t.Errorf("%s shows no form of the object", path)
		}
	}
	lunch := statuses[0].UUID
	if resp := post(t, c, r.srv.URL+"/settings/statuses/delete", url.Values{"csrf": {csrf}, "id": {lunch}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("delete: %d", resp.StatusCode)
	}
	if statuses, _, _ = r.svc.Resources.ListCustomStatuses(ctx, r.acct.Principal, service.PageRequest{}); len(statuses) != 0 {
		t.Errorf("statuses after the delete: %+v", statuses)
	}
	if resp := post(t, c, r.srv.URL+"/settings/statuses/delete", url.Values{"csrf": {csrf}, "id": {lunch}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleting it again: %d, want 404", resp.StatusCode)
	}
}

// TestTemplateRename renames a template as the API does; a title another
// template of the channel has in that language is a 422 naming the field.
func TestTemplateRename(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	sandbox, err := r.svc.Store().MainChannel(ctx, r.acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	var uuids []string
	for _, title := range []string{"welcome", "goodbye"} {
		tpl := carillon.Template{UUID: carillon.NewUUID(), AccountID: r.acct.ID, ChannelID: sandbox.ID, Title: title, Text: "Hi {{1}}", Type: "text",
			Category: "UTILITY", Status: "approved", Language: "en", CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := r.svc.Store().CreateTemplate(ctx, &tpl); err != nil {
			t.Fatal(err)
		}
		uuids = append(uuids, tpl.UUID)
	}
	c, _ := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	if page := body(t, get(t, c, r.srv.URL+"/settings/templates?edit="+uuids[0])); !strings.Contains(page, `value="welcome"`) {
		t.Error("the rename form does not show the template's title")
	}
	runForms(t, r, []formCase{
		{"a rename", "/settings/templates", url.Values{"uuid": {uuids[0]}, "title": {"hello <there>"}}, http.StatusSeeOther, []string{"hello &lt;there&gt;", "Saved."}},
		{"a title taken", "/settings/templates", url.Values{"uuid": {uuids[0]}, "title": {"goodbye"}}, http.StatusUnprocessableEntity,
			[]string{"<strong>title</strong>", "another template", `value="goodbye"`}},
		{"a blank title", "/settings/templates", url.Values{"uuid": {uuids[0]}, "title": {" "}}, http.StatusUnprocessableEntity, []string{"<strong>title</strong>"}},
	})
	if tpl, _ := r.svc.Resources.Template(ctx, r.acct.Principal, uuids[0]); tpl.Title != "hello <there>" {
		t.Errorf("the template is titled %q", tpl.Title)
	}
}
