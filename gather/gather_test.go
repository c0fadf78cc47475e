package gather

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// heldReads answers each question n with n*10 once release is closed,
// and notes the questions of each read. A read whose context ends before
// release fails with the context's error.
type heldReads struct {
	release chan struct{}
	err     error

	mu    sync.Mutex
	reads [][]int
}

func (h *heldReads) read(ctx context.Context, questions []int) ([]int, error) {
	h.mu.Lock()
	h.reads = append(h.reads, slices.Clone(questions))
	h.mu.Unlock()
	select {
	case <-h.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	if h.err != nil {
		return nil, h.err
	}
	answers := make([]int, len(questions))
	for i, q := range questions {
		answers[i] = q * 10
	}
	return answers, nil
}

func (h *heldReads) calls() [][]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return slices.Clone(h.reads)
}

// TestReadsTogether: the callers that come while a read is in flight are
// read together, in one call, once it ends; each gets the answer to its
// own question, or the read's error. A caller that gives up, even the one
// that reads for the others, does not fail the others' read; a read is
// cancelled when all of its callers gave up.
func TestReadsTogether(t *testing.T) {
	t.Parallel()
	storeDown := errors.New("connection reset")
	for _, tc := range []struct {
		name string
		err  error
		// gaveUp: the callers (by question) whose context is cancelled
		// while the second read is held.
		gaveUp []int
		// wantErr: the error each question gets (absent: its answer).
		wantErr map[int]error
	}{
		{name: "answers"},
		{name: "the read fails", err: storeDown, wantErr: map[int]error{1: storeDown, 2: storeDown, 3: storeDown, 4: storeDown, 5: storeDown, 6: storeDown}},
		{name: "the caller that reads for the others gives up", gaveUp: []int{2}},
		{name: "a caller that waits gives up", gaveUp: []int{4}},
		{name: "every caller of a read gives up", gaveUp: []int{2, 3, 4, 5, 6},
			wantErr: map[int]error{2: context.Canceled, 3: context.Canceled, 4: context.Canceled, 5: context.Canceled, 6: context.Canceled}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &heldReads{release: make(chan struct{}), err: tc.err}
			g := &Reads[int, int]{Read: h.read}
			const callers = 6
			type result struct {
				answer int
				err    error
			}
			results := make([]result, callers+1)
			cancels := make([]context.CancelFunc, callers+1)
			var wg sync.WaitGroup
			ask := func(q int) {
				ctx, cancel := context.WithCancel(context.Background())
				cancels[q] = cancel
				wg.Add(1)
				go func() {
					defer wg.Done()
					a, err := g.Do(ctx, q)
					results[q] = result{a, err}
				}()
			}
			ask(1)
			waitFor(t, "the first read", func() bool { return len(h.calls()) == 1 })
			// One after the other, so that they wait in this order and 2
			// reads for them.
			for q := 2; q <= callers; q++ {
				ask(q)
				waitFor(t, "the later callers to wait", func() bool {
					g.mu.Lock()
					defer g.mu.Unlock()
					return len(g.waiting) == q-1
				})
			}
			// The first read ends; the second, of every later caller, is
			// held until release.
			if tc.err == nil {
				h.release <- struct{}{}
			}
			if tc.gaveUp != nil {
				waitFor(t, "the second read", func() bool { return len(h.calls()) == 2 })
				for _, q := range tc.gaveUp {
					cancels[q]()
				}
			}
			if len(tc.gaveUp) == callers-1 {
				wg.Wait() // the read ends without release
			}
			close(h.release)
			wg.Wait()
			for _, cancel := range cancels[1:] {
				cancel()
			}

			calls := h.calls()
			if len(calls) != 2 || !slices.Equal(calls[0], []int{1}) || !slices.Equal(calls[1], []int{2, 3, 4, 5, 6}) {
				t.Errorf("reads of %v, want [1] then [2 3 4 5 6]", calls)
			}
			for q := 1; q <= callers; q++ {
				r := results[q]
				if want := tc.wantErr[q]; want != nil {
					if !errors.Is(r.err, want) {
						t.Errorf("question %d: err = %v, want %v", q, r.err, want)
					}
				} else if r.err != nil || r.answer != q*10 {
					t.Errorf("question %d: %d, %v; want %d", q, r.answer, r.err, q*10)
				}
			}
			// Nothing waits any more: the next caller is read at once.
			if g.reading || len(g.waiting) != 0 {
				t.Errorf("after every read: reading %v, %d waiting", g.reading, len(g.waiting))
			}
		})
	}
}

func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestReadsWrongNumberOfAnswers: a Read that answers more or fewer
// questions than it was asked fails its callers, and the next is read.
func TestReadsWrongNumberOfAnswers(t *testing.T) {
	t.Parallel()
	answers := []int{1, 2}
	g := &Reads[int, int]{Read: func(context.Context, []int) ([]int, error) { return answers, nil }}
	if a, err := g.Do(context.Background(), 7); err == nil {
		t.Errorf("two answers to one question: %d, no error", a)
	}
	answers = []int{70}
	if a, err := g.Do(context.Background(), 7); err != nil || a != 70 {
		t.Errorf("the next read: %d, %v; want 70", a, err)
	}
}
