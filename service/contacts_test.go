package service_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// contactFixture is an account with tags, custom fields of every type, a
// user, a team, a funnel and a Telegram channel beside the sandbox one.
type contactFixture struct {
	*fixture
	user     carillon.User
	team     carillon.Team
	funnel   carillon.Funnel
	telegram carillon.Channel
}

func contactSetup(t *testing.T) *contactFixture {
	t.Helper()
	f := &contactFixture{fixture: setup(t)}
	ctx := context.Background()
	now := time.Now()
	acct := f.p.Account.ID
	f.user = carillon.User{UUID: carillon.NewUUID(), AccountID: acct, Email: "alex@example.com", Name: "Alex", CreatedAt: now}
	f.team = carillon.Team{UUID: carillon.NewUUID(), AccountID: acct, Name: "Sales", CreatedAt: now}
	f.funnel = carillon.Funnel{UUID: carillon.NewDashedUUID(), AccountID: acct, Name: "Lead", Position: 1, CreatedAt: now}
	f.telegram = carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct, Title: "Bot", Type: carillon.Telegram,
		Provider: carillon.ProviderSandbox, Main: true, CreatedAt: now, UpdatedAt: now}
	errs := []error{f.db.CreateUser(ctx, &f.user), f.db.CreateTeam(ctx, &f.team), f.db.CreateFunnel(ctx, &f.funnel),
		f.db.CreateChannel(ctx, &f.telegram)}
	for _, name := range []string{"VIP", "Lead"} {
		errs = append(errs, f.db.CreateTag(ctx, &carillon.Tag{AccountID: acct, Name: name, CreatedAt: now}))
	}
	for _, cf := range []carillon.CustomField{
		{Name: "Plan", Type: carillon.FieldDropdown, Options: []string{"free", "pro"}},
		{Name: "Email", Type: carillon.FieldEmail},
		{Name: "Seats", Type: carillon.FieldNumber},
		{Name: "Renewal", Type: carillon.FieldDate},
		{Name: "Notes", Type: carillon.FieldText},
		{Name: "Products", Type: carillon.FieldCheckbox, Options: []string{"chat", "voice", "mail"}},
	} {
		cf.AccountID, cf.CreatedAt, cf.UpdatedAt = acct, now, now
		errs = append(errs, f.db.CreateCustomField(ctx, &cf))
	}
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func (f *contactFixture) create(t *testing.T, number, name string) service.ContactView {
	t.Helper()
	v, err := f.svc.Contacts.CreateContact(context.Background(), f.p, service.ContactInput{Identifier: number, Source: "whatsapp", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestFieldValueOf(t *testing.T) {
	t.Parallel()
	plan := carillon.CustomField{Name: "Plan", Type: carillon.FieldDropdown, Options: []string{"free", "pro"}}
	products := carillon.CustomField{Name: "Products", Type: carillon.FieldCheckbox, Options: []string{"chat", "voice"}}
	for _, tt := range []struct {
		name  string
		field carillon.CustomField
		value any
		want  string
		bad   bool
	}{
		{"text", carillon.CustomField{Name: "N", Type: carillon.FieldText}, " hello ", "hello", false},
		{"text not a string", carillon.CustomField{Name: "N", Type: carillon.FieldText}, 5.0, "", true},
		{"null removes", carillon.CustomField{Name: "N", Type: carillon.FieldText}, nil, "", false},
		{"empty removes", plan, "", "", false},
		{"email", carillon.CustomField{Name: "E", Type: carillon.FieldEmail}, "kim@example.com", "kim@example.com", false},
		{"email without at", carillon.CustomField{Name: "E", Type: carillon.FieldEmail}, "kim.example.com", "", true},
		{"email with a name", carillon.CustomField{Name: "E", Type: carillon.FieldEmail}, "Kim <kim@example.com>", "", true},
		{"email without a domain dot", carillon.CustomField{Name: "E", Type: carillon.FieldEmail}, "kim@localhost", "", true},
		{"number string", carillon.CustomField{Name: "S", Type: carillon.FieldNumber}, "12.5", "12.5", false},
		{"number JSON", carillon.CustomField{Name: "S", Type: carillon.FieldNumber}, 123.0, "123", false},
		{"number negative", carillon.CustomField{Name: "S", Type: carillon.FieldNumber}, "-3", "-3", false},
		{"number not a number", carillon.CustomField{Name: "S", Type: carillon.FieldNumber}, "twelve", "", true},
		{"number NaN", carillon.CustomField{Name: "S", Type: carillon.FieldNumber}, "NaN", "", true},
		{"number hex", carillon.CustomField{Name: "S", Type: carillon.FieldNumber}, "0x1p3", "", true},
		{"date", carillon.CustomField{Name: "D", Type: carillon.FieldDate}, "2024-02-29", "2024-02-29", false},
		{"date not real", carillon.CustomField{Name: "D", Type: carillon.FieldDate}, "2023-02-29", "", true},
		{"date other format", carillon.CustomField{Name: "D", Type: carillon.FieldDate}, "29/02/2024", "", true},
		{"dropdown option", plan, "pro", "pro", false},
		{"dropdown other", plan, "gold", "", true},
		{"dropdown case matters", plan, "Pro", "", true},
		{"checkbox", products, []any{"voice", "chat", "voice"}, `["voice","chat"]`, false},
		{"checkbox as stored", products, `["chat"]`, `["chat"]`, false},
		{"checkbox empty removes", products, []any{}, "", false},
		{"checkbox other option", products, []any{"fax"}, "", true},
		{"checkbox not strings", products, []any{1.0}, "", true},
		{"checkbox a plain string", products, "chat", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := service.FieldValueOf(tt.field, tt.value)
			if tt.bad {
				wantCode(t, err, carillon.CodeInvalidParameter, "custom_fields."+tt.field.Name)
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("FieldValueOf(%v) = %q, %v; want %q", tt.value, got, err, tt.want)
			}
		})
	}
}

func TestCreateContact(t *testing.T) {
	f := contactSetup(t)
	ctx := context.Background()
	v, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "+31 6 1234 5678", Source: "whatsapp", Name: " Kim ",
		Tags: []string{"vip", "VIP", "lead"}, CustomFields: map[string]any{"Plan": "pro", "Seats": 3.0, "Products": []any{"chat"}},
		AssignedUser: "alex@example.com", TeamUUID: f.team.UUID, BotStatus: "bot_start", Note: ptr("Prefers mornings")})
	if err != nil {
		t.Fatal(err)
	}
	if v.Address != "31612345678" || v.Name != "Kim" || v.Channel.ID != f.sandbox.ID || v.AssignedUser != "alex@example.com" ||
		v.Team == nil || v.Team.UUID != f.team.UUID || v.BotStatus != "bot_start" || v.Note != "Prefers mornings" || v.HasConversation() {
		t.Errorf("created contact: %+v", v)
	}
	if len(v.Tags) != 2 || v.Tags[0] != "Lead" || v.Tags[1] != "VIP" {
		t.Errorf("tags: %v", v.Tags)
	}
	if v.Fields["Plan"].Value != "pro" || v.Fields["Seats"].Value != "3" || v.Fields["Products"].Value != `["chat"]` || v.Fields["Plan"].Type != carillon.FieldDropdown {
		t.Errorf("fields: %+v", v.Fields)
	}
	tg, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "123456789", Source: "telegram", Name: "Tom"})
	if err != nil || tg.Address != "123456789" || tg.Channel.ID != f.telegram.ID {
		t.Errorf("telegram contact: %+v, %v", tg, err)
	}
	// The same number on another channel is another contact.
	if _, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "31612345678", Source: "telegram", Name: "Kim"}); err != nil {
		t.Errorf("same identifier on another channel: %v", err)
	}

	long := make([]byte, 1001)
	for i := range long {
		long[i] = 'x'
	}
	for _, tt := range []struct {
		name  string
		in    service.ContactInput
		code  carillon.ErrorCode
		field string
	}{
		{"no source", service.ContactInput{Identifier: "+31612345679", Name: "A"}, carillon.CodeInvalidParameter, "source"},
		{"unknown source", service.ContactInput{Identifier: "+31612345679", Source: "fax", Name: "A"}, carillon.CodeInvalidParameter, "source"},
		{"no main channel of the source", service.ContactInput{Identifier: "+31612345679", Source: "instagram", Name: "A"}, carillon.CodeInvalidParameter, "source"},
		{"no name", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp"}, carillon.CodeInvalidParameter, "name"},
		{"blank name", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "  "}, carillon.CodeInvalidParameter, "name"},
		{"no identifier", service.ContactInput{Source: "whatsapp", Name: "A"}, carillon.CodeInvalidParameter, "identifier"},
		{"invalid number", service.ContactInput{Identifier: "12", Source: "whatsapp", Name: "A"}, carillon.CodeInvalidParameter, "identifier"},
		{"existing identifier", service.ContactInput{Identifier: "31 6 12 34 56 78", Source: "whatsapp", Name: "A"}, carillon.CodeAlreadyExists, "identifier"},
		{"unknown channel", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", ChannelUUID: "nope"}, carillon.CodeInvalidParameter, "channel_uuid"},
		{"channel of another type", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", ChannelUUID: f.telegram.UUID}, carillon.CodeInvalidParameter, "channel_uuid"},
		{"unknown tag", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", Tags: []string{"VIP", "Gold"}}, carillon.CodeInvalidParameter, "tags"},
		{"unknown field", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", CustomFields: map[string]any{"Size": "L"}}, carillon.CodeInvalidParameter, "custom_fields.Size"},
		{"bad field value", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", CustomFields: map[string]any{"Plan": "gold"}}, carillon.CodeInvalidParameter, "custom_fields.Plan"},
		{"unknown user", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", AssignedUser: "x@example.com"}, carillon.CodeInvalidParameter, "assigned_user"},
		{"unknown team", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", TeamUUID: "nope"}, carillon.CodeInvalidParameter, "team_uuid"},
		{"bad bot status", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", BotStatus: "bot_pause"}, carillon.CodeInvalidParameter, "bot_status"},
		{"note too long", service.ContactInput{Identifier: "+31612345679", Source: "whatsapp", Name: "A", Note: ptr(string(long))}, carillon.CodeInvalidParameter, "note"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Contacts.CreateContact(ctx, f.p, tt.in)
			wantCode(t, err, tt.code, tt.field)
		})
	}
	// Nothing of the refused creations was kept.
	if _, err := f.db.ContactByAddress(ctx, f.sandbox.ID, "31612345679"); err != carillon.ErrNotFound {
		t.Errorf("a refused creation left a contact: %v", err)
	}
}

func TestUpdateContact(t *testing.T) {
	f := contactSetup(t)
	ctx := context.Background()
	c := f.create(t, "+31612345678", "Kim")
	v, err := f.svc.Contacts.UpdateContact(ctx, f.p, c.UUID, service.ContactUpdate{Tags: []string{"VIP"},
		CustomFields: map[string]any{"Plan": "free", "Email": "kim@example.com"}, AssignedUser: ptr("alex@example.com"),
		TeamUUID: ptr(f.team.UUID), Note: ptr("first")})
	if err != nil || len(v.Tags) != 1 || v.Fields["Plan"].Value != "free" || v.AssignedUser == "" || v.Team == nil || v.Note != "first" {
		t.Fatalf("update: %+v, %v", v, err)
	}
	// Tags replace, custom fields merge, an absent note stays.
	v, err = f.svc.Contacts.UpdateContact(ctx, f.p, c.UUID, service.ContactUpdate{Name: ptr("Kim B"), Tags: []string{"lead"},
		CustomFields: map[string]any{"Plan": "pro", "Email": nil}, UnassignUser: true, BotStatus: ptr("bot_end")})
	if err != nil || v.Name != "Kim B" || len(v.Tags) != 1 || v.Tags[0] != "Lead" || v.Fields["Plan"].Value != "pro" ||
		len(v.Fields) != 1 || v.AssignedUser != "" || v.Note != "first" || v.BotStatus != "bot_end" {
		t.Fatalf("second update: %+v, %v", v, err)
	}
	// An empty note clears it; empty tags remove every tag.
	v, err = f.svc.Contacts.UpdateContact(ctx, f.p, c.UUID, service.ContactUpdate{Note: ptr(""), Tags: []string{}, TeamUUID: ptr("")})
	if err != nil || v.Note != "" || len(v.Tags) != 0 || v.Team != nil {
		t.Fatalf("clearing update: %+v, %v", v, err)
	}
	for _, tt := range []struct {
		name  string
		u     service.ContactUpdate
		code  carillon.ErrorCode
		field string
	}{
		{"blank name", service.ContactUpdate{Name: ptr(" ")}, carillon.CodeInvalidParameter, "name"},
		{"unknown tag after a valid change", service.ContactUpdate{Name: ptr("Changed"), Tags: []string{"Gold"}}, carillon.CodeInvalidParameter, "tags"},
		{"bad value after a valid one", service.ContactUpdate{Tags: []string{"VIP"}, CustomFields: map[string]any{"Plan": "free", "Renewal": "2024-13-01"}}, carillon.CodeInvalidParameter, "custom_fields.Renewal"},
		{"unknown user", service.ContactUpdate{Tags: []string{"VIP"}, AssignedUser: ptr("x@example.com")}, carillon.CodeInvalidParameter, "assigned_user"},
		{"assign and unassign", service.ContactUpdate{AssignedUser: ptr("alex@example.com"), UnassignUser: true}, carillon.CodeInvalidParameter, "unassign_user"},
		{"unknown team", service.ContactUpdate{Note: ptr("x"), TeamUUID: ptr("nope")}, carillon.CodeInvalidParameter, "team_uuid"},
		{"bad bot status", service.ContactUpdate{BotStatus: ptr("on")}, carillon.CodeInvalidParameter, "bot_status"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Contacts.UpdateContact(ctx, f.p, c.UUID, tt.u)
			wantCode(t, err, tt.code, tt.field)
			after, err := f.svc.Contacts.Contact(ctx, f.p, c.UUID)
			if err != nil || after.Name != "Kim B" || len(after.Tags) != 0 || after.Fields["Plan"].Value != "pro" || after.Note != "" {
				t.Fatalf("a refused update changed the contact: %+v, %v", after, err)
			}
		})
	}
	_, err = f.svc.Contacts.UpdateContact(ctx, f.p, "nope", service.ContactUpdate{})
	wantCode(t, err, carillon.CodeNotFound, "")
	_, err = f.svc.Contacts.UpdateContact(ctx, otherAccount(t, f.fixture), c.UUID, service.ContactUpdate{Name: ptr("x")})
	wantCode(t, err, carillon.CodeNotFound, "")
}

func TestContactLookups(t *testing.T) {
	f := contactSetup(t)
	ctx := context.Background()
	c := f.create(t, "+31612345678", "Kim")
	tg, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "987654", Source: "telegram", Name: "Tom"})
	if err != nil {
		t.Fatal(err)
	}
	other := otherAccount(t, f.fixture)
	for _, tt := range []struct {
		name, number, channel string
		p                     *service.Principal
		want                  string
		code                  carillon.ErrorCode
		field                 string
	}{
		{name: "with plus", number: "+31612345678", want: c.UUID},
		{name: "without plus, with spaces", number: "31 6 1234 5678", want: c.UUID},
		{name: "telegram chat id", number: "987654", channel: f.telegram.UUID, want: tg.UUID},
		{name: "telegram id not on whatsapp", number: "12345", code: carillon.CodeInvalidParameter, field: "number"},
		{name: "unknown number", number: "+31612345679", code: carillon.CodeNotFound},
		{name: "unknown channel", number: "+31612345678", channel: "nope", code: carillon.CodeInvalidParameter, field: "channel_uuid"},
		{name: "another account", number: "+31612345678", p: &other, code: carillon.CodeNotFound},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := f.p
			if tt.p != nil {
				p = *tt.p
			}
			v, err := f.svc.Contacts.ContactByPhone(ctx, p, tt.number, tt.channel)
			if tt.code != "" {
				wantCode(t, err, tt.code, tt.field)
				return
			}
			if err != nil || v.UUID != tt.want {
				t.Fatalf("got %s, %v; want %s", v.UUID, err, tt.want)
			}
		})
	}
	if _, err := f.svc.Contacts.Contact(ctx, other, c.UUID); err == nil {
		t.Error("another account read the contact")
	}
	// A contact known by its BSUID only.
	res, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{BSUID: "US.13491208655302741918", From: "whatsapp", Type: "text", Content: &carillon.Content{Text: "hi"}})
	if err != nil {
		t.Fatal(err)
	}
	if v, err := f.svc.Contacts.ContactByBSUID(ctx, f.p, "US.13491208655302741918", ""); err != nil || v.UUID != res.Contact.UUID {
		t.Errorf("by BSUID: %+v, %v", v, err)
	}
	_, err = f.svc.Contacts.ContactByBSUID(ctx, f.p, "US.0", "")
	wantCode(t, err, carillon.CodeNotFound, "")
	_, err = f.svc.Contacts.ContactByBSUID(ctx, f.p, " ", "")
	wantCode(t, err, carillon.CodeInvalidParameter, "bsuid")
}

func TestListContacts(t *testing.T) {
	f := contactSetup(t)
	ctx := context.Background()
	a := f.create(t, "+31612345671", "A")
	b := f.create(t, "+31612345672", "B")
	c := f.create(t, "+31612345673", "C")
	if _, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "42", Source: "telegram", Name: "T", Tags: []string{"VIP", "Lead"}}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		uuid string
		up   service.ContactUpdate
	}{
		{a.UUID, service.ContactUpdate{Tags: []string{"VIP", "Lead"}, TeamUUID: ptr(f.team.UUID)}},
		{b.UUID, service.ContactUpdate{Tags: []string{"VIP"}}},
		{c.UUID, service.ContactUpdate{TeamUUID: ptr(f.team.UUID)}},
	} {
		if _, err := f.svc.Contacts.UpdateContact(ctx, f.p, u.uuid, u.up); err != nil {
			t.Fatal(err)
		}
	}
	names := func(l []service.ContactView) string {
		s := ""
		for _, v := range l {
			s += v.Name
		}
		return s
	}
	for _, tt := range []struct {
		name  string
		f     service.ContactFilter
		pr    service.PageRequest
		want  string
		pages int
		field string
	}{
		{name: "all, newest first", want: "TCBA", pages: 1},
		{name: "source", f: service.ContactFilter{Source: "whatsapp"}, want: "CBA", pages: 1},
		{name: "one tag, any case", f: service.ContactFilter{Tags: "vip"}, want: "TBA", pages: 1},
		{name: "all tags must match", f: service.ContactFilter{Tags: "VIP, lead"}, want: "TA", pages: 1},
		{name: "tags and source", f: service.ContactFilter{Tags: "VIP,Lead", Source: "whatsapp"}, want: "A", pages: 1},
		{name: "team", f: service.ContactFilter{TeamUUID: f.team.UUID}, want: "CA", pages: 1},
		{name: "paged", pr: service.PageRequest{Page: "2", Items: "3"}, want: "A", pages: 2},
		{name: "unknown source", f: service.ContactFilter{Source: "fax"}, field: "source"},
		{name: "unknown tag", f: service.ContactFilter{Tags: "VIP,Gold"}, field: "tags"},
		{name: "unknown team", f: service.ContactFilter{TeamUUID: "nope"}, field: "team_uuid"},
		{name: "bad page", pr: service.PageRequest{Page: "x"}, field: "page"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			list, info, err := f.svc.Contacts.ListContacts(ctx, f.p, tt.f, tt.pr)
			if tt.field != "" {
				wantCode(t, err, carillon.CodeInvalidParameter, tt.field)
				return
			}
			if err != nil || names(list) != tt.want || info.Pages != tt.pages {
				t.Fatalf("got %q, %+v, %v; want %q of %d pages", names(list), info, err, tt.want, tt.pages)
			}
		})
	}
	if list, _, err := f.svc.Contacts.ListContacts(ctx, otherAccount(t, f.fixture), service.ContactFilter{}, service.PageRequest{}); err != nil || len(list) != 0 {
		t.Errorf("another account's contacts: %v, %v", list, err)
	}
}

func TestConversationBotNotesAndDelete(t *testing.T) {
	f := contactSetup(t)
	ctx := context.Background()
	c := f.create(t, "+31612345678", "Kim")
	if b, err := f.svc.Contacts.ContactBot(ctx, f.p, c.UUID); err != nil || b.Status != "ended" || !b.StartedAt.IsZero() || len(b.UUID) != 32 {
		t.Errorf("bot before any status: %+v, %v", b, err)
	}
	if b, err := f.svc.Contacts.SetContactBot(ctx, f.p, c.UUID, "bot_start"); err != nil || b.Status != "started" || b.StartedAt.IsZero() {
		t.Errorf("bot_start: %+v, %v", b, err)
	}
	if b, err := f.svc.Contacts.SetContactBot(ctx, f.p, c.UUID, "bot_end"); err != nil || b.Status != "ended" || b.StartedAt.IsZero() {
		t.Errorf("bot_end: %+v, %v", b, err)
	}
	_, err := f.svc.Contacts.SetContactBot(ctx, f.p, c.UUID, "started")
	wantCode(t, err, carillon.CodeInvalidParameter, "status")
	_, err = f.svc.Contacts.ContactBot(ctx, f.p, "nope")
	wantCode(t, err, carillon.CodeNotFound, "")

	// Closing a contact without a conversation changes nothing; opening
	// makes one; closing sets closedAt and the reason.
	if v, err := f.svc.Contacts.CloseConversation(ctx, f.p, c.UUID, ""); err != nil || v.HasConversation() {
		t.Errorf("close without a conversation: %+v, %v", v, err)
	}
	v, err := f.svc.Contacts.OpenConversation(ctx, f.p, c.UUID)
	if err != nil || !v.ConversationOpen() || v.ConversationUUID == "" {
		t.Fatalf("open: %+v, %v", v, err)
	}
	v, err = f.svc.Contacts.CloseConversation(ctx, f.p, c.UUID, "solved")
	if err != nil || v.ClosedAt.IsZero() || v.ClosingReason != "solved" {
		t.Fatalf("close: %+v, %v", v, err)
	}
	if v, err = f.svc.Contacts.OpenConversation(ctx, f.p, c.UUID); err != nil || !v.ClosedAt.IsZero() {
		t.Fatalf("reopen: %+v, %v", v, err)
	}

	v, err = f.svc.Contacts.UpdateFunnel(ctx, f.p, c.UUID, f.funnel.UUID)
	if err != nil || v.FunnelID != f.funnel.UUID {
		t.Errorf("funnel: %+v, %v", v, err)
	}
	_, err = f.svc.Contacts.UpdateFunnel(ctx, f.p, c.UUID, "00000000-0000-0000-0000-000000000000")
	wantCode(t, err, carillon.CodeInvalidParameter, "funnel_id")
	_, err = f.svc.Contacts.UpdateFunnel(ctx, f.p, c.UUID, "")
	wantCode(t, err, carillon.CodeInvalidParameter, "funnel_id")

	if _, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Contacts.AddNote(ctx, f.p, c.UUID, "@Alex call her back"); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Contacts.AddNote(ctx, f.p, c.UUID, " ")
	wantCode(t, err, carillon.CodeInvalidParameter, "text")
	_, err = f.svc.Contacts.AddNote(ctx, f.p, "nope", "x")
	wantCode(t, err, carillon.CodeNotFound, "")
	list, info, err := f.svc.Contacts.ContactMessages(ctx, f.p, c.UUID, service.PageRequest{})
	if err != nil || len(list) != 2 || info.Pages != 1 || list[0].Direction != carillon.Note || list[0].Content.Text != "@Alex call her back" ||
		list[1].Direction != carillon.Outbound {
		t.Fatalf("messages: %+v, %+v, %v", list, info, err)
	}
	if f.disp.count() != 1 {
		t.Errorf("a note was dispatched: %d messages dispatched", f.disp.count())
	}
	_, _, err = f.svc.Contacts.ContactMessages(ctx, f.p, "nope", service.PageRequest{})
	wantCode(t, err, carillon.CodeNotFound, "")

	if err := f.svc.Contacts.DeleteContact(ctx, otherAccount(t, f.fixture), c.UUID); err == nil {
		t.Error("another account deleted the contact")
	}
	if err := f.svc.Contacts.DeleteContact(ctx, f.p, c.UUID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Contacts.Contact(ctx, f.p, c.UUID)
	wantCode(t, err, carillon.CodeNotFound, "")
	wantCode(t, f.svc.Contacts.DeleteContact(ctx, f.p, c.UUID), carillon.CodeNotFound, "")
	if _, err := f.db.MessageByUUID(ctx, f.p.Account.ID, list[0].UUID); err != carillon.ErrNotFound {
		t.Errorf("the contact's note outlived it: %v", err)
	}
}

// unavailableChannels is a store whose reads of an account's channels
// (its main channel; all of them, as an API request reads them to keep)
// fail as a store that cannot answer does.
type unavailableChannels struct {
	carillon.Store
}

var errFileRemoved = fmt.Errorf("the database file was removed: %w", carillon.ErrStoreUnavailable)

func (unavailableChannels) MainChannel(context.Context, int64, carillon.ChannelType) (carillon.Channel, error) {
	return carillon.Channel{}, errFileRemoved
}

func (unavailableChannels) AllChannels(context.Context, int64) ([]carillon.Channel, error) {
	return nil, errFileRemoved
}

// A contact whose source has no main channel is refused naming the field
// source; a store that cannot answer is a 503 that names no field, and the
// error every request shares stays as it is.
func TestCreateContactChannelErrors(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := setup(t)
	_, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "123456789", Source: "telegram", Name: "Kim"})
	wantCode(t, err, carillon.CodeInvalidParameter, "source")

	svc := testrig.Service(t, service.Options{Store: unavailableChannels{Store: f.db}, InstanceID: "test-instance"})
	for range 2 {
		_, err = svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "+31 6 1234 5678", Source: "whatsapp", Name: "Kim"})
		wantCode(t, err, carillon.CodeUnavailable, "")
	}
	if carillon.ErrStoreUnavailable.Field != "" {
		t.Errorf("ErrStoreUnavailable was changed: field %q", carillon.ErrStoreUnavailable.Field)
	}
}
