package carillon

import (
	"context"
	"time"
)

// Contact is a customer as seen on one channel: the same number on two
// channels is two contacts. The contact also carries its conversation, which
// Callbell models as one per contact that is opened and closed.
type Contact struct {
	ID        int64
	UUID      string
	AccountID int64
	ChannelID int64
	// Address is the contact's address on its channel: E.164 digits without
	// "+" on WhatsApp, the chat id on Telegram, empty for a contact known
	// only by its BSUID.
	Address   string
	BSUID     string
	Name      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// LastInboundAt is when the contact last wrote: it opens the 24-hour
	// customer service window.
	LastInboundAt time.Time
	// LastMessageAt and LastMessageDirection are the time and direction
	// of the contact's last message in or out (notes aside): the inbox
	// sorts conversations by it, and one whose last message is the
	// customer's waits for an answer (StatePending). Written with the
	// message, in its transaction.
	LastMessageAt        time.Time
	LastMessageDirection Direction

	ConversationUUID      string
	ConversationCreatedAt time.Time // zero while the contact has no conversation
	ClosedAt              time.Time
	ClosingReason         string

	AssignedUserID int64
	TeamID         int64
	FunnelID       string
	BlockedAt      time.Time
	Note           string
	BotStatus      string // "", "bot_start" or "bot_end"
	BotStartedAt   time.Time
}

// HasConversation reports whether the contact's conversation was ever opened.
func (c Contact) HasConversation() bool { return !c.ConversationCreatedAt.IsZero() }

// ConversationOpen reports whether the contact has an open conversation.
func (c Contact) ConversationOpen() bool { return c.HasConversation() && c.ClosedAt.IsZero() }

// CustomerServiceWindow is how long after a customer's last message a
// business may write to them freely on WhatsApp.
const CustomerServiceWindow = 24 * time.Hour

// InWindow reports whether the customer service window is open at now.
func (c Contact) InWindow(now time.Time) bool {
	return !c.LastInboundAt.IsZero() && now.Sub(c.LastInboundAt) < CustomerServiceWindow
}

// ContactFilter selects contacts in lists. Zero fields select everything.
type ContactFilter struct {
	// ChannelType keeps the contacts of channels of that type (source).
	ChannelType ChannelType
	// TagIDs keeps the contacts that have every one of the tags.
	TagIDs []int64
	TeamID int64
}

// ContactRef names a contact a transaction is about to read: by its id,
// or by its channel and address.
type ContactRef struct {
	ID        int64
	ChannelID int64
	Address   string
}

// ContactQueries keep contacts, with the conversation each carries, and what
// belongs to a contact alone: its tags and its custom field values (link
// rows that go when the contact goes). Lookups by channel serve callbacks,
// which name a channel, not an account.
type ContactQueries interface {
	CreateContact(ctx context.Context, c *Contact) error
	// UpdateContact writes every field of the contact but its identity.
	UpdateContact(ctx context.Context, c *Contact) error
	// UpdateContactFrom is UpdateContact for a caller that read the
	// contact in the same transaction: was, the row as it read it, spares
	// the store reading it again. When another transaction changed the
	// row since (on PostgreSQL) it writes nothing and is ErrStale: the
	// caller reads the contact again and makes its change anew.
	UpdateContactFrom(ctx context.Context, was Contact, c *Contact) error
	// PreloadContacts reads the contacts refs name at once, so that the
	// transaction's later reads of them (ContactByID, ContactByAddress)
	// need no statement each. A store may read nothing: it is a hint.
	PreloadContacts(ctx context.Context, refs []ContactRef) error
	ContactByID(ctx context.Context, accountID, id int64) (Contact, error)
	ContactByUUID(ctx context.Context, accountID int64, uuid string) (Contact, error)
	ContactByAddress(ctx context.Context, channelID int64, address string) (Contact, error)
	ContactByBSUID(ctx context.Context, channelID int64, bsuid string) (Contact, error)
	// ListContacts lists the account's contacts, newest first, and counts
	// all that match.
	ListContacts(ctx context.Context, accountID int64, f ContactFilter, page Page) ([]Contact, int, error)
	// DeleteContact deletes the contact with its messages, their status
	// history, its tags and its field values.
	DeleteContact(ctx context.Context, accountID, id int64) error
	// DeleteOldestContactMessages deletes the contact's oldest messages,
	// up to limit, with their status history, and returns how many: a
	// contact's long history goes a part at a time before the contact.
	DeleteOldestContactMessages(ctx context.Context, accountID, id int64, limit int) (int, error)
	// RewriteQueuedMessageAssignees gives up to limit older messages of a
	// contact assigned to someone else its assignee (an assignment
	// rewrites the newest at once and queues the rest), and reports
	// whether any contact was queued.
	RewriteQueuedMessageAssignees(ctx context.Context, limit int) (bool, error)

	// SetContactTags makes the contact's tags exactly tagIDs.
	SetContactTags(ctx context.Context, contactID int64, tagIDs []int64) error
	// SetContactFieldValue sets (or, with "", removes) a contact's value.
	SetContactFieldValue(ctx context.Context, contactID, fieldID int64, value string) error
	// ContactExtras returns the names of the contacts' tags, by contact id,
	// sorted by name, and their field values, by contact id then field id,
	// in one statement: a page of contacts shows both.
	ContactExtras(ctx context.Context, contactIDs []int64) (tags map[int64][]string, values map[int64]map[int64]string, err error)
}
