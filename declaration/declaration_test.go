package declaration_test

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
	"github.com/carillon/carillon/internal/testrig/registry"
)

// providers is the registry serve builds: files are checked against the
// providers' own descriptions.
var providers = registry.Providers()

// goodFile declares one of each kind of entry.
const goodFile = `channels:
  - {title: support-line, type: whatsapp, provider: sandbox, main: false, settings: {window: enforced, mps: 20}}
  - title: tg-bot
    type: telegram
    provider: telegram
    main: true
    settings: {bot_token: "123456:AA-bot-secret"}
users:
  - {email: Ana@Example.com, name: Ana Diaz}
  - {email: bo@example.com, name: Bo, role: settings_agent}
teams:
  - {name: Support, members: [ana@example.com]}
  - {name: Sales, members: }
  - {name: Billing}
tags: [Lead, " Customer "]
custom_fields:
  - {name: Plan, type: dropdown, options: [Free, Pro]}
templates:
  - {title: order_shipped, channel: support-line, text: "Hello {{1}}, order {{2}} has shipped", category: UTILITY}
  - title: verify_code
    channel: support-line
    text: "*{{1}}* is your code."
    category: AUTHENTICATION
    language: pt_BR
    buttons:
      - {type: otp, text: Copy code}
funnels:
  - {name: Awareness, emoji: "🧘", position: 1}
custom_statuses:
  - {id: lunch-1, name: Lunch, emoji: "🍙"}
`

func TestParseGoodFile(t *testing.T) {
	d, err := declaration.Parse("decl.yaml", []byte(goodFile), providers)
	if err != nil {
		t.Fatal(err)
	}
	if d.File != "decl.yaml" {
		t.Errorf("File = %q", d.File)
	}

	if len(d.Channels) != 2 {
		t.Fatalf("%d channels; want 2", len(d.Channels))
	}
	sup, tg := d.Channels[0], d.Channels[1]
	if sup.Spec.Title != "support-line" || sup.Spec.Type != "whatsapp" || sup.Spec.Provider != "sandbox" || sup.Spec.Main {
		t.Errorf("support-line = %+v", sup.Spec)
	}
	// A number setting is read as its text.
	if sup.Spec.Settings["window"] != "enforced" || sup.Spec.Settings["mps"] != "20" {
		t.Errorf("support-line settings = %v", sup.Spec.Settings)
	}
	if !tg.Spec.Main || tg.Spec.Settings["bot_token"] != "123456:AA-bot-secret" {
		t.Errorf("tg-bot = %+v", tg.Spec)
	}
	// A problem about a key is reported at its line; a setting's at the
	// setting's; a key not given at the entry's.
	for _, c := range []struct {
		ch    *declaration.Channel
		field string
		line  int
	}{
		{sup, "title", 2}, {sup, "settings.mps", 2}, {tg, "", 3}, {tg, "provider", 5},
		{tg, "settings.bot_token", 7}, {tg, "settings.webhook_secret", 7}, {tg, "uuid", 3},
	} {
		if got := c.ch.At(c.field); got != c.line {
			t.Errorf("%s At(%q) = %d; want %d", c.ch.Spec.Title, c.field, got, c.line)
		}
	}

	// An email is kept in lower case; a role not given is none.
	if len(d.Users) != 2 || d.Users[0].Email != "ana@example.com" || d.Users[0].Name != "Ana Diaz" || d.Users[0].Line != 9 || d.Users[0].Role != "" {
		t.Errorf("users = %+v", d.Users)
	} else if d.Users[1].Role != carillon.RoleSettingsAgent {
		t.Errorf("second user's role = %q, want settings_agent", d.Users[1].Role)
	}

	// members given, members given as nothing (no member) and members not
	// given (membership left as it is).
	if len(d.Teams) != 3 {
		t.Fatalf("%d teams; want 3", len(d.Teams))
	}
	for i, want := range []struct {
		name       string
		hasMembers bool
		members    []string
	}{{"Support", true, []string{"ana@example.com"}}, {"Sales", true, nil}, {"Billing", false, nil}} {
		got := d.Teams[i]
		if got.Name != want.name || got.HasMembers != want.hasMembers || !slices.Equal(got.Members, want.members) {
			t.Errorf("team %d = %+v; want %+v", i, got, want)
		}
	}

	var tags []string
	for _, tag := range d.Tags {
		tags = append(tags, tag.Name)
	}
	if !slices.Equal(tags, []string{"Lead", "Customer"}) {
		t.Errorf("tags = %q", tags)
	}

	if len(d.Fields) != 1 || d.Fields[0].Name != "Plan" || d.Fields[0].Type != carillon.FieldDropdown || !slices.Equal(d.Fields[0].Options, []string{"Free", "Pro"}) {
		t.Errorf("custom fields = %+v", d.Fields)
	}

	// A template's type, status and language have defaults; an otp
	// button's otp_type is copy_code unless said.
	if len(d.Templates) != 2 {
		t.Fatalf("%d templates; want 2", len(d.Templates))
	}
	shipped, code := d.Templates[0], d.Templates[1]
	if shipped.Title != "order_shipped" || shipped.Channel != "support-line" || shipped.Type != "text" || shipped.Status != "approved" ||
		shipped.Language != "en" || shipped.Category != "UTILITY" || shipped.Text != "Hello {{1}}, order {{2}} has shipped" || shipped.Buttons != nil {
		t.Errorf("order_shipped = %+v", shipped)
	}
	wantButtons := []carillon.TemplateButton{{Type: carillon.ButtonOTP, Text: "Copy code", OTPType: "copy_code"}}
	if code.Language != "pt_BR" || fmt.Sprint(code.Buttons) != fmt.Sprint(wantButtons) {
		t.Errorf("verify_code = %+v; want pt_BR with buttons %+v", code, wantButtons)
	}

	if len(d.Funnels) != 1 || d.Funnels[0].Name != "Awareness" || d.Funnels[0].Emoji != "🧘" || d.Funnels[0].Position != 1 {
		t.Errorf("funnels = %+v", d.Funnels)
	}
	if len(d.Statuses) != 1 || d.Statuses[0].ID != "lunch-1" || d.Statuses[0].Name != "Lunch" || d.Statuses[0].Emoji != "🍙" {
		t.Errorf("custom statuses = %+v", d.Statuses)
	}
}

// TestParseNothing checks that a file that declares nothing is no error.
func TestParseNothing(t *testing.T) {
	for _, file := range []string{"", "# nothing yet\n", "~\n", "---\n"} {
		d, err := declaration.Parse("decl.yaml", []byte(file), providers)
		if err != nil {
			t.Errorf("Parse(%q) = %v", file, err)
			continue
		}
		if d.Channels != nil || d.Users != nil || d.Teams != nil || d.Tags != nil || d.Fields != nil || d.Templates != nil || d.Funnels != nil || d.Statuses != nil {
			t.Errorf("Parse(%q) declares %+v", file, d)
		}
	}
}

func TestParseProblems(t *testing.T) {
	cases := []struct {
		name, file string
		line       int
		want       string
	}{
		{"bad YAML", "users:\n  - email: a@example.com\n    name: \"x\n", 3, "bad YAML: found unexpected end of stream"},
		{"unknown top-level key", "tags: [A]\nwebhooks: []\n", 2, `unknown key "webhooks"`},
		{"unknown key of an entry", "users:\n  - email: a@example.com\n    name: A\n    phone: '1'\n", 4, `unknown key "phone" in a user (known: uuid, email, name, role)`},
		{"unknown role", "users:\n  - email: a@example.com\n    name: A\n    role: owner\n", 4, `role "owner" is not one of admin, agent, restricted_agent, settings_agent`},
		{"role not a text", "users:\n  - {email: a@example.com, name: A, role: [admin]}\n", 2, "role must be a text"},
		{"a password", "users:\n  - email: a@example.com\n    name: A\n    password: hunter22\n", 4, "a declaration holds no password"},
		{"top level not a mapping", "- a\n", 1, "the file must be a mapping"},
		{"list expected", "users: {email: a@example.com}\n", 1, "users must be a list"},
		{"missing title", "channels:\n  - {type: whatsapp, provider: sandbox}\n", 2, "missing title"},
		{"wrong type", "channels:\n  - {title: 12, type: whatsapp, provider: sandbox}\n", 2, "title must be a text"},
		{"main not a bool", "channels:\n  - {title: a, type: whatsapp, provider: sandbox, main: yes please}\n", 2, "main must be true or false"},
		{"bad channel type", "channels:\n  - {title: a, type: sms, provider: sandbox}\n", 2, `channel type "sms"`},
		{"bad provider", "channels:\n  - {title: a, type: whatsapp, provider: twilio}\n", 2, `provider "twilio"`},
		{"provider of another type", "channels:\n  - {title: a, type: telegram, provider: whatsapp}\n", 2, "serves channels of type whatsapp"},
		{"unknown setting", "channels:\n  - title: a\n    type: whatsapp\n    provider: sandbox\n    settings:\n      window: open\n      colour: red\n", 7, `unknown setting "colour"`},
		{"bad window", "channels:\n  - title: a\n    type: whatsapp\n    provider: sandbox\n    settings:\n      window: closed\n", 6, "window must be open or enforced"},
		{"sandbox number that is none", "channels:\n  - title: a\n    type: whatsapp\n    provider: sandbox\n    settings: {number: '12'}\n", 5, "number must be a phone number"},
		{"negative mps", "channels:\n  - title: a\n    type: whatsapp\n    provider: sandbox\n    settings: {mps: -1}\n", 5, "mps must be a whole number"},
		{"missing whatsapp setting", "channels:\n  - title: a\n    type: whatsapp\n    provider: whatsapp\n    settings: {phone_number_id: '1', access_token: t, app_secret: s}\n", 5, "needs the setting verify_token"},
		{"bad base_url", "channels:\n  - title: a\n    type: telegram\n    provider: telegram\n    settings: {bot_token: t, base_url: 'ftp://x'}\n", 5, "base_url must be an absolute http or https URL"},
		{"missing bot_token", "channels:\n  - {title: a, type: telegram, provider: telegram}\n", 2, "needs the setting bot_token"},
		{"duplicate channel", "channels:\n  - {title: a, type: whatsapp, provider: sandbox}\n  - {title: a, type: whatsapp, provider: sandbox}\n", 3, `channel "a" is given twice (line 2)`},
		{"bad email", "users:\n  - {email: not-an-address, name: X}\n", 2, "is not an email address"},
		{"missing user name", "users:\n  - {email: a@example.com}\n", 2, "missing name"},
		{"options for text", "custom_fields:\n  - {name: Address, type: text, options: [A]}\n", 2, "a text field takes no options"},
		{"no options for dropdown", "custom_fields:\n  - {name: Plan, type: dropdown}\n", 2, "a dropdown field needs options"},
		{"empty options for checkbox", "custom_fields:\n  - {name: F, type: checkbox, options: []}\n", 2, "a checkbox field needs options"},
		{"bad field type", "custom_fields:\n  - {name: F, type: colour}\n", 2, `custom field type "colour"`},
		{"empty placeholder", "templates:\n  - {title: t, channel: sandbox, text: 'Hi {{}}', category: UTILITY}\n", 2, "placeholder {{}} is empty"},
		{"placeholder gap", "templates:\n  - {title: t, channel: sandbox, text: 'Hi {{2}}', category: UTILITY}\n", 2, "placeholder {{1}} is missing"},
		{"bad category", "templates:\n  - {title: t, channel: sandbox, text: Hi, category: SPAM}\n", 2, `category "SPAM"`},
		{"bad template type", "templates:\n  - {title: t, channel: sandbox, text: Hi, category: UTILITY, type: audio}\n", 2, `type "audio"`},
		{"funnel position not a number", "funnels:\n  - {name: F, position: first}\n", 2, "position must be a whole number"},
		{"missing status name", "custom_statuses:\n  - {emoji: x}\n", 2, "missing name"},
		{"empty tag", "tags: [A, '']\n", 1, "non-empty text"},
		{"tag with a NUL", "tags: [A, \"B\\0\"]\n", 1, "tags must be a text without NUL characters"},
		{"name with a NUL", "custom_statuses:\n  - {name: \"Lunch\\0\"}\n", 2, "name must be a text without NUL characters"},
		{"bad button type", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: flow, text: Go}\n", 7, `button 1: type "flow" is not one of`},
		{"url button without url", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: url, text: Go}\n", 7, "button 1: a url button needs url"},
		{"url placeholder not at the end", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: url, text: Go, url: 'https://example.com/{{1}}/x'}\n", 7, "may have one placeholder, {{1}}, at its end"},
		{"url not http", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: url, text: Go, url: 'ftp://example.com'}\n", 7, "must be an absolute http(s) URL"},
		{"key of another kind", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: quick_reply, text: Stop, url: 'https://example.com'}\n", 7, "a quick_reply button takes no url"},
		{"otp outside authentication", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: otp}\n", 7, "an otp button belongs to an AUTHENTICATION template"},
		{"bad otp type", "templates:\n  - title: t\n    channel: sandbox\n    text: '{{1}}'\n    category: AUTHENTICATION\n    buttons:\n      - {type: otp, otp_type: magic}\n", 7, `otp_type "magic"`},
		{"button text too long", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: quick_reply, text: 'Stop sending me these messages'}\n", 7, "text has at most 25 characters"},
		{"phone button without number", "templates:\n  - title: t\n    channel: sandbox\n    text: Hi\n    category: UTILITY\n    buttons:\n      - {type: phone_number, text: Call}\n", 7, "needs phone_number"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d, err := declaration.Parse("decl.yaml", []byte(c.file), providers)
			var de *declaration.Error
			if !errors.As(err, &de) || d != nil {
				t.Fatalf("Parse = %+v, %v; want a *declaration.Error alone", d, err)
			}
			msg := err.Error()
			prefix := "decl.yaml:" + strconv.Itoa(c.line) + ": "
			if !strings.Contains(msg, c.want) || !strings.HasPrefix(msg, prefix) {
				t.Errorf("error = %q; want %q at %s", msg, c.want, prefix)
			}
		})
	}
}

// TestParseListsEveryProblem checks that a file is refused with all its
// problems at once, one FILE:LINE: problem a line, in the file's order.
func TestParseListsEveryProblem(t *testing.T) {
	file := "tags: [A, '']\nfunnels:\n  - {name: F, position: first}\nusers:\n  - {email: a@example.com}\n"
	_, err := declaration.Parse("decl.yaml", []byte(file), providers)
	want := "decl.yaml:1: each of tags must be a non-empty text\n" +
		"decl.yaml:3: position must be a whole number\n" +
		"decl.yaml:5: missing name"
	if err == nil || err.Error() != want {
		t.Errorf("error = %v; want\n%s", err, want)
	}
}

// TestParseHidesSecrets checks that a refused channel's problems never
// show its secrets.
func TestParseHidesSecrets(t *testing.T) {
	_, err := declaration.Parse("decl.yaml", []byte("channels:\n  - title: w\n    type: whatsapp\n    provider: whatsapp\n    settings: {access_token: EAAG-secret-token, app_secret: app-secret-value}\n"), providers)
	if err == nil {
		t.Fatal("a whatsapp channel without its phone number id was accepted")
	}
	for _, s := range []string{"EAAG-secret-token", "app-secret-value"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the problem shows the secret %q: %v", s, err)
		}
	}
}
