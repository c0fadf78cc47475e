// Command apireads measures the API's reads on a large store: it fills a
// store with -messages messages over -contacts contacts, starts the real
// `carillon serve` on it, and requests each read for -duration from -conns
// connections at once, each on its own keep-alive connection, back to
// back: a page of contacts (the first, a deep one, filtered), a contact,
// a contact's messages (the first page and a deep one of a long thread),
// a message's status. Just before, it requests bench/ceiling's GET
// /readyz the same way: what a server that does nothing answers on this
// machine at that moment. It prints, per read, the answers per second,
// p50/p99/max of the time from sending the request to reading the whole
// answer and the server's CPU time per answer (with -profile-dir, a CPU
// profile of the server over the read); the server's resident memory; and
// the database's size per stored message.
//
// The store is filled through package store's exported methods, in
// transactions, as bench/consolepages fills it (bench/internal/benchkit);
// the account and its API key are made by `carillon keys create`.
//
// Usage:
//
//	apireads [-database-url postgres://...] [-messages 1000000] [-contacts 200000] [-thread 5000] [-conns 16] [-duration 10s] [-dir DIR] [-reads REGEXP] [-profile-dir DIR]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/bench/internal/benchkit"
)

type config struct {
	carillonBin string
	ceilingBin  string
	databaseURL string
	schema      string
	messages    int
	contacts    int
	thread      int
	batch       int
	conns       int
	duration    time.Duration
	warmup      time.Duration
	keep        bool
	dir         string
	jsonOut     bool
	reads       *regexp.Regexp
	profileDir  string
}

func main() {
	var c config
	flag.StringVar(&c.carillonBin, "carillon", "", "the carillon binary (default: built from ./cmd/carillon into the work directory)")
	flag.StringVar(&c.ceilingBin, "ceiling", "", "the bench/ceiling binary (default: built from ./bench/ceiling); \"off\" measures no ceiling")
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: SQLite in the work directory)")
	flag.StringVar(&c.schema, "schema", "bench_apireads", "PostgreSQL schema, dropped and created again when the store is filled")
	flag.IntVar(&c.messages, "messages", 1_000_000, "messages to store")
	flag.IntVar(&c.contacts, "contacts", 200_000, "contacts to store")
	flag.IntVar(&c.thread, "thread", 5000, "messages of the one long thread (counted in -messages)")
	flag.IntVar(&c.batch, "batch", 10_000, "rows written per transaction")
	flag.IntVar(&c.conns, "conns", 16, "concurrent connections")
	flag.DurationVar(&c.duration, "duration", 10*time.Second, "measured time per read")
	flag.DurationVar(&c.warmup, "warmup", 2*time.Second, "requests per read before measuring, not counted")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (and the PostgreSQL schema)")
	flag.StringVar(&c.dir, "dir", "", "work in this directory and keep it; a directory filled by an earlier run (its fixture.json) is measured again without filling")
	flag.BoolVar(&c.jsonOut, "json", false, "print the result as one JSON object")
	readsExpr := flag.String("reads", "", "measure only the reads whose name matches this regular expression (default: all)")
	flag.StringVar(&c.profileDir, "profile-dir", "", "save a CPU profile of the server over each read's measured span in this folder (serve --pprof-addr)")
	flag.Parse()
	if *readsExpr != "" {
		re, err := regexp.Compile(*readsExpr)
		if err != nil {
			fail(fmt.Errorf("-reads: %w", err))
		}
		c.reads = re
	}
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments: %s", strings.Join(flag.Args(), " ")))
	}
	if c.contacts < 100 || c.thread < 50 || c.messages < c.contacts+c.thread || c.conns < 1 || c.batch < 1 || c.duration <= 0 {
		fail(errors.New("need -contacts ≥ 100, -thread ≥ 50, -messages ≥ -contacts + -thread, and -conns, -batch, -duration > 0"))
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
	if res.Errors > 0 {
		os.Exit(1)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "apireads:", err)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "apireads: "+format+"\n", args...)
}

// fixture is what the reads are requested with; it is kept beside the
// store (fixture.json) so that -dir can measure the same store again.
type fixture struct {
	APIKey        string   `json:"api_key"`
	ThreadContact string   `json:"thread_contact"` // the contact with the long thread
	Contact       string   `json:"contact"`        // a contact with a few messages
	Team          string   `json:"team"`           // a team a quarter of the contacts are in
	Tag           string   `json:"tag"`            // a tag a tenth of the contacts have
	Statuses      []string `json:"statuses"`       // messages whose status is read, spread over the store

	Messages, Contacts, Thread int
	FillS                      float64
}

type result struct {
	Store    string  `json:"store"`
	Messages int     `json:"messages"`
	Contacts int     `json:"contacts"`
	FillS    float64 `json:"fill_s"`
	Conns    int     `json:"conns"`
	Reads    []read  `json:"reads"`
	// Ceiling is bench/ceiling's GET /readyz requested the same way just
	// before the reads.
	Ceiling *read `json:"ceiling,omitempty"`
	Errors  int   `json:"errors"`
	// The server's resident memory (VmRSS) after the reads, KiB.
	RSSKiB int `json:"rss_kib"`
	// The database's size: SQLite's files, or PostgreSQL's tables with
	// their indexes and TOAST in the schema; and that divided by the
	// messages stored.
	DBBytes           int64   `json:"db_bytes"`
	DBBytesPerMessage float64 `json:"db_bytes_per_message"`
	LoadBefore        string  `json:"loadavg_before"`
	LoadAfter         string  `json:"loadavg_after"`
}

type read struct {
	Name   string  `json:"name"`
	Path   string  `json:"path"`
	N      int     `json:"n"`
	Errors int     `json:"errors"`
	Bytes  int     `json:"bytes"`
	Rate   float64 `json:"per_s"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
	// The server's CPU time (user and system, from /proc, in ticks of
	// 10 ms) over the measured span divided by the answers counted: what
	// one answer costs the server, whatever else the machine runs.
	CPUPerAnswer float64 `json:"server_cpu_ms_per_answer,omitempty"`
	Profile      string  `json:"profile,omitempty"`
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "store %s: %d messages, %d contacts (filled in %.0f s)\n", r.Store, r.Messages, r.Contacts, r.FillS)
	fmt.Fprintf(w, "each read for its own span from %d connections; time per request at the client over loopback:\n", r.Conns)
	fmt.Fprintf(w, "%-30s %8s %9s %8s %8s %8s %7s %11s\n", "read", "n", "per s", "p50 ms", "p99 ms", "max ms", "KiB", "server CPU")
	line := func(name string, p read) {
		fmt.Fprintf(w, "%-30s %8d %9.0f %8.2f %8.2f %8.2f %7.1f", name, p.N, p.Rate, p.P50, p.P99, p.Max, float64(p.Bytes)/1024)
		if p.CPUPerAnswer > 0 {
			fmt.Fprintf(w, " %6.3f ms/a", p.CPUPerAnswer)
		}
		if p.Errors > 0 {
			fmt.Fprintf(w, "  %d ERRORS", p.Errors)
		}
		fmt.Fprintln(w)
	}
	if r.Ceiling != nil {
		line("ceiling (bench/ceiling)", *r.Ceiling)
	}
	for _, p := range r.Reads {
		line(p.Name, p)
	}
	fmt.Fprintf(w, "server VmRSS after the reads: %d KiB (%.0f MiB)\n", r.RSSKiB, float64(r.RSSKiB)/1024)
	fmt.Fprintf(w, "database: %d bytes, %.0f bytes per stored message\n", r.DBBytes, r.DBBytesPerMessage)
	fmt.Fprintf(w, "load average before: %s; after: %s\n", r.LoadBefore, r.LoadAfter)
	fmt.Fprintf(w, "errors: %d\n", r.Errors)
}

func run(ctx context.Context, c config) (res result, err error) {
	res = result{Store: "sqlite", Conns: c.conns}
	dir, done, err := benchkit.WorkDir(c.dir, "apireads", c.keep, logf)
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
	fixturePath := filepath.Join(dir, "fixture.json")
	var fx fixture
	if saved, err := os.ReadFile(fixturePath); err == nil {
		// Filled by an earlier run: measure it again.
		if err := json.Unmarshal(saved, &fx); err != nil {
			return res, fmt.Errorf("%s: %w", fixturePath, err)
		}
		if c.databaseURL != "" {
			if dbURL, err = benchkit.SchemaURL(c.databaseURL, c.schema); err != nil {
				return res, err
			}
		}
		logf("measuring the store filled before in %s", dir)
	} else {
		if c.databaseURL != "" {
			u, drop, err := benchkit.FreshSchema(ctx, c.databaseURL, c.schema, c.keep || c.dir != "", logf)
			if err != nil {
				return res, err
			}
			defer drop()
			dbURL = u
		}
		keyArgs := []string{"keys", "create", "--name", "apireads", "--data", data}
		if dbURL != "" {
			keyArgs = append(keyArgs, "--database-url", dbURL)
		}
		out, err := exec.CommandContext(ctx, bin, keyArgs...).Output()
		if err != nil {
			return res, fmt.Errorf("carillon keys create: %v", err)
		}
		words := strings.Fields(strings.TrimSpace(string(out)))
		if len(words) == 0 || !strings.HasPrefix(words[len(words)-1], "crln_") {
			return res, fmt.Errorf("carillon keys create printed no key: %q", out)
		}
		start := time.Now()
		if fx, err = fill(ctx, c, data, dbURL); err != nil {
			return res, fmt.Errorf("fill: %w", err)
		}
		if dbURL != "" {
			if err := benchkit.Vacuum(ctx, dbURL, c.schema, logf); err != nil {
				return res, err
			}
		}
		fx.APIKey = words[len(words)-1]
		fx.Messages, fx.Contacts, fx.Thread, fx.FillS = c.messages, c.contacts, c.thread, time.Since(start).Seconds()
		logf("filled in %.1f s", fx.FillS)
		saved, _ := json.MarshalIndent(fx, "", "  ")
		if err := os.WriteFile(fixturePath, saved, 0o600); err != nil {
			return res, err
		}
	}
	if dbURL != "" {
		res.Store = "postgres"
		storeArgs = append(storeArgs, "--database-url", dbURL)
	}
	res.Messages, res.Contacts, res.FillS = fx.Messages, fx.Contacts, fx.FillS
	res.LoadBefore = loadavg()

	if c.ceilingBin != "off" {
		base, stop, err := benchkit.Ceiling(ctx, c.ceilingBin, dir, logf)
		if err != nil {
			return res, fmt.Errorf("ceiling: %w", err)
		}
		r, err := measure(ctx, c, base, "", "ceiling", []string{"/readyz"}, nil)
		stop()
		if err != nil {
			return res, err
		}
		res.Ceiling = &r
	}

	srv := &server{}
	if c.profileDir != "" {
		if srv.pprof, err = benchkit.FreeAddr(); err != nil {
			return res, err
		}
		if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
			return res, err
		}
		srv.profileDir = c.profileDir + string(os.PathSeparator) + res.Store + "-"
		storeArgs = append(storeArgs, "--pprof-addr", srv.pprof)
	}
	base, pid, stopServe, err := benchkit.Serve(ctx, bin, dir, storeArgs...)
	if err != nil {
		return res, err
	}
	defer stopServe()
	srv.pid = pid
	deep := fx.Contacts / 25 / 2
	deepThread := fx.Thread / 25 / 2
	deepTag := fx.Contacts / 10 / 25 / 2 // the fill tags a tenth of the contacts
	statusPaths := make([]string, len(fx.Statuses))
	for i, u := range fx.Statuses {
		statusPaths[i] = "/v1/messages/status/" + u
	}
	reads := []struct {
		name  string
		paths []string
	}{
		{"contacts page 1", []string{"/v1/contacts?page=1"}},
		{"contacts page 500", []string{"/v1/contacts?page=500"}},
		{fmt.Sprintf("contacts page %d (half way)", deep), []string{"/v1/contacts?page=" + strconv.Itoa(deep)}},
		{"contacts source=whatsapp", []string{"/v1/contacts?source=whatsapp"}},
		{"contacts team_uuid (1/4)", []string{"/v1/contacts?team_uuid=" + fx.Team}},
		{"contacts tags (1/10)", []string{"/v1/contacts?tags=" + url.QueryEscape(fx.Tag)}},
		{"contacts tags (1/10) page 40", []string{"/v1/contacts?tags=" + url.QueryEscape(fx.Tag) + "&page=40"}},
		{fmt.Sprintf("contacts tags (1/10) page %d (half way)", deepTag), []string{"/v1/contacts?tags=" + url.QueryEscape(fx.Tag) + "&page=" + strconv.Itoa(deepTag)}},
		{"contact", []string{"/v1/contacts/" + fx.Contact}},
		{"contact messages", []string{"/v1/contacts/" + fx.Contact + "/messages"}},
		{"thread messages page 1", []string{"/v1/contacts/" + fx.ThreadContact + "/messages"}},
		{fmt.Sprintf("thread messages page %d", deepThread), []string{"/v1/contacts/" + fx.ThreadContact + "/messages?page=" + strconv.Itoa(deepThread)}},
		{fmt.Sprintf("message status (%d msgs)", len(statusPaths)), statusPaths},
	}
	for _, rd := range reads {
		if c.reads != nil && !c.reads.MatchString(rd.name) {
			continue
		}
		r, err := measure(ctx, c, base, fx.APIKey, rd.name, rd.paths, srv)
		if err != nil {
			return res, err
		}
		res.Reads = append(res.Reads, r)
		res.Errors += r.Errors
	}
	res.LoadAfter = loadavg()
	if res.RSSKiB, err = benchkit.VmRSS(pid); err != nil {
		return res, err
	}
	if res.DBBytes, _, err = benchkit.StoreSize(ctx, data, dbURL); err != nil {
		return res, err
	}
	res.DBBytesPerMessage = float64(res.DBBytes) / float64(fx.Messages)
	return res, nil
}

// fill writes the contacts and messages through the store's exported
// methods, on the store serve will open (the same secret key, in the data
// folder): three WhatsApp sandbox channels; a second team, which one
// contact in four is in; a tag, which one in ten has; the contacts round
// robin over the channels; -thread messages to the first contact, in and
// out in turn; the others each to a random contact; all spread over the
// last 90 days, half in (received) and half out (sent, delivered, read
// twice as often, failed), the ones out with their status history.
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
	now := time.Now().UTC().Truncate(time.Millisecond)
	sales := carillon.Team{UUID: carillon.NewUUID(), AccountID: acct.ID, Name: "Bench Sales", CreatedAt: now}
	if err := db.CreateTeam(ctx, &sales); err != nil {
		return fx, err
	}
	tag := carillon.Tag{AccountID: acct.ID, Name: "vip", CreatedAt: now}
	if err := db.CreateTag(ctx, &tag); err != nil {
		return fx, err
	}
	fx.Team, fx.Tag = sales.UUID, tag.Name
	main, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
	if err != nil {
		return fx, err
	}
	channels := []carillon.Channel{main}
	for i, title := range []string{"Sandbox Sales", "Sandbox Returns"} {
		ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: acct.ID, Title: title, Type: carillon.WhatsApp,
			Provider: carillon.ProviderSandbox, Settings: map[string]string{"number": fmt.Sprintf("1555010%04d", i+1)},
			CreatedAt: now, UpdatedAt: now}
		if err := db.CreateChannel(ctx, &ch); err != nil {
			return fx, err
		}
		channels = append(channels, ch)
	}
	span := 90 * 24 * time.Hour
	spread := func(i, n int) time.Time { return now.Add(-span + span/time.Duration(n)*time.Duration(i)) }

	logf("writing %d contacts", c.contacts)
	type contactRef struct{ id, channel int64 }
	contacts := make([]contactRef, c.contacts)
	if err := benchkit.InBatches(ctx, db, c.contacts, c.batch, logf, func(q carillon.Queries, i int) error {
		ch := channels[i%len(channels)]
		created := spread(i, c.contacts)
		ct := carillon.Contact{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, Address: fmt.Sprintf("4915%09d", i),
			Name: fmt.Sprintf("Customer %d", i), CreatedAt: created, UpdatedAt: created, LastInboundAt: created,
			ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: created, TeamID: teams[0].ID}
		if i%4 == 1 {
			ct.TeamID = sales.ID
		}
		if err := q.CreateContact(ctx, &ct); err != nil {
			return err
		}
		if i%10 == 3 {
			if err := q.SetContactTags(ctx, ct.ID, []int64{tag.ID}); err != nil {
				return err
			}
		}
		contacts[i] = contactRef{ct.ID, ch.ID}
		switch i {
		case 0:
			fx.ThreadContact = ct.UUID
		case c.contacts / 2:
			fx.Contact = ct.UUID
		}
		return nil
	}); err != nil {
		return fx, err
	}

	logf("writing %d messages", c.messages)
	rng := mrand.New(mrand.NewPCG(1, 2))
	outStatuses := []carillon.Status{carillon.StatusSent, carillon.StatusDelivered, carillon.StatusRead, carillon.StatusRead, carillon.StatusFailed}
	// Every threadEvery-th message is the thread's, so that its messages
	// are spread over the store as a long conversation's are.
	threadEvery := c.messages / c.thread
	statusEvery := c.messages / 1000
	if err := benchkit.InBatches(ctx, db, c.messages, c.batch, logf, func(q carillon.Queries, i int) error {
		ct := contacts[1+rng.IntN(len(contacts)-1)]
		if i%threadEvery == 0 && i/threadEvery < c.thread {
			ct = contacts[0]
		}
		at := spread(i, c.messages)
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ct.channel, ContactID: ct.id,
			Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprintf("Hello, this is message %d about order SO-%07d.", i, i%9_999_999)},
			CreatedAt: at, UpdatedAt: at}
		var history []carillon.Status
		if i%2 == 0 {
			m.Direction, m.Status = carillon.Inbound, carillon.StatusReceived
			m.ExternalID = "wamid.in." + strconv.Itoa(i)
		} else {
			m.Direction, m.SendState = carillon.Outbound, carillon.SendDone
			m.Status = outStatuses[rng.IntN(len(outStatuses))]
			if i%statusEvery == 1 {
				m.Status = carillon.StatusRead
			}
			m.ExternalID, m.Attempts = "wamid.out."+strconv.Itoa(i), 1
			if m.Status == carillon.StatusFailed {
				m.LastError = "131026: Message undeliverable"
				m.StatusPayload = json.RawMessage(`{"code":131026,"title":"Message undeliverable"}`)
				history = []carillon.Status{carillon.StatusFailed}
			} else {
				history = carillon.Advance(carillon.StatusEnqueued, m.Status)
				m.StatusPayload = json.RawMessage(`{"status":"` + string(m.Status) + `"}`)
			}
		}
		if err := q.CreateMessage(ctx, &m); err != nil {
			return err
		}
		for k, s := range history {
			if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: m.ID, Status: s, Applied: true,
				Payload: json.RawMessage(`{"status":"` + string(s) + `"}`), CreatedAt: at.Add(time.Duration(k+1) * time.Second)}); err != nil {
				return err
			}
		}
		if i%statusEvery == 1 {
			fx.Statuses = append(fx.Statuses, m.UUID)
		}
		return nil
	}); err != nil {
		return fx, err
	}
	return fx, nil
}

// server is the carillon process measured: its pid, for its CPU time, and
// its pprof address ("" when no profile is asked for).
type server struct {
	pid        int
	pprof      string
	profileDir string // the folder and the start of each profile's name
}

// watched is what watch measured of the server over a read's span.
type watched struct {
	cpu     time.Duration
	profile string
	err     error
}

// watch measures the server over the span from..until: its CPU time, and
// a CPU profile when asked for. The function it returns waits for the
// span's end and the profile.
func (s *server) watch(ctx context.Context, name string, from, until time.Time) func() watched {
	done := make(chan watched, 1)
	go func() {
		var w watched
		defer func() { done <- w }()
		select {
		case <-ctx.Done():
			w.err = ctx.Err()
			return
		case <-time.After(time.Until(from)):
		}
		cpu0, err := benchkit.CPUTime(s.pid)
		if err != nil {
			w.err = err
			return
		}
		profiled := make(chan error, 1)
		if s.pprof != "" {
			w.profile = s.profileDir + strings.Map(func(r rune) rune {
				if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
					return r
				}
				return '-'
			}, name) + ".pprof"
			go func() {
				seconds := max(1, int(until.Sub(from).Seconds()))
				profiled <- benchkit.SaveCPUProfile(ctx, s.pprof, seconds, w.profile)
			}()
		} else {
			profiled <- nil
		}
		select {
		case <-ctx.Done():
			w.err = ctx.Err()
			return
		case <-time.After(time.Until(until)):
		}
		cpu1, err := benchkit.CPUTime(s.pid)
		if err != nil {
			w.err = err
			return
		}
		w.cpu = cpu1 - cpu0
		w.err = <-profiled
	}()
	return func() watched { return <-done }
}

// measure requests the paths (in turn, when more than one) from -conns
// workers, each on its own keep-alive connection, back to back: for
// -warmup, not counted, then for -duration. A request that starts in the
// measured span counts, with its whole time. srv, when not nil, is the
// server measured (its CPU time, and a profile when asked for).
func measure(ctx context.Context, c config, base, key, name string, paths []string, srv *server) (res read, err error) {
	logf("measuring %s", name)
	var mu sync.Mutex
	var times []time.Duration
	var errs, size int
	var firstErr error
	start := time.Now()
	from, until := start.Add(c.warmup), start.Add(c.warmup+c.duration)
	if srv != nil {
		wait := srv.watch(ctx, name, from, until)
		defer func() {
			w := wait()
			if err == nil {
				err = w.err
			}
			if res.N > 0 {
				res.CPUPerAnswer = float64(w.cpu) / float64(time.Millisecond) / float64(res.N)
			}
			res.Profile = w.profile
		}()
	}
	var wg sync.WaitGroup
	for w := range c.conns {
		client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
		wg.Go(func() {
			for i := w; ctx.Err() == nil; i += c.conns {
				t0 := time.Now()
				if t0.After(until) {
					return
				}
				n, status, err := get(ctx, client, base+paths[i%len(paths)], key)
				d := time.Since(t0)
				if t0.Before(from) {
					continue
				}
				mu.Lock()
				if err != nil || status != http.StatusOK {
					if errs == 0 {
						firstErr = fmt.Errorf("%s: status %d, %v", paths[i%len(paths)], status, err)
					}
					errs++
				} else {
					times = append(times, d)
					size = n
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if firstErr != nil {
		logf("%s: %d errors, the first: %v", name, errs, firstErr)
	}
	slices.Sort(times)
	path := paths[0]
	if len(paths) > 1 {
		path += " …"
	}
	res.Name, res.Path, res.N, res.Errors, res.Bytes, res.Rate = name, path, len(times), errs, size, float64(len(times))/c.duration.Seconds()
	res.P50, res.P99, res.Max = benchkit.Rank(times, 0.50), benchkit.Rank(times, 0.99), benchkit.Rank(times, 1)
	return res, ctx.Err()
}

func get(ctx context.Context, client *http.Client, u, key string) (int, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	n, err := io.Copy(io.Discard, resp.Body)
	return int(n), resp.StatusCode, err
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:min(3, len(f))], " ")
}
