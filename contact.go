package carillon

import "time"

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
