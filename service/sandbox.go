package service

import (
	"context"

	"github.com/carillon/carillon"
)

// Sandbox is what a person needs to play a customer of the account's
// sandbox: its channels and the sandbox's reserved numbers.
type Sandbox struct {
	// Channels are the account's sandbox channels in use (of its first
	// MaxPageSize channels in use), the main WhatsApp channel first.
	Channels []carillon.Channel
	// Reserved are the sandbox's reserved numbers, each with what a
	// message to it does, as the sandbox describes them.
	Reserved []carillon.ReservedAddress
}

// SandboxChannels lists the account's sandbox channels and the sandbox's
// reserved numbers. A message a customer writes to one of them arrives
// through SandboxInbound.
func (s *Messages) SandboxChannels(ctx context.Context, p Principal) (Sandbox, error) {
	active := true
	channels, _, err := s.store.ListChannels(ctx, p.Account.ID, carillon.ChannelFilter{Active: &active}, carillon.Page{Number: 1, Size: MaxPageSize})
	if err != nil {
		return Sandbox{}, s.internal(ctx, "list sandbox channels", err)
	}
	var out Sandbox
	for _, ch := range channels {
		if ch.Provider != carillon.ProviderSandbox {
			continue
		}
		if ch.Main && ch.Type == carillon.WhatsApp {
			out.Channels = append([]carillon.Channel{ch}, out.Channels...)
		} else {
			out.Channels = append(out.Channels, ch)
		}
	}
	if info, ok := s.registry.Lookup(carillon.ProviderSandbox); ok {
		out.Reserved = info.ReservedAddresses
	}
	return out, nil
}
