package outbox_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/outbox"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

// scriptedProvider answers each attempt with what answer says, and records
// the calls it got.
type scriptedProvider struct {
	mu     sync.Mutex
	calls  []carillon.Outgoing
	at     []time.Time
	answer func(out carillon.Outgoing) error
}

func (p *scriptedProvider) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	p.mu.Lock()
	p.calls = append(p.calls, out)
	p.at = append(p.at, time.Now())
	answer := p.answer
	p.mu.Unlock()
	if answer != nil {
		if err := answer(out); err != nil {
			return carillon.SendResult{}, err
		}
	}
	return carillon.SendResult{ExternalID: "ext-" + out.Message.UUID}, nil
}

func (p *scriptedProvider) snapshot() ([]carillon.Outgoing, []time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]carillon.Outgoing(nil), p.calls...), append([]time.Time(nil), p.at...)
}

type fixture struct {
	db   *store.DB
	svc  *service.Service
	box  *outbox.Outbox
	prov *scriptedProvider
	p    service.Principal
	ch   carillon.Channel
}

func setup(t *testing.T, dir string, prov *scriptedProvider, o outbox.Options) *fixture {
	t.Helper()
	ctx := context.Background()
	db := testrig.SQLiteIn(t, dir)
	instance := carillon.NewUUID()
	svc := testrig.Service(t, service.Options{Store: db, InstanceID: instance})
	o.Store, o.InstanceID = db, instance
	if o.Recorder == nil {
		o.Recorder = svc.Messages
	}
	o.Providers = map[string]carillon.Provider{carillon.ProviderSandbox: prov}
	if o.RetryBase == 0 {
		o.RetryBase = 5 * time.Millisecond
	}
	box := outbox.New(o)
	svc.Notifier().SubscribeSends(box)
	_, _, secret, err := svc.Accounts.SetupAccount(ctx, carillon.DefaultAccountName, true)
	if err != nil {
		t.Fatal(err)
	}
	var p service.Principal
	if secret != "" {
		if p, err = svc.Accounts.Authenticate(ctx, secret); err != nil {
			t.Fatal(err)
		}
	} else {
		acct, _ := db.AccountByName(ctx, carillon.DefaultAccountName)
		p.Account = acct
	}
	ch, err := db.MainChannel(ctx, p.Account.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	if err := box.Start(ctx); err != nil {
		t.Fatal(err)
	}
	f := &fixture{db: db, svc: svc, box: box, prov: prov, p: p, ch: ch}
	t.Cleanup(f.stop)
	return f
}

func (f *fixture) stop() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	f.box.Stop(ctx)
	f.svc.Close()
	f.db.Close()
}

func (f *fixture) send(t *testing.T, to, text string) carillon.Message {
	t.Helper()
	res, err := f.svc.Messages.Send(context.Background(), f.p, service.SendRequest{To: to, From: "whatsapp", Type: "text", Content: &carillon.Content{Text: text}})
	if err != nil {
		t.Fatal(err)
	}
	return res.Message
}

// waitStatus polls until the message reaches want.
func (f *fixture) waitStatus(t *testing.T, uuid string, want carillon.Status) carillon.Message {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		m, err := f.db.MessageByUUID(context.Background(), f.p.Account.ID, uuid)
		if err == nil && m.Status == want {
			return m
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s is %s (%v), want %s", uuid, m.Status, err, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestPerRecipientOrderSurvivesRetries(t *testing.T) {
	t.Parallel()
	failedOnce := map[string]bool{}
	var mu sync.Mutex
	prov := &scriptedProvider{answer: func(out carillon.Outgoing) error {
		mu.Lock()
		defer mu.Unlock()
		// Every third message fails once, transiently.
		if out.Message.Content.Text[len(out.Message.Content.Text)-1]%3 == 0 && !failedOnce[out.Message.UUID] {
			failedOnce[out.Message.UUID] = true
			return &carillon.SendError{Code: "131000", Title: "Something went wrong"}
		}
		return nil
	}}
	f := setup(t, t.TempDir(), prov, outbox.Options{})
	recipients := []string{"+31612345671", "+31612345672", "+31612345673"}
	var last []carillon.Message
	for i := range 30 {
		last = append(last, f.send(t, recipients[i%3], "message "+string(rune('0'+i%10))+string(rune('a'+i))))
	}
	for _, m := range last {
		f.waitStatus(t, m.UUID, carillon.StatusSent)
	}
	calls, _ := prov.snapshot()
	// Per recipient, the successful calls come in acceptance order.
	lastID := map[string]int64{}
	for _, c := range calls {
		if c.Message.ID < lastID[c.To] {
			t.Fatalf("message %d to %s left after message %d", c.Message.ID, c.To, lastID[c.To])
		}
		lastID[c.To] = c.Message.ID
	}
	if len(calls) != 30+len(failedOnce) {
		t.Fatalf("%d provider calls, want %d", len(calls), 30+len(failedOnce))
	}
}

func TestTransientErrorsUpToMaxAttempts(t *testing.T) {
	t.Parallel()
	prov := &scriptedProvider{answer: func(out carillon.Outgoing) error {
		if out.To == "31612345671" {
			return &carillon.SendError{Code: "131000", Title: "Something went wrong"}
		}
		return nil
	}}
	f := setup(t, t.TempDir(), prov, outbox.Options{MaxAttempts: 3})
	m := f.send(t, "+31612345671", "doomed")
	got := f.waitStatus(t, m.UUID, carillon.StatusFailed)
	if got.Attempts != 3 || got.SendState != carillon.SendDone {
		t.Fatalf("attempts %d state %s; want 3 attempts, done", got.Attempts, got.SendState)
	}
	calls, _ := prov.snapshot()
	if len(calls) != 3 {
		t.Fatalf("%d provider calls, want 3", len(calls))
	}
}

func TestPermanentErrorFailsAtOnce(t *testing.T) {
	t.Parallel()
	prov := &scriptedProvider{answer: func(carillon.Outgoing) error {
		return &carillon.SendError{Permanent: true, Code: "131026", Title: "Message undeliverable"}
	}}
	f := setup(t, t.TempDir(), prov, outbox.Options{})
	m := f.send(t, "+31612345671", "x")
	got := f.waitStatus(t, m.UUID, carillon.StatusFailed)
	if got.Attempts != 1 {
		t.Fatalf("attempts = %d, want 1", got.Attempts)
	}
}

func TestPacing(t *testing.T) {
	t.Parallel()
	// In a bubble of testing/synctest the clock moves only when every
	// goroutine waits: the span below is the pacing's own, not the
	// machine's load, and the test does not wait for it in real time.
	synctest.Test(t, func(t *testing.T) {
		prov := &scriptedProvider{}
		f := setup(t, t.TempDir(), prov, outbox.Options{})
		ch := f.ch
		ch.Settings = map[string]string{"window": "open", "mps": "50"}
		if err := f.db.UpdateChannel(context.Background(), &ch); err != nil {
			t.Fatal(err)
		}
		var msgs []carillon.Message
		start := time.Now()
		for i := range 10 {
			msgs = append(msgs, f.send(t, []string{"+31612345671", "+31612345672"}[i%2], "paced"))
		}
		for _, m := range msgs {
			f.waitStatus(t, m.UUID, carillon.StatusSent)
		}
		_, at := prov.snapshot()
		// 50 per second is one every 20 ms: the tenth call's turn comes 9
		// intervals after the first's, which is no earlier than the first
		// send.
		if span := at[len(at)-1].Sub(start); span < 9*20*time.Millisecond {
			t.Fatalf("10 calls at 50 mps were all made within %v of the first send: not paced", span)
		}
	})
}

func TestDeletedBeforeSendingIsNotSent(t *testing.T) {
	t.Parallel()
	// In a bubble of testing/synctest, synctest.Wait returns once every
	// goroutine of the pipeline waits: whatever it would do with the
	// deleted message, it has done.
	synctest.Test(t, func(t *testing.T) {
		release := make(chan struct{})
		prov := &scriptedProvider{answer: func(out carillon.Outgoing) error {
			if out.Message.Content.Text == "first" {
				<-release
			}
			return nil
		}}
		f := setup(t, t.TempDir(), prov, outbox.Options{})
		first := f.send(t, "+31612345671", "first")
		second := f.send(t, "+31612345671", "second")
		if err := f.svc.Messages.DeleteMessage(context.Background(), f.p, second.UUID); err != nil {
			t.Fatal(err)
		}
		close(release)
		f.waitStatus(t, first.UUID, carillon.StatusSent)
		f.waitStatus(t, second.UUID, carillon.StatusDeleted)
		synctest.Wait()
		calls, _ := prov.snapshot()
		for _, c := range calls {
			if c.Message.UUID == second.UUID {
				t.Fatal("a message deleted before it left was sent")
			}
		}
	})
}

// unavailableRecorder refuses every outcome, as a service whose store
// refuses writes does.
type unavailableRecorder struct{}

func (unavailableRecorder) RecordOutcome(context.Context, carillon.Message, service.Outcome) (carillon.Message, error) {
	return carillon.Message{}, fmt.Errorf("%w: the database file was removed", carillon.ErrStoreUnavailable)
}

// TestStoreGoneStopsSending checks that a message whose outcome the store
// refuses as unavailable is not sent again and again: it stays queued in
// the store, for the next start.
func TestStoreGoneStopsSending(t *testing.T) {
	t.Parallel()
	prov := &scriptedProvider{}
	f := setup(t, t.TempDir(), prov, outbox.Options{Recorder: unavailableRecorder{}})
	f.send(t, "+31612345671", "first")
	waitCalls := time.Now().Add(10 * time.Second)
	for calls, _ := prov.snapshot(); len(calls) == 0; calls, _ = prov.snapshot() {
		if time.Now().After(waitCalls) {
			t.Fatal("the message was never sent")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// Retries come every few milliseconds here (RetryBase 5 ms): a pipeline
	// that kept sending would have called the provider many times by now.
	time.Sleep(300 * time.Millisecond)
	if calls, _ := prov.snapshot(); len(calls) != 1 {
		t.Errorf("the provider got %d calls for one message whose outcome could not be recorded, want 1", len(calls))
	}
}

func TestRestartSendsWhatWasLeft(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	block := make(chan struct{})
	stuck := &scriptedProvider{answer: func(carillon.Outgoing) error { <-block; return nil }}
	f := setup(t, dir, stuck, outbox.Options{})
	var msgs []carillon.Message
	for i := range 20 {
		msgs = append(msgs, f.send(t, []string{"+31612345671", "+31612345672"}[i%2], "left behind"))
	}
	// The provider hangs: stop without waiting for it, as a crash would.
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	f.box.Stop(ctx)
	cancel()
	f.svc.Close()
	f.db.Close()

	prov := &scriptedProvider{}
	g := setup(t, dir, prov, outbox.Options{})
	g.p = f.p
	for _, m := range msgs {
		g.waitStatus(t, m.UUID, carillon.StatusSent)
	}
	close(block)
}
