package carillon

import "context"

// Search finds an account's messages and contacts by their words, over
// their whole history. The store keeps an index of the words of what each
// message and contact is found by (SearchText), folded by package fold
// (lower case, without diacritics), written in the same transaction as the
// message or contact itself; a search names folded words too.

// SearchText is what search finds a message by: its text (a text
// message's, a media's caption, a filled template's, a note's). A message
// without text, or deleted (its content cleared), is not found.
func (m Message) SearchText() string {
	return m.Content.Text
}

// SearchText is what search finds a contact by: its name and its address
// (a phone number's digits, a Telegram chat id).
func (c Contact) SearchText() string {
	return c.Name + " " + c.Address
}

// SearchFilter selects the messages or contacts of an account that a
// search finds.
type SearchFilter struct {
	AccountID int64
	// Words are the words to find, folded as package fold folds them
	// (the store folds them again, which changes nothing of a folded
	// word): what is found holds every one of them. A filter without a
	// word finds nothing.
	Words []string
	// Prefix makes the last of Words the start of a word: "dej" finds
	// "déjà" and "déjeuner".
	Prefix bool
	// AssignedUserID, when not zero, finds only the messages of the
	// contacts assigned to that user, and those contacts.
	AssignedUserID int64
	// Agent, when its UserID is not zero, finds only what belongs to the
	// chats an agent sees (AgentChats).
	Agent AgentChats
}

// SearchQueries find messages and contacts by their words.
type SearchQueries interface {
	// SearchMessages lists the messages of f's account whose SearchText
	// holds f's words, newest first (by id), those with an id below
	// before when it is not zero, at most limit.
	SearchMessages(ctx context.Context, f SearchFilter, before int64, limit int) ([]Message, error)
	// SearchContacts lists the contacts of f's account whose SearchText
	// holds f's words, newest first (by id), those with an id below
	// before when it is not zero, at most limit.
	SearchContacts(ctx context.Context, f SearchFilter, before int64, limit int) ([]Contact, error)
}
