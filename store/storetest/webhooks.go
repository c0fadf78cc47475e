package storetest

import (
	"encoding/json"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

func (e *env) webhook(accountID int64) carillon.Webhook {
	e.t.Helper()
	w := carillon.Webhook{AccountID: accountID, URL: "https://example.com/hook", Subscriptions: []string{carillon.EventMessageCreated},
		Secret: "whsec_c2VjcmV0", Enabled: true, CreatedAt: base, UpdatedAt: base}
	e.must(e.s.SaveWebhook(e.ctx, &w), "SaveWebhook")
	return w
}

func (e *env) webhookEvent(w carillon.Webhook, subject string, next time.Time) carillon.WebhookEvent {
	e.t.Helper()
	ev := carillon.WebhookEvent{UUID: "msg_" + carillon.NewUUID(), AccountID: w.AccountID, WebhookID: w.ID, Event: carillon.EventMessageCreated,
		Subject: subject, Body: json.RawMessage(`{"event":"message_created","payload":{}}`), State: carillon.EventPending,
		NextAttemptAt: next, CreatedAt: base}
	e.must(e.s.AddWebhookEvent(e.ctx, &ev), "AddWebhookEvent")
	return ev
}

func eventUUIDs(es []carillon.WebhookEvent) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.UUID)
	}
	return out
}

func testWebhooks(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	if _, err := e.s.WebhookByAccount(e.ctx, a.ID); err != carillon.ErrNotFound {
		t.Fatalf("WebhookByAccount before any: %v, want ErrNotFound", err)
	}
	w := carillon.Webhook{AccountID: a.ID, URL: "https://example.com/hook", Subscriptions: []string{"message_created", "contact_created"},
		Secret: "whsec_first", Enabled: true, LastSuccessAt: sloppy(at(time.Second)), CreatedAt: sloppy(base), UpdatedAt: sloppy(base)}
	e.must(e.s.SaveWebhook(e.ctx, &w), "SaveWebhook")
	got, err := e.s.WebhookByAccount(e.ctx, a.ID)
	e.must(err, "WebhookByAccount")
	want := w
	want.LastSuccessAt, want.CreatedAt, want.UpdatedAt = norm(w.LastSuccessAt), norm(w.CreatedAt), norm(w.UpdatedAt)
	check(t, "saved webhook", got, want)

	// Saving again replaces every field and keeps the id.
	w2 := want
	w2.URL, w2.Subscriptions, w2.Enabled = "https://example.com/other", []string{"contact_deleted"}, false
	w2.PreviousSecret, w2.PreviousSecretUntil, w2.Secret = "whsec_first", at(time.Hour), "whsec_second"
	w2.LastCheckAt, w2.UpdatedAt = at(time.Minute), at(2*time.Minute)
	e.must(e.s.SaveWebhook(e.ctx, &w2), "SaveWebhook replace")
	if w2.ID != w.ID {
		t.Errorf("replaced webhook id %d, want %d", w2.ID, w.ID)
	}
	got, err = e.s.WebhookByAccount(e.ctx, a.ID)
	e.must(err, "WebhookByAccount")
	check(t, "replaced webhook", got, w2)

	// Health: success moves forward only; disable and check are
	// conditional, so that two instances do not both act.
	e.must(e.s.MarkWebhookSuccess(e.ctx, w.ID, at(time.Hour)), "MarkWebhookSuccess")
	e.must(e.s.MarkWebhookSuccess(e.ctx, w.ID, at(time.Minute)), "MarkWebhookSuccess earlier")
	disabled, err := e.s.DisableWebhook(e.ctx, w.ID, at(time.Hour), at(2*time.Hour))
	e.must(err, "DisableWebhook")
	check(t, "disabled with a success at the limit", disabled, false)
	got, err = e.s.WebhookByAccount(e.ctx, a.ID)
	e.must(err, "WebhookByAccount")
	check(t, "last success moved forward only", got.LastSuccessAt.String(), norm(at(time.Hour)).String())
	got.Enabled = true
	e.must(e.s.SaveWebhook(e.ctx, &got), "SaveWebhook enable")
	disabled, err = e.s.DisableWebhook(e.ctx, w.ID, at(time.Hour+time.Millisecond), at(2*time.Hour))
	e.must(err, "DisableWebhook")
	check(t, "disabled after the quiet period", disabled, true)
	got, err = e.s.WebhookByAccount(e.ctx, a.ID)
	e.must(err, "WebhookByAccount")
	check(t, "disabled webhook enabled", got.Enabled, false)
	check(t, "disabled webhook last success", got.LastSuccessAt.String(), norm(at(time.Hour)).String())
	check(t, "disabled webhook updated", got.UpdatedAt.String(), norm(at(2*time.Hour)).String())
	checked, err := e.s.MarkWebhookChecked(e.ctx, w.ID, at(time.Minute), at(3*time.Hour))
	e.must(err, "MarkWebhookChecked")
	check(t, "first check", checked, true)
	checked, err = e.s.MarkWebhookChecked(e.ctx, w.ID, at(time.Minute), at(3*time.Hour))
	e.must(err, "MarkWebhookChecked")
	check(t, "same check from another instance", checked, false)

	wb := e.webhook(b.ID)
	all, err := e.s.ListWebhooks(e.ctx)
	e.must(err, "ListWebhooks")
	check(t, "webhook accounts", []int64{all[0].AccountID, all[1].AccountID}, []int64{a.ID, b.ID})

	e.webhookEvent(wb, "c1", at(0))
	e.must(e.s.DeleteWebhook(e.ctx, b.ID), "DeleteWebhook")
	wantErr(t, "webhook after delete", func() error { _, err := e.s.WebhookByAccount(e.ctx, b.ID); return err }(), carillon.ErrNotFound)
	wantErr(t, "delete twice", e.s.DeleteWebhook(e.ctx, b.ID), carillon.ErrNotFound)
	n, err := e.s.CountPendingWebhookEvents(e.ctx)
	e.must(err, "CountPendingWebhookEvents")
	check(t, "events left after delete", n, int64(0))
}

func testWebhookEvents(t *testing.T, e *env) {
	a := e.account("a")
	w := e.webhook(a.ID)

	ev := carillon.WebhookEvent{UUID: "msg_1", AccountID: a.ID, WebhookID: w.ID, Event: carillon.EventContactCreated, Subject: "c1",
		Body: json.RawMessage(`{"event":"contact_created","payload":{"uuid":"x"}}`), State: carillon.EventPending,
		NextAttemptAt: sloppy(at(0)), CreatedAt: sloppy(at(0))}
	e.must(e.s.AddWebhookEvent(e.ctx, &ev), "AddWebhookEvent")
	got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, "msg_1")
	e.must(err, "WebhookEventByUUID")
	want := ev
	want.NextAttemptAt, want.CreatedAt = norm(ev.NextAttemptAt), norm(ev.CreatedAt)
	check(t, "added event", got, want)
	other := e.account("other")
	wantErr(t, "event of another account", func() error { _, err := e.s.WebhookEventByUUID(e.ctx, other.ID, "msg_1"); return err }(), carillon.ErrNotFound)
	wantErr(t, "same uuid twice", e.s.AddWebhookEvent(e.ctx, &carillon.WebhookEvent{UUID: "msg_1", AccountID: a.ID, WebhookID: w.ID,
		Event: "contact_created", Subject: "c1", Body: json.RawMessage(`{}`), State: carillon.EventPending, CreatedAt: base}), carillon.ErrConflict)

	pending, err := e.s.PendingWebhookEvent(e.ctx, w.ID, "c1")
	e.must(err, "PendingWebhookEvent")
	check(t, "c1 pending", pending, true)
	pending, err = e.s.PendingWebhookEvent(e.ctx, w.ID, "c2")
	e.must(err, "PendingWebhookEvent")
	check(t, "c2 pending", pending, false)

	// A claim takes what is due, oldest due first, and leases it.
	late := e.webhookEvent(w, "c2", at(10*time.Second))
	waiting := e.webhookEvent(w, "c1", time.Time{})
	claimed, err := e.s.ClaimWebhookEvents(e.ctx, w.ID, at(5*time.Second), at(time.Minute), 10)
	e.must(err, "ClaimWebhookEvents")
	check(t, "claimed at 5s", eventUUIDs(claimed), []string{"msg_1"})
	check(t, "lease", claimed[0].NextAttemptAt, norm(at(time.Minute)))
	claimed, err = e.s.ClaimWebhookEvents(e.ctx, w.ID, at(30*time.Second), at(2*time.Minute), 10)
	e.must(err, "ClaimWebhookEvents")
	check(t, "claimed at 30s", eventUUIDs(claimed), []string{late.UUID})
	// A lease that ran out: the event is claimed again (the other one's
	// lease runs on). Read meanwhile, its next attempt is its lease's end;
	// its delivery's outcome ends the lease (below).
	claimed, err = e.s.ClaimWebhookEvents(e.ctx, w.ID, at(90*time.Second), at(3*time.Minute), 10)
	e.must(err, "ClaimWebhookEvents")
	check(t, "claimed at 90s", eventUUIDs(claimed), []string{"msg_1"})
	leased, err := e.s.WebhookEventByUUID(e.ctx, a.ID, "msg_1")
	e.must(err, "WebhookEventByUUID")
	check(t, "leased event's next attempt", leased.NextAttemptAt, norm(at(3*time.Minute)))

	// The waiting event is released only when nothing before it is pending.
	waitingDue := func(what string, want time.Time) {
		t.Helper()
		got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, waiting.UUID)
		e.must(err, "WebhookEventByUUID")
		check(t, what, got.NextAttemptAt, want)
	}
	e.must(e.s.ReleaseWebhookEvents(e.ctx, w.ID, []string{"c1"}, at(time.Second)), "ReleaseWebhookEvents")
	waitingDue("released while the first is pending", time.Time{})
	n, err := e.s.ReleaseOrphanWebhookEvents(e.ctx, w.ID, at(time.Second))
	e.must(err, "ReleaseOrphanWebhookEvents")
	check(t, "orphans while the first is pending", n, int64(0))

	done := got
	done.State, done.Attempts, done.Success, done.NextAttemptAt = carillon.EventDelivered, 1, true, time.Time{}
	done.FirstAttemptAt, done.LastAttemptAt = at(6*time.Second), at(6*time.Second)
	done.Response = carillon.WebhookResponse{Code: 200, Body: `{"ok":true}`, Headers: map[string]string{"Content-Type": "application/json"}}
	e.must(e.s.UpdateWebhookEvents(e.ctx, []carillon.WebhookEvent{done}), "UpdateWebhookEvents")
	got, err = e.s.WebhookEventByUUID(e.ctx, a.ID, "msg_1")
	e.must(err, "WebhookEventByUUID")
	check(t, "updated event", got, done)

	e.must(e.s.ReleaseWebhookEvents(e.ctx, w.ID, []string{"c1"}, at(7*time.Second)), "ReleaseWebhookEvents")
	waitingDue("released after the first", norm(at(7*time.Second)))
	e.must(e.s.ReleaseWebhookEvents(e.ctx, w.ID, []string{"c1"}, at(8*time.Second)), "ReleaseWebhookEvents")
	waitingDue("released twice: due at the first release", norm(at(7*time.Second)))

	// An orphan: waiting although nothing earlier of its subject is pending.
	orphan := e.webhookEvent(w, "c3", time.Time{})
	n, err = e.s.ReleaseOrphanWebhookEvents(e.ctx, w.ID, at(9*time.Second))
	e.must(err, "ReleaseOrphanWebhookEvents")
	check(t, "orphans released", n, int64(1))
	got, err = e.s.WebhookEventByUUID(e.ctx, a.ID, orphan.UUID)
	e.must(err, "WebhookEventByUUID")
	check(t, "orphan due", got.NextAttemptAt, norm(at(9*time.Second)))

	count, err := e.s.CountPendingWebhookEvents(e.ctx)
	e.must(err, "CountPendingWebhookEvents")
	check(t, "pending", count, int64(3))
}

func testWebhookEventBatches(t *testing.T, e *env) {
	a := e.account("a")
	w := e.webhook(a.ID)
	// 70 subjects (more than one chunk), each with a first event due and a
	// second one waiting.
	var firsts []carillon.WebhookEvent
	var subjects []string
	for i := range 70 {
		subject := fmt.Sprintf("s%02d", i)
		firsts = append(firsts, e.webhookEvent(w, subject, at(0)))
		e.webhookEvent(w, subject, time.Time{})
		subjects = append(subjects, subject)
	}
	for i := range firsts {
		f := &firsts[i]
		f.Attempts, f.FirstAttemptAt, f.LastAttemptAt = 1, at(time.Second), at(time.Second)
		if i%2 == 0 {
			f.State, f.Success, f.NextAttemptAt = carillon.EventDelivered, true, time.Time{}
			f.Response = carillon.WebhookResponse{Code: 204, Body: "", Headers: map[string]string{"X-I": fmt.Sprint(i)}}
		} else {
			f.State, f.NextAttemptAt = carillon.EventPending, at(time.Minute)
			f.Response = carillon.WebhookResponse{Code: 503, Body: "down it's 'quoted'"}
		}
	}
	// Locked in a transaction, over more than one chunk: none held by
	// another, and an id of no event is ignored.
	var ids, reversed []int64
	for _, f := range firsts {
		ids = append(ids, f.ID)
	}
	for i := range ids {
		reversed = append(reversed, ids[len(ids)-1-i])
	}
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		held, err := q.LockWebhookEvents(e.ctx, append(reversed, ids[len(ids)-1]+1000))
		check(t, "held by another transaction", held, []int64(nil))
		return err
	}), "LockWebhookEvents")
	if e.s.Shared() {
		// Beside a transaction that holds the first subject's pending event
		// (as one recording a new event of it does), the lock skips that
		// event rather than waiting for it, and names it.
		e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
			if _, err := q.PendingWebhookEvent(e.ctx, w.ID, subjects[0]); err != nil {
				return err
			}
			return e.s.InTx(e.ctx, func(q carillon.Queries) error {
				held, err := q.LockWebhookEvents(e.ctx, ids[:3])
				check(t, "held beside a holder", held, ids[:1])
				return err
			})
		}), "LockWebhookEvents beside a holder")
	}
	e.must(e.s.UpdateWebhookEvents(e.ctx, firsts), "UpdateWebhookEvents")
	for i, f := range firsts {
		got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, f.UUID)
		e.must(err, "WebhookEventByUUID")
		check(t, fmt.Sprintf("event %d after the batch", i), got, f)
	}
	// Releasing every subject makes due the waiting second events of the
	// subjects whose first event ended, and only those.
	e.must(e.s.ReleaseWebhookEvents(e.ctx, w.ID, subjects, at(2*time.Second)), "ReleaseWebhookEvents")
	due, err := e.s.ClaimWebhookEvents(e.ctx, w.ID, at(3*time.Second), at(time.Hour), 1000)
	e.must(err, "ClaimWebhookEvents")
	check(t, "released", len(due), 35)
	for _, d := range due {
		if d.Attempts != 0 {
			t.Errorf("claimed %s, attempted already", d.UUID)
		}
	}
	// Given back: due again, unless its lease is no longer the one its
	// claim gave it (claimed again since).
	stale := due[1]
	stale.NextAttemptAt = at(2 * time.Hour)
	e.must(e.s.UnclaimWebhookEvents(e.ctx, []carillon.WebhookEvent{due[0], stale}, at(4*time.Second)), "UnclaimWebhookEvents")
	for _, c := range []struct {
		what string
		e    carillon.WebhookEvent
		want time.Time
	}{{"given back", due[0], norm(at(4 * time.Second))}, {"given back under another lease", due[1], norm(at(time.Hour))}} {
		got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, c.e.UUID)
		e.must(err, "WebhookEventByUUID")
		check(t, c.what, got.NextAttemptAt, c.want)
	}
}

func testWebhookEventLog(t *testing.T, e *env) {
	a := e.account("a")
	w := e.webhook(a.ID)
	// Six events: never attempted, then alternating success and failure.
	for i := range 6 {
		ev := carillon.WebhookEvent{UUID: fmt.Sprintf("msg_%d", i), AccountID: a.ID, WebhookID: w.ID, Event: carillon.EventContactCreated,
			Subject: fmt.Sprint(i), Body: json.RawMessage(`{}`), State: carillon.EventPending, CreatedAt: at(time.Duration(i) * time.Second)}
		if i%3 == 1 {
			ev.Event = carillon.EventMessageCreated
		}
		if i > 0 {
			ev.Attempts, ev.Success = i, i%2 == 0
		}
		e.must(e.s.AddWebhookEvent(e.ctx, &ev), "AddWebhookEvent")
	}
	yes, no := true, false
	cases := []struct {
		name  string
		f     carillon.WebhookEventFilter
		page  carillon.Page
		want  []string
		total int
	}{
		{"all attempted, newest first", carillon.WebhookEventFilter{}, carillon.Page{Number: 1, Size: 10}, []string{"msg_5", "msg_4", "msg_3", "msg_2", "msg_1"}, 5},
		{"page", carillon.WebhookEventFilter{}, carillon.Page{Number: 2, Size: 2}, []string{"msg_3", "msg_2"}, 5},
		{"success", carillon.WebhookEventFilter{Success: &yes}, carillon.Page{Number: 1, Size: 10}, []string{"msg_4", "msg_2"}, 2},
		{"failed", carillon.WebhookEventFilter{Success: &no}, carillon.Page{Number: 1, Size: 10}, []string{"msg_5", "msg_3", "msg_1"}, 3},
		{"by event", carillon.WebhookEventFilter{Events: []string{carillon.EventMessageCreated}}, carillon.Page{Number: 1, Size: 10}, []string{"msg_4", "msg_1"}, 2},
		{"by two events", carillon.WebhookEventFilter{Events: []string{carillon.EventMessageCreated, carillon.EventContactCreated}}, carillon.Page{Number: 1, Size: 10}, []string{"msg_5", "msg_4", "msg_3", "msg_2", "msg_1"}, 5},
		{"failed of an event", carillon.WebhookEventFilter{Success: &no, Events: []string{carillon.EventMessageCreated}}, carillon.Page{Number: 1, Size: 10}, []string{"msg_1"}, 1},
		{"past the end", carillon.WebhookEventFilter{}, carillon.Page{Number: 4, Size: 2}, []string{}, 5},
		// Offsets that do not fit in 64 bits: past the end too, never a
		// wrap to page 1 nor a negative OFFSET.
		{"offset of 2^63", carillon.WebhookEventFilter{}, carillon.Page{Number: 1<<62 + 1, Size: 2}, []string{}, 5},
		{"the last page number", carillon.WebhookEventFilter{}, carillon.Page{Number: math.MaxInt, Size: 100}, []string{}, 5},
	}
	for _, c := range cases {
		got, total, err := e.s.ListWebhookEvents(e.ctx, w.ID, c.f, c.page)
		e.must(err, "ListWebhookEvents "+c.name)
		check(t, c.name, eventUUIDs(got), c.want)
		check(t, c.name+" total", total, c.total)
	}
}

// testQueuedWebhookEvents: the events a transaction queues are written at
// its commit, in the order queued, each due unless an earlier event of its
// subject is pending; what the transaction reads sees them; a rollback
// leaves none.
func testQueuedWebhookEvents(t *testing.T, e *env) {
	a := e.account("a")
	w := e.webhook(a.ID)
	committed := e.webhookEvent(w, "busy", at(0)) // pending: what is queued for "busy" waits
	queued := func(subject string, i int) *carillon.WebhookEvent {
		return &carillon.WebhookEvent{UUID: fmt.Sprintf("msg_q%d", i), AccountID: a.ID, WebhookID: w.ID, Event: carillon.EventMessageCreated,
			Subject: subject, Body: json.RawMessage(fmt.Sprintf(`{"event":"message_created","payload":{"n":%d}}`, i)), State: carillon.EventPending,
			NextAttemptAt: sloppy(at(time.Second)), CreatedAt: sloppy(at(time.Second))}
	}
	var events []*carillon.WebhookEvent
	// More than one INSERT's worth, over more subjects than one read of
	// pending events takes.
	subjects := []string{"busy", "free"}
	for i := range 250 {
		subjects = append(subjects, fmt.Sprintf("s%d", i))
	}
	for i := range 450 {
		events = append(events, queued(subjects[i%len(subjects)], i))
	}
	err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
		for _, ev := range events[:3] {
			if err := q.QueueWebhookEvent(e.ctx, ev); err != nil {
				return err
			}
		}
		// A read of the events inside the transaction sees those queued.
		got, err := q.WebhookEventByUUID(e.ctx, a.ID, events[1].UUID)
		if err != nil {
			return err
		}
		check(t, "queued event read inside the transaction", got.Subject, "free")
		for _, ev := range events[3:] {
			if err := q.QueueWebhookEvent(e.ctx, ev); err != nil {
				return err
			}
		}
		return nil
	})
	e.must(err, "InTx")
	seen := map[string]bool{}
	var last int64
	for i, ev := range events {
		got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, ev.UUID)
		e.must(err, "WebhookEventByUUID")
		if ev.ID == 0 || got.ID != ev.ID {
			t.Fatalf("event %d: id %d after commit, stored %d", i, ev.ID, got.ID)
		}
		if got.ID <= last {
			t.Errorf("event %d: id %d not after %d: ids out of the order queued", i, got.ID, last)
		}
		last = got.ID
		check(t, fmt.Sprintf("event %d body", i), string(got.Body), string(ev.Body))
		// The first of each subject is due, but behind "busy"'s committed
		// event and "free"'s first; the first written inside the
		// transaction counts as queued before the later ones.
		wantDue := !seen[ev.Subject] && ev.Subject != "busy"
		seen[ev.Subject] = true
		check(t, fmt.Sprintf("event %d (%s) due", i, ev.Subject), !got.NextAttemptAt.IsZero(), wantDue)
		check(t, fmt.Sprintf("event %d (%s) next attempt as returned", i, ev.Subject), ev.NextAttemptAt.IsZero(), !wantDue)
	}
	if committed.ID >= events[0].ID {
		t.Errorf("committed event id %d not before the queued ones (%d)", committed.ID, events[0].ID)
	}

	rollback := fmt.Errorf("rollback")
	err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
		if err := q.QueueWebhookEvent(e.ctx, queued("gone", 1000)); err != nil {
			return err
		}
		return rollback
	})
	wantErr(t, "InTx that fails", err, rollback)
	wantErr(t, "event of a rolled back transaction", func() error { _, err := e.s.WebhookEventByUUID(e.ctx, a.ID, "msg_q1000"); return err }(), carillon.ErrNotFound)

	// A uuid used twice fails the transaction at its commit.
	err = e.s.InTx(e.ctx, func(q carillon.Queries) error { return q.QueueWebhookEvent(e.ctx, queued("again", 0)) })
	wantErr(t, "same uuid queued twice", err, carillon.ErrConflict)

	// Outside a transaction, an event is queued in one of its own.
	alone := queued("busy", 2000)
	e.must(e.s.QueueWebhookEvent(e.ctx, alone), "QueueWebhookEvent outside a transaction")
	got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, alone.UUID)
	e.must(err, "WebhookEventByUUID")
	check(t, "queued alone: id", got.ID, alone.ID)
	check(t, "queued alone behind a pending event: waits", got.NextAttemptAt.IsZero(), true)

	if e.s.Shared() {
		// Beside a delivery's transaction that ends the oldest pending
		// event of a subject and releases the next: an event queued
		// meanwhile waits for the lock on the one ended, then finds the
		// one released, and waits behind it. (Should the delivery commit
		// before the queueing transaction reaches the lock, the event
		// waits all the same.)
		first := e.webhookEvent(w, "race", at(0))
		e.webhookEvent(w, "race", time.Time{})
		late := queued("race", 3000)
		locked := make(chan struct{})
		delivered := make(chan error, 1)
		go func() {
			delivered <- e.s.InTx(e.ctx, func(q carillon.Queries) error {
				if _, err := q.LockWebhookEvents(e.ctx, []int64{first.ID}); err != nil {
					return err
				}
				close(locked)
				time.Sleep(300 * time.Millisecond) // the queueing transaction waits for the lock
				done := first
				done.State, done.Attempts, done.Success, done.NextAttemptAt = carillon.EventDelivered, 1, true, time.Time{}
				if err := q.UpdateWebhookEvents(e.ctx, []carillon.WebhookEvent{done}); err != nil {
					return err
				}
				return q.ReleaseWebhookEvents(e.ctx, w.ID, []string{"race"}, at(5*time.Second))
			})
		}()
		<-locked
		e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error { return q.QueueWebhookEvent(e.ctx, late) }), "QueueWebhookEvent beside a delivery")
		e.must(<-delivered, "the delivery's transaction")
		got, err := e.s.WebhookEventByUUID(e.ctx, a.ID, late.UUID)
		e.must(err, "WebhookEventByUUID")
		check(t, "queued beside a delivery that released the next: waits", got.NextAttemptAt.IsZero(), true)
	}
}
