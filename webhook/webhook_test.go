package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/webhook"
)

// delivery is one request the receiver got.
type delivery struct {
	id, event, subject string
	body               []byte
	header             http.Header
}

// receiver is a local webhook endpoint that records what arrives and
// answers with answer (200 when nil).
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(d delivery, n int) int // n: how many times this webhook-id arrived, this one included
	seen   map[string]int
	signal chan struct{}
}

func newReceiver(t *testing.T, answer func(d delivery, n int) int) *receiver {
	r := &receiver{t: t, answer: answer, seen: map[string]int{}, signal: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var env struct {
		Event   string `json:"event"`
		Payload struct {
			UUID    string `json:"uuid"`
			Contact struct {
				UUID string `json:"uuid"`
			} `json:"contact"`
		} `json:"payload"`
	}
	_ = json.Unmarshal(body, &env)
	subject := env.Payload.Contact.UUID
	if subject == "" {
		subject = env.Payload.UUID
	}
	d := delivery{id: req.Header.Get("webhook-id"), event: env.Event, subject: subject, body: body, header: req.Header.Clone()}
	r.mu.Lock()
	r.seen[d.id]++
	n := r.seen[d.id]
	r.got = append(r.got, d)
	r.mu.Unlock()
	code := http.StatusOK
	if r.answer != nil {
		code = r.answer(d, n)
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(`{"status":"ok"}`))
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *receiver) deliveries() []delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]delivery(nil), r.got...)
}

// waitFor waits until cond holds over what arrived.
func (r *receiver) waitFor(what string, cond func([]delivery) bool) []delivery {
	r.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		got := r.deliveries()
		if cond(got) {
			return got
		}
		select {
		case <-r.signal:
		case <-time.After(20 * time.Millisecond):
		case <-deadline:
			r.t.Fatalf("timed out waiting for %s; got %d deliveries", what, len(got))
		}
	}
}

type harness struct {
	t    *testing.T
	svc  *service.Service
	db   *store.DB
	p    service.Principal
	stop func()
}

// newHarness makes a service on a fresh SQLite store with the default
// account; opts adjust the webhook rules (private targets are allowed).
func newHarness(t *testing.T, opts service.WebhookOptions) *harness {
	t.Helper()
	return newHarnessAt(t, opts, nil)
}

// newHarnessAt is newHarness with the service's clock (the system's when
// nil).
func newHarnessAt(t *testing.T, opts service.WebhookOptions, clock carillon.Clock) *harness {
	t.Helper()
	db := testrig.SQLite(t)
	if opts.RetryBase == 0 {
		opts.RetryBase, opts.RetryMax = 20*time.Millisecond, 100*time.Millisecond
	}
	opts.AllowPrivate = true
	svc := testrig.Service(t, service.Options{Store: db, Webhooks: opts, Clock: clock})
	p := testrig.DefaultAccount(t, svc).Principal
	h := &harness{t: t, svc: svc, db: db, p: p, stop: func() {}}
	t.Cleanup(func() { h.stop() })
	return h
}

// start runs a deliverer that may deliver to the test's loopback receivers
// until the test ends.
func (h *harness) start(o webhook.Options) *webhook.Deliverer {
	o.AllowPrivate = true
	return h.startGuarded(o)
}

// startGuarded runs a deliverer with o's address guard, and with the
// service's rules unless o names others.
func (h *harness) startGuarded(o webhook.Options) *webhook.Deliverer {
	if o.Service == nil {
		o.Service = h.svc.Webhooks
	}
	if o.Poll == 0 {
		o.Poll = 20 * time.Millisecond
	}
	d := webhook.New(o)
	h.svc.Notifier().SubscribeEvents(d)
	h.svc.Notifier().ServeRedeliveries(d)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	h.stop = func() { cancel(); <-done }
	return d
}

func (h *harness) subscribe(url string, events ...string) carillon.Webhook {
	h.t.Helper()
	w, _, err := h.svc.Webhooks.Subscribe(context.Background(), h.p, url, events)
	if err != nil {
		h.t.Fatal(err)
	}
	return w
}

// contact creates a contact: contact_created.
func (h *harness) contact(number string) service.ContactView {
	h.t.Helper()
	v, err := h.svc.Contacts.CreateContact(context.Background(), h.p, service.ContactInput{Identifier: number, Source: "whatsapp", Name: "Customer " + number})
	if err != nil {
		h.t.Fatal(err)
	}
	return v
}

// update renames a contact: contact_updated.
func (h *harness) update(uuid, name string) {
	h.t.Helper()
	if _, err := h.svc.Contacts.UpdateContact(context.Background(), h.p, uuid, service.ContactUpdate{Name: &name}); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) event(uuid string) carillon.WebhookEvent {
	h.t.Helper()
	e, err := h.db.WebhookEventByUUID(context.Background(), h.p.Account.ID, uuid)
	if err != nil {
		h.t.Fatal(err)
	}
	return e
}

// waitEvent waits until the event of that id is in a state cond accepts.
func (h *harness) waitEvent(uuid string, cond func(carillon.WebhookEvent) bool) carillon.WebhookEvent {
	h.t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		e := h.event(uuid)
		if cond(e) {
			return e
		}
		if time.Now().After(deadline) {
			h.t.Fatalf("event %s stays %+v", uuid, e)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestDeliveriesAreSignedPerStandardWebhooks(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	r := newReceiver(t, nil)
	hook := h.subscribe(r.srv.URL+"/hook", carillon.EventContactCreated, carillon.EventContactUpdated)
	h.start(webhook.Options{})
	c := h.contact("+31612345678")
	h.update(c.UUID, "Ana")
	got := r.waitFor("two events", func(d []delivery) bool { return len(d) >= 2 })

	verifier, err := standardwebhooks.NewWebhook(hook.Secret)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{carillon.EventContactCreated, carillon.EventContactUpdated} {
		d := got[i]
		if d.event != want || d.subject != c.UUID {
			t.Errorf("delivery %d = %s of %s, want %s of %s", i, d.event, d.subject, want, c.UUID)
		}
		if err := verifier.Verify(d.body, d.header); err != nil {
			t.Errorf("delivery %d: the reference library refuses the signature: %v", i, err)
		}
		if !strings.HasPrefix(d.id, "msg_") || d.header.Get("Content-Type") != "application/json" {
			t.Errorf("delivery %d: id %q, content type %q", i, d.id, d.header.Get("Content-Type"))
		}
	}
	other, _ := standardwebhooks.NewWebhook("whsec_" + "c29tZSBvdGhlciBzZWNyZXQgb2YgMzIgYnl0ZXMhIQ==")
	if err := other.Verify(got[0].body, got[0].header); err == nil {
		t.Error("a signature made with another secret verifies")
	}
	e := h.waitEvent(got[1].id, func(e carillon.WebhookEvent) bool { return e.State == carillon.EventDelivered })
	if !e.Success || e.Attempts != 1 || e.Response.Code != 200 || e.Response.Body != `{"status":"ok"}` {
		t.Errorf("logged event = %+v", e)
	}
}

func TestRotatedSecretSignsWithBothFor24Hours(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	r := newReceiver(t, nil)
	old := h.subscribe(r.srv.URL, carillon.EventContactCreated)
	rotated, err := h.svc.Webhooks.RotateSecret(context.Background(), h.p)
	if err != nil {
		t.Fatal(err)
	}
	if rotated.Secret == old.Secret || !strings.HasPrefix(rotated.Secret, "whsec_") {
		t.Fatalf("rotated secret %q (old %q)", rotated.Secret, old.Secret)
	}
	h.start(webhook.Options{})
	h.contact("+31612345678")
	got := r.waitFor("one event", func(d []delivery) bool { return len(d) >= 1 })
	if n := len(strings.Fields(got[0].header.Get("webhook-signature"))); n != 2 {
		t.Errorf("signatures during the rotation: %d, want 2", n)
	}
	for _, secret := range []string{old.Secret, rotated.Secret} {
		v, _ := standardwebhooks.NewWebhook(secret)
		if err := v.Verify(got[0].body, got[0].header); err != nil {
			t.Errorf("secret %s…: %v", secret[:10], err)
		}
	}
}

// A failing event is retried with the same webhook-id and body; the later
// events of its contact wait for it, while another contact's flow.
func TestRetriesKeepIDAndPerContactOrder(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	var blocked string
	var mu sync.Mutex
	r := newReceiver(t, func(d delivery, n int) int {
		mu.Lock()
		defer mu.Unlock()
		if d.subject == blocked && d.event == carillon.EventContactCreated && n <= 3 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	h.subscribe(r.srv.URL, carillon.EventContactCreated, carillon.EventContactUpdated)
	a := h.contact("+31612345678")
	mu.Lock()
	blocked = a.UUID
	mu.Unlock()
	h.update(a.UUID, "one")
	h.update(a.UUID, "two")
	b := h.contact("+31612345679")
	h.update(b.UUID, "three")
	h.start(webhook.Options{})

	got := r.waitFor("every event of a and b delivered", func(d []delivery) bool {
		ok := 0
		for _, x := range d {
			if x.subject == a.UUID && x.event == carillon.EventContactUpdated {
				ok++
			}
		}
		return ok == 2 && len(d) >= 8
	})
	var aSeq []string
	var firstBody []byte
	var firstID string
	bDoneAt, aOkAt := -1, -1
	for i, d := range got {
		switch d.subject {
		case a.UUID:
			aSeq = append(aSeq, d.event)
			if d.event == carillon.EventContactCreated {
				if firstID == "" {
					firstID, firstBody = d.id, d.body
				} else if d.id != firstID || !bytes.Equal(d.body, firstBody) {
					t.Errorf("retry %d changed id or body: %s vs %s", i, d.id, firstID)
				}
			} else if aOkAt < 0 {
				aOkAt = i
			}
		case b.UUID:
			if d.event == carillon.EventContactUpdated {
				bDoneAt = i
			}
		}
	}
	want := []string{"contact_created", "contact_created", "contact_created", "contact_created", "contact_updated", "contact_updated"}
	if strings.Join(aSeq, ",") != strings.Join(want, ",") {
		t.Errorf("contact a's deliveries: %v, want %v", aSeq, want)
	}
	if bDoneAt < 0 || bDoneAt > aOkAt {
		t.Errorf("contact b's events waited for contact a's retries (b done at %d, a's second event at %d)", bDoneAt, aOkAt)
	}
	e := h.event(firstID)
	if e.Attempts != 4 || !e.Success || e.State != carillon.EventDelivered {
		t.Errorf("retried event logged as %+v", e)
	}
}

func TestGivenUpAfterTheRetryPeriodReleasesTheNext(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{RetryFor: 150 * time.Millisecond})
	r := newReceiver(t, func(d delivery, _ int) int {
		if d.event == carillon.EventContactCreated {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	h.subscribe(r.srv.URL, carillon.EventContactCreated, carillon.EventContactUpdated)
	c := h.contact("+31612345678")
	h.update(c.UUID, "next")
	h.start(webhook.Options{})
	got := r.waitFor("the update after the give-up", func(d []delivery) bool {
		return len(d) > 0 && d[len(d)-1].event == carillon.EventContactUpdated
	})
	e := h.waitEvent(got[0].id, func(e carillon.WebhookEvent) bool { return e.State != carillon.EventPending })
	if e.State != carillon.EventGivenUp || e.Success || e.Attempts < 2 || !e.NextAttemptAt.IsZero() || e.Response.Code != 500 {
		t.Errorf("given-up event = %+v", e)
	}

	// Redelivery attempts it at once, with the same id, whatever its state.
	before := len(r.deliveries())
	out, err := h.svc.Webhooks.Redeliver(context.Background(), h.p, e.UUID)
	if err != nil {
		t.Fatal(err)
	}
	after := r.deliveries()
	if len(after) != before+1 || after[len(after)-1].id != e.UUID {
		t.Fatalf("redelivery made %d requests", len(after)-before)
	}
	if out.Attempts != e.Attempts+1 || out.Success || out.State != carillon.EventPending {
		t.Errorf("redelivered event = %+v", out)
	}
}

func TestPrivateAddressesRefusedAtDelivery(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	r := newReceiver(t, nil)
	// The service lets the URL in; the deliverer, which checks the address
	// it dials, does not.
	h.subscribe(r.srv.URL+"/hook?token=s3cr3t-in-the-url", carillon.EventContactCreated)
	var logs bytes.Buffer
	var logMu sync.Mutex
	h.startGuarded(webhook.Options{AllowPrivate: false, Logger: slog.New(slog.NewJSONHandler(lockedWriter{&logMu, &logs}, nil))})
	c := h.contact("+31612345678")
	_ = c
	list := waitLog(t, h, func(es []carillon.WebhookEvent) bool { return len(es) == 1 && es[0].Attempts >= 1 })
	if list[0].Success || list[0].Response.Code != 0 {
		t.Errorf("event to a loopback address logged as %+v", list[0])
	}
	if n := len(r.deliveries()); n != 0 {
		t.Errorf("the loopback receiver got %d requests", n)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if !strings.Contains(logs.String(), "refused address") || strings.Contains(logs.String(), "s3cr3t") {
		t.Errorf("the log should say why the attempt failed, without the webhook's URL:\n%s", logs.String())
	}
}

// lockedWriter serialises writes to a buffer the test reads.
type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func waitLog(t *testing.T, h *harness, cond func([]carillon.WebhookEvent) bool) []carillon.WebhookEvent {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		list, _, err := h.svc.Webhooks.WebhookEvents(context.Background(), h.p, service.WebhookEventQuery{}, service.PageRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if cond(list) {
			return list
		}
		if time.Now().After(deadline) {
			t.Fatalf("log stays %+v", list)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestRedirectsAreNotFollowedAndAnswersBounded(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{RetryFor: time.Hour})
	target := newReceiver(t, nil)
	big := strings.Repeat("x", 100<<10)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if bytes.Contains(body, []byte(`"name":"Customer +31612345678"`)) {
			http.Redirect(w, req, target.srv.URL, http.StatusFound)
			return
		}
		w.Header().Set("X-Answer", "big")
		_, _ = w.Write([]byte(big))
	}))
	t.Cleanup(srv.Close)
	h.subscribe(srv.URL, carillon.EventContactCreated, carillon.EventContactUpdated)
	c := h.contact("+31612345678")
	h.start(webhook.Options{})
	list := waitLog(t, h, func(es []carillon.WebhookEvent) bool { return len(es) == 1 && es[0].Attempts >= 1 })
	if list[0].Success || list[0].Response.Code != http.StatusFound {
		t.Errorf("redirected event logged as %+v", list[0])
	}
	if n := len(target.deliveries()); n != 0 {
		t.Errorf("the redirect was followed %d times", n)
	}
	// A later event of another contact gets the big answer.
	d := h.contact("+31612345679")
	_ = c
	h.update(d.UUID, "big")
	list = waitLog(t, h, func(es []carillon.WebhookEvent) bool {
		for _, e := range es {
			if e.Event == carillon.EventContactUpdated && e.Success {
				return true
			}
		}
		return false
	})
	for _, e := range list {
		if e.Event == carillon.EventContactUpdated {
			if len(e.Response.Body) != 4<<10 || e.Response.Headers["X-Answer"] != "big" {
				t.Errorf("kept %d bytes of the answer, headers %v", len(e.Response.Body), e.Response.Headers)
			}
		}
	}
}

// frozenClock always tells the same time.
type frozenClock struct{ at time.Time }

func (c frozenClock) Now() time.Time { return c.at }

// TestLeaseOfAnEventInFlight holds an attempt without an answer and reads
// its event: it is leased for 2 × the timeout plus the lease slack (10 s
// unless set), the time after which another instance would attempt it if
// this one died.
func TestLeaseOfAnEventInFlight(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name      string
		o         webhook.Options
		wantLease time.Duration
	}{
		{"default slack", webhook.Options{Timeout: 5 * time.Second}, 20 * time.Second},
		{"slack set", webhook.Options{Timeout: 5 * time.Second, LeaseSlack: 300 * time.Millisecond}, 10300 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarnessAt(t, service.WebhookOptions{}, frozenClock{at})
			release := make(chan struct{})
			arrived := make(chan string, 1) // the webhook-id, the event's uuid
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
				arrived <- req.Header.Get("webhook-id")
				<-release
				w.WriteHeader(http.StatusNoContent)
			}))
			t.Cleanup(srv.Close)
			t.Cleanup(func() { close(release) }) // before srv.Close, which waits for the handler
			h.subscribe(srv.URL, carillon.EventContactCreated)
			h.contact("+31612345678")
			h.start(tc.o)
			e := h.event(<-arrived)
			if e.State != carillon.EventPending || e.Attempts != 0 {
				t.Fatalf("the event in flight is %+v, want pending with no attempt recorded", e)
			}
			if got := e.NextAttemptAt.Sub(at); got != tc.wantLease {
				t.Errorf("the event in flight is leased for %v, want %v", got, tc.wantLease)
			}
		})
	}
}

func TestShutdownFinishesAttemptsInFlight(t *testing.T) {
	h := newHarness(t, service.WebhookOptions{})
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		arrived <- struct{}{}
		<-release
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(srv.Close)
	h.subscribe(srv.URL, carillon.EventContactCreated)
	h.contact("+31612345678")
	h.start(webhook.Options{})
	<-arrived
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	select {
	case <-stopped:
		t.Fatal("the deliverer stopped with an attempt in flight")
	case <-time.After(100 * time.Millisecond):
	}
	close(release)
	<-stopped
	h.stop = func() {}
	list := waitLog(t, h, func(es []carillon.WebhookEvent) bool { return len(es) == 1 })
	if !list[0].Success || list[0].Response.Code != http.StatusNoContent {
		t.Errorf("event finished at shutdown logged as %+v", list[0])
	}
}

func TestSignMatchesTheSpecificationExample(t *testing.T) {
	// The example of the Standard Webhooks specification.
	got := webhook.Sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
		[]byte(`{"test": 2432232314}`))
	if want := "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

// slowRecorder makes the first recording of attempts take longer than a
// lease, as a busy store can.
type slowRecorder struct {
	webhook.Rules
	delay time.Duration
	once  sync.Once
}

func (s *slowRecorder) RecordAndClaimWebhookEvents(ctx context.Context, w carillon.Webhook, attempts []service.WebhookAttempt, claim int, lease time.Duration) ([]carillon.WebhookEvent, []service.WebhookAttempt, []carillon.WebhookEvent, error) {
	s.once.Do(func() { time.Sleep(s.delay) })
	return s.Rules.RecordAndClaimWebhookEvents(ctx, w, attempts, claim, lease)
}

// TestAnEventAnsweredIsNotAttemptedAgainByItsOwnWorker: an event answered
// while the store is still recording an earlier attempt can outlive its
// lease before its own attempt is recorded; the next claim returns it,
// and the worker must not deliver it a second time.
func TestAnEventAnsweredIsNotAttemptedAgainByItsOwnWorker(t *testing.T) {
	t.Parallel()
	h := newHarness(t, service.WebhookOptions{})
	var late string // the contact whose event is answered last
	rc := newReceiver(t, func(d delivery, n int) int {
		if d.subject == late {
			// Answered after the other, so recorded after it.
			time.Sleep(50 * time.Millisecond)
		}
		return http.StatusOK
	})
	h.subscribe(rc.srv.URL, carillon.EventContactCreated)
	h.contact("+31612345678")
	late = h.contact("+31612345679").UUID
	// Lease: 2 × 100 ms + 10 ms; the first recording takes 500 ms.
	h.start(webhook.Options{Timeout: 100 * time.Millisecond, LeaseSlack: 10 * time.Millisecond,
		Service: &slowRecorder{Rules: h.svc.Webhooks, delay: 500 * time.Millisecond}})

	waitLog(t, h, func(es []carillon.WebhookEvent) bool {
		return len(es) == 2 && es[0].Success && es[1].Success
	})
	time.Sleep(300 * time.Millisecond) // room for a second attempt to show
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for id, n := range rc.seen {
		if n != 1 {
			t.Errorf("webhook-id %s delivered %d times by one worker, want once", id, n)
		}
	}
}

// TestEventsClaimedAheadAreGivenBackAtShutdown: a worker claims more events
// than it has slots, and at shutdown gives back those it has not attempted:
// they are due at once (for the next start, or another instance), not when
// their lease ends.
func TestEventsClaimedAheadAreGivenBackAtShutdown(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	h := newHarnessAt(t, service.WebhookOptions{}, frozenClock{at})
	release := make(chan struct{})
	holding := make(chan struct{}, 1)
	var answered atomic.Int32
	rc := newReceiver(t, func(delivery, int) int {
		if answered.Add(1) > 1 {
			// Every delivery after the first is held until released.
			select {
			case holding <- struct{}{}:
			default:
			}
			<-release
		}
		return http.StatusOK
	})
	w := h.subscribe(rc.srv.URL, carillon.EventContactCreated)
	for i := range 10 {
		h.contact(fmt.Sprintf("+3161234567%d", i))
	}
	leased := func() (n int) {
		log, err := h.db.WebhookEventLog(context.Background(), w.ID, carillon.WebhookLogFilter{Limit: 100})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range log {
			if e.NextAttemptAt.After(at) {
				n++
			}
		}
		return n
	}
	// One slot: once the first answer is timed, the worker claims ahead,
	// attempts one event (held by the receiver) and queues the others.
	h.start(webhook.Options{Concurrency: 1})
	<-holding
	if n := leased(); n < 2 {
		t.Fatalf("%d events leased while one attempt is held, want it and others claimed ahead", n)
	}
	stopped := make(chan struct{})
	go func() { h.stop(); close(stopped) }()
	deadline := time.Now().Add(10 * time.Second)
	for leased() != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("%d events leased after the shutdown began, want only the one in flight", leased())
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(release)
	<-stopped
	h.stop = func() {}
	if got := len(rc.deliveries()); got != 2 {
		t.Errorf("%d deliveries, want 2: the events claimed ahead are not attempted at shutdown", got)
	}
}

// laterRecorder leaves the first batch of attempts for later, as the store
// does with the events another transaction holds.
type laterRecorder struct {
	webhook.Rules
	once sync.Once
}

func (s *laterRecorder) RecordAndClaimWebhookEvents(ctx context.Context, w carillon.Webhook, attempts []service.WebhookAttempt, claim int, lease time.Duration) ([]carillon.WebhookEvent, []service.WebhookAttempt, []carillon.WebhookEvent, error) {
	first := false
	s.once.Do(func() { first = true })
	if first && len(attempts) > 0 {
		return nil, attempts, nil, nil
	}
	return s.Rules.RecordAndClaimWebhookEvents(ctx, w, attempts, claim, lease)
}

// TestAttemptsLeftForLaterAreRecordedOnce: attempts the store leaves for
// later are recorded with a next batch, each once, and their events are not
// attempted again.
func TestAttemptsLeftForLaterAreRecordedOnce(t *testing.T) {
	t.Parallel()
	h := newHarness(t, service.WebhookOptions{})
	rc := newReceiver(t, nil)
	h.subscribe(rc.srv.URL, carillon.EventContactCreated, carillon.EventContactUpdated)
	c := h.contact("+31612345678")
	h.update(c.UUID, "Renamed")
	h.start(webhook.Options{Service: &laterRecorder{Rules: h.svc.Webhooks}})

	list := waitLog(t, h, func(es []carillon.WebhookEvent) bool {
		return len(es) == 2 && es[0].Success && es[1].Success
	})
	for _, e := range list {
		attempts, err := h.db.WebhookAttempts(context.Background(), e.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Attempts != 1 || len(attempts) != 1 {
			t.Errorf("%s recorded with %d attempts and %d in its log, want 1", e.Event, e.Attempts, len(attempts))
		}
	}
	got := rc.deliveries()
	if len(got) != 2 || got[0].event != carillon.EventContactCreated || got[1].event != carillon.EventContactUpdated {
		t.Errorf("deliveries %v, want contact_created then contact_updated, once each", got)
	}
}

// storeWrites notes, in order, the worker's claims and recordings, and
// holds its first recording until released.
type storeWrites struct {
	webhook.Rules
	holding chan struct{} // closed once the first recording waits
	hold    chan struct{} // the first recording goes on once closed
	once    sync.Once
	mu      sync.Mutex
	writes  []string
}

func (s *storeWrites) note(w string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, w)
}

func (s *storeWrites) ClaimWebhookEvents(ctx context.Context, w carillon.Webhook, limit int, lease time.Duration) ([]carillon.WebhookEvent, error) {
	s.note("claim")
	return s.Rules.ClaimWebhookEvents(ctx, w, limit, lease)
}

func (s *storeWrites) RecordAndClaimWebhookEvents(ctx context.Context, w carillon.Webhook, attempts []service.WebhookAttempt, claim int, lease time.Duration) ([]carillon.WebhookEvent, []service.WebhookAttempt, []carillon.WebhookEvent, error) {
	s.note(fmt.Sprintf("record %d, claim %t", len(attempts), claim > 0))
	s.once.Do(func() {
		close(s.holding)
		<-s.hold
	})
	return s.Rules.RecordAndClaimWebhookEvents(ctx, w, attempts, claim, lease)
}

// TestAnsweredAttemptsAreRecordedWithTheNextClaim: while attempts answered
// wait to be recorded, the worker claims its next events with their
// recording, not in a claim of its own, which would hold its loop (and the
// answers) until the store, which every send shares, had taken it.
func TestAnsweredAttemptsAreRecordedWithTheNextClaim(t *testing.T) {
	t.Parallel()
	h := newHarness(t, service.WebhookOptions{})
	release := make(chan struct{})
	var answered atomic.Int32
	rc := newReceiver(t, func(delivery, int) int {
		if n := answered.Add(1); n >= 2 && n <= 4 {
			// The second to fourth deliveries are answered once the
			// first one's recording has begun.
			<-release
		}
		return http.StatusOK
	})
	h.subscribe(rc.srv.URL, carillon.EventContactCreated)
	for i := range 40 {
		h.contact(fmt.Sprintf("+316123456%02d", i))
	}
	writes := &storeWrites{Rules: h.svc.Webhooks, holding: make(chan struct{}), hold: make(chan struct{})}
	h.start(webhook.Options{Concurrency: 4, Service: writes})

	<-writes.holding
	rc.waitFor("four deliveries", func(d []delivery) bool { return len(d) == 4 })
	close(release)
	// Room for the three answers to reach the worker while its first
	// recording waits.
	time.Sleep(200 * time.Millisecond)
	close(writes.hold)
	rc.waitFor("every event", func(d []delivery) bool { return len(d) == 40 })

	writes.mu.Lock()
	defer writes.mu.Unlock()
	got := writes.writes
	// The third write records the three answered meanwhile, or more.
	var third int
	if len(got) >= 3 {
		_, _ = fmt.Sscanf(got[2], "record %d, claim true", &third)
	}
	if len(got) < 3 || got[0] != "claim" || got[1] != "record 1, claim true" || third < 3 || !strings.HasSuffix(got[2], "claim true") {
		t.Errorf("the worker's first writes %q, want a claim, the first answer recorded with a claim, then the three answered meanwhile (or more) recorded with a claim, and no claim of its own between", got[:min(len(got), 4)])
	}
}
