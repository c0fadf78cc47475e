// Command lifecycle measures the whole life of messages through the real
// `carillon serve`, on one store, in phases run one after the other on the
// same server:
//
//	accepted   bench/sendload against bench/ceiling, then against carillon
//	           (accepted sends/s, latency, ratio to the ceiling); then the
//	           wait until every accepted message is read, and the server's
//	           CPU a message accepted over both
//	lifecycle  N sends to the sandbox (no delay, no webhook) from the first
//	           request until every accepted one has reached read
//	webhook    the same with a webhook subscribed to every event, at a
//	           receiver in this process that answers 200 at once and checks
//	           every delivery
//	inbound    N signed WhatsApp Cloud API callbacks (X-Hub-Signature-256)
//	           posted to a WhatsApp channel, each a customer's message
//	whatsapp   N sends on that channel (its customers wrote in the inbound
//	           phase) to a fake Graph API in this process, until carillon
//	           has made every provider call
//
// then the server's resident memory and the store's size per message.
//
// Usage:
//
//	lifecycle [-database-url postgres://...] [-messages 20000] [-callbacks 20000] [-conns 64] [-json]
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/carillon/carillon/bench/internal/benchkit"
	"github.com/carillon/carillon/provider/whatsapp/whatsapptest"
)

const (
	firstNumber = 4915112340000 // +49 151 12340000, as bench/sendload numbers its recipients
	phoneID     = "109876543210"
	appSecret   = "lifecycle-app-secret"
	// The metadata key that carries a send's rank among the phase's sends
	// to its recipient, for the receiver's check of the order.
	metaSeq = "bench_seq"
)

// phases in the order they run: whatsapp sends to the customers who wrote
// in the inbound phase (WhatsApp's 24-hour window); receipts reports the
// whatsapp phase's messages delivered and read.
var phases = []string{"accepted", "lifecycle", "webhook", "inbound", "whatsapp", "receipts"}

// every event a webhook can subscribe to (docs/webhooks.md).
var allEvents = []string{"message_created", "message_status_updated", "contact_created", "contact_updated", "contact_deleted",
	"conversation_opened", "conversation_closed", "agent_status_updated", "agent_session_updated", "team_membership_updated"}

type config struct {
	carillon, sendload, ceiling string
	databaseURL, schema         string
	data, key                   string
	dir                         string
	phases                      []string
	messages, callbacks         int
	conns, recipients, mps      int
	duration, warmup, timeout   time.Duration
	profileDir                  string
	profileFor                  time.Duration
	keep, jsonOut               bool
	vacuum                      string
}

func main() {
	var c config
	var phaseList string
	flag.StringVar(&c.carillon, "carillon", "", "carillon binary (default: built from ./cmd/carillon)")
	flag.StringVar(&c.sendload, "sendload", "", "bench/sendload binary (default: built)")
	flag.StringVar(&c.ceiling, "ceiling", "", "bench/ceiling binary (default: built)")
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: SQLite in the data folder)")
	flag.StringVar(&c.schema, "schema", "bench_lifecycle", "PostgreSQL schema, dropped and created again unless -data is given")
	flag.StringVar(&c.data, "data", "", "data folder of a store filled before (and, with -database-url, its -schema), used as it is")
	flag.StringVar(&c.key, "key", "", "API key (default: made with carillon keys create)")
	flag.StringVar(&c.dir, "dir", "", "work folder, kept (default: a temporary one, removed unless -keep)")
	flag.StringVar(&phaseList, "phases", strings.Join(phases, ","), "phases to run, comma-separated, of "+strings.Join(phases, ","))
	flag.IntVar(&c.messages, "messages", 20000, "sends in each of the lifecycle, webhook and whatsapp phases")
	flag.IntVar(&c.callbacks, "callbacks", 20000, "callbacks in the inbound phase")
	flag.IntVar(&c.conns, "conns", 64, "concurrent connections")
	flag.IntVar(&c.recipients, "recipients", 1000, "distinct recipients (customers), +4915112340000 upwards")
	flag.IntVar(&c.mps, "mps", 0, "the WhatsApp channel's mps setting (0: unpaced)")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "accepted: measured load duration")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "accepted: warmup, not counted")
	flag.DurationVar(&c.timeout, "timeout", 5*time.Minute, "how long a phase may wait for the server to finish its work")
	flag.StringVar(&c.profileDir, "profile-dir", "", "save a CPU profile of the server for each phase in this folder (serve --pprof-addr)")
	flag.DurationVar(&c.profileFor, "profile-for", 10*time.Second, "length of each phase's CPU profile, from the phase's start")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary folder and the PostgreSQL schema")
	flag.BoolVar(&c.jsonOut, "json", false, "print the result as one JSON object")
	flag.StringVar(&c.vacuum, "vacuum", "auto", "PostgreSQL, when the server's autovacuum is off: auto (do its work on the schema, with its settings) or never")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments: %s", strings.Join(flag.Args(), " ")))
	}
	for p := range strings.SplitSeq(phaseList, ",") {
		if p = strings.TrimSpace(p); p == "" {
			continue
		}
		if !slices.Contains(phases, p) {
			fail(fmt.Errorf("-phases: unknown phase %q (want some of %s)", p, strings.Join(phases, ",")))
		}
		c.phases = append(c.phases, p)
	}
	switch {
	case c.vacuum != "auto" && c.vacuum != "never":
		fail(fmt.Errorf("-vacuum %q: want auto or never", c.vacuum))
	case len(c.phases) == 0:
		fail(errors.New("-phases: none given"))
	case slices.Contains(c.phases, "whatsapp") && !slices.Contains(c.phases, "inbound"):
		fail(errors.New("-phases: whatsapp needs inbound (the customers write first: WhatsApp's 24-hour window)"))
	case slices.Contains(c.phases, "receipts") && !slices.Contains(c.phases, "whatsapp"):
		fail(errors.New("-phases: receipts needs whatsapp (its messages are the ones reported delivered and read)"))
	case c.messages < 1 || c.callbacks < 1 || c.conns < 1 || c.recipients < 1 || c.recipients > 1_000_000 || c.mps < 0:
		fail(errors.New("-messages, -callbacks, -conns and -recipients must be at least 1 (-recipients at most 1,000,000), -mps not negative"))
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
	fmt.Fprintln(os.Stderr, "lifecycle:", err)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "lifecycle: "+format+"\n", args...)
}

// latency is p50, p99 and the slowest of a phase's requests, in ms
// (nearest rank).
type latency struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// requests is what a phase's requests got.
type requests struct {
	Sent     int            `json:"sent"`
	OK       int            `json:"ok"` // 200 answers
	Status   map[string]int `json:"status"`
	Errors   int            `json:"errors"` // transport errors
	FirstErr string         `json:"first_error,omitempty"`
	Seconds  float64        `json:"seconds"` // first request to last answer
	PerS     float64        `json:"ok_per_s"`
	Latency  latency        `json:"latency_ms"`
}

type result struct {
	Store       string        `json:"store"`
	Conns       int           `json:"conns"`
	Recipients  int           `json:"recipients"`
	Ceiling     float64       `json:"ceiling_per_s,omitempty"`
	CeilingLat  latency       `json:"ceiling_latency_ms"`
	CeilingCPU  machineShares `json:"ceiling_machine"`
	Accepted    *accepted     `json:"accepted,omitempty"`
	Lifecycle   *lifecycle    `json:"lifecycle,omitempty"`
	Webhook     *lifecycle    `json:"webhook,omitempty"`
	Inbound     *inbound      `json:"inbound,omitempty"`
	WhatsApp    *whatsapp     `json:"whatsapp,omitempty"`
	Receipts    *receipts     `json:"receipts,omitempty"`
	RSSKiB      int           `json:"rss_kib"`
	Batches     float64       `json:"commit_batches"`       // transactions of the committer, the whole run
	Reruns      float64       `json:"commit_batches_rerun"` // of those, batches that failed and ran again unit by unit
	StoreBytes  int64         `json:"store_bytes"`
	Messages    int64         `json:"messages_stored"`
	BytesPerMsg float64       `json:"store_bytes_per_message"`
	Profiles    []string      `json:"profiles,omitempty"`
	// PostgreSQL only: the server's autovacuum setting, and, when it is
	// off, how many tables the bench vacuumed or analyzed in its place (-1:
	// none, -vacuum never).
	Autovacuum  string   `json:"autovacuum,omitempty"`
	StandInRuns int      `json:"stand_in_autovacuum_runs,omitempty"`
	Problems    []string `json:"problems,omitempty"`
	OK          bool     `json:"ok"`
}

type accepted struct {
	PerS       float64 `json:"accepted_per_s"`
	Latency    latency `json:"latency_ms"`
	Non200Pct  float64 `json:"non_200_pct"`
	ErrorPct   float64 `json:"error_pct"`
	Accepted   int     `json:"accepted"`
	ReadAfterS float64 `json:"all_read_after_s"` // from the end of the load
	// cpuUse runs from the warm-up's first request until every message
	// accepted (the warm-up's too) is read, and counts those messages:
	// what a sustained rate of sends costs, the pipeline's provider calls
	// and receipts included.
	cpuUse
}

type lifecycle struct {
	Requests requests `json:"requests"`
	ReadS    float64  `json:"all_read_s"` // first request to the last message read
	ReadPerS float64  `json:"read_per_s"`
	Hooks    *hooks   `json:"webhook,omitempty"`
	// cpuUse runs from the phase's first request until every message is
	// read and, with a webhook, every event received: the HTTP answers,
	// the writer and the deliveries together.
	cpuUse
}

// cpuUse is the CPU a phase took: the server's (user and system), and
// PostgreSQL's over the same span when it runs on this machine (every
// process named postgres: the backends of the server's connections and
// PostgreSQL's own, WAL writer, checkpointer, autovacuum); in all, and a
// message.
type cpuUse struct {
	CPUS          float64 `json:"server_cpu_s"`
	CPUPerMsgMS   float64 `json:"server_cpu_per_message_ms"`
	PGCPUS        float64 `json:"postgres_cpu_s,omitempty"`
	PGCPUPerMsgMS float64 `json:"postgres_cpu_per_message_ms,omitempty"`
	machineShares
}

// machineShares is the machine's CPU time over a phase's span
// (benchkit.MachineCPU): the share left idle, and the share the host gave
// to other machines.
type machineShares struct {
	IdlePct   float64 `json:"machine_idle_pct"`
	StolenPct float64 `json:"machine_stolen_pct"`
}

// usedCPUs is how many of the machine's CPUs were in use on average over
// the span: neither idle nor stolen. runtime.NumCPU counts the CPUs this
// process may run on: all of the machine's, unless the bench is confined
// to fewer (taskset), which /proc/stat's shares do not see.
func (m machineShares) usedCPUs() float64 {
	return (100 - m.IdlePct - m.StolenPct) / 100 * float64(runtime.NumCPU())
}

// sharesSince is the machine's CPU from mark to now.
func sharesSince(mark benchkit.MachineCPU) (machineShares, error) {
	now, err := benchkit.ReadMachineCPU()
	var m machineShares
	m.IdlePct, m.StolenPct = mark.Shares(now)
	return m, err
}

type hooks struct {
	Events      int     `json:"events"`
	LastS       float64 `json:"last_event_s"` // first request to the last event received
	EventsPerS  float64 `json:"events_per_s"`
	Complete    int     `json:"messages_complete"` // created, sent, delivered, read all received
	Missing     int     `json:"messages_incomplete"`
	Duplicates  int     `json:"duplicates"`
	OutOfOrder  int     `json:"out_of_order"`
	BadSig      int     `json:"bad_signature"`
	Undecodable int     `json:"undecodable"`
	Unknown     int     `json:"unknown_messages"`
	Other       int     `json:"other_events"`
}

type inbound struct {
	Requests requests `json:"requests"`
	Stored   int      `json:"stored"` // carillon_inbound_messages_total rose by
	cpuUse            // until every callback is answered
}

type whatsapp struct {
	Requests   requests `json:"requests"`
	CallsS     float64  `json:"last_call_s"` // first request to the last provider call
	CallsPerS  float64  `json:"calls_per_s"`
	Calls      int      `json:"calls"`       // carillon_provider_calls_total{provider="whatsapp",result="ok"} rose by
	GraphSends int      `json:"graph_sends"` // message sends the fake Graph API received
	cpuUse              // until the last provider call
}

// receipts is the receipts phase: a status callback for each of the
// whatsapp phase's messages saying delivered, then one saying read.
type receipts struct {
	Messages int      `json:"messages"` // reported delivered, then read
	Requests requests `json:"requests"`
	ReadS    float64  `json:"all_read_s"` // first callback to the last message read
	ReadPerS float64  `json:"read_per_s"`
	cpuUse
}

// bench is one run: the server, its store, what it is measured with.
type bench struct {
	c          config
	res        *result
	base       string
	pid        int
	key        string
	data       string
	storeURL   string // the PostgreSQL URL with its schema, or ""
	pprof      string // the server's pprof address
	http       *http.Client
	channel    string // the WhatsApp channel's uuid
	graph      *whatsapptest.Server
	waSent     []whatsapptest.Sent // the whatsapp phase's messages, as the fake Graph API accepted them
	carillon   string
	profileSeq int
	// pg watches PostgreSQL's CPU time when it runs on this machine.
	pg *benchkit.CPUWatch
}

func run(ctx context.Context, c config) (*result, error) {
	res := &result{Store: "sqlite", Conns: c.conns, Recipients: c.recipients}
	if c.databaseURL != "" {
		res.Store = "postgres"
	}
	dir, done, err := benchkit.WorkDir(c.dir, "lifecycle", c.keep, logf)
	if err != nil {
		return nil, err
	}
	defer done()
	b := &bench{c: c, res: res, http: &http.Client{Timeout: time.Minute, Transport: &http.Transport{
		Proxy: nil, MaxIdleConns: c.conns + 8, MaxIdleConnsPerHost: c.conns + 8, MaxConnsPerHost: c.conns + 8,
		IdleConnTimeout: time.Minute, DisableCompression: true,
	}}}
	if b.carillon, err = benchkit.Binary(ctx, c.carillon, dir, "carillon", "./cmd/carillon", logf); err != nil {
		return nil, err
	}
	b.data = c.data
	if b.data == "" {
		b.data = filepath.Join(dir, "data")
	}
	if c.databaseURL != "" {
		if c.data == "" {
			u, drop, err := benchkit.FreshSchema(ctx, c.databaseURL, c.schema, c.keep, logf)
			if err != nil {
				return nil, err
			}
			defer drop()
			b.storeURL = u
		} else if b.storeURL, err = benchkit.SchemaURL(c.databaseURL, c.schema); err != nil {
			return nil, err
		}
		if local, err := benchkit.LoopbackDatabase(c.databaseURL); err != nil {
			return nil, err
		} else if local {
			if b.pg, err = benchkit.WatchCPU("postgres"); err != nil {
				return nil, err
			}
			defer b.pg.Stop()
		}
		off, err := benchkit.AutovacuumOff(ctx, c.databaseURL)
		if err != nil {
			return nil, err
		}
		res.Autovacuum = "on"
		if off {
			res.Autovacuum = "off"
		}
		switch {
		case off && c.vacuum == "auto":
			stop, err := benchkit.StandInAutovacuum(ctx, b.storeURL, c.schema, logf)
			if err != nil {
				return nil, err
			}
			defer func() { res.StandInRuns = stop() }()
		case off:
			res.StandInRuns = -1
		}
	}

	// Every run measures the ceiling, whatever its phases: each rate it
	// reports is read beside what this machine answered just before.
	if err := b.ceilingRun(ctx, dir); err != nil {
		return nil, err
	}
	// The fake Graph API, the channel that calls it and the API key are
	// made before the server starts: the commands write the store as
	// carillon apply and keys create do beside a running server.
	if slices.Contains(c.phases, "inbound") {
		b.graph = whatsapptest.New(nil)
		defer b.graph.Close()
		if b.channel, err = b.addChannel(ctx); err != nil {
			return nil, err
		}
	}
	if b.key = c.key; b.key == "" {
		if b.key, err = b.makeKey(ctx); err != nil {
			return nil, err
		}
	}
	args := []string{"--data", b.data, "--webhook-allow-private"}
	if b.storeURL != "" {
		args = append(args, "--database-url", b.storeURL)
	}
	if c.profileDir != "" {
		if b.pprof, err = benchkit.FreeAddr(); err != nil {
			return nil, err
		}
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return nil, err
		}
		args = append(args, "--pprof-addr", b.pprof)
	}
	base, pid, stopServer, err := benchkit.Serve(ctx, b.carillon, dir, args...)
	if err != nil {
		return nil, err
	}
	defer stopServer()
	b.base, b.pid = base, pid
	logf("%s: carillon on %s (pid %d)", res.Store, base, pid)

	for _, p := range phases {
		if !slices.Contains(c.phases, p) {
			continue
		}
		logf("%s: phase %s", res.Store, p)
		profiled := b.profile(ctx, p)
		var err error
		switch p {
		case "accepted":
			res.Accepted, err = b.acceptedRun(ctx, dir)
		case "lifecycle":
			res.Lifecycle, err = b.lifecycleRun(ctx, nil)
		case "webhook":
			res.Webhook, err = b.webhookRun(ctx)
		case "inbound":
			res.Inbound, err = b.inboundRun(ctx)
		case "whatsapp":
			res.WhatsApp, err = b.whatsappRun(ctx)
		case "receipts":
			res.Receipts, err = b.receiptsRun(ctx)
		}
		if perr := profiled(); perr != nil {
			logf("profile of %s: %v", p, perr)
		}
		if err != nil {
			return nil, fmt.Errorf("phase %s: %w", p, err)
		}
	}
	if res.RSSKiB, err = benchkit.VmRSS(pid); err != nil {
		return nil, err
	}
	m, err := b.metrics(ctx)
	if err != nil {
		return nil, err
	}
	res.Batches, _ = benchkit.Sum(m, "carillon_commit_batch_size_count", nil)
	res.Reruns, _ = benchkit.Sum(m, "carillon_commit_batches_rerun_total", nil)
	dbURL := b.storeURL
	if res.StoreBytes, res.Messages, err = benchkit.StoreSize(ctx, b.data, dbURL); err != nil {
		return nil, err
	}
	if res.Messages > 0 {
		res.BytesPerMsg = float64(res.StoreBytes) / float64(res.Messages)
	}
	res.OK = len(res.Problems) == 0
	return res, nil
}

// problem records a failed check; the run then exits with status 1.
func (b *bench) problem(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	logf("%s: problem: %s", b.res.Store, msg)
	b.res.Problems = append(b.res.Problems, msg)
}

// storeArgs are the store's flags for carillon's admin commands.
func (b *bench) storeArgs() []string {
	args := []string{"--data", b.data}
	if b.storeURL != "" {
		args = append(args, "--database-url", b.storeURL)
	}
	return args
}

// admin runs a carillon command on the store and returns its standard
// output.
func (b *bench) admin(ctx context.Context, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, b.carillon, append(args, b.storeArgs()...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("carillon %s: %v\n%s", strings.Join(args[:2], " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// makeKey makes an API key with carillon keys create (the store's first
// start makes the account).
func (b *bench) makeKey(ctx context.Context) (string, error) {
	out, err := b.admin(ctx, "keys", "create", "--name", "lifecycle-"+strconv.FormatInt(time.Now().Unix(), 10))
	if err != nil {
		return "", err
	}
	key := lastLine(out)
	if !strings.HasPrefix(key, "crln_") {
		return "", fmt.Errorf("carillon keys create printed no key: %q", out)
	}
	return key, nil
}

// addChannel declares a WhatsApp Cloud API channel that calls the fake
// Graph API, with carillon channels add, and returns its uuid. Its title
// is new on each run, so that a store used before gets a channel of its
// own.
func (b *bench) addChannel(ctx context.Context) (string, error) {
	out, err := b.admin(ctx, "channels", "add", "--title", "lifecycle-"+strconv.FormatInt(time.Now().UnixNano(), 36),
		"--type", "whatsapp", "--provider", "whatsapp",
		"--setting", "phone_number_id="+phoneID, "--setting", "access_token="+b.graph.AccessToken(),
		"--setting", "app_secret="+appSecret, "--setting", "verify_token=lifecycle-verify",
		"--setting", "base_url="+b.graph.URL, "--setting", "mps="+strconv.Itoa(b.c.mps))
	if err != nil {
		return "", err
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 {
		return "", fmt.Errorf("carillon channels add printed %q", out)
	}
	return strings.TrimSpace(lines[len(lines)-2]), nil
}

// profile starts a CPU profile of the server for the phase (when asked)
// and returns the function that waits for it to be saved.
func (b *bench) profile(ctx context.Context, phase string) func() error {
	if b.pprof == "" {
		return func() error { return nil }
	}
	b.profileSeq++
	path := filepath.Join(b.c.profileDir, fmt.Sprintf("%s-%d-%s.pprof", b.res.Store, b.profileSeq, phase))
	errc := make(chan error, 1)
	go func() {
		u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", b.pprof, max(1, int(b.c.profileFor.Seconds())))
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			errc <- err
			return
		}
		defer resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			errc <- fmt.Errorf("%s: %s", u, resp.Status)
			return
		}
		f, err := os.Create(path)
		if err != nil {
			errc <- err
			return
		}
		_, err = io.Copy(f, resp.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		errc <- err
	}()
	return func() error {
		err := <-errc
		if err == nil {
			b.res.Profiles = append(b.res.Profiles, path)
			logf("%s: CPU profile of %s in %s", b.res.Store, phase, path)
		}
		return err
	}
}

// sendloadResult is what bench/sendload -json prints that is read here.
type sendloadResult struct {
	Accepted  int     `json:"accepted"`
	PerS      float64 `json:"accepted_per_s"`
	Latency   latency `json:"latency_ms"`
	Non200Pct float64 `json:"non_200_pct"`
	ErrorPct  float64 `json:"error_pct"`
	// machine is the machine's CPU over sendload's run, its warmup
	// included; measured here, not printed by sendload.
	machine machineShares
}

func (b *bench) runSendload(ctx context.Context, dir, base, key string) (sendloadResult, error) {
	var r sendloadResult
	bin, err := benchkit.Binary(ctx, b.c.sendload, dir, "sendload", "./bench/sendload", logf)
	if err != nil {
		return r, err
	}
	b.c.sendload = bin
	cmd := exec.CommandContext(ctx, bin, "-url", base, "-key", key, "-conns", strconv.Itoa(b.c.conns),
		"-duration", b.c.duration.String(), "-warmup", b.c.warmup.String(), "-recipients", strconv.Itoa(b.c.recipients), "-json")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	mark, err := benchkit.ReadMachineCPU()
	if err != nil {
		return r, err
	}
	out, err := cmd.Output()
	if jerr := json.Unmarshal(out, &r); jerr != nil {
		return r, fmt.Errorf("sendload against %s: %v %v\n%s", base, err, jerr, stderr.String())
	}
	r.machine, err = sharesSince(mark)
	return r, err
}

// ceilingRun measures bench/ceiling with sendload, before carillon starts.
func (b *bench) ceilingRun(ctx context.Context, dir string) error {
	base, stop, err := benchkit.Ceiling(ctx, b.c.ceiling, dir, logf)
	if err != nil {
		return err
	}
	defer stop()
	logf("%s: ceiling on %s, load for %s (+%s warmup)", b.res.Store, base, b.c.duration, b.c.warmup)
	r, err := b.runSendload(ctx, dir, base, "ceiling")
	if err != nil {
		return err
	}
	b.res.Ceiling, b.res.CeilingLat, b.res.CeilingCPU = r.PerS, r.Latency, r.machine
	return nil
}

func (b *bench) acceptedRun(ctx context.Context, dir string) (*accepted, error) {
	mark, err := b.markReads(ctx)
	if err != nil {
		return nil, err
	}
	before, err := b.counter(ctx, "carillon_sends_accepted_total", nil)
	if err != nil {
		return nil, err
	}
	r, err := b.runSendload(ctx, dir, b.base, b.key)
	if err != nil {
		return nil, err
	}
	end := time.Now()
	out := &accepted{PerS: r.PerS, Latency: r.Latency, Non200Pct: r.Non200Pct, ErrorPct: r.ErrorPct, Accepted: r.Accepted}
	// Every message accepted (the warmup's too) reaches read before the
	// next phase starts.
	var acc float64
	at, err := b.waitMetrics(ctx, func(m []benchkit.Metric) bool {
		acc, _ = benchkit.Sum(m, "carillon_sends_accepted_total", nil)
		read, _ := benchkit.Sum(m, "carillon_message_status_total", readLabel)
		return read >= acc
	})
	if err != nil {
		return nil, err
	}
	out.ReadAfterS = at.Sub(end).Seconds()
	if acc <= before {
		return nil, errors.New("no send accepted")
	}
	if out.cpuUse, err = b.cpuSince(mark, int(acc-before)); err != nil {
		return nil, err
	}
	return out, nil
}

// metrics reads the server's /metrics.
func (b *bench) metrics(ctx context.Context) ([]benchkit.Metric, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, b.base+"/metrics", nil)
	resp, err := b.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	return benchkit.ParseMetrics(resp.Body)
}

func (b *bench) counter(ctx context.Context, name string, labels map[string]string) (float64, error) {
	m, err := b.metrics(ctx)
	if err != nil {
		return 0, err
	}
	v, _ := benchkit.Sum(m, name, labels)
	return v, nil
}

// pollEvery is how often a phase reads /metrics while it waits: the
// resolution of the times it takes from them. Each read also counts the
// webhook backlog in the store (carillon_webhook_backlog).
const pollEvery = 50 * time.Millisecond

// waitMetrics reads /metrics until done is true of it, and returns when
// that read was made; at most -timeout.
func (b *bench) waitMetrics(ctx context.Context, done func([]benchkit.Metric) bool) (time.Time, error) {
	deadline := time.Now().Add(b.c.timeout)
	for {
		m, err := b.metrics(ctx)
		at := time.Now()
		if err != nil {
			return at, err
		}
		if done(m) {
			return at, nil
		}
		if at.After(deadline) {
			return at, fmt.Errorf("the server had not finished after %s", b.c.timeout)
		}
		select {
		case <-ctx.Done():
			return at, ctx.Err()
		case <-time.After(pollEvery):
		}
	}
}

// number is the i-th recipient's number, without the +.
func (b *bench) number(i int) string {
	return strconv.Itoa(firstNumber + i%b.c.recipients)
}

// sendRequest is the i-th send of a phase: to recipient i % recipients,
// with its rank among the phase's sends to that recipient in metadata,
// on channel (the main WhatsApp channel, the sandbox, when "").
func (b *bench) sendRequest(ctx context.Context, i int, channel string) (*http.Request, error) {
	body := map[string]any{"to": "+" + b.number(i), "from": "whatsapp", "type": "text",
		"content":  map[string]string{"text": "Hello from carillon bench"},
		"metadata": map[string]string{metaSeq: strconv.Itoa(i / b.c.recipients)}}
	if channel != "" {
		body["channel_uuid"] = channel
	}
	data, err := json.Marshal(body)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/v1/messages/send", bytes.NewReader(data))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+b.key)
	req.Header.Set("Content-Type", "application/json")
	return req, nil
}

// load is the outcome of fire.
type load struct {
	requests
	start time.Time
	uuids []string // of the accepted sends, when asked
}

// fire makes n requests from -conns connections. Each recipient's
// requests (i % recipients) are made by one connection, one after the
// other in the order of i, so that a recipient's messages are accepted in
// that order; with fewer recipients than connections, only as many
// connections are used.
func (b *bench) fire(ctx context.Context, n int, request func(ctx context.Context, i int) (*http.Request, error), keepUUIDs bool) load {
	workers := min(b.c.conns, b.c.recipients)
	type outcome struct {
		latencies []time.Duration
		status    map[int]int
		errors    int
		firstErr  string
		uuids     []string
	}
	outs := make([]outcome, workers)
	var wg sync.WaitGroup
	start := time.Now()
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := &outs[w]
			o.status = map[int]int{}
			for i := 0; i < n; i++ {
				if (i%b.c.recipients)%workers != w {
					continue
				}
				if ctx.Err() != nil {
					return
				}
				req, err := request(ctx, i)
				if err != nil {
					o.errors++
					o.firstErr = firstOf(o.firstErr, err.Error())
					continue
				}
				t := time.Now()
				resp, err := b.http.Do(req)
				if err != nil {
					o.errors++
					o.firstErr = firstOf(o.firstErr, err.Error())
					continue
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				o.latencies = append(o.latencies, time.Since(t))
				o.status[resp.StatusCode]++
				if resp.StatusCode != http.StatusOK {
					o.firstErr = firstOf(o.firstErr, fmt.Sprintf("%d %s", resp.StatusCode, bytes.TrimSpace(body)))
				} else if keepUUIDs {
					var answer struct {
						Message struct {
							UUID string `json:"uuid"`
						} `json:"message"`
					}
					if json.Unmarshal(body, &answer) == nil && answer.Message.UUID != "" {
						o.uuids = append(o.uuids, answer.Message.UUID)
					}
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	l := load{start: start, requests: requests{Status: map[string]int{}, Seconds: elapsed.Seconds()}}
	var all []time.Duration
	for _, o := range outs {
		all = append(all, o.latencies...)
		for code, k := range o.status {
			l.Status[strconv.Itoa(code)] += k
			l.Sent += k
			if code == http.StatusOK {
				l.OK += k
			}
		}
		l.Errors += o.errors
		l.Sent += o.errors
		l.FirstErr = firstOf(l.FirstErr, o.firstErr)
		l.uuids = append(l.uuids, o.uuids...)
	}
	slices.Sort(all)
	l.Latency = latency{P50: benchkit.Rank(all, 0.50), P99: benchkit.Rank(all, 0.99), Max: benchkit.Rank(all, 1)}
	l.PerS = float64(l.OK) / elapsed.Seconds()
	return l
}

// firstOf is a if set, else b: the first error is kept.
func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// lifecycleRun sends -messages to the sandbox and waits until every
// accepted one is read; with rcv, also until the receiver has had each
// one's events.
func (b *bench) lifecycleRun(ctx context.Context, rcv *receiver) (*lifecycle, error) {
	mark, err := b.markReads(ctx)
	if err != nil {
		return nil, err
	}
	l := b.fire(ctx, b.c.messages, func(ctx context.Context, i int) (*http.Request, error) {
		return b.sendRequest(ctx, i, "")
	}, rcv != nil)
	if l.OK == 0 {
		return nil, fmt.Errorf("no send accepted: %s", l.FirstErr)
	}
	if l.OK < l.Sent {
		b.problem("%d of %d sends not accepted (first: %s)", l.Sent-l.OK, l.Sent, l.FirstErr)
	}
	out := &lifecycle{Requests: l.requests}
	at, err := b.waitReads(ctx, mark, l.OK)
	if err != nil {
		return nil, err
	}
	out.ReadS = at.Sub(l.start).Seconds()
	out.ReadPerS = float64(l.OK) / out.ReadS
	if rcv != nil {
		out.Hooks = rcv.wait(ctx, l, b.c.timeout)
		if out.Hooks.Missing+out.Hooks.Duplicates+out.Hooks.OutOfOrder+out.Hooks.BadSig+out.Hooks.Undecodable+out.Hooks.Unknown > 0 {
			b.problem("webhook checks failed: %d messages without all their events, %d duplicates, %d out of order, %d bad signatures, %d undecodable, %d unknown messages",
				out.Hooks.Missing, out.Hooks.Duplicates, out.Hooks.OutOfOrder, out.Hooks.BadSig, out.Hooks.Undecodable, out.Hooks.Unknown)
		}
	}
	if out.cpuUse, err = b.cpuSince(mark, l.OK); err != nil {
		return nil, err
	}
	return out, nil
}

// readMark is where a phase starts counting: the messages the server had
// read by then, and the CPU time it had used.
type readMark struct {
	read    float64
	cpu     time.Duration
	pgCPU   time.Duration // PostgreSQL's, when watched
	machine benchkit.MachineCPU
}

var readLabel = map[string]string{"status": "read"}

func (b *bench) markReads(ctx context.Context) (readMark, error) {
	read, err := b.counter(ctx, "carillon_message_status_total", readLabel)
	if err != nil {
		return readMark{}, err
	}
	cpu, err := benchkit.CPUTime(b.pid)
	if err != nil {
		return readMark{}, err
	}
	mark := readMark{read: read, cpu: cpu}
	if b.pg != nil {
		mark.pgCPU = b.pg.Total()
	}
	mark.machine, err = benchkit.ReadMachineCPU()
	return mark, err
}

// waitReads waits until n more messages are read than at mark, and
// returns when that was seen.
func (b *bench) waitReads(ctx context.Context, mark readMark, n int) (time.Time, error) {
	return b.waitMetrics(ctx, func(m []benchkit.Metric) bool {
		read, _ := benchkit.Sum(m, "carillon_message_status_total", readLabel)
		return read-mark.read >= float64(n)
	})
}

// cpuSince is the CPU taken since mark, for n messages; PostgreSQL's is
// 0 when it is not watched.
func (b *bench) cpuSince(mark readMark, n int) (cpuUse, error) {
	cpu, err := benchkit.CPUTime(b.pid)
	if err != nil {
		return cpuUse{}, err
	}
	u := cpuUse{CPUS: (cpu - mark.cpu).Seconds()}
	if b.pg != nil {
		u.PGCPUS = (b.pg.Total() - mark.pgCPU).Seconds()
	}
	if u.machineShares, err = sharesSince(mark.machine); err != nil {
		return cpuUse{}, err
	}
	u.CPUPerMsgMS, u.PGCPUPerMsgMS = 1000*u.CPUS/float64(n), 1000*u.PGCPUS/float64(n)
	return u, nil
}

// api makes an API request with the key and decodes its JSON answer into
// out (when not nil).
func (b *bench) api(ctx context.Context, method, path string, body, out any) error {
	var r io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return err
		}
		r = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, b.base+path, r)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+b.key)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(data))
	}
	if out != nil {
		return json.Unmarshal(data, out)
	}
	return nil
}

// webhookRun subscribes a webhook to every event at a receiver in this
// process, runs the lifecycle phase again, and unsubscribes.
func (b *bench) webhookRun(ctx context.Context) (*lifecycle, error) {
	rcv := newReceiver()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	srv := &http.Server{Handler: rcv, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	defer srv.Close()
	var sub struct {
		Webhook struct {
			Secret string `json:"secret"`
		} `json:"webhook"`
	}
	if err := b.api(ctx, http.MethodPost, "/v1/webhooks/subscribe",
		map[string]any{"url": "http://" + ln.Addr().String() + "/events", "subscriptions": allEvents}, &sub); err != nil {
		return nil, err
	}
	if sub.Webhook.Secret == "" {
		// A webhook made before keeps its secret: rotate it to learn one.
		if err := b.api(ctx, http.MethodPost, "/v1/webhooks/rotate_secret", nil, &sub); err != nil {
			return nil, err
		}
	}
	rcv.setSecret(sub.Webhook.Secret)
	out, err := b.lifecycleRun(ctx, rcv)
	if uerr := b.api(context.WithoutCancel(ctx), http.MethodDelete, "/v1/webhooks/unsubscribe", nil, nil); err == nil {
		err = uerr
	}
	return out, err
}

// inboundRun posts -callbacks signed WhatsApp callbacks, each a customer's
// text message with a wamid of its own, from the -recipients customers.
func (b *bench) inboundRun(ctx context.Context) (*inbound, error) {
	label := map[string]string{"channel_type": "whatsapp"}
	in0, err := b.counter(ctx, "carillon_inbound_messages_total", label)
	if err != nil {
		return nil, err
	}
	mark, err := b.markReads(ctx)
	if err != nil {
		return nil, err
	}
	run := strconv.FormatInt(time.Now().UnixNano(), 36)
	l := b.fire(ctx, b.c.callbacks, func(ctx context.Context, i int) (*http.Request, error) {
		return b.callbackRequest(ctx, whatsapptest.MessagePayload(phoneID, whatsapptest.Message{
			ID: "wamid.bench" + run + "." + strconv.Itoa(i), From: b.number(i),
			ProfileName: "Customer " + strconv.Itoa(i%b.c.recipients), Text: "Where is my order? " + strconv.Itoa(i),
		}))
	}, false)
	if l.OK < l.Sent {
		b.problem("%d of %d callbacks not answered 200 (first: %s)", l.Sent-l.OK, l.Sent, l.FirstErr)
	}
	in1, err := b.counter(ctx, "carillon_inbound_messages_total", label)
	if err != nil {
		return nil, err
	}
	out := &inbound{Requests: l.requests, Stored: int(in1 - in0)}
	if out.cpuUse, err = b.cpuSince(mark, l.OK); err != nil {
		return nil, err
	}
	if out.Stored != l.OK {
		b.problem("%d callbacks answered 200, %d inbound messages stored", l.OK, out.Stored)
	}
	return out, nil
}

// callbackRequest posts body to the WhatsApp channel's callback URL,
// signed with its app secret as Meta signs its callbacks.
func (b *bench) callbackRequest(ctx context.Context, body []byte) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, b.base+"/callbacks/whatsapp/"+b.channel, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Hub-Signature-256", whatsapptest.Sign(appSecret, body))
	return req, nil
}

// whatsappRun sends -messages on the WhatsApp channel and waits until
// carillon has made a provider call for each accepted one.
func (b *bench) whatsappRun(ctx context.Context) (*whatsapp, error) {
	label := map[string]string{"provider": "whatsapp", "result": "ok"}
	calls0, err := b.counter(ctx, "carillon_provider_calls_total", label)
	if err != nil {
		return nil, err
	}
	mark, err := b.markReads(ctx)
	if err != nil {
		return nil, err
	}
	graph0 := len(b.graph.Messages())
	sent0 := len(b.graph.SentMessages())
	l := b.fire(ctx, b.c.messages, func(ctx context.Context, i int) (*http.Request, error) {
		return b.sendRequest(ctx, i, b.channel)
	}, false)
	if l.OK == 0 {
		return nil, fmt.Errorf("no send accepted: %s", l.FirstErr)
	}
	if l.OK < l.Sent {
		b.problem("%d of %d WhatsApp sends not accepted (first: %s)", l.Sent-l.OK, l.Sent, l.FirstErr)
	}
	var calls float64
	at, err := b.waitMetrics(ctx, func(m []benchkit.Metric) bool {
		calls, _ = benchkit.Sum(m, "carillon_provider_calls_total", label)
		return calls-calls0 >= float64(l.OK)
	})
	if err != nil {
		return nil, err
	}
	out := &whatsapp{Requests: l.requests, CallsS: at.Sub(l.start).Seconds(), Calls: int(calls - calls0),
		GraphSends: len(b.graph.Messages()) - graph0}
	out.CallsPerS = float64(out.Calls) / out.CallsS
	if out.cpuUse, err = b.cpuSince(mark, l.OK); err != nil {
		return nil, err
	}
	if out.GraphSends != l.OK {
		b.problem("%d WhatsApp sends accepted, the fake Graph API received %d", l.OK, out.GraphSends)
	}
	b.waSent = b.graph.SentMessages()[sent0:]
	return out, nil
}

// receiptsRun posts, for each message of the whatsapp phase, a signed
// status callback saying delivered, then one saying read, as WhatsApp
// reports them, and waits until every one of those messages is read. Each
// connection posts its messages' delivered callbacks before their read
// ones; across connections a read may come first, which carillon applies
// as WhatsApp may send it.
func (b *bench) receiptsRun(ctx context.Context) (*receipts, error) {
	sent := b.waSent
	if len(sent) == 0 {
		return nil, errors.New("the whatsapp phase sent nothing to report on")
	}
	mark, err := b.markReads(ctx)
	if err != nil {
		return nil, err
	}
	n := len(sent)
	l := b.fire(ctx, 2*n, func(ctx context.Context, i int) (*http.Request, error) {
		status := "delivered"
		if i >= n {
			status = "read"
		}
		s := sent[i%n]
		return b.callbackRequest(ctx, whatsapptest.StatusPayload(phoneID, s.WAMID, s.To, status))
	}, false)
	if l.OK < l.Sent {
		b.problem("%d of %d status callbacks not answered 200 (first: %s)", l.Sent-l.OK, l.Sent, l.FirstErr)
	}
	at, err := b.waitReads(ctx, mark, n)
	if err != nil {
		return nil, err
	}
	out := &receipts{Messages: n, Requests: l.requests, ReadS: at.Sub(l.start).Seconds()}
	if out.cpuUse, err = b.cpuSince(mark, n); err != nil {
		return nil, err
	}
	out.ReadPerS = float64(n) / out.ReadS
	return out, nil
}

// receiver is the webhook's endpoint. It checks each delivery: its
// signature; its webhook-id never seen before; for the messages of the
// phase, message_created first, then message_status_updated sent,
// delivered and read in that order; and each contact's messages created
// in the order they were sent (the rank in their metadata).
type receiver struct {
	mu          sync.Mutex
	secret      string
	ids         map[string]bool
	stage       map[string]int // message uuid → 1 created, 2 sent, 3 delivered, 4 read
	nextSeq     map[string]int // contact uuid → the rank of its next message_created
	events      int
	other       int
	duplicates  int
	badSig      int
	undecodable int
	outOfOrder  int
	complete    int
	last        time.Time
}

func newReceiver() *receiver {
	return &receiver{ids: map[string]bool{}, stage: map[string]int{}, nextSeq: map[string]int{}}
}

func (r *receiver) setSecret(s string) {
	r.mu.Lock()
	r.secret = s
	r.mu.Unlock()
}

var statusStage = map[string]int{"sent": 2, "delivered": 3, "read": 4}

func (r *receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, err := io.ReadAll(req.Body)
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	now := time.Now()
	var ev struct {
		Event   string `json:"event"`
		Payload struct {
			UUID    string `json:"uuid"`
			Status  string `json:"status"`
			Contact struct {
				UUID string `json:"uuid"`
			} `json:"contact"`
			Metadata map[string]string `json:"metadata"`
		} `json:"payload"`
	}
	decodeErr := json.Unmarshal(body, &ev)
	id := req.Header.Get("webhook-id")
	r.mu.Lock()
	defer r.mu.Unlock()
	w.WriteHeader(http.StatusOK)
	r.events++
	r.last = now
	if !benchkit.ValidSignature(r.secret, id, req.Header.Get("webhook-timestamp"), req.Header.Get("webhook-signature"), body) {
		r.badSig++
	}
	if r.ids[id] {
		r.duplicates++
		return
	}
	r.ids[id] = true
	if decodeErr != nil {
		r.undecodable++
		return
	}
	p := ev.Payload
	switch ev.Event {
	case "message_created":
		seq, err := strconv.Atoi(p.Metadata[metaSeq])
		if err != nil || p.Contact.UUID == "" {
			r.undecodable++
			return
		}
		if r.stage[p.UUID] != 0 || seq != r.nextSeq[p.Contact.UUID] {
			r.outOfOrder++
		}
		r.nextSeq[p.Contact.UUID] = max(r.nextSeq[p.Contact.UUID], seq+1)
		r.stage[p.UUID] = max(r.stage[p.UUID], 1)
	case "message_status_updated":
		st, ok := statusStage[p.Status]
		if !ok {
			r.other++
			return
		}
		if r.stage[p.UUID] != st-1 {
			r.outOfOrder++
		}
		if r.stage[p.UUID] < 4 && st == 4 {
			r.complete++
		}
		r.stage[p.UUID] = max(r.stage[p.UUID], st)
	default:
		r.other++
	}
}

// wait waits until every accepted message of l has had its four events
// (at most timeout), and sums up.
func (r *receiver) wait(ctx context.Context, l load, timeout time.Duration) *hooks {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		r.mu.Lock()
		n := r.complete
		r.mu.Unlock()
		if n >= len(l.uuids) {
			break
		}
		time.Sleep(pollEvery)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	h := &hooks{Events: r.events, Duplicates: r.duplicates, OutOfOrder: r.outOfOrder, BadSig: r.badSig,
		Undecodable: r.undecodable, Other: r.other}
	accepted := make(map[string]bool, len(l.uuids))
	for _, u := range l.uuids {
		accepted[u] = true
		if r.stage[u] == 4 {
			h.Complete++
		} else {
			h.Missing++
		}
	}
	for u := range r.stage {
		if !accepted[u] {
			h.Unknown++
		}
	}
	if !r.last.IsZero() {
		h.LastS = r.last.Sub(l.start).Seconds()
		h.EventsPerS = float64(r.events) / h.LastS
	}
	return h
}

func (r *result) print(w io.Writer) {
	ratio := func(v float64) string {
		if r.Ceiling <= 0 {
			return "n/a"
		}
		return fmt.Sprintf("%.1f %%", 100*v/r.Ceiling)
	}
	reqs := func(q requests) string {
		return fmt.Sprintf("%d of %d answered 200 in %.2f s: %.0f/s, p50 %.2f ms, p99 %.2f ms, slowest %.0f ms", q.OK, q.Sent, q.Seconds, q.PerS, q.Latency.P50, q.Latency.P99, q.Latency.Max)
	}
	fmt.Fprintf(w, "== %s (%d connections, %d recipients) ==\n", r.Store, r.Conns, r.Recipients)
	if r.Ceiling > 0 {
		fmt.Fprintf(w, "  %-24s %.0f/s, p50 %.2f ms, p99 %.2f ms\n", "ceiling", r.Ceiling, r.CeilingLat.P50, r.CeilingLat.P99)
		printMachine(w, r.CeilingCPU, r.Ceiling, "a request")
	}
	if a := r.Accepted; a != nil {
		fmt.Fprintf(w, "  %-24s %.0f/s (%s of the ceiling), p50 %.2f ms, p99 %.2f ms, slowest %.0f ms, non-200 %.3f %%, errors %.3f %%; every accepted message read %.2f s after the load\n",
			"accepted sends", a.PerS, ratio(a.PerS), a.Latency.P50, a.Latency.P99, a.Latency.Max, a.Non200Pct, a.ErrorPct, a.ReadAfterS)
		printCPU(w, a.cpuUse, a.PerS)
	}
	if l := r.Lifecycle; l != nil {
		fmt.Fprintf(w, "  %-24s %d read %.2f s after the first request: %.0f/s reach read\n", "lifecycle (sandbox)", l.Requests.OK, l.ReadS, l.ReadPerS)
		fmt.Fprintf(w, "  %-24s %s (%s of the ceiling)\n", "  its sends", reqs(l.Requests), ratio(l.Requests.PerS))
		printCPU(w, l.cpuUse, l.ReadPerS)
	}
	if l := r.Webhook; l != nil {
		fmt.Fprintf(w, "  %-24s %d read %.2f s after the first request: %.0f/s reach read\n", "lifecycle + webhook", l.Requests.OK, l.ReadS, l.ReadPerS)
		fmt.Fprintf(w, "  %-24s %s (%s of the ceiling)\n", "  its sends", reqs(l.Requests), ratio(l.Requests.PerS))
		printCPU(w, l.cpuUse, l.ReadPerS)
		if h := l.Hooks; h != nil {
			fmt.Fprintf(w, "  %-24s %d events, the last %.2f s after the first request: %.0f events/s\n", "  webhook delivered", h.Events, h.LastS, h.EventsPerS)
			fmt.Fprintf(w, "  %-24s %d messages with all 4 events, %d without; duplicates %d, out of order %d, bad signatures %d, undecodable %d, unknown messages %d, other events %d\n",
				"  webhook checks", h.Complete, h.Missing, h.Duplicates, h.OutOfOrder, h.BadSig, h.Undecodable, h.Unknown, h.Other)
		}
	}
	if in := r.Inbound; in != nil {
		fmt.Fprintf(w, "  %-24s %s (%s of the ceiling); %d stored\n", "inbound callbacks", reqs(in.Requests), ratio(in.Requests.PerS), in.Stored)
		printCPU(w, in.cpuUse, in.Requests.PerS)
	}
	if wa := r.WhatsApp; wa != nil {
		fmt.Fprintf(w, "  %-24s %d provider calls, the last %.2f s after the first request: %.0f/s (fake Graph API got %d)\n", "whatsapp end to end", wa.Calls, wa.CallsS, wa.CallsPerS, wa.GraphSends)
		fmt.Fprintf(w, "  %-24s %s (%s of the ceiling)\n", "  its sends", reqs(wa.Requests), ratio(wa.Requests.PerS))
		printCPU(w, wa.cpuUse, wa.CallsPerS)
	}
	if rc := r.Receipts; rc != nil {
		fmt.Fprintf(w, "  %-24s %d messages read %.2f s after the first callback: %.0f/s reach read\n", "whatsapp receipts", rc.Messages, rc.ReadS, rc.ReadPerS)
		fmt.Fprintf(w, "  %-24s %s (%s of the ceiling)\n", "  status callbacks", reqs(rc.Requests), ratio(rc.Requests.PerS))
		printCPU(w, rc.cpuUse, rc.ReadPerS)
	}
	switch {
	case r.Autovacuum == "off" && r.StandInRuns >= 0:
		fmt.Fprintf(w, "  %-24s off on the server: the bench did its work with its settings (%d tables vacuumed or analyzed)\n", "autovacuum", r.StandInRuns)
	case r.Autovacuum == "off":
		fmt.Fprintf(w, "  %-24s off on the server, and no stand-in (-vacuum never): dead rows pile up\n", "autovacuum")
	case r.Autovacuum != "":
		fmt.Fprintf(w, "  %-24s %s on the server\n", "autovacuum", r.Autovacuum)
	}
	fmt.Fprintf(w, "  %-24s %.1f MiB resident (VmRSS)\n", "server memory", float64(r.RSSKiB)/1024)
	fmt.Fprintf(w, "  %-24s %.0f transactions, %.0f of them failed and run again unit by unit\n", "commit batches", r.Batches, r.Reruns)
	fmt.Fprintf(w, "  %-24s %.1f MiB for %d messages: %.0f bytes per message\n", "store size", float64(r.StoreBytes)/(1<<20), r.Messages, r.BytesPerMsg)
	for _, p := range r.Profiles {
		fmt.Fprintf(w, "  %-24s %s\n", "CPU profile", p)
	}
	if r.OK {
		fmt.Fprintf(w, "  %-24s ok\n", "checks")
	} else {
		fmt.Fprintf(w, "  %-24s FAILED: %s\n", "checks", strings.Join(r.Problems, "; "))
	}
}

// printCPU prints the CPU a phase took, PostgreSQL's when it was watched.
func printCPU(w io.Writer, u cpuUse, perS float64) {
	fmt.Fprintf(w, "  %-24s %.1f s: %.2f ms per message\n", "  server CPU", u.CPUS, u.CPUPerMsgMS)
	if u.PGCPUS > 0 {
		fmt.Fprintf(w, "  %-24s %.1f s: %.2f ms per message\n", "  PostgreSQL CPU", u.PGCPUS, u.PGCPUPerMsgMS)
	}
	printMachine(w, u.machineShares, perS, "a message")
}

// printMachine prints the machine's CPU over a phase, and what the
// machine's CPUs used, neither idle nor stolen, came to for each of the
// phase's perS a second (every process on the machine: the server, the
// load, the fakes, PostgreSQL): times a target's rate, it is how many CPUs
// the target asks at that cost (docs/benchmarks.md).
func printMachine(w io.Writer, m machineShares, perS float64, each string) {
	used := ""
	if perS > 0 {
		used = fmt.Sprintf("; %.3f ms of its CPUs' time %s", m.usedCPUs()*1000/perS, each)
	}
	fmt.Fprintf(w, "  %-24s %.0f %% idle, %.0f %% stolen by the host%s\n", "  machine CPU", m.IdlePct, m.StolenPct, used)
}
