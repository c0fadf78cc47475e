package carillon

import (
	"context"
	"time"
)

// Store keeps carillon's objects. Two implementations exist, SQLite and
// PostgreSQL, held to the same behaviour by one conformance suite
// (store/storetest). A store only persists: every rule lives above it.
//
// Lookups return ErrNotFound when no row matches; writes that a unique
// constraint refuses return ErrConflict. Every lookup of an object that
// belongs to an account takes the account, so that no query can cross
// tenants.
type Store interface {
	Queries
	// InTx runs fn in one transaction, committed when fn returns nil.
	InTx(ctx context.Context, fn func(q Queries) error) error
	// Shared reports whether several server instances may use the store at
	// once (PostgreSQL), so the pipeline must coordinate through it.
	Shared() bool
	// Ready returns nil when the store answers and its schema is current.
	Ready(ctx context.Context) error
	Close() error
}

// Queries are the store's reads and writes, outside or inside a transaction.
type Queries interface {
	ResourceQueries
	WebhookQueries
	CreateAccount(ctx context.Context, a *Account) error
	AccountByID(ctx context.Context, id int64) (Account, error)
	AccountByName(ctx context.Context, name string) (Account, error)
	ListAccounts(ctx context.Context) ([]Account, error)

	CreateTeam(ctx context.Context, t *Team) error
	ListTeams(ctx context.Context, accountID int64) ([]Team, error)

	CreateUser(ctx context.Context, u *User) error
	UserByID(ctx context.Context, accountID, id int64) (User, error)
	UserByEmail(ctx context.Context, accountID int64, email string) (User, error)

	CreateAPIKey(ctx context.Context, k *APIKey) error
	APIKeyByHash(ctx context.Context, hash string) (APIKey, error)
	ListAPIKeys(ctx context.Context, accountID int64) ([]APIKey, error)
	RevokeAPIKey(ctx context.Context, accountID, id int64, at time.Time) error
	TouchAPIKey(ctx context.Context, id int64, at time.Time) error

	CreateChannel(ctx context.Context, c *Channel) error
	UpdateChannel(ctx context.Context, c *Channel) error
	ChannelByID(ctx context.Context, id int64) (Channel, error)
	ChannelByUUID(ctx context.Context, accountID int64, uuid string) (Channel, error)
	// ChannelForCallback finds a channel by uuid alone: a provider's
	// callback names the channel in its URL, and its signature (checked
	// with the channel's own secret) is its authentication.
	ChannelForCallback(ctx context.Context, uuid string) (Channel, error)
	// MainChannel returns the account's main channel of the type.
	MainChannel(ctx context.Context, accountID int64, typ ChannelType) (Channel, error)
	ListChannels(ctx context.Context, accountID int64) ([]Channel, error)
	// SetChannelAddress records the channel's own address as its network
	// reported it (Channel.Address); UpdateChannel leaves it as it is.
	SetChannelAddress(ctx context.Context, channelID int64, address string) error

	CreateContact(ctx context.Context, c *Contact) error
	// UpdateContact writes every field of the contact but its identity.
	UpdateContact(ctx context.Context, c *Contact) error
	ContactByID(ctx context.Context, accountID, id int64) (Contact, error)
	ContactByUUID(ctx context.Context, accountID int64, uuid string) (Contact, error)
	ContactByAddress(ctx context.Context, channelID int64, address string) (Contact, error)
	ContactByBSUID(ctx context.Context, channelID int64, bsuid string) (Contact, error)

	CreateMessage(ctx context.Context, m *Message) error
	MessageByID(ctx context.Context, accountID, id int64) (Message, error)
	MessageByUUID(ctx context.Context, accountID int64, uuid string) (Message, error)
	MessageByExternalID(ctx context.Context, channelID int64, externalID string) (Message, error)
	// UpdateMessage writes the message's content, status and send job,
	// provided the stored row is still at m.Version (ErrStale otherwise),
	// and moves m.Version on.
	UpdateMessage(ctx context.Context, m *Message) error
	AddStatusChange(ctx context.Context, c StatusChange) error
	StatusHistory(ctx context.Context, messageID int64) ([]StatusChange, error)

	// QueuedMessages lists the queued outgoing messages that owner sends,
	// in the order they were accepted, after the message id afterID.
	QueuedMessages(ctx context.Context, owner string, afterID int64, limit int) ([]Message, error)
	// EarlierQueued reports whether a queued message to the same contact on
	// the same channel was accepted before the message id.
	EarlierQueued(ctx context.Context, channelID, contactID, messageID int64) (bool, error)
	// CountQueued counts queued outgoing messages, all owners together.
	CountQueued(ctx context.Context) (int64, error)

	// RegisterInstance records (or refreshes) a running server instance.
	RegisterInstance(ctx context.Context, id string, at time.Time) error
	// StaleInstances lists the instances whose last heartbeat is older than
	// before: they are taken as dead.
	StaleInstances(ctx context.Context, before time.Time) ([]string, error)
	// AdoptMessages moves the queued messages of instance from to instance
	// to, and returns how many moved.
	AdoptMessages(ctx context.Context, from, to string) (int64, error)
	DeleteInstance(ctx context.Context, id string) error
	CountInstances(ctx context.Context, since time.Time) (int, error)

	IdempotencyRecord(ctx context.Context, accountID int64, key string) (IdempotencyRecord, error)
	// SaveIdempotencyRecord returns ErrConflict when the account has a
	// record of that key already.
	SaveIdempotencyRecord(ctx context.Context, r IdempotencyRecord) error
	// DeleteIdempotencyRecords forgets the records made before t.
	DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int64, error)
}
