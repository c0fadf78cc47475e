package store

import (
	"context"
	"encoding/json"
	"math"
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
		webhook := func(name string) carillon.Webhook {
			a := carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: time.UnixMilli(1000)}
			must(t, db.CreateAccount(ctx, &a))
			w := carillon.Webhook{AccountID: a.ID, URL: "https://example.com/hook", Subscriptions: []string{carillon.EventMessageCreated},
				Secret: "whsec_c2VjcmV0", Enabled: true, CreatedAt: time.UnixMilli(1000), UpdatedAt: time.UnixMilli(1000)}
			must(t, db.SaveWebhook(ctx, &w))
			return w
		}
		w, other := webhook("a"), webhook("b")
		event := func(w carillon.Webhook, state carillon.WebhookEventState) carillon.WebhookEvent {
			e := carillon.WebhookEvent{UUID: carillon.NewUUID(), AccountID: w.AccountID, WebhookID: w.ID, Event: carillon.EventMessageCreated,
				Subject: "s", Body: json.RawMessage(`{}`), State: state, Attempts: 1, CreatedAt: time.UnixMilli(1000)}
			must(t, db.AddWebhookEvent(ctx, &e))
			must(t, db.AddWebhookAttempts(ctx, []carillon.WebhookAttempt{{EventID: e.ID, Number: 1, At: time.UnixMilli(2000),
				Response: carillon.WebhookResponse{Code: 200}}}))
			return e
		}
		pending := event(w, carillon.EventPending)
		oldest := []carillon.WebhookEvent{event(w, carillon.EventDelivered), event(w, carillon.EventDelivered)}
		givenUp := event(w, carillon.EventGivenUp)
		newest := event(w, carillon.EventDelivered)
		others := event(other, carillon.EventDelivered)

		// webhookDeleteChunk is 2 in the package's tests (TestMain).
		n, err := db.deleteWebhookEventsChunk(ctx, w.AccountID, carillon.EventDelivered, math.MaxInt64)
		must(t, err)
		if n != 2 {
			t.Errorf("a chunk deleted %d events, want 2", n)
		}
		for _, e := range oldest {
			if _, err := db.WebhookEventByUUID(ctx, w.AccountID, e.UUID); err != carillon.ErrNotFound {
				t.Errorf("one of the two oldest delivered events after the chunk: %v, want ErrNotFound", err)
			}
			attempts, err := db.WebhookAttempts(ctx, e.ID)
			must(t, err)
			var bodies int
			must(t, db.queryRow(ctx, "SELECT COUNT(*) FROM webhook_event_bodies WHERE event_id = ?", e.ID).Scan(&bodies))
			if len(attempts) != 0 || bodies != 0 {
				t.Errorf("a deleted event keeps %d attempts and %d bodies, want none", len(attempts), bodies)
			}
		}
		for _, e := range []carillon.WebhookEvent{pending, givenUp, newest, others} {
			got, err := db.WebhookEventByUUID(ctx, e.AccountID, e.UUID)
			if err != nil || string(got.Body) != "{}" {
				t.Errorf("%s event %d after the chunk: %v, body %q; want it kept", e.State, e.ID, err, got.Body)
			}
		}
		if n, err = db.deleteWebhookEventsChunk(ctx, w.AccountID, carillon.EventDelivered, newest.ID-1); err != nil || n != 0 {
			t.Errorf("a chunk up to an id below the newest delivered event deleted %d (%v), want none", n, err)
		}
		if n, err = db.deleteWebhookEventsChunk(ctx, w.AccountID, carillon.EventDelivered, math.MaxInt64); err != nil || n != 1 {
			t.Errorf("the next chunk deleted %d (%v), want the newest delivered event alone", n, err)
		}
		if n, err = db.deleteWebhookEventsChunk(ctx, w.AccountID, carillon.EventPending, math.MaxInt64); err != nil || n != 1 {
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
