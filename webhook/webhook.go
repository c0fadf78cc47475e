// Package webhook delivers the accounts' webhook events: signed POSTs
// (Standard Webhooks), at most Concurrency in flight per webhook, never to
// refused addresses. The rules (what is due, retries, order, health) are the
// service's; this package makes the HTTP requests and keeps them flowing.
package webhook

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/telemetry"
)

// Rules are the rules of delivery the Deliverer applies: which webhooks
// are delivered to, which events are due, how attempts and health checks
// are recorded. *service.Webhooks is one.
type Rules interface {
	DeliverableWebhooks(ctx context.Context) ([]carillon.Webhook, error)
	ClaimWebhookEvents(ctx context.Context, w carillon.Webhook, limit int, lease time.Duration) ([]carillon.WebhookEvent, error)
	ReleaseOrphanWebhookEvents(ctx context.Context, w carillon.Webhook) (int64, error)
	UnclaimWebhookEvents(ctx context.Context, events []carillon.WebhookEvent) error
	RecordWebhookAttempts(ctx context.Context, w carillon.Webhook, attempts []service.WebhookAttempt) ([]carillon.WebhookEvent, error)
	RecordAndClaimWebhookEvents(ctx context.Context, w carillon.Webhook, attempts []service.WebhookAttempt, claim int, lease time.Duration) (recorded []carillon.WebhookEvent, later []service.WebhookAttempt, claimed []carillon.WebhookEvent, err error)
	HealthCheckDue(ctx context.Context, w carillon.Webhook) (bool, error)
	RecordHealthCheck(ctx context.Context, w carillon.Webhook, ok bool) (bool, error)
}

// Options configure a Deliverer.
type Options struct {
	// Service holds the rules of delivery.
	Service Rules
	Clock   carillon.Clock
	Logger  *slog.Logger
	Metrics *telemetry.Metrics
	// Timeout bounds one attempt, answer included.
	Timeout time.Duration
	// Concurrency bounds the deliveries in flight per webhook.
	Concurrency int
	// AllowPrivate lets deliveries reach loopback, private and link-local
	// addresses.
	AllowPrivate bool
	// Poll is how often the store is looked at for events recorded by
	// other instances, or due again after a backoff.
	Poll time.Duration
	// LeaseSlack is how much longer than two attempts (2 × Timeout) a
	// claimed event stays leased (10 s): room to record the attempt on a
	// slow store. It is also how long, beyond 2 × Timeout, the events in
	// flight in an instance that died wait; tests shorten it.
	LeaseSlack time.Duration
	// Transport, when set, replaces the guarded transport (tests).
	Transport http.RoundTripper
}

// Limits of what is read and kept of an answer.
const (
	maxResponseRead = 64 << 10
	maxResponseKept = 4 << 10
)

// Deliverer delivers webhook events.
type Deliverer struct {
	o      Options
	client *http.Client
	// wake says events were recorded; changed that a webhook changed.
	wake    chan struct{}
	changed chan struct{}

	mu      sync.Mutex
	workers map[int64]*worker
}

// New returns a Deliverer; Run starts it. It is told of recorded events
// and asked for redeliveries once subscribed to the service's Notifier
// (SubscribeEvents, ServeRedeliveries), which New leaves to the wiring.
func New(o Options) *Deliverer {
	if o.Clock == nil {
		o.Clock = carillon.SystemClock{}
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Metrics == nil {
		o.Metrics = telemetry.New()
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Concurrency <= 0 {
		o.Concurrency = 64
	}
	if o.Poll <= 0 {
		o.Poll = 500 * time.Millisecond
	}
	if o.LeaseSlack <= 0 {
		o.LeaseSlack = 10 * time.Second
	}
	transport := o.Transport
	if transport == nil {
		transport = guardedTransport(o.AllowPrivate, o.Timeout, o.Concurrency)
	}
	d := &Deliverer{
		o: o, wake: make(chan struct{}, 1), changed: make(chan struct{}, 1), workers: map[int64]*worker{},
		client: &http.Client{
			Transport: transport,
			Timeout:   o.Timeout,
			// A redirect is a failed attempt: following it could lead
			// to an address the guard would refuse, or to another
			// receiver than the one subscribed.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
	}
	return d
}

// errRefusedAddress fails an attempt whose host resolves to a refused
// address.
var errRefusedAddress = errors.New("refused address: webhooks are not delivered to loopback, private, link-local or reserved addresses")

// guardedTransport dials only public addresses (unless allowPrivate), the
// check made on the address actually dialled, after DNS resolution, so
// that a name cannot be pointed at an internal address after subscribe.
func guardedTransport(allowPrivate bool, timeout time.Duration, concurrency int) *http.Transport {
	dialer := &net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}
	if !allowPrivate {
		dialer.Control = func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil || !carillon.PublicAddress(ap.Addr()) {
				return errRefusedAddress
			}
			return nil
		}
	}
	return &http.Transport{
		Proxy:                 nil, // a proxy would hide the address from the guard
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          4 * concurrency,
		MaxIdleConnsPerHost:   concurrency,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   timeout,
		ResponseHeaderTimeout: timeout,
	}
}

// EventsRecorded wakes the workers: events were committed.
func (d *Deliverer) EventsRecorded() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// WebhooksChanged makes the workers take the webhooks as they now stand.
func (d *Deliverer) WebhooksChanged() {
	select {
	case d.changed <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight and
// records them.
func (d *Deliverer) Run(ctx context.Context) {
	var wg sync.WaitGroup
	refresh := time.NewTicker(2 * time.Second)
	defer refresh.Stop()
	d.refresh(ctx, &wg)
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-d.wake:
		case <-d.changed:
			d.refresh(ctx, &wg)
		case <-refresh.C:
			d.refresh(ctx, &wg)
		}
		d.mu.Lock()
		for _, w := range d.workers {
			w.poke()
		}
		d.mu.Unlock()
	}
}

// refresh starts a worker for each deliverable webhook, hands the others
// their webhook as it now stands, and stops those of webhooks gone or
// disabled.
func (d *Deliverer) refresh(ctx context.Context, wg *sync.WaitGroup) {
	list, err := d.o.Service.DeliverableWebhooks(ctx)
	if err != nil {
		if ctx.Err() == nil {
			d.o.Logger.ErrorContext(ctx, "list webhooks", "error", err)
		}
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	seen := map[int64]bool{}
	for _, hook := range list {
		seen[hook.ID] = true
		if w, ok := d.workers[hook.ID]; ok {
			w.set(hook)
			continue
		}
		wctx, cancel := context.WithCancel(ctx)
		w := &worker{d: d, cancel: cancel, wake: make(chan struct{}, 1), hook: hook}
		d.workers[hook.ID] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.run(wctx)
		}()
	}
	for id, w := range d.workers {
		if !seen[id] {
			w.cancel()
			delete(d.workers, id)
		}
	}
}

// DeliverNow attempts one event at once and records the attempt
// (redelivery on request).
func (d *Deliverer) DeliverNow(ctx context.Context, hook carillon.Webhook, e carillon.WebhookEvent) (carillon.WebhookEvent, error) {
	a := d.attempt(ctx, hook, e)
	out, err := d.o.Service.RecordWebhookAttempts(ctx, hook, []service.WebhookAttempt{a})
	if err != nil {
		return e, err
	}
	d.count(out[0])
	return out[0], nil
}

// worker delivers one webhook's events.
type worker struct {
	d      *Deliverer
	cancel context.CancelFunc
	wake   chan struct{}

	mu   sync.Mutex
	hook carillon.Webhook
}

func (w *worker) set(h carillon.Webhook) {
	w.mu.Lock()
	w.hook = h
	w.mu.Unlock()
}

func (w *worker) get() carillon.Webhook {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.hook
}

func (w *worker) poke() {
	select {
	case w.wake <- struct{}{}:
	default:
	}
}

// maxAhead bounds the events a worker holds claimed beyond those in flight,
// as a multiple of Concurrency (see worker.run).
const maxAhead = 7

// claimedEvent is an event claimed and not attempted yet.
type claimedEvent struct {
	e carillon.WebhookEvent
	// startBy is the latest start of an attempt that ends, answer
	// included, the lease's slack before the lease does: a Timeout after
	// the claim.
	startBy time.Time
}

func (w *worker) run(ctx context.Context) {
	d := w.d
	limit := d.o.Concurrency
	// A claimed event is leased for longer than an attempt can last, so
	// that it is never attempted twice at once; it covers two attempts'
	// time: one waiting for a slot (below), one made.
	lease := 2*d.o.Timeout + d.o.LeaseSlack
	poll := time.NewTimer(0)
	defer poll.Stop()
	sweep := time.NewTicker(30 * time.Second)
	defer sweep.Stop()
	health := time.NewTicker(30 * time.Second)
	defer health.Stop()
	// Attempts already started are always finished and recorded, even
	// when ctx ends: an event is never left half delivered.
	attemptCtx := context.WithoutCancel(ctx)
	done := ctx.Done()

	// Attempts run in goroutines of their own and report to results. A
	// recorder writes finished attempts to the store while the loop goes
	// on delivering: the store's commits and the receiver's answers
	// overlap instead of taking turns. The recorder also claims the next
	// due events in the same transaction, for the slots free when it was
	// handed the batch: one commit per cycle, and the events that the
	// batch released (the next of each contact) start at once.
	//
	// The store's writes are the pace of delivery: each cycle waits for
	// its turn at the store, behind the transactions of sends and receipts
	// that share it (SQLite has one writer), and a contact's next event is
	// due only once its previous one is recorded. So a cycle claims more
	// than the slots free: up to maxAhead × Concurrency more, queued until
	// a slot frees, as many as can start within a Timeout at the pace the
	// last attempts took (ahead, below). A queued event that could not start
	// by then is not attempted but given back, due again at once.
	type job struct {
		batch []service.WebhookAttempt
		claim int
	}
	type recordedJob struct {
		later   []service.WebhookAttempt // not recorded: to hand over again
		claimed []carillon.WebhookEvent
		asked   int
		at      time.Time // when the claim started: its lease starts later
	}
	results := make(chan service.WebhookAttempt, limit)
	toRecord := make(chan job)
	recorded := make(chan recordedJob)
	go func() {
		for j := range toRecord {
			claim := j.claim
			if ctx.Err() != nil {
				claim = 0
			}
			at := time.Now()
			later, claimed := w.record(attemptCtx, j.batch, claim, lease)
			recorded <- recordedJob{later: later, claimed: claimed, asked: claim, at: at}
		}
		close(recorded)
	}()
	inFlight := 0                        // attempts whose answer has not come
	var queued []claimedEvent            // claimed, waiting for a slot
	var pending []service.WebhookAttempt // answered, not handed to the recorder yet
	recording := 0                       // handed to the recorder, not written yet
	// ahead is how many events may wait for a slot: none until attempts
	// have been timed, then as many as start within a Timeout at the pace
	// of the slowest attempt answered since the last batch was recorded.
	ahead := 0
	// held holds the events this worker claimed and has not recorded yet.
	// On a slow store an event's lease can run out before its attempt is
	// recorded, and the next claim returns it again: attempting it a
	// second time would deliver it twice from one process. The new claim
	// renewed its lease; the attempt already under way records it.
	held := map[int64]bool{}
	claimed := func(events []carillon.WebhookEvent, at time.Time) {
		startBy := at.Add(d.o.Timeout)
		for _, e := range events {
			if held[e.ID] {
				d.o.Logger.WarnContext(ctx, "webhook event claimed again while its attempt was unrecorded: the lease is shorter than an attempt and its recording take on this store",
					"webhook_id", e.UUID, "lease", lease)
				continue
			}
			held[e.ID] = true
			queued = append(queued, claimedEvent{e: e, startBy: startBy})
		}
	}
	// startQueued starts queued events while slots are free. It gives
	// back, due at once, those it will not attempt: all of them once ctx
	// ends, and any that waited past its startBy (an attempt started then
	// could outlast its lease).
	startQueued := func() {
		hook := w.get()
		now := time.Now()
		var unclaimed []carillon.WebhookEvent
		for len(queued) > 0 && (inFlight < limit || ctx.Err() != nil) {
			c := queued[0]
			queued = queued[1:]
			if ctx.Err() != nil || now.After(c.startBy) {
				delete(held, c.e.ID)
				unclaimed = append(unclaimed, c.e)
				continue
			}
			inFlight++
			go func() { results <- d.attempt(attemptCtx, hook, c.e) }()
		}
		if len(queued) == 0 {
			queued = nil
		}
		if len(unclaimed) > 0 {
			// Failing that, they come due again when their lease ends.
			if err := d.o.Service.UnclaimWebhookEvents(attemptCtx, unclaimed); err != nil {
				d.o.Logger.ErrorContext(ctx, "give back webhook events claimed", "error", err, "count", len(unclaimed))
			}
		}
	}
	var recordingBatch []service.WebhookAttempt // the batch the recorder is writing
	var sweeping, checking atomic.Bool
	// dry is set when a claim found less than it asked for: the loop then
	// waits to be woken (new events, a recorded batch releasing the next
	// events of their subjects, the poll) before it asks again.
	dry := false
	for {
		startQueued()
		// The loop claims only while the recorder is idle and has nothing
		// to record (otherwise the recorder claims for it, with the
		// recording: the loop, which starts the attempts, then never waits
		// for the store that every send shares), and, a claim being a
		// write, under load only once a quarter of the slots are free.
		// Unrecorded attempts count towards a second limit, so that a slow
		// store holds deliveries back instead of piling up answers whose
		// leases could run out.
		want := limit + ahead - inFlight - len(queued)
		room := inFlight+len(queued)+len(pending) < 2*(limit+ahead)
		if ctx.Err() == nil && !dry && recording == 0 && len(pending) == 0 && (want >= max(1, limit/4) || inFlight == 0) && want > 0 && room {
			at := time.Now()
			events, err := d.o.Service.ClaimWebhookEvents(ctx, w.get(), want, lease)
			if err != nil && ctx.Err() == nil {
				d.o.Logger.ErrorContext(ctx, "claim webhook events", "error", err)
			}
			dry = len(events) < want
			claimed(events, at)
			startQueued()
		}
		if ctx.Err() != nil && inFlight == 0 && len(pending) == 0 && recording == 0 {
			close(toRecord)
			for range recorded {
			}
			return
		}
		var handOff chan job
		next := job{batch: pending}
		if len(pending) > 0 && recording == 0 {
			handOff = toRecord
			// Even when nothing was due at the last claim: the batch
			// releases the next events of the subjects it ends.
			if want := limit + ahead - inFlight - len(queued); want > 0 && room {
				next.claim = want
			}
		}
		select {
		case a := <-results:
			inFlight--
			pending = append(pending, a)
		drain:
			for {
				select {
				case a := <-results:
					inFlight--
					pending = append(pending, a)
				default:
					break drain
				}
			}
			slowest := time.Millisecond
			for _, a := range pending {
				slowest = max(slowest, a.Duration)
			}
			ahead = limit * min(maxAhead, max(0, int(d.o.Timeout/slowest)-1))
		case handOff <- next:
			recording, pending = len(pending), nil
			recordingBatch = next.batch
		case r := <-recorded:
			recording = 0
			for _, a := range recordingBatch {
				delete(held, a.Event.ID)
			}
			recordingBatch = nil
			// Left for later while another transaction held their events:
			// still held, handed over with the next batch.
			for _, a := range r.later {
				held[a.Event.ID] = true
			}
			pending = append(pending, r.later...)
			claimed(r.claimed, r.at)
			// A claim that found less than it asked for leaves nothing due;
			// the batch's releases were seen by it.
			dry = r.asked > 0 && len(r.claimed) < r.asked
		case <-w.wake:
			dry = false
		case <-poll.C:
			poll.Reset(d.o.Poll)
			dry = false
		case <-sweep.C:
			// Beside the loop: with a large backlog the sweep reads every
			// pending event, and deliveries must not wait for it.
			if sweeping.CompareAndSwap(false, true) {
				go func() {
					defer sweeping.Store(false)
					if n, err := d.o.Service.ReleaseOrphanWebhookEvents(ctx, w.get()); err == nil && n > 0 {
						d.o.Logger.InfoContext(ctx, "released webhook events left waiting", "count", n)
						w.poke()
					}
				}()
			}
		case <-health.C:
			// A check may wait for the whole timeout on a receiver that
			// does not answer: beside the loop too.
			if checking.CompareAndSwap(false, true) {
				go func() {
					defer checking.Store(false)
					w.checkHealth(ctx)
				}()
			}
		case <-done:
			done = nil // from now on, only the attempts in flight are waited for
		}
	}
}

// record records a batch of attempts and claims up to claim due events in
// the same transaction; it returns the attempts left to record later and
// the events claimed.
func (w *worker) record(ctx context.Context, batch []service.WebhookAttempt, claim int, lease time.Duration) (later []service.WebhookAttempt, claimed []carillon.WebhookEvent) {
	d := w.d
	out, later, claimed, err := d.o.Service.RecordAndClaimWebhookEvents(ctx, w.get(), batch, claim, lease)
	if err != nil {
		// The events stay leased, then come due again: at least once.
		d.o.Logger.ErrorContext(ctx, "record webhook attempts", "error", err, "count", len(batch))
		return nil, nil
	}
	for _, e := range out {
		d.count(e)
	}
	return later, claimed
}

func (d *Deliverer) count(e carillon.WebhookEvent) {
	result := "failed"
	switch e.State {
	case carillon.EventDelivered:
		result = "success"
	case carillon.EventGivenUp:
		result = "given_up"
	}
	d.o.Metrics.WebhookDeliveries.WithLabelValues(e.Event, result).Inc()
}

// checkHealth sends a health check when one is due, and disables the
// webhook when it has been quiet for too long.
func (w *worker) checkHealth(ctx context.Context) {
	d := w.d
	hook := w.get()
	due, err := d.o.Service.HealthCheckDue(ctx, hook)
	if err != nil || !due {
		return
	}
	_, res, _ := d.post(ctx, hook, "msg_"+carillon.NewUUID(), []byte(`{"event":"health_check","payload":{}}`))
	ok := res.Code >= 200 && res.Code < 300
	result := "failed"
	if ok {
		result = "ok"
	}
	d.o.Metrics.WebhookChecks.WithLabelValues(result).Inc()
	disabled, err := d.o.Service.RecordHealthCheck(ctx, hook, ok)
	if err != nil {
		d.o.Logger.ErrorContext(ctx, "record webhook health check", "error", err)
	}
	if disabled {
		d.o.Metrics.WebhooksDisabled.Inc()
		w.cancel()
	}
}

// attempt makes one delivery attempt of e.
func (d *Deliverer) attempt(ctx context.Context, hook carillon.Webhook, e carillon.WebhookEvent) service.WebhookAttempt {
	start := d.o.Clock.Now()
	began := time.Now() // the monotonic clock: a duration, whatever the injected clock says
	sent, res, err := d.post(ctx, hook, e.UUID, e.Body)
	took := time.Since(began)
	d.o.Metrics.WebhookDuration.Observe(took.Seconds())
	a := service.WebhookAttempt{Event: e, At: start, Response: res, Success: err == nil && res.Code >= 200 && res.Code < 300,
		RequestHeaders: sent, Duration: took, Error: keptText(errText(err), maxErrorKept)}
	if !a.Success {
		d.o.Logger.InfoContext(ctx, "webhook attempt failed", "event", e.Event, "webhook_id", e.UUID,
			"attempt", e.Attempts+1, "code", res.Code, "error", errText(err))
	}
	return a
}

// errText writes an attempt's error without the webhook's URL, which may
// carry a token in its query.
func errText(err error) string {
	if err == nil {
		return ""
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Op + ": " + ue.Err.Error()
	}
	return err.Error()
}

// post sends one signed request and reads its answer, up to the bounds. It
// returns the headers it sent, for the delivery log.
func (d *Deliverer) post(ctx context.Context, hook carillon.Webhook, id string, body []byte) (map[string]string, carillon.WebhookResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, d.o.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, hook.URL, bytes.NewReader(body))
	if err != nil {
		return nil, carillon.WebhookResponse{}, err
	}
	now := d.o.Clock.Now()
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "carillon-webhooks/1")
	req.Header.Set("webhook-id", id)
	req.Header.Set("webhook-timestamp", ts)
	sigs := []string{Sign(hook.Secret, id, ts, body)}
	if hook.PreviousSecret != "" && now.Before(hook.PreviousSecretUntil) {
		sigs = append(sigs, Sign(hook.PreviousSecret, id, ts, body))
	}
	req.Header.Set("webhook-signature", strings.Join(sigs, " "))
	sent := make(map[string]string, len(req.Header))
	for k, v := range req.Header {
		sent[k] = strings.Join(v, ", ")
	}
	resp, err := d.client.Do(req)
	if err != nil {
		return sent, carillon.WebhookResponse{}, err
	}
	defer resp.Body.Close()
	read, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseRead))
	out := carillon.WebhookResponse{Code: resp.StatusCode, Headers: keptHeaders(resp.Header), Body: keptText(string(read), maxResponseKept)}
	if err != nil {
		return sent, out, fmt.Errorf("reading the answer: %w", err)
	}
	return sent, out, nil
}

// maxErrorKept bounds the error text kept of an attempt.
const maxErrorKept = 1 << 10

// keptText is s as the delivery log keeps it: at most limit bytes, cut at
// a character's boundary, and text the store takes (a receiver may answer
// anything, binary included): invalid UTF-8 and NUL bytes become U+FFFD.
func keptText(s string, limit int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "\uFFFD")
	if len(s) <= limit {
		return s
	}
	cut := limit
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// keptHeaders are the answer's headers as the delivery log keeps them, in
// name order until maxResponseKept bytes of them are kept: a receiver may
// send many.
func keptHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	size := 0
	for _, k := range slices.Sorted(maps.Keys(h)) {
		v := keptText(strings.Join(h[k], ", "), maxResponseKept)
		if size += len(k) + len(v); size > maxResponseKept {
			break
		}
		out[keptText(k, maxResponseKept)] = v
	}
	return out
}

// Sign returns the Standard Webhooks signature of one delivery: "v1," and
// the base64 HMAC-SHA256 of "id.timestamp.body", keyed with the base64
// decoded part of the secret after "whsec_".
func Sign(secret, id, timestamp string, body []byte) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		key = []byte(secret)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + timestamp + "."))
	mac.Write(body)
	return "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
}
