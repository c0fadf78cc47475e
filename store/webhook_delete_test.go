package store

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// An unsubscription deletes the webhook's events webhookDeleteChunk at a
// time, oldest first, each chunk in a transaction of its own, before the
// transaction that deletes the webhook: a chunk takes the oldest events of
// one state, up to the newest when it began, with their bodies and
// attempts, and nothing of another state or of another webhook.
func TestUnsubscribeDeletesEventsByChunks(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		w, other := webhookOfNewAccount(t, db, "a"), webhookOfNewAccount(t, db, "b")
		event := func(w carillon.Webhook, state carillon.WebhookEventState) carillon.WebhookEvent {
			return attemptedEvent(t, db, w, state, time.UnixMilli(1000))
		}
		pending := event(w, carillon.EventPending)
		oldest := []carillon.WebhookEvent{event(w, carillon.EventDelivered), event(w, carillon.EventDelivered)}
		givenUp := event(w, carillon.EventGivenUp)
		newest := event(w, carillon.EventDelivered)
		others := event(other, carillon.EventDelivered)

		// webhookDeleteChunk is 2 in the package's tests (TestMain).
		n, err := db.deleteWebhookEventsChunk(ctx, w.ID, carillon.EventDelivered, math.MaxInt64, math.MaxInt64)
		must(t, err)
		if n != 2 {
			t.Errorf("a chunk deleted %d events, want 2", n)
		}
		for _, e := range oldest {
			checkEventGone(t, db, e, "one of the two oldest delivered events after the chunk")
		}
		for _, e := range []carillon.WebhookEvent{pending, givenUp, newest, others} {
			got, err := db.WebhookEventByUUID(ctx, e.AccountID, e.UUID)
			if err != nil || string(got.Body) != "{}" {
				t.Errorf("%s event %d after the chunk: %v, body %q; want it kept", e.State, e.ID, err, got.Body)
			}
		}
		if n, err = db.deleteWebhookEventsChunk(ctx, w.ID, carillon.EventDelivered, newest.ID-1, math.MaxInt64); err != nil || n != 0 {
			t.Errorf("a chunk up to an id below the newest delivered event deleted %d (%v), want none", n, err)
		}
		if n, err = db.deleteWebhookEventsChunk(ctx, w.ID, carillon.EventDelivered, math.MaxInt64, math.MaxInt64); err != nil || n != 1 {
			t.Errorf("the next chunk deleted %d (%v), want the newest delivered event alone", n, err)
		}
		if n, err = db.deleteWebhookEventsChunk(ctx, w.ID, carillon.EventPending, math.MaxInt64, math.MaxInt64); err != nil || n != 1 {
			t.Errorf("a chunk of pending events deleted %d (%v), want the one pending", n, err)
		}
		if _, err := db.WebhookEventByUUID(ctx, w.AccountID, pending.UUID); err != carillon.ErrNotFound {
			t.Errorf("the pending event after its chunk: %v, want ErrNotFound", err)
		}
		if _, err := db.WebhookEventByUUID(ctx, w.AccountID, givenUp.UUID); err != nil {
			t.Errorf("the given-up event after the other states' chunks: %v, want it kept", err)
		}
	})
}

// The delivery log's retention deletes, for every webhook, the events
// delivered or given up that were created before its bound, a chunk a
// call (webhookDeleteChunk is 2 here), with their bodies and attempts;
// pending events stay whatever their age, and so do the events created
// since.
func TestDeleteWebhookEventsBefore(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		day := func(d int) time.Time { return time.UnixMilli(1000).Add(time.Duration(d) * 24 * time.Hour) }
		event := func(w carillon.Webhook, state carillon.WebhookEventState, created time.Time) carillon.WebhookEvent {
			return attemptedEvent(t, db, w, state, created)
		}
		a, b := webhookOfNewAccount(t, db, "a"), webhookOfNewAccount(t, db, "b")
		webhookOfNewAccount(t, db, "without events")
		// An event written before the others but dated after the bound
		// (another instance's clock): ids do not bound the times.
		kept := []carillon.WebhookEvent{event(a, carillon.EventDelivered, day(20))}
		var old []carillon.WebhookEvent
		for i := range 5 { // more than two chunks of delivered events
			old = append(old, event(a, carillon.EventDelivered, day(i)))
		}
		old = append(old, event(a, carillon.EventGivenUp, day(5)), event(a, carillon.EventGivenUp, day(6)), event(b, carillon.EventDelivered, day(1)))
		kept = append(kept, event(a, carillon.EventPending, day(2)), event(b, carillon.EventPending, day(0)))
		// The bound: the retention counts from an event's creation.
		kept = append(kept, event(a, carillon.EventDelivered, day(10)), event(a, carillon.EventGivenUp, day(11)), event(b, carillon.EventDelivered, day(10)))

		// Chunk by chunk: as many as a chunk holds, of one webhook and one
		// state, until none is left.
		chunks := func(before time.Time) (sizes []int64) {
			for {
				n, err := db.DeleteWebhookEventsBefore(ctx, before)
				must(t, err)
				if n == 0 {
					return sizes
				}
				sizes = append(sizes, n)
			}
		}
		if got, want := chunks(day(10)), []int64{2, 2, 1, 2, 1}; !slices.Equal(got, want) {
			t.Errorf("chunks of %v events, want %v: a's delivered, a's given up, then b's", got, want)
		}
		for _, e := range old {
			checkEventGone(t, db, e, fmt.Sprintf("%s event created %s", e.State, e.CreatedAt.UTC()))
		}
		for _, e := range kept {
			got, err := db.WebhookEventByUUID(ctx, e.AccountID, e.UUID)
			if err != nil || string(got.Body) != "{}" {
				t.Errorf("%s event created %s: %v, body %q; want it kept", e.State, e.CreatedAt.UTC(), err, got.Body)
			}
			if attempts, err := db.WebhookAttempts(ctx, e.ID); err != nil || len(attempts) != 1 {
				t.Errorf("%s event created %s keeps %d attempts (%v), want 1", e.State, e.CreatedAt.UTC(), len(attempts), err)
			}
		}
		if got, want := chunks(day(12)), []int64{1, 1, 1}; !slices.Equal(got, want) {
			t.Errorf("a pass two days later deleted chunks of %v, want %v: a's delivered and given-up events of days 10 and 11, then b's", got, want)
		}
	})
}

// webhookOfNewAccount saves a webhook for a new account named name.
func webhookOfNewAccount(t *testing.T, db *DB, name string) carillon.Webhook {
	t.Helper()
	ctx := context.Background()
	a := carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: time.UnixMilli(1000)}
	must(t, db.CreateAccount(ctx, &a))
	w := carillon.Webhook{AccountID: a.ID, URL: "https://example.com/hook", Subscriptions: []string{carillon.EventMessageCreated},
		Secret: "whsec_c2VjcmV0", Enabled: true, CreatedAt: time.UnixMilli(1000), UpdatedAt: time.UnixMilli(1000)}
	must(t, db.SaveWebhook(ctx, &w))
	return w
}

// attemptedEvent adds an event of w in state, created at created, with
// one attempt.
func attemptedEvent(t *testing.T, db *DB, w carillon.Webhook, state carillon.WebhookEventState, created time.Time) carillon.WebhookEvent {
	t.Helper()
	ctx := context.Background()
	e := carillon.WebhookEvent{UUID: carillon.NewUUID(), AccountID: w.AccountID, WebhookID: w.ID, Event: carillon.EventMessageCreated,
		Subject: "s", Body: json.RawMessage(`{}`), State: state, Attempts: 1, CreatedAt: created}
	must(t, db.AddWebhookEvent(ctx, &e))
	must(t, db.AddWebhookAttempts(ctx, []carillon.WebhookAttempt{{EventID: e.ID, Number: 1, At: created,
		Response: carillon.WebhookResponse{Code: 200}}}))
	return e
}

// checkEventGone checks that event e is deleted with its attempts and
// body.
func checkEventGone(t *testing.T, db *DB, e carillon.WebhookEvent, what string) {
	t.Helper()
	ctx := context.Background()
	if _, err := db.WebhookEventByUUID(ctx, e.AccountID, e.UUID); err != carillon.ErrNotFound {
		t.Errorf("%s: %v, want ErrNotFound", what, err)
	}
	attempts, err := db.WebhookAttempts(ctx, e.ID)
	must(t, err)
	var bodies int
	must(t, db.queryRow(ctx, "SELECT COUNT(*) FROM webhook_event_bodies WHERE event_id = ?", e.ID).Scan(&bodies))
	if len(attempts) != 0 || bodies != 0 {
		t.Errorf("%s: deleted, it keeps %d attempts and %d bodies, want none", what, len(attempts), bodies)
	}
}

// Two instances' passes of the retention at once (PostgreSQL) delete
// every old event once between them, without an error: a chunk picked by
// both is deleted by one, and the other finds its rows gone.
func TestDeleteWebhookEventsBeforeConcurrently(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		a, b := webhookOfNewAccount(t, db, "a"), webhookOfNewAccount(t, db, "b")
		const perWebhook = 40
		for i := range perWebhook {
			attemptedEvent(t, db, a, carillon.EventDelivered, time.UnixMilli(int64(1000+i)))
			attemptedEvent(t, db, b, carillon.EventGivenUp, time.UnixMilli(int64(1000+i)))
		}
		totals := make([]int64, 2)
		errs := make(chan error, 2)
		for i := range totals {
			go func() {
				for {
					n, err := db.DeleteWebhookEventsBefore(context.Background(), time.UnixMilli(10_000))
					totals[i] += n
					if err != nil || n == 0 {
						errs <- err
						return
					}
				}
			}()
		}
		for range totals {
			if err := <-errs; err != nil {
				t.Errorf("a pass: %v", err)
			}
		}
		if got := totals[0] + totals[1]; got != 2*perWebhook {
			t.Errorf("the two passes deleted %d and %d events, want %d in all", totals[0], totals[1], 2*perWebhook)
		}
	})
}
