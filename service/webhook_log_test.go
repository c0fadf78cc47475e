package service_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// logFixture is a service with a manual clock, the default account and
// its webhook.
type logFixture struct {
	svc   *service.Service
	db    *store.DB
	clock *manualClock
	p     service.Principal
	hook  carillon.Webhook
}

func newLogFixture(t *testing.T) *logFixture {
	t.Helper()
	db := testrig.SQLite(t)
	clock := &manualClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
	svc := testrig.Service(t, service.Options{Store: db, Clock: clock, Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	w, _, err := svc.Webhooks.Subscribe(context.Background(), p, "https://example.com/hook", []string{carillon.EventContactCreated})
	if err != nil {
		t.Fatal(err)
	}
	return &logFixture{svc: svc, db: db, clock: clock, p: p, hook: w}
}

// event adds an event of subject, created at, in state (attempted once
// unless pending and never attempted).
func (f *logFixture) event(t *testing.T, subject string, created time.Time, state carillon.WebhookEventState, attempted bool) carillon.WebhookEvent {
	t.Helper()
	e := carillon.WebhookEvent{UUID: "msg_" + carillon.NewUUID(), AccountID: f.p.Account.ID, WebhookID: f.hook.ID, Event: carillon.EventContactCreated,
		Subject: subject, Body: json.RawMessage(`{"event":"contact_created","payload":{}}`), State: state, CreatedAt: created}
	if attempted {
		e.Attempts, e.FirstAttemptAt, e.LastAttemptAt = 1, created, created
		e.Success = state == carillon.EventDelivered
		e.Response = carillon.WebhookResponse{Code: 500}
		if e.Success {
			e.Response.Code = 200
		}
	} else {
		e.NextAttemptAt = created
	}
	if err := f.db.AddWebhookEvent(context.Background(), &e); err != nil {
		t.Fatal(err)
	}
	return e
}

func (f *logFixture) read(t *testing.T, e carillon.WebhookEvent) carillon.WebhookEvent {
	t.Helper()
	got, err := f.db.WebhookEventByUUID(context.Background(), f.p.Account.ID, e.UUID)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestWebhookLogQuery(t *testing.T) {
	ctx := context.Background()
	f := newLogFixture(t)
	for i := range service.WebhookLogSize + 10 {
		state := []carillon.WebhookEventState{carillon.EventPending, carillon.EventDelivered, carillon.EventGivenUp}[i%3]
		f.event(t, fmt.Sprint(i), f.clock.Now().Add(time.Duration(i)*time.Minute), state, i%3 != 0)
	}
	first, err := f.svc.Webhooks.WebhookLog(ctx, f.p, service.WebhookLogQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if len(first.Events) != service.WebhookLogSize || first.Next == "" {
		t.Fatalf("first page: %d events, next %q", len(first.Events), first.Next)
	}
	second, err := f.svc.Webhooks.WebhookLog(ctx, f.p, service.WebhookLogQuery{After: first.Next})
	if err != nil {
		t.Fatal(err)
	}
	if len(second.Events) != 10 || second.Next != "" || second.Events[0].ID >= first.Events[len(first.Events)-1].ID {
		t.Fatalf("second page: %d events, next %q", len(second.Events), second.Next)
	}
	given, err := f.svc.Webhooks.WebhookLog(ctx, f.p, service.WebhookLogQuery{State: "given_up", Success: "false",
		Event: carillon.EventContactCreated, From: "2026-12-04T12:00", To: "2026-12-04T12:10:00Z"})
	if err != nil {
		t.Fatal(err)
	}
	if len(given.Events) != 3 { // minutes 2, 5 and 8
		t.Errorf("given up in the first 10 minutes: %d events, want 3", len(given.Events))
	}

	cases := []struct {
		q     service.WebhookLogQuery
		field string
	}{
		{service.WebhookLogQuery{Event: "nope"}, "event"},
		{service.WebhookLogQuery{State: "failed"}, "state"},
		{service.WebhookLogQuery{Success: "yes"}, "success"},
		{service.WebhookLogQuery{From: "yesterday"}, "from"},
		{service.WebhookLogQuery{To: "2026-13-01T00:00"}, "to"},
		{service.WebhookLogQuery{From: "2026-12-04T12:00", To: "2026-12-04T12:00"}, "to"},
		{service.WebhookLogQuery{After: "42"}, "after"},
		{service.WebhookLogQuery{After: "e-1"}, "after"},
	}
	for _, c := range cases {
		_, err := f.svc.Webhooks.WebhookLog(ctx, f.p, c.q)
		wantCode(t, err, carillon.CodeInvalidParameter, c.field)
	}
	if _, err := f.svc.Webhooks.WebhookLog(ctx, f.p, service.WebhookLogQuery{Event: carillon.EventWebhookTest}); err != nil {
		t.Errorf("the test events' name is refused: %v", err)
	}
}

func TestSendTestEvent(t *testing.T) {
	ctx := context.Background()
	f := newLogFixture(t)
	e, err := f.svc.Webhooks.SendTestEvent(ctx, f.p)
	if err != nil {
		t.Fatal(err)
	}
	got := f.read(t, e)
	var body struct {
		Event   string `json:"event"`
		Payload struct {
			Message, SentAt string
		} `json:"payload"`
	}
	if err := json.Unmarshal(got.Body, &body); err != nil {
		t.Fatal(err)
	}
	if got.Event != carillon.EventWebhookTest || body.Event != carillon.EventWebhookTest || body.Payload.SentAt != "2026-12-04T12:00:00Z" ||
		got.State != carillon.EventPending || !got.NextAttemptAt.Equal(f.clock.Now()) {
		t.Errorf("test event = %+v, body %s", got, got.Body)
	}
	// It is delivered and logged like any event.
	claimed, err := f.svc.Webhooks.ClaimWebhookEvents(ctx, f.hook, 10, time.Minute)
	if err != nil || len(claimed) != 1 || claimed[0].UUID != e.UUID {
		t.Fatalf("claimed %+v, %v", claimed, err)
	}
	headers := map[string]string{"Webhook-Id": e.UUID, "Webhook-Signature": "v1,x"}
	if _, err := f.svc.Webhooks.RecordWebhookAttempts(ctx, f.hook, []service.WebhookAttempt{{Event: claimed[0], At: f.clock.Now(), Success: true,
		Response: carillon.WebhookResponse{Code: 204}, RequestHeaders: headers, Duration: 3 * time.Millisecond}}); err != nil {
		t.Fatal(err)
	}
	v, err := f.svc.Webhooks.WebhookEvent(ctx, f.p, e.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if v.Event.State != carillon.EventDelivered || len(v.Attempts) != 1 || v.Attempts[0].Number != 1 || v.Attempts[0].Response.Code != 204 ||
		v.Attempts[0].RequestHeaders["Webhook-Signature"] != "v1,x" || v.Attempts[0].Duration != 3*time.Millisecond {
		t.Errorf("logged test event = %+v", v)
	}
	// The API's log lists it, and filters by its name.
	if list, _, err := f.svc.Webhooks.WebhookEvents(ctx, f.p, service.WebhookEventQuery{Subscriptions: carillon.EventWebhookTest}, service.PageRequest{}); err != nil ||
		len(list) != 1 || list[0].UUID != e.UUID {
		t.Errorf("the API's log of test events: %+v, %v", list, err)
	}
	// A second one waits behind nothing.
	e2, err := f.svc.Webhooks.SendTestEvent(ctx, f.p)
	if err != nil || f.read(t, e2).NextAttemptAt.IsZero() || e2.Subject == e.Subject {
		t.Errorf("second test event %+v, %v", e2, err)
	}

	f.clock.advance(7 * time.Hour)
	if _, err := f.svc.Webhooks.RecordHealthCheck(ctx, f.hook, false); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Webhooks.SendTestEvent(ctx, f.p)
	wantCode(t, err, carillon.CodeConflict, "")
	st, err := f.svc.Webhooks.WebhookStatus(ctx, f.p)
	if err != nil || st.Enabled || !st.DisabledAt.Equal(f.clock.Now()) || st.DisableAfter != 6*time.Hour || st.LastDelivery == nil {
		t.Errorf("status of the disabled webhook = %+v, %v", st, err)
	}

	if err := f.svc.Webhooks.Unsubscribe(ctx, f.p); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Webhooks.SendTestEvent(ctx, f.p)
	wantCode(t, err, carillon.CodeNotFound, "")
	_, err = f.svc.Webhooks.WebhookStatus(ctx, f.p)
	wantCode(t, err, carillon.CodeNotFound, "")
	_, err = f.svc.Webhooks.WebhookEvent(ctx, f.p, e.UUID)
	wantCode(t, err, carillon.CodeNotFound, "")
}

func TestResendFailed(t *testing.T) {
	ctx := context.Background()
	f := newLogFixture(t)
	t0 := f.clock.Now().Add(-time.Hour)
	a1 := f.event(t, "a", t0, carillon.EventGivenUp, true)
	a2 := f.event(t, "a", t0.Add(time.Minute), carillon.EventGivenUp, true)
	b1 := f.event(t, "b", t0.Add(2*time.Minute), carillon.EventGivenUp, true)
	live := f.event(t, "b", t0.Add(3*time.Minute), carillon.EventPending, false) // b is busy
	retrying := f.event(t, "c", t0.Add(4*time.Minute), carillon.EventPending, true)
	delivered := f.event(t, "d", t0.Add(5*time.Minute), carillon.EventDelivered, true)
	late := f.event(t, "e", t0.Add(30*time.Minute), carillon.EventGivenUp, true)
	// More of one subject than one transaction queues.
	var many []carillon.WebhookEvent
	for i := range 205 {
		many = append(many, f.event(t, "z", t0.Add(10*time.Minute+time.Duration(i)*time.Millisecond), carillon.EventGivenUp, true))
	}

	n, err := f.svc.Webhooks.ResendFailed(ctx, f.p, t0.Format(time.RFC3339), t0.Add(20*time.Minute).Format(time.RFC3339))
	if err != nil {
		t.Fatal(err)
	}
	if n != 3+205 {
		t.Errorf("queued %d, want %d", n, 3+205)
	}
	now := f.clock.Now()
	cases := []struct {
		name  string
		e     carillon.WebhookEvent
		state carillon.WebhookEventState
		due   time.Time
	}{
		{"the oldest of a", a1, carillon.EventPending, now},
		{"the next of a: waits for the first", a2, carillon.EventPending, time.Time{}},
		{"b, whose subject has a pending event: waits", b1, carillon.EventPending, time.Time{}},
		{"the pending event of b: untouched", live, carillon.EventPending, live.NextAttemptAt},
		{"still retrying: untouched", retrying, carillon.EventPending, time.Time{}},
		{"delivered: untouched", delivered, carillon.EventDelivered, time.Time{}},
		{"out of the period: untouched", late, carillon.EventGivenUp, time.Time{}},
		{"the oldest of z", many[0], carillon.EventPending, now},
		{"the 201st of z: waits, in the second transaction", many[200], carillon.EventPending, time.Time{}},
	}
	for _, c := range cases {
		got := f.read(t, c.e)
		if got.State != c.state || !got.NextAttemptAt.Equal(c.due) {
			t.Errorf("%s: %s due %s, want %s due %s", c.name, got.State, got.NextAttemptAt, c.state, c.due)
		}
		if c.state == carillon.EventPending && c.e.State == carillon.EventGivenUp {
			if got.Attempts != 1 || !got.FirstAttemptAt.IsZero() || got.Response.Code != 500 {
				t.Errorf("%s: queued as %+v: the attempts and answer kept, the retry period started again", c.name, got)
			}
		}
	}
	// Once a's first is delivered, its second is released.
	claimed, err := f.svc.Webhooks.ClaimWebhookEvents(ctx, f.hook, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	var attempts []service.WebhookAttempt
	for _, e := range claimed {
		attempts = append(attempts, service.WebhookAttempt{Event: e, At: now, Success: true, Response: carillon.WebhookResponse{Code: 200}})
	}
	if _, err := f.svc.Webhooks.RecordWebhookAttempts(ctx, f.hook, attempts); err != nil {
		t.Fatal(err)
	}
	if got := f.read(t, a2); got.NextAttemptAt.IsZero() {
		t.Errorf("a's second event still waits after the first was delivered")
	}

	n, err = f.svc.Webhooks.ResendFailed(ctx, f.p, "", "")
	if err != nil || n != 1 {
		t.Errorf("resending every failed event after: %d, %v; want the late one alone", n, err)
	}
	_, err = f.svc.Webhooks.ResendFailed(ctx, f.p, "2026-12-04T12:00", "2026-12-04T11:00")
	wantCode(t, err, carillon.CodeInvalidParameter, "to")
	if err := f.svc.Webhooks.Unsubscribe(ctx, f.p); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Webhooks.ResendFailed(ctx, f.p, "", "")
	wantCode(t, err, carillon.CodeNotFound, "")
}

// The delivery log keeps an event delivered or given up for LogRetention
// from its creation; pending events stay whatever their age, and a
// retention of 0 keeps everything.
func TestForgetOldWebhookEvents(t *testing.T) {
	for _, tc := range []struct {
		name      string
		retention time.Duration
		gone      []string // the subjects of the events deleted
	}{
		{"thirty days", 30 * 24 * time.Hour, []string{"delivered 31 days ago", "given up 31 days ago"}},
		{"a day", 24 * time.Hour, []string{"delivered 31 days ago", "given up 31 days ago", "delivered 29 days ago"}},
		{"kept as long as the webhook", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			db := testrig.SQLite(t)
			clock := &manualClock{t: time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)}
			svc := testrig.Service(t, service.Options{Store: db, Clock: clock, Registry: providers,
				Webhooks: service.WebhookOptions{LogRetention: tc.retention}})
			p := testrig.DefaultAccount(t, svc).Principal
			w, _, err := svc.Webhooks.Subscribe(ctx, p, "https://example.com/hook", []string{carillon.EventContactCreated})
			if err != nil {
				t.Fatal(err)
			}
			f := &logFixture{svc: svc, db: db, clock: clock, p: p, hook: w}
			daysAgo := func(d int) time.Time { return clock.Now().Add(-time.Duration(d) * 24 * time.Hour) }
			events := []carillon.WebhookEvent{
				f.event(t, "delivered 31 days ago", daysAgo(31), carillon.EventDelivered, true),
				f.event(t, "given up 31 days ago", daysAgo(31), carillon.EventGivenUp, true),
				f.event(t, "pending 31 days ago", daysAgo(31), carillon.EventPending, true),
				f.event(t, "delivered 29 days ago", daysAgo(29), carillon.EventDelivered, true),
			}
			n, err := svc.Webhooks.ForgetOldEvents(ctx)
			if err != nil || n != int64(len(tc.gone)) {
				t.Errorf("ForgetOldEvents deleted %d (%v), want %d", n, err, len(tc.gone))
			}
			for _, e := range events {
				_, err := db.WebhookEventByUUID(ctx, p.Account.ID, e.UUID)
				if gone := slices.Contains(tc.gone, e.Subject); gone != (err == carillon.ErrNotFound) {
					t.Errorf("the event %s: %v, want it deleted: %t", e.Subject, err, gone)
				}
			}
		})
	}
}
