package console

import (
	"context"
	"fmt"
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
	for _, path := range []string{"/settings/teams", "/settings/teams/" + sales.UUID, "/settings/tags", "/settings/fields", "/settings/templates"} {
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
		for _, path := range []string{"/settings/teams", "/settings/tags", "/settings/tags/delete", "/settings/fields", "/settings/templates"} {
			if resp := post(t, c, r.srv.URL+path, url.Values{"csrf": {csrf}, "name": {"Sneaky"}, "type": {"text"}, "confirm": {"1"},
				"title": {"sneaky"}, "channel": {"sandbox"}, "category": {"UTILITY"}, "text": {"Hi"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s as %s: %d, want 403", path, role, resp.StatusCode)
			}
		}
	}
	if tags, _, _ := r.svc.Resources.ListTags(ctx, r.acct.Principal, service.PageRequest{}); len(tags) != 0 {
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
	if _, err := r.svc.Resources.DeclareTag(ctx, r.acct.Principal, "Kept"); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/settings/teams", "/settings/teams/" + team.UUID, "/settings/teams/" + team.UUID + "/members",
		"/settings/tags", "/settings/tags/delete", "/settings/fields", "/settings/templates", "/settings/channels/new"} {
		for _, token := range []string{"", csrfToken("another session")} {
			if resp := post(t, c, r.srv.URL+path, url.Values{"csrf": {token}, "name": {"Kept"}, "confirm": {"1"}, "type": {"text"}, "email": {"a@example.com"},
				"title": {"forged"}, "channel": {"sandbox"}, "category": {"UTILITY"}, "text": {"Hi"}}); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with token %q: %d, want 403", path, token, resp.StatusCode)
			}
		}
	}
	if tags, _, _ := r.svc.Resources.ListTags(ctx, r.acct.Principal, service.PageRequest{}); len(tags) != 1 || tags[0].Name != "Kept" {
		t.Errorf("forged forms made or deleted tags: %v", tags)
	}
	if list, _, _ := r.svc.Resources.ListTemplates(ctx, r.acct.Principal, service.PageRequest{}); len(list) != 0 {
		t.Errorf("forged forms made templates: %v", list)
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
	tags, _, _ := r.svc.Resources.ListTags(ctx, r.acct.Principal, service.PageRequest{})
	if len(tags) != 1 || tags[0].Name != "VIP <b>" {
		t.Errorf("tags %+v, want VIP <b> alone", tags)
	}
	fields, _, _ := r.svc.Resources.ListCustomFields(ctx, r.acct.Principal, service.PageRequest{})
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

// TestTemplateForms: a template is declared as a templates entry of apply
// declares it: made, with its buttons; refused at its field with what was
// typed kept; changed whole by its uuid.
func TestTemplateForms(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	form := func(extra ...string) url.Values {
		v := url.Values{"channel": {"sandbox"}, "title": {"order_shipped"}, "language": {"en"}, "category": {"UTILITY"}, "type": {"text"},
			"status": {"approved"}, "text": {"Hello {{1}} <b>"},
			"button_type": {"url", "", ""}, "button_text": {"Track", "", ""}, "button_url": {"https://example.com/t/{{1}}", "", ""},
			"button_phone_number": {"", "", ""}, "button_otp_type": {"copy_code", "copy_code", "copy_code"}}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	runForms(t, r, []formCase{
		{"a template", "/settings/templates", form(), http.StatusSeeOther, []string{"order_shipped", "Hello {{1}} &lt;b&gt;", "url: Track", "Saved."}},
		{"a gap in the placeholders", "/settings/templates", form("title", "gap", "text", "Hi {{2}}"), http.StatusUnprocessableEntity,
			[]string{"<strong>text</strong>", "placeholder {{1}} is missing", `value="gap"`, `id="template-text" name="text" rows="4" required aria-invalid="true"`}},
		{"a channel of no title", "/settings/templates", form("title", "lost", "channel", "nope"), http.StatusUnprocessableEntity,
			[]string{"<strong>channel</strong>", "no channel is titled"}},
		{"a button without its url", "/settings/templates", form("title", "nourl", "button_url", ""), http.StatusUnprocessableEntity,
			[]string{"<strong>buttons</strong>", "button 1: a url button needs url", `value="Track"`}},
		{"an otp button of a utility template", "/settings/templates", form("title", "otp", "button_type", "otp", "button_url", ""), http.StatusUnprocessableEntity,
			[]string{"<strong>buttons</strong>", "belongs to an AUTHENTICATION template"}},
	})
	list, _, _ := r.svc.Resources.ListTemplates(ctx, r.acct.Principal, service.PageRequest{})
	if len(list) != 1 || len(list[0].Buttons) != 1 || list[0].Buttons[0].URL != "https://example.com/t/{{1}}" || list[0].Text != "Hello {{1}} <b>" {
		t.Fatalf("templates %+v", list)
	}
	made := list[0]
	c, _ := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	page := body(t, get(t, c, r.srv.URL+"/settings/templates?edit="+made.UUID))
	for _, want := range []string{`name="uuid" value="` + made.UUID + `"`, `value="order_shipped"`, `<option value="sandbox" selected>`,
		`value="https://example.com/t/{{1}}"`, `id="button-3-type"`, "Change the template order_shipped"} {
		if !strings.Contains(page, want) {
			t.Errorf("the form of the template does not show %s", want)
		}
	}
	for _, bad := range []string{carillon.NewUUID(), "%ff"} {
		if resp := get(t, c, r.srv.URL+"/settings/templates?edit="+bad); resp.StatusCode != http.StatusNotFound {
			t.Errorf("the form of template %q: %d, want 404", bad, resp.StatusCode)
		}
	}
	runForms(t, r, []formCase{
		{"changed whole", "/settings/templates", form("uuid", made.UUID, "title", "order_sent", "status", "paused", "button_type", ""), http.StatusSeeOther,
			[]string{"order_sent", "paused"}},
	})
	got, err := r.svc.Resources.Template(ctx, r.acct.Principal, made.UUID)
	if err != nil || got.Title != "order_sent" || got.Status != "paused" || len(got.Buttons) != 0 {
		t.Errorf("the template changed: %+v, %v", got, err)
	}
}

// TestDeleteTagForm: a tag's delete asks first, saying how many contacts
// have it; confirmed, it is deleted and they lose it.
func TestDeleteTagForm(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	p := r.acct.Principal
	for _, name := range []string{"Lead <x>", "VIP"} {
		if _, err := r.svc.Resources.DeclareTag(ctx, p, name); err != nil {
			t.Fatal(err)
		}
	}
	var contacts []string
	for _, number := range []string{"+31612345671", "+31612345672"} {
		cv, err := r.svc.Contacts.CreateContact(ctx, p, service.ContactInput{Identifier: number, Source: "whatsapp", Name: "C", Tags: []string{"Lead <x>", "VIP"}})
		if err != nil {
			t.Fatal(err)
		}
		contacts = append(contacts, cv.UUID)
	}
	c, csrf := r.client(t, roleUsers[carillon.RoleSettingsAgent])
	resp := post(t, c, r.srv.URL+"/settings/tags/delete", url.Values{"csrf": {csrf}, "name": {"lead <X>"}})
	page := body(t, resp)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Delete the tag Lead &lt;x&gt;?") || !strings.Contains(page, "2 contact(s)") ||
		!strings.Contains(page, `name="confirm" value="1"`) {
		t.Fatalf("asking to delete: %d\n%s", resp.StatusCode, page)
	}
	if v, _ := r.svc.Contacts.Contact(ctx, p, contacts[0]); len(v.Tags) != 2 {
		t.Errorf("asking deleted the tag: %v", v.Tags)
	}
	resp = post(t, c, r.srv.URL+"/settings/tags/delete", url.Values{"csrf": {csrf}, "name": {"Lead <x>"}, "confirm": {"1"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/settings/tags?contacts=2&deleted=Lead+%3Cx%3E" {
		t.Fatalf("deleting: %d to %q", resp.StatusCode, loc)
	}
	page = body(t, get(t, c, r.srv.URL+resp.Header.Get("Location")))
	if !strings.Contains(page, "Deleted the tag <strong>Lead &lt;x&gt;</strong>: 2 contact(s) had it") {
		t.Error("the page does not say the tag was deleted")
	}
	for _, uuid := range contacts {
		if v, _ := r.svc.Contacts.Contact(ctx, p, uuid); strings.Join(v.Tags, ",") != "VIP" {
			t.Errorf("contact %s has the tags %v after the delete", uuid, v.Tags)
		}
	}
	for _, confirm := range []string{"", "1"} {
		if resp := post(t, c, r.srv.URL+"/settings/tags/delete", url.Values{"csrf": {csrf}, "name": {"Lead <x>"}, "confirm": {confirm}}); resp.StatusCode != http.StatusNotFound {
			t.Errorf("deleting it again (confirm %q): %d, want 404", confirm, resp.StatusCode)
		}
	}
}

// TestSettingsPages: a settings list shows 50 entries a page, with links
// to the others; a form sent from a page comes back to it.
func TestSettingsPages(t *testing.T) {
	r := newSettingsRig(t)
	ctx := context.Background()
	for i := range perPage + 3 {
		if _, err := r.svc.Resources.DeclareTag(ctx, r.acct.Principal, fmt.Sprintf("tag %02d", i)); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Resources.DeclareFunnel(ctx, r.acct.Principal, service.FunnelEntry{Name: fmt.Sprintf("stage %02d", i), Position: i}); err != nil {
			t.Fatal(err)
		}
	}
	c, csrf := r.client(t, roleUsers[carillon.RoleAdmin])
	first := body(t, get(t, c, r.srv.URL+"/settings/tags"))
	second := body(t, get(t, c, r.srv.URL+"/settings/tags?page=2"))
	if n := strings.Count(first, `action="/settings/tags/delete"`); n != perPage {
		t.Errorf("the first page lists %d tags, want %d", n, perPage)
	}
	if !strings.Contains(first, `<a href="/settings/tags?page=2" rel="next">`) || !strings.Contains(first, "Page 1 of 2 (53 in all)") {
		t.Error("the first page does not link the second")
	}
	if n := strings.Count(second, `action="/settings/tags/delete"`); n != 3 || !strings.Contains(second, "tag 52") || strings.Contains(second, "tag 49") {
		t.Errorf("the second page lists %d tags", n)
	}
	if !strings.Contains(second, `<a href="/settings/tags" rel="prev">`) || strings.Contains(second, `rel="next"`) {
		t.Error("the second page does not link back to the first alone")
	}
	if !strings.Contains(second, `<input type="hidden" name="page" value="2">`) {
		t.Error("the second page's forms do not carry their page")
	}
	resp := post(t, c, r.srv.URL+"/settings/tags", url.Values{"csrf": {csrf}, "name": {"tag 99"}, "page": {"2"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/settings/tags?changed=1&page=2" {
		t.Errorf("a tag added from the second page: %d to %q", resp.StatusCode, loc)
	}
	resp = post(t, c, r.srv.URL+"/settings/tags", url.Values{"csrf": {csrf}, "name": {" "}, "page": {"2"}})
	if page := body(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "tag 52") {
		t.Errorf("a refused tag on the second page: %d, the page shows the second page: %v", resp.StatusCode, strings.Contains(page, "tag 52"))
	}
	if resp := get(t, c, r.srv.URL+"/settings/tags?page=two"); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("a page that is no number: %d, want 422", resp.StatusCode)
	}
	if page := body(t, get(t, c, r.srv.URL+"/settings/tags?page=9")); !strings.Contains(page, `<a href="/settings/tags?page=2" rel="prev">`) {
		t.Error("a page past the last does not lead back to the last")
	}
	// A new stage is offered the position after every other.
	if page := body(t, get(t, c, r.srv.URL+"/settings/funnels")); !strings.Contains(page, `name="position" type="number" min="0" required value="53"`) {
		t.Error("the new stage's position is not after the others")
	}
}
