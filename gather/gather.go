// Package gather makes reads that come at the same time into one: while
// one read is in flight, the callers that come wait for it to end, and are
// then read together, by one of them, in one call. A caller alone is read
// at once. Under load a store answers one statement for many callers
// instead of one each, and no caller waits for more than the read in
// flight and its own.
package gather

import (
	"context"
	"fmt"
	"sync"
)

// Reads gathers the reads of one kind. Read answers many questions in one
// call: one answer a question, in the questions' order. The zero Reads is
// not usable: set Read.
type Reads[Q, A any] struct {
	Read func(ctx context.Context, questions []Q) ([]A, error)

	mu      sync.Mutex
	reading bool          // a read is in flight
	waiting []*call[Q, A] // the callers that came during it, in turn
}

// call is one caller's question, then its answer.
type call[Q, A any] struct {
	ctx      context.Context
	question Q
	answer   A
	err      error
	// done is told whether the caller that waits reads the next batch
	// itself (true) or has its answer (false).
	done chan bool
}

// Do returns the answer to q, read alone or with the questions of the
// callers that came meanwhile. A batch's read is cancelled only when every
// caller in it has given up: one client that hangs up does not fail the
// others' read.
func (g *Reads[Q, A]) Do(ctx context.Context, q Q) (A, error) {
	mine := &call[Q, A]{ctx: ctx, question: q, done: make(chan bool, 1)}
	g.mu.Lock()
	g.waiting = append(g.waiting, mine)
	if g.reading {
		g.mu.Unlock()
		if lead := <-mine.done; !lead {
			return mine.answer, mine.err
		}
		g.mu.Lock()
	}
	// This caller reads for all that wait, itself among them.
	g.reading = true
	batch := g.waiting
	g.waiting = nil
	g.mu.Unlock()

	questions := make([]Q, len(batch))
	for i, c := range batch {
		questions[i] = c.question
	}
	readCtx, cancel := untilAllGiveUp(ctx, batch)
	answers, err := g.Read(readCtx, questions)
	cancel()
	if err == nil && len(answers) != len(questions) {
		// A broken Read fails its callers rather than the process, and
		// leaves none waiting.
		err = fmt.Errorf("gather: %d answers to %d questions", len(answers), len(questions))
	}
	for i, c := range batch {
		if err != nil {
			c.err = err
		} else {
			c.answer = answers[i]
		}
	}

	// Hand the next read to the first caller that came meanwhile.
	g.mu.Lock()
	if len(g.waiting) > 0 {
		g.waiting[0].done <- true
	} else {
		g.reading = false
	}
	g.mu.Unlock()
	for _, c := range batch {
		if c != mine {
			c.done <- false
		}
	}
	return mine.answer, mine.err
}

// untilAllGiveUp returns a context with the values of ctx (the reading
// caller's) that is cancelled once every caller of batch has been.
func untilAllGiveUp[Q, A any](ctx context.Context, batch []*call[Q, A]) (context.Context, context.CancelFunc) {
	if len(batch) == 1 {
		// A caller alone, the one reading: its own context is that one,
		// without a context and a callback made for every read.
		return ctx, func() {}
	}
	readCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	var mu sync.Mutex
	left := len(batch)
	stops := make([]func() bool, len(batch))
	for i, c := range batch {
		stops[i] = context.AfterFunc(c.ctx, func() {
			mu.Lock()
			defer mu.Unlock()
			if left--; left == 0 {
				cancel()
			}
		})
	}
	return readCtx, func() {
		for _, stop := range stops {
			stop()
		}
		cancel()
	}
}
