package carillon

import (
	"context"
	"time"
)

// ChangePresence is the kind of a chat change that says who views or
// types in a conversation changed; ChangeMessageDeleted that a customer
// deleted a message they sent, which makes no webhook event; the other
// kinds are the webhook event names (EventMessageCreated…) of the change.
const (
	ChangePresence       = "presence"
	ChangeMessageDeleted = "message_deleted"
)

// ChatChange is one committed change of an account's chats: a message
// received, sent or whose status moved, a contact or its conversation
// changed, someone started viewing or typing. The console's live inbox
// streams them (service.Live). It is written in the transaction of the
// change, so a change that rolled back has none, and its ID is given at
// commit, in commit order: a reader that has seen a change has seen every
// change of a lower ID.
type ChatChange struct {
	// ID is given by the store when the transaction commits: 0 until then.
	ID        int64
	AccountID int64
	// Kind is a webhook event name, ChangePresence or ChangeMessageDeleted.
	Kind             string
	ContactID        int64
	ContactUUID      string
	ConversationUUID string
	// AssignedUserID and TeamID are the contact's as the change left it;
	// WasAssignedUserID and WasTeamID as it was before, when the change
	// moved it: a viewer who could see the chat before or after the
	// change is told of it.
	AssignedUserID    int64
	TeamID            int64
	WasAssignedUserID int64
	WasTeamID         int64
	CreatedAt         time.Time
}

// ChatChangeLog is where the record of chat changes stands: LastID is
// the ID of the newest committed change, PrunedThrough the highest ID
// deleted by pruning (a reader behind it has missed changes no longer
// kept).
type ChatChangeLog struct {
	LastID        int64
	PrunedThrough int64
}

// The states of a user's presence in a conversation.
const (
	PresenceViewing = "viewing"
	PresenceTyping  = "typing"
)

// ChatPresence is a user viewing, or typing in, a contact's conversation,
// until a time: each state has its own end (zero when not in it).
type ChatPresence struct {
	AccountID    int64
	ContactID    int64
	UserID       int64
	UserUUID     string
	UserName     string
	ViewingUntil time.Time
	TypingUntil  time.Time
}

// LiveQueries keep the record of chat changes and who is on which
// conversation.
type LiveQueries interface {
	// AddChatChange records a change. Inside a transaction it is held
	// and written just before the commit, where it gets its ID: the IDs
	// of concurrent transactions are then in the order they commit.
	// Outside one it is written at once.
	AddChatChange(ctx context.Context, c ChatChange) error
	// ChatChanges lists the changes of every account after the one of ID
	// after, oldest first, up to limit (the console's stream of each
	// instance).
	ChatChanges(ctx context.Context, after int64, limit int) ([]ChatChange, error)
	// AccountChatChanges lists the account's changes of ID in (after,
	// through], oldest first, up to limit.
	AccountChatChanges(ctx context.Context, accountID, after, through int64, limit int) ([]ChatChange, error)
	// ChatChangeLog is where the record stands.
	ChatChangeLog(ctx context.Context) (ChatChangeLog, error)
	// PruneChatChanges deletes the changes made before before, and all
	// but the newest keep, moves PrunedThrough to the highest ID it
	// deleted, and returns how many it deleted. It deletes them in
	// transactions of a bounded number of changes each, so that the
	// writes of others go on between them.
	PruneChatChanges(ctx context.Context, before time.Time, keep int) (int64, error)

	// SetChatPresence records a user's presence on a contact's
	// conversation, replacing the one they had.
	SetChatPresence(ctx context.Context, p ChatPresence) error
	// ChatPresences lists, by contact, the presences on those contacts'
	// conversations in a state at now (viewing or typing until after
	// now), with the users' uuids and names, by name.
	ChatPresences(ctx context.Context, contactIDs []int64, now time.Time) (map[int64][]ChatPresence, error)
	// DeleteChatPresences deletes the presences that ended before t.
	DeleteChatPresences(ctx context.Context, t time.Time) error
}
