package outbox

import (
	"context"
	"sync"

	"github.com/carillon/carillon"
)

// checks gathers the reads made before attempts (docs/architecture.md,
// "Before each attempt") into one statement for many messages: while one
// read is in flight, the attempts that start wait for it to end and are
// then read together, by one of them. An attempt alone is read at once, as
// before; under load, one statement reads the heads of every recipient
// whose turn came meanwhile, of every channel, instead of one each.
type checks struct {
	store carillon.Store
	// earlier: ask whether an earlier message to the recipient is queued
	// (a shared store, where another instance may hold one).
	earlier bool

	mu      sync.Mutex
	reading bool     // a read is in flight
	waiting []*check // the attempts that came during it, in turn
}

// check is one attempt's read: the message asked for, then the answer.
type check struct {
	m      carillon.Message
	answer carillon.QueueCheck
	err    error
	// done is told whether the attempt that waits reads the next batch
	// itself (true) or has its answer (false).
	done chan bool
}

// read returns m as stored now (carillon.SendQueueQueries.CheckQueued).
func (c *checks) read(ctx context.Context, m carillon.Message) (carillon.QueueCheck, error) {
	mine := &check{m: m, done: make(chan bool, 1)}
	c.mu.Lock()
	c.waiting = append(c.waiting, mine)
	if c.reading {
		c.mu.Unlock()
		if lead := <-mine.done; !lead {
			return mine.answer, mine.err
		}
		c.mu.Lock()
	}
	// This attempt reads for all that wait, itself among them.
	c.reading = true
	batch := c.waiting
	c.waiting = nil
	c.mu.Unlock()

	ms := make([]carillon.Message, len(batch))
	for i, w := range batch {
		ms[i] = w.m
	}
	answers, err := c.store.CheckQueued(ctx, ms, c.earlier)
	for i, w := range batch {
		if err != nil {
			w.err = err
		} else {
			w.answer = answers[i]
		}
	}

	// Hand the next read to the first attempt that came meanwhile, so
	// that no attempt waits for more than the read in flight and its own.
	c.mu.Lock()
	if len(c.waiting) > 0 {
		c.waiting[0].done <- true
	} else {
		c.reading = false
	}
	c.mu.Unlock()
	for _, w := range batch {
		if w != mine {
			w.done <- false
		}
	}
	return mine.answer, mine.err
}
