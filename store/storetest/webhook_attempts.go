package storetest

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The delivery log's attempts and its keyset pages (store/webhook_attempts.go).

func testWebhookAttempts(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	w, wb := e.webhook(a.ID), e.webhook(b.ID)
	first, second := e.webhookEvent(w, "c1", at(0)), e.webhookEvent(w, "c2", at(0))
	other := e.webhookEvent(wb, "c1", at(0))

	none, err := e.s.WebhookAttempts(e.ctx, first.ID)
	e.must(err, "WebhookAttempts before any")
	check(t, "attempts before any", len(none), 0)

	failed := carillon.WebhookAttempt{EventID: first.ID, Number: 1, At: sloppy(at(time.Second)), Duration: 1234567 * time.Microsecond,
		RequestHeaders: map[string]string{"Webhook-Id": first.UUID, "Webhook-Signature": "v1,abc= v1,def="},
		Error:          "dial tcp 192.0.2.1:443: connect: connection refused"} // no answer: no response headers
	answered := carillon.WebhookAttempt{EventID: first.ID, Number: 2, At: sloppy(at(time.Minute)), Duration: 800 * time.Microsecond,
		RequestHeaders: map[string]string{"Webhook-Id": first.UUID}, Success: true,
		Response: carillon.WebhookResponse{Code: 200, Body: `{"ok":"it's ✓"}`, Headers: map[string]string{"Content-Type": "application/json"}}}
	// More attempts of the second event than one statement's rows, in the
	// same batch as the first event's.
	batch := []carillon.WebhookAttempt{failed, answered}
	for i := range 70 {
		batch = append(batch, carillon.WebhookAttempt{EventID: second.ID, Number: i + 1, At: at(time.Duration(i) * time.Second),
			Duration: time.Duration(i) * time.Millisecond, Response: carillon.WebhookResponse{Code: 500 + i%4, Body: fmt.Sprint(i)}})
	}
	batch = append(batch, carillon.WebhookAttempt{EventID: other.ID, Number: 1, At: at(0), Response: carillon.WebhookResponse{Code: 410}})
	e.must(e.s.AddWebhookAttempts(e.ctx, batch), "AddWebhookAttempts")

	got, err := e.s.WebhookAttempts(e.ctx, first.ID)
	e.must(err, "WebhookAttempts")
	if len(got) != 2 {
		t.Fatalf("attempts of the first event: %d, want 2", len(got))
	}
	for i, want := range []carillon.WebhookAttempt{failed, answered} {
		if got[i].ID == 0 {
			t.Errorf("attempt %d has no id", i+1)
		}
		want.ID, want.At = got[i].ID, norm(want.At)
		check(t, fmt.Sprintf("attempt %d", i+1), got[i], want)
	}
	if got[0].ID >= got[1].ID {
		t.Errorf("attempts not oldest first: ids %d, %d", got[0].ID, got[1].ID)
	}
	seconds, err := e.s.WebhookAttempts(e.ctx, second.ID)
	e.must(err, "WebhookAttempts")
	check(t, "attempts of the second event", len(seconds), 70)
	for i, s := range seconds {
		if s.Number != i+1 || s.Response.Body != fmt.Sprint(i) || s.Duration != time.Duration(i)*time.Millisecond {
			t.Errorf("attempt %d of the second event: number %d, body %q, duration %s", i+1, s.Number, s.Response.Body, s.Duration)
		}
	}

	// Text neither store can keep the same way is refused whole: none of
	// the batch is written.
	bad := []carillon.WebhookAttempt{
		{EventID: first.ID, Number: 3, At: at(time.Hour), Response: carillon.WebhookResponse{Code: 200, Body: "fine"}},
		{EventID: first.ID, Number: 4, At: at(time.Hour), Response: carillon.WebhookResponse{Code: 200, Body: "nul \x00 byte"}},
	}
	wantErr(t, "attempt with a NUL", e.s.AddWebhookAttempts(e.ctx, bad), carillon.ErrInvalidText)
	got, err = e.s.WebhookAttempts(e.ctx, first.ID)
	e.must(err, "WebhookAttempts")
	check(t, "attempts after a refused batch", len(got), 2)

	// Attempts go with their webhook's events, finished or not: the
	// store's own tests delete them two a transaction, so these take
	// several.
	gone := []carillon.WebhookEvent{first, second}
	var finished []carillon.WebhookAttempt
	for i := range 7 {
		ev := e.webhookEvent(w, fmt.Sprint("f", i), at(0))
		ev.State, ev.Attempts, ev.NextAttemptAt = carillon.EventDelivered, 1, time.Time{}
		if i%3 == 2 {
			ev.State = carillon.EventGivenUp
		}
		e.must(e.s.UpdateWebhookEvents(e.ctx, []carillon.WebhookEvent{ev}), "UpdateWebhookEvents")
		finished = append(finished, carillon.WebhookAttempt{EventID: ev.ID, Number: 1, At: at(0), Response: carillon.WebhookResponse{Code: 200}})
		gone = append(gone, ev)
	}
	e.must(e.s.AddWebhookAttempts(e.ctx, finished), "AddWebhookAttempts of finished events")
	e.must(e.s.DeleteWebhook(e.ctx, a.ID), "DeleteWebhook")
	for _, ev := range gone {
		got, err := e.s.WebhookAttempts(e.ctx, ev.ID)
		e.must(err, "WebhookAttempts after delete")
		check(t, "attempts after the webhook's delete", len(got), 0)
		_, err = e.s.WebhookEventByUUID(e.ctx, a.ID, ev.UUID)
		wantErr(t, "an event after its webhook's delete", err, carillon.ErrNotFound)
	}
	kept, err := e.s.WebhookAttempts(e.ctx, other.ID)
	e.must(err, "WebhookAttempts of another account")
	check(t, "attempts of another account's event", len(kept), 1)
}

func testWebhookEventLogPages(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	w, wb := e.webhook(a.ID), e.webhook(b.ID)
	// Eight events, one a second: 0 and 1 never attempted (1 waiting), 2-3
	// delivered, 4-5 pending after a failure, 6-7 given up; 1, 3, 5 and 7
	// are contact_created, the others message_created.
	var events []carillon.WebhookEvent
	for i := range 8 {
		ev := carillon.WebhookEvent{UUID: fmt.Sprintf("msg_%d", i), AccountID: a.ID, WebhookID: w.ID, Event: carillon.EventMessageCreated,
			Subject: fmt.Sprint(i), Body: json.RawMessage(`{"n":` + fmt.Sprint(i) + `}`), State: carillon.EventPending, CreatedAt: at(time.Duration(i) * time.Second)}
		if i%2 == 1 {
			ev.Event = carillon.EventContactCreated
		}
		switch {
		case i == 0:
			ev.NextAttemptAt = at(0)
		case i >= 2:
			ev.Attempts, ev.FirstAttemptAt, ev.LastAttemptAt = 1, at(time.Minute), at(time.Minute)
			ev.Success = i < 4
			ev.State = map[int]carillon.WebhookEventState{2: carillon.EventDelivered, 4: carillon.EventPending, 6: carillon.EventGivenUp}[i&^1]
		}
		e.must(e.s.AddWebhookEvent(e.ctx, &ev), "AddWebhookEvent")
		events = append(events, ev)
	}
	e.webhookEvent(wb, "x", at(0)) // another account's: never listed
	id := func(i int) int64 { return events[i].ID }
	yes, no := true, false
	cases := []struct {
		name string
		f    carillon.WebhookLogFilter
		want string
	}{
		{"all, newest first", carillon.WebhookLogFilter{Limit: 10}, "7 6 5 4 3 2 1 0"},
		{"a page", carillon.WebhookLogFilter{Limit: 3}, "7 6 5"},
		{"the next page", carillon.WebhookLogFilter{Before: id(5), Limit: 3}, "4 3 2"},
		{"the last page", carillon.WebhookLogFilter{Before: id(2), Limit: 3}, "1 0"},
		{"after", carillon.WebhookLogFilter{After: id(5), Limit: 10}, "7 6"},
		{"oldest first", carillon.WebhookLogFilter{OldestFirst: true, Limit: 3}, "0 1 2"},
		{"after, oldest first", carillon.WebhookLogFilter{After: id(5), OldestFirst: true, Limit: 10}, "6 7"},
		{"between", carillon.WebhookLogFilter{After: id(1), Before: id(5), OldestFirst: true, Limit: 10}, "2 3 4"},
		{"pending", carillon.WebhookLogFilter{State: carillon.EventPending, Limit: 10}, "5 4 1 0"},
		{"delivered", carillon.WebhookLogFilter{State: carillon.EventDelivered, Limit: 10}, "3 2"},
		{"given up", carillon.WebhookLogFilter{State: carillon.EventGivenUp, Limit: 10}, "7 6"},
		{"success", carillon.WebhookLogFilter{Success: &yes, Limit: 10}, "3 2"},
		{"failed: attempted only", carillon.WebhookLogFilter{Success: &no, Limit: 10}, "7 6 5 4"},
		{"by event", carillon.WebhookLogFilter{Events: []string{carillon.EventContactCreated}, Limit: 10}, "7 5 3 1"},
		{"from", carillon.WebhookLogFilter{From: at(6 * time.Second), Limit: 10}, "7 6"},
		{"to, excluded", carillon.WebhookLogFilter{To: at(2 * time.Second), Limit: 10}, "1 0"},
		{"a range", carillon.WebhookLogFilter{From: at(3 * time.Second), To: at(5*time.Second + time.Millisecond), Limit: 10}, "5 4 3"},
		{"every filter", carillon.WebhookLogFilter{Events: []string{carillon.EventContactCreated}, State: carillon.EventGivenUp, Success: &no,
			From: at(time.Second), To: at(time.Hour), Before: id(7) + 1, Limit: 10}, "7"},
		{"nothing", carillon.WebhookLogFilter{State: carillon.EventDelivered, Success: &no, Limit: 10}, ""},
		{"by two events", carillon.WebhookLogFilter{Events: []string{carillon.EventContactCreated, carillon.EventMessageCreated}, Limit: 3}, "7 6 5"},
		{"by an event none has", carillon.WebhookLogFilter{Events: []string{carillon.EventWebhookTest}, Limit: 10}, ""},
		{"by event, a page after a cursor", carillon.WebhookLogFilter{Events: []string{carillon.EventMessageCreated}, Before: id(6), Limit: 2}, "4 2"},
		{"a range, a page", carillon.WebhookLogFilter{From: at(time.Second), To: at(6 * time.Second), Limit: 2}, "5 4"},
		{"a range, the next page", carillon.WebhookLogFilter{From: at(time.Second), To: at(6 * time.Second), Before: id(4), Limit: 2}, "3 2"},
		{"a range, oldest first", carillon.WebhookLogFilter{From: at(time.Second), To: at(6 * time.Second), After: id(2), OldestFirst: true, Limit: 2}, "3 4"},
		{"a range, success", carillon.WebhookLogFilter{From: at(time.Second), To: at(6 * time.Second), Success: &yes, Limit: 10}, "3 2"},
	}
	// logged checks the events a filter lists, by their numbers.
	logged := func(name string, f carillon.WebhookLogFilter, want string) {
		t.Helper()
		got, err := e.s.WebhookEventLog(e.ctx, w.ID, f)
		e.must(err, "WebhookEventLog "+name)
		var names []string
		for _, g := range got {
			names = append(names, strings.TrimPrefix(g.UUID, "msg_"))
		}
		check(t, name, strings.Join(names, " "), want)
	}
	for _, c := range cases {
		logged(c.name, c.f, c.want)
	}
	// A range's page is in id order, also when the times are not (an
	// event recorded later, stamped earlier).
	late := carillon.WebhookEvent{UUID: "msg_8", AccountID: a.ID, WebhookID: w.ID, Event: carillon.EventMessageCreated, Subject: "8",
		Body: json.RawMessage(`{"n":8}`), State: carillon.EventDelivered, CreatedAt: at(2*time.Second + 500*time.Millisecond)}
	e.must(e.s.AddWebhookEvent(e.ctx, &late), "AddWebhookEvent")
	for _, c := range []struct {
		name string
		f    carillon.WebhookLogFilter
		want string
	}{
		{"a range, recorded out of time order", carillon.WebhookLogFilter{From: at(2 * time.Second), To: at(4 * time.Second), Limit: 2}, "8 3"},
		{"a range, recorded out of time order, oldest first", carillon.WebhookLogFilter{From: at(2 * time.Second), To: at(4 * time.Second), OldestFirst: true, Limit: 2}, "2 3"},
	} {
		logged(c.name, c.f, c.want)
	}
	// An entry is the whole event, its body included.
	got, err := e.s.WebhookEventLog(e.ctx, w.ID, carillon.WebhookLogFilter{After: id(5), OldestFirst: true, Limit: 1})
	e.must(err, "WebhookEventLog")
	want := events[6]
	want.FirstAttemptAt, want.LastAttemptAt, want.CreatedAt = norm(want.FirstAttemptAt), norm(want.LastAttemptAt), norm(want.CreatedAt)
	check(t, "a log entry", got, []carillon.WebhookEvent{want})
}
