package carillon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// Provider sends messages through one messaging network. Providers are pure
// translators: a message in, a provider call out, its answer classified. They
// never touch the store.
type Provider interface {
	// Send makes one attempt to hand the message to the network. It returns
	// a *SendError when the network refused or could not be reached.
	Send(ctx context.Context, out Outgoing) (SendResult, error)
}

// Outgoing is one send attempt handed to a provider.
type Outgoing struct {
	Channel Channel
	Message Message
	// To is the recipient's address on the channel (E.164 digits on
	// WhatsApp, the chat id on Telegram); BSUID when known only by that.
	To    string
	BSUID string
	// Template is the template the message was made from, nil for a
	// free-form message; Message.TemplateValues fill its placeholders.
	Template *Template
	// Attempt counts the attempts for this message, this one included.
	Attempt int
}

// SendResult is what a provider answers when it accepted a message.
type SendResult struct {
	ExternalID string
	// Address is the recipient's canonical address when the provider
	// reports one (WhatsApp's wa_id).
	Address string
	Payload json.RawMessage
	// Receipts are statuses the provider reports with its answer, in
	// order (the sandbox with no delay: delivered and read at once). They
	// are recorded with the send's outcome, after "sent", as receipts
	// reported apart would be.
	Receipts []Receipt
}

// SendError is a failed send attempt, classified so the pipeline knows
// whether to try again.
type SendError struct {
	// Permanent errors fail the message at once; the others are retried
	// with backoff.
	Permanent bool
	Code      string
	Title     string
	// RetryAfter is a wait the provider asked for (Telegram's retry_after,
	// an HTTP Retry-After); the pipeline honours it when longer than its
	// own backoff.
	RetryAfter time.Duration
	// Scope says what the error holds back: the whole channel (throughput
	// reached), or only this recipient (the default).
	Scope ErrorScope
	// Payload is the provider's raw answer, kept inside
	// messageStatusPayload when the message fails.
	Payload json.RawMessage
}

// ErrorScope tells what a transient send error holds back.
type ErrorScope int

// The scopes of a transient error.
const (
	ScopeRecipient ErrorScope = iota
	ScopeChannel
)

func (e *SendError) Error() string {
	kind := "transient"
	if e.Permanent {
		kind = "permanent"
	}
	return fmt.Sprintf("%s provider error %s: %s", kind, e.Code, e.Title)
}

// Receipt is a status reported by a provider for a message it accepted.
type Receipt struct {
	ChannelID int64
	// ExternalID is the provider's id of the message; MessageUUID is
	// carillon's, when the provider knows it (the sandbox does).
	ExternalID  string
	MessageUUID string
	Status      Status
	// Payload is the provider's own report, kept in messageStatusPayload.
	Payload json.RawMessage
	// Code and Reason are the provider's error code and its explanation,
	// for a failed (or mismatched) message.
	Code, Reason string
	// CorrectedAddress is, for a mismatch, the address the provider
	// reports the recipient under instead.
	CorrectedAddress string
	At               time.Time
	// Recipient, Through and AndEarlier make a receipt that covers more
	// than one message (Meta's watermarks): every outgoing message of the
	// channel to the customer whose address is Recipient, accepted at or
	// before Through, or, with AndEarlier, the message ExternalID names and
	// every one accepted before it. The service applies it to each.
	Recipient  string
	Through    time.Time
	AndEarlier bool
}

// InboundMessage is a message a customer sent to one of the channels.
type InboundMessage struct {
	ChannelID int64
	// From is the sender's address on the channel (E.164 digits on
	// WhatsApp, the chat id on Telegram); empty when the network identifies
	// the sender only by BSUID.
	From        string
	BSUID       string
	ProfileName string
	// ExternalID is the network's id of the message, unique on the
	// channel: a callback that repeats it is stored once.
	ExternalID string
	// Type is text, image, document, audio, video, sticker, location,
	// contacts, interactive, button, reaction or another type the network
	// names.
	Type    string
	Content Content
	// Media names the file the message carries on the network, to be
	// fetched with the provider's MediaFetcher; nil when none.
	Media *InboundMedia
	// Details are the structured parts the wire contract names, keyed by
	// their API field: messageContactCard, messageContext, messageForward,
	// messageInteractiveList, messageLocation, messageReplyButton, and
	// messageReaction. Each value is a JSON object.
	Details map[string]json.RawMessage
	At      time.Time
	// Echo marks a message the business sent from elsewhere (another app,
	// the network's own inbox), which the network reports back: it is
	// stored as outgoing and sent, to From, the customer. EchoOf is the
	// carillon message uuid the network carried back with it, when it was
	// carillon's own send: that one is stored already.
	Echo   bool
	EchoOf string
}

// Deletion says that a customer deleted (unsent) a message they had sent
// to a channel (Instagram's message with is_deleted).
type Deletion struct {
	ChannelID int64
	// ExternalID is the network's id of the deleted message; From the
	// customer's address, who sent it.
	ExternalID string
	From       string
	At         time.Time
}

// InboundMedia is a file an inbound message carries, as the network names it.
type InboundMedia struct {
	// ID is the network's media id (WhatsApp) or file id (Telegram).
	ID       string
	MimeType string
	Filename string
	SHA256   string
	// URL is where the network serves the file, when it names it directly
	// instead of by id (Meta's Messenger and Instagram attachments); such
	// URLs are signed and expire, and stay out of logs.
	URL string
}

// Callback is one request a provider's network made to a channel's callback
// URL, read by the HTTP adapter and handed to the provider as it came.
type Callback struct {
	Method string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// CallbackResult is what a callback carried. When Reply is set the adapter
// answers with it and stores nothing (WhatsApp's verification handshake);
// otherwise it stores the messages and receipts, then answers 200.
type CallbackResult struct {
	Reply    *CallbackReply
	Messages []InboundMessage
	Receipts []Receipt
	// Deletions are the customer's messages the network says they deleted
	// (unsent) since carillon received them.
	Deletions []Deletion
	// Ignored counts the parts of the callback that carried nothing
	// carillon keeps (an unknown update kind, an unsupported field).
	Ignored int
	// ChannelAddress is the channel's own address when the callback
	// names it (WhatsApp's metadata.display_phone_number, as E.164
	// digits); "" when it does not.
	ChannelAddress string
}

// CallbackReply is a direct answer to a callback.
type CallbackReply struct {
	Status      int
	ContentType string
	Body        []byte
}

// CallbackError refuses a callback: Status is the HTTP status to answer
// (403 for a bad signature or secret, 400 for a body that cannot be read)
// and Reason says why, for the log. Nothing of a refused callback is stored.
type CallbackError struct {
	Status int
	Reason string
}

func (e *CallbackError) Error() string {
	return fmt.Sprintf("callback refused (%d): %s", e.Status, e.Reason)
}

// SettingsChecker is implemented by providers that check a channel's
// settings beyond their presence (the shape of ids and tokens). Its errors
// name settings, never their values.
type SettingsChecker interface {
	CheckSettings(settings map[string]string) error
}

// CallbackParser is implemented by providers whose network calls carillon
// back. ParseCallback authenticates the request (signature, secret token)
// before reading its body, and translates it; it does no I/O.
type CallbackParser interface {
	ParseCallback(ch Channel, cb Callback) (CallbackResult, error)
}

// MediaFetcher is implemented by providers whose inbound messages carry media
// that must be downloaded from the network.
type MediaFetcher interface {
	// FetchMedia returns the file's content; the caller closes it.
	FetchMedia(ctx context.Context, ch Channel, m InboundMedia) (io.ReadCloser, string, error)
}

// TemplateSource is implemented by providers that keep message templates
// (WhatsApp Business Management API).
type TemplateSource interface {
	FetchTemplates(ctx context.Context, ch Channel) ([]Template, error)
}

// MediaStore keeps the files of inbound messages, so that API users read
// them from carillon long after the network's own links expired, and the
// files people attach in the console, which the network fetches from
// carillon.
type MediaStore interface {
	// Put stores a file that the network declared of type contentType and
	// named filename (either may be empty) and returns its name: a random,
	// unguessable key, a dot and the extension of the type the file is
	// kept under, which is checked against its bytes. The name is the last
	// part of the file's URL.
	Put(ctx context.Context, r io.Reader, contentType, filename string) (string, error)
	// Open returns a stored file by its name, or by its key alone;
	// ErrNotFound when the name names none (an extension other than the
	// file's included).
	Open(ctx context.Context, name string) (MediaFile, error)
	// Delete removes a stored file by its name (or key): a file kept for
	// a send that was then refused. A name that names no file is not an
	// error.
	Delete(ctx context.Context, name string) error
}

// MediaFile is a stored file, open for reading.
type MediaFile struct {
	// Content is the file's bytes; the caller closes it.
	Content io.ReadCloser
	// Size is the length of Content in bytes.
	Size int64
	// ContentType is the type the file is kept under: the declared one
	// when the bytes do not contradict it, else the one the bytes show.
	ContentType string
	// Name is the file's name in its URL: its key and extension.
	Name string
	// Filename is the name to offer for saving the file: the customer's
	// own, made safe (no path, control characters or quotes), else Name.
	Filename string
	// Inline is set for a raster image, an audio or a video file whose
	// bytes carry its format's signature: a browser shows such a file and
	// never runs it. Every other file is offered as a download.
	Inline bool
}

// AddressReader is implemented by providers that can ask their network for
// a channel's own address: the number of a WhatsApp channel (E.164 digits),
// the username of a Telegram bot. It is read when a channel is declared.
type AddressReader interface {
	ReadAddress(ctx context.Context, ch Channel) (string, error)
}

// CredentialChecker is implemented by providers whose declarations are
// refused when the network refuses the channel's credentials (Meta's
// Messenger and Instagram: one Graph call with the token). CheckCredentials
// returns an error only for the network's refusal, never quoting a secret;
// a network that cannot be reached is no refusal (nil), and the channel's
// sends will tell.
type CredentialChecker interface {
	CheckCredentials(ctx context.Context, ch Channel) error
}

// ProfileReader is implemented by providers whose network tells a
// customer's name on request rather than in its callbacks (Messenger,
// Instagram). The service asks once per contact, when it makes it.
type ProfileReader interface {
	ReadProfile(ctx context.Context, ch Channel, address string) (string, error)
}

// CallbackRegistrar is implemented by providers whose network is told the
// callback URL by an API call (Telegram's setWebhook).
type CallbackRegistrar interface {
	RegisterCallback(ctx context.Context, ch Channel, callbackURL string) error
}
