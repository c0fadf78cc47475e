package outbox

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// heldChecks is a store whose CheckQueued answers after release is closed,
// and notes how many messages each call read. A message whose id is a
// multiple of 5 is gone; the others come back with the owner "held".
type heldChecks struct {
	carillon.Store
	release chan struct{}
	err     error

	mu      sync.Mutex
	batches [][]int64
	earlier []bool
}

func (s *heldChecks) CheckQueued(ctx context.Context, ms []carillon.Message, earlier bool) ([]carillon.QueueCheck, error) {
	s.mu.Lock()
	var ids []int64
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	s.batches = append(s.batches, ids)
	s.earlier = append(s.earlier, earlier)
	s.mu.Unlock()
	<-s.release
	if s.err != nil {
		return nil, s.err
	}
	out := make([]carillon.QueueCheck, len(ms))
	for i, m := range ms {
		if m.ID%5 == 0 {
			out[i].Gone = true
			continue
		}
		m.Owner = "held"
		out[i] = carillon.QueueCheck{Message: m, Earlier: earlier && m.ID%2 == 0}
	}
	return out, nil
}

func (s *heldChecks) calls() [][]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.batches)
}

// TestChecksReadTogether: the attempts that start while a read before an
// attempt is in flight are read together, in one statement, once it ends;
// each gets the answer for its own message, or the store's error.
func TestChecksReadTogether(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		err     error
		earlier bool
	}{
		{"answers", nil, false},
		{"answers with the earlier queued messages", nil, true},
		{"the store fails", errors.New("connection reset"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &heldChecks{release: make(chan struct{}), err: tc.err}
			c := &checks{store: st, earlier: tc.earlier}
			type result struct {
				answer carillon.QueueCheck
				err    error
			}
			const later = 20
			results := make([]result, later+1)
			var wg sync.WaitGroup
			read := func(id int64) {
				defer wg.Done()
				a, err := c.read(context.Background(), carillon.Message{ID: id, Version: id * 10})
				results[id-1] = result{a, err}
			}
			wg.Add(1)
			go read(1)
			waitFor(t, "the first read", func() bool { return len(st.calls()) == 1 })
			wg.Add(later)
			for id := int64(2); id <= later+1; id++ {
				go read(id)
			}
			waitFor(t, "the later attempts to wait", func() bool {
				c.mu.Lock()
				defer c.mu.Unlock()
				return len(c.waiting) == later
			})
			close(st.release)
			wg.Wait()

			calls := st.calls()
			if len(calls) != 2 || len(calls[0]) != 1 || len(calls[1]) != later {
				t.Errorf("reads of %v messages, want one of 1 then one of %d", calls, later)
			}
			for _, e := range st.earlier {
				if e != tc.earlier {
					t.Errorf("a read asked earlier = %v, want %v", e, tc.earlier)
				}
			}
			for i, r := range results {
				id := int64(i + 1)
				if tc.err != nil {
					if !errors.Is(r.err, tc.err) {
						t.Errorf("message %d: err = %v, want the store's", id, r.err)
					}
					continue
				}
				want := carillon.QueueCheck{Gone: true}
				if id%5 != 0 {
					want = carillon.QueueCheck{Message: carillon.Message{ID: id, Version: id * 10, Owner: "held"}, Earlier: tc.earlier && id%2 == 0}
				}
				if r.err != nil || r.answer.Gone != want.Gone || r.answer.Earlier != want.Earlier ||
					r.answer.Message.ID != want.Message.ID || r.answer.Message.Version != want.Message.Version || r.answer.Message.Owner != want.Message.Owner {
					t.Errorf("message %d: %+v, %v; want %+v", id, r.answer, r.err, want)
				}
			}
			// Nothing waits any more: the next attempt is read at once.
			if c.reading || len(c.waiting) != 0 {
				t.Errorf("after every read: reading %v, %d waiting", c.reading, len(c.waiting))
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
