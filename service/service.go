// Package service holds carillon's rules, written once above the stores:
// accepting a send, receiving a message, applying a status, the 24-hour
// window, idempotency, contacts and conversations, API keys and the set-up
// of an account. It imports the domain only; adapters (the HTTP API, the
// send pipeline, providers) drive it.
package service

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/telemetry"
)

// Dispatcher takes accepted messages to send. The send pipeline (package
// outbox) implements it.
type Dispatcher interface {
	Enqueue(m carillon.Message)
}

// Options configure a Service.
type Options struct {
	Store   carillon.Store
	Clock   carillon.Clock
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
	// InstanceID names this server process: the messages it accepts are
	// sent by its own pipeline first.
	InstanceID string
	// PublicURL is where people and providers reach the server.
	PublicURL string
	// Writers is how many transactions may commit at once: 1 suits SQLite,
	// which has a single writer; PostgreSQL gains from a few.
	Writers int
	// PlanChannels and PlanLicenses are the limits GET /v1/plan reports;
	// nil is unlimited.
	PlanChannels *int
	PlanLicenses *int
	// Webhooks are the rules of webhook delivery.
	Webhooks WebhookOptions
	// Providers are the providers by name, for what the service asks of
	// them beside sends: reading callbacks, fetching media, registering
	// callback URLs, reading templates.
	Providers map[string]carillon.Provider
	// Registry describes the providers: their settings (checked, given
	// defaults, generated), the channel types they serve, whether they
	// call back. Nil knows no provider: every declared channel is refused.
	Registry *carillon.ProviderRegistry
	// Media keeps inbound files; nil keeps none.
	Media carillon.MediaStore
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

// Service applies carillon's rules.
type Service struct {
	store      carillon.Store
	clock      carillon.Clock
	log        *slog.Logger
	metrics    *telemetry.Metrics
	commit     *committer
	instanceID string
	publicURL  string

	planChannels *int
	planLicenses *int

	mu         sync.RWMutex
	dispatcher Dispatcher
	listener   EventListener
	deliverer  WebhookDeliverer
	webhooks   WebhookOptions
	providers  map[string]carillon.Provider
	registry   *carillon.ProviderRegistry
	media      carillon.MediaStore
	// eventsRecorded is set when a transaction records webhook events,
	// and cleared when the listener is told after the commit.
	eventsRecorded atomic.Bool

	// unavailableLogged is set once the store's refusal of writes has
	// been logged.
	unavailableLogged atomic.Bool

	accounts sync.Map // account id → carillon.Account; accounts are never deleted
	touched  sync.Map // api key id → unix ms of the last recorded use
}

// New returns a Service; Close stops it.
func New(o Options) *Service {
	if o.Clock == nil {
		o.Clock = carillon.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.New()
	}
	if o.Writers <= 0 {
		o.Writers = 1
		if o.Store.Shared() {
			o.Writers = max(4, runtime.GOMAXPROCS(0)*2)
		}
	}
	s := &Service{
		store: o.Store, clock: o.Clock, log: o.Logger, metrics: o.Metrics,
		commit:     newCommitter(o.Store, o.Writers, o.Metrics),
		instanceID: o.InstanceID, publicURL: o.PublicURL,
		planChannels: o.PlanChannels, planLicenses: o.PlanLicenses,
		webhooks: o.Webhooks.withDefaults(), providers: o.Providers, registry: o.Registry, media: o.Media,
	}
	s.commit.committed = s.committed
	s.commit.failed = s.noteUnavailable
	return s
}

// noteUnavailable logs, the first time, a store that refuses writes
// (carillon.ErrStoreUnavailable): what happened and what to do is in the
// error; the requests refused are answered 503 without a line each.
func (s *Service) noteUnavailable(err error) {
	if errors.Is(err, carillon.ErrStoreUnavailable) && s.unavailableLogged.CompareAndSwap(false, true) {
		s.log.Error("store unavailable: writes are refused", "error", err)
	}
}

// Ready returns nil when the store answers and its schema is current.
func (s *Service) Ready(ctx context.Context) error {
	err := s.store.Ready(ctx)
	s.noteUnavailable(err)
	return err
}

// SetEventListener names who delivers webhook events.
func (s *Service) SetEventListener(l EventListener) {
	s.mu.Lock()
	s.listener = l
	s.mu.Unlock()
}

// committed tells the listener, after a commit, that events were recorded.
// A transaction that rolled back may have set the flag too: the listener
// then looks at the store for nothing, which is harmless.
func (s *Service) committed() {
	if !s.eventsRecorded.Swap(false) {
		return
	}
	s.mu.RLock()
	l := s.listener
	s.mu.RUnlock()
	if l != nil {
		l.EventsRecorded()
	}
}

// webhooksChanged tells the listener that a webhook changed.
func (s *Service) webhooksChanged() {
	s.mu.RLock()
	l := s.listener
	s.mu.RUnlock()
	if l != nil {
		l.WebhooksChanged()
	}
}

// inTx runs fn in a transaction of its own (not the committer's shared
// ones), and tells the listener of the events it recorded.
func (s *Service) inTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	err := s.store.InTx(ctx, fn)
	if err == nil {
		s.committed()
	}
	s.noteUnavailable(err)
	return err
}

// SetDispatcher names the pipeline that sends accepted messages.
func (s *Service) SetDispatcher(d Dispatcher) {
	s.mu.Lock()
	s.dispatcher = d
	s.mu.Unlock()
}

func (s *Service) dispatch(m carillon.Message) {
	s.mu.RLock()
	d := s.dispatcher
	s.mu.RUnlock()
	if d != nil {
		d.Enqueue(m)
	}
}

// Close commits the work already queued and stops the writers.
func (s *Service) Close() { s.commit.close() }

// Store returns the store the service works on.
func (s *Service) Store() carillon.Store { return s.store }

// PublicURL returns where people and providers reach the server.
func (s *Service) PublicURL() string { return s.publicURL }

// account returns the account, read once and then kept.
func (s *Service) account(ctx context.Context, id int64) (carillon.Account, error) {
	if a, ok := s.accounts.Load(id); ok {
		return a.(carillon.Account), nil
	}
	a, err := s.store.AccountByID(ctx, id)
	if err != nil {
		return a, err
	}
	s.accounts.Store(id, a)
	return a, nil
}

// internal wraps an unexpected error from below: it is logged, and the
// caller answers with a generic message.
func (s *Service) internal(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := carillon.AsError(err); ok {
		return err
	}
	s.log.ErrorContext(ctx, op+" failed", "error", err)
	return err
}
