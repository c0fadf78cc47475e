package e2e

import (
	"bytes"
	"context"
	"net/http"
	"testing"

	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// NUL characters and bytes that are not UTF-8, wherever a request can carry
// them, on both stores: an identifier in the path is a 404, text in a query
// or a body a 422 naming the parameter, an Idempotency-Key a 422 naming the
// header; nothing is written and the server logs no error. What WhatsApp
// delivers is cleaned and stored, never refused.
func TestBadBytes(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		contact := object(t, s.do(t, "POST", "/v1/contacts", s.Key, `{"source": "whatsapp", "identifier": "+31612345678", "name": "Kim"}`).JSON(t), "contact")
		contactUUID := contact["uuid"].(string)
		statusID := object(t, s.do(t, "POST", "/v1/custom_statuses", s.Key, `{"name": "Lunch"}`).JSON(t), "customStatus")["id"].(string)

		tests := []struct {
			name, method, path, body string
			key                      string // "" sends the server's key
			header                   []string
			status                   int
			field                    string
		}{
			// Provider callbacks take no key: still never a 500.
			{name: "callback channel with NUL", method: "POST", path: "/callbacks/whatsapp/a%00b", body: `{}`, key: "-", status: 404},
			{name: "callback channel not UTF-8", method: "POST", path: "/callbacks/whatsapp/%ff", body: `{}`, key: "-", status: 404},
			{name: "callback provider not UTF-8", method: "GET", path: "/callbacks/%ff/abc", key: "-", status: 404},
			{name: "media key with NUL", method: "GET", path: "/media/a%00b", key: "-", status: 404},
			// The key is checked first.
			{name: "no key", method: "GET", path: "/v1/contacts/%ff", key: "-", status: 401},
			// Identifiers in the path.
			{name: "contact uuid not UTF-8", method: "GET", path: "/v1/contacts/%ff", status: 404},
			{name: "contact uuid with NUL", method: "PATCH", path: "/v1/contacts/a%00b", body: `{"name": "x"}`, status: 404},
			{name: "contact messages", method: "GET", path: "/v1/contacts/%ff/messages", status: 404},
			{name: "phone number with NUL", method: "GET", path: "/v1/contacts/phone/316%00", status: 404},
			{name: "bsuid not UTF-8", method: "GET", path: "/v1/contacts/bsuid/%ff", status: 404},
			{name: "conversation close", method: "POST", path: "/v1/contacts/%ff/conversation/close", status: 404},
			{name: "message status", method: "GET", path: "/v1/messages/status/%ff", status: 404},
			{name: "message delete", method: "DELETE", path: "/v1/messages/%00", status: 404},
			{name: "channel", method: "PATCH", path: "/v1/channels/%ff", body: `{"title": "x"}`, status: 404},
			{name: "team members", method: "GET", path: "/v1/teams/%ff/members", status: 404},
			{name: "template", method: "GET", path: "/v1/templates/%c3", status: 404},
			{name: "custom status", method: "PUT", path: "/v1/custom_statuses/%ff", body: `{"name": "x"}`, status: 404},
			{name: "user status", method: "PUT", path: "/v1/users/%00/status", body: `{"available": true}`, status: 404},
			{name: "webhook event", method: "POST", path: "/v1/webhooks/events/%ff/redeliver", status: 404},
			{name: "control character", method: "GET", path: "/v1/contacts/a%0Ab", status: 404},
			// Query parameters.
			{name: "channel_uuid not UTF-8", method: "GET", path: "/v1/contacts/phone/31612345678?channel_uuid=%ff", status: 422, field: "channel_uuid"},
			{name: "tags filter with NUL", method: "GET", path: "/v1/contacts?tags=a%00", status: 422, field: "tags"},
			{name: "team filter not UTF-8", method: "GET", path: "/v1/contacts?team_uuid=%ff", status: 422, field: "team_uuid"},
			// Text in bodies.
			{name: "contact name with NUL", method: "POST", path: "/v1/contacts", body: `{"source": "whatsapp", "identifier": "+31612345670", "name": "a\u0000b"}`, status: 422, field: "name"},
			{name: "contact name not UTF-8", method: "POST", path: "/v1/contacts", body: "{\"source\": \"whatsapp\", \"identifier\": \"+31612345670\", \"name\": \"caf\xe9\"}", status: 422, field: "name"},
			{name: "note with NUL", method: "PATCH", path: "/v1/contacts/" + contactUUID, body: `{"note": "\u0000"}`, status: 422, field: "note"},
			{name: "custom field value", method: "PATCH", path: "/v1/contacts/" + contactUUID, body: `{"custom_fields": {"Plan": "p\u0000"}}`, status: 422, field: "custom_fields.Plan"},
			{name: "closing reason", method: "POST", path: "/v1/contacts/" + contactUUID + "/conversation/close", body: `{"closing_reason": "done\u0000"}`, status: 422, field: "closing_reason"},
			{name: "conversation note", method: "POST", path: "/v1/contacts/" + contactUUID + "/conversation/note", body: "{\"text\": \"\xff\"}", status: 422, field: "text"},
			{name: "custom status name", method: "POST", path: "/v1/custom_statuses", body: `{"name": "a\u0000"}`, status: 422, field: "name"},
			{name: "custom status rename", method: "PUT", path: "/v1/custom_statuses/" + statusID, body: "{\"emoji\": \"\xf0\x9f\"}", status: 422, field: "emoji"},
			{name: "send text", method: "POST", path: "/v1/messages/send", body: `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": "hi\u0000"}}`, status: 422, field: "content.text"},
			{name: "send channel_uuid", method: "POST", path: "/v1/messages/send", body: `{"to": "+31612345678", "from": "whatsapp", "channel_uuid": "\u0000", "type": "text", "content": {"text": "hi"}}`, status: 422, field: "channel_uuid"},
			{name: "sandbox inbound", method: "POST", path: "/v1/sandbox/inbound", body: `{"from": "+31612345678", "text": "\u0000"}`, status: 422, field: "text"},
			// Headers.
			{name: "Idempotency-Key not UTF-8", method: "POST", path: "/v1/messages/send", body: `{"to": "+31612345678", "from": "whatsapp", "type": "text", "content": {"text": "hi"}}`,
				header: []string{"Idempotency-Key", "key-\xff"}, status: 422, field: "Idempotency-Key"},
		}
		for _, tt := range tests {
			key := tt.key
			switch key {
			case "":
				key = s.Key
			case "-":
				key = ""
			}
			r := s.do(t, tt.method, tt.path, key, tt.body, tt.header...)
			if r.Code != tt.status {
				t.Errorf("%s: %s %q = %s, want %d", tt.name, tt.method, tt.path, r, tt.status)
				continue
			}
			e := object(t, r.JSON(t), "error")
			if f, _ := e["field"].(string); f != tt.field {
				t.Errorf("%s: field %q, want %q (%s)", tt.name, f, tt.field, r)
			}
		}

		// Nothing was written: one contact, with its name and no note.
		list := s.do(t, "GET", "/v1/contacts", s.Key, "").JSON(t)["contacts"].([]any)
		if len(list) != 1 || list[0].(map[string]any)["name"] != "Kim" || list[0].(map[string]any)["note"] != nil {
			t.Errorf("contacts after the refused requests: %v", list)
		}
		if errs := s.errorLogs(); len(errs) > 0 {
			t.Errorf("the server logged errors:\n%v", errs)
		}
	})
}

// A correctly signed WhatsApp message whose profile name and text hold a
// NUL, and bytes that are not UTF-8, is stored cleaned and answered 200:
// Meta would otherwise retry it forever.
func TestWhatsAppCallbackWithBadBytes(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		graph := whatsapptest.New(t)
		s := startServerOn(t, kind)
		const phoneID, appSecret = "109876543210", "app-secret-e2e"
		uuid, callback := addWhatsAppChannel(t, s, graph, "wa-line", phoneID, appSecret, "v")

		in := whatsapptest.Message{ID: "wamid.nul-1", From: "31612345678", ProfileName: "Ana\x00 Lima", Text: "Where\x00 is BAD my order?"}
		body := bytes.Replace(whatsapptest.MessagePayload(phoneID, in), []byte("BAD"), []byte("\xff"), 1)
		for range 2 {
			if code, b := answer(t)(whatsapptest.Post(ctx, callback, appSecret, body)); code != http.StatusOK {
				t.Fatalf("callback = %d %s", code, b)
			}
		}
		c := object(t, s.do(t, "GET", "/v1/contacts/phone/31612345678?channel_uuid="+uuid, s.Key, "").JSON(t), "contact")
		if c["name"] != "Ana Lima" {
			t.Errorf("contact name = %q, want %q", c["name"], "Ana Lima")
		}
		msgs := s.do(t, "GET", "/v1/contacts/"+c["uuid"].(string)+"/messages", s.Key, "").JSON(t)["messages"].([]any)
		if len(msgs) != 1 || msgs[0].(map[string]any)["text"] != "Where is \uFFFD my order?" {
			t.Errorf("messages = %v", msgs)
		}
		if errs := s.errorLogs(); len(errs) > 0 {
			t.Errorf("the server logged errors:\n%v", errs)
		}
	})
}
