package service

import (
	"context"
	"errors"
	"hash/fnv"
	"slices"
	"strconv"
	"sync"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/telemetry"
)

// committer groups the writes of concurrent requests into shared
// transactions: a durable commit (an fsync) costs far more than the few rows
// each request writes, so one commit for many requests multiplies the rate
// at which sends can be accepted, and every caller is still answered only
// once its own work is committed.
//
// A unit of work is a function run inside the transaction. A unit that
// returns a *carillon.Error (a rule refused the request) must not have
// written anything: its error goes back to its caller alone and the batch
// goes on. Any other error aborts the transaction; then every unit of the
// batch is run again alone, so that one bad unit fails only itself.
//
// With several writers (PostgreSQL), each unit names a key, and units of one
// key always go to the same writer: the writes to one contact (keyed by its
// address) are then made by one transaction at a time, and so are the
// receipts of its messages (keyed by its id), so concurrent transactions
// seldom wait on each other's row locks. When two do wait on each other (a
// contact deleted while its receipts are applied), PostgreSQL aborts one,
// and its unit is run again alone (runWith).
type committer struct {
	store   carillon.Store
	work    []chan *unit
	metrics *telemetry.Metrics
	// committed is called after each commit.
	committed func()
	// failed is told the error of a transaction that did not commit.
	failed func(error)
	wg     sync.WaitGroup
	stop   chan struct{}

	// closing guards closed: work is queued under the read lock, so that
	// once close has taken the write lock no unit can slip in after the
	// writers' final drain.
	closing sync.RWMutex
	closed  bool
}

type unit struct {
	ctx context.Context
	fn  func(ctx context.Context, q carillon.Queries) error
	// reads is the contact fn reads first, if it names one: the
	// contacts of a batch's units are read together (runWith).
	reads carillon.ContactRef
	done  chan error
}

// maxBatch bounds a transaction, so that no caller waits behind too many.
const maxBatch = 256

func newCommitter(store carillon.Store, writers int, metrics *telemetry.Metrics) *committer {
	c := &committer{store: store, metrics: metrics, stop: make(chan struct{})}
	for range writers {
		work := make(chan *unit, 4*maxBatch)
		c.work = append(c.work, work)
		c.wg.Add(1)
		go c.loop(work)
	}
	return c
}

var errClosed = errors.New("service is shutting down")

// do runs fn in a shared transaction and returns once it is committed. fn
// gets a context of its own: the caller's cancellation must not abort a
// transaction that other callers share. key picks the writer (see
// committer).
func (c *committer) do(ctx context.Context, key uint64, fn func(ctx context.Context, q carillon.Queries) error) error {
	return c.doReading(ctx, key, carillon.ContactRef{}, fn)
}

// doReading is do for a unit that reads the contact reads first.
func (c *committer) doReading(ctx context.Context, key uint64, reads carillon.ContactRef, fn func(ctx context.Context, q carillon.Queries) error) error {
	u := &unit{ctx: ctx, fn: fn, reads: reads, done: make(chan error, 1)}
	c.closing.RLock()
	if c.closed {
		c.closing.RUnlock()
		return errClosed
	}
	select {
	case c.work[key%uint64(len(c.work))] <- u:
		c.closing.RUnlock()
	case <-ctx.Done():
		c.closing.RUnlock()
		return ctx.Err()
	}
	// Once queued, the unit will be committed or refused: wait for it even
	// if the caller gives up, so the caller never answers before a write
	// it cannot take back.
	return <-u.done
}

// close stops the writers after they have committed all queued work.
func (c *committer) close() {
	c.closing.Lock()
	if !c.closed {
		c.closed = true
		close(c.stop)
	}
	c.closing.Unlock()
	c.wg.Wait()
}

func (c *committer) loop(work chan *unit) {
	defer c.wg.Done()
	batch := make([]*unit, 0, maxBatch)
	for {
		select {
		case u := <-work:
			batch = append(batch[:0], u)
		case <-c.stop:
			// Drain what was queued before the stop.
			for {
				select {
				case u := <-work:
					c.run([]*unit{u})
				default:
					return
				}
			}
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case u := <-work:
				batch = append(batch, u)
			default:
				break fill
			}
		}
		c.run(batch)
	}
}

// maxConflictRetries bounds the runs of a unit that keeps losing races.
const maxConflictRetries = 3

func (c *committer) run(batch []*unit) { c.runWith(batch, 0) }

func (c *committer) runAlone(u *unit, retries int) { c.runWith([]*unit{u}, retries) }

// runWith runs a batch in one transaction; retries counts the runs of a
// single unit that lost a race on a unique key or to a deadlock.
func (c *committer) runWith(batch []*unit, retries int) {
	c.metrics.CommitBatchSize.Observe(float64(len(batch)))
	results := make([]error, len(batch))
	ctx := withBatchReads(context.Background(), len(batch) > 1)
	err := c.store.InTx(ctx, func(q carillon.Queries) error {
		if err := preloadContacts(ctx, q, batch); err != nil {
			return err
		}
		for i, u := range batch {
			if err := u.ctx.Err(); err != nil {
				// The caller is gone before its work started: skip it.
				results[i] = err
				continue
			}
			err := u.fn(ctx, q)
			if _, refused := carillon.AsError(err); err != nil && !refused {
				return err
			}
			results[i] = err
		}
		return nil
	})
	if err != nil && len(batch) > 1 {
		c.metrics.CommitBatchesRerun.Inc()
		for _, u := range batch {
			c.run([]*unit{u})
		}
		return
	}
	if err != nil && retriable(err) && retries < maxConflictRetries {
		// Alone, and refused by a unique key: another writer (another
		// instance, on PostgreSQL) made the same contact or used the same
		// Idempotency-Key first; run again, the unit now finds its row.
		// Or aborted by PostgreSQL to end a deadlock with another
		// transaction, which then went on: a unit keyed by contact id (a
		// receipt) and one keyed by address (a contact's deletion) may
		// lock the same contact's rows from two writers, in another order;
		// run again, the other has committed or waits no more for this one.
		// Or its contact was changed by another transaction between the
		// unit's read and its write (ErrStale: a unit keyed by another
		// address of the contact, another instance): run again, the
		// unit reads the contact as it is now.
		c.runAlone(batch[0], retries+1)
		return
	}
	if err == nil && c.committed != nil {
		c.committed()
	}
	if err != nil && c.failed != nil {
		c.failed(err)
	}
	for i, u := range batch {
		if err != nil {
			u.done <- err
		} else {
			u.done <- results[i]
		}
	}
}

// preloadContacts reads the contacts the batch's units read first in one
// statement (on PostgreSQL, where each read is a round trip of the
// transaction; the SQLite writer keeps its contacts by itself).
func preloadContacts(ctx context.Context, q carillon.Queries, batch []*unit) error {
	if len(batch) < 2 {
		return nil
	}
	refs := make([]carillon.ContactRef, 0, len(batch))
	for _, u := range batch {
		if u.reads != (carillon.ContactRef{}) {
			refs = append(refs, u.reads)
		}
	}
	if len(refs) < 2 {
		return nil
	}
	return q.PreloadContacts(ctx, refs)
}

// retriable reports whether a unit that failed with err may succeed when
// run again alone (see runWith).
func retriable(err error) bool {
	return errors.Is(err, carillon.ErrConflict) || errors.Is(err, carillon.ErrContention) || errors.Is(err, carillon.ErrStale)
}

// contactKey is the writer key of a contact known by its channel and
// address (or BSUID): sends and inbound messages, which may create it.
func contactKey(channelID int64, address string) uint64 {
	h := fnv.New64a()
	_, _ = h.Write([]byte(strconv.FormatInt(channelID, 10) + "/" + address))
	return h.Sum64()
}

// batchReads keeps, for the units of one batch, what they would each read
// again and what none of them writes: the account's webhook, which every
// event of a change looks up (record), and which only a transaction of its
// own writes (inTx). It lives as long as the batch's transaction, so a
// webhook saved or deleted is seen by the next batch; on PostgreSQL, a
// batch sees what was committed when its first unit read it, as one unit
// sees what was committed when it read it. It also keeps the chat changes
// the transaction recorded (chatChanged). A batch that fails is run again
// unit by unit, each in a transaction and a batchReads of its own.
type batchReads struct {
	webhooks map[int64]webhookRead
	changes  []carillon.ChatChange
	// rerunsAlone: the batch has several units, each run again alone
	// should it fail (queuesInBatch); its units may then write messages
	// with UpdateMessageFromLater (writesLaterInBatch), whose ids are in
	// messagesLater.
	rerunsAlone   bool
	messagesLater []int64
}

// queuesInBatch reports whether a unit runs in a batch of several, each run
// again alone should it fail: a unit may then have the store send a write
// that must succeed with a later statement (CreateMessageOnceLater).
func queuesInBatch(ctx context.Context) bool {
	reads, _ := ctx.Value(batchReadsKey{}).(*batchReads)
	return reads != nil && reads.rerunsAlone
}

// writesLaterInBatch reports whether a unit of the batch may write
// message id with UpdateMessageFromLater, and notes it when so: in a batch
// of several units, the first write of each message. Should that write
// miss (the message changed since the unit read it), the batch fails and
// its units run again alone, where every write is immediate and a unit
// that finds its message changed reads it again (writeMessage): one
// batch's work for one message that changed, a rare case. A second write
// of one message in the batch is immediate: its unit read the message
// before the batch and would miss the first write's version, failing the
// batch for nothing; immediate, it finds the version moved and reads the
// message again in the transaction, as writeMessage does.
func writesLaterInBatch(ctx context.Context, id int64) bool {
	reads, _ := ctx.Value(batchReadsKey{}).(*batchReads)
	if reads == nil || !reads.rerunsAlone || slices.Contains(reads.messagesLater, id) {
		return false
	}
	reads.messagesLater = append(reads.messagesLater, id)
	return true
}

// recordedInBatch reports whether the batch's transaction recorded change
// c already, and notes it when not. c has no id or time yet. Outside a
// batch it is always false.
func recordedInBatch(ctx context.Context, c carillon.ChatChange) bool {
	reads, _ := ctx.Value(batchReadsKey{}).(*batchReads)
	if reads == nil {
		return false
	}
	// A batch records a few hundred changes at most: a scan, newest
	// first, takes about the time a map's hashing takes (measured on 360
	// changes of 120 contacts: 86 µs against 111 µs), in one growing
	// slice instead of a map's buckets.
	for i := len(reads.changes) - 1; i >= 0; i-- {
		if reads.changes[i] == c {
			return true
		}
	}
	reads.changes = append(reads.changes, c)
	return false
}

type webhookRead struct {
	w   carillon.Webhook
	err error
}

type batchReadsKey struct{}

func withBatchReads(ctx context.Context, rerunsAlone bool) context.Context {
	return context.WithValue(ctx, batchReadsKey{}, &batchReads{rerunsAlone: rerunsAlone})
}

// webhookOf returns the account's webhook (carillon.ErrNotFound when it
// has none), read once per batch in a unit of the committer.
func webhookOf(ctx context.Context, q carillon.Queries, accountID int64) (carillon.Webhook, error) {
	reads, _ := ctx.Value(batchReadsKey{}).(*batchReads)
	if reads == nil {
		return q.WebhookByAccount(ctx, accountID)
	}
	if r, ok := reads.webhooks[accountID]; ok {
		return r.w, r.err
	}
	w, err := q.WebhookByAccount(ctx, accountID)
	if err != nil && !errors.Is(err, carillon.ErrNotFound) {
		return w, err
	}
	if reads.webhooks == nil {
		reads.webhooks = map[int64]webhookRead{}
	}
	reads.webhooks[accountID] = webhookRead{w, err}
	return w, err
}
