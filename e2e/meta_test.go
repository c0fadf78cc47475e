package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon/provider/messenger/metatest"
)

// metaNetwork is one of Meta's networks as the end-to-end test drives it.
type metaNetwork struct {
	provider, channelType, object string
	idSetting, tokenSetting       string
	id                            string // the page's or account's id
	// delivery: the network sends delivery receipts (Messenger); else a
	// read names the last message read (Instagram's messaging_seen).
	delivery bool
}

var metaNetworks = []metaNetwork{
	{provider: "messenger", channelType: "facebook", object: "page", idSetting: "page_id", tokenSetting: "page_access_token",
		id: "104857603392714", delivery: true},
	{provider: "instagram", channelType: "instagram", object: "instagram", idSetting: "account_id", tokenSetting: "access_token",
		id: "17841405822304914"},
}

// Messenger and Instagram channels against a local fake of the Graph API,
// on both stores: the declaration's check of the token, the handshake, a
// signed message stored once, a reply within the window that becomes sent
// then delivered and read by Meta's watermarks (or Instagram's read of the
// last message), echoes, the 24-hour window and HUMAN_AGENT's 7 days, a
// forged signature refused, an attachment kept.
func TestMetaChannelsAgainstAFakeGraphAPI(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		for _, n := range metaNetworks {
			t.Run(n.provider, func(t *testing.T) { testMetaChannel(t, s, n) })
		}
	})
}

func testMetaChannel(t *testing.T, s *server, n metaNetwork) {
	ctx := context.Background()
	graph := metatest.New(t)
	const appSecret, verifyToken = "meta-app-secret-e2e", "verify-me"
	title := n.provider + "-line"
	args := func(token string) []string {
		return []string{"--title", title, "--type", n.channelType, "--provider", n.provider,
			"--setting", n.idSetting + "=" + n.id, "--setting", n.tokenSetting + "=" + token,
			"--setting", "app_secret=" + appSecret, "--setting", "verify_token=" + verifyToken,
			"--setting", "base_url=" + graph.URL}
	}
	// A token Meta refuses (190): nothing is stored, the command fails.
	bad := s.admin(t, []string{"channels", "add"}, append(args("wrong-token"), "--public-url", s.URL)...)
	if bad.Code == 0 || !strings.Contains(bad.Stdout+bad.Stderr, "190") {
		t.Fatalf("channels add with a refused token: exit %d\n%s%s", bad.Code, bad.Stdout, bad.Stderr)
	}
	if list := s.admin(t, []string{"channels", "list"}); strings.Contains(list.Stdout, title) {
		t.Fatalf("a refused channel was stored:\n%s", list.Stdout)
	}
	// The same with carillon apply: the file is refused whole.
	file := filepath.Join(t.TempDir(), "meta.yaml")
	yaml := fmt.Sprintf("channels:\n  - title: %s\n    type: %s\n    provider: %s\n    settings:\n      %s: \"%s\"\n      %s: wrong-token\n      app_secret: %s\n      verify_token: %s\n      base_url: %s\n",
		title, n.channelType, n.provider, n.idSetting, n.id, n.tokenSetting, appSecret, verifyToken, graph.URL)
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	if res := s.admin(t, []string{"apply"}, file); res.Code == 0 || !strings.Contains(res.Stderr, "190") || strings.Contains(res.Stdout+res.Stderr, "wrong-token") {
		t.Fatalf("apply with a refused token: exit %d\n%s%s", res.Code, res.Stdout, res.Stderr)
	}
	if list := s.admin(t, []string{"channels", "list"}); strings.Contains(list.Stdout, title) {
		t.Fatalf("a refused channel was stored by apply:\n%s", list.Stdout)
	}
	uuid, callback := addChannel(t, s, args(graph.AccessToken())...)

	code, body := answer(t)(metatest.Verify(ctx, callback, verifyToken, "1158201444"))
	if code != 200 || body != "1158201444" {
		t.Errorf("handshake = %d %q", code, body)
	}
	if code, _ := answer(t)(metatest.Verify(ctx, callback, "wrong", "x")); code != 403 {
		t.Errorf("handshake with a wrong token = %d, want 403", code)
	}

	post := func(events ...map[string]any) {
		t.Helper()
		if code, body := answer(t)(metatest.Post(ctx, callback, appSecret, metatest.Webhook(n.object, n.id, events...))); code != 200 {
			t.Fatalf("callback = %d %s", code, body)
		}
	}
	nowMs := func(d time.Duration) int64 { return time.Now().Add(d).UnixMilli() }
	send := func(to string, extra string) response {
		return s.do(t, "POST", "/v1/messages/send", s.Key, `{"to": "`+to+`", "from": "`+n.channelType+`", "channel_uuid": "`+uuid+`", `+extra+`}`)
	}
	history := func(contactUUID string) []map[string]any {
		var out []map[string]any
		for _, m := range s.do(t, "GET", "/v1/contacts/"+contactUUID+"/messages", s.Key, "").JSON(t)["messages"].([]any) {
			out = append(out, m.(map[string]any))
		}
		return out
	}

	// The customer writes, and Meta repeats the callback: one contact, one
	// message; the scoped id is the contact's phoneNumber.
	const customer = "6345432765432123"
	graph.SetProfile(customer, map[string]any{"first_name": "Ana", "last_name": "Silva", "name": "Ana Silva", "username": "ana.silva"})
	in := metatest.Text(customer, n.id, "m_in_1", "Where is my order?", nowMs(-time.Minute))
	post(in)
	post(in)
	contact := object(t, s.do(t, "GET", "/v1/contacts/phone/"+customer+"?channel_uuid="+uuid, s.Key, "").JSON(t), "contact")
	if contact["source"] != n.channelType || contact["phoneNumber"] != customer || contact["name"] != "Ana Silva" {
		t.Fatalf("contact from the inbound message = %v", contact)
	}
	contactUUID := contact["uuid"].(string)
	if h := history(contactUUID); len(h) != 1 || h[0]["text"] != "Where is my order?" || h[0]["status"] != "received" {
		t.Fatalf("history after the same message twice = %v", h)
	}
	inUUID := history(contactUUID)[0]["uuid"].(string)

	// The name was read once, when the contact was made.
	profileReads := func() (n int) {
		for _, req := range graph.Requests() {
			if req.Method == "GET" && strings.HasSuffix(req.Path, "/"+customer) {
				n++
			}
		}
		return n
	}
	if got := profileReads(); got != 1 {
		t.Errorf("the profile was read %d times, want once", got)
	}

	// Two replies within the window, the second replying to the question.
	first := enqueuedUUID(t, send(customer, `"type": "text", "content": {"text": "Your order shipped"}`))
	s.waitStatus(t, first, "sent", 20*time.Second, nil)
	second := enqueuedUUID(t, send(customer, `"type": "text", "content": {"text": "Tracking: A-1042"}, "reply_to": "`+inUUID+`"`))
	s.waitStatus(t, second, "sent", 20*time.Second, nil)
	sent := graph.Messages()
	if len(sent) != 2 || object(t, sent[0], "recipient")["id"] != customer || sent[0]["messaging_type"] != "RESPONSE" ||
		object(t, sent[0], "message")["text"] != "Your order shipped" {
		t.Fatalf("the Send API got %v", sent)
	}
	if object(t, sent[1], "reply_to")["mid"] != "m_in_1" {
		t.Errorf("the reply went as %s", compact(sent[1]))
	}
	for _, req := range graph.Requests() {
		if req.Method == "POST" && (req.Path != "/v25.0/"+n.id+"/messages" || req.Header.Get("Authorization") != "Bearer "+graph.AccessToken()) {
			t.Errorf("send request %s %s", req.Method, req.Path)
		}
	}
	mid := func(uuid string) string {
		p := object(t, s.status(t, uuid), "messageStatusPayload")
		id, _ := p["id"].(string)
		return id
	}
	secondMid := mid(second)

	// Receipts: Messenger's watermarks cover every earlier message;
	// Instagram's read of the last message covers the ones before it.
	if n.delivery {
		post(metatest.Delivery(customer, n.id, nil, nowMs(time.Second)))
		s.waitStatus(t, first, "delivered", 20*time.Second, nil)
		s.waitStatus(t, second, "delivered", 20*time.Second, nil)
		post(metatest.Read(customer, n.id, nowMs(time.Second), nowMs(time.Second)))
	} else {
		post(metatest.Seen(customer, n.id, secondMid, nowMs(time.Second)))
	}
	s.waitStatus(t, first, "read", 20*time.Second, nil)
	s.waitStatus(t, second, "read", 20*time.Second, nil)

	// Echoes: one of a message sent from Meta's inbox is recorded as
	// outgoing; the echo of carillon's own send is not stored twice.
	metadata := ""
	if n.delivery {
		metadata = second
	}
	post(metatest.Echo(n.id, customer, secondMid, "Tracking: A-1042", metadata, nowMs(0)),
		metatest.Echo(n.id, customer, "m_from_inbox", "Sent from the inbox", "", nowMs(0)))
	h := history(contactUUID)
	if len(h) != 4 || h[0]["text"] != "Sent from the inbox" || h[0]["status"] != "sent" || h[0]["from"] != n.id || h[0]["to"] != customer {
		t.Fatalf("history after two echoes = %v", h)
	}

	// A forged signature changes nothing.
	forged := metatest.Webhook(n.object, n.id, metatest.Text(customer, n.id, "m_forged", "forged", nowMs(0)))
	if code, _ := answer(t)(metatest.Post(ctx, callback, "not-the-secret", forged)); code != 403 {
		t.Errorf("forged callback = %d, want 403", code)
	}
	if len(history(contactUUID)) != 4 {
		t.Errorf("a forged callback was stored")
	}

	// An attachment: fetched from Meta's URL and kept by carillon.
	photo := []byte("\xff\xd8\xff\xe0 a tiny jpeg")
	post(metatest.Attachment(customer, n.id, "m_photo", "image", graph.AddMedia("photo.jpg", "image/jpeg", photo), nowMs(0)))
	latest := history(contactUUID)[0]
	attachments, _ := latest["attachments"].([]any)
	if len(attachments) != 1 || !strings.HasPrefix(attachments[0].(string), s.URL+"/media/") {
		t.Fatalf("image message = %v", latest)
	}
	resp, err := s.HTTP.Get(attachments[0].(string))
	if code, body := answer(t)(resp, err); code != 200 || body != string(photo) {
		t.Errorf("GET the attachment = %d %q", code, body)
	}

	// The customer unsends the photo (Instagram), and Meta repeats the
	// event: the message stays, marked deleted once, its file gone.
	if !n.delivery {
		deletedAt := nowMs(0)
		post(metatest.Deleted(customer, n.id, "m_photo", deletedAt))
		post(metatest.Deleted(customer, n.id, "m_photo", deletedAt+5000))
		h := history(contactUUID)
		want := time.UnixMilli(deletedAt).UTC().Format(time.RFC3339)
		if h[0]["uuid"] != latest["uuid"] || h[0]["deletedAt"] != want || h[0]["text"] != nil || h[0]["attachments"] != nil || h[0]["status"] != "received" {
			t.Errorf("the photo after the customer deleted it = %v, want deletedAt %s, no text, no attachment", h[0], want)
		}
		if _, ok := h[1]["deletedAt"]; ok {
			t.Errorf("a message the customer did not delete has deletedAt: %v", h[1])
		}
		resp, err := s.HTTP.Get(attachments[0].(string))
		if code, _ := answer(t)(resp, err); code != 404 {
			t.Errorf("GET the deleted photo's file = %d, want 404", code)
		}
	}

	// Refused up front: a caption (Meta's attachments carry none), a file
	// on Instagram, an unknown tag, an id that is not one.
	refusals := []struct{ extra, to, field string }{
		{`"type": "image", "content": {"url": "https://example.com/a.png", "text": "look"}`, customer, "content.text"},
		{`"type": "text", "content": {"text": "x"}, "message_tag": "ACCOUNT_UPDATE"`, customer, "message_tag"},
		{`"type": "text", "content": {"text": "x"}`, "+31612345678", "to"},
	}
	if !n.delivery {
		refusals = append(refusals, struct{ extra, to, field string }{`"type": "document", "content": {"url": "https://example.com/a.pdf"}`, customer, "type"})
	}
	for _, r := range refusals {
		if res := send(r.to, r.extra); res.Code != 422 || res.JSON(t)["field"] != r.field && !strings.Contains(res.String(), r.field) {
			t.Errorf("send %s to %s = %s, want 422 on %s", r.extra, r.to, res, r.field)
		}
	}

	// The window: a customer who last wrote two days ago gets nothing
	// free-form, but HUMAN_AGENT goes (7 days); one who wrote eight days
	// ago gets nothing; one who never wrote gets nothing, tag or not.
	for i, c := range []struct {
		ago      time.Duration
		tag, out string
	}{
		{48 * time.Hour, "", "outside"},
		{48 * time.Hour, "HUMAN_AGENT", "sent"},
		{8 * 24 * time.Hour, "HUMAN_AGENT", "outside"},
		{-1, "HUMAN_AGENT", "outside"},
		{-1, "", "outside"},
	} {
		who := "70000000000000" + strconv.Itoa(10+i)
		if c.ago >= 0 {
			post(metatest.Text(who, n.id, fmt.Sprintf("m_old_%d", i), "old", nowMs(-c.ago)))
		}
		extra := `"type": "text", "content": {"text": "Following up"}`
		if c.tag != "" {
			extra += `, "message_tag": "` + c.tag + `"`
		}
		res := send(who, extra)
		if c.out == "outside" {
			if res.Code != 422 || !strings.Contains(res.String(), "outside_customer_service_window") {
				t.Errorf("send to a customer %v ago (tag %q) = %s, want 422 outside_customer_service_window", c.ago, c.tag, res)
			}
			continue
		}
		s.waitStatus(t, enqueuedUUID(t, res), "sent", 20*time.Second, nil)
		last := graph.Messages()[len(graph.Messages())-1]
		if last["messaging_type"] != "MESSAGE_TAG" || last["tag"] != "HUMAN_AGENT" {
			t.Errorf("tagged send went as %s", compact(last))
		}
	}

	if got := profileReads(); got != 1 {
		t.Errorf("the profile of a known contact was read again: %d reads", got)
	}

	// Throttling: Meta's rate limit is retried until sent.
	graph.Script("/messages", metatest.Throttled())
	r := send(customer, `"type": "text", "content": {"text": "again"}`)
	s.waitStatus(t, enqueuedUUID(t, r), "sent", 30*time.Second, nil)
}
