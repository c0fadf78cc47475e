package carillon

import (
	"context"
	"time"
)

// The shared inbox: an account's conversations as console users work them
// (views of them a page at a time, which ones each user has read), and the
// history of a conversation's opening, closing and assignment.

// ConversationState selects conversations by their state.
type ConversationState string

// The states the inbox filters by.
const (
	StateOpen ConversationState = "open"
	// StatePending are the open conversations whose last message is the
	// customer's: they wait for an answer.
	StatePending ConversationState = "pending"
	StateClosed  ConversationState = "closed"
)

// InboxOrder is the order of the inbox's conversations.
type InboxOrder string

// The inbox's orders. Each breaks ties by the contact's id, so that it is
// total and pages never repeat or skip a conversation.
const (
	// InboxNewest puts the conversation with the latest last message first.
	InboxNewest InboxOrder = "newest"
	// InboxOldest puts the conversation with the earliest last message first.
	InboxOldest InboxOrder = "oldest"
	// InboxUnassignedFirst lists the conversations assigned to nobody,
	// newest first, then the assigned ones, newest first.
	InboxUnassignedFirst InboxOrder = "unassigned"
)

// InboxFilter selects an account's conversations (the contacts whose
// conversation was ever opened). A zero field selects everything.
type InboxFilter struct {
	AccountID int64
	// AssignedUserID and Agent narrow the conversations to those a
	// reader may see, as in MessageLogFilter.
	AssignedUserID int64
	Agent          AgentChats
	// Assignee keeps the conversations assigned to that user; Unassigned
	// keeps those assigned to nobody.
	Assignee   int64
	Unassigned bool
	TeamID     int64
	State      ConversationState
	ChannelID  int64
	// TagID keeps the conversations whose contact has that tag.
	TagID int64
	// FunnelID keeps the conversations at that funnel stage (its uuid).
	FunnelID string
	Order    InboxOrder
}

// InboxCursor is where a page of the inbox ends: its last conversation's
// last message time and contact id, and whether it was assigned (in
// InboxUnassignedFirst, the assigned conversations come after every
// unassigned one). The zero cursor starts at the beginning.
type InboxCursor struct {
	Assigned      bool
	LastMessageAt time.Time
	ID            int64
}

// ConversationChangeKind is what a change of a conversation did.
type ConversationChangeKind string

// The changes a conversation's history keeps.
const (
	ChangeOpened   ConversationChangeKind = "opened"
	ChangeReopened ConversationChangeKind = "reopened"
	ChangeClosed   ConversationChangeKind = "closed"
	// ChangeAssigned assigns the conversation to UserID, or to nobody (0).
	ChangeAssigned ConversationChangeKind = "assigned"
	// ChangeTeam moves the conversation to TeamID, or to no team (0).
	ChangeTeam ConversationChangeKind = "team"
)

// ConversationChange is an entry of a conversation's history.
type ConversationChange struct {
	ID        int64
	ContactID int64
	Kind      ConversationChangeKind
	// ByUserID is the user who made the change (in the console, or with
	// an API key of theirs); 0 when no user did: the customer writing,
	// an API key of the account.
	ByUserID int64
	// UserID is the user a ChangeAssigned assigns to, TeamID the team of
	// a ChangeTeam; 0 for nobody or no team.
	UserID int64
	TeamID int64
	// Reason is a ChangeClosed's closing reason.
	Reason    string
	CreatedAt time.Time
}

// InboxQueries read the inbox's conversations and keep what the inbox adds
// to them: each user's read marks and each conversation's history. Read
// marks and history go when their contact goes.
type InboxQueries interface {
	// Inbox lists the conversations f selects after the cursor, in f's
	// order, at most limit.
	Inbox(ctx context.Context, f InboxFilter, after InboxCursor, limit int) ([]Contact, error)
	// InboxUnread counts the open conversations of f's scope and view
	// (AssignedUserID, Agent, Assignee, Unassigned, TeamID; its state,
	// order and other filters are not read) whose contact last wrote
	// after the reader's read mark, or ever wrote when the reader has
	// none: at most limit of them, the walk stopping there.
	InboxUnread(ctx context.Context, f InboxFilter, readerID int64, limit int) (int, error)
	// LastMessages finds each contact's message, in or out, created at
	// its LastMessageAt (the last stored of them on a tie), by contact id;
	// a contact with none has no entry.
	LastMessages(ctx context.Context, contacts []Contact) (map[int64]Message, error)
	// MarkRead sets the user's read mark on the contact's conversation to
	// at, unless it is later already.
	MarkRead(ctx context.Context, userID, contactID int64, at time.Time) error
	// ReadMarks returns the user's read marks on the contacts, by contact
	// id; a contact never read has no entry.
	ReadMarks(ctx context.Context, userID int64, contactIDs []int64) (map[int64]time.Time, error)
	// AddConversationChanges records entries of conversations' history,
	// setting their ids.
	AddConversationChanges(ctx context.Context, changes []ConversationChange) error
	// ConversationHistory lists the contact's conversation history at or
	// after from and before to (a zero time leaves that side open),
	// oldest first, at most limit: the latest ones when more match.
	ConversationHistory(ctx context.Context, contactID int64, from, to time.Time, limit int) ([]ConversationChange, error)
}
