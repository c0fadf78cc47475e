package service

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
)

// Addresses: the customer's side of a message (numbers the API is given,
// numbers the network reports) and the channel's own (its number or bot
// username, learned from the network).

// channelAddress is address, but a number the network reported on the
// channel (a contact's address as WhatsApp wrote it in a callback or a send
// answer: a Brazilian mobile from before the ninth digit, a Mexican 521…
// id) is taken as written, even where libphonenumber would refuse or
// rewrite it: replies go to contact.phoneNumber as it was received. The
// store is read only for a number that address refuses or rewrites.
func (s *core) channelAddress(ctx context.Context, ch carillon.Channel, field, raw string) (string, error) {
	addr, err := address(ch, field, raw)
	if ch.Type == carillon.Telegram || scopedIDs(ch) {
		return addr, err
	}
	digits := phone.Clean(raw)
	if digits == addr || !phone.Reported(digits) {
		return addr, err
	}
	_, lookup := s.store.ContactByAddress(ctx, ch.ID, digits)
	switch {
	case lookup == nil:
		return digits, nil
	case !errors.Is(lookup, carillon.ErrNotFound):
		return "", lookup
	}
	return addr, err
}

// inboundSender checks the sender of an inbound message as outbound
// addresses are checked, before it becomes a contact: on WhatsApp a number
// that can be one (phone.Reported: WhatsApp's own ids pass, Mexican 521…
// and Brazilian pre-ninth-digit ones included), on Telegram a chat id (an
// integer); a BSUID alone is enough where the network gives one.
func inboundSender(ch carillon.Channel, in carillon.InboundMessage) error {
	switch {
	case in.From == "" && strings.TrimSpace(in.BSUID) == "":
		return errors.New("the message names no sender")
	case len(in.BSUID) > maxBSUIDLength:
		return fmt.Errorf("the sender's BSUID is longer than %d characters", maxBSUIDLength)
	case in.From == "":
		return nil
	case scopedIDs(ch):
		if !scopedID(in.From) {
			return errors.New("the sender is not a scoped user id")
		}
	case ch.Type == carillon.Telegram:
		if _, err := strconv.ParseInt(in.From, 10, 64); err != nil {
			return errors.New("the sender is not a Telegram chat id")
		}
	case !phone.Reported(in.From):
		return errors.New("the sender is not a phone number's digits")
	}
	return nil
}

// scopedIDs reports whether the channel's customers are known by an id
// the network scopes to the page or account (Messenger's page-scoped ids,
// Instagram-scoped ids): digits, shown as the contact's phoneNumber.
func scopedIDs(ch carillon.Channel) bool {
	return ch.Type == carillon.Facebook || ch.Type == carillon.Instagram
}

// scopedID reports whether v can be a scoped user id.
func scopedID(v string) bool {
	if v == "" || len(v) > maxScopedID {
		return false
	}
	for _, r := range v {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// clip bounds a value the network sent for a log line.
func clip(s string) string {
	const most = 40
	if len(s) <= most {
		return s
	}
	return strings.ToValidUTF8(s[:most], "") + "…"
}

// LearnAddress asks the network of a channel whose provider can tell
// (WhatsApp, Telegram) for the channel's own address, its number or bot
// username, and keeps it: messages show it as their business side. It
// returns the channel as stored. A sandbox channel's number is a setting;
// other channels need nothing.
func (s *Messages) LearnAddress(ctx context.Context, ch carillon.Channel) (carillon.Channel, error) {
	reader, ok := s.providers[ch.Provider].(carillon.AddressReader)
	if !ok || !ch.Active() {
		return ch, nil
	}
	addr, err := reader.ReadAddress(ctx, ch)
	if err != nil {
		return ch, fmt.Errorf("channel %s is saved, but its own address could not be read from %s (messages show it once learned, from the next callback on WhatsApp): %w", ch.Title, ch.Provider, err)
	}
	if addr == ch.Address {
		return ch, nil
	}
	if err := s.inTx(ctx, func(q carillon.Queries) error { return q.SetChannelAddress(ctx, ch.ID, addr) }); err != nil {
		return ch, err
	}
	ch.Address = addr
	return ch, nil
}
