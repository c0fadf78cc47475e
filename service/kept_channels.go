package service

import (
	"context"
	"sync"

	"github.com/carillon/carillon"
)

// Channels kept in memory for API requests.
//
// Nearly every API request needs a channel of its account: a send its main
// channel, a page of contacts the channels they belong to, a contact's
// messages its channel. Channels change rarely, and reading one costs a
// statement and the opening of its sealed settings. So each instance keeps
// every account's channels as it read them at one version of them: the
// store moves an account's version with every change of one of its
// channels (a trigger, so that any writer moves it: another instance, an
// older binary, an operator's SQL), and reads an API key together with its
// account's version, in one statement. A request uses the kept channels
// when they are at least as new as the version its key came with, and
// reads them again otherwise. No request sees its account's channels older
// than they were when its key was read, on any instance, and nothing is
// kept for a time. A provider's callback reads its channel's account and
// that account's version by the channel's uuid, in one statement, and takes
// the channel from the kept ones the same way (callbackChannel). Other
// requests not made with an API key (the console, the pipeline) read the
// store as before; but the events a transaction records name their
// contact's channel, and take it from the kept channels when these are at
// the version the transaction reads (channelInTx).
//
// One entry per account that made an API request or received a callback
// since the start, each the size of the account's channels.

// keptChannels are an account's channels as read at a version.
type keptChannels struct {
	version int64
	list    []carillon.Channel // oldest first, as AllChannels reads them
	byID    map[int64]carillon.Channel
}

// channelKeeper holds each account's kept channels.
type channelKeeper struct {
	mu        sync.Mutex
	byAccount map[int64]*keptChannels
}

// of returns the channels kept for an account, nil when none are.
func (k *channelKeeper) of(accountID int64) *keptChannels {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.byAccount[accountID]
}

// keptChannels returns the channels of p's account at least as new as p's
// key said; nil when p came with no version (not an API key).
func (s *core) keptChannels(ctx context.Context, p Principal) (*keptChannels, error) {
	if p.channelsVersion == 0 {
		return nil, nil
	}
	return s.keptChannelsAt(ctx, p.Account.ID, p.channelsVersion)
}

// keptChannelsAt returns the account's channels at a version of atLeast or
// newer, read again when those kept are older.
func (s *core) keptChannelsAt(ctx context.Context, accountID, atLeast int64) (*keptChannels, error) {
	kept := s.channels.of(accountID)
	if kept != nil && kept.version >= atLeast {
		return kept, nil
	}
	// The version first: the channels read after it are at least as new.
	version, err := s.store.ChannelsVersion(ctx, accountID)
	if err != nil {
		return nil, err
	}
	list, err := s.store.AllChannels(ctx, accountID)
	if err != nil {
		return nil, err
	}
	read := &keptChannels{version: version, list: list, byID: make(map[int64]carillon.Channel, len(list))}
	for _, c := range list {
		read.byID[c.ID] = c
	}
	k := &s.channels
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.byAccount == nil {
		k.byAccount = map[int64]*keptChannels{}
	}
	// Requests that read at once may end in any order: keep the newest.
	if now := k.byAccount[accountID]; now == nil || now.version < read.version {
		k.byAccount[accountID] = read
	}
	return read, nil
}

// mainChannel returns the main channel of type typ of p's account, as
// carillon.ChannelQueries.MainChannel does.
func (s *core) mainChannel(ctx context.Context, p Principal, typ carillon.ChannelType) (carillon.Channel, error) {
	return s.findChannel(ctx, p, func(c carillon.Channel) bool { return c.Main && c.Type == typ },
		func() (carillon.Channel, error) { return s.store.MainChannel(ctx, p.Account.ID, typ) })
}

// channelByUUID returns the channel of p's account with that uuid, as
// carillon.ChannelQueries.ChannelByUUID does.
func (s *core) channelByUUID(ctx context.Context, p Principal, uuid string) (carillon.Channel, error) {
	return s.findChannel(ctx, p, func(c carillon.Channel) bool { return c.UUID == uuid },
		func() (carillon.Channel, error) { return s.store.ChannelByUUID(ctx, p.Account.ID, uuid) })
}

// findChannel returns the oldest of the channels kept for p that match,
// ErrNotFound when none does; or what read reads when none are kept for p.
func (s *core) findChannel(ctx context.Context, p Principal, match func(carillon.Channel) bool, read func() (carillon.Channel, error)) (carillon.Channel, error) {
	kept, err := s.keptChannels(ctx, p)
	if err != nil {
		return carillon.Channel{}, err
	}
	if kept == nil {
		return read()
	}
	for _, c := range kept.list {
		if match(c) {
			return c, nil
		}
	}
	return carillon.Channel{}, carillon.ErrNotFound
}

// channelByID returns the channel id of p's account, read from the store
// when not kept.
func (s *core) channelByID(ctx context.Context, p Principal, id int64) (carillon.Channel, error) {
	kept, err := s.keptChannels(ctx, p)
	if err != nil {
		return carillon.Channel{}, err
	}
	if kept != nil {
		if c, ok := kept.byID[id]; ok {
			return c, nil
		}
	}
	return s.store.ChannelByID(ctx, id)
}

// channelsByID returns the channels of p's account by id, for contactViews;
// nil when none are kept for p.
func (s *core) channelsByID(ctx context.Context, p Principal) (map[int64]carillon.Channel, error) {
	kept, err := s.keptChannels(ctx, p)
	if err != nil || kept == nil {
		return nil, err
	}
	return kept.byID, nil
}

// channelInTx returns channel id of the account as transaction q sees it:
// the kept one when the account's channels were kept at the version q
// reads (read after that version, they are at least as new), else q's
// read of it. Reading the version costs a fraction of reading the channel
// and opening its sealed settings, which every message_status_updated
// event did for its contact's source.
func (s *core) channelInTx(ctx context.Context, q carillon.Queries, accountID, id int64) (carillon.Channel, error) {
	if kept := s.channels.of(accountID); kept != nil {
		version, err := q.ChannelsVersion(ctx, accountID)
		if err != nil {
			return carillon.Channel{}, err
		}
		if c, ok := kept.byID[id]; ok && kept.version == version {
			return c, nil
		}
	}
	return q.ChannelByID(ctx, id)
}
