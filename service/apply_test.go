package service_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// applyEnv is a service on a store with the default account set up.
type applyEnv struct {
	t    *testing.T
	svc  *service.Service
	db   *store.DB
	acct carillon.Account
}

// applyStores runs fn on SQLite, and on PostgreSQL too when
// CARILLON_TEST_DATABASE_URL names a database.
func applyStores(t *testing.T, fn func(t *testing.T, newEnv func() *applyEnv)) {
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		fn(t, func() *applyEnv { return newApplyEnv(t, open()) })
	})
}

func newApplyEnv(t *testing.T, db *store.DB) *applyEnv {
	svc := testrig.Service(t, service.Options{Store: db, Registry: providers})
	acct, _, _, err := svc.Accounts.SetupAccount(context.Background(), carillon.DefaultAccountName, false)
	if err != nil {
		t.Fatal(err)
	}
	return &applyEnv{t: t, svc: svc, db: db, acct: acct}
}

// apply parses and applies a file.
func (e *applyEnv) apply(yaml string) (service.ApplyResult, error) {
	d, err := declaration.Parse("decl.yaml", []byte(yaml), providers)
	if err != nil {
		return service.ApplyResult{}, err
	}
	return e.svc.Resources.Apply(context.Background(), e.acct.ID, d)
}

func (e *applyEnv) mustApply(yaml string) service.ApplyResult {
	e.t.Helper()
	res, err := e.apply(yaml)
	if err != nil {
		e.t.Fatalf("apply: %v", err)
	}
	return res
}

func (e *applyEnv) channel(title string) carillon.Channel {
	e.t.Helper()
	chs, err := e.db.AllChannels(context.Background(), e.acct.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, c := range chs {
		if c.Title == title {
			return c
		}
	}
	e.t.Fatalf("no channel %q", title)
	return carillon.Channel{}
}

// snapshot describes everything apply may write, to tell that nothing was.
func (e *applyEnv) snapshot() string {
	e.t.Helper()
	ctx := context.Background()
	var b strings.Builder
	chs, _ := e.db.AllChannels(ctx, e.acct.ID)
	for _, c := range chs {
		b.WriteString(c.UUID + c.Title + string(c.Type) + c.Provider)
		if c.Main {
			b.WriteString("*")
		}
		for _, k := range []string{"window", "mps", "bot_token", "webhook_secret"} {
			b.WriteString(k + "=" + c.Settings[k])
		}
		b.WriteString(";")
	}
	users, _ := e.db.ListUsers(ctx, e.acct.ID)
	for _, u := range users {
		b.WriteString(u.Email + u.Name + ";")
	}
	teams, _ := e.db.AllTeams(ctx, e.acct.ID)
	for _, t := range teams {
		b.WriteString(t.Name + ";")
		members, _ := e.db.TeamMembers(ctx, t.ID)
		for _, m := range members {
			b.WriteString(m.Email + ",")
		}
	}
	tags, _, _ := e.db.ListTags(ctx, e.acct.ID, carillon.Page{Number: 1, Size: 100})
	for _, t := range tags {
		b.WriteString(t.Name + ";")
	}
	fields, _ := e.db.AllCustomFields(ctx, e.acct.ID)
	for _, f := range fields {
		b.WriteString(f.Name + string(f.Type) + strings.Join(f.Options, ",") + ";")
	}
	tpls, _, _ := e.db.ListTemplates(ctx, e.acct.ID, carillon.Page{Number: 1, Size: 100})
	for _, t := range tpls {
		b.WriteString(t.Title + t.Text + t.Status + ";")
	}
	funnels, _, _ := e.db.ListFunnels(ctx, e.acct.ID, carillon.Page{Number: 1, Size: 100})
	for _, f := range funnels {
		b.WriteString(f.Name + f.Emoji + ";")
	}
	statuses, _, _ := e.db.ListCustomStatuses(ctx, e.acct.ID, carillon.Page{Number: 1, Size: 100})
	for _, s := range statuses {
		b.WriteString(s.Name + s.Emoji + ";")
	}
	return b.String()
}

func exampleFile(t *testing.T) string {
	b, err := os.ReadFile("testdata/apply/example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// exampleSecrets are the secrets of testdata/apply/example.yaml.
var exampleSecrets = []string{"EAAG-secret-token", "app-secret-value", "verify-secret-value", "123456:AA-bot-secret", "hook-secret-value"}

func TestApplyExample(t *testing.T) {
	applyStores(t, func(t *testing.T, newEnv func() *applyEnv) {
		e := newEnv()
		ctx := context.Background()
		res := e.mustApply(exampleFile(t))
		out := strings.Join(res.Changes, "\n")
		for _, want := range []string{
			"created channel support-line (uuid ", "created channel wa-live", "created channel tg-bot",
			"created user ana@example.com", "created team Support", "created tag Lead", "created tag Customer",
			"created custom field Plan", "created template order_shipped", "created funnel Awareness", "created custom status Lunch",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("changes lack %q:\n%s", want, out)
			}
		}
		for _, s := range exampleSecrets {
			if strings.Contains(out, s) {
				t.Errorf("changes show the secret %q", s)
			}
		}
		if len(res.Channels) != 2 || res.Channels[0].Title != "wa-live" || res.Channels[1].Title != "tg-bot" {
			t.Errorf("provider channels = %+v; want wa-live and tg-bot", res.Channels)
		}

		sup := e.channel("support-line")
		if sup.Main || sup.Provider != "sandbox" || sup.Settings["window"] != "enforced" {
			t.Errorf("support-line = %+v; want a sandbox channel, not main, enforcing the window", sup)
		}
		if !e.channel("sandbox").Main {
			t.Error("the default sandbox channel is no longer the main WhatsApp channel")
		}
		wa := e.channel("wa-live")
		if wa.Settings["access_token"] != "EAAG-secret-token" || wa.Settings["mps"] != "80" || wa.Settings["phone_number_id"] != "106540352242922" {
			t.Errorf("wa-live settings = %v", wa.Settings)
		}
		if tg := e.channel("tg-bot"); !tg.Main || tg.Settings["webhook_secret"] != "hook-secret-value" {
			t.Errorf("tg-bot = %+v; want main, with its webhook secret", tg)
		}
		team, err := e.db.TeamByName(ctx, e.acct.ID, "Support")
		if err != nil {
			t.Fatal(err)
		}
		members, _ := e.db.TeamMembers(ctx, team.ID)
		if len(members) != 1 || members[0].Email != "ana@example.com" || members[0].Name != "Ana Diaz" {
			t.Errorf("Support members = %+v", members)
		}
		if tag, err := e.db.TagByName(ctx, e.acct.ID, "lead"); err != nil || tag.Name != "Lead" {
			t.Errorf("tag lead = %+v, %v", tag, err)
		}
		plan, err := e.db.CustomFieldByName(ctx, e.acct.ID, "Plan")
		if err != nil || plan.Type != carillon.FieldDropdown || !slices.Equal(plan.Options, []string{"Free", "Pro"}) {
			t.Errorf("field Plan = %+v, %v", plan, err)
		}
		tpl, err := e.db.TemplateByKey(ctx, sup.ID, "order_shipped", "en")
		if err != nil || tpl.Text != "Hello {{1}}, order {{2}} has shipped" || tpl.Status != "approved" || tpl.Category != "UTILITY" || tpl.Type != "text" {
			t.Errorf("template = %+v, %v", tpl, err)
		}
		if f, err := e.db.FunnelByName(ctx, e.acct.ID, "Awareness"); err != nil || f.Emoji != "🧘" || f.Position != 1 {
			t.Errorf("funnel = %+v, %v", f, err)
		}
		if s, err := e.db.CustomStatusByName(ctx, e.acct.ID, "Lunch"); err != nil || s.Emoji != "🍙" {
			t.Errorf("custom status = %+v, %v", s, err)
		}

		// The same file again changes nothing.
		before := e.snapshot()
		again := e.mustApply(exampleFile(t))
		if len(again.Changes) != 0 {
			t.Errorf("second apply changed %q", again.Changes)
		}
		if len(again.Channels) != 2 {
			t.Errorf("second apply: %d provider channels; want 2", len(again.Channels))
		}
		if after := e.snapshot(); after != before {
			t.Errorf("second apply changed the store:\n%s\n%s", before, after)
		}
	})
}

func TestApplyUpdates(t *testing.T) {
	applyStores(t, func(t *testing.T, newEnv func() *applyEnv) {
		e := newEnv()
		ctx := context.Background()
		e.mustApply(exampleFile(t))
		res := e.mustApply(`
users:
  - {email: ana@example.com, name: Ana Díaz}
  - {email: bo@example.com, name: Bo}
teams:
  - {name: Support, members: [bo@example.com]}
tags: [lead, Partner]
custom_fields:
  - {name: Plan, type: dropdown, options: [Free, Pro, Team]}
templates:
  - {title: order_shipped, channel: support-line, text: "Hi {{1}}, order {{2}} left", category: UTILITY}
  - title: verify_code
    channel: support-line
    text: "*{{1}}* is your code."
    category: AUTHENTICATION
    buttons:
      - {type: otp, text: Copy code}
funnels:
  - {name: Awareness, position: 2}
`)
		want := []string{
			"updated user ana@example.com: name",
			"updated team Support: members",
			"created tag Partner",
			"updated custom field Plan: options",
			"updated template order_shipped: text",
			"updated funnel Awareness: emoji, position",
			"created template verify_code",
		}
		out := strings.Join(res.Changes, "\n")
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("changes lack %q:\n%s", w, out)
			}
		}
		if strings.Contains(out, "tag lead") {
			t.Errorf("a tag that differs only in case was created:\n%s", out)
		}
		team, _ := e.db.TeamByName(ctx, e.acct.ID, "Support")
		members, _ := e.db.TeamMembers(ctx, team.ID)
		if len(members) != 1 || members[0].Email != "bo@example.com" {
			t.Errorf("members = %+v; want bo alone", members)
		}
		// Nothing is deleted: the default team and channel stay.
		if _, err := e.db.TeamByName(ctx, e.acct.ID, carillon.DefaultTeamName); err != nil {
			t.Errorf("default team: %v", err)
		}
		e.channel("sandbox")
		e.channel("wa-live")

		// Buttons are declared with the template (an otp button's otp_type
		// is copy_code unless said), and changing them updates it.
		support := e.channel("support-line")
		code, err := e.db.TemplateByKey(ctx, support.ID, "verify_code", "en")
		if err != nil || fmt.Sprint(code.Buttons) != fmt.Sprint([]carillon.TemplateButton{{Type: carillon.ButtonOTP, Text: "Copy code", OTPType: "copy_code"}}) {
			t.Fatalf("declared template %+v, %v", code, err)
		}
		again := `
templates:
  - title: verify_code
    channel: support-line
    text: "*{{1}}* is your code."
    category: AUTHENTICATION
    buttons:
      - {type: otp, otp_type: one_tap, text: Autofill}
`
		if res := e.mustApply(again); strings.Join(res.Changes, "\n") != "updated template verify_code: buttons" {
			t.Errorf("changing the buttons: %q", res.Changes)
		}
		if res := e.mustApply(again); len(res.Changes) != 0 {
			t.Errorf("the same buttons again: %q", res.Changes)
		}
		code, _ = e.db.TemplateByKey(ctx, support.ID, "verify_code", "en")
		if len(code.Buttons) != 1 || code.Buttons[0].OTPType != "one_tap" || code.Buttons[0].Text != "Autofill" {
			t.Errorf("buttons after the update: %+v", code.Buttons)
		}
	})
}

func TestApplyRenamesByUUID(t *testing.T) {
	applyStores(t, func(t *testing.T, newEnv func() *applyEnv) {
		e := newEnv()
		ctx := context.Background()
		e.mustApply(exampleFile(t))
		ch := e.channel("support-line")
		user, _ := e.db.UserByEmail(ctx, e.acct.ID, "ana@example.com")
		team, _ := e.db.TeamByName(ctx, e.acct.ID, "Support")
		funnel, _ := e.db.FunnelByName(ctx, e.acct.ID, "Awareness")
		status, _ := e.db.CustomStatusByName(ctx, e.acct.ID, "Lunch")
		tpl, _ := e.db.TemplateByKey(ctx, ch.ID, "order_shipped", "en")
		res := e.mustApply(`
channels:
  - {uuid: ` + ch.UUID + `, title: help-line, type: whatsapp, provider: sandbox, settings: {window: enforced}}
users:
  - {uuid: ` + user.UUID + `, email: ana.diaz@example.com, name: Ana Diaz}
teams:
  - {uuid: ` + team.UUID + `, name: Helpdesk}
templates:
  - {uuid: ` + tpl.UUID + `, title: order_sent, channel: help-line, text: "Hello {{1}}, order {{2}} has shipped", category: UTILITY}
funnels:
  - {uuid: ` + funnel.UUID + `, name: Interest, emoji: "🧘", position: 1}
custom_statuses:
  - {id: ` + status.UUID + `, name: Break, emoji: "🍙"}
`)
		want := []string{
			"updated channel help-line: title", "updated user ana.diaz@example.com: email", "updated team Helpdesk: name",
			"updated template order_sent: title", "updated funnel Interest: name", "updated custom status Break: name",
		}
		if !slices.Equal(res.Changes, want) {
			t.Errorf("changes = %q; want %q", res.Changes, want)
		}
		if got := e.channel("help-line"); got.UUID != ch.UUID {
			t.Errorf("renamed channel has uuid %s; want %s", got.UUID, ch.UUID)
		}
		if u, err := e.db.UserByUUID(ctx, e.acct.ID, user.UUID); err != nil || u.Email != "ana.diaz@example.com" {
			t.Errorf("user = %+v, %v", u, err)
		}
		if s, err := e.db.CustomStatusByUUID(ctx, e.acct.ID, status.UUID); err != nil || s.Name != "Break" {
			t.Errorf("custom status = %+v, %v", s, err)
		}
	})
}

func TestApplyMainChannel(t *testing.T) {
	applyStores(t, func(t *testing.T, newEnv func() *applyEnv) {
		e := newEnv()
		// The first channel of a type is main, whatever the file says.
		res := e.mustApply("channels:\n  - {title: tg, type: telegram, provider: telegram, main: false, settings: {bot_token: \"1:x\"}}\n")
		tg := e.channel("tg")
		if !tg.Main {
			t.Error("the first telegram channel is not main")
		}
		if s := tg.Settings["webhook_secret"]; !regexp.MustCompile(`^[A-Za-z0-9_-]{32}$`).MatchString(s) {
			t.Errorf("generated webhook_secret = %q; want 32 URL-safe characters", s)
		}
		for _, line := range res.Changes {
			if strings.Contains(line, tg.Settings["webhook_secret"]) || strings.Contains(line, "1:x") {
				t.Errorf("output shows a secret: %q", line)
			}
		}
		// Applying again keeps the generated secret.
		if res := e.mustApply("channels:\n  - {title: tg, type: telegram, provider: telegram, settings: {bot_token: \"1:x\"}}\n"); len(res.Changes) != 0 {
			t.Errorf("reapplying changed %q", res.Changes)
		}
		if got := e.channel("tg").Settings["webhook_secret"]; got != tg.Settings["webhook_secret"] {
			t.Errorf("webhook_secret changed from %q to %q", tg.Settings["webhook_secret"], got)
		}

		// main: true takes the role from the former main channel.
		res = e.mustApply("channels:\n  - {title: wa2, type: whatsapp, provider: sandbox, main: true}\n")
		if !e.channel("wa2").Main || e.channel("sandbox").Main {
			t.Errorf("wa2 main = %v, sandbox main = %v; want wa2 alone", e.channel("wa2").Main, e.channel("sandbox").Main)
		}
		if !slices.Contains(res.Changes, "updated channel sandbox: main") {
			t.Errorf("changes = %q; want the former main channel's change", res.Changes)
		}
		main, err := e.db.MainChannel(context.Background(), e.acct.ID, carillon.WhatsApp)
		if err != nil || main.Title != "wa2" {
			t.Errorf("MainChannel = %s, %v; want wa2", main.Title, err)
		}
		// And back, on an existing channel.
		e.mustApply("channels:\n  - {title: sandbox, type: whatsapp, provider: sandbox, main: true}\n")
		if e.channel("wa2").Main || !e.channel("sandbox").Main {
			t.Error("main: true on an existing channel did not switch back")
		}
		// main: false never leaves a type without a main channel.
		e.mustApply("channels:\n  - {title: sandbox, type: whatsapp, provider: sandbox, main: false}\n")
		if !e.channel("sandbox").Main {
			t.Error("main: false demoted the main channel")
		}
		// discarded: true discards; leaving it out brings the channel back.
		e.mustApply("channels:\n  - {title: wa2, type: whatsapp, provider: sandbox, discarded: true}\n")
		if e.channel("wa2").Active() {
			t.Error("discarded: true left the channel active")
		}
		e.mustApply("channels:\n  - {title: wa2, type: whatsapp, provider: sandbox}\n")
		if !e.channel("wa2").Active() {
			t.Error("discarded left out did not bring the channel back")
		}
	})
}

// TestApplyRefused checks the problems a file has against what the store
// holds (the problems of the file alone are declaration's tests): the
// file is refused whole and the store is left as it was.
func TestApplyRefused(t *testing.T) {
	cases := []struct {
		name, file string
		line       int
		want       string
	}{
		{"member nowhere", "users:\n  - {email: a@example.com, name: A}\nteams:\n  - name: T\n    members:\n      - a@example.com\n      - nobody@example.com\n", 7, `no user has the email "nobody@example.com"`},
		{"template channel nowhere", "channels:\n  - {title: a, type: whatsapp, provider: sandbox}\ntemplates:\n  - title: t\n    channel: nope\n    text: Hi\n    category: UTILITY\n", 5, `no channel is titled "nope"`},
		{"template on a network without templates", "channels:\n  - title: fb\n    type: facebook\n    provider: messenger\n    settings: {page_id: \"1000\", page_access_token: t, app_secret: s, verify_token: v}\ntemplates:\n  - title: t\n    channel: fb\n    text: Hi\n    category: UTILITY\n", 8, "channel fb is a facebook channel, and Messenger takes no templates"},
		{"unknown channel uuid", "channels:\n  - {uuid: 0123456789abcdef0123456789abcdef, title: a, type: whatsapp, provider: sandbox}\n", 2, "no channel has the uuid"},
		{"unknown custom status id", "custom_statuses:\n  - {id: 0-1, name: Lunch}\n", 2, "no custom status has the id"},
	}
	applyStores(t, func(t *testing.T, newEnv func() *applyEnv) {
		e := newEnv()
		e.mustApply(exampleFile(t))
		before := e.snapshot()
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				_, err := e.apply(c.file)
				var ae *declaration.Error
				if !errors.As(err, &ae) {
					t.Fatalf("apply = %v; want a *declaration.Error", err)
				}
				msg := err.Error()
				prefix := "decl.yaml:" + strconv.Itoa(c.line) + ": "
				if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, prefix) {
					t.Errorf("error = %q; want %q at %s", msg, c.want, prefix)
				}
				if after := e.snapshot(); after != before {
					t.Errorf("a refused file changed the store")
				}
			})
		}
		// A valid first entry is not written when a later one is refused.
		_, err := e.apply("users:\n  - {email: new@example.com, name: New}\nteams:\n  - {name: Support, members: [new@example.com, ghost@example.com]}\n")
		if err == nil || !strings.HasPrefix(err.Error(), "decl.yaml:4: ") {
			t.Fatalf("apply = %v; want a refusal at line 4", err)
		}
		if _, err := e.db.UserByEmail(context.Background(), e.acct.ID, "new@example.com"); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("the refused file's user was written: %v", err)
		}
		// Renaming a channel onto another one's title is refused.
		sup := e.channel("support-line")
		_, err = e.apply("channels:\n  - {uuid: " + sup.UUID + ", title: wa-live, type: whatsapp, provider: sandbox}\n")
		if err == nil || !strings.Contains(err.Error(), `decl.yaml:2: channel wa-live: another channel`) {
			t.Errorf("rename onto wa-live = %v", err)
		}
		if after := e.snapshot(); after != before {
			t.Errorf("a refused file changed the store")
		}
	})
}

func TestAddChannel(t *testing.T) {
	applyStores(t, func(t *testing.T, newEnv func() *applyEnv) {
		e := newEnv()
		ctx := context.Background()
		ch, changes, err := e.svc.Resources.AddChannel(ctx, e.acct.ID, declaration.ChannelSpec{
			Title: "wa", Type: "whatsapp", Provider: "whatsapp",
			Settings: map[string]string{"phone_number_id": "1", "access_token": "tok-secret", "app_secret": "app-secret", "verify_token": "verify-secret"},
		})
		if err != nil {
			t.Fatal(err)
		}
		if ch.Main || len(changes) != 1 || !strings.HasPrefix(changes[0], "created channel wa (uuid "+ch.UUID) {
			t.Errorf("AddChannel = %+v, %q", ch, changes)
		}
		if got := e.svc.CallbackURL("http://127.0.0.1:8080/", ch); got != "http://127.0.0.1:8080/callbacks/whatsapp/"+ch.UUID {
			t.Errorf("CallbackURL = %q", got)
		}
		// The same title updates it.
		ch2, changes, err := e.svc.Resources.AddChannel(ctx, e.acct.ID, declaration.ChannelSpec{
			Title: "wa", Type: "whatsapp", Provider: "whatsapp", Main: true,
			Settings: map[string]string{"phone_number_id": "1", "access_token": "tok-secret2", "app_secret": "app-secret", "verify_token": "verify-secret"},
		})
		if err != nil || ch2.UUID != ch.UUID || !ch2.Main {
			t.Fatalf("AddChannel again = %+v, %v", ch2, err)
		}
		if !slices.Equal(changes, []string{"updated channel sandbox: main", "updated channel wa: settings, main"}) {
			t.Errorf("changes = %q", changes)
		}
		// The number learned from the network stays while the settings
		// name the same number, and is forgotten when they name another.
		if err := e.db.SetChannelAddress(ctx, ch.ID, "15550783881"); err != nil {
			t.Fatal(err)
		}
		for _, step := range []struct {
			settings map[string]string
			want     string
		}{
			{map[string]string{"phone_number_id": "1", "access_token": "tok-secret3", "app_secret": "app-secret", "verify_token": "verify-secret", "mps": "5"}, "15550783881"},
			{map[string]string{"phone_number_id": "2", "access_token": "tok-secret3", "app_secret": "app-secret", "verify_token": "verify-secret", "mps": "5"}, ""},
		} {
			got, _, err := e.svc.Resources.AddChannel(ctx, e.acct.ID, declaration.ChannelSpec{Title: "wa", Type: "whatsapp", Provider: "whatsapp", Settings: step.settings})
			if err != nil || got.Address != step.want || e.channel("wa").Address != step.want {
				t.Errorf("after declaring %v: address %q (stored %q), %v; want %q", step.settings, got.Address, e.channel("wa").Address, err, step.want)
			}
		}
		_, _, err = e.svc.Resources.AddChannel(ctx, e.acct.ID, declaration.ChannelSpec{Title: "x", Type: "whatsapp", Provider: "sandbox", Settings: map[string]string{"colour": "red"}})
		var pe *service.ProblemError
		if !errors.As(err, &pe) || !strings.Contains(err.Error(), `unknown setting "colour"`) {
			t.Errorf("unknown setting: %v", err)
		}
		if e.svc.CallbackURL("http://x", e.channel("sandbox")) != "" {
			t.Error("a sandbox channel has a callback URL")
		}
	})
}
