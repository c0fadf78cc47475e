package telegram

import "encoding/json"

// The Bot API's objects, as far as carillon reads them
// (https://core.telegram.org/bots/api#available-types). Unknown fields are
// ignored; fields carillon does not use are left out.

// answer is every Bot API answer: ok and result, or ok false with
// error_code, description and, for some errors, parameters.
type answer struct {
	OK          bool            `json:"ok"`
	Result      json.RawMessage `json:"result"`
	ErrorCode   int             `json:"error_code"`
	Description string          `json:"description"`
	Parameters  *struct {
		// RetryAfter is the flood-control wait, in seconds.
		RetryAfter int `json:"retry_after"`
		// MigrateToChatID is the supergroup a group became.
		MigrateToChatID int64 `json:"migrate_to_chat_id"`
	} `json:"parameters"`
}

// update is one Update. Only message is read: an update of any other kind
// (edited_message, channel_post, callback_query…) has it absent.
type update struct {
	UpdateID int64    `json:"update_id"`
	Message  *message `json:"message"`
}

// user is a Telegram user or bot.
type user struct {
	ID        int64  `json:"id"`
	IsBot     bool   `json:"is_bot"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
	Username  string `json:"username"`
}

// chat is the conversation a message belongs to: for a private chat its id
// is the user's id.
type chat struct {
	ID        int64  `json:"id"`
	Type      string `json:"type"` // private, group, supergroup, channel
	Title     string `json:"title"`
	Username  string `json:"username"`
	FirstName string `json:"first_name"`
	LastName  string `json:"last_name"`
}

// message is a Message: exactly one of its content fields is set (text,
// photo, document…), plus caption for media.
type message struct {
	MessageID      int64     `json:"message_id"`
	From           *user     `json:"from"`
	SenderChat     *chat     `json:"sender_chat"`
	Chat           chat      `json:"chat"`
	Date           int64     `json:"date"`
	ReplyToMessage *message  `json:"reply_to_message"`
	ForwardOrigin  *origin   `json:"forward_origin"`
	Text           string    `json:"text"`
	Caption        string    `json:"caption"`
	Photo          []photo   `json:"photo"`
	Animation      *file     `json:"animation"`
	Document       *file     `json:"document"`
	Audio          *file     `json:"audio"`
	Video          *file     `json:"video"`
	VideoNote      *file     `json:"video_note"`
	Voice          *file     `json:"voice"`
	Sticker        *sticker  `json:"sticker"`
	Contact        *contact  `json:"contact"`
	Venue          *venue    `json:"venue"`
	Location       *location `json:"location"`

	// The forward fields of Bot API 6 and before, replaced by
	// forward_origin in 7.0: read too, in case an older Bot API server
	// (a self-hosted one) sends them.
	ForwardFrom     *user `json:"forward_from"`
	ForwardFromChat *chat `json:"forward_from_chat"`
	ForwardDate     int64 `json:"forward_date"`
}

// origin is a MessageOrigin: where a forwarded message came from.
type origin struct {
	Type string `json:"type"` // user, hidden_user, chat, channel
	Date int64  `json:"date"`
}

// photo is one PhotoSize: a photo comes in several sizes.
type photo struct {
	FileID   string `json:"file_id"`
	Width    int    `json:"width"`
	Height   int    `json:"height"`
	FileSize int64  `json:"file_size"`
}

// file is what Document, Audio, Video, VideoNote, Voice and Animation have
// in common.
type file struct {
	FileID   string `json:"file_id"`
	FileName string `json:"file_name"`
	MimeType string `json:"mime_type"`
}

// sticker is a Sticker: a WebP image, an animated TGS or a WebM video.
type sticker struct {
	FileID     string `json:"file_id"`
	Emoji      string `json:"emoji"`
	IsAnimated bool   `json:"is_animated"`
	IsVideo    bool   `json:"is_video"`
}

// contact is a shared Contact.
type contact struct {
	PhoneNumber string `json:"phone_number"`
	FirstName   string `json:"first_name"`
	LastName    string `json:"last_name"`
	UserID      int64  `json:"user_id"`
	VCard       string `json:"vcard"`
}

// location is a Location.
type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
}

// venue is a Venue: a location with a name and an address.
type venue struct {
	Location location `json:"location"`
	Title    string   `json:"title"`
	Address  string   `json:"address"`
}

// sentMessage is the part of the Message a send method answers with that
// carillon keeps.
type sentMessage struct {
	MessageID int64 `json:"message_id"`
	Chat      struct {
		ID int64 `json:"id"`
	} `json:"chat"`
}

// fileInfo is a File, the answer of getFile.
type fileInfo struct {
	FileID   string `json:"file_id"`
	FilePath string `json:"file_path"`
}
