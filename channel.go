package carillon

import (
	"context"
	"strconv"
	"time"
)

// ChannelType is the messaging network a channel belongs to; the API calls it
// `type` on channels and `from`/`source` on messages and contacts.
type ChannelType string

// The channel types of the wire contract.
const (
	WhatsApp  ChannelType = "whatsapp"
	Telegram  ChannelType = "telegram"
	Facebook  ChannelType = "facebook"
	Instagram ChannelType = "instagram"
)

// ValidChannelType reports whether t is one of the channel types.
func ValidChannelType(t string) bool {
	switch ChannelType(t) {
	case WhatsApp, Telegram, Facebook, Instagram:
		return true
	}
	return false
}

// Provider names: which implementation sends and receives for a channel.
const (
	ProviderSandbox  = "sandbox"
	ProviderWhatsApp = "whatsapp"
	ProviderTelegram = "telegram"
	// Meta's Messenger Platform (facebook channels) and Instagram
	// messaging (instagram channels).
	ProviderMessenger = "messenger"
	ProviderInstagram = "instagram"
)

// Channel is one of the business's numbers or bots. Settings hold the
// provider's configuration, secrets included: they are stored encrypted and
// never leave the server.
type Channel struct {
	ID        int64
	UUID      string
	AccountID int64
	Title     string
	Type      ChannelType
	Provider  string
	Main      bool
	Settings  map[string]string
	// Address is the channel's own address on its network, as the network
	// reported it: WhatsApp's display phone number (E.164 digits), the
	// Telegram bot's username; "" until learned. A sandbox channel's is its
	// number setting instead (see OwnAddress).
	Address     string
	DiscardedAt time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// ChannelFilter selects channels in lists. Zero fields select every
// channel.
type ChannelFilter struct {
	Type ChannelType
	// Active, when set, keeps the channels that are (or are not) active:
	// not discarded (Channel.Active).
	Active *bool
}

// Active reports whether the channel may send.
func (c Channel) Active() bool { return c.DiscardedAt.IsZero() }

// Setting returns the named provider setting, or def when it is unset.
func (c Channel) Setting(name, def string) string {
	if v, ok := c.Settings[name]; ok && v != "" {
		return v
	}
	return def
}

// DefaultSandboxNumber is the business number of a sandbox channel whose
// number setting is unset (docs/sandbox.md).
const DefaultSandboxNumber = "15550000000"

// OwnAddress is the business side of the channel's messages, their `from`
// when sent and `to` when received: a sandbox channel's number setting
// (DefaultSandboxNumber when unset), else the address the network reported
// (Address).
func (c Channel) OwnAddress() string {
	if c.Provider == ProviderSandbox {
		return c.Setting("number", DefaultSandboxNumber)
	}
	return c.Address
}

// MessagesPerSecond returns the channel's pacing limit (the `mps` setting),
// def when unset; 0 means unpaced.
func (c Channel) MessagesPerSecond(def int) int {
	v := c.Setting(SettingMPS, "")
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return def
	}
	return n
}

// ChannelQueries keep channels. ChannelByID, ChannelForCallback and
// SetChannelAddress take no account: the send pipeline and provider
// callbacks reach a channel by itself.
type ChannelQueries interface {
	CreateChannel(ctx context.Context, c *Channel) error
	UpdateChannel(ctx context.Context, c *Channel) error
	ChannelByID(ctx context.Context, id int64) (Channel, error)
	// ChannelsByIDs reads the channels of ids, by id, in one statement:
	// the channels of a page of contacts. An id of no channel is left out.
	ChannelsByIDs(ctx context.Context, ids []int64) (map[int64]Channel, error)
	ChannelByUUID(ctx context.Context, accountID int64, uuid string) (Channel, error)
	// ChannelForCallback finds a channel by uuid alone: a provider's
	// callback names the channel in its URL, and its signature (checked
	// with the channel's own secret) is its authentication.
	ChannelForCallback(ctx context.Context, uuid string) (Channel, error)
	// ChannelVersionByUUID reads, for the channel of that uuid (of any
	// account, as ChannelForCallback), its account, its id and the version
	// of its account's channels, in one statement: what a callback needs
	// to take its channel from the channels kept in memory.
	ChannelVersionByUUID(ctx context.Context, uuid string) (accountID, id, version int64, err error)
	// MainChannel returns the account's main channel of the type.
	MainChannel(ctx context.Context, accountID int64, typ ChannelType) (Channel, error)
	// ListChannels lists a page of the account's channels that f selects,
	// oldest first, and counts all that f selects.
	ListChannels(ctx context.Context, accountID int64, f ChannelFilter, page Page) ([]Channel, int, error)
	// AllChannels reads every channel of the account, oldest first, for
	// what must look through them all: a declaration or a new channel is
	// matched by title against every channel, a renamed one must not take
	// another's title, template sync and a provider's receipt go through
	// each channel, and at start and in `carillon channels list` the
	// server walks every channel (callbacks, own addresses).
	AllChannels(ctx context.Context, accountID int64) ([]Channel, error)
	// ChannelsVersion reads the version of the account's channels: it
	// moves with every change of one of them, whoever makes it (in the
	// database itself), and is at least 1. Read before AllChannels, it
	// names channels at least as new as itself.
	ChannelsVersion(ctx context.Context, accountID int64) (int64, error)
	// SetChannelAddress records the channel's own address as its network
	// reported it (Channel.Address); UpdateChannel leaves it as it is.
	SetChannelAddress(ctx context.Context, channelID int64, address string) error
}
