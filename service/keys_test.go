package service_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// heldKeyReads is a store whose first read of API keys waits until every
// request of a test has started, and then a little, so that the others
// come while it is in flight; it notes how many keys each read asked for.
type heldKeyReads struct {
	carillon.Store
	started  *atomic.Int64
	requests int64

	mu    sync.Mutex
	reads []int
}

func (s *heldKeyReads) APIKeysByHash(ctx context.Context, hashes []string) ([]carillon.KeyByHash, error) {
	s.mu.Lock()
	first := len(s.reads) == 0
	s.reads = append(s.reads, len(hashes))
	s.mu.Unlock()
	if first {
		waitForAll(s.started, s.requests)
	}
	return s.Store.APIKeysByHash(ctx, hashes)
}

// waitForAll holds a store's first read until n callers have started,
// and then a little, so that the others come while it is in flight.
func waitForAll(started *atomic.Int64, n int64) {
	for started.Load() < n {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
}

// TestConcurrentRequestsAuthenticateAsTheirOwnKeys: the keys of requests
// that come at the same time are read together; each request is still
// authenticated as its own key and account, and refused when its key is
// revoked or unknown.
func TestConcurrentRequestsAuthenticateAsTheirOwnKeys(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		const requests = 300
		held := &heldKeyReads{Store: open(), started: new(atomic.Int64), requests: requests}
		svc := testrig.Service(t, service.Options{Store: held})

		type key struct {
			secret  string
			account int64
			id      int64 // 0: refused
		}
		var keys []key
		for _, name := range []string{"north", "south", "east"} {
			acct, _, first, err := svc.Accounts.SetupAccount(ctx, name, true)
			if err != nil {
				t.Fatal(err)
			}
			keys = append(keys, key{secret: first, account: acct.ID, id: -1})
			for i := range 3 {
				secret, k, err := svc.Accounts.CreateKey(ctx, acct.ID, fmt.Sprintf("%s-%d", name, i), "")
				if err != nil {
					t.Fatal(err)
				}
				keys = append(keys, key{secret: secret, account: acct.ID, id: k.ID})
				if i == 2 {
					if _, err := svc.Accounts.RevokeKey(ctx, acct.ID, k.Prefix); err != nil {
						t.Fatal(err)
					}
					keys[len(keys)-1].id = 0
				}
			}
		}
		keys = append(keys, key{secret: service.KeyPrefix + "0123456789abcdef0123456789abcdef0123456789abcdef"})

		var wg sync.WaitGroup
		for i := range requests {
			k := keys[i%len(keys)]
			wg.Add(1)
			go func() {
				defer wg.Done()
				held.started.Add(1)
				p, err := svc.Accounts.Authenticate(ctx, k.secret)
				switch {
				case k.id == 0:
					if e, ok := carillon.AsError(err); !ok || e.Code != carillon.CodeUnauthorized {
						t.Errorf("request %d with a revoked or unknown key: %+v, %v; want refused", i, p, err)
					}
				case err != nil:
					t.Errorf("request %d: %v", i, err)
				case p.Account.ID != k.account || p.Key.AccountID != k.account || (k.id > 0 && p.Key.ID != k.id):
					t.Errorf("request %d authenticated as key %d of account %d, want key %d of account %d", i, p.Key.ID, p.Account.ID, k.id, k.account)
				}
			}()
		}
		wg.Wait()

		held.mu.Lock()
		defer held.mu.Unlock()
		most := 0
		for _, n := range held.reads {
			most = max(most, n)
		}
		if len(held.reads) >= requests || most < 2 {
			t.Errorf("%d requests read their keys in %d reads of at most %d keys, want them read together", requests, len(held.reads), most)
		}
	})
}
