package storetest

import (
	"testing"
	"time"

	"github.com/carillon/carillon"
)

func testOverview(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	cha, chb := e.channel(a.ID, carillon.WhatsApp, true), e.channel(b.ID, carillon.WhatsApp, true)
	ca, cb := e.contact(cha, "15550000001"), e.contact(chb, "15550000002")

	// Messages: counted from since on, by status, the account's only.
	add := func(c carillon.Contact, status carillon.Status, created time.Time) {
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: carillon.Outbound, Type: carillon.TypeText, Content: carillon.Content{Text: "hi"},
			Status: status, CreatedAt: created, UpdatedAt: created}
		e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	}
	add(ca, carillon.StatusSent, at(-time.Millisecond)) // before since: not counted
	add(ca, carillon.StatusSent, base)
	add(ca, carillon.StatusSent, at(time.Hour))
	add(ca, carillon.StatusFailed, at(time.Hour))
	add(cb, carillon.StatusSent, at(time.Hour)) // another account
	counts, err := e.s.CountMessagesByStatus(e.ctx, a.ID, sloppy(base).Add(-789*time.Microsecond))
	e.must(err, "CountMessagesByStatus")
	check(t, "CountMessagesByStatus", counts, map[carillon.Status]int{carillon.StatusSent: 2, carillon.StatusFailed: 1})
	counts, err = e.s.CountMessagesByStatus(e.ctx, a.ID, at(2*time.Hour))
	e.must(err, "CountMessagesByStatus (none since)")
	check(t, "CountMessagesByStatus (none since)", counts, map[carillon.Status]int{})
	// Every status a message may have is counted.
	every := map[carillon.Status]int{}
	for _, s := range carillon.Statuses {
		add(ca, s, at(3*time.Hour))
		every[s] = 1
	}
	counts, err = e.s.CountMessagesByStatus(e.ctx, a.ID, at(3*time.Hour))
	e.must(err, "CountMessagesByStatus (every status)")
	check(t, "CountMessagesByStatus (every status)", counts, every)

	// The webhook: its pending events, and the one attempted last.
	wa, wb := e.webhook(a.ID), e.webhook(b.ID)
	n, err := e.s.CountWebhookBacklog(e.ctx, wa.ID)
	e.must(err, "CountWebhookBacklog (empty)")
	if n != 0 {
		t.Errorf("backlog of a new webhook: %d, want 0", n)
	}
	if _, err := e.s.LastWebhookDelivery(e.ctx, wa.ID); err != carillon.ErrNotFound {
		t.Errorf("LastWebhookDelivery with no attempt: %v, want ErrNotFound", err)
	}
	first := e.webhookEvent(wa, "contact:1", base)
	second := e.webhookEvent(wa, "contact:2", base)
	e.webhookEvent(wa, "contact:3", base)
	e.webhookEvent(wb, "contact:4", base)
	first.State, first.Attempts, first.FirstAttemptAt, first.LastAttemptAt = carillon.EventDelivered, 1, at(time.Minute), at(2*time.Minute)
	first.NextAttemptAt, first.Success, first.Response = time.Time{}, true, carillon.WebhookResponse{Code: 200, Body: "ok", Headers: map[string]string{}}
	second.Attempts, second.FirstAttemptAt, second.LastAttemptAt, second.NextAttemptAt = 1, at(time.Minute), at(time.Minute), at(time.Hour)
	second.Response = carillon.WebhookResponse{Code: 500, Body: "down", Headers: map[string]string{}}
	e.must(e.s.UpdateWebhookEvents(e.ctx, []carillon.WebhookEvent{first, second}), "UpdateWebhookEvents")

	n, err = e.s.CountWebhookBacklog(e.ctx, wa.ID)
	e.must(err, "CountWebhookBacklog")
	if n != 2 {
		t.Errorf("backlog: %d pending events, want 2 (the delivered one and the other webhook's left out)", n)
	}
	last, err := e.s.LastWebhookDelivery(e.ctx, wa.ID)
	e.must(err, "LastWebhookDelivery")
	if last.UUID != first.UUID || last.Response.Code != 200 || !last.Success {
		t.Errorf("LastWebhookDelivery = %s (code %d, success %v), want %s, the latest attempt, 200", last.UUID, last.Response.Code, last.Success, first.UUID)
	}
}
