// Package outbox is carillon's send pipeline. The message row is itself the
// durable send job: a send is accepted once its row is committed, then handed
// straight to this pipeline in memory. The pipeline keeps one FIFO queue per
// recipient (messages to one recipient leave in the order they were accepted,
// and a message being retried holds back the later ones), paces each channel
// to its messages-per-second limit, retries transient provider errors with
// exponential backoff and jitter, and records every outcome through the
// rules (package service).
//
// Each server instance owns the messages it accepted. Instances heartbeat in
// the store; the messages of an instance that stops heartbeating (a crash, a
// kill -9) are adopted by a live one and sent. On SQLite, where only one
// server runs, the messages of every earlier instance are adopted at start.
package outbox

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/gather"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/telemetry"
)

// Recorder records the outcome of send attempts. *service.Messages is one.
type Recorder interface {
	RecordOutcome(ctx context.Context, msg carillon.Message, o service.Outcome) (carillon.Message, error)
}

// Options configure an Outbox.
type Options struct {
	Store      carillon.Store
	Providers  map[string]carillon.Provider
	Recorder   Recorder
	Clock      carillon.Clock
	Logger     *slog.Logger
	Metrics    *telemetry.Metrics
	InstanceID string
	// MaxAttempts bounds the provider attempts of a message with transient
	// errors (the send-max-attempts setting).
	MaxAttempts int
	// RetryBase is the first retry's delay (1 s), doubled at each attempt
	// up to RetryMax (5 min), with ±20 % jitter.
	RetryBase, RetryMax time.Duration
	// DefaultMPS is each provider's pace when a channel sets no mps.
	DefaultMPS map[string]int
	// Concurrency bounds the provider calls in flight per channel.
	Concurrency int
	// Heartbeat is how often the instance tells the store it is alive;
	// StaleAfter is how long without a heartbeat makes an instance dead.
	Heartbeat, StaleAfter time.Duration
	// CallTimeout bounds one provider call.
	CallTimeout time.Duration
}

// Outbox sends accepted messages through their channels' providers.
type Outbox struct {
	o      Options
	log    *slog.Logger
	ctx    context.Context // cancelled by Stop: lanes stop taking messages
	cancel context.CancelFunc
	calls  sync.WaitGroup // provider calls and their recording
	loops  sync.WaitGroup

	mu    sync.Mutex
	lanes map[int64]*lane
	known map[int64]struct{} // ids of the queued messages held in memory

	// checks are the reads made before attempts (docs/architecture.md,
	// "Before each attempt"), many in one statement: under load, one
	// statement reads the heads of every recipient whose turn came during
	// the read before, of every channel.
	checks *gather.Reads[carillon.Message, carillon.QueueCheck]

	liveInstances atomic.Int64
	// storeGone is set once the store refused a write as unavailable
	// (carillon.ErrStoreUnavailable): no provider call is made from then
	// on, since none could be recorded and each would be repeated.
	storeGone atomic.Bool
}

// noteStoreError stops the provider calls when err says the store can no
// longer keep writes.
func (b *Outbox) noteStoreError(err error) {
	if errors.Is(err, carillon.ErrStoreUnavailable) && b.storeGone.CompareAndSwap(false, true) {
		b.log.Error("outbox: the store refuses writes: no message is sent until carillon is restarted", "error", err)
	}
}

// New returns an Outbox; Start starts it.
func New(o Options) *Outbox {
	if o.Clock == nil {
		o.Clock = carillon.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.New()
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 10
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 2 * time.Second
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 15 * time.Second
	}
	if o.CallTimeout <= 0 {
		o.CallTimeout = 30 * time.Second
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Outbox{o: o, log: o.Logger, ctx: ctx, cancel: cancel, lanes: map[int64]*lane{}, known: map[int64]struct{}{}}
	// On a shared store, ask whether another instance holds an earlier
	// message to the recipient.
	earlier := o.Store.Shared()
	b.checks = &gather.Reads[carillon.Message, carillon.QueueCheck]{Read: func(ctx context.Context, ms []carillon.Message) ([]carillon.QueueCheck, error) {
		return o.Store.CheckQueued(ctx, ms, earlier)
	}}
	b.liveInstances.Store(1)
	return b
}

// Start registers the instance, adopts the messages of dead instances,
// loads them, and starts heartbeating.
func (b *Outbox) Start(ctx context.Context) error {
	if err := b.o.Store.RegisterInstance(ctx, b.o.InstanceID, b.o.Clock.Now()); err != nil {
		return err
	}
	if err := b.sweep(ctx, !b.o.Store.Shared()); err != nil {
		return err
	}
	b.loops.Add(1)
	go b.heartbeat()
	return nil
}

// Depth is how many accepted messages wait in this instance's pipeline.
func (b *Outbox) Depth() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.known)
}

// Stop stops taking messages, waits (up to ctx) for the provider calls in
// flight and their recording, and marks the instance stale so that another
// instance adopts at once what is left.
func (b *Outbox) Stop(ctx context.Context) {
	b.cancel()
	done := make(chan struct{})
	go func() { b.calls.Wait(); b.loops.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		b.log.Warn("outbox: provider calls still in flight at shutdown; they will be retried by the next start")
	}
	// A heartbeat far in the past: the others need not wait to adopt.
	_ = b.o.Store.RegisterInstance(context.WithoutCancel(ctx), b.o.InstanceID, time.UnixMilli(1))
}

func (b *Outbox) heartbeat() {
	defer b.loops.Done()
	t := time.NewTicker(b.o.Heartbeat)
	defer t.Stop()
	sweeps := 0
	for {
		select {
		case <-b.ctx.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(b.ctx, b.o.Heartbeat*2)
		now := b.o.Clock.Now()
		if err := b.o.Store.RegisterInstance(ctx, b.o.InstanceID, now); err != nil && b.ctx.Err() == nil {
			b.noteStoreError(err)
			b.log.Error("outbox: heartbeat failed", "error", err)
		}
		if n, err := b.o.Store.CountInstances(ctx, now.Add(-b.o.StaleAfter)); err == nil && n > 0 {
			b.liveInstances.Store(int64(n))
		}
		if sweeps++; b.o.Store.Shared() && sweeps%2 == 0 {
			if err := b.sweep(ctx, false); err != nil && b.ctx.Err() == nil {
				b.log.Error("outbox: adopting messages of dead instances failed", "error", err)
			}
		}
		cancel()
	}
}

// sweep adopts the queued messages of dead instances (with all, of every
// other instance) and loads this instance's queued messages.
func (b *Outbox) sweep(ctx context.Context, all bool) error {
	before := b.o.Clock.Now().Add(-b.o.StaleAfter)
	if all {
		before = b.o.Clock.Now().Add(time.Hour)
	}
	dead, err := b.o.Store.StaleInstances(ctx, before)
	if err != nil {
		return err
	}
	adopted := int64(0)
	for _, id := range dead {
		if id == b.o.InstanceID {
			continue
		}
		n, err := b.o.Store.AdoptMessages(ctx, id, b.o.InstanceID)
		if err != nil {
			return err
		}
		if n > 0 {
			b.log.Info("outbox: adopted the queued messages of a stopped instance", "instance", id, "messages", n)
		}
		adopted += n
		if err := b.o.Store.DeleteInstance(ctx, id); err != nil {
			return err
		}
	}
	if adopted == 0 && !all {
		return nil
	}
	var after int64
	for {
		page, err := b.o.Store.QueuedMessages(ctx, b.o.InstanceID, after, 1000)
		if err != nil {
			return err
		}
		for _, m := range page {
			b.enqueue(m, nil) // its lane reads the contact
			after = m.ID
		}
		if len(page) < 1000 {
			return nil
		}
	}
}

// Enqueue takes an accepted message to send, with its recipient as the
// send stored it. A message already held is ignored.
func (b *Outbox) Enqueue(m carillon.Message, to carillon.Contact) {
	b.enqueue(m, &to)
}

// enqueue is Enqueue; to is nil for a message read from the queue in the
// store, whose contact the lane reads.
func (b *Outbox) enqueue(m carillon.Message, to *carillon.Contact) {
	b.mu.Lock()
	if _, ok := b.known[m.ID]; ok {
		b.mu.Unlock()
		return
	}
	b.known[m.ID] = struct{}{}
	l := b.lanes[m.ChannelID]
	if l == nil {
		l = newLane(b, m.ChannelID)
		b.lanes[m.ChannelID] = l
		b.loops.Add(1)
		go l.run()
	}
	b.mu.Unlock()
	l.push(m, to)
}

func (b *Outbox) forget(id int64) {
	b.mu.Lock()
	delete(b.known, id)
	b.mu.Unlock()
}

// backoff is the delay before the attempt after attempt number n.
func (b *Outbox) backoff(n int) time.Duration {
	return carillon.Backoff(n, b.o.RetryBase, b.o.RetryMax)
}

// classify turns a provider's error into a SendError; errors that are not
// one (a broken connection, a timeout) are transient.
func classify(err error) *carillon.SendError {
	var se *carillon.SendError
	if errors.As(err, &se) {
		return se
	}
	return &carillon.SendError{Code: "network", Title: err.Error()}
}
