package service_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/declaration"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// manualClock is a clock the test moves.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// pendingEvents lists the account's recorded events, oldest first: claimed
// far in the future, so that every pending event is due.
func pendingEvents(t *testing.T, f *fixture) []carillon.WebhookEvent {
	t.Helper()
	ctx := context.Background()
	w, err := f.db.WebhookByAccount(ctx, f.p.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	var all []carillon.WebhookEvent
	for {
		// Claiming leases events and releases nothing: release each
		// subject's next event by hand to walk through them in order.
		got, err := f.db.ClaimWebhookEvents(ctx, w.ID, time.Now().Add(time.Hour), time.Now().Add(2*time.Hour), 100)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) == 0 {
			return all
		}
		var subjects []string
		for i := range got {
			got[i].State = carillon.EventDelivered
			subjects = append(subjects, got[i].Subject)
		}
		if err := f.db.UpdateWebhookEvents(ctx, got); err != nil {
			t.Fatal(err)
		}
		if err := f.db.ReleaseWebhookEvents(ctx, w.ID, subjects, time.Now()); err != nil {
			t.Fatal(err)
		}
		all = append(all, got...)
	}
}

func eventNames(es []carillon.WebhookEvent) string {
	var out []string
	for _, e := range es {
		out = append(out, e.Event)
	}
	return strings.Join(out, ",")
}

func payloadOf(t *testing.T, e carillon.WebhookEvent) map[string]any {
	t.Helper()
	var body struct {
		Event   string         `json:"event"`
		Payload map[string]any `json:"payload"`
	}
	if err := json.Unmarshal(e.Body, &body); err != nil || body.Event != e.Event {
		t.Fatalf("event body %s: %v", e.Body, err)
	}
	return body.Payload
}

func TestEventsAreKeptOnlyForASubscribedWebhook(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	newContact := func(number string) service.ContactView {
		v, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: number, Source: "whatsapp", Name: "C"})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	newContact("+31612345670")
	if n, _ := f.db.CountPendingWebhookEvents(ctx); n != 0 {
		t.Fatalf("%d events kept while no webhook exists", n)
	}
	if _, _, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://hooks.example.com/x", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	c := newContact("+31612345671")
	name := "Renamed"
	if _, err := f.svc.Contacts.UpdateContact(ctx, f.p, c.UUID, service.ContactUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	// A change refused by a rule records nothing.
	if _, err := f.svc.Contacts.UpdateContact(ctx, f.p, c.UUID, service.ContactUpdate{Tags: []string{"no such tag"}}); err == nil {
		t.Fatal("an unknown tag was accepted")
	}
	if got := eventNames(pendingEvents(t, f)); got != carillon.EventContactCreated {
		t.Errorf("events kept = %q, want only the subscribed contact_created", got)
	}
	if err := f.svc.Webhooks.Unsubscribe(ctx, f.p); err != nil {
		t.Fatal(err)
	}
	newContact("+31612345672")
	if n, _ := f.db.CountPendingWebhookEvents(ctx); n != 0 {
		t.Errorf("%d events kept after unsubscribe", n)
	}
}

// An unsubscription, once asked, deletes the webhook and its log to the
// end even when its caller stops waiting: the log goes a chunk a
// transaction, and a client that gives up on a long one must not leave it
// half deleted.
func TestUnsubscribeGoesOnWhenTheCallerStopsWaiting(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, _, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://hooks.example.com/x", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Contacts.CreateContact(ctx, f.p, service.ContactInput{Identifier: "+31612345670", Source: "whatsapp", Name: "C"}); err != nil {
		t.Fatal(err)
	}
	gone, cancel := context.WithCancel(ctx)
	cancel()
	if err := f.svc.Webhooks.Unsubscribe(gone, f.p); err != nil {
		t.Fatalf("unsubscribe of a caller gone: %v", err)
	}
	if _, err := f.db.WebhookByAccount(ctx, f.p.Account.ID); !errors.Is(err, carillon.ErrNotFound) {
		t.Errorf("the webhook after the unsubscription: %v, want ErrNotFound", err)
	}
	if n, _ := f.db.CountPendingWebhookEvents(ctx); n != 0 {
		t.Errorf("%d events left after the unsubscription", n)
	}
}

func TestEachChangeRecordsItsEvents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, _, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://hooks.example.com/x", carillon.WebhookEventNames); err != nil {
		t.Fatal(err)
	}
	res, err := f.svc.Messages.Send(ctx, f.p, service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "text",
		Content: &carillon.Content{Text: "hi"}, Metadata: map[string]any{"order": "A-1"}})
	if err != nil {
		t.Fatal(err)
	}
	got := pendingEvents(t, f)
	if want := "contact_created,conversation_opened,message_created"; eventNames(got) != want {
		t.Fatalf("send recorded %q, want %q", eventNames(got), want)
	}
	msg := payloadOf(t, got[2])
	if msg["uuid"] != res.Message.UUID || msg["status"] != "sent" || msg["to"] != "31612345678" || msg["channel"] != "whatsapp" {
		t.Errorf("message_created payload = %v", msg)
	}
	if md, _ := msg["metadata"].(map[string]any); md["order"] != "A-1" {
		t.Errorf("message_created metadata = %v", msg["metadata"])
	}
	contact := msg["contact"].(map[string]any)

	// Receipts: one event per status reached, none for one out of order.
	for _, st := range []carillon.Status{carillon.StatusSent, carillon.StatusRead, carillon.StatusDelivered} {
		if _, err := f.svc.Messages.ApplyReceipt(ctx, f.sandbox, carillon.Receipt{ChannelID: f.sandbox.ID, MessageUUID: res.Message.UUID, Status: st}); err != nil {
			t.Fatal(err)
		}
	}
	got = pendingEvents(t, f)
	var statuses []string
	for _, e := range got {
		p := payloadOf(t, e)
		statuses = append(statuses, p["status"].(string))
		if e.Event != carillon.EventMessageStatusUpdated || p["uuid"] != res.Message.UUID || p["contact"].(map[string]any)["uuid"] != contact["uuid"] {
			t.Errorf("status event %s = %v", e.Event, p)
		}
	}
	// read implies delivered, reported in order; the late delivered
	// changes nothing and reports nothing.
	if strings.Join(statuses, ",") != "sent,delivered,read" {
		t.Errorf("statuses reported %v, want sent,delivered,read", statuses)
	}

	uuid := contact["uuid"].(string)
	steps := []struct {
		name string
		do   func() error
		want string
	}{
		{"close", func() error { _, err := f.svc.Contacts.CloseConversation(ctx, f.p, uuid, "done"); return err }, "conversation_closed"},
		{"close again", func() error { _, err := f.svc.Contacts.CloseConversation(ctx, f.p, uuid, "done"); return err }, ""},
		{"reopen", func() error { _, err := f.svc.Contacts.OpenConversation(ctx, f.p, uuid); return err }, "conversation_opened"},
		{"inbound", func() error {
			_, err := f.svc.Messages.SandboxInbound(ctx, f.p, "+31612345678", "hello", "")
			return err
		}, "message_created"},
		{"note", func() error {
			n := "vip"
			_, err := f.svc.Contacts.UpdateContact(ctx, f.p, uuid, service.ContactUpdate{Note: &n})
			return err
		}, "contact_updated"},
		{"bot only", func() error { _, err := f.svc.Contacts.SetContactBot(ctx, f.p, uuid, "bot_start"); return err }, ""},
		{"delete", func() error { return f.svc.Contacts.DeleteContact(ctx, f.p, uuid) }, "contact_deleted"},
	}
	for _, s := range steps {
		if err := s.do(); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := pendingEvents(t, f)
		if eventNames(got) != s.want {
			t.Errorf("%s recorded %q, want %q", s.name, eventNames(got), s.want)
			continue
		}
		if len(got) == 0 {
			continue
		}
		p := payloadOf(t, got[0])
		switch s.want {
		case "conversation_closed":
			if p["closingReason"] != "done" || p["closedAt"] == nil {
				t.Errorf("conversation_closed payload = %v", p)
			}
		case "message_created":
			if p["status"] != "received" || p["from"] != "31612345678" || p["text"] != "hello" {
				t.Errorf("inbound message_created payload = %v", p)
			}
		case "contact_deleted":
			if p["uuid"] != uuid || p["deleted"] == nil {
				t.Errorf("contact_deleted payload = %v", p)
			}
		}
	}
}

func TestAgentAndMembershipEvents(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	if _, _, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://hooks.example.com/x", []string{carillon.EventAgentStatusUpdated, carillon.EventTeamMembershipUpdated}); err != nil {
		t.Fatal(err)
	}
	apply := func(yaml string) {
		t.Helper()
		d, err := declaration.Parse("account.yaml", []byte(yaml), providers)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.svc.Resources.Apply(ctx, f.p.Account.ID, d); err != nil {
			t.Fatal(err)
		}
	}
	apply("users:\n  - {email: ana@example.com, name: Ana}\n  - {email: bo@example.com, name: Bo}\nteams:\n  - {name: Support, members: [ana@example.com]}\n")
	apply("users:\n  - {email: ana@example.com, name: Ana}\n  - {email: bo@example.com, name: Bo}\nteams:\n  - {name: Support, members: [bo@example.com]}\n")
	got := pendingEvents(t, f)
	var reasons []string
	for _, e := range got {
		p := payloadOf(t, e)
		reasons = append(reasons, p["user"].(map[string]any)["email"].(string)+":"+p["reason"].(string))
		if p["team"].(map[string]any)["name"] != "Support" || p["lastUpdateAt"] == nil {
			t.Errorf("membership payload = %v", p)
		}
	}
	if strings.Join(reasons, ",") != "ana@example.com:agent_added,bo@example.com:agent_added,ana@example.com:agent_removed" {
		t.Errorf("membership events = %v", reasons)
	}

	ana, err := f.db.UserByEmail(ctx, f.p.Account.ID, "ana@example.com")
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	for range 2 { // the second call changes nothing, and records nothing
		if _, err := f.svc.Resources.SetUserStatus(ctx, f.p, ana.UUID, service.UserStatusInput{Available: &yes}); err != nil {
			t.Fatal(err)
		}
	}
	got = pendingEvents(t, f)
	if eventNames(got) != carillon.EventAgentStatusUpdated {
		t.Fatalf("status change recorded %q", eventNames(got))
	}
	if p := payloadOf(t, got[0]); p["email"] != "ana@example.com" || p["available"] != true {
		t.Errorf("agent_status_updated payload = %v", p)
	}
}

func TestSubscribeValidation(t *testing.T) {
	f := setup(t)
	ctx := context.Background()
	cases := []struct {
		url    string
		events []string
		field  string
	}{
		{"", []string{"message_created"}, "url"},
		{"ftp://example.com/x", []string{"message_created"}, "url"},
		{"/relative", []string{"message_created"}, "url"},
		{"https://user:pw@example.com/x", []string{"message_created"}, "url"},
		{"http://localhost:8080/x", []string{"message_created"}, "url"},
		{"http://127.0.0.1/x", []string{"message_created"}, "url"},
		{"http://10.1.2.3/x", []string{"message_created"}, "url"},
		{"http://169.254.169.254/latest", []string{"message_created"}, "url"},
		{"http://[::1]/x", []string{"message_created"}, "url"},
		{"http://[fd00::1]/x", []string{"message_created"}, "url"},
		{"http://100.64.0.1/x", []string{"message_created"}, "url"},
		{"https://example.com:65536/x", []string{"message_created"}, "url"},
		{"https://example.com:0/x", []string{"message_created"}, "url"},
		{"https://example.com:99999999999999999999/x", []string{"message_created"}, "url"},
		{"https://example.com/x", nil, "subscriptions"},
		{"https://example.com/x", []string{"message_created", "nope"}, "subscriptions"},
		{"https://example.com/x", []string{"health_check"}, "subscriptions"},
	}
	for _, c := range cases {
		_, _, err := f.svc.Webhooks.Subscribe(ctx, f.p, c.url, c.events)
		wantCode(t, err, carillon.CodeInvalidParameter, c.field)
	}
	w, created, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://example.com/x", []string{"message_created", "message_created"})
	if err != nil || !created || len(w.Subscriptions) != 1 {
		t.Fatalf("Subscribe = %+v, %v, %v", w, created, err)
	}
	again, created, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://example.com/y", []string{"contact_created"})
	if err != nil || created || again.Secret != w.Secret || again.URL != "https://example.com/y" {
		t.Errorf("replacing: %+v, created %v, %v", again, created, err)
	}
	// The highest port is a port.
	if w, _, err := f.svc.Webhooks.Subscribe(ctx, f.p, "https://example.com:65535/x", []string{"message_created"}); err != nil || w.URL != "https://example.com:65535/x" {
		t.Errorf("subscribe with port 65535: %+v, %v", w, err)
	}
}

func TestWebhookHealth(t *testing.T) {
	ctx := context.Background()
	db := testrig.SQLite(t)
	clock := &manualClock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	svc := testrig.Service(t, service.Options{Store: db, Clock: clock, Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	if _, _, err := svc.Webhooks.Subscribe(ctx, p, "https://example.com/x", []string{"message_created"}); err != nil {
		t.Fatal(err)
	}
	hook := func() carillon.Webhook {
		w, err := db.WebhookByAccount(ctx, p.Account.ID)
		if err != nil {
			t.Fatal(err)
		}
		return w
	}
	due := func() bool {
		ok, err := svc.Webhooks.HealthCheckDue(ctx, hook())
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	clock.advance(4 * time.Minute)
	if due() {
		t.Error("a check is due 4 minutes after subscribing")
	}
	clock.advance(time.Minute)
	if !due() {
		t.Fatal("no check due after 5 minutes without a delivery")
	}
	if due() {
		t.Error("the same check was taken twice")
	}
	// A failed check does not disable a webhook that answered recently.
	if disabled, _ := svc.Webhooks.RecordHealthCheck(ctx, hook(), false); disabled {
		t.Error("disabled after 5 minutes")
	}
	clock.advance(5 * time.Minute)
	if !due() {
		t.Error("no check 5 minutes after the last")
	}
	if _, err := svc.Webhooks.RecordHealthCheck(ctx, hook(), true); err != nil {
		t.Fatal(err)
	}
	clock.advance(time.Minute)
	if due() {
		t.Error("a check is due a minute after a successful one")
	}
	clock.advance(6 * time.Hour)
	disabled, err := svc.Webhooks.RecordHealthCheck(ctx, hook(), false)
	if err != nil || !disabled || hook().Enabled {
		t.Fatalf("after 6 hours without a 2xx: disabled %v, %v, enabled %v", disabled, err, hook().Enabled)
	}
	if list, _ := svc.Webhooks.DeliverableWebhooks(ctx); len(list) != 0 {
		t.Errorf("a disabled webhook is deliverable")
	}
	if due() {
		t.Error("a disabled webhook is checked")
	}
	w, _, err := svc.Webhooks.Subscribe(ctx, p, "https://example.com/x", []string{"message_created"})
	if err != nil || !w.Enabled {
		t.Errorf("subscribing again: %+v, %v", w, err)
	}
}

// Recording a delivery claims the events it released, the next of each
// subject, in the order they were recorded: in the same transaction on
// SQLite, just after its commit on PostgreSQL.
func TestRecordingClaimsTheEventsItReleased(t *testing.T) {
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		svc := testrig.Service(t, service.Options{Store: db, Registry: providers})
		p := testrig.DefaultAccount(t, svc).Principal
		w, _, err := svc.Webhooks.Subscribe(ctx, p, "https://hooks.example.com/x", carillon.WebhookEventNames)
		if err != nil {
			t.Fatal(err)
		}
		for _, body := range []string{"one", "two"} {
			if _, err := svc.Messages.Send(ctx, p, text("+31612345678", body)); err != nil {
				t.Fatal(err)
			}
		}
		const lease = time.Minute
		claimed, err := svc.Webhooks.ClaimWebhookEvents(ctx, w, 10, lease)
		if err != nil {
			t.Fatal(err)
		}
		var delivered []string
		for len(claimed) > 0 {
			if len(claimed) != 1 {
				t.Fatalf("claimed %q at once: the events of one contact go one at a time", eventNames(claimed))
			}
			delivered = append(delivered, claimed[0].Event)
			attempt := service.WebhookAttempt{Event: claimed[0], At: time.Now(), Success: true, Response: carillon.WebhookResponse{Code: 200}}
			recorded, later, next, err := svc.Webhooks.RecordAndClaimWebhookEvents(ctx, w, []service.WebhookAttempt{attempt}, 10, lease)
			if err != nil || len(recorded) != 1 || len(later) != 0 {
				t.Fatalf("RecordAndClaimWebhookEvents: %d recorded, %d left, %v", len(recorded), len(later), err)
			}
			claimed = next
		}
		want := "contact_created,conversation_opened,message_created,message_created"
		if got := strings.Join(delivered, ","); got != want {
			t.Errorf("delivered %s, want %s", got, want)
		}
	})
}
