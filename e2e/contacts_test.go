package e2e

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// contactsAccount is applied before the contacts test: the tags, custom
// fields, user, team and funnel stage that contacts refer to.
const contactsAccount = `channels:
  - {title: tg-bot, type: telegram, provider: sandbox, main: true}
users:
  - {email: alex@example.com, name: Alex}
teams:
  - {name: Sales, members: [alex@example.com]}
tags: [VIP, Lead]
custom_fields:
  - {name: Plan, type: dropdown, options: [free, pro]}
  - {name: Products, type: checkbox, options: [chat, voice]}
  - {name: Seats, type: number}
  - {name: Renewal, type: date}
  - {name: Email, type: email}
funnels:
  - {name: Lead, emoji: "🌱", position: 1}
`

// volatileHref matches the links of a contact and its conversation, which
// hold the server's port and a uuid.
var volatileHref = regexp.MustCompile(`http://127\.0\.0\.1:\d+/(contacts|chat)/[0-9a-f]{32}`)

// checkContactGolden compares an answer, with its links' port and uuid
// replaced, with its golden file testdata/contacts/name.json.
func checkContactGolden(t *testing.T, name string, r response) {
	t.Helper()
	checkNormalisedGolden(t, "contacts", name, r, func(b []byte) []byte {
		return volatileHref.ReplaceAll(b, []byte("<public URL>/$1/<uuid>"))
	}, nil)
}

// TestContacts drives the contact and conversation endpoints through the
// real server, on each store, and checks every answer against its golden
// file; another account's key sees none of it.
func TestContacts(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind, "--rate-limit", "0")
		file := filepath.Join(t.TempDir(), "account.yaml")
		if err := os.WriteFile(file, []byte(contactsAccount), 0o600); err != nil {
			t.Fatal(err)
		}
		if res := s.admin(t, []string{"apply"}, file); res.Code != 0 {
			t.Fatalf("apply: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
		}
		if res := s.admin(t, []string{"accounts", "create"}, "--name", "other"); res.Code != 0 {
			t.Fatalf("accounts create: exit %d: %s %s", res.Code, res.Stdout, res.Stderr)
		}
		res := s.admin(t, []string{"keys", "create"}, "--account", "other", "--name", "other")
		lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
		other := strings.TrimSpace(lines[len(lines)-1])
		if res.Code != 0 || !strings.HasPrefix(other, "crln_") {
			t.Fatalf("keys create --account other: exit %d: %s %s", res.Code, res.Stdout, res.Stderr)
		}

		var teams struct{ Teams []struct{ UUID, Name string } }
		var funnels struct{ Funnels []struct{ UUID string } }
		if err := json.Unmarshal(s.do(t, "GET", "/v1/teams", s.Key, "").Body, &teams); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(s.do(t, "GET", "/v1/funnels", s.Key, "").Body, &funnels); err != nil || len(funnels.Funnels) != 1 {
			t.Fatalf("funnels: %v", err)
		}
		var sales string
		for _, team := range teams.Teams {
			if team.Name == "Sales" {
				sales = team.UUID
			}
		}
		lead := funnels.Funnels[0].UUID
		created := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31 6 1234 5678", "source": "whatsapp", "name": "Kim",
			"tags": ["vip", "Lead"], "custom_fields": {"Plan": "pro", "Products": ["voice", "chat"], "Seats": 12, "Renewal": "2027-02-28"},
			"assigned_user": "alex@example.com", "team_uuid": "`+sales+`", "bot_status": "bot_start", "note": "Prefers mornings"}`)
		checkContactGolden(t, "create", created)
		kim, _ := object(t, created.JSON(t), "contact")["uuid"].(string)
		tom := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "4242", "source": "telegram", "name": "Tom", "tags": ["lead"]}`)
		checkContactGolden(t, "create_telegram", tom)
		tomUUID, _ := object(t, tom.JSON(t), "contact")["uuid"].(string)
		tg, _ := object(t, object(t, tom.JSON(t), "contact"), "channel")["uuid"].(string)

		// A customer writes in and is answered: the contact made by the
		// inbound message has a conversation.
		if r := s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "+31612345679", "text": "Where is my order?"}`); r.Code != 200 {
			t.Fatalf("inbound: %s", r)
		}
		s.sendText(t, "+31612345679", "On its way!")
		writer := s.do(t, "GET", "/v1/contacts/phone/31612345679", s.Key, "")
		writerUUID, _ := object(t, writer.JSON(t), "contact")["uuid"].(string)
		if r := s.do(t, "POST", "/v1/contacts/"+writerUUID+"/conversation/note", s.Key, `{"text": "@Alex check the parcel"}`); r.Code != 200 {
			t.Fatalf("note: %s", r)
		}

		const unknown = "0123456789abcdef0123456789abcdef"
		for _, tc := range []struct {
			name, method, path, body string
			other                    bool // with the other account's key
			status                   int
		}{
			{name: "list", method: "GET", path: "/v1/contacts", status: 200},
			{name: "list_whatsapp_vip", method: "GET", path: "/v1/contacts?source=whatsapp&tags=vip,LEAD&include_field_types=true", status: 200},
			{name: "list_tag_lead", method: "GET", path: "/v1/contacts?tags=Lead", status: 200},
			{name: "list_team", method: "GET", path: "/v1/contacts?team_uuid=" + sales, status: 200},
			{name: "list_page_2", method: "GET", path: "/v1/contacts?page=2&items=2", status: 200},
			{name: "list_tag_unknown", method: "GET", path: "/v1/contacts?tags=Gold", status: 422},
			{name: "list_source_unknown", method: "GET", path: "/v1/contacts?source=sms", status: 422},
			{name: "list_other_account", method: "GET", path: "/v1/contacts", other: true, status: 200},
			{name: "get", method: "GET", path: "/v1/contacts/" + kim + "?include_field_types=true", status: 200},
			{name: "get_unknown", method: "GET", path: "/v1/contacts/" + unknown, status: 404},
			{name: "get_other_account", method: "GET", path: "/v1/contacts/" + kim, other: true, status: 404},
			{name: "phone", method: "GET", path: "/v1/contacts/phone/+31612345678", status: 200},
			{name: "phone_telegram", method: "GET", path: "/v1/contacts/phone/4242?channel_uuid=" + tg, status: 200},
			{name: "phone_invalid", method: "GET", path: "/v1/contacts/phone/12", status: 422},
			{name: "phone_unknown", method: "GET", path: "/v1/contacts/phone/31612340000", status: 404},
			{name: "phone_other_account", method: "GET", path: "/v1/contacts/phone/31612345678", other: true, status: 404},
			{name: "bsuid_unknown", method: "GET", path: "/v1/contacts/bsuid/US.1349", status: 404},

			{name: "create_exists_formatted", method: "POST", path: "/v1/contacts", body: `{"identifier": "31 612 345 678", "source": "whatsapp", "name": "Kim"}`, status: 422},
			{name: "create_without_name", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp"}`, status: 422},
			{name: "create_tag_unknown", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "tags": ["Gold"]}`, status: 422},
			{name: "create_field_unknown", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "custom_fields": {"Size": "L"}}`, status: 422},
			{name: "create_dropdown_invalid", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "custom_fields": {"Plan": "gold"}}`, status: 422},
			{name: "create_checkbox_invalid", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "custom_fields": {"Products": ["fax"]}}`, status: 422},
			{name: "create_number_invalid", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "custom_fields": {"Seats": "many"}}`, status: 422},
			{name: "create_date_invalid", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "custom_fields": {"Renewal": "2027-02-30"}}`, status: 422},
			{name: "create_email_invalid", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "custom_fields": {"Email": "kim@"}}`, status: 422},
			{name: "create_user_unknown", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "assigned_user": "x@example.com"}`, status: 422},
			{name: "create_note_too_long", method: "POST", path: "/v1/contacts", body: `{"identifier": "+31612345670", "source": "whatsapp", "name": "A", "note": "` + strings.Repeat("n", 1001) + `"}`, status: 422},
			{name: "create_broken", method: "POST", path: "/v1/contacts", body: `{"identifier":`, status: 400},

			{name: "update", method: "PATCH", path: "/v1/contacts/" + kim, body: `{"name": "Kim B", "tags": ["lead"], "custom_fields": {"Plan": "free", "Seats": null}, "unassign_user": true, "note": ""}`, status: 200},
			{name: "update_refused", method: "PATCH", path: "/v1/contacts/" + kim, body: `{"name": "Changed", "tags": [], "custom_fields": {"Renewal": "tomorrow"}}`, status: 422},
			{name: "update_after_refusal", method: "GET", path: "/v1/contacts/" + kim, status: 200},
			{name: "update_other_account", method: "PATCH", path: "/v1/contacts/" + kim, body: `{"name": "x"}`, other: true, status: 404},
			{name: "bot", method: "GET", path: "/v1/contacts/" + tomUUID + "/bot", status: 200},
			{name: "bot_start", method: "POST", path: "/v1/contacts/" + tomUUID + "/bot", body: `{"status": "bot_start"}`, status: 200},
			{name: "bot_invalid", method: "POST", path: "/v1/contacts/" + tomUUID + "/bot", body: `{"status": "on"}`, status: 422},
			{name: "open", method: "POST", path: "/v1/contacts/" + tomUUID + "/conversation/open", status: 200},
			{name: "close", method: "POST", path: "/v1/contacts/" + tomUUID + "/conversation/close", body: `{"closing_reason": "solved"}`, status: 200},
			{name: "funnel", method: "PUT", path: "/v1/contacts/" + tomUUID + "/conversation/update_funnel", body: `{"funnel_id": "` + lead + `"}`, status: 200},
			{name: "funnel_unknown", method: "PUT", path: "/v1/contacts/" + tomUUID + "/conversation/update_funnel", body: `{"funnel_id": "f0000000-0000-4000-8000-000000000009"}`, status: 422},
			{name: "note_blank", method: "POST", path: "/v1/contacts/" + tomUUID + "/conversation/note", body: `{"text": " "}`, status: 422},
			{name: "messages", method: "GET", path: "/v1/contacts/" + writerUUID + "/messages", status: 200},
			{name: "messages_page_2", method: "GET", path: "/v1/contacts/" + writerUUID + "/messages?page=2&items=2", status: 200},
			{name: "messages_other_account", method: "GET", path: "/v1/contacts/" + writerUUID + "/messages", other: true, status: 404},
			{name: "delete_other_account", method: "DELETE", path: "/v1/contacts/" + writerUUID, other: true, status: 404},
			{name: "delete", method: "DELETE", path: "/v1/contacts/" + writerUUID, status: 200},
			{name: "deleted", method: "GET", path: "/v1/contacts/" + writerUUID, status: 404},
			{name: "deleted_messages", method: "GET", path: "/v1/contacts/" + writerUUID + "/messages", status: 404},
			{name: "list_after_delete", method: "GET", path: "/v1/contacts", status: 200},
		} {
			key := s.Key
			if tc.other {
				key = other
			}
			r := s.do(t, tc.method, tc.path, key, tc.body)
			if r.Code != tc.status {
				t.Errorf("%s: %s %s answered %s, want %d", tc.name, tc.method, tc.path, r, tc.status)
				continue
			}
			if tc.other {
				for _, mine := range []string{kim, tomUUID, writerUUID, "31612345678"} {
					if bytes.Contains(r.Body, []byte(mine)) {
						t.Errorf("%s: another account's answer shows %s: %s", tc.name, mine, r)
					}
				}
			}
			checkContactGolden(t, tc.name, r)
		}
	})
}
