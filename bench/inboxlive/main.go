// Command inboxlive measures the shared inbox on a large store, with the
// real `carillon serve` as a separate process:
//
//  1. first paint: the inbox (/inbox?view=all) and a thread of -thread
//     messages (/chat/<uuid>) among -contacts conversations, as an agent:
//     the server's time (from sending the request to reading the last byte
//     of the page, at a Go client over loopback) and the browser's
//     (chromium through chromedp, the Navigation Timing API's responseEnd
//     and domContentLoadedEventEnd, and the Paint Timing API's
//     first-contentful-paint), p50/p99 over repeated loads;
//  2. live: -tabs streams of GET /inbox/events (Go clients, each on its own
//     connection with a session of its own of an agent who may see the
//     chats), while customers' messages arrive through POST
//     /v1/sandbox/inbound at -rate per second for -duration: for each
//     message, the time from its request's answer (and from its sending)
//     until its message_created event has been read on every stream; the
//     events each tab got and missed; the server's resident memory
//     (VmRSS) before the tabs connect and with them connected.
//
// The store is filled through package store's exported methods, in
// transactions, as bench/consolepages fills it (bench/internal/benchkit).
//
// Usage:
//
//	inboxlive [-database-url postgres://...] [-contacts 50000] [-thread 5000] [-tabs 200] [-rate 1000] [-duration 10s]
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/bench/internal/benchkit"
)

type config struct {
	carillonBin string
	databaseURL string
	schema      string
	contacts    int
	thread      int
	batch       int
	requests    int
	loads       int
	chromium    string
	ceilingBin  string
	tabs        int
	rate        int
	duration    time.Duration
	conns       int
	wait        time.Duration
	dir         string
	keep        bool
	jsonOut     bool
	skipPages   bool
}

func main() {
	var c config
	flag.StringVar(&c.carillonBin, "carillon", "", "the carillon binary (default: built from ./cmd/carillon into the temporary directory)")
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: SQLite in the temporary directory)")
	flag.StringVar(&c.schema, "schema", "bench_inboxlive", "PostgreSQL schema, dropped and created again at the start")
	flag.IntVar(&c.contacts, "contacts", 50_000, "conversations to store, one of them the long thread")
	flag.IntVar(&c.thread, "thread", 5_000, "messages of the long thread")
	flag.IntVar(&c.batch, "batch", 5_000, "rows written per transaction")
	flag.IntVar(&c.requests, "requests", 100, "server-time requests per page")
	flag.IntVar(&c.loads, "loads", 30, "browser loads per page")
	flag.StringVar(&c.chromium, "chromium", "/usr/bin/chromium", "chromium binary; \"off\" measures no browser time")
	flag.StringVar(&c.ceilingBin, "ceiling", "", "the bench/ceiling binary (default: built from ./bench/ceiling into the work directory); \"off\" measures no ceiling")
	flag.IntVar(&c.tabs, "tabs", 200, "streams of /inbox/events")
	flag.IntVar(&c.rate, "rate", 1000, "inbound messages per second")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "how long the inbound messages arrive")
	flag.IntVar(&c.conns, "conns", 64, "connections the inbound messages are sent on")
	flag.DurationVar(&c.wait, "wait", 60*time.Second, "how long after the last inbound answer to wait for missing events")
	flag.StringVar(&c.dir, "dir", "", "work in this directory and keep it; a directory filled by an earlier run (its fixture.json) is measured again without filling")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (and the PostgreSQL schema)")
	flag.BoolVar(&c.jsonOut, "json", false, "print the result as one JSON object")
	flag.BoolVar(&c.skipPages, "skip-pages", false, "measure the live part only")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments: %s", strings.Join(flag.Args(), " ")))
	}
	if c.contacts < 2 || c.thread < 1 || c.tabs < 1 || c.rate < 1 || c.duration <= 0 || c.conns < 1 || c.requests < 1 || c.loads < 1 {
		fail(errors.New("need -contacts ≥ 2 and -thread, -tabs, -rate, -duration, -conns, -requests, -loads > 0"))
	}
	if n := messagesToSend(c); n > c.contacts-1 {
		fail(fmt.Errorf("-rate × -duration = %d messages, each to a contact of its own: at most -contacts - 1 = %d", n, c.contacts-1))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, c)
	if err != nil {
		fail(err)
	}
	if c.jsonOut {
		out, _ := json.MarshalIndent(res, "", "  ")
		fmt.Println(string(out))
	} else {
		res.print(os.Stdout)
	}
	if res.Live.Missed > 0 || res.Live.Failed > 0 {
		os.Exit(1)
	}
}

func messagesToSend(c config) int { return int(c.duration.Seconds() * float64(c.rate)) }

func fail(err error) {
	fmt.Fprintln(os.Stderr, "inboxlive:", err)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "inboxlive: "+format+"\n", args...)
}

const (
	password   = "bench-password-1"
	agentEmail = "agent@bench.example.com"
	adminEmail = "admin@bench.example.com"
)

// address is the number of the i-th contact, a valid German mobile
// number (without +), on the account's main WhatsApp channel.
func address(i int) string { return fmt.Sprintf("4915112%06d", i) }

// fixture is what the run needs of the store; it is kept beside the
// store (fixture.json) so that -dir can measure the same store again.
type fixture struct {
	APIKey     string   `json:"api_key"`
	ThreadChat string   `json:"thread_chat"` // the long thread's conversation
	Contacts   []string `json:"contacts"`    // uuids, the i-th at address(i)
	Thread     int      `json:"thread"`
	FillS      float64  `json:"fill_s"`
}

type result struct {
	Store    string        `json:"store"`
	Contacts int           `json:"contacts"`
	Thread   int           `json:"thread"`
	FillS    float64       `json:"fill_s"`
	Pages    []pageResult  `json:"pages"`
	Ceiling  *pageResult   `json:"ceiling,omitempty"` // bench/ceiling's GET /readyz, timed as the pages' server time
	Live     liveResult    `json:"live"`
	Load     []loadAverage `json:"load_average"`
}

type loadAverage struct {
	Phase string `json:"phase"`
	Load  string `json:"loadavg"` // /proc/loadavg's first three fields
}

func loadavg(phase string) loadAverage {
	b, _ := os.ReadFile("/proc/loadavg")
	f := strings.Fields(string(b))
	if len(f) > 3 {
		f = f[:3]
	}
	return loadAverage{phase, strings.Join(f, " ")}
}

type pageResult struct {
	Name  string `json:"name"`
	Path  string `json:"path"`
	Bytes int    `json:"bytes"`
	// Server: time to the last byte at a Go client over loopback.
	ServerN   int     `json:"server_n"`
	ServerP50 float64 `json:"server_p50_ms"`
	ServerP99 float64 `json:"server_p99_ms"`
	// Browser: Navigation and Paint Timing, from the navigation's start.
	BrowserN      int     `json:"browser_n"`
	ResponseEnd50 float64 `json:"response_end_p50_ms"`
	ResponseEnd99 float64 `json:"response_end_p99_ms"`
	DCL50         float64 `json:"dom_content_loaded_p50_ms"`
	DCL99         float64 `json:"dom_content_loaded_p99_ms"`
	FCP50         float64 `json:"first_contentful_paint_p50_ms"`
	FCP99         float64 `json:"first_contentful_paint_p99_ms"`
}

type liveResult struct {
	Tabs       int     `json:"tabs"`
	Rate       int     `json:"rate_target"`
	DurationS  float64 `json:"duration_s"`
	Sent       int     `json:"sent"`
	Failed     int     `json:"failed"` // inbound requests not answered 200
	SentPerS   float64 `json:"answered_per_s"`
	SendLagMax float64 `json:"send_lag_max_ms"` // the most a send started after its schedule
	InboundP50 float64 `json:"inbound_p50_ms"`  // the inbound request's own time
	InboundP99 float64 `json:"inbound_p99_ms"`
	// From the answer (an event read before the answer counts 0) and from
	// the sending, until the event was read on every tab.
	FromAnswerP50 float64 `json:"from_answer_p50_ms"`
	FromAnswerP99 float64 `json:"from_answer_p99_ms"`
	FromAnswerMax float64 `json:"from_answer_max_ms"`
	FromSendP50   float64 `json:"from_send_p50_ms"`
	FromSendP99   float64 `json:"from_send_p99_ms"`
	FromSendMax   float64 `json:"from_send_max_ms"`
	BeforeAnswer  int     `json:"read_before_answer"` // messages read on every tab before their answer
	UnderOneS     float64 `json:"under_1s_pct"`       // messages on every tab within 1 s of the answer
	// Events per tab: every tab should get every answered message.
	PerTabMin   int `json:"per_tab_min"`
	PerTabMax   int `json:"per_tab_max"`
	Missed      int `json:"missed"`       // (tab, message) pairs never read
	Duplicates  int `json:"duplicates"`   // message_created read twice on a tab
	Reconnects  int `json:"reconnects"`   // streams that broke and were opened again
	ResetEvents int `json:"reset_events"` // reset events read
	// From the first send until every tab had every message (or -wait
	// ran out): the wall-clock time, and the CPU time the server and this
	// program (sender and tabs) used meanwhile.
	WallS      float64 `json:"wall_s"`
	ServerCPUS float64 `json:"server_cpu_s"`
	ClientCPUS float64 `json:"client_cpu_s"`
	// Resident memory of the server (VmRSS), KiB.
	RSSBefore    int     `json:"rss_before_kib"`
	RSSConnected int     `json:"rss_connected_kib"`
	RSSAfter     int     `json:"rss_after_kib"`
	PerTabKiB    float64 `json:"rss_per_tab_kib"`
	// The Go heap in use (KiB) and goroutines, from /metrics.
	HeapBefore          int     `json:"heap_inuse_before_kib"`
	HeapConnected       int     `json:"heap_inuse_connected_kib"`
	HeapPerTabKiB       float64 `json:"heap_inuse_per_tab_kib"`
	GoroutinesBefore    int     `json:"goroutines_before"`
	GoroutinesConnected int     `json:"goroutines_connected"`
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "store %s: %d conversations, one thread of %d messages (filled in %.0f s)\n", r.Store, r.Contacts, r.Thread, r.FillS)
	if len(r.Pages) > 0 {
		fmt.Fprintf(w, "%-10s %6s %18s %24s %24s %24s\n", "page", "KiB", "server p50/p99 ms", "responseEnd p50/p99 ms", "DOMContentLoaded p50/p99", "first paint p50/p99 ms")
		for _, p := range r.Pages {
			fmt.Fprintf(w, "%-10s %6.1f %18s %24s %24s %24s\n", p.Name, float64(p.Bytes)/1024,
				pair(p.ServerP50, p.ServerP99), pair(p.ResponseEnd50, p.ResponseEnd99), pair(p.DCL50, p.DCL99), pair(p.FCP50, p.FCP99))
		}
		if c := r.Ceiling; c != nil {
			fmt.Fprintf(w, "%-10s %6s %18s   (bench/ceiling's GET /readyz, requested as the pages were)\n", "ceiling", "", pair(c.ServerP50, c.ServerP99))
		}
	}
	l := r.Live
	fmt.Fprintf(w, "live: %d tabs, %d inbound/s asked for %.0f s: %d answered (%.0f/s), %d failed; a send started up to %.0f ms behind its schedule\n",
		l.Tabs, l.Rate, l.DurationS, l.Sent, l.SentPerS, l.Failed, l.SendLagMax)
	fmt.Fprintf(w, "  inbound request p50/p99: %.1f / %.1f ms\n", l.InboundP50, l.InboundP99)
	fmt.Fprintf(w, "  on all %d tabs, from the answer: p50 %.1f, p99 %.1f, max %.1f ms (%d read before the answer; %.2f%% within 1 s)\n",
		l.Tabs, l.FromAnswerP50, l.FromAnswerP99, l.FromAnswerMax, l.BeforeAnswer, l.UnderOneS)
	fmt.Fprintf(w, "  on all %d tabs, from the send:   p50 %.1f, p99 %.1f, max %.1f ms\n", l.Tabs, l.FromSendP50, l.FromSendP99, l.FromSendMax)
	fmt.Fprintf(w, "  from the first send until every tab had every message: %.1f s; CPU used meanwhile: server %.1f s, this program (sender and tabs) %.1f s\n",
		l.WallS, l.ServerCPUS, l.ClientCPUS)
	fmt.Fprintf(w, "  events per tab: min %d, max %d of %d; missed %d, duplicates %d, reconnects %d, resets %d\n",
		l.PerTabMin, l.PerTabMax, l.Sent, l.Missed, l.Duplicates, l.Reconnects, l.ResetEvents)
	fmt.Fprintf(w, "  server VmRSS: %d KiB before the tabs, %d KiB with %d tabs (%.1f KiB per tab), %d KiB after the messages\n",
		l.RSSBefore, l.RSSConnected, l.Tabs, l.PerTabKiB, l.RSSAfter)
	fmt.Fprintf(w, "  server Go heap in use: %d KiB before, %d KiB with the tabs (%.1f KiB per tab); goroutines %d, then %d\n",
		l.HeapBefore, l.HeapConnected, l.HeapPerTabKiB, l.GoroutinesBefore, l.GoroutinesConnected)
	for _, a := range r.Load {
		fmt.Fprintf(w, "load average %-28s %s\n", a.Phase+":", a.Load)
	}
}

func pair(a, b float64) string {
	if a == 0 && b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f / %.1f", a, b)
}

func run(ctx context.Context, c config) (res result, err error) {
	res = result{Store: "sqlite", Contacts: c.contacts, Thread: c.thread}
	dir, done, err := benchkit.WorkDir(c.dir, "inboxlive", c.keep, logf)
	if err != nil {
		return res, err
	}
	defer done()
	bin, err := benchkit.Binary(ctx, c.carillonBin, dir, "carillon", "./cmd/carillon", logf)
	if err != nil {
		return res, err
	}
	data := filepath.Join(dir, "data")
	storeArgs := []string{"--data", data}
	dbURL := ""
	if c.databaseURL != "" {
		res.Store = "postgres"
	}
	fixturePath := filepath.Join(dir, "fixture.json")
	var fx fixture
	if saved, err := os.ReadFile(fixturePath); err == nil {
		if err := json.Unmarshal(saved, &fx); err != nil {
			return res, fmt.Errorf("%s: %w", fixturePath, err)
		}
		if c.databaseURL != "" {
			if dbURL, err = benchkit.SchemaURL(c.databaseURL, c.schema); err != nil {
				return res, err
			}
			storeArgs = append(storeArgs, "--database-url", dbURL)
		}
		res.Contacts, res.Thread = len(fx.Contacts), fx.Thread
		if messagesToSend(c) > len(fx.Contacts)-1 {
			return res, fmt.Errorf("the store has %d contacts: too few for -rate × -duration", len(fx.Contacts))
		}
		logf("measuring the store filled before in %s", dir)
	} else {
		if c.databaseURL != "" {
			u, drop, err := benchkit.FreshSchema(ctx, c.databaseURL, c.schema, c.keep, logf)
			if err != nil {
				return res, err
			}
			if c.dir == "" {
				defer drop()
			}
			dbURL = u
			storeArgs = append(storeArgs, "--database-url", dbURL)
		}
		for _, u := range []struct{ email, role string }{{adminEmail, string(carillon.RoleAdmin)}, {agentEmail, string(carillon.RoleAgent)}} {
			cmd := exec.CommandContext(ctx, bin, append([]string{"users", "create", "--email", u.email, "--name", "Bench " + u.role,
				"--role", u.role, "--password-stdin"}, storeArgs...)...)
			cmd.Stdin = strings.NewReader(password + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				return res, fmt.Errorf("carillon users create %s: %v\n%s", u.role, err, out)
			}
		}
		out, err := exec.CommandContext(ctx, bin, append([]string{"keys", "create", "--name", "inboxlive"}, storeArgs...)...).Output()
		if err != nil {
			return res, fmt.Errorf("carillon keys create: %v", err)
		}
		lines := strings.Fields(strings.TrimSpace(string(out)))
		if len(lines) == 0 || !strings.HasPrefix(lines[len(lines)-1], "crln_") {
			return res, fmt.Errorf("carillon keys create printed no key: %q", out)
		}
		start := time.Now()
		if fx, err = fill(ctx, c, data, dbURL); err != nil {
			return res, fmt.Errorf("fill: %w", err)
		}
		fx.APIKey = lines[len(lines)-1]
		if c.databaseURL != "" {
			if err := benchkit.Vacuum(ctx, dbURL, c.schema, logf); err != nil {
				return res, err
			}
		}
		fx.FillS = time.Since(start).Seconds()
		logf("filled in %.1f s", fx.FillS)
		saved, _ := json.Marshal(fx)
		if err := os.WriteFile(fixturePath, saved, 0o600); err != nil {
			return res, err
		}
	}
	res.FillS = fx.FillS

	base, pid, stopServe, err := benchkit.Serve(ctx, bin, dir, storeArgs...)
	if err != nil {
		return res, err
	}
	defer stopServe()
	cookie, err := benchkit.SignIn(ctx, base, agentEmail, password)
	if err != nil {
		return res, fmt.Errorf("sign in: %w", err)
	}
	if !c.skipPages {
		res.Load = append(res.Load, loadavg("before the pages"))
		pages := []struct{ name, path string }{{"inbox", "/inbox?view=all"}, {"thread", "/chat/" + fx.ThreadChat}}
		for _, p := range pages {
			pr, err := serverTime(ctx, base, cookie, p.name, p.path, c.requests)
			if err != nil {
				return res, err
			}
			res.Pages = append(res.Pages, pr)
		}
		if c.ceilingBin != "off" {
			// The pages' server time beside what a server that does nothing
			// answers in, requested the same way at the same moment.
			ceiling, stop, err := benchkit.Ceiling(ctx, c.ceilingBin, dir, logf)
			if err != nil {
				return res, err
			}
			pr, err := serverTime(ctx, ceiling, "", "ceiling", "/readyz", c.requests)
			stop()
			if err != nil {
				return res, err
			}
			res.Ceiling = &pr
		}
		if c.chromium != "off" {
			if err := browserTime(ctx, c, base, cookie, res.Pages); err != nil {
				return res, fmt.Errorf("browser: %w", err)
			}
		}
		res.Load = append(res.Load, loadavg("after the pages"))
	}
	res.Live, err = live(ctx, c, base, pid, fx, &res.Load)
	return res, err
}

// fill writes the conversations through the store's exported methods, on
// the store serve will open: -contacts contacts on the main WhatsApp
// channel, all in the account's first team (of which the agent is made a
// member), open, each with one message from the customer over the last 30
// days; the first of them (the oldest) with a thread of -thread messages,
// in and out in turn, the last one a minute ago.
func fill(ctx context.Context, c config, data, dbURL string) (fx fixture, err error) {
	db, err := benchkit.OpenStore(ctx, data, dbURL)
	if err != nil {
		return fx, err
	}
	defer db.Close()
	acct, err := db.AccountByName(ctx, carillon.DefaultAccountName)
	if err != nil {
		return fx, err
	}
	teams, err := db.AllTeams(ctx, acct.ID)
	if err != nil || len(teams) == 0 {
		return fx, fmt.Errorf("teams: %v", err)
	}
	agent, err := db.UserByEmail(ctx, acct.ID, agentEmail)
	if err != nil {
		return fx, err
	}
	if err := db.AddTeamMember(ctx, teams[0].ID, agent.ID, time.Now()); err != nil {
		return fx, fmt.Errorf("agent in team %s: %w", teams[0].Name, err)
	}
	main, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
	if err != nil {
		return fx, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	span := 30 * 24 * time.Hour
	at := func(i, n int) time.Time { return now.Add(-span + span/time.Duration(n)*time.Duration(i)) }

	logf("writing %d conversations with a message each", c.contacts)
	ids := make([]int64, c.contacts)
	fx.Contacts = make([]string, c.contacts)
	fx.Thread = c.thread
	if err := benchkit.InBatches(ctx, db, c.contacts, c.batch, logf, func(q carillon.Queries, i int) error {
		t := at(i, c.contacts)
		last := t
		if i == 0 {
			last = now.Add(-time.Minute)
		}
		ct := carillon.Contact{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: main.ID, Address: address(i),
			Name: fmt.Sprintf("Customer %d", i), CreatedAt: t, UpdatedAt: last, LastInboundAt: last,
			LastMessageAt: last, LastMessageDirection: carillon.Inbound,
			ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: t, TeamID: teams[0].ID}
		if err := q.CreateContact(ctx, &ct); err != nil {
			return err
		}
		ids[i], fx.Contacts[i] = ct.ID, ct.UUID
		if i == 0 {
			fx.ThreadChat = ct.ConversationUUID
			return nil
		}
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: main.ID, ContactID: ct.ID,
			Direction: carillon.Inbound, Status: carillon.StatusReceived, ExternalID: "wamid.in." + strconv.Itoa(i),
			Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprintf("Hello, I have a question about order SO-%07d.", i)},
			CreatedAt: t, UpdatedAt: t}
		return q.CreateMessage(ctx, &m)
	}); err != nil {
		return fx, err
	}
	logf("writing the thread of %d messages", c.thread)
	first := at(0, c.contacts)
	end := now.Add(-time.Minute)
	step := end.Sub(first) / time.Duration(c.thread)
	if err := benchkit.InBatches(ctx, db, c.thread, c.batch, logf, func(q carillon.Queries, i int) error {
		t := end.Add(-step * time.Duration(c.thread-1-i))
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: main.ID, ContactID: ids[0],
			Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprintf("Message %d of this conversation, about order SO-%07d and its delivery.", i, i)},
			CreatedAt: t, UpdatedAt: t}
		if (c.thread-1-i)%2 == 0 {
			m.Direction, m.Status, m.ExternalID = carillon.Inbound, carillon.StatusReceived, "wamid.thread.in."+strconv.Itoa(i)
		} else {
			m.Direction, m.SendState, m.Status, m.Attempts = carillon.Outbound, carillon.SendDone, carillon.StatusRead, 1
			m.ExternalID = "wamid.thread.out." + strconv.Itoa(i)
			m.StatusPayload = json.RawMessage(`{"status":"read"}`)
		}
		if err := q.CreateMessage(ctx, &m); err != nil {
			return err
		}
		if m.Direction == carillon.Outbound {
			for k, s := range carillon.Advance(carillon.StatusEnqueued, carillon.StatusRead) {
				if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: m.ID, Status: s, Applied: true,
					Payload: json.RawMessage(`{"status":"` + string(s) + `"}`), CreatedAt: t.Add(time.Duration(k+1) * time.Second)}); err != nil {
					return err
				}
			}
		}
		return nil
	}); err != nil {
		return fx, err
	}
	return fx, nil
}

// serverTime requests path as the agent 5 times (not counted), then n
// times, one after another on one keep-alive connection, timing each from
// sending the request to reading the last byte.
func serverTime(ctx context.Context, base, cookie, name, path string, n int) (pageResult, error) {
	pr := pageResult{Name: name, Path: path}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1}}
	var times []time.Duration
	for i := range n + 5 {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+path, nil)
		req.Header.Set("Cookie", cookie)
		start := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return pr, err
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		d := time.Since(start)
		if err != nil || resp.StatusCode != http.StatusOK {
			return pr, fmt.Errorf("GET %s: %d %v", path, resp.StatusCode, err)
		}
		pr.Bytes = len(body)
		if i >= 5 {
			times = append(times, d)
		}
	}
	slices.Sort(times)
	pr.ServerN, pr.ServerP50, pr.ServerP99 = len(times), benchkit.Rank(times, 0.5), benchkit.Rank(times, 0.99)
	return pr, nil
}

// navTiming reads the last navigation's timing, once its first
// contentful paint is known (-1 while it is not).
const navTiming = `(() => {
  const n = performance.getEntriesByType('navigation')[0];
  const p = performance.getEntriesByName('first-contentful-paint')[0];
  return {responseEnd: n.responseEnd, dcl: n.domContentLoadedEventEnd, fcp: p ? p.startTime : -1};
})()`

type navTimes struct {
	ResponseEnd float64 `json:"responseEnd"`
	DCL         float64 `json:"dcl"`
	FCP         float64 `json:"fcp"`
}

// browserTime loads each page c.loads times (after 2 loads not counted)
// in one tab of a headless chromium signed in as the agent, and reads the
// Navigation and Paint Timing of each load.
func browserTime(ctx context.Context, c config, base, cookie string, pages []pageResult) error {
	profile, err := os.MkdirTemp("", "carillon-inboxlive-chromium-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(c.chromium),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(profile),
	)
	defer cancelAlloc()
	bctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	name, value, _ := strings.Cut(cookie, "=")
	if err := chromedp.Do(bctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: base + "/"})
		return err
	})); err != nil {
		return err
	}
	for k := range pages {
		p := &pages[k]
		var resp, dcl, fcp []time.Duration
		for i := range c.loads + 2 {
			if err := chromedp.Do(bctx, chromedp.Navigate(base+p.Path)); err != nil {
				return fmt.Errorf("%s: %w", p.Path, err)
			}
			var t navTimes
			for try := 0; try < 50; try++ {
				if t, err = chromedp.Run(bctx, chromedp.Evaluate[navTimes](navTiming)); err != nil {
					return err
				}
				if t.FCP >= 0 {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if t.FCP < 0 {
				return fmt.Errorf("%s: no first-contentful-paint", p.Path)
			}
			if i < 2 {
				continue
			}
			ms := func(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }
			resp, dcl, fcp = append(resp, ms(t.ResponseEnd)), append(dcl, ms(t.DCL)), append(fcp, ms(t.FCP))
		}
		for _, s := range [][]time.Duration{resp, dcl, fcp} {
			slices.Sort(s)
		}
		p.BrowserN = len(resp)
		p.ResponseEnd50, p.ResponseEnd99 = benchkit.Rank(resp, 0.5), benchkit.Rank(resp, 0.99)
		p.DCL50, p.DCL99 = benchkit.Rank(dcl, 0.5), benchkit.Rank(dcl, 0.99)
		p.FCP50, p.FCP99 = benchkit.Rank(fcp, 0.5), benchkit.Rank(fcp, 0.99)
	}
	return nil
}

// stableRSS reads vmRSS every second until five readings in a row are
// within 1 MiB of each other (at most a minute), and returns their
// median: the Go runtime returns freed memory to the system gradually, so
// a reading taken just after a burst of work (sign-ins hash passwords
// with much memory) is that burst's, not the steady state's.
func stableRSS(pid int) (int, error) {
	var v []int
	for start := time.Now(); ; time.Sleep(time.Second) {
		k, err := benchkit.VmRSS(pid)
		if err != nil {
			return 0, err
		}
		v = append(v, k)
		if len(v) < 5 {
			continue
		}
		last := slices.Clone(v[len(v)-5:])
		slices.Sort(last)
		if last[4]-last[0] < 1024 || time.Since(start) > time.Minute {
			return last[2], nil
		}
	}
}

// goMetrics reads the server's Go heap in use (KiB), goroutines and
// completed garbage collections from /metrics (the Go collector's
// go_memstats_heap_inuse_bytes, go_goroutines and
// go_gc_duration_seconds_count).
func goMetrics(base string) (heapKiB, goroutines, gcs int, err error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, 0, 0, err
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		for _, m := range []struct {
			prefix string
			to     *int
			div    float64
		}{{"go_memstats_heap_inuse_bytes ", &heapKiB, 1024}, {"go_goroutines ", &goroutines, 1}, {"go_gc_duration_seconds_count ", &gcs, 1}} {
			if v, ok := strings.CutPrefix(line, m.prefix); ok {
				f, _ := strconv.ParseFloat(v, 64)
				*m.to = int(f / m.div)
			}
		}
	}
	return heapKiB, goroutines, gcs, sc.Err()
}

// liveHeap is the server's heap in use once the garbage of what came
// before is collected: it reads /metrics (which makes some garbage of its
// own) until two collections have run since the first reading, then
// returns the least heap in use of the next 10 readings, with the
// goroutines.
func liveHeap(ctx context.Context, base string) (heapKiB, goroutines int, err error) {
	_, _, gc0, err := goMetrics(base)
	if err != nil {
		return 0, 0, err
	}
	for start := time.Now(); time.Since(start) < 3*time.Minute; {
		if ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
		_, _, gc, err := goMetrics(base)
		if err != nil {
			return 0, 0, err
		}
		if gc >= gc0+2 {
			break
		}
	}
	heapKiB = -1
	for range 10 {
		h, g, _, err := goMetrics(base)
		if err != nil {
			return 0, 0, err
		}
		if heapKiB < 0 || h < heapKiB {
			heapKiB, goroutines = h, g
		}
	}
	return heapKiB, goroutines, nil
}

// cpuTime is the CPU time (user and system) process pid has used, from
// /proc/<pid>/stat (clock ticks of 10 ms).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The fields after the command's name, which is in parentheses.
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	if len(f) < 13 {
		return 0, errors.New("short /proc/pid/stat")
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// tab is one stream of /inbox/events, as a browser tab follows it.
type tab struct {
	cookie string
	client *http.Client
	// read[i] is when message i's message_created was first read (since
	// epoch, +1 ns), 0 while it was not.
	read       []atomic.Int64
	got        atomic.Int64
	dups       atomic.Int64
	resets     atomic.Int64
	reconnects atomic.Int64
	open       chan struct{} // closed once the stream answered
}

var (
	kindCreated = []byte(`"kind":"message_created"`)
	contactKey  = []byte(`"contact":"`)
)

// follow reads the stream until ctx ends, opening it again with
// Last-Event-ID when it breaks, as the console's script does.
func (t *tab) follow(ctx context.Context, base string, epoch time.Time, index map[string]int) {
	lastID := ""
	opened := false
	for ctx.Err() == nil {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/inbox/events", nil)
		req.Header.Set("Cookie", t.cookie)
		req.Header.Set("Accept", "text/event-stream")
		if lastID != "" {
			req.Header.Set("Last-Event-ID", lastID)
		}
		resp, err := t.client.Do(req)
		if err == nil && resp.StatusCode != http.StatusOK {
			resp.Body.Close()
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if err != nil {
			if ctx.Err() == nil {
				logf("tab stream: %v", err)
				t.reconnects.Add(1)
				time.Sleep(time.Second)
			}
			continue
		}
		if !opened {
			opened = true
			close(t.open)
		}
		r := bufio.NewReaderSize(resp.Body, 64<<10)
		for {
			line, err := r.ReadSlice('\n')
			if err != nil {
				break
			}
			now := time.Since(epoch)
			switch {
			case bytes.HasPrefix(line, []byte("id: ")):
				lastID = string(bytes.TrimSpace(line[4:]))
			case bytes.HasPrefix(line, []byte("data: ")):
				if bytes.Contains(line, []byte(`"kind":"reset"`)) {
					t.resets.Add(1)
					continue
				}
				if !bytes.Contains(line, kindCreated) {
					continue
				}
				k := bytes.Index(line, contactKey)
				if k < 0 {
					continue
				}
				rest := line[k+len(contactKey):]
				e := bytes.IndexByte(rest, '"')
				if e < 0 {
					continue
				}
				i, ok := index[string(rest[:e])]
				if !ok {
					continue
				}
				if t.read[i].CompareAndSwap(0, int64(now)+1) {
					t.got.Add(1)
				} else {
					t.dups.Add(1)
				}
			}
		}
		resp.Body.Close()
		if ctx.Err() == nil {
			t.reconnects.Add(1)
		}
	}
}

// live connects the tabs, sends the inbound messages on schedule and
// waits until every tab has read every answered message (or -wait has
// passed since the last answer).
func live(ctx context.Context, c config, base string, pid int, fx fixture, loads *[]loadAverage) (liveResult, error) {
	n := messagesToSend(c)
	lr := liveResult{Tabs: c.tabs, Rate: c.rate, DurationS: c.duration.Seconds()}
	// Message i goes to contact i+1 (0 is the long thread).
	index := make(map[string]int, n)
	for i := range n {
		index[fx.Contacts[i+1]] = i
	}
	logf("signing in %d sessions", c.tabs)
	tabs := make([]*tab, c.tabs)
	for k := range tabs {
		cookie, err := benchkit.SignIn(ctx, base, agentEmail, password)
		if err != nil {
			return lr, fmt.Errorf("sign in: %w", err)
		}
		tabs[k] = &tab{cookie: cookie, client: &http.Client{Transport: &http.Transport{DisableCompression: true}},
			read: make([]atomic.Int64, n), open: make(chan struct{})}
	}
	var err error
	if lr.HeapBefore, lr.GoroutinesBefore, err = liveHeap(ctx, base); err != nil {
		return lr, err
	}
	if lr.RSSBefore, err = stableRSS(pid); err != nil {
		return lr, err
	}
	*loads = append(*loads, loadavg("before the tabs"))
	epoch := time.Now()
	tctx, stopTabs := context.WithCancel(ctx)
	defer stopTabs()
	var wg sync.WaitGroup
	for _, t := range tabs {
		wg.Add(1)
		go func() { defer wg.Done(); t.follow(tctx, base, epoch, index) }()
	}
	defer wg.Wait()
	for _, t := range tabs {
		select {
		case <-t.open:
		case <-ctx.Done():
			return lr, ctx.Err()
		case <-time.After(time.Minute):
			return lr, errors.New("a tab's stream did not open within a minute")
		}
	}
	if lr.HeapConnected, lr.GoroutinesConnected, err = liveHeap(ctx, base); err != nil {
		return lr, err
	}
	if lr.RSSConnected, err = stableRSS(pid); err != nil {
		return lr, err
	}
	lr.PerTabKiB = float64(lr.RSSConnected-lr.RSSBefore) / float64(c.tabs)
	lr.HeapPerTabKiB = float64(lr.HeapConnected-lr.HeapBefore) / float64(c.tabs)
	*loads = append(*loads, loadavg("tabs connected"))

	logf("sending %d inbound messages at %d/s on %d connections", n, c.rate, c.conns)
	sent := make([]time.Duration, n)     // when its request was sent, since epoch
	answered := make([]time.Duration, n) // when its answer was read, 0 if it failed
	jobs := make(chan int, n)
	transport := &http.Transport{MaxIdleConnsPerHost: c.conns, MaxConnsPerHost: c.conns}
	client := &http.Client{Transport: transport, Timeout: 30 * time.Second}
	var senders sync.WaitGroup
	var failed atomic.Int64
	for range c.conns {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for i := range jobs {
				body := fmt.Sprintf(`{"from":"+%s","text":"Inbound message %d: is my order on its way?"}`, address(i+1), i)
				req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+"/v1/sandbox/inbound", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+fx.APIKey)
				req.Header.Set("Content-Type", "application/json")
				sent[i] = time.Since(epoch)
				resp, err := client.Do(req)
				if err != nil {
					failed.Add(1)
					logf("inbound %d: %v", i, err)
					continue
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					if failed.Add(1) <= 5 {
						logf("inbound %d: status %d", i, resp.StatusCode)
					}
					continue
				}
				answered[i] = time.Since(epoch)
			}
		}()
	}
	serverCPU0, err := cpuTime(pid)
	if err != nil {
		return lr, err
	}
	ownCPU0, _ := cpuTime(os.Getpid())
	loadStart := time.Now()
	interval := time.Second / time.Duration(c.rate)
	for i := range n {
		if d := time.Until(loadStart.Add(interval * time.Duration(i))); d > 0 {
			time.Sleep(d)
		}
		jobs <- i
	}
	close(jobs)
	*loads = append(*loads, loadavg("end of the sending"))
	senders.Wait()
	lastAnswer := time.Now()
	var lag time.Duration
	startOffset := loadStart.Sub(epoch)
	for i := range n {
		lag = max(lag, sent[i]-startOffset-interval*time.Duration(i))
	}
	lr.SendLagMax = float64(lag) / float64(time.Millisecond)
	lr.Failed = int(failed.Load())
	var firstSent, lastAns time.Duration = -1, 0
	var inbound []time.Duration
	ok := 0
	for i := range n {
		if answered[i] == 0 {
			continue
		}
		ok++
		if firstSent < 0 || sent[i] < firstSent {
			firstSent = sent[i]
		}
		lastAns = max(lastAns, answered[i])
		inbound = append(inbound, answered[i]-sent[i])
	}
	lr.Sent = ok
	if ok > 0 {
		lr.SentPerS = float64(ok) / (lastAns - firstSent).Seconds()
	}
	logf("%d answered; waiting for the tabs", ok)
	for time.Since(lastAnswer) < c.wait {
		all := true
		for _, t := range tabs {
			if int(t.got.Load()) < ok {
				all = false
				break
			}
		}
		if all {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	*loads = append(*loads, loadavg("after the tabs read all"))
	wall := time.Since(loadStart)
	serverCPU1, err := cpuTime(pid)
	if err != nil {
		return lr, err
	}
	ownCPU1, _ := cpuTime(os.Getpid())
	lr.WallS, lr.ServerCPUS, lr.ClientCPUS = wall.Seconds(), (serverCPU1 - serverCPU0).Seconds(), (ownCPU1 - ownCPU0).Seconds()
	if lr.RSSAfter, err = benchkit.VmRSS(pid); err != nil {
		return lr, err
	}
	stopTabs()

	var fromAnswer, fromSend []time.Duration
	under := 0
	lr.PerTabMin = n
	for _, t := range tabs {
		g := int(t.got.Load())
		lr.PerTabMin, lr.PerTabMax = min(lr.PerTabMin, g), max(lr.PerTabMax, g)
		lr.Duplicates += int(t.dups.Load())
		lr.Reconnects += int(t.reconnects.Load())
		lr.ResetEvents += int(t.resets.Load())
	}
	for i := range n {
		if answered[i] == 0 {
			continue
		}
		var last time.Duration
		missed := false
		for _, t := range tabs {
			v := t.read[i].Load()
			if v == 0 {
				lr.Missed++
				missed = true
				continue
			}
			last = max(last, time.Duration(v-1))
		}
		if missed {
			continue
		}
		fa := last - answered[i]
		if fa < 0 {
			lr.BeforeAnswer++
			fa = 0
		}
		if fa < time.Second {
			under++
		}
		fromAnswer = append(fromAnswer, fa)
		fromSend = append(fromSend, last-sent[i])
	}
	for _, s := range [][]time.Duration{inbound, fromAnswer, fromSend} {
		slices.Sort(s)
	}
	lr.InboundP50, lr.InboundP99 = benchkit.Rank(inbound, 0.5), benchkit.Rank(inbound, 0.99)
	lr.FromAnswerP50, lr.FromAnswerP99, lr.FromAnswerMax = benchkit.Rank(fromAnswer, 0.5), benchkit.Rank(fromAnswer, 0.99), benchkit.Rank(fromAnswer, 1)
	lr.FromSendP50, lr.FromSendP99, lr.FromSendMax = benchkit.Rank(fromSend, 0.5), benchkit.Rank(fromSend, 0.99), benchkit.Rank(fromSend, 1)
	if ok > 0 {
		lr.UnderOneS = 100 * float64(under) / float64(ok)
	}
	return lr, nil
}
