// Package service holds carillon's rules, written once above the stores:
// accepting a send, receiving a message, applying a status, the 24-hour
// window, idempotency, contacts and conversations, API keys and the set-up
// of an account, console users and their sessions, the live inbox.
// Service is a front over feature services (Messages, Contacts,
// Resources, Webhooks, Accounts, People, Live) that share a core. It
// imports the domain only; adapters (the HTTP API, the send pipeline, the
// webhook delivery, the console) drive it.
package service

import (
	"context"
	"errors"
	"log/slog"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/gather"
	"github.com/carillon/carillon/telemetry"
)

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
	// People are the settings of console users: session lifetime, sign-in
	// throttling.
	People PeopleOptions
}

// Service applies carillon's rules: a thin front over the feature
// services, each a group of rules with the state it needs, and the core
// they share.
type Service struct {
	*core
	// Webhooks are the account's webhook, its event log and the rules of
	// delivery the webhook adapter applies.
	Webhooks *Webhooks
	// Resources are the account's resources: channels, teams, users,
	// templates, funnels, statuses, tags and custom fields.
	Resources *Resources
	// Contacts are contacts and their conversations.
	Contacts *Contacts
	// Messages are sends, inbound messages, statuses and the providers'
	// callbacks.
	Messages *Messages
	// Accounts are accounts, their API keys and authentication.
	Accounts *Accounts
	// People are the console's users: roles, passwords, sessions and
	// sign-in links.
	People *People
	// Live is the live inbox: the streams of chat changes the console's
	// tabs follow, and who views or types in which conversation.
	Live *Live
	// Inbox is the shared inbox: its views and a conversation's thread,
	// read for a console user, and their read marks.
	Inbox *Inbox
}

// core is what every feature service shares: the store and the one way
// to write to it inside the rules (the committer for the hot paths, inTx
// for a transaction of its own), the clock, the log, the notifier of the
// adapters, and the settings read at start.
type core struct {
	store      carillon.Store
	clock      carillon.Clock
	log        *slog.Logger
	metrics    *telemetry.Metrics
	commit     *committer
	instanceID string
	publicURL  string

	planChannels *int
	planLicenses *int

	notifier  Notifier
	webhooks  WebhookOptions
	providers map[string]carillon.Provider
	registry  *carillon.ProviderRegistry
	media     carillon.MediaStore
	// eventsRecorded is set when a transaction records webhook events,
	// and cleared when the listener is told after the commit.
	eventsRecorded atomic.Bool
	// changesRecorded is the same for chat changes (it has their record
	// pruned); hub reads them for the live inbox's streams.
	changesRecorded atomic.Bool
	hub             *liveHub

	// unavailableLogged is set once the store's refusal of writes has
	// been logged.
	unavailableLogged atomic.Bool

	accounts sync.Map // account id → carillon.Account; accounts are never deleted
	channels channelKeeper
	touched  sync.Map // api key id → unix ms of the last recorded use
	// keys reads the API keys of the requests that come at the same time
	// in one statement (Accounts.Authenticate).
	keys *gather.Reads[string, carillon.KeyByHash]
	// callbackChannels reads the channel versions of the provider
	// callbacks that come at the same time, once a channel
	// (Messages.callbackChannel).
	callbackChannels *gather.Reads[string, channelVersion]
	// receiptMessages reads the messages of the receipts that come at
	// the same time by their provider's ids, one statement a channel
	// (Messages.receiptMessage).
	receiptMessages *gather.Reads[providerID, foundMessage]
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
	c := &core{
		store: o.Store, clock: o.Clock, log: o.Logger, metrics: o.Metrics,
		commit:     newCommitter(o.Store, o.Writers, o.Metrics),
		instanceID: o.InstanceID, publicURL: o.PublicURL,
		planChannels: o.PlanChannels, planLicenses: o.PlanLicenses,
		webhooks: o.Webhooks.withDefaults(), providers: o.Providers, registry: o.Registry, media: o.Media,
	}
	c.hub = newLiveHub(c)
	c.keys = &gather.Reads[string, carillon.KeyByHash]{Read: c.store.APIKeysByHash}
	c.callbackChannels = &gather.Reads[string, channelVersion]{Read: c.channelVersions}
	c.receiptMessages = &gather.Reads[providerID, foundMessage]{Read: c.messagesByProviderID}
	c.commit.committed = c.committed
	c.commit.failed = c.noteUnavailable
	return &Service{core: c, Webhooks: &Webhooks{core: c}, Resources: &Resources{core: c}, Contacts: &Contacts{core: c}, Messages: &Messages{core: c}, Accounts: &Accounts{core: c},
		People: newPeople(c, o.People), Live: &Live{core: c}, Inbox: &Inbox{core: c}}
}

// noteUnavailable logs, the first time, a store that refuses writes
// (carillon.ErrStoreUnavailable): what happened and what to do is in the
// error; the requests refused are answered 503 without a line each.
func (s *core) noteUnavailable(err error) {
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

// Notifier is where the adapters that drive the service subscribe to
// what its commits did.
func (s *Service) Notifier() *Notifier { return &s.notifier }

// committed tells the listener, after a commit, that events were
// recorded, and the live inbox that it may have chat changes. A
// transaction that rolled back may have set the flags too: they then look
// at the store for nothing, which is harmless.
func (s *core) committed() {
	s.hub.committed(s.changesRecorded.Swap(false))
	if !s.eventsRecorded.Swap(false) {
		return
	}
	s.notifier.eventsRecorded()
}

// webhooksChanged tells the listener that a webhook changed.
func (s *core) webhooksChanged() {
	s.notifier.webhooksChanged()
}

// inTx runs fn in a transaction of its own (not the committer's shared
// ones), and tells the listener of the events it recorded.
//
// The rules write to the store in one of two ways. A write to a contact
// and its messages (a send, an inbound message, a status, a contact's
// change, a note) goes through the committer (commit.do), keyed by the
// contact: those are the hot paths, grouped into shared transactions. Any
// other write (resources, webhooks, keys, the set-up of an account, a
// channel's address) goes through inTx. Both tell the notifier after the
// commit and note a store that refuses writes; calling the store's InTx
// or a write of the store directly would do neither. The exceptions are
// the webhook adapter's delivery bookkeeping (a claim, a release, a mark
// of health): each is one statement whose locking is its own, on the
// delivery's hot loop, and records no event; and the deletions that the
// store makes a chunk a transaction: the sweeps, which record nothing,
// and an unsubscription (Webhooks.Unsubscribe does what inTx would).
func (s *core) inTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	err := s.store.InTx(ctx, fn)
	if err == nil {
		s.committed()
	}
	s.noteUnavailable(err)
	return err
}

func (s *core) dispatch(m carillon.Message, to carillon.Contact) { s.notifier.accepted(m, to) }

// Close commits the work already queued, stops the writers and ends the
// live inbox's streams.
func (s *Service) Close() {
	s.commit.close()
	s.hub.end()
}

// Store returns the store the service works on.
func (s *Service) Store() carillon.Store { return s.store }

// PublicURL returns where people and providers reach the server.
func (s *core) PublicURL() string { return s.publicURL }

// account returns the account, read once and then kept.
func (s *core) account(ctx context.Context, id int64) (carillon.Account, error) {
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
func (s *core) internal(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	if _, ok := carillon.AsError(err); ok {
		return err
	}
	s.log.ErrorContext(ctx, op+" failed", "error", err)
	return err
}
