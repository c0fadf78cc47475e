package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon/provider/telegram/telegramtest"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

// addChannel runs carillon channels add and returns the channel's uuid and
// callback URL.
func addChannel(t *testing.T, s *server, args ...string) (uuid, callback string) {
	t.Helper()
	res := s.admin(t, []string{"channels", "add"}, append(args, "--public-url", s.URL)...)
	if res.Code != 0 {
		t.Fatalf("channels add: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	if len(lines) < 2 {
		t.Fatalf("channels add printed %q", res.Stdout)
	}
	uuid, callback = lines[len(lines)-2], lines[len(lines)-1]
	if !isUUID(uuid) || callback != s.URL+"/callbacks/"+args[5]+"/"+uuid {
		t.Fatalf("channels add printed uuid %q and callback %q", uuid, callback)
	}
	return uuid, callback
}

// addWhatsAppChannel declares a WhatsApp Cloud API channel titled title
// that calls the fake Graph API graph, with its phone number id, app secret
// and verify token; extra are more settings, KEY=VALUE.
func addWhatsAppChannel(t *testing.T, s *server, graph *whatsapptest.Server, title, phoneID, appSecret, verifyToken string, extra ...string) (uuid, callback string) {
	t.Helper()
	args := []string{"--title", title, "--type", "whatsapp", "--provider", "whatsapp",
		"--setting", "phone_number_id=" + phoneID, "--setting", "access_token=" + graph.AccessToken(),
		"--setting", "app_secret=" + appSecret, "--setting", "verify_token=" + verifyToken,
		"--setting", "base_url=" + graph.URL}
	for _, setting := range extra {
		args = append(args, "--setting", setting)
	}
	return addChannel(t, s, args...)
}

// answer reads a response made by a fake provider's call to carillon.
func answer(t *testing.T) func(*http.Response, error) (int, string) {
	return func(resp *http.Response, err error) (int, string) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// A WhatsApp channel against a local fake of the Graph API: the send goes
// out as Meta documents it, the fake's signed callbacks move it to read,
// and an inbound message is stored once however often Meta repeats it.
func TestWhatsAppChannelAgainstAFakeGraphAPI(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		graph := whatsapptest.New(t)
		s := startServerOn(t, kind)
		const phoneID, appSecret, verifyToken = "109876543210", "app-secret-e2e", "verify-me"
		uuid, callback := addWhatsAppChannel(t, s, graph, "wa-line", phoneID, appSecret, verifyToken, "business_account_id=555")

		// Meta's verification handshake.
		code, body := answer(t)(whatsapptest.Verify(ctx, callback, verifyToken, "challenge-42"))
		if code != 200 || body != "challenge-42" {
			t.Errorf("handshake = %d %q", code, body)
		}
		if code, _ := answer(t)(whatsapptest.Verify(ctx, callback, "wrong", "x")); code != 403 {
			t.Errorf("handshake with a wrong token = %d, want 403", code)
		}

		// The customer writes first (WhatsApp allows free-form messages only
		// within 24 hours of that), twice: one contact, one message.
		in := whatsapptest.Message{ID: "wamid.inbound-1", From: "31612345678", ProfileName: "Ana", Text: "Where is my order?"}
		for range 2 {
			if code, body := answer(t)(whatsapptest.PostMessage(ctx, callback, appSecret, phoneID, in)); code != 200 {
				t.Fatalf("inbound callback = %d %s", code, body)
			}
		}
		contact := object(t, s.do(t, "GET", "/v1/contacts/phone/31612345678?channel_uuid="+uuid, s.Key, "").JSON(t), "contact")
		if contact["name"] != "Ana" || contact["source"] != "whatsapp" {
			t.Errorf("contact from the inbound message = %v", contact)
		}
		msgs := s.do(t, "GET", "/v1/contacts/"+contact["uuid"].(string)+"/messages", s.Key, "").JSON(t)["messages"].([]any)
		if len(msgs) != 1 || msgs[0].(map[string]any)["text"] != "Where is my order?" || msgs[0].(map[string]any)["status"] != "received" {
			t.Errorf("history after the same inbound message twice = %v", msgs)
		}
		// Send: Meta answers a wamid, then reports delivered and read.
		r := s.do(t, "POST", "/v1/messages/send", s.Key,
			`{"to": "+31612345678", "from": "whatsapp", "channel_uuid": "`+uuid+`", "type": "text", "content": {"text": "Your order shipped"}}`)
		msg := enqueuedUUID(t, r)
		s.waitStatus(t, msg, "sent", 20*time.Second, nil)
		sent := graph.Messages()
		if len(sent) != 1 || sent[0]["to"] != "31612345678" || object(t, sent[0], "text")["body"] != "Your order shipped" {
			t.Fatalf("the Graph API got %v", sent)
		}
		var wamid string
		for _, req := range graph.Requests() {
			if strings.HasSuffix(req.Path, "/"+phoneID+"/messages") && req.Header.Get("Authorization") == "Bearer "+graph.AccessToken() {
				wamid = "found"
			}
		}
		if wamid == "" {
			t.Fatal("no authenticated POST to /{phone-number-id}/messages")
		}
		history := s.do(t, "GET", "/v1/messages/status/"+msg, s.Key, "").JSON(t)
		// Callbell's shape: the provider's id of the message at id, Meta's
		// answer inside payload.
		sentPayload := object(t, object(t, history, "message"), "messageStatusPayload")
		wamid, _ = sentPayload["id"].(string)
		if sentPayload["type"] != "sent" || sentPayload["destination"] != "31612345678" ||
			compact(object(t, sentPayload, "payload")["messages"]) != `[{"id":"`+wamid+`"}]` {
			t.Fatalf("messageStatusPayload once sent = %s", compact(sentPayload))
		}
		for _, st := range []string{"sent", "delivered", "read", "delivered"} {
			if code, body := answer(t)(whatsapptest.PostStatus(ctx, callback, appSecret, phoneID, wamid, "31612345678", st)); code != 200 {
				t.Fatalf("status callback %s = %d %s", st, code, body)
			}
		}
		s.waitStatus(t, msg, "read", 20*time.Second, nil)

		// A body over 1 MiB is refused before anything is read of it.
		big := []byte(`{"object":"whatsapp_business_account","pad":"` + strings.Repeat("x", 1<<20) + `"}`)
		if code, _ := answer(t)(whatsapptest.Post(ctx, callback, appSecret, big)); code != 413 {
			t.Errorf("oversized callback = %d, want 413", code)
		}
		// A callback signed with another secret is refused, and changes nothing.
		if code, _ := answer(t)(whatsapptest.PostStatus(ctx, callback, "not-the-secret", phoneID, wamid, "31612345678", "failed")); code != 403 {
			t.Errorf("badly signed callback = %d, want 403", code)
		}
		if got := object(t, s.do(t, "GET", "/v1/messages/status/"+msg, s.Key, "").JSON(t), "message")["status"]; got != "read" {
			t.Errorf("status after a refused callback = %v", got)
		}

		// An image: fetched through its media id and kept, served at a
		// stable URL of carillon's.
		photo := []byte("\xff\xd8\xff\xe0 a tiny jpeg")
		graph.AddMedia("media-777", "image/jpeg", photo)
		image := `{"object":"whatsapp_business_account","entry":[{"id":"555","changes":[{"field":"messages","value":{
			"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550001111","phone_number_id":"` + phoneID + `"},
			"contacts":[{"profile":{"name":"Ana"},"wa_id":"31612345678"}],
			"messages":[{"from":"31612345678","id":"wamid.image-1","timestamp":"1767225600","type":"image",
				"image":{"id":"media-777","mime_type":"image/jpeg","sha256":"x","caption":"the box"}}]}}]}]}`
		if code, body := answer(t)(whatsapptest.Post(ctx, callback, appSecret, []byte(image))); code != 200 {
			t.Fatalf("image callback = %d %s", code, body)
		}
		latest := s.do(t, "GET", "/v1/contacts/"+contact["uuid"].(string)+"/messages", s.Key, "").JSON(t)["messages"].([]any)[0].(map[string]any)
		attachments, _ := latest["attachments"].([]any)
		if latest["text"] != "the box" || len(attachments) != 1 || !strings.HasPrefix(attachments[0].(string), s.URL+"/media/") {
			t.Fatalf("image message = %v", latest)
		}
		resp, err := s.HTTP.Get(attachments[0].(string))
		if code, body := answer(t)(resp, err); code != 200 || body != string(photo) || resp.Header.Get("Content-Type") != "image/jpeg" {
			t.Errorf("GET the attachment = %d %q (%s)", code, body, resp.Header.Get("Content-Type"))
		}

		// Templates: synced from the WhatsApp Business Management API,
		// then sent with their parameters.
		graph.SetTemplates("555", whatsapptest.Template{ID: "tpl-1", Name: "order_shipped", Status: "APPROVED", Category: "UTILITY", Language: "en_US",
			Components: []whatsapptest.Component{{Type: "BODY", Text: "Hello {{1}}, order {{2}} has shipped"}}})
		sync := s.admin(t, []string{"templates", "sync"}, "--channel", uuid)
		if sync.Code != 0 || !strings.Contains(sync.Stdout, "created template order_shipped (en_US) on wa-line: approved") {
			t.Fatalf("templates sync: exit %d\n%s%s", sync.Code, sync.Stdout, sync.Stderr)
		}
		if again := s.admin(t, []string{"templates", "sync"}); again.Code != 0 || strings.TrimSpace(again.Stdout) != "" {
			t.Errorf("second sync: exit %d, %q", again.Code, again.Stdout)
		}
		var tplUUID string
		for _, x := range s.do(t, "GET", "/v1/templates", s.Key, "").JSON(t)["templates"].([]any) {
			if tpl := x.(map[string]any); tpl["title"] == "order_shipped" {
				tplUUID = tpl["uuid"].(string)
			}
		}
		r = s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "+31612345678", "from": "whatsapp", "channel_uuid": "`+uuid+`", "type": "text",
			"template_uuid": "`+tplUUID+`", "optin_contact": true, "template_values": ["Ana", "A-1042"]}`)
		s.waitStatus(t, enqueuedUUID(t, r), "sent", 20*time.Second, nil)
		last := graph.Messages()[len(graph.Messages())-1]
		tpl := object(t, last, "template")
		if last["type"] != "template" || tpl["name"] != "order_shipped" || compact(tpl["components"]) != `[{"parameters":[{"text":"Ana","type":"text"},{"text":"A-1042","type":"text"}],"type":"body"}]` {
			t.Errorf("template send = %s", compact(last))
		}

		// Unknown channel, and a channel of another provider.
		if r := s.do(t, "POST", "/callbacks/telegram/"+uuid, "", `{}`); r.Code != 404 {
			t.Errorf("callback on the wrong provider = %s", r)
		}
		if r := s.do(t, "POST", "/callbacks/whatsapp/0123456789abcdef0123456789abcdef", "", `{}`); r.Code != 404 {
			t.Errorf("callback of an unknown channel = %s", r)
		}

		// Throttling: the fake refuses with 130429, carillon retries.
		graph.Script("/messages", whatsapptest.Throttled())
		r = s.do(t, "POST", "/v1/messages/send", s.Key,
			`{"to": "+31612345678", "from": "whatsapp", "channel_uuid": "`+uuid+`", "type": "text", "content": {"text": "again"}}`)
		s.waitStatus(t, enqueuedUUID(t, r), "sent", 30*time.Second, nil)
		waitUntil(t, 20*time.Second, func() bool { return len(graph.Messages()) >= 3 }, func() string {
			return fmt.Sprintf("the retried send: the Graph API got %d messages", len(graph.Messages()))
		})
	})
}

// A Telegram channel against a local fake of the Bot API: channels add
// registers the callback with setWebhook and its secret, updates with that
// secret are stored once, and sends become sent.
func TestTelegramChannelAgainstAFakeBotAPI(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		ctx := context.Background()
		bot := telegramtest.New()
		t.Cleanup(bot.Close)
		s := startServerOn(t, kind)
		uuid, callback := addChannel(t, s, "--title", "tg-bot", "--type", "telegram", "--provider", "telegram",
			"--setting", "bot_token="+telegramtest.DefaultToken, "--setting", "base_url="+bot.URL())
		bad := s.admin(t, []string{"channels", "add"}, "--title", "bad-bot", "--type", "telegram", "--provider", "telegram",
			"--setting", "bot_token=not-a-token", "--public-url", s.URL)
		if bad.Code != 1 || !strings.Contains(bad.Stderr, "bot_token") || strings.Contains(bad.Stderr, "not-a-token") {
			t.Errorf("channels add with a malformed bot token: exit %d\n%s", bad.Code, bad.Stderr)
		}
		url, secret := bot.Webhook()
		if url != callback || len(secret) < 16 {
			t.Fatalf("setWebhook got url %q, secret of %d characters; want %q", url, len(secret), callback)
		}
		list := s.admin(t, []string{"channels", "list"}, "--public-url", s.URL)
		if !strings.Contains(list.Stdout, callback) || strings.Contains(list.Stdout, secret) || strings.Contains(list.Stdout, telegramtest.DefaultToken) {
			t.Errorf("channels list:\n%s", list.Stdout)
		}

		update := bot.TextUpdate(4242, "Tom", "hello bot")
		for range 2 {
			if code, body := answer(t)(bot.PostUpdate(ctx, callback, secret, update)); code != 200 {
				t.Fatalf("update = %d %s", code, body)
			}
		}
		if code, _ := answer(t)(bot.PostUpdate(ctx, callback, "wrong-secret", bot.TextUpdate(4242, "Tom", "x"))); code != 403 {
			t.Errorf("update with a wrong secret = %d, want 403", code)
		}
		contact := object(t, s.do(t, "GET", "/v1/contacts/phone/4242?channel_uuid="+uuid, s.Key, "").JSON(t), "contact")
		if contact["name"] != "Tom" || contact["source"] != "telegram" {
			t.Errorf("contact = %v", contact)
		}
		msgs := s.do(t, "GET", "/v1/contacts/"+contact["uuid"].(string)+"/messages", s.Key, "").JSON(t)["messages"].([]any)
		if len(msgs) != 1 {
			t.Errorf("history after the same update twice = %v", msgs)
		}

		r := s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "4242", "from": "telegram", "channel_uuid": "`+uuid+`", "type": "text", "content": {"text": "hi Tom"}}`)
		sent := s.waitStatus(t, enqueuedUUID(t, r), "sent", 20*time.Second, nil)
		calls := bot.CallsTo("sendMessage")
		if len(calls) != 1 || calls[0].Param("chat_id") != "4242" || calls[0].Param("text") != "hi Tom" {
			t.Errorf("sendMessage calls = %+v", calls)
		}
		// messageStatusPayload in Callbell's shape on Telegram too: the
		// message's id on Telegram, the Bot API's answer inside payload.
		p := object(t, sent, "messageStatusPayload")
		if id, _ := p["id"].(string); !strings.HasPrefix(id, "4242:") || p["type"] != "sent" || p["destination"] != "4242" ||
			object(t, p, "payload")["result"] == nil {
			t.Errorf("messageStatusPayload once sent = %s", compact(p))
		}
		// The user blocked the bot: the message fails, Telegram's reason at
		// payload.reason.
		bot.Script("sendMessage", telegramtest.Error(403, "Forbidden: bot was blocked by the user"))
		r = s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "4242", "from": "telegram", "channel_uuid": "`+uuid+`", "type": "text", "content": {"text": "still there?"}}`)
		failed := s.waitStatus(t, enqueuedUUID(t, r), "failed", 20*time.Second, nil)
		p = object(t, failed, "messageStatusPayload")
		if inner := object(t, p, "payload"); p["type"] != "failed" || p["destination"] != "4242" ||
			inner["reason"] != "Forbidden: bot was blocked by the user" || inner["code"] != json.Number("403") {
			t.Errorf("messageStatusPayload of the refused message = %s", compact(p))
		}
		if strings.Contains(s.currentStderr(), telegramtest.DefaultToken) {
			t.Error("the bot token appears in the server's log")
		}
	})
}
