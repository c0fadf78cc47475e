package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// metaFixture is a service with a Messenger channel and a clock the test
// moves, so that watermarks fall between messages.
type metaFixture struct {
	svc   *service.Service
	p     service.Principal
	ch    carillon.Channel
	clock *manualClock
}

func setupMeta(t *testing.T) *metaFixture {
	t.Helper()
	db := testrig.SQLite(t)
	clock := &manualClock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	svc := testrig.Service(t, service.Options{Store: db, InstanceID: "test-instance", Registry: providers, Clock: clock})
	svc.Notifier().SubscribeSends(&recordingDispatcher{})
	p := testrig.DefaultAccount(t, svc).Principal
	ch, _, err := svc.Resources.AddChannel(context.Background(), p.Account.ID, declaration.ChannelSpec{
		Title: "page", Type: "facebook", Provider: carillon.ProviderMessenger,
		Settings: map[string]string{"page_id": "1000", "page_access_token": "t", "app_secret": "s", "verify_token": "v"}})
	if err != nil {
		t.Fatal(err)
	}
	return &metaFixture{svc: svc, p: p, ch: ch, clock: clock}
}

func (f *metaFixture) inbound(t *testing.T, from, mid string, at time.Time) carillon.Message {
	t.Helper()
	m, err := f.svc.Messages.Receive(context.Background(), f.ch, carillon.InboundMessage{ChannelID: f.ch.ID, From: from, ExternalID: mid,
		Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// sent sends a text to "to" and records Meta's acceptance under mid.
func (f *metaFixture) sent(t *testing.T, to, text, mid string) carillon.Message {
	t.Helper()
	ctx := context.Background()
	res, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: to, From: "facebook", ChannelUUID: f.ch.UUID, Type: "text", Content: &carillon.Content{Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.Messages.RecordOutcome(ctx, res.Message, service.Outcome{Result: carillon.SendResult{ExternalID: mid}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (f *metaFixture) status(t *testing.T, uuid string) carillon.Status {
	t.Helper()
	m, err := f.svc.Store().MessageByUUID(context.Background(), f.p.Account.ID, uuid)
	if err != nil {
		t.Fatal(err)
	}
	return m.Status
}

// A watermark covers the customer's outgoing messages accepted at or
// before it, and no later one, nor another customer's; Instagram's read of
// a message covers it and the earlier ones.
func TestWatermarkReceipts(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	f.inbound(t, "111", "m_in", f.clock.Now())
	f.inbound(t, "222", "m_in_2", f.clock.Now())
	f.clock.advance(time.Second)
	one := f.sent(t, "111", "one", "m_1")
	f.clock.advance(time.Second)
	two := f.sent(t, "111", "two", "m_2")
	mark := f.clock.Now()
	other := f.sent(t, "222", "other", "m_other")
	f.clock.advance(time.Second)
	three := f.sent(t, "111", "three", "m_3")

	ok, err := f.svc.Messages.ApplyReceipt(ctx, f.ch, carillon.Receipt{ChannelID: f.ch.ID, Status: carillon.StatusDelivered,
		Recipient: "111", Through: mark, Payload: json.RawMessage(`{"delivery":{"watermark":1}}`)})
	if err != nil || !ok {
		t.Fatalf("ApplyReceipt = %v, %v", ok, err)
	}
	for _, c := range []struct {
		m    carillon.Message
		want carillon.Status
	}{{one, carillon.StatusDelivered}, {two, carillon.StatusDelivered}, {three, carillon.StatusSent}, {other, carillon.StatusSent}} {
		if got := f.status(t, c.m.UUID); got != c.want {
			t.Errorf("%s after the delivery watermark: %s, want %s", c.m.Content.Text, got, c.want)
		}
	}
	// A later delivery watermark reaches "three" and stops at "two",
	// delivered already: the messages an earlier watermark covered keep
	// their history as it was.
	history := func(m carillon.Message) int {
		t.Helper()
		h, err := f.svc.Store().StatusHistory(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(h)
	}
	before := history(one)
	if _, err := f.svc.Messages.ApplyReceipt(ctx, f.ch, carillon.Receipt{ChannelID: f.ch.ID, Status: carillon.StatusDelivered,
		Recipient: "111", Through: f.clock.Now(), Payload: json.RawMessage(`{"delivery":{"watermark":2}}`)}); err != nil {
		t.Fatal(err)
	}
	if got := f.status(t, three.UUID); got != carillon.StatusDelivered {
		t.Errorf("three after the second delivery watermark: %s, want delivered", got)
	}
	if got := history(one); got != before {
		t.Errorf("one's status history went from %d to %d entries on a watermark that an earlier one covered", before, got)
	}
	// A read of "two" and every earlier one (Instagram's messaging_seen).
	if _, err := f.svc.Messages.ApplyReceipt(ctx, f.ch, carillon.Receipt{ChannelID: f.ch.ID, Status: carillon.StatusRead,
		ExternalID: "m_2", Recipient: "111", AndEarlier: true, Payload: json.RawMessage(`{"read":{"mid":"m_2"}}`)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		m    carillon.Message
		want carillon.Status
	}{{one, carillon.StatusRead}, {two, carillon.StatusRead}, {three, carillon.StatusDelivered}, {other, carillon.StatusSent}} {
		if got := f.status(t, c.m.UUID); got != c.want {
			t.Errorf("%s after the read of m_2: %s, want %s", c.m.Content.Text, got, c.want)
		}
	}
	// A watermark for a customer carillon does not know changes nothing.
	if ok, err := f.svc.Messages.ApplyReceipt(ctx, f.ch, carillon.Receipt{ChannelID: f.ch.ID, Status: carillon.StatusRead,
		Recipient: "999", Through: f.clock.Now()}); ok || err != nil {
		t.Errorf("a watermark of nobody = %v, %v", ok, err)
	}
}

// Echoes: the business's message from elsewhere is stored as outgoing and
// sent, opens no window, and is stored once; the echo of carillon's own
// send is not stored again, by its uuid or by its mid.
func TestEchoes(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	f.inbound(t, "111", "m_in", f.clock.Now().Add(-48*time.Hour))
	echo := carillon.InboundMessage{ChannelID: f.ch.ID, From: "111", ExternalID: "m_echo", Type: carillon.TypeText,
		Content: carillon.Content{Text: "from the inbox"}, Echo: true, At: f.clock.Now()}
	for range 2 {
		m, err := f.svc.Messages.Receive(ctx, f.ch, echo)
		if err != nil {
			t.Fatal(err)
		}
		if m.Direction != carillon.Outbound || m.Status != carillon.StatusSent || m.SendState != carillon.SendDone {
			t.Fatalf("echo stored as %+v", m)
		}
	}
	c, err := f.svc.Store().ContactByAddress(ctx, f.ch.ID, "111")
	if err != nil {
		t.Fatal(err)
	}
	if c.InWindow(f.clock.Now()) {
		t.Errorf("an echo opened the customer's window")
	}
	msgs, _, err := f.svc.Store().ContactMessages(ctx, f.p.Account.ID, c.ID, carillon.Page{Number: 1, Size: 10})
	if err != nil || len(msgs) != 2 {
		t.Fatalf("messages after an echo twice = %d, %v", len(msgs), err)
	}

	f.inbound(t, "111", "m_in_2", f.clock.Now())
	own := f.sent(t, "111", "ours", "m_ours")
	for _, e := range []carillon.InboundMessage{
		{ChannelID: f.ch.ID, From: "111", ExternalID: "m_ours", Type: "text", Content: carillon.Content{Text: "ours"}, Echo: true},
		{ChannelID: f.ch.ID, From: "111", ExternalID: "m_unknown_yet", Type: "text", Content: carillon.Content{Text: "ours"}, Echo: true, EchoOf: own.UUID},
	} {
		m, err := f.svc.Messages.Receive(ctx, f.ch, e)
		if err != nil || m.UUID != own.UUID {
			t.Errorf("the echo of carillon's send %+v answered %s, %v; want the send itself", e, m.UUID, err)
		}
	}
	// In flight: the send's answer is not recorded yet.
	res, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: "111", From: "facebook", ChannelUUID: f.ch.UUID, Type: "text", Content: &carillon.Content{Text: "in flight"}})
	if err != nil {
		t.Fatal(err)
	}
	m, err := f.svc.Messages.Receive(ctx, f.ch, carillon.InboundMessage{ChannelID: f.ch.ID, From: "111", ExternalID: "m_flight", Type: "text",
		Content: carillon.Content{Text: "in flight"}, Echo: true})
	if err != nil || m.UUID != res.Message.UUID {
		t.Errorf("the echo of a send in flight answered %s, %v; want the send", m.UUID, err)
	}
	msgs, _, _ = f.svc.Store().ContactMessages(ctx, f.p.Account.ID, c.ID, carillon.Page{Number: 1, Size: 10})
	if len(msgs) != 5 {
		t.Errorf("messages = %d, want 5 (in, echo, in, ours, in flight)", len(msgs))
	}
}

// The window on Meta's channels: 24 hours, HUMAN_AGENT's 7 days, nobody
// who never wrote; the send's options checked before anything is stored.
func TestMetaSendRules(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	now := f.clock.Now()
	in := f.inbound(t, "111", "m_in", now.Add(-48*time.Hour))
	f.inbound(t, "333", "m_in_3", now.Add(-8*24*time.Hour))
	f.inbound(t, "555", "m_in_5", now)
	send := func(to, tag, replyTo string, typ string, content carillon.Content) (service.SendResult, error) {
		return f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: to, From: "facebook", ChannelUUID: f.ch.UUID, Type: typ,
			Content: &content, MessageTag: tag, ReplyTo: replyTo})
	}
	txt := carillon.Content{Text: "hello"}
	for _, c := range []struct {
		name, to, tag, reply, typ string
		content                   carillon.Content
		code                      carillon.ErrorCode
		field                     string
	}{
		{"two days, no tag", "111", "", "", "text", txt, carillon.CodeOutsideWindow, "to"},
		{"eight days, tag", "333", "HUMAN_AGENT", "", "text", txt, carillon.CodeOutsideWindow, "to"},
		{"never wrote, tag", "444", "HUMAN_AGENT", "", "text", txt, carillon.CodeOutsideWindow, "to"},
		{"unknown tag", "111", "CONFIRMED_EVENT_UPDATE", "", "text", txt, carillon.CodeInvalidParameter, "message_tag"},
		{"caption", "111", "HUMAN_AGENT", "", "image", carillon.Content{URL: "https://example.com/a.png", Text: "look"}, carillon.CodeInvalidParameter, "content.text"},
		{"not a scoped id", "+31612345678", "HUMAN_AGENT", "", "text", txt, carillon.CodeInvalidParameter, "to"},
		{"reply to nothing", "111", "HUMAN_AGENT", carillon.NewUUID(), "text", txt, carillon.CodeInvalidParameter, "reply_to"},
		{"reply to another conversation", "555", "HUMAN_AGENT", in.UUID, "text", txt, carillon.CodeInvalidParameter, "reply_to"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := send(c.to, c.tag, c.reply, c.typ, c.content)
			wantCode(t, err, c.code, c.field)
		})
	}
	// Meta's networks take no templates: a template of the channel (one
	// declared for it) is refused up front, not failed by the network.
	tmpl := carillon.Template{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, ChannelID: f.ch.ID, Title: "welcome", Text: "Hello {{1}}",
		Type: "text", Category: "UTILITY", Status: "approved", Language: "en", CreatedAt: now, UpdatedAt: now}
	if err := f.svc.Store().CreateTemplate(ctx, &tmpl); err != nil {
		t.Fatal(err)
	}
	_, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: "555", From: "facebook", ChannelUUID: f.ch.UUID, Type: "text",
		TemplateUUID: tmpl.UUID, TemplateValues: []string{"Ana"}, OptinContact: true})
	wantCode(t, err, carillon.CodeInvalidParameter, "template_uuid")

	res, err := send("111", "HUMAN_AGENT", in.UUID, "text", carillon.Content{Text: "following up", Tag: "SMUGGLED"})
	if err != nil {
		t.Fatal(err)
	}
	stored, err := f.svc.Store().MessageByUUID(ctx, f.p.Account.ID, res.Message.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if stored.Content.Tag != "HUMAN_AGENT" || string(stored.Content.Details[carillon.DetailContext]) != `{"id":"m_in"}` {
		t.Errorf("stored content = %+v", stored.Content)
	}
	// The request's own content tag is never taken.
	res, err = send("555", "", "", "text", carillon.Content{Text: "x", Tag: "HUMAN_AGENT"})
	if err != nil {
		t.Fatal(err)
	}
	if stored, _ := f.svc.Store().MessageByUUID(ctx, f.p.Account.ID, res.Message.UUID); stored.Content.Tag != "" {
		t.Errorf("a tag in content was kept: %+v", stored.Content)
	}
}

// The console's composer writes a person's answer: on a Meta channel,
// past the 24 hours and within 7 days it goes with HUMAN_AGENT, and the
// composer says until when; past 7 days it is refused.
func TestComposerHumanAgent(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	now := f.clock.Now()
	v := service.Viewer{Role: carillon.RoleAdmin}
	for i, c := range []struct {
		ago  time.Duration
		tag  string
		open bool
	}{
		{time.Hour, "", true},
		{48 * time.Hour, "HUMAN_AGENT", true},
		{8 * 24 * time.Hour, "", false},
	} {
		who := "90" + string(rune('0'+i))
		in := f.inbound(t, who, "m_c_"+who, now.Add(-c.ago))
		contact, err := f.svc.Store().ContactByID(ctx, f.p.Account.ID, in.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		comp, err := f.svc.Messages.Composer(ctx, f.p, service.ContactView{Contact: contact, Channel: f.ch})
		if err != nil {
			t.Fatal(err)
		}
		if comp.WindowOpen != c.open || comp.AgentTag != "HUMAN_AGENT" {
			t.Errorf("%v ago: composer = open %v, tag %q", c.ago, comp.WindowOpen, comp.AgentTag)
		}
		if c.open && !comp.WindowClosesAt.Equal(contact.LastInboundAt.Add(7*24*time.Hour)) {
			t.Errorf("%v ago: the composer's window closes at %v", c.ago, comp.WindowClosesAt)
		}
		res, err := f.svc.Messages.Reply(ctx, f.p, v, service.Reply{ConversationUUID: contact.ConversationUUID, Key: "form-" + who, Text: "Following up"})
		if !c.open {
			wantCode(t, err, carillon.CodeOutsideWindow, "to")
			continue
		}
		if err != nil {
			t.Fatalf("%v ago: reply: %v", c.ago, err)
		}
		if res.Message.Content.Tag != c.tag {
			t.Errorf("%v ago: the reply's tag = %q, want %q", c.ago, res.Message.Content.Tag, c.tag)
		}
	}
}

// A file with a caption is refused before it is kept: Meta's attachments
// carry no text.
func TestComposerNoCaption(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	in := f.inbound(t, "901", "m_c", f.clock.Now())
	contact, err := f.svc.Store().ContactByID(ctx, f.p.Account.ID, in.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	comp, err := f.svc.Messages.Composer(ctx, f.p, service.ContactView{Contact: contact, Channel: f.ch})
	if err != nil || !comp.NoCaptions {
		t.Fatalf("composer = %+v, %v; want NoCaptions", comp, err)
	}
	_, err = f.svc.Messages.Reply(ctx, f.p, service.Viewer{Role: carillon.RoleAdmin}, service.Reply{ConversationUUID: contact.ConversationUUID, Key: "k1",
		Text: "look", File: &service.Upload{Body: strings.NewReader("\x89PNG\r\n\x1a\n"), Size: 8, ContentType: "image/png", Filename: "a.png"}})
	wantCode(t, err, carillon.CodeInvalidParameter, "text")
}

// A failed message sent again from the console past the 24 hours goes
// with HUMAN_AGENT, as the composer's replies do.
func TestRetryHumanAgent(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	f.inbound(t, "902", "m_r", f.clock.Now())
	res, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: "902", From: "facebook", ChannelUUID: f.ch.UUID, Type: "text", Content: &carillon.Content{Text: "lost"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Messages.RecordOutcome(ctx, res.Message, service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "1200", Title: "failed"}}); err != nil {
		t.Fatal(err)
	}
	f.clock.advance(48 * time.Hour)
	again, err := f.svc.Messages.Retry(ctx, f.p, service.Viewer{Role: carillon.RoleAdmin}, res.Contact.ConversationUUID, res.Message.UUID, "retry-form")
	if err != nil {
		t.Fatal(err)
	}
	if again.Message.Content.Tag != "HUMAN_AGENT" {
		t.Errorf("the message sent again two days later carries tag %q", again.Message.Content.Tag)
	}
}

// A customer's deletion marks their message once, at the network's time,
// its content cleared; it leaves alone another customer's message, an
// outgoing one and a message carillon does not have.
func TestDeletedByCustomer(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	mine := f.inbound(t, "111", "m_mine", f.clock.Now())
	theirs := f.inbound(t, "222", "m_theirs", f.clock.Now())
	f.clock.advance(time.Second)
	out := f.sent(t, "111", "ours", "m_out")
	f.clock.advance(time.Minute)
	when := f.clock.Now().Add(-30 * time.Second)
	// The live inbox is told of the deletion, as a change of the chat.
	st, err := f.svc.Live.Subscribe(ctx, f.p, service.Viewer{UserID: 1, Role: carillon.RoleAdmin}, 0, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(st.Close)
	contact, err := f.svc.Store().ContactByID(ctx, f.p.Account.ID, mine.ContactID)
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name    string
		d       carillon.Deletion
		want    bool
		deleted carillon.Message // the message the deletion marks, if any
		at      time.Time
		untouch []carillon.Message
	}{
		{name: "the customer's own message", d: carillon.Deletion{ExternalID: "m_mine", From: "111", At: when}, want: true,
			deleted: mine, at: when, untouch: []carillon.Message{theirs, out}},
		{name: "the same deletion again", d: carillon.Deletion{ExternalID: "m_mine", From: "111", At: when.Add(time.Second)}, want: true,
			deleted: mine, at: when},
		{name: "another customer's message", d: carillon.Deletion{ExternalID: "m_theirs", From: "111", At: when}, want: true,
			untouch: []carillon.Message{theirs}},
		{name: "an outgoing message", d: carillon.Deletion{ExternalID: "m_out", From: "111", At: when}, want: false,
			untouch: []carillon.Message{out}},
		{name: "a message carillon does not have", d: carillon.Deletion{ExternalID: "m_unknown", From: "111", At: when}, want: false},
	} {
		c.d.ChannelID = f.ch.ID
		ok, err := f.svc.Messages.DeletedByCustomer(ctx, f.ch, c.d)
		if err != nil || ok != c.want {
			t.Errorf("%s: DeletedByCustomer = %v, %v; want %v", c.name, ok, err, c.want)
		}
		if c.name == "the customer's own message" {
			until(t, &follower{st: st}, func(e service.LiveEvent) bool {
				return e.Kind == carillon.ChangeMessageDeleted && e.Contact == contact.UUID
			})
		}
		if c.deleted.UUID != "" {
			m, err := f.svc.Store().MessageByUUID(ctx, f.p.Account.ID, c.deleted.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if !m.DeletedAt.Equal(c.at.Truncate(time.Millisecond)) || m.Content.Text != "" || m.Status != carillon.StatusReceived {
				t.Errorf("%s: message deleted at %v, text %q, status %s; want deleted at %v, no text, received", c.name, m.DeletedAt, m.Content.Text, m.Status, c.at)
			}
		}
		for _, u := range c.untouch {
			m, err := f.svc.Store().MessageByUUID(ctx, f.p.Account.ID, u.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if !m.DeletedAt.IsZero() || m.Content.Text != u.Content.Text {
				t.Errorf("%s: message %q changed: deleted at %v, text %q", c.name, u.Content.Text, m.DeletedAt, m.Content.Text)
			}
		}
	}
}

// A failed reply sent again from the console is a reply to the same
// message; a failed message that replied to none goes again as none.
func TestRetryKeepsReplyTo(t *testing.T) {
	t.Parallel()
	f := setupMeta(t)
	ctx := context.Background()
	asked := f.inbound(t, "903", "m_question", f.clock.Now())
	for i, c := range []struct {
		replyTo string
		want    string // the messageContext of the message sent again
	}{
		{asked.UUID, `{"id":"m_question"}`},
		{"", ""},
	} {
		res, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: "903", From: "facebook", ChannelUUID: f.ch.UUID, Type: "text",
			Content: &carillon.Content{Text: "the answer"}, ReplyTo: c.replyTo})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Messages.RecordOutcome(ctx, res.Message, service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "1200", Title: "failed"}}); err != nil {
			t.Fatal(err)
		}
		again, err := f.svc.Messages.Retry(ctx, f.p, service.Viewer{Role: carillon.RoleAdmin}, res.Contact.ConversationUUID, res.Message.UUID, fmt.Sprintf("retry-%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if got := string(again.Message.Content.Details[carillon.DetailContext]); again.Message.UUID == res.Message.UUID || got != c.want {
			t.Errorf("reply_to %q: the message sent again (%s) has messageContext %q, want %q", c.replyTo, again.Message.UUID, got, c.want)
		}
	}
}
