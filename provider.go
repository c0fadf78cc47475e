package carillon

import (
	"context"
	"encoding/json"
	"fmt"
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
	// Payload is the provider's raw answer, kept as messageStatusPayload
	// when the message fails.
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
	Payload     json.RawMessage
	At          time.Time
}

// InboundMessage is a message a customer sent to one of the channels.
type InboundMessage struct {
	ChannelID int64
	// From is the sender's address on the channel; BSUID when the network
	// identifies them only by that.
	From        string
	BSUID       string
	ProfileName string
	ExternalID  string
	Type        string
	Content     Content
	At          time.Time
}
