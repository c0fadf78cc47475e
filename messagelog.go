package carillon

import (
	"context"
	"time"
)

// MessageLogFilter selects messages of an account's log: its inbound and
// outbound messages (notes are never in it). A zero field selects
// everything.
type MessageLogFilter struct {
	AccountID int64
	ChannelID int64
	Direction Direction
	Status    Status
	// Address selects the messages of the contacts with that address, on
	// any of the account's channels.
	Address string
	// AssignedUserID, when not zero, selects only the messages of the
	// contacts assigned to that user.
	AssignedUserID int64
	// Agent, when its UserID is not zero, selects only the messages of
	// the chats an agent sees (AgentChats).
	Agent AgentChats
	// From and To bound the messages' creation time: at or after From,
	// before To.
	From, To time.Time
}

// AgentChats are the chats an agent sees: the contacts assigned to
// UserID, those of one of TeamIDs, and those of no team.
type AgentChats struct {
	UserID  int64
	TeamIDs []int64
}

// MessageLogCursor is where a page of the log ends: the creation time and
// id of its last message. The zero cursor starts at the newest message.
type MessageLogCursor struct {
	CreatedAt time.Time
	ID        int64
}

// MessageLogQueries read an account's messages across its contacts.
type MessageLogQueries interface {
	// MessageLog lists the messages f selects that come after the cursor,
	// newest first (by creation time, then id), at most limit.
	MessageLog(ctx context.Context, f MessageLogFilter, after MessageLogCursor, limit int) ([]Message, error)
}
