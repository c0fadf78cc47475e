package e2e

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// Code written for Callbell, run against carillon with only the base URL
// and the key changed, on a WhatsApp channel against a local fake of the
// Graph API, on each store: an authentication template synced from Meta
// is sent the way Callbell's users send it (the code for the body and again
// for its button), and the Graph request carries both components; a
// template with a dynamic URL button likewise; a failed status reported by
// Meta shows its reason at messageStatusPayload.payload.reason, in the
// status answer and in the message_status_updated webhook.
func TestTemplateButtonsAndFailuresOnWhatsApp(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		graph := whatsapptest.New(t)
		rc := newReceiver(t, nil)
		s := startServerOn(t, kind, "--webhook-allow-private")
		s.subscribe(t, rc.URL+"/hooks", `["message_status_updated"]`)
		const phoneID, appSecret = "109876543210", "app-secret-e2e"
		channel, callback := addWhatsAppChannel(t, s, graph, "wa-line", phoneID, appSecret, "verify-me", "business_account_id=555")

		graph.SetTemplates("555", whatsapptest.AuthenticationTemplate("tpl-auth", "verify_code", "en_US"),
			whatsapptest.URLButtonTemplate("tpl-url", "order_tracking", "en_US"))
		if sync := s.admin(t, []string{"templates", "sync"}, "--channel", channel); sync.Code != 0 ||
			!strings.Contains(sync.Stdout, "created template verify_code (en_US) on wa-line: approved") ||
			!strings.Contains(sync.Stdout, "created template order_tracking (en_US) on wa-line: approved") {
			t.Fatalf("templates sync: exit %d\n%s%s", sync.Code, sync.Stdout, sync.Stderr)
		}
		templates := map[string]map[string]any{}
		for _, x := range s.do(t, "GET", "/v1/templates", s.Key, "").JSON(t)["templates"].([]any) {
			tpl := x.(map[string]any)
			templates[tpl["title"].(string)] = tpl
		}
		if got := compact(templates["verify_code"]["buttons"]); got != `[{"otpType":"copy_code","takesValue":true,"text":"Copy code","type":"otp"}]` {
			t.Errorf("the authentication template's buttons = %s", got)
		}
		send := func(template, values string) response {
			return s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "+31612345678", "from": "whatsapp", "channel_uuid": "`+channel+`",
				"type": "text", "template_uuid": "`+templates[template]["uuid"].(string)+`", "optin_contact": true, "template_values": `+values+`}`)
		}
		lastComponents := func() string {
			msgs := graph.Messages()
			return compact(object(t, msgs[len(msgs)-1], "template")["components"])
		}

		// The one-time code, in the body and for the copy code button.
		code := enqueuedUUID(t, send("verify_code", `["4821", "4821"]`))
		sent := s.waitStatus(t, code, "sent", 20*time.Second, nil)
		if got, want := lastComponents(), `[{"parameters":[{"text":"4821","type":"text"}],"type":"body"},`+
			`{"index":"0","parameters":[{"text":"4821","type":"text"}],"sub_type":"url","type":"button"}]`; got != want {
			t.Errorf("the authentication template's components =\n%s\nwant\n%s", got, want)
		}
		// Without the button's value: refused, naming what is missing.
		r := send("verify_code", `["4821"]`)
		if e := object(t, r.JSON(t), "error"); r.Code != http.StatusUnprocessableEntity || e["field"] != "template_values" ||
			e["message"] != `template "verify_code" needs 2 values: 1 for the body, 1 for button 1 (copy code): template_values must hold 2, not 1` {
			t.Errorf("an authentication code without its button's value: %s", r)
		}
		// A dynamic URL button takes the value after the body's; the quick
		// reply takes none.
		enqueuedUUID(t, send("order_tracking", `["Ana", "A-1042", "A-1042"]`))
		waitUntil(t, 20*time.Second, func() bool { return len(graph.Messages()) == 2 }, func() string {
			return "the Graph API did not get the second template message"
		})
		if got, want := lastComponents(), `[{"parameters":[{"text":"Ana","type":"text"},{"text":"A-1042","type":"text"}],"type":"body"},`+
			`{"index":"0","parameters":[{"text":"A-1042","type":"text"}],"sub_type":"url","type":"button"}]`; got != want {
			t.Errorf("the URL button template's components =\n%s\nwant\n%s", got, want)
		}

		// Meta reports the authentication message failed.
		wamid, _ := sent["messageStatusPayload"].(map[string]any)["id"].(string)
		if code, body := answer(t)(whatsapptest.PostStatus(ctx, callback, appSecret, phoneID, wamid, "31612345678", "failed")); code != 200 {
			t.Fatalf("failed status callback = %d %s", code, body)
		}
		failed := s.waitStatus(t, code, "failed", 20*time.Second, nil)
		p := object(t, failed, "messageStatusPayload")
		inner := object(t, p, "payload")
		if p["id"] != wamid || p["type"] != "failed" || p["destination"] != "31612345678" ||
			inner["reason"] != "Message undeliverable" || inner["code"] != json.Number("131026") || inner["errors"] == nil {
			t.Errorf("the failed message's messageStatusPayload = %s", compact(p))
		}
		var hook map[string]any
		waitUntil(t, 20*time.Second, func() bool {
			for _, h := range rc.firstAcks() {
				if h.Payload["uuid"] == code && h.Payload["status"] == "failed" {
					hook, _ = h.Payload["messageStatusPayload"].(map[string]any)
					return true
				}
			}
			return false
		}, func() string { return "no message_status_updated failed arrived" })
		if inner, _ := hook["payload"].(map[string]any); hook["gsId"] != code || hook["id"] != wamid || hook["type"] != "failed" ||
			inner["reason"] != "Message undeliverable" || inner["code"] != json.Number("131026") {
			t.Errorf("the webhook's messageStatusPayload = %s", compact(hook))
		}
	})
}
