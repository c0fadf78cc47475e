package service

import (
	"context"
	"sync"

	"github.com/carillon/carillon"
)

// Dispatcher takes accepted messages to send, each with its recipient as
// the send stored it, so that the pipeline need not read the contact
// again. The send pipeline (package outbox) implements it.
type Dispatcher interface {
	Enqueue(m carillon.Message, to carillon.Contact)
}

// EventListener is told when webhook events were committed, so that their
// delivery starts without waiting for its next look at the store. The
// webhook delivery (package webhook) implements it.
type EventListener interface {
	EventsRecorded()
	// WebhooksChanged is told that a webhook was made, changed or
	// deleted on this instance.
	WebhooksChanged()
}

// WebhookDeliverer attempts one event at once (redelivery on request). The
// webhook adapter implements it.
type WebhookDeliverer interface {
	DeliverNow(ctx context.Context, w carillon.Webhook, e carillon.WebhookEvent) (carillon.WebhookEvent, error)
}

// Notifier is how the service reaches the adapters that drive it: the
// send pipeline and the webhook delivery both call the service, and the
// service tells them what its commits did (a message accepted, webhook
// events recorded, a webhook changed) and hands redeliveries to the
// webhook adapter. The service owns it and knows none of them: they
// subscribe once, where the parts are wired together (cmd/carillon),
// before the service serves a request. A service whose notifier has no
// subscriber accepts messages that no pipeline sends (tests, the admin
// commands) and answers a redelivery with not_supported.
type Notifier struct {
	mu        sync.RWMutex
	sends     []Dispatcher
	listeners []EventListener
	deliverer WebhookDeliverer
}

// SubscribeSends hands every message accepted from now on to d, after its
// commit.
func (n *Notifier) SubscribeSends(d Dispatcher) {
	n.mu.Lock()
	n.sends = append(n.sends, d)
	n.mu.Unlock()
}

// SubscribeEvents tells l, after each commit that recorded webhook events,
// and whenever a webhook changes on this instance.
func (n *Notifier) SubscribeEvents(l EventListener) {
	n.mu.Lock()
	n.listeners = append(n.listeners, l)
	n.mu.Unlock()
}

// ServeRedeliveries names who attempts a redelivery asked through the
// API; there is one, the last named.
func (n *Notifier) ServeRedeliveries(d WebhookDeliverer) {
	n.mu.Lock()
	n.deliverer = d
	n.mu.Unlock()
}

// The subscribers are read under the lock and called outside it, so that
// a subscriber is never called while the lock is held.

func (n *Notifier) accepted(m carillon.Message, to carillon.Contact) {
	n.mu.RLock()
	sends := n.sends
	n.mu.RUnlock()
	for _, d := range sends {
		d.Enqueue(m, to)
	}
}

func (n *Notifier) eventsRecorded() {
	for _, l := range n.eventListeners() {
		l.EventsRecorded()
	}
}

func (n *Notifier) webhooksChanged() {
	for _, l := range n.eventListeners() {
		l.WebhooksChanged()
	}
}

func (n *Notifier) eventListeners() []EventListener {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.listeners
}

func (n *Notifier) redeliverer() WebhookDeliverer {
	n.mu.RLock()
	defer n.mu.RUnlock()
	return n.deliverer
}
