package service

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/telemetry"
)

// aheadStore runs each transaction's work on queries that note the
// contacts read ahead; nothing is stored.
type aheadStore struct {
	carillon.Store
	mu    sync.Mutex
	reads [][]carillon.ContactRef
}

func (s *aheadStore) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	return fn(aheadQueries{s: s})
}

type aheadQueries struct {
	carillon.Queries
	s *aheadStore
}

func (q aheadQueries) ReadContactsAhead(ctx context.Context, contacts []carillon.ContactRef) error {
	q.s.mu.Lock()
	defer q.s.mu.Unlock()
	q.s.reads = append(q.s.reads, slices.Clone(contacts))
	return nil
}

// TestBatchReadsContactsAhead: a batch reads the contacts its units say
// they read by id in one statement, when two or more do; the units that
// read none, and those whose caller is gone, add nothing.
func TestBatchReadsContactsAhead(t *testing.T) {
	t.Parallel()
	ref := func(id int64) carillon.ContactRef { return carillon.ContactRef{AccountID: 1, ID: id} }
	for _, tc := range []struct {
		name  string
		units []carillon.ContactRef // a zero one reads no contact
		gone  int                   // the index of a unit whose caller is gone, or -1
		want  [][]carillon.ContactRef
	}{
		{"five readers and one unit that reads none", []carillon.ContactRef{ref(1), ref(2), {}, ref(3), ref(4), ref(5)}, -1,
			[][]carillon.ContactRef{{ref(1), ref(2), ref(3), ref(4), ref(5)}}},
		{"one reader", []carillon.ContactRef{{}, ref(7), {}}, -1, nil},
		{"a reader whose caller is gone", []carillon.ContactRef{ref(1), ref(2), ref(3)}, 1,
			[][]carillon.ContactRef{{ref(1), ref(3)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			st := &aheadStore{}
			c := newCommitter(st, 1, telemetry.New())
			defer c.close()
			// The first unit holds the writer, so that the units queued
			// meanwhile make the next batch together.
			release, started := make(chan struct{}), make(chan struct{})
			var releaseOnce sync.Once
			let := func() { releaseOnce.Do(func() { close(release) }) }
			defer let() // before the writers stop, also when the test fails
			held := make(chan error, 1)
			go func() {
				held <- c.doReading(context.Background(), 0, ref(99), func(context.Context, carillon.Queries) error {
					close(started)
					<-release
					return nil
				})
			}()
			<-started
			var wg sync.WaitGroup
			for i, r := range tc.units {
				ctx, cancel := context.WithCancel(context.Background())
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer cancel()
					_ = c.doReading(ctx, 0, r, func(context.Context, carillon.Queries) error { return nil })
				}()
				// One at a time, so that the batch holds them in this order.
				waitUntil(t, "the unit to be queued", func() bool { return len(c.work[0]) == i+1 })
				if i == tc.gone {
					cancel() // queued, then given up by its caller
				}
			}
			let()
			if err := <-held; err != nil {
				t.Fatal(err)
			}
			wg.Wait()
			st.mu.Lock()
			defer st.mu.Unlock()
			if !slices.EqualFunc(st.reads, tc.want, slices.Equal) {
				t.Errorf("contacts read ahead: %v, want %v", st.reads, tc.want)
			}
		})
	}
}

func waitUntil(t *testing.T, what string, ok func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !ok() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 10 s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
