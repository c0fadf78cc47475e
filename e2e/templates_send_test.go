package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// accountFile declares what the template, assignment and user status tests
// use: a sandbox channel that enforces the 24-hour window, a user, a team,
// templates of both channels and a custom status.
const accountFile = `channels:
  - {title: strict, type: whatsapp, provider: sandbox, settings: {window: enforced}}
users:
  - {email: ana@example.com, name: Ana Diaz}
teams:
  - {name: Support, members: [ana@example.com]}
templates:
  - {title: greeting, channel: sandbox, text: "Hello {{1}}", category: UTILITY}
  - {title: order_shipped, channel: sandbox, text: "Hello {{1}}, order {{2}} has shipped", category: UTILITY}
  - {title: receipt, channel: sandbox, text: "Your receipt, {{1}}", type: image, category: UTILITY}
  - {title: waiting, channel: sandbox, text: "Hello {{1}}", category: UTILITY, status: pending}
  - {title: reminder, channel: strict, text: "We miss you, {{1}}", category: MARKETING}
  - title: verify_code
    channel: sandbox
    text: "*{{1}}* is your verification code."
    category: AUTHENTICATION
    buttons:
      - {type: otp, otp_type: copy_code, text: Copy code}
  - title: order_tracking
    channel: sandbox
    text: "Hello {{1}}, order {{2}} is on its way"
    category: UTILITY
    buttons:
      - {type: quick_reply, text: Stop updates}
      - {type: url, text: Track order, url: "https://example.com/track/{{1}}"}
custom_statuses:
  - {name: Lunch, emoji: "🍔"}
  - {name: Meeting}
`

var createdObject = regexp.MustCompile(`created (channel|user|team|template|custom status) (\S+) \((?:uuid|id) ([0-9a-f-]+)\)`)

// applyAccount applies accountFile and returns the uuids it reports, by
// "kind name" (e.g. "template greeting").
func applyAccount(t *testing.T, s *server) map[string]string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "account.yaml")
	if err := os.WriteFile(file, []byte(accountFile), 0o644); err != nil {
		t.Fatal(err)
	}
	res := s.admin(t, []string{"apply"}, file)
	if res.Code != 0 {
		t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	ids := map[string]string{}
	for _, m := range createdObject.FindAllStringSubmatch(res.Stdout, -1) {
		ids[m[1]+" "+m[2]] = m[3]
	}
	for _, want := range []string{"channel strict", "user ana@example.com", "team Support", "template greeting", "template reminder", "template verify_code", "template order_tracking", "custom status Lunch", "custom status Meeting"} {
		if ids[want] == "" {
			t.Fatalf("apply did not report %s:\n%s", want, res.Stdout)
		}
	}
	return ids
}

var embeddedUUID = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{32}`)

// checkDirGolden compares a normalised answer, identifiers inside messages
// included, with its golden file testdata/dir/name.json.
func checkDirGolden(t *testing.T, dir, name string, r response) {
	t.Helper()
	checkNormalisedGolden(t, dir, name, r, nil, func(b []byte) []byte { return embeddedUUID.ReplaceAll(b, []byte("<uuid>")) })
}

// TestTemplateSends sends templates, and assigns contacts on send, through
// the real server on each store, with what carillon apply declared.
func TestTemplateSends(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		ids := applyAccount(t, s)
		strict, greeting, shipped, receipt := ids["channel strict"], ids["template greeting"], ids["template order_shipped"], ids["template receipt"]
		support := ids["team Support"]

		type stored struct{ text, url, template, values string }
		for _, tc := range []struct {
			name, body string
			status     int
			want       stored // the stored message, for a 200
		}{
			{name: "single_variable", status: 200,
				body: `{"to": "+31612340001", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + greeting + `", "optin_contact": true}`,
				want: stored{text: "Hello Ana", template: greeting, values: `["Ana"]`}},
			{name: "multi_variable", status: 200,
				body: `{"to": "+31612340002", "from": "whatsapp", "type": "text", "content": {"text": "ignored"}, "template_uuid": "` + shipped + `", "template_values": ["Ana", "A-1042"], "optin_contact": true}`,
				want: stored{text: "Hello Ana, order A-1042 has shipped", template: shipped, values: `["Ana","A-1042"]`}},
			{name: "media", status: 200,
				body: `{"to": "+31612340003", "from": "whatsapp", "type": "image", "content": {"url": "https://example.com/r.png", "text": "Ana"}, "template_uuid": "` + receipt + `", "optin_contact": true}`,
				want: stored{text: "Your receipt, Ana", url: "https://example.com/r.png", template: receipt, values: `["Ana"]`}},
			{name: "outside_the_window", status: 200,
				body: `{"to": "+31612340004", "from": "whatsapp", "channel_uuid": "` + strict + `", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + ids["template reminder"] + `", "optin_contact": true}`,
				want: stored{text: "We miss you, Ana", template: ids["template reminder"], values: `["Ana"]`}},
			{name: "free_form_outside_the_window", status: 422,
				body: `{"to": "+31612340004", "from": "whatsapp", "channel_uuid": "` + strict + `", "type": "text", "content": {"text": "hi"}}`},
			{name: "without_optin", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + greeting + `"}`},
			{name: "not_approved", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + ids["template waiting"] + `", "optin_contact": true}`},
			{name: "of_another_channel", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "channel_uuid": "` + strict + `", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + greeting + `", "optin_contact": true}`},
			{name: "unknown", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "0123456789abcdef0123456789abcdef", "optin_contact": true}`},
			{name: "wrong_value_count", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "template_uuid": "` + shipped + `", "template_values": ["Ana"], "optin_contact": true}`},
			{name: "values_missing", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + shipped + `", "optin_contact": true}`},
			// Buttons that take a value take those after the body's, as
			// Callbell's users send an authentication code: in the body
			// and again for its button.
			{name: "authentication_code", status: 200,
				body: `{"to": "+31612340007", "from": "whatsapp", "type": "text", "template_uuid": "` + ids["template verify_code"] + `", "template_values": ["4821", "4821"], "optin_contact": true}`,
				want: stored{text: "*4821* is your verification code.", template: ids["template verify_code"], values: `["4821","4821"]`}},
			{name: "url_button", status: 200,
				body: `{"to": "+31612340008", "from": "whatsapp", "type": "text", "template_uuid": "` + ids["template order_tracking"] + `", "template_values": ["Ana", "A-1042", "A-1042"], "optin_contact": true}`,
				want: stored{text: "Hello Ana, order A-1042 is on its way", template: ids["template order_tracking"], values: `["Ana","A-1042","A-1042"]`}},
			{name: "authentication_code_without_button_value", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "template_uuid": "` + ids["template verify_code"] + `", "template_values": ["4821"], "optin_contact": true}`},
			{name: "url_button_value_missing", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + ids["template order_tracking"] + `", "optin_contact": true}`},
			{name: "media_without_header", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "image", "content": {"text": "Ana"}, "template_uuid": "` + receipt + `", "optin_contact": true}`},
			{name: "media_as_text", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "Ana"}, "template_uuid": "` + receipt + `", "optin_contact": true}`},
			{name: "assigned", status: 200,
				body: `{"to": "+31612340006", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "assigned_user": "Ana@Example.com", "team_uuid": "` + support + `"}`,
				want: stored{text: "hi"}},
			{name: "assigned_to_unknown_user", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "assigned_user": "nobody@example.com", "team_uuid": "` + support + `"}`},
			{name: "assigned_to_unknown_team", status: 422,
				body: `{"to": "+31612340005", "from": "whatsapp", "type": "text", "content": {"text": "hi"}, "assigned_user": "ana@example.com", "team_uuid": "0123456789abcdef0123456789abcdef"}`},
		} {
			r := s.do(t, "POST", "/v1/messages/send", s.Key, tc.body)
			if r.Code != tc.status {
				t.Errorf("%s: answered %s, want %d", tc.name, r, tc.status)
				continue
			}
			checkDirGolden(t, "templates", tc.name, r)
			if r.Code != 200 {
				continue
			}
			uuid := enqueuedUUID(t, r)
			db := s.openStore(t)
			var content, template, values string
			if err := db.QueryRow("SELECT content, template_uuid, template_values FROM messages WHERE uuid = $1", uuid).Scan(&content, &template, &values); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			var c struct{ Text, URL string }
			if err := json.Unmarshal([]byte(content), &c); err != nil {
				t.Fatalf("%s: content %q: %v", tc.name, content, err)
			}
			got := stored{text: c.Text, url: c.URL, template: template, values: strings.ReplaceAll(values, " ", "")}
			if got != tc.want {
				t.Errorf("%s: stored %+v, want %+v", tc.name, got, tc.want)
			}
			// Every accepted message leaves through the sandbox.
			s.waitStatus(t, uuid, "read", 10*time.Second, nil)
		}

		// The declared buttons are shown with the template.
		checkDirGolden(t, "templates", "template_with_buttons", s.do(t, "GET", "/v1/templates/"+ids["template order_tracking"], s.Key, ""))

		// The assignment is the contact's; a refused send made no contact.
		db := s.openStore(t)
		var user, team string
		if err := db.QueryRow(`SELECT users.email, teams.uuid FROM contacts JOIN users ON users.id = contacts.assigned_user_id
			JOIN teams ON teams.id = contacts.team_id WHERE contacts.address = '31612340006'`).Scan(&user, &team); err != nil || user != "ana@example.com" || team != support {
			t.Errorf("the assigned contact: %q, %q, %v", user, team, err)
		}
		var refused int
		if err := db.QueryRow("SELECT COUNT(*) FROM contacts WHERE address = '31612340005'").Scan(&refused); err != nil || refused != 0 {
			t.Errorf("refused sends left %d contacts (%v)", refused, err)
		}
	})
}
