package outbox

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// lane sends one channel's messages: per-recipient FIFO queues, a ready list
// of recipients whose next message may go, the channel's pace and pause.
type lane struct {
	b         *Outbox
	channelID int64

	mu          sync.Mutex
	queues      map[int64]*recipientQueue
	ready       []*recipientQueue
	wake        chan struct{}
	pausedUntil time.Time

	channel   carillon.Channel
	channelAt time.Time
	nextSend  time.Time
	slots     chan struct{}
}

// recipientQueue holds one recipient's messages in the order they were
// accepted; busy while its head is in flight or waiting for a retry.
type recipientQueue struct {
	contactID int64
	contact   *carillon.Contact // the first send's, or read at the queue's first attempt
	msgs      []carillon.Message
	busy      bool // the head is in flight or waiting for its retry
	inFlight  bool // the head is in a provider call
	listed    bool // in the lane's ready list
}

// channelRefresh is how often a lane rereads its channel, so that changes
// made by another process (pace, settings, discarding) take effect.
const channelRefresh = 5 * time.Second

func newLane(b *Outbox, channelID int64) *lane {
	return &lane{b: b, channelID: channelID, queues: map[int64]*recipientQueue{},
		wake: make(chan struct{}, 1), slots: make(chan struct{}, b.o.Concurrency)}
}

func (l *lane) signal() {
	select {
	case l.wake <- struct{}{}:
	default:
	}
}

func (l *lane) push(m carillon.Message, to *carillon.Contact) {
	l.mu.Lock()
	q := l.queues[m.ContactID]
	if q == nil {
		// A new queue takes its contact from the send that made it, when
		// there is one; a queue keeps the contact it has.
		q = &recipientQueue{contactID: m.ContactID, contact: to}
		l.queues[m.ContactID] = q
	}
	// Messages adopted from a stopped instance may arrive after newer ones
	// of the same recipient: keep the queue in acceptance (id) order. Only
	// a head already in a provider call keeps its place; a head waiting for
	// its retry (perhaps for this very message) goes back behind it.
	i := len(q.msgs)
	for i > 0 && q.msgs[i-1].ID > m.ID && !(i-1 == 0 && q.inFlight) {
		i--
	}
	q.msgs = append(q.msgs, carillon.Message{})
	copy(q.msgs[i+1:], q.msgs[i:])
	q.msgs[i] = m
	l.list(q)
	l.mu.Unlock()
	l.signal()
}

// list puts q in the ready list if its head may go. Call with l.mu held.
func (l *lane) list(q *recipientQueue) {
	if !q.busy && !q.listed && len(q.msgs) > 0 {
		q.listed = true
		l.ready = append(l.ready, q)
	}
}

// take blocks until a recipient is ready, marks it busy and returns its head.
func (l *lane) take() (*recipientQueue, carillon.Message, bool) {
	for {
		l.mu.Lock()
		if len(l.ready) > 0 {
			q := l.ready[0]
			l.ready[0] = nil
			l.ready = l.ready[1:]
			q.listed, q.busy, q.inFlight = false, true, true
			m := q.msgs[0]
			l.mu.Unlock()
			return q, m, true
		}
		l.mu.Unlock()
		select {
		case <-l.wake:
		case <-l.b.ctx.Done():
			return nil, carillon.Message{}, false
		}
	}
}

func (l *lane) run() {
	defer l.b.loops.Done()
	for {
		q, m, ok := l.take()
		if !ok {
			return
		}
		ch, err := l.currentChannel()
		if err != nil {
			l.b.log.Error("outbox: cannot read channel", "channel_id", l.channelID, "error", err)
			l.retry(q, l.b.backoff(1))
			continue
		}
		if !l.waitTurn(ch) {
			l.release(q)
			return
		}
		select {
		case l.slots <- struct{}{}:
		case <-l.b.ctx.Done():
			l.release(q)
			return
		}
		l.b.calls.Add(1)
		go func() {
			defer func() { <-l.slots; l.b.calls.Done() }()
			l.attempt(q, m, ch)
		}()
	}
}

// currentChannel returns the channel, reread every channelRefresh.
func (l *lane) currentChannel() (carillon.Channel, error) {
	now := time.Now()
	if l.channel.ID != 0 && now.Sub(l.channelAt) < channelRefresh {
		return l.channel, nil
	}
	ch, err := l.b.o.Store.ChannelByID(l.b.ctx, l.channelID)
	if err != nil {
		return ch, err
	}
	l.channel, l.channelAt = ch, now
	return ch, nil
}

// waitTurn waits while the channel is paused and until its pace allows the
// next send. With several instances, each takes its share of the pace.
func (l *lane) waitTurn(ch carillon.Channel) bool {
	l.mu.Lock()
	paused := l.pausedUntil
	l.mu.Unlock()
	mps := ch.MessagesPerSecond(l.b.o.DefaultMPS[ch.Provider])
	now := time.Now()
	wait := paused.Sub(now)
	if mps > 0 {
		interval := time.Duration(float64(time.Second) * float64(l.b.liveInstances.Load()) / float64(mps))
		if l.nextSend.Before(now) {
			l.nextSend = now
		}
		wait = max(wait, l.nextSend.Sub(now))
		l.nextSend = l.nextSend.Add(interval)
	}
	if wait <= 0 {
		return true
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-l.b.ctx.Done():
		return false
	}
}

// release gives a recipient back unsent (the pipeline is stopping).
func (l *lane) release(q *recipientQueue) {
	l.mu.Lock()
	q.busy, q.inFlight = false, false
	l.mu.Unlock()
}

// done removes the head of q (sent, failed for good, or not ours to send).
func (l *lane) done(q *recipientQueue, id int64) {
	l.b.forget(id)
	l.mu.Lock()
	if len(q.msgs) > 0 && q.msgs[0].ID == id {
		q.msgs[0] = carillon.Message{}
		q.msgs = q.msgs[1:]
	}
	q.busy, q.inFlight = false, false
	if len(q.msgs) == 0 {
		delete(l.queues, q.contactID)
	} else {
		l.list(q)
	}
	l.mu.Unlock()
	l.signal()
}

// retry makes q's head go again after d; the recipient's later messages wait.
func (l *lane) retry(q *recipientQueue, d time.Duration) {
	l.mu.Lock()
	q.inFlight = false
	l.mu.Unlock()
	time.AfterFunc(d, func() {
		l.mu.Lock()
		q.busy = false
		// A message adopted while the head was in flight was queued behind
		// it although accepted earlier: put it first now.
		slices.SortStableFunc(q.msgs, func(a, b carillon.Message) int { return cmp.Compare(a.ID, b.ID) })
		l.list(q)
		l.mu.Unlock()
		l.signal()
	})
}

// setHead replaces q's head (its attempt count changed).
func (l *lane) setHead(q *recipientQueue, m carillon.Message) {
	l.mu.Lock()
	if len(q.msgs) > 0 && q.msgs[0].ID == m.ID {
		q.msgs[0] = m
	}
	l.mu.Unlock()
}

func (l *lane) pause(until time.Time) {
	l.mu.Lock()
	if until.After(l.pausedUntil) {
		l.pausedUntil = until
	}
	l.mu.Unlock()
}

// storeGoneWait is how often a message held because the store refuses
// writes is looked at again (it stays held: only a restart clears it).
const storeGoneWait = time.Minute

// attempt makes one provider attempt for m and records its outcome.
func (l *lane) attempt(q *recipientQueue, m carillon.Message, ch carillon.Channel) {
	b := l.b
	// Work that has started finishes even while the server stops: the
	// provider may already have the message, so its answer must be kept.
	ctx := context.WithoutCancel(b.ctx)
	stored, err := b.checks.Do(ctx, m)
	if err != nil {
		b.log.Error("outbox: cannot read message", "message", m.UUID, "error", err)
		l.retry(q, b.backoff(1))
		return
	}
	if stored.Gone || stored.Message.SendState != carillon.SendQueued || stored.Message.Owner != b.o.InstanceID {
		// Deleted before it left, or adopted by another instance.
		l.done(q, m.ID)
		return
	}
	if stored.Earlier {
		// Another instance holds an earlier message to this recipient
		// (shared stores only): it must go first.
		l.retry(q, 200*time.Millisecond)
		return
	}
	m = stored.Message
	if b.ctx.Err() != nil {
		l.release(q)
		return
	}
	if b.storeGone.Load() {
		// The outcome could not be recorded, and the message would be
		// sent again at every retry: hold it. It is still queued in the
		// store, for the next start.
		l.retry(q, storeGoneWait)
		return
	}
	if q.contact == nil {
		// A queue made from the store's queue (at start, or adopted from
		// a stopped instance) has no contact yet: read it once. A queue
		// keeps its contact: an address the provider reports later for the
		// recipient (RecordOutcome) is another form of the same one.
		contact, err := b.o.Store.ContactByID(ctx, m.AccountID, m.ContactID)
		if err != nil {
			b.log.Error("outbox: cannot read contact", "message", m.UUID, "error", err)
			l.retry(q, b.backoff(1))
			return
		}
		q.contact = &contact
	}
	contact := *q.contact
	m.Attempts++
	l.setHead(q, m)
	outcome := l.call(ctx, ch, contact, m)
	if outcome.Err != nil && !outcome.Err.Permanent {
		if m.Attempts < b.o.MaxAttempts {
			d := max(b.backoff(m.Attempts), outcome.Err.RetryAfter)
			outcome.RetryAt = b.o.Clock.Now().Add(d)
			if outcome.Err.Scope == carillon.ScopeChannel {
				l.pause(time.Now().Add(d))
			}
			b.o.Metrics.SendRetries.Inc()
		}
	}
	if _, err := b.o.Recorder.RecordOutcome(ctx, m, outcome); err != nil {
		// The message stays queued in the store; try again later. The
		// provider may have it already: this is the one place where a
		// message can be sent twice.
		b.noteStoreError(err)
		b.log.Error("outbox: cannot record a send outcome", "message", m.UUID, "error", err)
		l.retry(q, b.backoff(m.Attempts))
		return
	}
	if outcome.RetryAt.IsZero() {
		l.done(q, m.ID)
		return
	}
	l.retry(q, outcome.RetryAt.Sub(b.o.Clock.Now()))
}

// call makes the provider call and classifies its answer.
func (l *lane) call(ctx context.Context, ch carillon.Channel, contact carillon.Contact, m carillon.Message) service.Outcome {
	b := l.b
	if !ch.Active() {
		return service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "channel_discarded", Title: "the channel was discarded before the message left"}}
	}
	p := b.o.Providers[ch.Provider]
	if p == nil {
		return service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "no_provider", Title: "no provider " + ch.Provider + " in this server"}}
	}
	out := carillon.Outgoing{Channel: ch, Message: m, To: contact.Address, BSUID: contact.BSUID, Attempt: m.Attempts}
	if m.TemplateUUID != "" {
		t, err := b.o.Store.TemplateByUUID(ctx, m.AccountID, m.TemplateUUID)
		if errors.Is(err, carillon.ErrNotFound) {
			return service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "template_deleted", Title: "the message's template was deleted before the message left"}}
		}
		if err != nil {
			// A store failure is retried like a network one.
			return service.Outcome{Err: &carillon.SendError{Code: "template_unavailable", Title: "the message's template could not be read"}}
		}
		out.Template = &t
	}
	ctx, cancel := context.WithTimeout(ctx, b.o.CallTimeout)
	defer cancel()
	start := time.Now()
	res, err := p.Send(ctx, out)
	b.o.Metrics.ProviderDuration.WithLabelValues(ch.Provider).Observe(time.Since(start).Seconds())
	if err == nil {
		b.o.Metrics.ProviderCalls.WithLabelValues(ch.Provider, "ok").Inc()
		return service.Outcome{Result: res}
	}
	se := classify(err)
	kind := "transient"
	if se.Permanent {
		kind = "permanent"
	}
	b.o.Metrics.ProviderCalls.WithLabelValues(ch.Provider, kind).Inc()
	return service.Outcome{Err: se}
}
