package service_test

import (
	"context"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// TestOverview reads an account at a glance: its live channels, today's
// messages by status (from midnight UTC), its webhook; and another
// account's figures stay apart.
func TestOverview(t *testing.T) {
	ctx := context.Background()
	clock := &fixedClock{t: time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)}
	svc := testrig.Service(t, service.Options{Clock: clock, PublicURL: "https://carillon.example"})
	acct := testrig.DefaultAccount(t, svc)
	other, _, _, err := svc.Accounts.SetupAccount(ctx, "other", false)
	if err != nil {
		t.Fatal(err)
	}
	note := func(accountID int64, at time.Time) {
		clock.t = at
		p := acct.Principal
		p.Account.ID = accountID
		c, err := svc.Contacts.CreateContact(ctx, p, service.ContactInput{Identifier: "+3161234" + at.Format("0405"), Source: "whatsapp", Name: "C"})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Contacts.AddNote(ctx, p, c.UUID, "n"); err != nil {
			t.Fatal(err)
		}
	}
	note(acct.ID, time.Date(2026, 3, 13, 23, 59, 59, 0, time.UTC)) // yesterday
	note(acct.ID, time.Date(2026, 3, 14, 0, 0, 1, 0, time.UTC))
	note(acct.ID, time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC))
	note(other.ID, time.Date(2026, 3, 14, 15, 0, 0, 0, time.UTC))

	o, err := svc.Accounts.Overview(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if o.Account.ID != acct.ID || o.BaseURL != "https://carillon.example/v1" || !o.Since.Equal(time.Date(2026, 3, 14, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("overview of %d: base %q, since %v", o.Account.ID, o.BaseURL, o.Since)
	}
	if len(o.Channels) != 1 || o.Channels[0].Provider != carillon.ProviderSandbox {
		t.Errorf("channels: %+v, want the sandbox", o.Channels)
	}
	if len(o.MessagesToday) != 1 || o.MessagesToday[carillon.StatusNote] != 2 {
		t.Errorf("messages today: %v, want 2 notes", o.MessagesToday)
	}
	if o.Webhook != nil {
		t.Errorf("webhook %+v of an account without one", o.Webhook)
	}
	if _, _, err := svc.Webhooks.Subscribe(ctx, acct.Principal, "https://hooks.example/carillon", []string{carillon.EventContactCreated}); err != nil {
		t.Fatal(err)
	}
	note(acct.ID, time.Date(2026, 3, 14, 15, 1, 0, 0, time.UTC)) // records contact_created
	o, err = svc.Accounts.Overview(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if w := o.Webhook; w == nil || w.URL != "https://hooks.example/carillon" || !w.Enabled || w.Backlog != 1 || w.LastDelivery != nil {
		t.Errorf("webhook: %+v, want enabled with 1 event waiting and no delivery", w)
	}
	if _, err := svc.Accounts.Overview(ctx, 999999); err == nil {
		t.Error("the overview of an unknown account did not fail")
	}
}

type fixedClock struct{ t time.Time }

func (c *fixedClock) Now() time.Time { return c.t }
