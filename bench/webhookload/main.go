// Command webhookload measures carillon's webhook delivery in one process:
// a fresh store, one account whose webhook points at a local receiver, N
// message_status_updated events inserted straight into the store, then the
// real Deliverer (package webhook) delivering them until none is pending.
//
// Events are spread over -subjects contacts and inserted as the service
// records them: the first event of a subject is due at once, the later ones
// wait behind it and are released one by one as their predecessor ends, so
// that each subject is delivered in order, one event at a time.
//
// The receiver checks every delivery: the Standard Webhooks signature, that
// each webhook-id is one that was inserted and arrives exactly once, and
// that each subject's events arrive in order (the body carries the subject
// and a sequence number in the message metadata).
//
// Scenarios (-scenario):
//
//	instant  the receiver answers 200 at once
//	slow     the receiver answers 200 after -delay (default 50ms)
//	drain    the receiver answers 503 for -down (default 10s) while the
//	         events are inserted and delivery runs, then 200 at once; this
//	         measures how long the backlog takes to drain once it is back
//
// Usage:
//
//	webhookload [-scenario instant] [-events 100000] [-subjects 1000] [-database-url postgres://...] [-json]
package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // resets the benchmark's schema
	"github.com/prometheus/client_golang/prometheus"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/bench/internal/benchkit"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/telemetry"
	"github.com/carillon/carillon/webhook"
	"github.com/carillon/carillon/wire"
)

const (
	baseURL = "https://carillon.example.com"
	// The metadata keys that carry a delivery's subject and sequence
	// number to the receiver.
	metaSubject = "bench_subject"
	metaSeq     = "bench_seq"
)

type config struct {
	scenario    string
	events      int
	subjects    int
	concurrency int
	batch       int
	delay       time.Duration
	down        time.Duration
	timeout     time.Duration
	databaseURL string
	schema      string
	keep        bool
	cpuProfile  string
	jsonOut     bool
}

func main() {
	var c config
	flag.StringVar(&c.scenario, "scenario", "instant", "instant, slow or drain")
	flag.IntVar(&c.events, "events", 100_000, "events to deliver")
	flag.IntVar(&c.subjects, "subjects", 1000, "distinct subjects (contacts) the events are spread over")
	flag.IntVar(&c.concurrency, "concurrency", 64, "deliveries in flight (webhook.Options.Concurrency)")
	flag.IntVar(&c.batch, "batch", 1000, "events inserted per transaction")
	flag.DurationVar(&c.delay, "delay", 50*time.Millisecond, "slow: how long the receiver takes to answer")
	flag.DurationVar(&c.down, "down", 10*time.Second, "drain: how long the receiver answers 503")
	flag.DurationVar(&c.timeout, "timeout", 10*time.Minute, "how long to wait for every event to be delivered")
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: SQLite in a temporary directory)")
	flag.StringVar(&c.schema, "schema", "bench_webhooks", "PostgreSQL schema, dropped and created again at the start")
	flag.BoolVar(&c.keep, "keep", false, "keep the SQLite directory or the PostgreSQL schema")
	flag.StringVar(&c.cpuProfile, "cpuprofile", "", "write a CPU profile of the delivery to this file")
	flag.BoolVar(&c.jsonOut, "json", false, "print the result as one JSON object")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments: %s", strings.Join(flag.Args(), " ")))
	}
	switch {
	case c.scenario != "instant" && c.scenario != "slow" && c.scenario != "drain":
		fail(fmt.Errorf("-scenario must be instant, slow or drain, not %q", c.scenario))
	case c.events < 1 || c.subjects < 1 || c.concurrency < 1 || c.batch < 1:
		fail(errors.New("-events, -subjects, -concurrency and -batch must be at least 1"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, c)
	if err != nil {
		fail(err)
	}
	if c.jsonOut {
		out, _ := json.Marshal(res)
		fmt.Println(string(out))
	} else {
		res.print(os.Stdout)
	}
	if !res.OK {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "webhookload:", err)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "webhookload: "+format+"\n", args...)
}

// result is what one run measured. Times are in seconds from the start of
// delivery (the call to Run).
type result struct {
	Store       string  `json:"store"`
	Scenario    string  `json:"scenario"`
	Events      int     `json:"events"`
	Subjects    int     `json:"subjects"`
	Concurrency int     `json:"concurrency"`
	DelayMS     float64 `json:"delay_ms"`
	BodyBytes   int     `json:"body_bytes"` // mean body size

	InsertS     float64    `json:"insert_s"`
	InsertPerS  float64    `json:"insert_per_s"`
	ReceivedS   float64    `json:"received_s"` // the receiver had every event
	EmptyS      float64    `json:"empty_s"`    // the store had no pending event
	EventsPerS  float64    `json:"events_per_s"`
	Attempts    int        `json:"attempts"` // attempts the client made (timed)
	LatencyMS   latency    `json:"latency_ms"`
	Rejected    int64      `json:"rejected"` // 503 answers (drain)
	DownS       float64    `json:"down_s,omitempty"`
	UpToFirstS  float64    `json:"up_to_first_s,omitempty"`
	UpToAllS    float64    `json:"up_to_all_subjects_s,omitempty"` // every subject had a success
	UpToEmptyS  float64    `json:"up_to_empty_s,omitempty"`
	DrainPerS   float64    `json:"drain_per_s,omitempty"` // from the first success after up to empty
	StoreCalls  storeTimes `json:"store_calls"`
	Duplicates  int        `json:"duplicates"`
	Missing     int        `json:"missing"`
	Unknown     int        `json:"unknown"`
	OutOfOrder  int        `json:"out_of_order"`
	BadSig      int        `json:"bad_signature"`
	Undecodable int        `json:"undecodable"`
	OK          bool       `json:"ok"`
}

type latency struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "store %s, scenario %s: %d events over %d subjects, concurrency %d, body %d bytes\n",
		r.Store, r.Scenario, r.Events, r.Subjects, r.Concurrency, r.BodyBytes)
	if r.Scenario == "slow" {
		fmt.Fprintf(w, "receiver answers after %.0f ms\n", r.DelayMS)
	}
	fmt.Fprintf(w, "insert:    %.2f s (%.0f events/s)\n", r.InsertS, r.InsertPerS)
	fmt.Fprintf(w, "delivered: all received after %.2f s, store empty after %.2f s: %.0f events/s\n", r.ReceivedS, r.EmptyS, r.EventsPerS)
	fmt.Fprintf(w, "attempts:  %d timed by the client: p50 %.2f ms, p90 %.2f ms, p99 %.2f ms, max %.2f ms\n",
		r.Attempts, r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	fmt.Fprintf(w, "store:     %d claims (%.1f events, %.2f ms each, %.2f s in all), %d transactions recording attempts (%.2f ms each, %.2f s in all)\n",
		r.StoreCalls.Claims, r.StoreCalls.EventsPerClaim, r.StoreCalls.ClaimMS, r.StoreCalls.ClaimS, r.StoreCalls.Txs, r.StoreCalls.TxMS, r.StoreCalls.TxS)
	if r.Scenario == "drain" {
		fmt.Fprintf(w, "drain:     receiver down %.2f s (%d answers 503); after it came back: first success %.2f s, every subject resumed %.2f s, store empty %.2f s (%.0f events/s from the first success)\n",
			r.DownS, r.Rejected, r.UpToFirstS, r.UpToAllS, r.UpToEmptyS, r.DrainPerS)
	}
	fmt.Fprintf(w, "checks:    duplicates %d, missing %d, unknown ids %d, out of order %d, bad signatures %d, undecodable %d: ",
		r.Duplicates, r.Missing, r.Unknown, r.OutOfOrder, r.BadSig, r.Undecodable)
	if r.OK {
		fmt.Fprintln(w, "ok")
	} else {
		fmt.Fprintln(w, "FAILED")
	}
}

func run(ctx context.Context, c config) (res result, err error) {
	res = result{Scenario: c.scenario, Events: c.events, Subjects: c.subjects, Concurrency: c.concurrency}
	db, storeName, closeStore, err := openStore(ctx, c)
	if err != nil {
		return res, err
	}
	defer closeStore()
	res.Store = storeName

	// The client's attempt durations, exactly: the Deliverer observes each
	// attempt (signing, request, answer read) in this histogram.
	metrics := telemetry.New()
	times := &attemptTimes{Histogram: metrics.WebhookDuration}
	metrics.WebhookDuration = times
	timed := &timedStore{DB: db}
	svc := service.New(service.Options{Store: timed, Metrics: metrics, PublicURL: baseURL, Webhooks: service.WebhookOptions{AllowPrivate: true}})

	acct, _, _, err := svc.Accounts.SetupAccount(ctx, "webhookload", false)
	if err != nil {
		return res, fmt.Errorf("account: %w", err)
	}
	rcv := &receiver{want: c.events, subjects: min(c.subjects, c.events), resumed: map[string]bool{}, done: make(chan struct{}), next: map[string]int{}, seen: make(map[string]int, c.events)}
	if c.scenario == "slow" {
		rcv.delay = c.delay
		res.DelayMS = float64(c.delay) / float64(time.Millisecond)
	}
	rcv.down.Store(c.scenario == "drain")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return res, err
	}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	hook, _, err := svc.Webhooks.Subscribe(ctx, service.Principal{Account: acct}, "http://"+ln.Addr().String()+"/webhook",
		[]string{carillon.EventMessageStatusUpdated})
	if err != nil {
		return res, fmt.Errorf("subscribe: %w", err)
	}
	rcv.secret = hook.Secret

	events, err := buildEvents(c, acct.ID, hook.ID)
	if err != nil {
		return res, err
	}
	total := 0
	for _, e := range events {
		rcv.seen[e.UUID] = 0
		total += len(e.Body)
	}
	res.BodyBytes = total / len(events)

	d := webhook.New(webhook.Options{Service: svc.Webhooks, Metrics: metrics, Concurrency: c.concurrency, AllowPrivate: true})
	svc.Notifier().SubscribeEvents(d)
	svc.Notifier().ServeRedeliveries(d)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	ran := make(chan struct{})
	var start time.Time
	var profile *os.File
	startDelivery := func() error {
		if c.cpuProfile != "" {
			f, err := os.Create(c.cpuProfile)
			if err != nil {
				return err
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				f.Close()
				return err
			}
			profile = f
		}
		timed.reset()
		start = time.Now()
		go func() {
			defer close(ran)
			d.Run(runCtx)
		}()
		return nil
	}
	defer func() {
		if profile != nil {
			pprof.StopCPUProfile()
			profile.Close()
		}
	}()

	// instant and slow: a backlog inserted before delivery starts. drain:
	// delivery starts first, to a receiver that is down while the events
	// come in.
	if c.scenario == "drain" {
		if err := startDelivery(); err != nil {
			return res, err
		}
	}
	insertStart := time.Now()
	if err := insert(ctx, db, events, c.batch, d.EventsRecorded); err != nil {
		return res, fmt.Errorf("insert: %w", err)
	}
	res.InsertS = time.Since(insertStart).Seconds()
	res.InsertPerS = float64(len(events)) / res.InsertS
	logf("%s: inserted %d events in %.2f s", storeName, len(events), res.InsertS)

	var up time.Time
	if c.scenario == "drain" {
		// The receiver comes back D after delivery started, and not
		// before every event is in: the insert relies on no event of a
		// subject ending while later ones are being added.
		select {
		case <-time.After(time.Until(start.Add(c.down))):
		case <-ctx.Done():
			return res, ctx.Err()
		}
		times.reset() // the latencies after the receiver is back
		up = time.Now()
		rcv.up(up)
		res.DownS = up.Sub(start).Seconds()
		logf("receiver up after %.2f s (%d answers 503 so far)", res.DownS, rcv.rejected.Load())
	} else if err := startDelivery(); err != nil {
		return res, err
	}

	progress := time.NewTicker(time.Second)
	defer progress.Stop()
	deadline := time.NewTimer(c.timeout)
	defer deadline.Stop()
	received := false
	for !received {
		select {
		case <-rcv.done:
			received = true
		case <-progress.C:
			logf("%.0f s: %d received", time.Since(start).Seconds(), rcv.count())
		case <-deadline.C:
			return res, fmt.Errorf("timed out after %s with %d of %d events received", c.timeout, rcv.count(), c.events)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	res.ReceivedS = rcv.last().Sub(start).Seconds()
	// The last attempts are recorded after their answer: wait for the store.
	for {
		n, err := db.CountPendingWebhookEvents(ctx)
		if err != nil {
			return res, err
		}
		if n == 0 {
			break
		}
		select {
		case <-time.After(5 * time.Millisecond):
		case <-deadline.C:
			return res, fmt.Errorf("timed out after %s with %d events still pending", c.timeout, n)
		case <-ctx.Done():
			return res, ctx.Err()
		}
	}
	end := time.Now()
	if profile != nil {
		pprof.StopCPUProfile()
	}
	cancel()
	<-ran
	res.EmptyS = end.Sub(start).Seconds()
	res.EventsPerS = float64(c.events) / res.EmptyS
	if c.scenario == "drain" {
		first, all := rcv.afterUp()
		res.UpToFirstS = first.Sub(up).Seconds()
		res.UpToAllS = all.Sub(up).Seconds()
		res.UpToEmptyS = end.Sub(up).Seconds()
		res.DrainPerS = float64(c.events) / end.Sub(first).Seconds()
	}
	res.Rejected = rcv.rejected.Load()
	res.Attempts, res.LatencyMS = times.summary()
	res.StoreCalls = timed.summary()
	rcv.check(&res)
	return res, nil
}

// openStore opens a fresh store: SQLite in a temporary directory, or a
// schema of its own in the PostgreSQL database, dropped and created again.
func openStore(ctx context.Context, c config) (db *store.DB, name string, closeStore func(), err error) {
	key := make([]byte, secretbox.KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, "", nil, err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, "", nil, err
	}
	if c.databaseURL == "" {
		dir, err := os.MkdirTemp("", "carillon-webhookload-")
		if err != nil {
			return nil, "", nil, err
		}
		db, err := store.OpenSQLite(ctx, dir, box)
		if err != nil {
			os.RemoveAll(dir)
			return nil, "", nil, err
		}
		return db, "sqlite", func() {
			db.Close()
			if c.keep {
				logf("kept %s", dir)
			} else {
				os.RemoveAll(dir)
			}
		}, nil
	}
	if !validIdent(c.schema) {
		return nil, "", nil, fmt.Errorf("-schema %q: use lower-case letters, digits and _", c.schema)
	}
	admin, err := sql.Open("pgx", c.databaseURL)
	if err != nil {
		return nil, "", nil, err
	}
	defer func() {
		if err != nil {
			admin.Close()
		}
	}()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+c.schema+" CASCADE; CREATE SCHEMA "+c.schema); err != nil {
		return nil, "", nil, fmt.Errorf("postgres: resetting schema %s: %w", c.schema, err)
	}
	u, err := withSearchPath(c.databaseURL, c.schema)
	if err != nil {
		return nil, "", nil, err
	}
	db, err = store.OpenPostgres(ctx, u, box)
	if err != nil {
		return nil, "", nil, err
	}
	return db, "postgres", func() {
		db.Close()
		if c.keep {
			logf("kept schema %s", c.schema)
		} else if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+c.schema+" CASCADE"); err != nil {
			logf("dropping schema %s: %v", c.schema, err)
		}
		admin.Close()
	}, nil
}

func validIdent(s string) bool {
	if s == "" || s == "public" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
			return false
		}
	}
	return true
}

// withSearchPath makes every connection of the store use schema: pgx sends
// unknown settings of the connection string as run-time parameters.
func withSearchPath(dsn, schema string) (string, error) {
	if !strings.HasPrefix(dsn, "postgres://") && !strings.HasPrefix(dsn, "postgresql://") {
		return dsn + " search_path=" + schema, nil // keyword/value form
	}
	u, err := url.Parse(dsn)
	if err != nil {
		return "", fmt.Errorf("-database-url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// eventBody is the shape of a delivery's body (as package service builds
// it).
type eventBody struct {
	Event   string `json:"event"`
	Payload any    `json:"payload"`
}

// buildEvents makes the events in the order they are inserted: round robin
// over the subjects, so event i is number i/subjects of subject
// i%subjects. The contact of each subject is built once.
func buildEvents(c config, accountID, webhookID int64) ([]carillon.WebhookEvent, error) {
	now := time.Now()
	ch := carillon.Channel{UUID: carillon.NewUUID(), Title: "WhatsApp Business Berlin", Type: carillon.WhatsApp, Main: true}
	team := wire.Team{UUID: carillon.NewUUID(), Name: "Customer Support", CreatedAt: wire.Time(now.AddDate(0, -6, 0)), Default: true, Members: 12}
	contacts := make([]wire.Contact, c.subjects)
	subjects := make([]string, c.subjects)
	for i := range contacts {
		ct := carillon.Contact{
			UUID: carillon.NewUUID(), Address: fmt.Sprintf("49151%08d", 12340000+i), Name: fmt.Sprintf("Bench Contact %d", i),
			CreatedAt: now.Add(-time.Duration(i+1) * time.Hour), ConversationUUID: carillon.NewUUID(),
			ConversationCreatedAt: now.Add(-time.Duration(i+1) * time.Minute), FunnelID: "onboarding",
			Note: "Prefers WhatsApp over email; asked about the premium plan.",
		}
		contacts[i] = wire.FromContact(ct, ch, baseURL, wire.ContactExtras{
			Tags: []string{"customer", "newsletter", "premium"},
			CustomFields: map[string]string{
				"customer_id": fmt.Sprintf("C-%08d", 100000+i), "city": "Berlin", "language": "de",
				"plan": "premium", "last_order": now.AddDate(0, 0, -3).Format(time.DateOnly),
			},
			AssignedUser: "agent.smith@example.com", Team: &team,
		})
		subjects[i] = "contact:" + ct.UUID
	}
	statuses := []carillon.Status{carillon.StatusSent, carillon.StatusDelivered, carillon.StatusRead}
	events := make([]carillon.WebhookEvent, c.events)
	for i := range events {
		s, seq := i%c.subjects, i/c.subjects
		m := carillon.Message{UUID: carillon.NewUUID(), Metadata: map[string]string{
			"order_id": fmt.Sprintf("SO-%07d", i), metaSubject: subjects[s], metaSeq: strconv.Itoa(seq),
		}}
		body, err := json.Marshal(eventBody{Event: carillon.EventMessageStatusUpdated,
			Payload: wire.FromMessageStatusUpdated(m, statuses[seq%len(statuses)], nil, contacts[s])})
		if err != nil {
			return nil, err
		}
		events[i] = carillon.WebhookEvent{UUID: "msg_" + carillon.NewUUID(), AccountID: accountID, WebhookID: webhookID,
			Event: carillon.EventMessageStatusUpdated, Subject: subjects[s], Body: body, State: carillon.EventPending}
	}
	return events, nil
}

// insert adds the events in transactions of batch events, as the service
// records them: the first event of a subject is due now, the others wait
// (zero NextAttemptAt) behind it. No event is delivered while this runs
// (delivery has not started, or the receiver is down), so the first event
// inserted of each subject is the only one not waiting.
func insert(ctx context.Context, db *store.DB, events []carillon.WebhookEvent, batch int, committed func()) error {
	busy := map[string]bool{}
	for from := 0; from < len(events); from += batch {
		part := events[from:min(from+batch, len(events))]
		err := db.InTx(ctx, func(q carillon.Queries) error {
			now := time.Now()
			for i := range part {
				e := &part[i]
				e.CreatedAt, e.NextAttemptAt = now, time.Time{}
				if !busy[e.Subject] {
					e.NextAttemptAt = now
				}
				if err := q.AddWebhookEvent(ctx, e); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, e := range part {
			busy[e.Subject] = true
		}
		committed()
	}
	return nil
}

// attemptTimes keeps every attempt duration the Deliverer observes, besides
// the histogram it wraps.
type attemptTimes struct {
	prometheus.Histogram
	mu sync.Mutex
	d  []float64 // seconds
}

func (a *attemptTimes) Observe(v float64) {
	a.Histogram.Observe(v)
	a.mu.Lock()
	a.d = append(a.d, v)
	a.mu.Unlock()
}

func (a *attemptTimes) reset() {
	a.mu.Lock()
	a.d = a.d[:0]
	a.mu.Unlock()
}

// summary returns the number of attempts and their p50/p90/p99/max in
// milliseconds (nearest rank).
func (a *attemptTimes) summary() (int, latency) {
	a.mu.Lock()
	d := slices.Clone(a.d)
	a.mu.Unlock()
	if len(d) == 0 {
		return 0, latency{}
	}
	slices.Sort(d)
	rank := func(p float64) float64 {
		i := int(p*float64(len(d))+0.999999) - 1
		return d[min(max(i, 0), len(d)-1)] * 1000
	}
	return len(d), latency{P50: rank(0.50), P90: rank(0.90), P99: rank(0.99), Max: d[len(d)-1] * 1000}
}

// receiver is the webhook endpoint: it checks and counts what it gets.
type receiver struct {
	secret   string
	delay    time.Duration
	want     int
	subjects int
	done     chan struct{}

	down     atomic.Bool
	rejected atomic.Int64

	mu          sync.Mutex
	seen        map[string]int // webhook-id → 2xx answers, for every inserted event
	next        map[string]int // subject → the sequence number expected next
	unique      int
	duplicates  int
	unknown     int
	outOfOrder  int
	badSig      int
	undecodable int
	upAt        time.Time
	firstUp     time.Time       // first success at or after upAt
	resumed     map[string]bool // subjects with a success at or after upAt
	allUp       time.Time       // when every subject had one
	lastAt      time.Time       // when the last missing event arrived
}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	if r.down.Load() {
		r.rejected.Add(1)
		http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		return
	}
	now := time.Now()
	id := req.Header.Get("webhook-id")
	sigOK := benchkit.ValidSignature(r.secret, id, req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body)
	subject, seq, ok := subjectSeq(body)
	r.mu.Lock()
	if !sigOK {
		r.badSig++
	}
	n, known := r.seen[id]
	switch {
	case !known:
		r.unknown++
	case n > 0:
		r.duplicates++
	default:
		r.unique++
		r.lastAt = now
		if r.unique == r.want {
			close(r.done)
		}
	}
	r.seen[id] = n + 1
	if !ok {
		r.undecodable++
	} else {
		if seq != r.next[subject] {
			r.outOfOrder++
		}
		r.next[subject] = max(r.next[subject], seq+1)
	}
	if !r.upAt.IsZero() {
		if r.firstUp.IsZero() {
			r.firstUp = now
		}
		if ok && !r.resumed[subject] {
			r.resumed[subject] = true
			if len(r.resumed) == r.subjects {
				r.allUp = now
			}
		}
	}
	r.mu.Unlock()
	if r.delay > 0 {
		time.Sleep(r.delay)
	}
	w.WriteHeader(http.StatusOK)
}

func (r *receiver) up(t time.Time) {
	r.mu.Lock()
	r.upAt = t
	r.mu.Unlock()
	r.down.Store(false)
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.unique
}

func (r *receiver) last() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastAt
}

// afterUp returns when the first subject, and when every subject, had a
// success after the receiver came back.
func (r *receiver) afterUp() (first, all time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.firstUp, r.allUp
}

// check fills in the verdict of the receiver's checks.
func (r *receiver) check(res *result) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, n := range r.seen {
		if n == 0 {
			res.Missing++
		}
	}
	res.Duplicates, res.Unknown, res.OutOfOrder, res.BadSig, res.Undecodable = r.duplicates, r.unknown, r.outOfOrder, r.badSig, r.undecodable
	res.OK = res.Missing == 0 && r.duplicates == 0 && r.unknown == 0 && r.outOfOrder == 0 && r.badSig == 0 && r.undecodable == 0
}

// subjectSeq finds the subject and sequence number in the body's metadata.
// It looks for the two keys rather than decoding the whole body, to keep
// the receiver's share of the machine small; the keys appear nowhere else.
func subjectSeq(body []byte) (string, int, bool) {
	subject, ok1 := stringValue(body, metaSubject)
	seq, ok2 := stringValue(body, metaSeq)
	n, err := strconv.Atoi(seq)
	return subject, n, ok1 && ok2 && err == nil
}

// stringValue returns the value of the first "key":"value" in body, for
// values without escapes.
func stringValue(body []byte, key string) (string, bool) {
	marker := `"` + key + `":"`
	i := bytes.Index(body, []byte(marker))
	if i < 0 {
		return "", false
	}
	rest := body[i+len(marker):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return "", false
	}
	return string(rest[:j]), true
}

// timedStore times, in wall-clock time, the store calls on the Deliverer's
// path: the claims, and the transactions (during delivery only those that
// record attempts).
type timedStore struct {
	*store.DB
	claims, claimed, claimNS atomic.Int64
	txs, txNS                atomic.Int64
}

func (s *timedStore) ClaimWebhookEvents(ctx context.Context, webhookID int64, now, leaseUntil time.Time, limit int) ([]carillon.WebhookEvent, error) {
	t := time.Now()
	events, err := s.DB.ClaimWebhookEvents(ctx, webhookID, now, leaseUntil, limit)
	s.claimNS.Add(int64(time.Since(t)))
	s.claims.Add(1)
	s.claimed.Add(int64(len(events)))
	return events, err
}

func (s *timedStore) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	t := time.Now()
	err := s.DB.InTx(ctx, fn)
	s.txNS.Add(int64(time.Since(t)))
	s.txs.Add(1)
	return err
}

func (s *timedStore) reset() {
	for _, n := range []*atomic.Int64{&s.claims, &s.claimed, &s.claimNS, &s.txs, &s.txNS} {
		n.Store(0)
	}
}

type storeTimes struct {
	Claims         int64   `json:"claims"`
	EventsPerClaim float64 `json:"events_per_claim"`
	ClaimMS        float64 `json:"claim_ms"` // mean
	ClaimS         float64 `json:"claim_s"`  // in all
	Txs            int64   `json:"txs"`
	TxMS           float64 `json:"tx_ms"`
	TxS            float64 `json:"tx_s"`
}

func (s *timedStore) summary() storeTimes {
	out := storeTimes{Claims: s.claims.Load(), Txs: s.txs.Load(),
		ClaimS: time.Duration(s.claimNS.Load()).Seconds(), TxS: time.Duration(s.txNS.Load()).Seconds()}
	if out.Claims > 0 {
		out.EventsPerClaim = float64(s.claimed.Load()) / float64(out.Claims)
		out.ClaimMS = out.ClaimS * 1000 / float64(out.Claims)
	}
	if out.Txs > 0 {
		out.TxMS = out.TxS * 1000 / float64(out.Txs)
	}
	return out
}
