package service_test

import (
	"context"
	"errors"
	"maps"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// botNetwork stands for Telegram's network: it knows one bot token, and
// checks the settings as the provider does.
type botNetwork struct{ asked int }

func (n *botNetwork) Send(context.Context, carillon.Outgoing) (carillon.SendResult, error) {
	return carillon.SendResult{}, errors.New("not sent in these tests")
}

func (n *botNetwork) CheckSettings(settings map[string]string) error {
	if !strings.Contains(settings["bot_token"], ":") {
		return errors.New("bot_token is not a Bot API token")
	}
	return nil
}

func (n *botNetwork) ReadAddress(_ context.Context, ch carillon.Channel) (string, error) {
	n.asked++
	if ch.Settings["bot_token"] != "1:good" {
		return "", errors.New("getMe: 401 Unauthorized")
	}
	return "good_bot", nil
}

// TestConnectChannel: a form is checked as channels add checks it, then
// tried on the network before anything is written; a secret left blank on
// a saved channel keeps the stored one; a new channel may not take
// another's title.
func TestConnectChannel(t *testing.T) {
	network := &botNetwork{}
	svc := testrig.Service(t, service.Options{Registry: providers, Providers: map[string]carillon.Provider{carillon.ProviderTelegram: network}})
	p := testrig.DefaultAccount(t, svc).Principal
	ctx := context.Background()
	form := func(uuid, title, token string) service.ChannelForm {
		return service.ChannelForm{UUID: uuid, Title: title, Type: "telegram", Provider: "telegram", Settings: map[string]string{"bot_token": token}}
	}
	refused := []struct {
		name          string
		form          service.ChannelForm
		field, reason string
		asked         bool
	}{
		{"no title", form("", " ", "1:good"), "title", "a channel needs a title", false},
		{"the provider's check", form("", "Bot", "not-a-token"), "settings", "bot_token is not a Bot API token", false},
		{"the network's refusal", form("", "Bot", "1:bad"), "settings", "telegram refused these settings: getMe: 401 Unauthorized", true},
		{"the sandbox's title", form("", "sandbox", "1:good"), "title", `another channel is titled "sandbox"`, false},
		{"an unknown setting", service.ChannelForm{Title: "Bot", Type: "telegram", Provider: "telegram", Settings: map[string]string{"bot_token": "1:good", "colour": "red"}},
			"settings.colour", "unknown setting", false},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			before := network.asked
			_, _, err := svc.Resources.ConnectChannel(ctx, p, tc.form)
			var pe *service.ProblemError
			if !errors.As(err, &pe) || pe.Problems[0].Field != tc.field || !strings.Contains(pe.Problems[0].Message, tc.reason) {
				t.Fatalf("err %v, want a problem at %s: %s", err, tc.field, tc.reason)
			}
			if asked := network.asked > before; asked != tc.asked {
				t.Errorf("the network asked: %v, want %v", asked, tc.asked)
			}
		})
	}
	chs, _, _ := svc.Resources.ListChannels(ctx, p, service.ChannelFilter{}, service.PageRequest{})
	if len(chs) != 1 {
		t.Fatalf("%d channels after refused forms, want the sandbox alone", len(chs))
	}

	ch, changes, err := svc.Resources.ConnectChannel(ctx, p, form("", "Bot", "1:good"))
	if err != nil || len(changes) != 1 || ch.Settings["webhook_secret"] == "" {
		t.Fatalf("a good form: %+v, %q, %v", ch.Settings, changes, err)
	}
	conn := svc.Resources.Connection(ch)
	if conn.CallbackURL != "http://carillon.test/callbacks/telegram/"+ch.UUID || len(conn.Pasted) != 0 {
		t.Errorf("connection %+v: want the callback URL, nothing pasted", conn)
	}

	renamed, _, err := svc.Resources.ConnectChannel(ctx, p, form(ch.UUID, "Support bot", ""))
	if err != nil || renamed.Title != "Support bot" || renamed.Settings["bot_token"] != "1:good" || renamed.Settings["webhook_secret"] != ch.Settings["webhook_secret"] {
		t.Errorf("an edit with blank secrets: %q %v, %v", renamed.Title, renamed.Settings["bot_token"], err)
	}
	if _, _, err := svc.Resources.ConnectChannel(ctx, p, form(ch.UUID, "Support bot", "1:bad")); err == nil {
		t.Error("an edit with a token the network refuses was saved")
	}
	if _, _, err := svc.Resources.ConnectChannel(ctx, p, form(carillon.NewUUID(), "Ghost", "1:good")); err == nil {
		t.Error("a form of no channel was saved")
	} else if e, ok := carillon.AsError(err); !ok || e.Code != carillon.CodeNotFound {
		t.Errorf("a form of no channel: %v, want not_found", err)
	}
}

// TestConnectionPastesVerifyToken: a WhatsApp channel's verify token is
// what its provider marks as pasted at Meta with the callback URL.
func TestConnectionPastesVerifyToken(t *testing.T) {
	svc := testrig.Service(t, service.Options{Registry: providers})
	ch := carillon.Channel{UUID: "u1", Provider: carillon.ProviderWhatsApp, Settings: map[string]string{"verify_token": "vt", "access_token": "secret"}}
	conn := svc.Resources.Connection(ch)
	if conn.CallbackURL != "http://carillon.test/callbacks/whatsapp/u1" || len(conn.Pasted) != 1 || conn.Pasted[0] != (service.Setting{Name: "verify_token", Value: "vt"}) {
		t.Errorf("connection %+v", conn)
	}
	if conn := svc.Resources.Connection(carillon.Channel{UUID: "u2", Provider: carillon.ProviderSandbox}); conn.CallbackURL != "" {
		t.Errorf("a sandbox channel's connection %+v, want none", conn)
	}
}

// TestDeclareEntries: each entry is checked and written as a one-entry
// declaration file; a problem names its field.
func TestDeclareEntries(t *testing.T) {
	svc := testrig.Service(t, service.Options{Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	ctx := context.Background()
	problem := func(err error) (string, string) {
		var pe *service.ProblemError
		if !errors.As(err, &pe) || len(pe.Problems) == 0 {
			t.Fatalf("err %v, want problems", err)
		}
		return pe.Problems[0].Field, pe.Problems[0].Message
	}
	cases := []struct {
		name          string
		declare       func() ([]string, error)
		field, reason string
	}{
		{"a blank tag", func() ([]string, error) { return svc.Resources.DeclareTag(ctx, p, " ") }, "", "non-empty"},
		{"an unknown field type", func() ([]string, error) {
			return svc.Resources.DeclareField(ctx, p, service.FieldEntry{Name: "Size", Type: "colour"})
		}, "type", `custom field type "colour"`},
		{"options given twice", func() ([]string, error) {
			return svc.Resources.DeclareField(ctx, p, service.FieldEntry{Name: "Size", Type: "dropdown", Options: []string{"S", "S"}})
		}, "options", `option "S" is given twice`},
		{"a funnel without a name", func() ([]string, error) {
			return svc.Resources.DeclareFunnel(ctx, p, service.FunnelEntry{Name: "", Position: 1})
		}, "name", "name must not be empty"},
		{"a funnel of no uuid", func() ([]string, error) {
			return svc.Resources.DeclareFunnel(ctx, p, service.FunnelEntry{UUID: "nope", Name: "Won"})
		}, "uuid", `no funnel has the uuid "nope"`},
		{"a member who is no user", func() ([]string, error) {
			return svc.Resources.DeclareTeam(ctx, p, service.TeamEntry{Name: "Sales", Members: []string{"eve@example.com"}})
		}, "members", `no user has the email "eve@example.com"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.declare()
			field, msg := problem(err)
			if field != tc.field || !strings.Contains(msg, tc.reason) {
				t.Errorf("problem at %q: %s; want at %q: %s", field, msg, tc.field, tc.reason)
			}
		})
	}
	changes, err := svc.Resources.DeclareTag(ctx, p, `<VIP> "quoted"`)
	if err != nil || len(changes) != 1 {
		t.Fatalf("a tag: %q, %v", changes, err)
	}
	if changes, err := svc.Resources.DeclareTag(ctx, p, `<vip> "QUOTED"`); err != nil || len(changes) != 0 {
		t.Errorf("the same tag in another case: %q, %v; want it kept", changes, err)
	}
	tags, _, _ := svc.Resources.ListTags(ctx, p, service.PageRequest{})
	if len(tags) != 1 || tags[0].Name != `<VIP> "quoted"` {
		t.Errorf("tags %+v", tags)
	}
	if _, err := svc.Resources.DeclareTeam(ctx, p, service.TeamEntry{Name: "Sales"}); err != nil {
		t.Fatal(err)
	}
	teams, _, _ := svc.Resources.ListTeams(ctx, p, service.PageRequest{})
	for _, team := range teams {
		if team.Name == "Sales" && team.Members != 0 {
			t.Errorf("a team declared without members has %d", team.Members)
		}
	}
}

// TestDeleteTag: deleting a tag takes it off every contact of the account
// that has it, in any case of its name, each recording contact_updated
// with its tags after; another account's tag of the same name stays.
func TestDeleteTag(t *testing.T) {
	t.Parallel()
	db := testrig.SQLite(t)
	svc := testrig.Service(t, service.Options{Store: db, Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	ctx := context.Background()
	other, _, _, err := svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	op := service.Principal{Account: other}
	for _, pr := range []service.Principal{p, op} {
		for _, name := range []string{"Lead", "VIP"} {
			if _, err := svc.Resources.DeclareTag(ctx, pr, name); err != nil {
				t.Fatal(err)
			}
		}
	}
	contact := func(pr service.Principal, number string, tags ...string) string {
		t.Helper()
		c, err := svc.Contacts.CreateContact(ctx, pr, service.ContactInput{Identifier: number, Source: "whatsapp", Name: "C", Tags: tags})
		if err != nil {
			t.Fatal(err)
		}
		return c.UUID
	}
	both, lead, vip := contact(p, "+31612345671", "Lead", "VIP"), contact(p, "+31612345672", "Lead"), contact(p, "+31612345673", "VIP")
	theirs := contact(op, "+31612345671", "Lead")
	for _, pr := range []service.Principal{p, op} {
		if _, _, err := svc.Webhooks.Subscribe(ctx, pr, "https://hooks.example.com/x", []string{carillon.EventContactUpdated}); err != nil {
			t.Fatal(err)
		}
	}

	tag, n, err := svc.Resources.DeleteTag(ctx, p, "lead")
	if err != nil || tag.Name != "Lead" || n != 2 {
		t.Fatalf("DeleteTag = %q, %d, %v; want Lead on 2 contacts", tag.Name, n, err)
	}
	for _, c := range []struct {
		p    service.Principal
		uuid string
		tags string
	}{{p, both, "VIP"}, {p, lead, ""}, {p, vip, "VIP"}, {op, theirs, "Lead"}} {
		v, err := svc.Contacts.Contact(ctx, c.p, c.uuid)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(v.Tags, ","); got != c.tags {
			t.Errorf("contact %s has the tags %q, want %q", c.uuid, got, c.tags)
		}
	}
	updated := map[string]string{}
	for _, e := range pendingEvents(t, &fixture{db: db, p: p}) {
		c := payloadOf(t, e)
		var tags []string
		for _, tag := range c["tags"].([]any) {
			tags = append(tags, tag.(string))
		}
		updated[c["uuid"].(string)] = e.Event + ":" + strings.Join(tags, ",")
	}
	if want := map[string]string{both: "contact_updated:VIP", lead: "contact_updated:"}; !maps.Equal(updated, want) {
		t.Errorf("events %v, want %v", updated, want)
	}
	if theirs := pendingEvents(t, &fixture{db: db, p: op}); len(theirs) != 0 {
		t.Errorf("the other account recorded %d events", len(theirs))
	}
	for _, name := range []string{"Lead", "nope", "\xff"} {
		if _, _, err := svc.Resources.DeleteTag(ctx, p, name); err == nil {
			t.Errorf("DeleteTag(%q) again: no error", name)
		} else {
			wantCode(t, err, carillon.CodeNotFound, "")
		}
	}
	// The tag is gone for the API too: naming it is refused.
	_, err = svc.Contacts.UpdateContact(ctx, p, vip, service.ContactUpdate{Tags: []string{"Lead"}})
	wantCode(t, err, carillon.CodeInvalidParameter, "tags")
	// Made again, it is a new tag on no contact.
	if _, err := svc.Resources.DeclareTag(ctx, p, "Lead"); err != nil {
		t.Fatal(err)
	}
	if v, _ := svc.Contacts.Contact(ctx, p, lead); len(v.Tags) != 0 {
		t.Errorf("a tag made again is on %v", v.Tags)
	}
}

// TestDeclareTemplate: a template declared by a form is checked and
// written as a templates entry of apply: problems at their field (a
// button's at buttons, named), a new one made, the one of a uuid changed
// whole.
func TestDeclareTemplate(t *testing.T) {
	t.Parallel()
	svc := testrig.Service(t, service.Options{Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	ctx := context.Background()
	entry := func(change func(*service.TemplateEntry)) service.TemplateEntry {
		e := service.TemplateEntry{Title: "order_shipped", Channel: "sandbox", Category: "UTILITY", Text: "Hello {{1}}, order {{2}} has shipped"}
		if change != nil {
			change(&e)
		}
		return e
	}
	refused := []struct {
		name          string
		entry         service.TemplateEntry
		field, reason string
	}{
		{"no title", entry(func(e *service.TemplateEntry) { e.Title = " " }), "title", "title must not be empty"},
		{"no channel of that title", entry(func(e *service.TemplateEntry) { e.Channel = "nope" }), "channel", `no channel is titled "nope"`},
		{"a gap in the placeholders", entry(func(e *service.TemplateEntry) { e.Text = "Hi {{2}}" }), "text", "placeholder {{1}} is missing"},
		{"an unknown category", entry(func(e *service.TemplateEntry) { e.Category = "PROMO" }), "category", `category "PROMO"`},
		{"not a language", entry(func(e *service.TemplateEntry) { e.Language = "English" }), "language", "not a language code"},
		{"a url button without url", entry(func(e *service.TemplateEntry) {
			e.Buttons = []carillon.TemplateButton{{Type: "quick_reply", Text: "Stop"}, {Type: "url", Text: "Track"}}
		}), "buttons", "button 2: a url button needs url"},
		{"an otp button outside authentication", entry(func(e *service.TemplateEntry) {
			e.Buttons = []carillon.TemplateButton{{Type: "otp", OTPType: "copy_code"}}
		}), "buttons", "button 1: an otp button belongs to an AUTHENTICATION template"},
		{"a uuid of no template", entry(func(e *service.TemplateEntry) { e.UUID = carillon.NewUUID() }), "uuid", "no template has the uuid"},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := svc.Resources.DeclareTemplate(ctx, p, tc.entry)
			var pe *service.ProblemError
			if !errors.As(err, &pe) || len(pe.Problems) != 1 {
				t.Fatalf("err %v, want one problem", err)
			}
			if got := pe.Problems[0]; got.Field != tc.field || !strings.Contains(got.Message, tc.reason) {
				t.Errorf("problem at %q: %s; want at %q: %s", got.Field, got.Message, tc.field, tc.reason)
			}
		})
	}
	if list, _, _ := svc.Resources.ListTemplates(ctx, p, service.PageRequest{}); len(list) != 0 {
		t.Fatalf("refused forms made %d templates", len(list))
	}

	track := carillon.TemplateButton{Type: "url", Text: "Track", URL: "https://example.com/track/{{1}}"}
	changes, err := svc.Resources.DeclareTemplate(ctx, p, entry(func(e *service.TemplateEntry) { e.Buttons = []carillon.TemplateButton{track} }))
	if err != nil || len(changes) != 1 || !strings.HasPrefix(changes[0], "created template order_shipped") {
		t.Fatalf("a new template: %q, %v", changes, err)
	}
	list, _, _ := svc.Resources.ListTemplates(ctx, p, service.PageRequest{})
	if len(list) != 1 {
		t.Fatalf("%d templates", len(list))
	}
	made := list[0]
	if made.Type != "text" || made.Status != "approved" || made.Language != "en" || len(made.Buttons) != 1 || made.Buttons[0] != track {
		t.Errorf("the template made: %+v", made)
	}
	// The same entry again changes nothing; by its uuid, it is changed
	// whole: renamed, pending, its buttons gone.
	if changes, err := svc.Resources.DeclareTemplate(ctx, p, entry(func(e *service.TemplateEntry) { e.Buttons = []carillon.TemplateButton{track} })); err != nil || len(changes) != 0 {
		t.Errorf("the same template again: %q, %v", changes, err)
	}
	changes, err = svc.Resources.DeclareTemplate(ctx, p, entry(func(e *service.TemplateEntry) {
		e.UUID, e.Title, e.Status = made.UUID, "order_sent", "pending"
	}))
	if err != nil || len(changes) != 1 || changes[0] != "updated template order_sent: title, status, buttons" {
		t.Fatalf("a change: %q, %v", changes, err)
	}
	got, err := svc.Resources.Template(ctx, p, made.UUID)
	if err != nil || got.Title != "order_sent" || got.Status != "pending" || len(got.Buttons) != 0 {
		t.Errorf("the template changed: %+v, %v", got, err)
	}
}
