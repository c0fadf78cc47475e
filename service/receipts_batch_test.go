package service_test

import (
	"cmp"
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/telemetry"
)

// heldWriter is a store whose next unit of work, once armed, waits at its
// first read of a contact (inside its transaction, on the writer) until
// released: the units sent meanwhile queue behind it and run together
// in the writer's next batch.
type heldWriter struct {
	carillon.Store
	mu      sync.Mutex
	held    chan struct{} // closed once a unit waits
	release chan struct{}
}

func (s *heldWriter) arm() {
	s.mu.Lock()
	s.held, s.release = make(chan struct{}), make(chan struct{})
	s.mu.Unlock()
}

func (s *heldWriter) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	return s.Store.InTx(ctx, func(q carillon.Queries) error { return fn(heldQueries{q, s}) })
}

type heldQueries struct {
	carillon.Queries
	s *heldWriter
}

func (q heldQueries) ContactByID(ctx context.Context, accountID, id int64) (carillon.Contact, error) {
	q.s.mu.Lock()
	held, release := q.s.held, q.s.release
	q.s.held = nil
	q.s.mu.Unlock()
	if held != nil {
		close(held)
		<-release
	}
	return q.Queries.ContactByID(ctx, accountID, id)
}

// TestReceiptsInOneBatch applies receipts that a busy writer gathers in
// one transaction, as under load: each message ends with every report
// applied, in order, whether two receipts of one message share the
// batch, or one message changed since its receipt read it (its earlier
// receipt committed by the batch before). Two receipts of one message in
// a batch are written without the batch being run again.
func TestReceiptsInOneBatch(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		for _, tc := range []struct {
			name string
			// blocking is the receipt the writer holds; together, those
			// queued behind it, in order, as "message index/status".
			blocking string
			together []string
			// wantReruns is how many batches run again; -1: not
			// checked (a stale write reruns its batch where the store
			// sends it later, on PostgreSQL).
			wantReruns float64
		}{
			{"two of one message", "2/delivered", []string{"0/delivered", "0/read", "1/delivered", "0/read"}, 0},
			{"one read before the batch before", "0/delivered", []string{"0/read", "1/delivered", "2/read"}, -1},
		} {
			t.Run(tc.name, func(t *testing.T) {
				ctx := context.Background()
				db := open()
				held := &heldWriter{Store: db}
				metrics := telemetry.New()
				svc := testrig.Service(t, service.Options{Store: held, InstanceID: "test-instance", Registry: providers, Metrics: metrics})
				svc.Notifier().SubscribeSends(&recordingDispatcher{})
				p := testrig.DefaultAccount(t, svc).Principal
				ch, err := db.MainChannel(ctx, p.Account.ID, carillon.WhatsApp)
				if err != nil {
					t.Fatal(err)
				}
				var ms []carillon.Message
				for i := range 3 {
					res, err := svc.Messages.Send(ctx, p, text("+31612345678", fmt.Sprintf("hi %d", i)))
					if err != nil {
						t.Fatal(err)
					}
					ms = append(ms, res.Message)
				}
				reruns := batchesRerun(t, metrics)
				var wg sync.WaitGroup
				errs := make(chan error, 1+len(tc.together))
				apply := func(r string) {
					i, st := parseReceipt(t, r)
					wg.Add(1)
					go func() {
						defer wg.Done()
						found, err := svc.Messages.ApplyReceipt(ctx, ch, carillon.Receipt{ChannelID: ch.ID, MessageUUID: ms[i].UUID, Status: st})
						if err == nil && !found {
							err = fmt.Errorf("receipt %s: message not found", r)
						}
						if err != nil {
							errs <- err
						}
					}()
				}
				held.arm()
				waitFor := held.held
				apply(tc.blocking)
				<-waitFor
				for n, r := range tc.together {
					apply(r)
					waitQueued(t, svc, n+1)
				}
				close(held.release)
				wg.Wait()
				close(errs)
				for err := range errs {
					t.Error(err)
				}
				want := map[int][]string{}
				for _, r := range append([]string{tc.blocking}, tc.together...) {
					i, status := parseReceipt(t, r)
					st := string(status)
					switch {
					case len(want[i]) == 0 && st == "read":
						want[i] = []string{"sent", "delivered", "read"}
					case len(want[i]) == 0:
						want[i] = []string{"sent", st}
					case slices.Contains(want[i], st):
						// A repeat with no payload is kept unapplied.
						want[i] = append(want[i], st+"(kept)")
					default:
						want[i] = append(want[i], st)
					}
				}
				f := &fixture{svc: svc, db: db}
				for i, m := range ms {
					got, err := db.MessageByID(ctx, p.Account.ID, m.ID)
					if err != nil {
						t.Fatal(err)
					}
					if hist := historyOf(t, f, m.ID); !slices.Equal(hist, want[i]) {
						t.Errorf("message %d: history %v, want %v", i, hist, want[i])
					}
					// The last report applied: a repeat kept unapplied
					// moves nothing.
					applied := slices.DeleteFunc(slices.Clone(want[i]), func(s string) bool { return strings.HasSuffix(s, "(kept)") })
					if wantStatus := applied[len(applied)-1]; string(got.Status) != wantStatus {
						t.Errorf("message %d: status %s, want %s", i, got.Status, wantStatus)
					}
				}
				if rerun := batchesRerun(t, metrics) - reruns; tc.wantReruns >= 0 && rerun != tc.wantReruns {
					t.Errorf("%v batches run again, want %v", rerun, tc.wantReruns)
				}
			})
		}
	})
}

// parseReceipt reads a receipt of the test's table, "message index/status".
func parseReceipt(t *testing.T, r string) (int, carillon.Status) {
	t.Helper()
	var i int
	var st carillon.Status
	if _, err := fmt.Sscanf(r, "%d/%s", &i, &st); err != nil {
		t.Fatal(err)
	}
	return i, st
}

// waitQueued waits until n units of work wait for svc's writers.
func waitQueued(t *testing.T, svc *service.Service, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for service.QueuedUnits(svc) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d units queued after 10 s, want %d", service.QueuedUnits(svc), n)
		}
		time.Sleep(time.Millisecond)
	}
}

var batchesRerunLine = regexp.MustCompile(`(?m)^carillon_commit_batches_rerun_total (\S+)$`)

// batchesRerun reads carillon_commit_batches_rerun_total from m.
func batchesRerun(t *testing.T, m *telemetry.Metrics) float64 {
	t.Helper()
	return counter(t, m, batchesRerunLine)
}

// counter reads the value of the metric line matches in m.
func counter(t *testing.T, m *telemetry.Metrics, line *regexp.Regexp) float64 {
	t.Helper()
	text := metricsText(m)
	match := line.FindStringSubmatch(text)
	if match == nil {
		t.Fatalf("no %s in the metrics:\n%s", line, text)
	}
	n, err := strconv.ParseFloat(match[1], 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// heldMessageReads is a store whose first read of a receipt's message by
// its provider's id waits until every receipt of a test has started, and
// then a little, so that the others come while it is in flight; it counts
// the reads made outside a transaction.
type heldMessageReads struct {
	carillon.Store
	started  atomic.Int64
	receipts int64
	reads    atomic.Int64
}

func (s *heldMessageReads) MessageByExternalID(ctx context.Context, channelID int64, externalID string) (carillon.Message, error) {
	if s.reads.Add(1) == 1 {
		waitForAll(&s.started, s.receipts)
	}
	return s.Store.MessageByExternalID(ctx, channelID, externalID)
}

func (s *heldMessageReads) MessagesByExternalID(ctx context.Context, channelID int64, externalIDs []string) ([]carillon.Message, error) {
	if s.reads.Add(1) == 1 {
		waitForAll(&s.started, s.receipts)
	}
	return s.Store.MessagesByExternalID(ctx, channelID, externalIDs)
}

// TestConcurrentReceiptsFindTheirMessages: each of many receipts that come
// at the same time, on two channels whose messages share provider ids, is
// applied to its own message, and one naming a message carillon does not
// have to none; on PostgreSQL their messages are read together.
func TestConcurrentReceiptsFindTheirMessages(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		held := &heldMessageReads{Store: db, receipts: 300}
		svc := testrig.Service(t, service.Options{Store: held, InstanceID: "test-instance", Registry: providers})
		svc.Notifier().SubscribeSends(&recordingDispatcher{})
		acct := testrig.DefaultAccount(t, svc)
		main, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
		if err != nil {
			t.Fatal(err)
		}
		other := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: "other", Type: carillon.WhatsApp, Provider: main.Provider,
			CreatedAt: time.Now(), UpdatedAt: time.Now()}
		if err := db.CreateChannel(ctx, &other); err != nil {
			t.Fatal(err)
		}
		// Each channel's messages, wamid.0 upwards on both.
		messages := map[int64][]carillon.Message{}
		for _, ch := range []carillon.Channel{main, other} {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, Address: "31612345678",
				ConversationUUID: carillon.NewUUID(), CreatedAt: time.Now(), UpdatedAt: time.Now()}
			if err := db.CreateContact(ctx, &c); err != nil {
				t.Fatal(err)
			}
			for i := range 100 {
				m := carillon.Message{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, ContactID: c.ID,
					Direction: carillon.Outbound, Type: carillon.TypeText, Content: carillon.Content{Text: "hi"},
					Status: carillon.StatusSent, SendState: carillon.SendDone, ExternalID: fmt.Sprintf("wamid.%d", i),
					CreatedAt: time.Now(), UpdatedAt: time.Now()}
				if err := db.CreateMessage(ctx, &m); err != nil {
					t.Fatal(err)
				}
				messages[ch.ID] = append(messages[ch.ID], m)
			}
		}

		type receipt struct {
			ch     carillon.Channel
			i      int // the message's index on its channel; -1: a provider id carillon does not have
			status carillon.Status
		}
		var receipts []receipt
		for n := range int(held.receipts) {
			r := receipt{ch: main, i: n % 100, status: carillon.StatusDelivered}
			switch {
			case n%10 == 9:
				r.i = -1
			case n%3 == 1:
				r.ch = other
			}
			if n >= 200 {
				r.status = carillon.StatusRead
			}
			receipts = append(receipts, r)
		}
		var wg sync.WaitGroup
		for n, r := range receipts {
			externalID := "wamid.unknown"
			if r.i >= 0 {
				externalID = messages[r.ch.ID][r.i].ExternalID
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				held.started.Add(1)
				found, err := svc.Messages.ApplyReceipt(ctx, r.ch, carillon.Receipt{ChannelID: r.ch.ID, ExternalID: externalID, Status: r.status})
				switch {
				case err != nil:
					t.Errorf("receipt %d: %v", n, err)
				case found != (r.i >= 0):
					t.Errorf("receipt %d of %s on channel %d: found %v, want %v", n, externalID, r.ch.ID, found, r.i >= 0)
				}
			}()
		}
		wg.Wait()

		// Each message reached the furthest status its receipts reported,
		// and a message no receipt named is as it was.
		want := map[int64]carillon.Status{}
		for _, r := range receipts {
			if r.i < 0 {
				continue
			}
			id := messages[r.ch.ID][r.i].ID
			if want[id] != carillon.StatusRead {
				want[id] = r.status
			}
		}
		for _, ms := range messages {
			for _, m := range ms {
				got, err := db.MessageByID(ctx, acct.ID, m.ID)
				if err != nil {
					t.Fatal(err)
				}
				if w, ok := want[m.ID]; (ok && got.Status != w) || (!ok && got.Status != carillon.StatusSent) {
					t.Errorf("message %s of channel %d: status %s, want %s", m.ExternalID, m.ChannelID, got.Status, cmp.Or(w, carillon.StatusSent))
				}
			}
		}
		if reads := held.reads.Load(); db.Shared() && reads > held.receipts/4 {
			t.Errorf("%d receipts read their messages %d times, want them read together", held.receipts, reads)
		}
	})
}

var inboundStoredLine = regexp.MustCompile(`(?m)^carillon_inbound_messages_total\{channel_type="whatsapp"\} (\S+)$`)

// TestCustomersMessagesInOneBatch stores customers' messages that a busy
// writer gathers in one transaction, as under load: new ones, then new
// ones with repeats, of a message stored before and of one earlier in the
// batch. Each is stored once, with its id, counted once; a repeat answers
// the message stored. Where the store sends the messages' INSERTs later
// (PostgreSQL), a repeat fails the batch, whose units then run again
// alone, once.
func TestCustomersMessagesInOneBatch(t *testing.T) {
	t.Parallel()
	testrig.EachStore(t, func(t *testing.T, open func() *store.DB) {
		ctx := context.Background()
		db := open()
		held := &heldWriter{Store: db}
		metrics := telemetry.New()
		// One writer: the receipt that holds it and the messages queued
		// behind it are keyed differently (by contact id, by address).
		svc := testrig.Service(t, service.Options{Store: held, InstanceID: "test-instance", Registry: providers, Metrics: metrics, Writers: 1})
		svc.Notifier().SubscribeSends(&recordingDispatcher{})
		p := testrig.DefaultAccount(t, svc).Principal
		ch, err := db.MainChannel(ctx, p.Account.ID, carillon.WhatsApp)
		if err != nil {
			t.Fatal(err)
		}
		const customer = "31612345678"
		receive := func(externalID string) (carillon.Message, error) {
			return svc.Messages.Receive(ctx, ch, carillon.InboundMessage{ChannelID: ch.ID, From: customer, ExternalID: externalID,
				Type: "text", Content: carillon.Content{Text: "hello " + externalID}})
		}
		first, err := receive("wamid.in.0")
		if err != nil {
			t.Fatal(err)
		}
		// The message whose receipts hold the writer.
		sent, err := svc.Messages.Send(ctx, p, text("+"+customer, "hi"))
		if err != nil {
			t.Fatal(err)
		}

		for _, round := range []struct {
			holder   carillon.Status // the receipt that holds the writer
			together []string        // the messages queued behind it, by external id
			rerunPG  float64         // batches run again on PostgreSQL (none on SQLite)
		}{
			{carillon.StatusDelivered, []string{"wamid.in.1", "wamid.in.2"}, 0},
			{carillon.StatusRead, []string{"wamid.in.3", "wamid.in.0", "wamid.in.4", "wamid.in.4"}, 1},
		} {
			storedBefore := counter(t, metrics, inboundStoredLine)
			reruns := batchesRerun(t, metrics)
			got := make([]carillon.Message, len(round.together))
			var wg sync.WaitGroup
			errs := make(chan error, 1+len(round.together))
			held.arm()
			waitFor := held.held
			release := sync.OnceFunc(func() { close(held.release) })
			t.Cleanup(release) // a test that fails before releasing the writer still ends
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := svc.Messages.ApplyReceipt(ctx, ch, carillon.Receipt{ChannelID: ch.ID, MessageUUID: sent.Message.UUID, Status: round.holder}); err != nil {
					errs <- err
				}
			}()
			<-waitFor
			for i, externalID := range round.together {
				wg.Add(1)
				go func() {
					defer wg.Done()
					m, err := receive(externalID)
					if err != nil {
						errs <- fmt.Errorf("%s: %w", externalID, err)
					}
					got[i] = m
				}()
				waitQueued(t, svc, i+1)
			}
			release()
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Fatal(err)
			}

			added := 0
			for i, externalID := range round.together {
				stored, err := db.MessageByExternalID(ctx, ch.ID, externalID)
				if err != nil {
					t.Fatalf("%s: %v", externalID, err)
				}
				if got[i].ID == 0 || got[i].ID != stored.ID {
					t.Errorf("receive %d (%s) answered message %d, want the one stored, %d", i, externalID, got[i].ID, stored.ID)
				}
				if externalID == "wamid.in.0" && stored.ID != first.ID {
					t.Errorf("wamid.in.0 is message %d, want the first delivery's %d", stored.ID, first.ID)
				}
				if externalID != "wamid.in.0" && !slices.Contains(round.together[:i], externalID) {
					added++
				}
			}
			if n := counter(t, metrics, inboundStoredLine) - storedBefore; n != float64(added) {
				t.Errorf("%v messages counted stored, want %d", n, added)
			}
			wantReruns := 0.0
			if db.Shared() {
				wantReruns = round.rerunPG
			}
			if rerun := batchesRerun(t, metrics) - reruns; rerun != wantReruns {
				t.Errorf("%v batches run again, want %v", rerun, wantReruns)
			}
		}
		// Five received, each once, and the one sent.
		if _, n, err := db.ContactMessages(ctx, p.Account.ID, sent.Message.ContactID, carillon.Page{Number: 1, Size: 100}); err != nil || n != 6 {
			t.Errorf("the customer has %d messages (%v), want 6", n, err)
		}
	})
}
