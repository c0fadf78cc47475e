package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon/provider/telegram/telegramtest"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// Addresses as client code written for Callbell uses them: the business
// number in a message's to/from, replies to the number a WhatsApp callback
// gave (however libphonenumber judges it), and senders that cannot be an
// address kept out of the contacts.

// history returns a contact's messages, newest first, by status
// (received, sent): the first of each.
func history(t *testing.T, s *server, contactUUID string) map[string]map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/v1/contacts/"+contactUUID+"/messages", s.Key, "")
	if r.Code != http.StatusOK {
		t.Fatalf("contact messages: want 200, got %s", r)
	}
	out := map[string]map[string]any{}
	for _, x := range r.JSON(t)["messages"].([]any) {
		m := x.(map[string]any)
		if st, _ := m["status"].(string); out[st] == nil {
			out[st] = m
		}
	}
	return out
}

// checkSides checks a message's from and to.
func checkSides(t *testing.T, what string, m map[string]any, from, to string) {
	t.Helper()
	if m == nil {
		t.Errorf("%s: no such message", what)
		return
	}
	if m["from"] != from || m["to"] != to {
		t.Errorf("%s: from %#v, to %#v; want from %q, to %q", what, m["from"], m["to"], from, to)
	}
}

// createdPayload waits for the message_created delivery of message uuid and
// returns its payload.
func createdPayload(t *testing.T, rc *receiver, uuid string) map[string]any {
	t.Helper()
	var found map[string]any
	waitUntil(t, 20*time.Second, func() bool {
		for _, h := range rc.firstAcks() {
			if h.Event == "message_created" && h.Payload["uuid"] == uuid {
				found = h.Payload
				return true
			}
		}
		return false
	}, func() string { return "no message_created for " + uuid })
	return found
}

// A WhatsApp channel learns its number when declared (from the Graph API's
// phone number object) and from Meta's callbacks; messages show it as
// their business side, in the API and in webhooks. Ids that WhatsApp
// itself reports (a Brazilian mobile from before the ninth digit, a
// Mexican 521… id) are answered as written; senders that cannot be an
// address are answered 200 and stored nowhere.
func TestWhatsAppAddresses(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		graph := whatsapptest.New(t)
		rc := newReceiver(t, nil)
		s := startServerOn(t, kind, "--webhook-allow-private")
		s.subscribe(t, rc.URL+"/hooks", `["message_created"]`)
		const phoneID, appSecret = "109876543211", "app-secret-addresses"
		uuid, callback := addWhatsAppChannel(t, s, graph, "wa-addresses", phoneID, appSecret, "verify")
		asked := false
		for _, req := range graph.Requests() {
			asked = asked || (req.Method == "GET" && strings.HasSuffix(req.Path, "/"+phoneID) && req.Query.Get("fields") == "display_phone_number")
		}
		if !asked {
			t.Errorf("channels add did not read the number: the Graph API got %d requests", len(graph.Requests()))
		}

		// Customers whose WhatsApp ids libphonenumber judges otherwise
		// write in: the webhook names the business number in to.
		const business = whatsapptest.DisplayPhoneNumber
		ids := map[string]string{"Brazil, before the ninth digit": "555198906538", "Mexico, 521": "5215512345678"}
		contacts := map[string]string{}
		for name, id := range ids {
			in := whatsapptest.Message{ID: graph.NextWAMID(), From: id, ProfileName: name, Text: "hola"}
			if code, body := answer(t)(whatsapptest.PostMessage(ctx, callback, appSecret, phoneID, in)); code != 200 {
				t.Fatalf("%s: inbound callback = %d %s", name, code, body)
			}
			r := s.do(t, "GET", "/v1/contacts/phone/"+id+"?channel_uuid="+uuid, s.Key, "")
			if r.Code != http.StatusOK {
				t.Fatalf("%s: GET /v1/contacts/phone/%s: want 200, got %s", name, id, r)
			}
			contact := object(t, r.JSON(t), "contact")
			if contact["phoneNumber"] != id {
				t.Errorf("%s: phoneNumber %v, want %s", name, contact["phoneNumber"], id)
			}
			contacts[name] = contact["uuid"].(string)
			received := history(t, s, contacts[name])["received"]
			checkSides(t, name+": the received message", received, id, business)
			hook := createdPayload(t, rc, received["uuid"].(string))
			if hook["to"] != business || hook["from"] != id {
				t.Errorf("%s: message_created of the received message: from %#v, to %#v", name, hook["from"], hook["to"])
			}

			// The reply goes to contact.phoneNumber as received.
			body := fmt.Sprintf(`{"to": %q, "from": "whatsapp", "channel_uuid": %q, "type": "text", "content": {"text": "hola!"}}`, id, uuid)
			sent := enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key, body))
			s.waitStatus(t, sent, "sent", 20*time.Second, nil)
			last := graph.Messages()[len(graph.Messages())-1]
			if last["to"] != id {
				t.Errorf("%s: the Graph API got to %v, want %s", name, last["to"], id)
			}
			checkSides(t, name+": the sent message", history(t, s, contacts[name])["sent"], business, id)
			hook = createdPayload(t, rc, sent)
			if hook["from"] != business || hook["to"] != id {
				t.Errorf("%s: message_created of the sent message: from %#v, to %#v", name, hook["from"], hook["to"])
			}
		}
		// Written with a +, the same contact.
		if r := s.do(t, "GET", "/v1/contacts/phone/+52%201%2055%201234%205678?channel_uuid="+uuid, s.Key, ""); r.Code != http.StatusOK ||
			object(t, r.JSON(t), "contact")["uuid"] != contacts["Mexico, 521"] {
			t.Errorf("the Mexican id written with + and spaces: %s", r)
		}
		// A 521 id WhatsApp never reported is not a possible number.
		if r := s.do(t, "GET", "/v1/contacts/phone/5215599999999?channel_uuid="+uuid, s.Key, ""); r.Code != http.StatusUnprocessableEntity {
			t.Errorf("an unreported 521 id: want 422, got %s", r)
		}

		// Senders that cannot be an address: answered 200 (Meta would
		// send them again forever), stored nowhere.
		before := len(s.do(t, "GET", "/v1/contacts?items=100", s.Key, "").JSON(t)["contacts"].([]any))
		for _, from := range []string{"1' OR '1'='1", strings.Repeat("7", 200), ""} {
			in := whatsapptest.Message{ID: graph.NextWAMID(), From: from, ProfileName: "Mallory", Text: "x"}
			if code, body := answer(t)(whatsapptest.PostMessage(ctx, callback, appSecret, phoneID, in)); code != 200 {
				t.Errorf("inbound from %.20q = %d %s, want 200", from, code, body)
			}
		}
		all := s.do(t, "GET", "/v1/contacts?items=100", s.Key, "").JSON(t)["contacts"].([]any)
		if len(all) != before {
			t.Errorf("contacts after garbage senders: %d, want %d: %v", len(all), before, all)
		}
		// The lines reach the test through a pipe, after the answers.
		waitUntil(t, 10*time.Second, func() bool { return strings.Count(s.currentStderr(), "inbound message not stored") >= 3 },
			func() string { return "3 log lines for the refused senders:\n" + tail(s.currentStderr(), 4096) })
		if log := s.currentStderr(); strings.Count(log, "inbound message not stored") != 3 {
			t.Errorf("want 3 log lines for the refused senders, got:\n%s", tail(log, 4096))
		}

		// A callback naming another display number (changed in Meta's
		// console): messages show it from then on.
		status := whatsapptest.StatusPayload(phoneID, "wamid.unknown", "555198906538", "delivered")
		status = []byte(strings.Replace(string(status), `"display_phone_number":"`+business+`"`, `"display_phone_number":"15550001111"`, 1))
		if code, body := answer(t)(whatsapptest.Post(ctx, callback, appSecret, status)); code != 200 {
			t.Fatalf("status callback = %d %s", code, body)
		}
		checkSides(t, "after the number changed", history(t, s, contacts["Brazil, before the ninth digit"])["sent"], "15550001111", "555198906538")
	})
}

// A sandbox channel's business number is its number setting, or the
// documented default; a Telegram channel's is the bot's username, read with
// getMe when it is declared.
func TestSandboxAndTelegramAddresses(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		bot := telegramtest.New(telegramtest.DefaultToken, "222222:AAOtherBotTokenForTests")
		t.Cleanup(bot.Close)
		s := startServerOn(t, kind)

		// The default sandbox channel: 15550000000.
		if r := s.do(t, "POST", "/v1/sandbox/inbound", s.Key, `{"from": "+31 6 1234 5611", "text": "hi"}`); r.Code != http.StatusOK {
			t.Fatalf("sandbox inbound: %s", r)
		}
		sent := s.sendText(t, "+31612345611", "hello")
		s.waitStatus(t, sent, "read", 20*time.Second, nil)
		c := object(t, s.do(t, "GET", "/v1/contacts/phone/31612345611", s.Key, "").JSON(t), "contact")
		h := history(t, s, c["uuid"].(string))
		checkSides(t, "default sandbox, received", h["received"], "31612345611", "15550000000")
		checkSides(t, "default sandbox, sent", h["sent"], "15550000000", "31612345611")

		// A sandbox channel with its own number, written as people do.
		res := s.admin(t, []string{"channels", "add"}, "--title", "sandbox-2", "--type", "whatsapp", "--provider", "sandbox",
			"--setting", "number=+44 20 7946 0000")
		lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
		sb := lines[len(lines)-1] // a sandbox channel has no callback URL
		if res.Code != 0 || !isUUID(sb) {
			t.Fatalf("channels add of a sandbox channel: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
		body := `{"from": "+31612345612", "text": "hi", "channel_uuid": "` + sb + `"}`
		if r := s.do(t, "POST", "/v1/sandbox/inbound", s.Key, body); r.Code != http.StatusOK {
			t.Fatalf("sandbox inbound on sandbox-2: %s", r)
		}
		c = object(t, s.do(t, "GET", "/v1/contacts/phone/31612345612?channel_uuid="+sb, s.Key, "").JSON(t), "contact")
		checkSides(t, "sandbox-2, received", history(t, s, c["uuid"].(string))["received"], "31612345612", "442079460000")
		bad := s.admin(t, []string{"channels", "add"}, "--title", "sandbox-3", "--type", "whatsapp", "--provider", "sandbox",
			"--setting", "number=12", "--public-url", s.URL)
		if bad.Code != 1 || !strings.Contains(bad.Stderr, "number must be a phone number") {
			t.Errorf("a sandbox number that is none: exit %d\n%s", bad.Code, bad.Stderr)
		}

		// Telegram: the bot's username.
		tg, callback := addChannel(t, s, "--title", "tg-addresses", "--type", "telegram", "--provider", "telegram",
			"--setting", "bot_token="+telegramtest.DefaultToken, "--setting", "base_url="+bot.URL())
		_, secret := bot.Webhook()
		if code, body := answer(t)(bot.PostUpdate(ctx, callback, secret, bot.TextUpdate(4343, "Tom", "hello bot"))); code != 200 {
			t.Fatalf("update = %d %s", code, body)
		}
		r := s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "4343", "from": "telegram", "channel_uuid": "`+tg+`", "type": "text", "content": {"text": "hi Tom"}}`)
		s.waitStatus(t, enqueuedUUID(t, r), "sent", 20*time.Second, nil)
		c = object(t, s.do(t, "GET", "/v1/contacts/phone/4343?channel_uuid="+tg, s.Key, "").JSON(t), "contact")
		h = history(t, s, c["uuid"].(string))
		checkSides(t, "telegram, received", h["received"], "4343", "carillon_test_bot")
		checkSides(t, "telegram, sent", h["sent"], "carillon_test_bot", "4343")

		// A bot whose getMe fails when it is declared: the channel is
		// saved all the same, shows "" meanwhile, and learns its username
		// when the server starts again.
		const lateToken = "222222:AAOtherBotTokenForTests"
		bot.Script("getMe", telegramtest.Error(500, "Internal Server Error"))
		res = s.admin(t, []string{"channels", "add"}, "--title", "tg-late", "--type", "telegram", "--provider", "telegram",
			"--setting", "bot_token="+lateToken, "--setting", "base_url="+bot.URL(), "--public-url", s.URL)
		lines = strings.Split(strings.TrimSpace(res.Stdout), "\n")
		if res.Code != 0 || len(lines) < 2 || !strings.Contains(res.Stderr, "warning: channel tg-late is saved, but its own address could not be read") {
			t.Fatalf("channels add with getMe failing: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
		}
		late, lateCallback := lines[len(lines)-2], lines[len(lines)-1]
		_, lateSecret, _ := bot.WebhookOf(lateToken)
		if code, body := answer(t)(bot.PostUpdate(ctx, lateCallback, lateSecret, bot.TextUpdate(4444, "Ann", "hi"))); code != 200 {
			t.Fatalf("update = %d %s", code, body)
		}
		c = object(t, s.do(t, "GET", "/v1/contacts/phone/4444?channel_uuid="+late, s.Key, "").JSON(t), "contact")
		checkSides(t, "telegram before the username is known", history(t, s, c["uuid"].(string))["received"], "4444", "")
		if err := s.stop(); err != nil {
			t.Fatal(err)
		}
		s.restart()
		waitUntil(t, 20*time.Second, func() bool {
			return history(t, s, c["uuid"].(string))["received"]["to"] == "carillon_test_bot"
		}, func() string { return fmt.Sprint(history(t, s, c["uuid"].(string))["received"]) })
	})
}
