package carillon

import (
	"context"
	"encoding/json"
	"net/url"
	"time"
)

// Status is a message's status. Outgoing messages move forward through
// enqueued → sent → delivered → read, or end in failed, mismatch or deleted.
// Inbound messages are received; internal notes are notes.
type Status string

// The message statuses of the wire contract.
const (
	StatusEnqueued  Status = "enqueued"
	StatusSent      Status = "sent"
	StatusDelivered Status = "delivered"
	StatusRead      Status = "read"
	StatusFailed    Status = "failed"
	StatusMismatch  Status = "mismatch"
	StatusDeleted   Status = "deleted"
	StatusReceived  Status = "received"
	StatusNote      Status = "note"
)

// Statuses are every status a message may have.
var Statuses = []Status{StatusEnqueued, StatusSent, StatusDelivered, StatusRead, StatusFailed, StatusMismatch, StatusDeleted,
	StatusReceived, StatusNote}

// ladder orders the statuses of an outgoing message's delivery.
var ladder = []Status{StatusEnqueued, StatusSent, StatusDelivered, StatusRead}

func rung(s Status) int {
	for i, l := range ladder {
		if l == s {
			return i
		}
	}
	return -1
}

// Final reports whether no further status can replace s.
func (s Status) Final() bool {
	switch s {
	case StatusFailed, StatusMismatch, StatusDeleted:
		return true
	}
	return false
}

// Advance decides what an outgoing message's status becomes when next is
// reported while it is cur. It returns the statuses the message passes
// through, in order: empty when next would move it back (a late "delivered"
// after "read") or when cur is final; and, when next skips ahead (a
// "delivered" receipt before "sent" was recorded), the skipped statuses
// first, because reaching "delivered" proves the message was sent.
func Advance(cur, next Status) []Status {
	if cur.Final() {
		return nil
	}
	if next == StatusDeleted {
		return []Status{next}
	}
	if next.Final() {
		if cur == StatusRead && next != StatusMismatch {
			// A read message cannot fail afterwards.
			return nil
		}
		return []Status{next}
	}
	c, n := rung(cur), rung(next)
	if c < 0 || n <= c {
		return nil
	}
	return append([]Status(nil), ladder[c+1:n+1]...)
}

// Direction tells whether a message was sent by the business, received from
// the customer, or is an internal note.
type Direction string

// The message directions.
const (
	Outbound Direction = "out"
	Inbound  Direction = "in"
	Note     Direction = "note"
)

// SendState is where an outgoing message stands in the send pipeline: the
// message row is itself the durable send job.
type SendState string

// The send states.
const (
	SendNone   SendState = ""       // not an outgoing message
	SendQueued SendState = "queued" // waiting for (another) provider attempt
	SendDone   SendState = "done"   // the provider accepted or refused it for good, or it was deleted
)

// Message types of the send contract.
const (
	TypeText     = "text"
	TypeImage    = "image"
	TypeDocument = "document"
	TypeAudio    = "audio"
	TypeVideo    = "video"
)

// Content is what a message carries. Text is the text of a text message or
// the caption of a media message.
type Content struct {
	Text string `json:"text,omitempty"`
	URL  string `json:"url,omitempty"`
	// Details are the structured parts of an inbound message, keyed by
	// their API field (see InboundMessage.Details).
	Details map[string]json.RawMessage `json:"details,omitempty"`
	// Tag is the message tag an outgoing free-form message is sent with
	// (Meta's HUMAN_AGENT), which lets it go after the standard 24-hour
	// window; empty for none. See ProviderInfo.MessageTags.
	Tag string `json:"tag,omitempty"`
}

// Message is a message of a conversation, in either direction. An outgoing
// message is also its own send job: SendState, Attempts, NextAttemptAt and
// Owner are the pipeline's bookkeeping.
type Message struct {
	ID        int64
	UUID      string
	AccountID int64
	ChannelID int64
	ContactID int64
	Direction Direction
	Type      string
	Content   Content
	// TemplateUUID names the template the message was made from, if any;
	// TemplateValues fill its placeholders.
	TemplateUUID   string
	TemplateValues []string
	Status         Status
	// StatusPayload is the raw status payload last received from the
	// provider (messageStatusPayload), nil when none.
	StatusPayload json.RawMessage
	ExternalID    string
	Metadata      map[string]string
	// DeletedAt is when the customer deleted (unsent) this inbound message
	// on the network (Instagram's is_deleted); zero when they did not. The
	// message keeps its place in the thread, its content cleared.
	DeletedAt time.Time
	CreatedAt time.Time
	UpdatedAt time.Time

	SendState     SendState
	Attempts      int
	NextAttemptAt time.Time
	// Owner is the id of the server instance whose pipeline sends the
	// message; an instance that stops heartbeating loses its messages to
	// the others.
	Owner     string
	LastError string
	// Version counts the updates of the row; an update names the version
	// it was computed from, so that two writers cannot overwrite each
	// other's change unseen.
	Version int64
}

// StatusChange is one entry of a message's status history: every status
// reported is kept, also those that did not change the message's status.
type StatusChange struct {
	MessageID int64
	Status    Status
	Payload   json.RawMessage
	Applied   bool // false when the change was out of order and left the status as it was
	CreatedAt time.Time
}

// IdempotencyRecord remembers the answer to a send made with an
// Idempotency-Key, so that a retry with the same key and body sends nothing.
type IdempotencyRecord struct {
	AccountID   int64
	Key         string
	RequestHash string
	MessageUUID string
	Fields      string
	CreatedAt   time.Time
}

// IdempotencyWindow is how long an Idempotency-Key is remembered.
const IdempotencyWindow = 24 * time.Hour

// ValidMediaURL reports whether raw is a URL a provider can fetch a file
// from: absolute http or https, with a host. A send's media and a declared
// template's media header are held to it alike.
func ValidMediaURL(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// MessageQueries keep messages and their status history.
type MessageQueries interface {
	CreateMessage(ctx context.Context, m *Message) error
	// CreateMessageLater is CreateMessage for a caller that does not read
	// m.ID before its transaction commits: a store may write m.ID only
	// then, and send the message's INSERT with a later statement.
	CreateMessageLater(ctx context.Context, m *Message) error
	// CreateMessageOnce is CreateMessage for a message its network may
	// deliver again: when m's channel holds a message with m's external
	// id already, it writes nothing and reports false.
	CreateMessageOnce(ctx context.Context, m *Message) (bool, error)
	// CreateMessageOnceLater is CreateMessageOnce for a caller that runs
	// its transaction again when it fails, and does not read m.ID before
	// the commit: a store may send the INSERT with a later statement and
	// report true, and when the channel holds a message with m's external
	// id already, fail the transaction with ErrConflict instead.
	CreateMessageOnceLater(ctx context.Context, m *Message) (bool, error)
	MessageByID(ctx context.Context, accountID, id int64) (Message, error)
	MessageByUUID(ctx context.Context, accountID int64, uuid string) (Message, error)
	MessageByExternalID(ctx context.Context, channelID int64, externalID string) (Message, error)
	// MessagesByExternalID reads the messages of channel channelID that
	// have one of those provider ids, the ones it has, in no order: the
	// messages of the receipts that came at the same time, read in one
	// statement. An empty id finds nothing.
	MessagesByExternalID(ctx context.Context, channelID int64, externalIDs []string) ([]Message, error)
	// UpdateMessage writes the message's status (with its payload and
	// external id) and send job (state, attempts, next attempt, owner,
	// last error) and UpdatedAt, provided the stored row is still at
	// m.Version (ErrStale otherwise; ErrNotFound for no such message of
	// the account), and moves m.Version on. It leaves the content, the
	// template values and DeletedAt as stored, and with them the words
	// search finds the message by: only EraseMessage changes them.
	UpdateMessage(ctx context.Context, m *Message) error
	// UpdateMessageFrom is UpdateMessage for a caller that read the
	// message as was, at m.Version: of the columns indexes hold, it
	// writes only those where m differs from was, so that an update does
	// not rewrite the index entries of what it left as it was (a receipt
	// changes the status, not the provider's id). When the row no longer
	// holds was's values in the others, it writes every column, as
	// UpdateMessage: the row ends as m either way. Under the same check
	// of m.Version.
	UpdateMessageFrom(ctx context.Context, was Message, m *Message) error
	// UpdateMessageFromLater is UpdateMessageFrom for a caller that runs
	// its transaction again when it fails: a store may send the UPDATE
	// with a later statement, and when the row is no longer was at
	// m.Version, fail the transaction with ErrStale (ErrNotFound for a
	// message gone) instead of writing every column.
	UpdateMessageFromLater(ctx context.Context, was Message, m *Message) error
	// EraseMessage erases the message's content and template values (in
	// m too), writes DeletedAt and what UpdateMessage writes, under the
	// same check of m.Version, and removes the words search found the
	// message by: a message deleted, by the API or by its customer.
	EraseMessage(ctx context.Context, m *Message) error
	// ContactMessages lists a contact's messages, newest first, and counts
	// them all: the API's numbered pages (GET /contacts/:uuid/messages
	// takes page and items, as Callbell's does).
	ContactMessages(ctx context.Context, accountID, contactID int64, page Page) ([]Message, int, error)
	// ContactMessagesBefore lists a contact's messages, newest first, from
	// the one before the message id before (0: from the newest), at most
	// limit: a page by keyset, the next one after the last id it gave,
	// without counting them. The console's thread reads a contact's
	// messages this way only.
	ContactMessagesBefore(ctx context.Context, accountID, contactID, before int64, limit int) ([]Message, error)
	AddStatusChange(ctx context.Context, c StatusChange) error
	StatusHistory(ctx context.Context, messageID int64) ([]StatusChange, error)
}

// QueueCheck is a queued message as the store holds it now, read by the
// send pipeline before an attempt (SendQueueQueries.CheckQueued).
type QueueCheck struct {
	Message Message
	// Gone: the message is no longer stored (deleted with its contact).
	Gone bool
	// Earlier: a message to the same recipient accepted before it is
	// still queued, perhaps held by another instance. Asked for only.
	Earlier bool
}

// SendQueueQueries are the send pipeline's bookkeeping: the queued messages
// (a message row is its own send job) and the server instances that own
// them.
type SendQueueQueries interface {
	// QueuedMessages lists the queued outgoing messages that owner sends,
	// in the order they were accepted, after the message id afterID. It
	// walks the queue by id, not by page: messages leave the queue while
	// it is walked, and an offset would skip some.
	QueuedMessages(ctx context.Context, owner string, afterID int64, limit int) ([]Message, error)
	// CheckQueued returns each message of ms as stored now, in ms's
	// order and in one statement: m itself, with the stored owner, when
	// the stored row is still at m.Version, else the row read whole; Gone
	// when the account has no such message. Every write of a message's
	// fields moves its version on, but that of its owner (AdoptMessages).
	// With earlier, it also tells whether a queued message to the same
	// contact on the same channel was accepted before each.
	CheckQueued(ctx context.Context, ms []Message, earlier bool) ([]QueueCheck, error)
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
}

// IdempotencyQueries keep the records of sends made with an
// Idempotency-Key.
type IdempotencyQueries interface {
	IdempotencyRecord(ctx context.Context, accountID int64, key string) (IdempotencyRecord, error)
	// SaveIdempotencyRecord returns ErrConflict when the account has a
	// record of that key already.
	SaveIdempotencyRecord(ctx context.Context, r IdempotencyRecord) error
	// DeleteIdempotencyRecords forgets the records made before t, in
	// transactions of a bounded number of records each (outside a caller's
	// transaction), so that the writes of others go on between them.
	DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int64, error)
	// DeleteIdempotencyRecord forgets the account's record of key when
	// it was made before t.
	DeleteIdempotencyRecord(ctx context.Context, accountID int64, key string, before time.Time) error
}
