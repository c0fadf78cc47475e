package service_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// templateFixture adds to the account: a second sandbox channel that
// enforces the 24-hour window, and templates of both channels.
type templateFixture struct {
	*fixture
	strict    carillon.Channel
	templates map[string]carillon.Template
}

func setupTemplates(t *testing.T) *templateFixture {
	t.Helper()
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	strict := carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Title: "strict", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Settings: map[string]string{"window": "enforced"}, CreatedAt: now, UpdatedAt: now}
	if err := f.db.CreateChannel(ctx, &strict); err != nil {
		t.Fatal(err)
	}
	tf := &templateFixture{fixture: f, strict: strict, templates: map[string]carillon.Template{}}
	otp := []carillon.TemplateButton{{Type: carillon.ButtonOTP, OTPType: "copy_code", Text: "Copy code"}}
	track := []carillon.TemplateButton{
		{Type: carillon.ButtonQuickReply, Text: "Stop"},
		{Type: carillon.ButtonURL, Text: "Track", URL: "https://example.com/track/{{1}}"},
		{Type: carillon.ButtonURL, Text: "Shop", URL: "https://example.com/shop"},
		{Type: carillon.ButtonCopyCode},
	}
	for _, tp := range []struct {
		key, text, typ, status string
		channel                carillon.Channel
		buttons                []carillon.TemplateButton
	}{
		{"otp", "*{{1}}* is your verification code.", "text", "approved", f.sandbox, otp},
		{"track", "Hello {{1}}, order {{2}} has shipped", "text", "approved", f.sandbox, track},
		{"code only", "Here is your discount", "text", "approved", f.sandbox, track[3:]},
		{"one", "Hello {{1}}", "text", "approved", f.sandbox, nil},
		{"two", "Hello {{1}}, order {{2}} has shipped", "text", "approved", f.sandbox, nil},
		{"none", "We are open again", "text", "approved", f.sandbox, nil},
		{"image", "Your receipt, {{1}}", "image", "approved", f.sandbox, nil},
		{"pending", "Hello {{1}}", "text", "pending", f.sandbox, nil},
		{"rejected", "Hello {{1}}", "text", "rejected", f.sandbox, nil},
		{"paused", "Hello {{1}}", "text", "paused", f.sandbox, nil},
		{"strict", "Hello again {{1}}", "text", "approved", strict, nil},
	} {
		m := carillon.Template{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, ChannelID: tp.channel.ID, Title: tp.key,
			Text: tp.text, Type: tp.typ, Category: "UTILITY", Status: tp.status, Language: "en", Buttons: tp.buttons, CreatedAt: now, UpdatedAt: now}
		if err := f.db.CreateTemplate(ctx, &m); err != nil {
			t.Fatal(err)
		}
		tf.templates[tp.key] = m
	}
	return tf
}

// templateSend is a send of template key with opt-in, on the main channel.
func (tf *templateFixture) templateSend(key string, edit func(*service.SendRequest)) service.SendRequest {
	r := service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "text", Content: &carillon.Content{Text: "Ana"},
		TemplateUUID: tf.templates[key].UUID, OptinContact: true}
	if edit != nil {
		edit(&r)
	}
	return r
}

func TestTemplateSend(t *testing.T) {
	t.Parallel()
	tf := setupTemplates(t)
	ctx := context.Background()
	tests := []struct {
		name       string
		req        service.SendRequest
		wantText   string
		wantURL    string
		wantValues []string
		code       carillon.ErrorCode
		field      string
		message    string
	}{
		// Buttons that take a value take the values after the body's.
		{name: "authentication code in the body and its button", req: tf.templateSend("otp", func(r *service.SendRequest) { r.TemplateValues = []string{"4821", "4821"} }),
			wantText: "*4821* is your verification code.", wantValues: []string{"4821", "4821"}},
		{name: "dynamic URL and copy code after the body", req: tf.templateSend("track", func(r *service.SendRequest) { r.TemplateValues = []string{"Ana", "A-1042", "A-1042", "SAVE10"} }),
			wantText: "Hello Ana, order A-1042 has shipped", wantValues: []string{"Ana", "A-1042", "A-1042", "SAVE10"}},
		{name: "a button's only value from content.text", req: tf.templateSend("code only", func(r *service.SendRequest) { r.Content.Text = "SAVE10" }),
			wantText: "Here is your discount", wantValues: []string{"SAVE10"}},
		{name: "authentication code without its button's value", req: tf.templateSend("otp", func(r *service.SendRequest) { r.TemplateValues = []string{"4821"} }),
			code: carillon.CodeInvalidParameter, field: "template_values",
			message: `template "otp" needs 2 values: 1 for the body, 1 for button 1 (copy code): template_values must hold 2, not 1`},
		{name: "authentication code from content.text alone", req: tf.templateSend("otp", func(r *service.SendRequest) { r.Content.Text = "4821" }),
			code: carillon.CodeInvalidParameter, field: "template_values",
			message: `template "otp" needs 2 values: 1 for the body, 1 for button 1 (copy code): give template_values, 2 strings`},
		{name: "buttons' values missing", req: tf.templateSend("track", func(r *service.SendRequest) { r.TemplateValues = []string{"Ana", "A-1042"} }),
			code: carillon.CodeInvalidParameter, field: "template_values",
			message: `template "track" needs 4 values: 2 for the body, 1 for button 2 (URL), 1 for button 4 (copy code): template_values must hold 4, not 2`},

		{name: "single variable from content.text", req: tf.templateSend("one", nil), wantText: "Hello Ana", wantValues: []string{"Ana"}},
		{name: "single variable from template_values", req: tf.templateSend("one", func(r *service.SendRequest) { r.TemplateValues = []string{"Bo"} }),
			wantText: "Hello Bo", wantValues: []string{"Bo"}},
		{name: "multi variable, content.text ignored", req: tf.templateSend("two", func(r *service.SendRequest) { r.TemplateValues = []string{"Ana", "A-1042"} }),
			wantText: "Hello Ana, order A-1042 has shipped", wantValues: []string{"Ana", "A-1042"}},
		{name: "no variable, content.text ignored", req: tf.templateSend("none", nil), wantText: "We are open again"},
		{name: "no variable, no content", req: tf.templateSend("none", func(r *service.SendRequest) { r.Content = nil }), wantText: "We are open again"},
		{name: "multi variable without content", req: tf.templateSend("two", func(r *service.SendRequest) {
			r.Content, r.TemplateValues = nil, []string{"Ana", "A-1"}
		}), wantText: "Hello Ana, order A-1 has shipped", wantValues: []string{"Ana", "A-1"}},
		{name: "media template with its header", req: tf.templateSend("image", func(r *service.SendRequest) {
			r.Type, r.Content.URL = "image", "https://example.com/r.png"
		}), wantText: "Your receipt, Ana", wantURL: "https://example.com/r.png", wantValues: []string{"Ana"}},

		{name: "no opt-in", req: tf.templateSend("one", func(r *service.SendRequest) { r.OptinContact = false }), code: carillon.CodeInvalidParameter, field: "optin_contact"},
		{name: "unknown template", req: tf.templateSend("one", func(r *service.SendRequest) { r.TemplateUUID = carillon.NewUUID() }), code: carillon.CodeInvalidParameter, field: "template_uuid"},
		{name: "pending", req: tf.templateSend("pending", nil), code: carillon.CodeInvalidParameter, field: "template_uuid"},
		{name: "rejected", req: tf.templateSend("rejected", nil), code: carillon.CodeInvalidParameter, field: "template_uuid"},
		{name: "paused", req: tf.templateSend("paused", nil), code: carillon.CodeInvalidParameter, field: "template_uuid"},
		{name: "template of another channel", req: tf.templateSend("strict", nil), code: carillon.CodeInvalidParameter, field: "template_uuid"},
		{name: "too few values", req: tf.templateSend("two", func(r *service.SendRequest) { r.TemplateValues = []string{"Ana"} }), code: carillon.CodeInvalidParameter, field: "template_values"},
		{name: "too many values", req: tf.templateSend("two", func(r *service.SendRequest) { r.TemplateValues = []string{"a", "b", "c"} }), code: carillon.CodeInvalidParameter, field: "template_values"},
		{name: "values for a template without placeholders", req: tf.templateSend("none", func(r *service.SendRequest) { r.TemplateValues = []string{"a"} }), code: carillon.CodeInvalidParameter, field: "template_values"},
		{name: "multi variable without values", req: tf.templateSend("two", nil), code: carillon.CodeInvalidParameter, field: "template_values"},
		{name: "blank value", req: tf.templateSend("two", func(r *service.SendRequest) { r.TemplateValues = []string{"Ana", " "} }), code: carillon.CodeInvalidParameter, field: "template_values"},
		{name: "single variable without text", req: tf.templateSend("one", func(r *service.SendRequest) { r.Content = nil }), code: carillon.CodeInvalidParameter, field: "content.text"},
		{name: "media template without header", req: tf.templateSend("image", func(r *service.SendRequest) { r.Type = "image" }), code: carillon.CodeInvalidParameter, field: "content.url"},
		{name: "media template with a relative header", req: tf.templateSend("image", func(r *service.SendRequest) { r.Type, r.Content.URL = "image", "/r.png" }),
			code: carillon.CodeInvalidParameter, field: "content.url"},
		{name: "media template sent as text", req: tf.templateSend("image", nil), code: carillon.CodeInvalidParameter, field: "type"},
		{name: "text template sent as image", req: tf.templateSend("one", func(r *service.SendRequest) { r.Type, r.Content.URL = "image", "https://example.com/r.png" }),
			code: carillon.CodeInvalidParameter, field: "type"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.req.To = fmt.Sprintf("+3161234%04d", i)
			before := tf.disp.count()
			res, err := tf.svc.Messages.Send(ctx, tf.p, tt.req)
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				if e, _ := carillon.AsError(err); tt.message != "" && e.Message != tt.message {
					t.Errorf("message = %q\nwant      %q", e.Message, tt.message)
				}
				if tf.disp.count() != before {
					t.Fatal("a refused send was dispatched")
				}
				if _, err := tf.db.ContactByAddress(ctx, tf.sandbox.ID, fmt.Sprintf("3161234%04d", i)); !errors.Is(err, carillon.ErrNotFound) {
					t.Fatalf("a refused send left a contact: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, err := tf.db.MessageByUUID(ctx, tf.p.Account.ID, res.Message.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if m.Content.Text != tt.wantText || m.Content.URL != tt.wantURL || m.TemplateUUID != tt.req.TemplateUUID ||
				fmt.Sprint(m.TemplateValues) != fmt.Sprint(tt.wantValues) || m.Type != tt.req.Type {
				t.Fatalf("stored %+v; want text %q, url %q, template %s, values %v", m, tt.wantText, tt.wantURL, tt.req.TemplateUUID, tt.wantValues)
			}
		})
	}
}

func TestTemplateBypassesWindow(t *testing.T) {
	t.Parallel()
	tf := setupTemplates(t)
	ctx := context.Background()
	free := text("+31612345678", "hi")
	free.ChannelUUID = tf.strict.UUID
	_, err := tf.svc.Messages.Send(ctx, tf.p, free)
	wantCode(t, err, carillon.CodeOutsideWindow, "to")

	tmpl := tf.templateSend("strict", func(r *service.SendRequest) { r.ChannelUUID = tf.strict.UUID })
	res, err := tf.svc.Messages.Send(ctx, tf.p, tmpl)
	if err != nil {
		t.Fatalf("a template outside the window: %v", err)
	}
	if res.Message.Content.Text != "Hello again Ana" || !res.Contact.ConversationOpen() {
		t.Fatalf("message %+v, contact %+v", res.Message, res.Contact)
	}
	// The template opened no window: a free-form message is still refused.
	_, err = tf.svc.Messages.Send(ctx, tf.p, free)
	wantCode(t, err, carillon.CodeOutsideWindow, "to")
	// The main channel's template is of another channel than strict.
	_, err = tf.svc.Messages.Send(ctx, tf.p, tf.templateSend("one", func(r *service.SendRequest) { r.ChannelUUID = tf.strict.UUID }))
	wantCode(t, err, carillon.CodeInvalidParameter, "template_uuid")
	// Another account's template is unknown.
	other := otherAccount(t, tf.fixture)
	_, err = tf.svc.Messages.Send(ctx, other, tf.templateSend("one", nil))
	wantCode(t, err, carillon.CodeInvalidParameter, "template_uuid")
}

func TestSendAssignment(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	ana := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "ana@example.com", Name: "Ana", CreatedAt: now}
	bo := carillon.User{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Email: "bo@example.com", Name: "Bo", CreatedAt: now}
	sales := carillon.Team{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Name: "Sales", CreatedAt: now}
	for _, u := range []*carillon.User{&ana, &bo} {
		if err := f.db.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.db.CreateTeam(ctx, &sales); err != nil {
		t.Fatal(err)
	}
	other := otherAccount(t, f)
	otherTeams, err := f.db.AllTeams(ctx, other.Account.ID)
	if err != nil || len(otherTeams) != 1 {
		t.Fatal(otherTeams, err)
	}
	with := func(to, user, team string) service.SendRequest {
		r := text(to, "hi")
		r.AssignedUser, r.TeamUUID = user, team
		return r
	}
	tests := []struct {
		name             string
		req              service.SendRequest
		wantUser, wantTm int64
		field            string
	}{
		{name: "user", req: with("+31612340001", "ana@example.com", ""), wantUser: ana.ID},
		{name: "user, email in another case", req: with("+31612340002", " Ana@Example.COM ", ""), wantUser: ana.ID},
		{name: "team", req: with("+31612340003", "", sales.UUID), wantTm: sales.ID},
		{name: "both", req: with("+31612340004", "bo@example.com", sales.UUID), wantUser: bo.ID, wantTm: sales.ID},
		{name: "unknown user", req: with("+31612340005", "nobody@example.com", sales.UUID), field: "assigned_user"},
		{name: "unknown team", req: with("+31612340006", "ana@example.com", carillon.NewUUID()), field: "team_uuid"},
		{name: "another account's team", req: with("+31612340007", "", otherTeams[0].UUID), field: "team_uuid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := f.svc.Messages.Send(ctx, f.p, tt.req)
			if tt.field != "" {
				wantCode(t, err, carillon.CodeInvalidParameter, tt.field)
				if _, err := f.db.ContactByAddress(ctx, f.sandbox.ID, tt.req.To[1:]); !errors.Is(err, carillon.ErrNotFound) {
					t.Fatalf("a refused send left a contact: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			c, err := f.db.ContactByID(ctx, f.p.Account.ID, res.Contact.ID)
			if err != nil || c.AssignedUserID != tt.wantUser || c.TeamID != tt.wantTm {
				t.Fatalf("contact %+v, %v; want user %d team %d", c, err, tt.wantUser, tt.wantTm)
			}
		})
	}
	// An existing contact is reassigned; a send without them leaves them.
	if _, err := f.svc.Messages.Send(ctx, f.p, with("+31612340001", "bo@example.com", "")); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Messages.Send(ctx, f.p, text("+31612340001", "again"))
	if err != nil {
		t.Fatal(err)
	}
	c, _ := f.db.ContactByID(ctx, f.p.Account.ID, res.Contact.ID)
	if c.AssignedUserID != bo.ID {
		t.Fatalf("contact assigned to %d, want %d", c.AssignedUserID, bo.ID)
	}
	// A refused assignment changes nothing of an existing contact.
	_, err = f.svc.Messages.Send(ctx, f.p, with("+31612340001", "ana@example.com", carillon.NewUUID()))
	wantCode(t, err, carillon.CodeInvalidParameter, "team_uuid")
	c, _ = f.db.ContactByID(ctx, f.p.Account.ID, res.Contact.ID)
	if c.AssignedUserID != bo.ID || c.TeamID != 0 {
		t.Fatalf("a refused send changed the contact: %+v", c)
	}
}
