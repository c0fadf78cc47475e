package console

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// assignTo assigns the contact uuid of the account of p to the user with
// that email.
func assignTo(t testing.TB, svc *service.Service, p service.Principal, uuid, email string) {
	t.Helper()
	if _, err := svc.Contacts.UpdateContact(context.Background(), p, uuid, service.ContactUpdate{AssignedUser: &email}); err != nil {
		t.Fatal(err)
	}
}

// TestContactPagesViewers opens the contact page and the conversation of
// five contacts as each role: one assigned to the restricted agent (of no
// team), one assigned to nobody (of no team), one of the agent's team, one
// of another team, one of another account. A restricted agent opens only
// theirs; an agent the contacts of no team and of their team; the others
// every contact of the account; what a user may not see answers 404 and
// shows nothing of it, as another account's contact does.
func TestContactPagesViewers(t *testing.T) {
	r := newRig(t, service.Options{})
	p := r.acct.Principal
	type contact struct{ uuid, conversation, note string }
	var mine, unassigned, foreign contact
	mine.note, unassigned.note, foreign.note = "note for the restricted agent", "note for the team", "note of another account"
	mine.uuid, mine.conversation = contactWithConversation(t, r.svc, p, "Assigned", mine.note)
	assignTo(t, r.svc, p, mine.uuid, roleUsers[carillon.RoleRestrictedAgent])
	// contactWithConversation writes to the same number: another one.
	c, err := r.svc.Contacts.CreateContact(context.Background(), p, service.ContactInput{Identifier: "+31687654321", Source: "whatsapp", Name: "Unassigned"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Contacts.OpenConversation(context.Background(), p, c.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Contacts.AddNote(context.Background(), p, c.UUID, unassigned.note); err != nil {
		t.Fatal(err)
	}
	v, err := r.svc.Contacts.Contact(context.Background(), p, c.UUID)
	if err != nil {
		t.Fatal(err)
	}
	unassigned.uuid, unassigned.conversation = v.UUID, v.ConversationUUID
	other, _, _, err := r.svc.Accounts.SetupAccount(context.Background(), "other", false)
	if err != nil {
		t.Fatal(err)
	}
	op := p
	op.Account = other
	foreign.uuid, foreign.conversation = contactWithConversation(t, r.svc, op, "Foreign", foreign.note)

	// The agent is a member of team Ours, the settings agent of Theirs.
	var ours, theirs contact
	for _, tm := range []struct {
		name, member, number string
		c                    *contact
	}{{"Ours", roleUsers[carillon.RoleAgent], "+31687654322", &ours}, {"Theirs", roleUsers[carillon.RoleSettingsAgent], "+31687654323", &theirs}} {
		if _, err := r.svc.Resources.DeclareTeam(context.Background(), p, service.TeamEntry{Name: tm.name, Members: []string{tm.member}}); err != nil {
			t.Fatal(err)
		}
		teams, _, err := r.svc.Resources.ListTeams(context.Background(), p, service.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		var team string
		for _, tv := range teams {
			if tv.Name == tm.name {
				team = tv.UUID
			}
		}
		tm.c.note = "note for team " + tm.name
		c, err := r.svc.Contacts.CreateContact(context.Background(), p, service.ContactInput{Identifier: tm.number, Source: "whatsapp", Name: tm.name, TeamUUID: team})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Contacts.OpenConversation(context.Background(), p, c.UUID); err != nil {
			t.Fatal(err)
		}
		if _, err := r.svc.Contacts.AddNote(context.Background(), p, c.UUID, tm.c.note); err != nil {
			t.Fatal(err)
		}
		v, err := r.svc.Contacts.Contact(context.Background(), p, c.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if v.ConversationUUID == "" {
			t.Fatalf("contact %s has no conversation", v.UUID)
		}
		tm.c.uuid, tm.c.conversation = v.UUID, v.ConversationUUID
	}

	everyOfTheAccount := []contact{mine, unassigned, ours, theirs}
	cases := []struct {
		role carillon.Role
		sees []contact
	}{
		{carillon.RoleAdmin, everyOfTheAccount},
		{carillon.RoleSettingsAgent, everyOfTheAccount},
		{carillon.RoleAgent, []contact{mine, unassigned, ours}},
		{carillon.RoleRestrictedAgent, []contact{mine}},
	}
	for _, tc := range cases {
		t.Run(string(tc.role), func(t *testing.T) {
			client, _ := r.client(t, roleUsers[tc.role])
			for _, c := range []contact{mine, unassigned, ours, theirs, foreign} {
				visible := false
				for _, s := range tc.sees {
					visible = visible || s == c
				}
				for _, path := range []string{"/contacts/" + c.uuid, "/chat/" + c.conversation} {
					resp := get(t, client, r.srv.URL+path)
					body := readBody(t, resp)
					switch {
					case visible && (resp.StatusCode != http.StatusOK || !strings.Contains(body, c.note)):
						t.Errorf("GET %s: %d, want 200 with the note %q", path, resp.StatusCode, c.note)
					case !visible && resp.StatusCode != http.StatusNotFound:
						t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
					case !visible && strings.Contains(body, c.note):
						t.Errorf("GET %s answered 404 with the contact's message", path)
					}
				}
			}
		})
	}
}

// inboxRig is a rig whose account has a webhook that keeps every event,
// the API served beside the console, teams Sales (the agent's) and
// Support, a tag, a custom field and a funnel stage.
type inboxRig struct {
	*rig
	api            string
	sales, support string
	funnel         string
}

func newInboxRig(t *testing.T) *inboxRig {
	t.Helper()
	r := newRig(t, service.Options{})
	ctx := context.Background()
	p := r.acct.Principal
	if _, _, err := r.svc.Webhooks.Subscribe(ctx, p, "https://hooks.example.com/carillon", carillon.WebhookEventNames); err != nil {
		t.Fatal(err)
	}
	ir := &inboxRig{rig: r, api: testrig.API(t, testrig.APIOptions(r.svc)).URL}
	for _, tm := range []struct {
		name    string
		members []string
		uuid    *string
	}{{"Sales", []string{roleUsers[carillon.RoleAgent]}, &ir.sales}, {"Support", nil, &ir.support}} {
		if _, err := r.svc.Resources.DeclareTeam(ctx, p, service.TeamEntry{Name: tm.name, Members: tm.members}); err != nil {
			t.Fatal(err)
		}
		*tm.uuid = teamUUID(t, r, tm.name)
	}
	if _, err := r.svc.Resources.DeclareTag(ctx, p, "vip"); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Resources.DeclareField(ctx, p, service.FieldEntry{Name: "Plan", Type: "dropdown", Options: []string{"Free", "Pro"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Resources.DeclareFunnel(ctx, p, service.FunnelEntry{Name: "Won", Position: 0}); err != nil {
		t.Fatal(err)
	}
	ir.funnel = funnelUUID(t, r, "Won")
	return ir
}

// customer makes a contact whose customer wrote text, and returns it.
func (r *inboxRig) customer(t *testing.T, number, name, text string) service.ContactView {
	t.Helper()
	ctx := context.Background()
	ch, err := r.svc.Store().MainChannel(ctx, r.acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.svc.Messages.Receive(ctx, ch, carillon.InboundMessage{ChannelID: ch.ID, From: number, ProfileName: name,
		ExternalID: "wamid." + carillon.NewUUID(), Type: carillon.TypeText, Content: carillon.Content{Text: text}}); err != nil {
		t.Fatal(err)
	}
	c, err := r.svc.Contacts.ContactByPhone(ctx, r.acct.Principal, "+"+number, "")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// events lists the names of the events recorded for contact uuid since
// the last call (seen holds what was seen), oldest first.
func (r *inboxRig) events(t *testing.T, uuid string, seen map[string]bool) []string {
	t.Helper()
	list := r.allEvents(t)
	var out []string
	for i := len(list) - 1; i >= 0; i-- {
		e := list[i]
		if e.Subject != "contact:"+uuid || seen[e.UUID] {
			continue
		}
		seen[e.UUID] = true
		out = append(out, e.Event)
	}
	return out
}

// allEvents lists the account's webhook events, newest first.
func (r *inboxRig) allEvents(t *testing.T) []carillon.WebhookEvent {
	t.Helper()
	var all []carillon.WebhookEvent
	q := service.WebhookLogQuery{}
	for {
		page, err := r.svc.Webhooks.WebhookLog(context.Background(), r.acct.Principal, q)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page.Events...)
		if page.Next == "" {
			return all
		}
		q.After = page.Next
	}
}

// apiCall sends a request to the API with the account's key.
func (r *inboxRig) apiCall(t *testing.T, method, path, body string) {
	t.Helper()
	req, err := http.NewRequest(method, r.api+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+r.acct.Key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
}

// TestChatActionsAsTheAPI sends each action of the conversation's page on
// one contact, and the API's request on another in the same state: both
// change their contact alike and record the same webhook events.
func TestChatActionsAsTheAPI(t *testing.T) {
	r := newInboxRig(t)
	ctx := context.Background()
	mine := r.customer(t, "31600000001", "Console", "hello")
	theirs := r.customer(t, "31600000002", "API", "hello")
	seenMine, seenTheirs := map[string]bool{}, map[string]bool{}
	r.events(t, mine.UUID, seenMine)
	r.events(t, theirs.UUID, seenTheirs)
	admin := roleUsers[carillon.RoleAdmin]
	client, csrf := r.client(t, admin)
	cases := []struct {
		name       string
		action     string
		form       url.Values
		method     string
		path, body string
		// state reads what both contacts must share after the change.
		state func(c service.ContactView) string
		// events are the events both record.
		events string
	}{
		{"take", "take", url.Values{}, "PATCH", "", `{"assigned_user": "` + admin + `"}`,
			func(c service.ContactView) string { return c.AssignedUser }, "contact_updated"},
		{"assign", "assign", url.Values{"user": {roleUsers[carillon.RoleAgent]}}, "PATCH", "", `{"assigned_user": "` + roleUsers[carillon.RoleAgent] + `"}`,
			func(c service.ContactView) string { return c.AssignedUser }, "contact_updated"},
		{"unassign", "assign", url.Values{"user": {""}}, "PATCH", "", `{"unassign_user": true}`,
			func(c service.ContactView) string { return c.AssignedUser }, "contact_updated"},
		{"team", "team", url.Values{"team": {r.sales}}, "PATCH", "", `{"team_uuid": "` + r.sales + `"}`,
			func(c service.ContactView) string { return c.Team.Name }, "contact_updated"},
		{"add a tag", "tags", url.Values{"tag": {"vip"}}, "PATCH", "", `{"tags": ["vip"]}`,
			func(c service.ContactView) string { return strings.Join(c.Tags, ",") }, "contact_updated"},
		{"remove a tag", "tags/remove", url.Values{"tag": {"vip"}}, "PATCH", "", `{"tags": []}`,
			func(c service.ContactView) string { return strings.Join(c.Tags, ",") }, "contact_updated"},
		{"custom fields", "fields", url.Values{"present:Plan": {"dropdown"}, "field:Plan": {"Pro"}}, "PATCH", "", `{"custom_fields": {"Plan": "Pro"}}`,
			func(c service.ContactView) string { return c.Fields["Plan"].Value }, "contact_updated"},
		{"funnel stage", "funnel", url.Values{"funnel": {r.funnel}}, "PUT", "/conversation/update_funnel", `{"funnel_id": "` + r.funnel + `"}`,
			func(c service.ContactView) string { return c.FunnelID }, "contact_updated"},
		{"bot on", "bot", url.Values{"status": {"bot_start"}}, "POST", "/bot", `{"status": "bot_start"}`,
			func(c service.ContactView) string { return c.BotStatus }, ""},
		{"bot off", "bot", url.Values{"status": {"bot_end"}}, "POST", "/bot", `{"status": "bot_end"}`,
			func(c service.ContactView) string { return c.BotStatus }, ""},
		{"note", "notes", url.Values{"text": {"called them back"}}, "POST", "/conversation/note", `{"text": "called them back"}`,
			func(c service.ContactView) string { return "" }, ""},
		{"close", "close", url.Values{"reason": {"solved"}}, "POST", "/conversation/close", `{"closing_reason": "solved"}`,
			func(c service.ContactView) string { return fmt.Sprint(c.ConversationOpen(), c.ClosingReason) }, "conversation_closed"},
		{"reopen", "reopen", url.Values{}, "POST", "/conversation/open", `{}`,
			func(c service.ContactView) string { return fmt.Sprint(c.ConversationOpen(), c.ClosingReason) }, "conversation_opened"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			form := tc.form
			form.Set("csrf", csrf)
			resp := post(t, client, r.srv.URL+"/chat/"+mine.ConversationUUID+"/"+tc.action+"?view=mine", form)
			if resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("POST %s: %d %s", tc.action, resp.StatusCode, readBody(t, resp))
			}
			if loc := resp.Header.Get("Location"); loc != "/chat/"+mine.ConversationUUID+"?view=mine" {
				t.Errorf("POST %s led to %s, want the conversation beside its view", tc.action, loc)
			}
			r.apiCall(t, tc.method, "/v1/contacts/"+theirs.UUID+tc.path, tc.body)
			got, want := r.events(t, mine.UUID, seenMine), r.events(t, theirs.UUID, seenTheirs)
			if strings.Join(got, ",") != tc.events || strings.Join(want, ",") != tc.events {
				t.Errorf("the console recorded %v, the API %v, want %q for both", got, want, tc.events)
			}
			a, err := r.svc.Contacts.Contact(ctx, r.acct.Principal, mine.UUID)
			if err != nil {
				t.Fatal(err)
			}
			b, err := r.svc.Contacts.Contact(ctx, r.acct.Principal, theirs.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if tc.state(a) != tc.state(b) {
				t.Errorf("the console's contact has %q, the API's %q", tc.state(a), tc.state(b))
			}
		})
	}
	// Every kind of event an action records was seen.
	var all []string
	for _, e := range r.allEvents(t) {
		all = append(all, e.Event)
	}
	for _, want := range []string{carillon.EventContactUpdated, carillon.EventConversationClosed, carillon.EventConversationOpened} {
		if !slices.Contains(all, want) {
			t.Errorf("no action recorded %s", want)
		}
	}
	// The note is in the conversation.
	body := readBody(t, get(t, client, r.srv.URL+"/chat/"+mine.ConversationUUID))
	if !strings.Contains(body, "called them back") {
		t.Error("the note is not in the thread")
	}
}

// TestChatActionRules: an action is refused with the conversation's page
// and its problem when the service refuses it (422), when its form has no
// valid token (403), on a conversation the user may not see (404); a
// change that takes the conversation out of the user's sight leads back
// to the inbox.
func TestChatActionRules(t *testing.T) {
	r := newInboxRig(t)
	ctx := context.Background()
	theirs := r.customer(t, "31600000001", "Rosa", "hello")
	assignTo(t, r.svc, r.acct.Principal, theirs.UUID, roleUsers[carillon.RoleRestrictedAgent])
	other := r.customer(t, "31600000002", "Sam", "hello")

	restricted, csrf := r.client(t, roleUsers[carillon.RoleRestrictedAgent])
	// Another's conversation: not found, nothing changed.
	resp := post(t, restricted, r.srv.URL+"/chat/"+other.ConversationUUID+"/close", url.Values{"csrf": {csrf}, "reason": {"mine now"}})
	if resp.StatusCode != http.StatusNotFound || strings.Contains(readBody(t, resp), "Sam") {
		t.Errorf("a restricted agent closing another's conversation: %d, want 404 showing nothing of it", resp.StatusCode)
	}
	// No token: refused.
	resp = post(t, restricted, r.srv.URL+"/chat/"+theirs.ConversationUUID+"/close", url.Values{"reason": {"no token"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("an action without its token: %d, want 403", resp.StatusCode)
	}
	// Refused by the service: the page again, with the problem and what
	// was typed.
	long := strings.Repeat("é", 1001)
	resp = post(t, restricted, r.srv.URL+"/chat/"+theirs.ConversationUUID+"/close", url.Values{"csrf": {csrf}, "reason": {long}})
	body := readBody(t, resp)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problem-close"`) || !strings.Contains(body, "at most 1000") ||
		!strings.Contains(body, long) {
		t.Errorf("a reason too long: %d, want 422 with the problem beside the form and the reason kept", resp.StatusCode)
	}
	for _, c := range []service.ContactView{theirs, other} {
		v, err := r.svc.Contacts.Contact(ctx, r.acct.Principal, c.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if !v.ConversationOpen() {
			t.Errorf("%s's conversation was closed by a refused action", v.Name)
		}
	}
	// Handing the conversation to someone else: it is no longer theirs to
	// see, and they are back in the inbox.
	resp = post(t, restricted, r.srv.URL+"/chat/"+theirs.ConversationUUID+"/assign?view=mine", url.Values{"csrf": {csrf}, "user": {roleUsers[carillon.RoleAgent]}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/inbox?view=mine" {
		t.Errorf("handing the conversation over: %d to %q, want 303 to the inbox's view", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp = get(t, restricted, r.srv.URL+"/chat/"+theirs.ConversationUUID)
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("the conversation handed over: %d, want 404", resp.StatusCode)
	}
}

// TestInboxPage reads the inbox as each role: the views offered, the
// conversations listed, the unread count in the tab's title, a query that
// cannot be read (422), a next page; opening a conversation reads it.
func TestInboxPage(t *testing.T) {
	r := newInboxRig(t)
	nobodys := r.customer(t, "31600000001", "Noor", "a question")
	sales := r.customer(t, "31600000002", "Sam", "a quote please")
	sam := r.sales
	if _, err := r.svc.Contacts.UpdateContact(context.Background(), r.acct.Principal, sales.UUID, service.ContactUpdate{TeamUUID: &sam}); err != nil {
		t.Fatal(err)
	}
	support := r.customer(t, "31600000003", "Sofie", "my address")
	sup := r.support
	if _, err := r.svc.Contacts.UpdateContact(context.Background(), r.acct.Principal, support.UUID, service.ContactUpdate{TeamUUID: &sup}); err != nil {
		t.Fatal(err)
	}
	rosa := r.customer(t, "31600000004", "Rosa", "my order")
	assignTo(t, r.svc, r.acct.Principal, rosa.UUID, roleUsers[carillon.RoleRestrictedAgent])

	title := regexp.MustCompile(`<title>([^<]*)</title>`)
	cases := []struct {
		role         carillon.Role
		path         string
		title        string
		lists, hides []string
	}{
		{carillon.RoleAdmin, "/inbox", "(4) All · Inbox · carillon", []string{"Noor", "Sam", "Sofie", "Rosa"}, nil},
		{carillon.RoleAdmin, "/inbox?view=team&amp;team=" + r.support, "(1) Support · Inbox · carillon", []string{"Sofie"}, []string{"Noor", "Sam"}},
		{carillon.RoleAgent, "/inbox", "(3) All · Inbox · carillon", []string{"Noor", "Sam", "Rosa"}, []string{"Sofie"}},
		{carillon.RoleAgent, "/inbox?view=unassigned", "(2) Unassigned · Inbox · carillon", []string{"Noor", "Sam"}, nil},
		{carillon.RoleRestrictedAgent, "/inbox", "(1) My chats · Inbox · carillon", []string{"Rosa"}, []string{"Noor", "Sam", "Sofie"}},
		{carillon.RoleRestrictedAgent, "/inbox?view=closed", "Closed · Inbox · carillon", nil, []string{"Rosa"}},
	}
	for _, tc := range cases {
		client, _ := r.client(t, roleUsers[tc.role])
		resp := get(t, client, r.srv.URL+strings.ReplaceAll(tc.path, "&amp;", "&"))
		body := readBody(t, resp)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s: %d", tc.role, tc.path, resp.StatusCode)
			continue
		}
		if m := title.FindStringSubmatch(body); m == nil || m[1] != tc.title {
			t.Errorf("%s %s: title %v, want %q", tc.role, tc.path, m, tc.title)
		}
		for _, name := range tc.lists {
			if !strings.Contains(body, `<span class="chat-name">`+name+`</span>`) {
				t.Errorf("%s %s does not list %s", tc.role, tc.path, name)
			}
		}
		for _, name := range tc.hides {
			if strings.Contains(body, `<span class="chat-name">`+name+`</span>`) {
				t.Errorf("%s %s lists %s", tc.role, tc.path, name)
			}
		}
		for _, want := range []string{`data-live="inbox"`, `id="chat-list" data-live-region`, `action="/search"`, `name="q"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s %s lacks %s", tc.role, tc.path, want)
			}
		}
	}

	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	resp := get(t, admin, r.srv.URL+"/inbox?sort=random")
	if body := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "Sort is newest, oldest or unassigned") {
		t.Errorf("a sort that is none: %d, want 422 naming it", resp.StatusCode)
	}
	// Opening a conversation reads it: one unread fewer.
	resp = get(t, admin, r.srv.URL+"/chat/"+nobodys.ConversationUUID+"?view=all")
	body := readBody(t, resp)
	for _, want := range []string{`data-live="chat:` + nobodys.ConversationUUID + `"`, `id="thread" data-live-region`, `id="contact-panel" data-live-region`,
		`id="chat-list" data-live-region`, "data-presence", `aria-current="page"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the conversation's page lacks %s", want)
		}
	}
	if m := title.FindStringSubmatch(body); m == nil || m[1] != "(3) Noor · carillon" {
		t.Errorf("the conversation's title %v, want the view's unread count after reading it", m)
	}
	if resp := get(t, admin, r.srv.URL+"/contacts/"+nobodys.UUID); resp.StatusCode != http.StatusOK || !strings.Contains(readBody(t, resp), "a question") {
		t.Errorf("the contact's page: %d, want its conversation", resp.StatusCode)
	}
}

// TestInboxUnreadBound counts a view's unread conversations exactly up to
// service.InboxUnreadBound and shows "99+" past it, in the tab's title and
// in each view's badge; reading one brings the exact count back, and a
// restricted agent's count keeps to their chats.
func TestInboxUnreadBound(t *testing.T) {
	r := newInboxRig(t)
	bound := service.InboxUnreadBound
	var first service.ContactView
	for i := range bound {
		c := r.customer(t, fmt.Sprintf("3160000%04d", i), fmt.Sprintf("Customer %03d", i), "hello")
		if i == 0 {
			first = c
		}
	}
	title := regexp.MustCompile(`<title>([^<]*)</title>`)
	badge := func(label, count string) string {
		return label + ` <span class="count">` + count + `<span class="visually-hidden"> unread</span></span>`
	}
	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	restricted, _ := r.client(t, roleUsers[carillon.RoleRestrictedAgent])
	check := func(when string, client *http.Client, path, wantTitle string, badges, noBadges []string) {
		t.Helper()
		resp := get(t, client, r.srv.URL+path)
		// As the browser reads it: the template writes + as &#43;.
		body := html.UnescapeString(readBody(t, resp))
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("%s: %s answers %d", when, path, resp.StatusCode)
		}
		if m := title.FindStringSubmatch(body); m == nil || m[1] != wantTitle {
			t.Errorf("%s: %s's title %v, want %q", when, path, m, wantTitle)
		}
		for _, b := range badges {
			if !strings.Contains(body, b) {
				t.Errorf("%s: %s lacks the badge %s", when, path, b)
			}
		}
		for _, b := range noBadges {
			if strings.Contains(body, b) {
				t.Errorf("%s: %s shows %s", when, path, b)
			}
		}
	}
	n := strconv.Itoa(bound)
	check("at the bound", admin, "/inbox", "("+n+") All · Inbox · carillon", []string{badge("All", n), badge("Unassigned", n)}, []string{n + "+"})

	r.customer(t, "31600009999", "One more", "hello")
	check("past the bound", admin, "/inbox", "("+n+"+) All · Inbox · carillon", []string{badge("All", n+"+"), badge("Unassigned", n+"+")}, nil)
	check("past the bound, restricted agent", restricted, "/inbox", "My chats · Inbox · carillon", nil, []string{`<span class="count">`})

	// Reading one brings the count back under the bound: exact again.
	get(t, admin, r.srv.URL+"/chat/"+first.ConversationUUID+"?view=all").Body.Close()
	check("one read", admin, "/inbox?view=unassigned", "("+n+") Unassigned · Inbox · carillon", []string{badge("All", n), badge("Unassigned", n)}, []string{n + "+"})
	assignTo(t, r.svc, r.acct.Principal, first.UUID, roleUsers[carillon.RoleRestrictedAgent])
	check("one assigned to the restricted agent", restricted, "/inbox", "(1) My chats · Inbox · carillon", []string{badge("My chats", "1")}, nil)
}

// TestInboxPages follows the next page of a view of 60 conversations.
func TestInboxPages(t *testing.T) {
	r := newInboxRig(t)
	for i := range 60 {
		r.customer(t, fmt.Sprintf("3160000%04d", i), fmt.Sprintf("Customer %02d", i), "hello")
	}
	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	next := regexp.MustCompile(`<a href="(/inbox\?[^"]*)" rel="next">`)
	names := regexp.MustCompile(`<span class="chat-name">(Customer \d\d)</span>`)
	body := readBody(t, get(t, admin, r.srv.URL+"/inbox?view=unassigned"))
	first := names.FindAllStringSubmatch(body, -1)
	m := next.FindStringSubmatch(body)
	if len(first) != service.InboxPageSize || m == nil {
		t.Fatalf("the first page lists %d with next link %v", len(first), m)
	}
	body = readBody(t, get(t, admin, r.srv.URL+strings.ReplaceAll(m[1], "&amp;", "&")))
	second := names.FindAllStringSubmatch(body, -1)
	if len(second) != 10 || next.MatchString(body) {
		t.Errorf("the second page lists %d, next link %v", len(second), next.MatchString(body))
	}
	if first[0][1] != "Customer 59" || second[9][1] != "Customer 00" || !strings.Contains(m[1], "view=unassigned") {
		t.Errorf("pages from %s to %s, next %s", first[0][1], second[9][1], m[1])
	}
}

// TestChatThreadPages follows a long thread's Earlier messages link, by
// its cursor, beside the view it was opened from, and back to the latest
// messages; a damaged cursor answers 422.
func TestChatThreadPages(t *testing.T) {
	r := newInboxRig(t)
	var c service.ContactView
	for i := range 60 {
		c = r.customer(t, "31600000001", "Noor", fmt.Sprintf("message %02d", i))
	}
	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	earlier := regexp.MustCompile(`<a href="([^"]*)">Earlier messages</a>`)
	latest := regexp.MustCompile(`<a href="([^"]*)">Latest messages</a>`)
	texts := regexp.MustCompile(`<p class="text">(message \d\d)</p>`)
	chat := "/chat/" + c.ConversationUUID + "?view=unassigned"
	body := readBody(t, get(t, admin, r.srv.URL+chat))
	shown := texts.FindAllStringSubmatch(body, -1)
	m := earlier.FindStringSubmatch(body)
	if len(shown) != service.ThreadPageSize || shown[0][1] != "message 10" || m == nil || latest.MatchString(body) {
		t.Fatalf("the latest page shows %d messages, earlier link %v, latest link %v", len(shown), m, latest.MatchString(body))
	}
	link := strings.ReplaceAll(m[1], "&amp;", "&")
	view, _, found := strings.Cut(link, "&from=")
	if !found || !strings.HasPrefix(view, "/chat/"+c.ConversationUUID+"?") || !strings.Contains(view, "view=unassigned") {
		t.Errorf("the earlier messages' link is %s, want the view's and a cursor", link)
	}
	body = readBody(t, get(t, admin, r.srv.URL+link))
	shown = texts.FindAllStringSubmatch(body, -1)
	if len(shown) != 10 || shown[0][1] != "message 00" || shown[9][1] != "message 09" || earlier.MatchString(body) {
		t.Errorf("the earlier page shows %v, earlier link %v", shown, earlier.MatchString(body))
	}
	if m := latest.FindStringSubmatch(body); m == nil || strings.ReplaceAll(m[1], "&amp;", "&") != view {
		t.Errorf("the earlier page's link to the latest messages: %v, want %s", m, view)
	}
	resp := get(t, admin, r.srv.URL+chat+"&from=bm9wZQ")
	if body := readBody(t, resp); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "page marker is damaged") {
		t.Errorf("a damaged cursor: %d, want 422 naming it", resp.StatusCode)
	}
}

// A message its customer deleted shows in the thread as deleted, with
// the time, and none of its text; the message's page says so too.
func TestChatDeletedByCustomer(t *testing.T) {
	r := newInboxRig(t)
	ctx := context.Background()
	r.customer(t, "31600000002", "Noor", "keep this one")
	c := r.customer(t, "31600000002", "Noor", "my card number is 1234")
	ch, err := r.svc.Store().MainChannel(ctx, r.acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	msgs, err := r.svc.Store().ContactMessagesBefore(ctx, r.acct.ID, c.ID, 0, 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("the latest message: %v, %v", msgs, err)
	}
	gone := msgs[0]
	if ok, err := r.svc.Messages.DeletedByCustomer(ctx, ch, carillon.Deletion{ChannelID: ch.ID, ExternalID: gone.ExternalID,
		From: "31600000002"}); !ok || err != nil {
		t.Fatalf("DeletedByCustomer = %v, %v", ok, err)
	}
	admin, _ := r.client(t, roleUsers[carillon.RoleAdmin])
	for _, page := range []struct {
		path    string
		want    []string
		wantNot []string
	}{
		{"/chat/" + c.ConversationUUID, []string{`id="message-` + gone.UUID + `"`, `<p class="msg-deleted">This message was deleted by the customer · <time`, "keep this one"}, []string{"card number"}},
		{"/messages/" + gone.UUID, []string{"<dt>Deleted</dt><dd>by the customer, <time"}, []string{"card number"}},
		{"/inbox?view=all", []string{`<span class="chat-preview">(deleted by the customer)</span>`}, []string{"card number"}},
	} {
		// None of its text: not "1234" alone, which a page's random
		// ids and tokens may hold.
		body := readBody(t, get(t, admin, r.srv.URL+page.path))
		for _, w := range page.want {
			if !strings.Contains(body, w) {
				t.Errorf("%s does not show %q", page.path, w)
			}
		}
		for _, w := range page.wantNot {
			if strings.Contains(body, w) {
				t.Errorf("%s still shows %q", page.path, w)
			}
		}
	}
}
