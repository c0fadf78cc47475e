package store

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The sweep finds the orphans by a read, then releases them with a check
// of its own: an event found waiting with nothing before it is not
// released when an earlier event of its subject became pending in between
// (on PostgreSQL, one of a smaller id committed after the read; here, one
// given up made pending again), and is when nothing did.
func TestOrphanReleaseChecksAgain(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		a := carillon.Account{UUID: carillon.NewUUID(), Name: "a", CreatedAt: time.UnixMilli(1000)}
		if err := db.CreateAccount(ctx, &a); err != nil {
			t.Fatal(err)
		}
		w := carillon.Webhook{AccountID: a.ID, URL: "https://example.com/hook", Subscriptions: []string{carillon.EventMessageCreated},
			Secret: "whsec_c2VjcmV0", Enabled: true, CreatedAt: time.UnixMilli(1000), UpdatedAt: time.UnixMilli(1000)}
		if err := db.SaveWebhook(ctx, &w); err != nil {
			t.Fatal(err)
		}
		event := func(subject string, state carillon.WebhookEventState) carillon.WebhookEvent {
			e := carillon.WebhookEvent{UUID: carillon.NewUUID(), AccountID: a.ID, WebhookID: w.ID, Event: carillon.EventMessageCreated,
				Subject: subject, Body: json.RawMessage(`{}`), State: state, CreatedAt: time.UnixMilli(1000)}
			if err := db.AddWebhookEvent(ctx, &e); err != nil {
				t.Fatal(err)
			}
			return e
		}
		// Subject s: its first event given up, its second waiting: an
		// orphan. Subject u: the same, its first delivered.
		firstS, _ := event("s", carillon.EventGivenUp), event("s", carillon.EventPending)
		event("u", carillon.EventDelivered)
		orphanU := event("u", carillon.EventPending)
		found, err := db.orphanWebhookEvents(ctx, w.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(found) != 2 {
			t.Fatalf("orphans found %v, want the two waiting events", found)
		}
		// s's first event pending again before the release.
		firstS.State = carillon.EventPending
		firstS.NextAttemptAt = time.UnixMilli(2000)
		if err := db.UpdateWebhookEvents(ctx, []carillon.WebhookEvent{firstS}); err != nil {
			t.Fatal(err)
		}
		n, err := db.releaseFirstOfSubjects(ctx, found, time.UnixMilli(3000))
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("released %d, want 1: u's waiting event, not s's behind its pending first", n)
		}
		got, err := db.WebhookEventByUUID(ctx, a.ID, orphanU.UUID)
		if err != nil {
			t.Fatal(err)
		}
		if !got.NextAttemptAt.Equal(time.UnixMilli(3000)) {
			t.Errorf("u's waiting event next attempt %v, want released at 3 s", got.NextAttemptAt)
		}
	})
}
