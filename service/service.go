// Package service holds carillon's rules, written once above the stores:
// accepting a send, receiving a message, applying a status, the 24-hour
// window, idempotency, contacts and conversations, API keys and the set-up
// of an account. It imports the domain only; adapters (the HTTP API, the
// send pipeline, providers) drive it.
package service

import (
	"context"
	"log/slog"
	"runtime"
	"sync"

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
	return &Service{
		store: o.Store, clock: o.Clock, log: o.Logger, metrics: o.Metrics,
		commit:     newCommitter(o.Store, o.Writers, o.Metrics),
		instanceID: o.InstanceID, publicURL: o.PublicURL,
		planChannels: o.PlanChannels, planLicenses: o.PlanLicenses,
	}
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
