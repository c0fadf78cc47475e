package carillon

import (
	"context"
	"math"
)

// Store keeps carillon's objects. Two implementations exist, SQLite and
// PostgreSQL, held to the same behaviour by one conformance suite
// (store/storetest). A store only persists: every rule lives above it.
//
// Lookups return ErrNotFound when no row matches; writes that a unique
// constraint refuses return ErrConflict; a transaction the database aborted
// to end a deadlock returns ErrContention. Every lookup of an object that
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

// Queries are the store's reads and writes, outside or inside a
// transaction. They are grouped by aggregate, each group declared beside
// its domain type: accounts, users, teams and API keys (account.go),
// channels (channel.go), contacts with their tags and field values
// (contact.go), messages, their status history, the send queue and
// idempotency records (message.go), templates (template.go), the account's
// tags, custom fields, funnels and custom statuses (resources.go), webhooks
// and their events (webhook.go), console sessions and sign-in links
// (people.go), the console's figures of an account at a glance
// (overview.go), the messages log (messagelog.go), search over messages
// and contacts (search.go), the record of chat changes with who is on
// which conversation (live.go), and the inbox's conversations, read marks
// and conversation history (inbox.go).
//
// A method that reaches an object through another one it belongs to (a
// team's members, a contact's tags or field values, a channel's templates
// by key) takes that owner's id and no account id: the owner was looked up
// by account first.
//
// Every list the API pages is paged here, in SQL: its List method takes a
// Page and returns that page with the number of rows the list holds in
// all, in an order that is total (ties broken by id), so that pages never
// repeat or skip a row. A whole list (an All method, TeamMembers) is read
// only for a rule that must see every row, and its comment says which.
// The account's users, tags and custom fields, and accounts, API keys and
// webhooks, are short lists no answer of the API pages.
type Queries interface {
	AccountQueries
	UserQueries
	TeamQueries
	APIKeyQueries
	ChannelQueries
	ContactQueries
	MessageQueries
	SendQueueQueries
	IdempotencyQueries
	TemplateQueries
	TagQueries
	CustomFieldQueries
	FunnelQueries
	CustomStatusQueries
	WebhookQueries
	SessionQueries
	SignInLinkQueries
	OverviewQueries
	MessageLogQueries
	SearchQueries
	LiveQueries
	InboxQueries
}

// Page selects a page of a list: Number is 1-based, Size at most 100. Every
// paged list of the store takes one, and returns with the page the number
// of rows in the whole list, which the API's meta shows as pages.
type Page struct {
	Number int
	Size   int
}

// Offset is the number of rows before the page. It never overflows: a page
// so far that its offset would not fit in an int gives math.MaxInt, past
// the end of any list; a page below 1 gives 0.
func (p Page) Offset() int {
	if p.Number <= 1 || p.Size <= 0 {
		return 0
	}
	if p.Number-1 > math.MaxInt/p.Size {
		return math.MaxInt
	}
	return (p.Number - 1) * p.Size
}
