package service

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carillon/carillon"
)

// The live inbox: every console tab follows the committed changes of the
// account's chats, as far as its viewer may see them.
//
// A change is recorded where its webhook events are built (record, in
// events.go), in the transaction of the change, whether or not a webhook
// subscribes: a change that rolled back has none, and a tab never shows
// what is not stored (an inbound file included: it is fetched and stored
// before its message's transaction). The store numbers the changes at
// commit, in commit order (store/live.go), so each tab follows them by
// id: a tab that comes back after a gap names the last id it saw and is
// given every change after it, or, when changes after it were pruned, a
// reset (its views are read again).
//
// Each instance reads the record once for all its tabs (liveHub): at once
// when one of its own commits recorded a change, and every livePoll for
// the commits of the other instances (PostgreSQL); then it hands the
// changes to its tabs' streams, each of which keeps its viewer's.

// LiveReset is the kind of the event that tells a tab the changes it
// missed are no longer kept: it reads its views again.
const LiveReset = "reset"

const (
	// livePoll is how often an instance looks for the changes other
	// instances committed; its own are read as soon as they commit.
	livePoll = 250 * time.Millisecond
	// liveReadSize bounds one read of the record.
	liveReadSize = 1000
	// liveBuffer is how many changes a stream holds for a tab that has
	// not taken them yet; past it the stream reads them from the store
	// again when the tab is ready.
	liveBuffer = 1024
	// ChatChangesKept and ChatChangesKeptRows are the record's retention:
	// changes older than ChatChangesKept, and all but the newest
	// ChatChangesKeptRows, are pruned (every pruneEvery, after a commit
	// that recorded one). A tab away longer is reset rather than replayed.
	ChatChangesKept     = time.Hour
	ChatChangesKeptRows = 100_000
	pruneEvery          = time.Minute
	// presenceViewing and presenceTyping are how long a presence lasts
	// unless renewed: a tab renews viewing every 15 s, typing while keys
	// are pressed.
	presenceViewing = 45 * time.Second
	presenceTyping  = 6 * time.Second
)

// Live is the live inbox: the streams of changes the console's tabs
// follow, and who views or types in which conversation.
type Live struct{ *core }

// LiveEvent is what a tab is told: a change of a chat it may see (its
// Kind a webhook event name, or carillon.ChangePresence), or LiveReset.
type LiveEvent struct {
	// ID is the change's, the tab's position from then on.
	ID           int64
	Kind         string
	Contact      string
	Conversation string
	// Presence, for a presence change, is who else views or types in the
	// conversation now.
	Presence []Presence
}

// Presence is a user on a conversation, and for how much longer each
// state lasts unless renewed (0 when not in it).
type Presence struct {
	UserUUID string
	Name     string
	Viewing  time.Duration
	Typing   time.Duration
}

// chatChanged records a change of kind of contact c, as the change left
// it; was is the contact before the change, nil when the change did not
// move it. Changes without a webhook event (a presence) come here
// directly; every other comes through record.
//
// A change the transaction recorded already (the same kind of the same
// contact, leaving it as the other did) is not recorded again: a reader
// could not tell the two apart, since it reads what the chat is once both
// are committed, and each would make every open inbox read it again. A
// send's outcome with its receipts is such a case: sent, delivered and
// read of one message, each a message_status_updated of its contact.
func (s *core) chatChanged(ctx context.Context, q carillon.Queries, kind string, c carillon.Contact, was *carillon.Contact) error {
	if was == nil {
		was = &c
	}
	change := carillon.ChatChange{AccountID: c.AccountID, Kind: kind, ContactID: c.ID, ContactUUID: c.UUID,
		ConversationUUID: c.ConversationUUID, AssignedUserID: c.AssignedUserID, TeamID: c.TeamID,
		WasAssignedUserID: was.AssignedUserID, WasTeamID: was.TeamID}
	if recordedInBatch(ctx, change) {
		return nil
	}
	change.CreatedAt = s.clock.Now()
	if err := q.AddChatChange(ctx, change); err != nil {
		return err
	}
	s.changesRecorded.Store(true)
	return nil
}

// maySeeChange reports whether the viewer may see the chat of a change,
// as the change left it or as it was before.
func (v Viewer) maySeeChange(c carillon.ChatChange) bool {
	return v.maySee(carillon.Contact{AssignedUserID: c.AssignedUserID, TeamID: c.TeamID}) ||
		v.maySee(carillon.Contact{AssignedUserID: c.WasAssignedUserID, TeamID: c.WasTeamID})
}

// Position is the id of the newest committed change: a page read after
// it starts its stream there, and misses nothing committed since.
func (s *Live) Position(ctx context.Context) (int64, error) {
	l, err := s.store.ChatChangeLog(ctx)
	if err != nil {
		return 0, s.internal(ctx, "read the chat change log", err)
	}
	return l.LastID, nil
}

// SetPresence records that the viewer views (carillon.PresenceViewing),
// types in (carillon.PresenceTyping) or has left ("left") the
// conversation, and tells the tabs that may see it. A presence lasts
// presenceViewing (typing, presenceTyping) unless renewed; typing is
// viewing too.
func (s *Live) SetPresence(ctx context.Context, p Principal, v Viewer, conversationUUID, state string) error {
	now := s.clock.Now()
	var viewing, typing time.Time
	switch state {
	case carillon.PresenceViewing:
		viewing = now.Add(presenceViewing)
	case carillon.PresenceTyping:
		viewing, typing = now.Add(presenceViewing), now.Add(presenceTyping)
	case "left":
	default:
		return carillon.Invalid("state", "state must be %s, %s or left", carillon.PresenceViewing, carillon.PresenceTyping)
	}
	if conversationUUID == "" {
		return carillon.Invalid("conversation", "name the conversation (its uuid)")
	}
	c, err := s.store.ContactByConversation(ctx, p.Account.ID, conversationUUID)
	if errors.Is(err, carillon.ErrNotFound) || err == nil && (v.UserID == 0 || !v.maySee(c)) {
		return carillon.NotFound("conversation")
	}
	if err != nil {
		return s.internal(ctx, "find the conversation", err)
	}
	err = s.commit.do(ctx, contactKey(c.ChannelID, c.Address+"|"+c.BSUID), func(ctx context.Context, q carillon.Queries) error {
		if err := q.SetChatPresence(ctx, carillon.ChatPresence{AccountID: p.Account.ID, ContactID: c.ID, UserID: v.UserID,
			ViewingUntil: viewing, TypingUntil: typing}); err != nil {
			return err
		}
		return s.chatChanged(ctx, q, carillon.ChangePresence, c, nil)
	})
	return s.internal(ctx, "record a presence", err)
}

// Subscribe starts the viewer's stream of the account's changes: from
// the change after after when resume is set (a tab that comes back, or a
// page that knows its Position), from now otherwise. The caller closes
// it.
func (s *Live) Subscribe(ctx context.Context, p Principal, v Viewer, after int64, resume bool) (*LiveStream, error) {
	st := &LiveStream{hub: s.hub, core: s.core, account: p.Account.ID, viewer: v, ready: make(chan struct{}, 1)}
	if err := s.hub.add(st); err != nil {
		return nil, &carillon.Error{Code: carillon.CodeUnavailable, Message: "the server is stopping: reconnect in a moment"}
	}
	if resume {
		st.last.Store(after)
		st.mu.Lock()
		st.replay = true
		st.mu.Unlock()
		return st, nil
	}
	l, err := s.store.ChatChangeLog(ctx)
	if err != nil {
		st.Close()
		return nil, s.internal(ctx, "read the chat change log", err)
	}
	st.last.Store(l.LastID)
	return st, nil
}

// EndStreams ends every stream (their Next returns an error) and refuses
// new ones: the server is stopping, and its tabs go on with another
// instance, or with this one once it is back.
func (s *Live) EndStreams() { s.hub.end() }

// liveChange is a change as the streams are handed it: for a presence,
// with who is on its conversation when it was read.
type liveChange struct {
	carillon.ChatChange
	presence []carillon.ChatPresence
}

// LiveStream is one tab's stream of changes: those of its account that
// its viewer may see, in order, each once.
type LiveStream struct {
	hub     *liveHub
	core    *core
	account int64
	// last is the id of the newest change the stream has looked at
	// (told or skipped): its position. Only the reader moves it.
	last   atomic.Int64
	ready  chan struct{}
	closed atomic.Bool

	mu     sync.Mutex
	viewer Viewer
	// pending are the changes the hub handed over, not taken yet.
	pending []*liveChange
	// replay is set when the stream must read the store from last: at a
	// tab's return, after the buffer overflowed, when the hub skipped
	// changes. The changes handed over meanwhile are dropped: the read
	// finds them.
	replay bool
}

// SetViewer changes who the stream is for (their teams or role changed).
func (st *LiveStream) SetViewer(v Viewer) {
	st.mu.Lock()
	st.viewer = v
	st.mu.Unlock()
}

// Position is the id of the newest change the stream has looked at: a
// tab that comes back from there misses nothing.
func (st *LiveStream) Position() int64 { return st.last.Load() }

// Close ends the stream.
func (st *LiveStream) Close() {
	if st.closed.CompareAndSwap(false, true) {
		st.hub.remove(st)
	}
}

// push hands changes over; past the buffer, the stream reads them from
// the store instead.
func (st *LiveStream) push(changes []*liveChange) {
	st.mu.Lock()
	if !st.replay {
		for _, c := range changes {
			if c.AccountID != st.account {
				continue
			}
			if len(st.pending) == liveBuffer {
				st.pending, st.replay = nil, true
				break
			}
			st.pending = append(st.pending, c)
		}
	}
	st.mu.Unlock()
	st.signal()
}

// signal wakes the reader.
func (st *LiveStream) signal() {
	select {
	case st.ready <- struct{}{}:
	default:
	}
}

// Next waits for the next events of the stream and returns them, in
// order; it returns ctx's error when ctx ends, and an error when the
// server stops streaming (EndStreams).
func (st *LiveStream) Next(ctx context.Context) ([]LiveEvent, error) {
	for {
		st.mu.Lock()
		replay, pending, viewer := st.replay, st.pending, st.viewer
		st.replay, st.pending = false, nil
		st.mu.Unlock()
		var out []LiveEvent
		if replay {
			var more bool
			var err error
			out, more, err = st.read(ctx, viewer)
			if err != nil || more {
				st.mu.Lock()
				st.replay = true
				st.mu.Unlock()
			}
			if err != nil {
				return nil, err
			}
		} else {
			out = st.events(pending, viewer)
		}
		if len(out) > 0 {
			st.count(out)
			return out, nil
		}
		st.mu.Lock()
		again := st.replay
		st.mu.Unlock()
		if again {
			continue
		}
		select {
		case <-st.ready:
		case <-st.hub.ended:
			return nil, errClosed
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

// read reads a page of the account's changes after last from the store,
// and reports whether there are more. The changes it finds include every
// one handed over before it started: it reads where the record stands
// first, and each change handed over was committed before.
func (st *LiveStream) read(ctx context.Context, viewer Viewer) ([]LiveEvent, bool, error) {
	db := st.core.store
	l, err := db.ChatChangeLog(ctx)
	if err != nil {
		return nil, false, st.core.internal(ctx, "read the chat change log", err)
	}
	last := st.last.Load()
	if last < l.PrunedThrough || last > l.LastID {
		// Missed changes are no longer kept, or the position is not one
		// of this record (a database restored from a backup).
		st.last.Store(l.LastID)
		return []LiveEvent{{ID: l.LastID, Kind: LiveReset}}, true, nil
	}
	changes, err := db.AccountChatChanges(ctx, st.account, last, l.LastID, liveReadSize)
	if err != nil {
		return nil, false, st.core.internal(ctx, "read chat changes", err)
	}
	// Pruning may have overtaken the read: then some changes it looked
	// for were deleted under it.
	after, err := db.ChatChangeLog(ctx)
	if err != nil {
		return nil, false, st.core.internal(ctx, "read the chat change log", err)
	}
	if last < after.PrunedThrough {
		st.last.Store(l.LastID)
		return []LiveEvent{{ID: l.LastID, Kind: LiveReset}}, true, nil
	}
	more := len(changes) == liveReadSize
	read, err := st.core.withPresence(ctx, changes)
	if err != nil {
		return nil, false, err
	}
	out := st.events(read, viewer)
	if !more {
		st.last.Store(l.LastID)
	}
	return out, more, nil
}

// events are the changes after the stream's position that the viewer may
// see, as events; a presence is told once a batch, its latest.
func (st *LiveStream) events(changes []*liveChange, v Viewer) []LiveEvent {
	var out []LiveEvent
	presenceAt := map[string]int{} // conversation → index in out
	now := st.core.clock.Now()
	for _, c := range changes {
		if c.ID <= st.last.Load() {
			continue
		}
		st.last.Store(c.ID)
		if c.AccountID != st.account || !v.maySeeChange(c.ChatChange) {
			continue
		}
		e := LiveEvent{ID: c.ID, Kind: c.Kind, Contact: c.ContactUUID, Conversation: c.ConversationUUID}
		if c.Kind != carillon.ChangePresence {
			out = append(out, e)
			continue
		}
		e.Presence = []Presence{}
		for _, p := range c.presence {
			if p.UserID == v.UserID {
				continue
			}
			e.Presence = append(e.Presence, Presence{UserUUID: p.UserUUID, Name: p.UserName,
				Viewing: max(0, p.ViewingUntil.Sub(now)), Typing: max(0, p.TypingUntil.Sub(now))})
		}
		if i, ok := presenceAt[c.ConversationUUID]; ok {
			out[i] = e
			// Keep the position of the latest.
			continue
		}
		presenceAt[c.ConversationUUID] = len(out)
		out = append(out, e)
	}
	return out
}

// count counts the events told.
func (st *LiveStream) count(events []LiveEvent) {
	for _, e := range events {
		typ := "change"
		switch e.Kind {
		case LiveReset:
			typ = LiveReset
		case carillon.ChangePresence:
			typ = carillon.ChangePresence
		}
		st.core.metrics.LiveEvents.WithLabelValues(typ).Inc()
	}
}

// withPresence returns the changes with, for each presence, who is on its
// conversation now (read once per conversation).
func (s *core) withPresence(ctx context.Context, changes []carillon.ChatChange) ([]*liveChange, error) {
	out := make([]*liveChange, len(changes))
	var contacts []int64
	seen := map[int64]bool{}
	for i, c := range changes {
		out[i] = &liveChange{ChatChange: c}
		if c.Kind == carillon.ChangePresence && !seen[c.ContactID] {
			seen[c.ContactID] = true
			contacts = append(contacts, c.ContactID)
		}
	}
	if len(contacts) == 0 {
		return out, nil
	}
	on, err := s.store.ChatPresences(ctx, contacts, s.clock.Now())
	if err != nil {
		return nil, s.internal(ctx, "read presences", err)
	}
	for _, c := range out {
		if c.Kind == carillon.ChangePresence {
			c.presence = on[c.ContactID]
		}
	}
	return out, nil
}

// liveHub reads the record of changes for every stream of the instance,
// and prunes it.
type liveHub struct {
	core *core
	wake chan struct{}
	// ended is closed when the streams end (EndStreams).
	ended chan struct{}
	wg    sync.WaitGroup

	mu      sync.Mutex
	streams map[*LiveStream]struct{}
	running bool
	done    bool
	// cursor is the id of the newest change read; synced is false while
	// no stream listens, and the cursor is not kept up.
	cursor int64
	synced bool

	// lastPrune is when the record was last pruned (Unix ms); pruning is
	// set while a pruning runs.
	lastPrune atomic.Int64
	pruning   atomic.Bool
	// failing is set while reading the record fails: logged once.
	failing atomic.Bool
}

func newLiveHub(c *core) *liveHub {
	return &liveHub{core: c, wake: make(chan struct{}, 1), ended: make(chan struct{}), streams: map[*LiveStream]struct{}{}}
}

// add registers a stream, starting the reader the first time.
func (h *liveHub) add(st *LiveStream) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done {
		return errClosed
	}
	if len(h.streams) == 0 {
		h.synced = false
	}
	h.streams[st] = struct{}{}
	h.core.metrics.LiveStreams.Inc()
	if !h.running {
		h.running = true
		h.wg.Add(1)
		go h.run()
	}
	h.signal()
	return nil
}

func (h *liveHub) remove(st *LiveStream) {
	h.mu.Lock()
	if _, ok := h.streams[st]; ok {
		delete(h.streams, st)
		h.core.metrics.LiveStreams.Dec()
	}
	h.mu.Unlock()
}

// signal wakes the reader.
func (h *liveHub) signal() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// end ends every stream and the reader, and waits for the reader and a
// pruning in flight.
func (h *liveHub) end() {
	h.mu.Lock()
	if !h.done {
		h.done = true
		close(h.ended)
	}
	h.mu.Unlock()
	h.wg.Wait()
}

func (h *liveHub) run() {
	defer h.wg.Done()
	tick := time.NewTicker(livePoll)
	defer tick.Stop()
	for {
		select {
		case <-h.ended:
			return
		case <-h.wake:
		case <-tick.C:
		}
		h.read()
	}
}

// read reads the changes after the cursor and hands them to the streams.
func (h *liveHub) read() {
	ctx := context.Background()
	h.mu.Lock()
	listening, synced, cursor := len(h.streams) > 0, h.synced, h.cursor
	h.mu.Unlock()
	if !listening {
		return
	}
	if !synced {
		// Nobody listened: start from where the record stands, and have
		// the streams read what came before from the store.
		l, err := h.core.store.ChatChangeLog(ctx)
		if err != nil {
			h.failed(err)
			return
		}
		cursor = l.LastID
		h.mu.Lock()
		h.cursor, h.synced = cursor, true
		for st := range h.streams {
			st.mu.Lock()
			st.pending, st.replay = nil, true
			st.mu.Unlock()
			st.signal()
		}
		h.mu.Unlock()
	}
	for {
		changes, err := h.core.store.ChatChanges(ctx, cursor, liveReadSize)
		if err != nil {
			h.failed(err)
			return
		}
		if h.failing.Swap(false) {
			h.core.log.Info("live inbox: reading chat changes again")
		}
		if len(changes) == 0 {
			return
		}
		read, err := h.core.withPresence(ctx, changes)
		if err != nil {
			return
		}
		now := h.core.clock.Now()
		for _, c := range changes {
			h.core.metrics.LiveDelay.Observe(max(0, now.Sub(c.CreatedAt)).Seconds())
		}
		cursor = changes[len(changes)-1].ID
		h.mu.Lock()
		if !h.synced {
			// Every stream left and one came since: start again.
			h.mu.Unlock()
			return
		}
		h.cursor = cursor
		for st := range h.streams {
			st.push(read)
		}
		h.mu.Unlock()
		if len(changes) < liveReadSize {
			return
		}
	}
}

// failed logs the first of a run of failures to read the record: it is
// read again four times a second.
func (h *liveHub) failed(err error) {
	if !h.failing.Swap(true) {
		h.core.log.Error("live inbox: reading chat changes failed; the tabs are told nothing until it works again", "error", err)
	}
}

// committed is told after each commit: the reader looks for its changes
// at once (while a stream listens). A flag of the transactions that
// recorded changes would not do: set by one still open, it would be taken
// by the commit of another, and the first one's commit would wake no one.
// After a commit that recorded changes, the record is pruned every
// pruneEvery.
func (h *liveHub) committed(recorded bool) {
	h.signal()
	if !recorded {
		return
	}
	now := h.core.clock.Now()
	last := h.lastPrune.Load()
	if now.UnixMilli()-last < pruneEvery.Milliseconds() || !h.lastPrune.CompareAndSwap(last, now.UnixMilli()) {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.done || !h.pruning.CompareAndSwap(false, true) {
		return
	}
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		defer h.pruning.Store(false)
		h.prune(now)
	}()
}

// prune deletes the changes past their retention and the presences that
// ended.
func (h *liveHub) prune(now time.Time) {
	ctx := context.Background()
	if _, err := h.core.store.PruneChatChanges(ctx, now.Add(-ChatChangesKept), ChatChangesKeptRows); err != nil {
		h.core.log.Error("live inbox: pruning chat changes failed", "error", err)
	}
	if err := h.core.store.DeleteChatPresences(ctx, now.Add(-time.Minute)); err != nil {
		h.core.log.Error("live inbox: deleting ended presences failed", "error", err)
	}
}
