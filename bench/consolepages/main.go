// Command consolepages measures how fast the web console answers its pages
// on a large store: it fills a store with -messages messages over -contacts
// contacts (and a webhook with -events events and their attempts), starts
// the real `carillon serve` on it, signs in a user of each role made with
// `carillon users create --password-stdin`, and requests every console page
// -count times from -conns connections at once, each on its own keep-alive
// connection, the pages' requests shuffled together. It prints, per page,
// the time from sending the request to reading the whole answer, measured
// at the client over loopback (so the server's time plus the loopback
// transfer): p50, p99 and max by nearest rank. Just before the pages, it
// requests bench/ceiling's GET /readyz the same way: the ceiling, what a
// server that does nothing answers in on this machine at that time.
//
// The store is filled through package store's own exported methods
// (CreateContact, CreateMessage, AddStatusChange, AddWebhookEvent,
// AddWebhookAttempts), in transactions of -batch rows, the rows carillon
// itself writes; the account, its users and the webhook are made by
// carillon (SetupAccount through `carillon users create`, service.Subscribe).
//
// Usage:
//
//	consolepages [-carillon BIN] [-ceiling BIN|off] [-database-url postgres://...] [-messages 1000000] [-contacts 200000] [-count 200] [-conns 4]
package main

import (
	"bufio"
	"context"
	"encoding/base64"
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
	"github.com/carillon/carillon/service"
)

type config struct {
	carillonBin string
	ceilingBin  string
	databaseURL string
	schema      string
	messages    int
	contacts    int
	events      int
	assigned    int
	batch       int
	days        int
	count       int
	conns       int
	warmup      int
	keep        bool
	dir         string
	jsonOut     bool
}

func main() {
	var c config
	flag.StringVar(&c.carillonBin, "carillon", "", "the carillon binary (default: built from ./cmd/carillon into the temporary directory)")
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: SQLite in the temporary directory)")
	flag.StringVar(&c.schema, "schema", "bench_console", "PostgreSQL schema, dropped and created again at the start")
	flag.IntVar(&c.messages, "messages", 1_000_000, "messages to store")
	flag.IntVar(&c.contacts, "contacts", 200_000, "contacts to store")
	flag.IntVar(&c.events, "events", 100_000, "webhook events to store, each with its attempts")
	flag.IntVar(&c.assigned, "assigned", 2000, "contacts assigned to the restricted agent")
	flag.IntVar(&c.batch, "batch", 10_000, "rows written per transaction")
	flag.IntVar(&c.days, "days", 90, "days the messages are spread over, up to now")
	flag.IntVar(&c.count, "count", 200, "measured requests per page")
	flag.IntVar(&c.conns, "conns", 4, "concurrent connections")
	flag.IntVar(&c.warmup, "warmup", 5, "requests per page before measuring, not counted")
	flag.BoolVar(&c.keep, "keep", false, "keep the temporary directory (and the PostgreSQL schema)")
	flag.StringVar(&c.dir, "dir", "", "work in this directory and keep it; a directory filled by an earlier run (its fixture.json) is measured again without filling")
	flag.BoolVar(&c.jsonOut, "json", false, "print the result as one JSON object")
	flag.StringVar(&c.ceilingBin, "ceiling", "", "the bench/ceiling binary (default: built from ./bench/ceiling into the temporary directory); \"off\" measures no ceiling")
	flag.Parse()
	if flag.NArg() > 0 {
		fail(fmt.Errorf("unexpected arguments: %s", strings.Join(flag.Args(), " ")))
	}
	if c.messages < c.contacts || c.contacts < 10 || c.assigned >= c.contacts || c.count < 1 || c.conns < 1 || c.batch < 1 || c.days < 1 || c.events < 100 {
		fail(errors.New("need -messages ≥ -contacts ≥ 10, -assigned < -contacts, -events ≥ 100, and -count, -conns, -batch, -days ≥ 1"))
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
	fmt.Fprintln(os.Stderr, "consolepages:", err)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "consolepages: "+format+"\n", args...)
}

// The users made, one per role, all with this password.
const password = "bench-password-1"

var roles = []carillon.Role{carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent}

func email(r carillon.Role) string {
	return strings.ReplaceAll(string(r), "_", "-") + "@bench.example.com"
}

type result struct {
	Store    string       `json:"store"`
	Messages int          `json:"messages"`
	Contacts int          `json:"contacts"`
	Events   int          `json:"events"`
	FillS    float64      `json:"fill_s"`
	Conns    int          `json:"conns"`
	Count    int          `json:"count"`
	Pages    []pageResult `json:"pages"`
	// Ceiling is bench/ceiling's GET /readyz requested the same way just
	// before the pages: what the client, Go's HTTP server and loopback
	// take on this machine at this time, for a server that does nothing.
	Ceiling     *pageResult `json:"ceiling,omitempty"`
	Errors      int         `json:"errors"`
	WallS       float64     `json:"wall_s"`
	ServerMeanS float64     `json:"server_console_mean_ms"` // from /metrics, every console request of the run
	ServerReqs  float64     `json:"server_console_requests"`
}

type pageResult struct {
	Name   string  `json:"name"`
	Role   string  `json:"role"`
	Path   string  `json:"path"`
	N      int     `json:"n"`
	Errors int     `json:"errors"`
	Bytes  int     `json:"bytes"`
	P50    float64 `json:"p50_ms"`
	P99    float64 `json:"p99_ms"`
	Max    float64 `json:"max_ms"`
}

func (r result) print(w io.Writer) {
	fmt.Fprintf(w, "store %s: %d messages, %d contacts, %d webhook events (filled in %.0f s)\n", r.Store, r.Messages, r.Contacts, r.Events, r.FillS)
	fmt.Fprintf(w, "%d requests per page from %d connections, shuffled together, in %.1f s; time per request at the client over loopback:\n", r.Count, r.Conns, r.WallS)
	fmt.Fprintf(w, "%-28s %-17s %7s %8s %8s %8s %7s\n", "page", "role", "n", "p50 ms", "p99 ms", "max ms", "KiB")
	for _, p := range r.Pages {
		fmt.Fprintf(w, "%-28s %-17s %7d %8.1f %8.1f %8.1f %7.1f", p.Name, p.Role, p.N, p.P50, p.P99, p.Max, float64(p.Bytes)/1024)
		if p.Errors > 0 {
			fmt.Fprintf(w, "  %d ERRORS", p.Errors)
		}
		fmt.Fprintln(w)
	}
	if c := r.Ceiling; c != nil {
		fmt.Fprintf(w, "%-28s %-17s %7d %8.1f %8.1f %8.1f %7.1f\n", "ceiling (bench/ceiling)", "", c.N, c.P50, c.P99, c.Max, float64(c.Bytes)/1024)
	}
	fmt.Fprintf(w, "server (/metrics, route=\"console\"): %.0f requests, mean %.2f ms\n", r.ServerReqs, r.ServerMeanS)
	fmt.Fprintf(w, "errors: %d\n", r.Errors)
}

func run(ctx context.Context, c config) (res result, err error) {
	res = result{Messages: c.messages, Contacts: c.contacts, Events: c.events, Conns: c.conns, Count: c.count, Store: "sqlite"}
	dir, done, err := benchkit.WorkDir(c.dir, "consolepages", c.keep, logf)
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
	fixturePath := filepath.Join(dir, "fixture.json")
	var fx fixture
	if saved, err := os.ReadFile(fixturePath); err == nil {
		// Filled by an earlier run: measure it again.
		if err := json.Unmarshal(saved, &fx); err != nil {
			return res, fmt.Errorf("%s: %w", fixturePath, err)
		}
		if c.databaseURL != "" {
			res.Store = "postgres"
			u, err := benchkit.SchemaURL(c.databaseURL, c.schema)
			if err != nil {
				return res, err
			}
			storeArgs = append(storeArgs, "--database-url", u)
		}
		res.Messages, res.Contacts, res.Events = fx.Messages, fx.Contacts, fx.Events
		logf("measuring the store filled before in %s", dir)
	} else {
		if c.databaseURL != "" {
			res.Store = "postgres"
			u, drop, err := benchkit.FreshSchema(ctx, c.databaseURL, c.schema, c.keep, logf)
			if err != nil {
				return res, err
			}
			if c.dir == "" {
				defer drop()
			}
			storeArgs = append(storeArgs, "--database-url", u)
		}
		// The users, made by carillon itself (which sets up the account first).
		for _, r := range roles {
			cmd := exec.CommandContext(ctx, bin, append([]string{"users", "create", "--email", email(r), "--name", "Bench " + string(r),
				"--role", string(r), "--password-stdin"}, storeArgs...)...)
			cmd.Stdin = strings.NewReader(password + "\n")
			if out, err := cmd.CombinedOutput(); err != nil {
				return res, fmt.Errorf("carillon users create %s: %v\n%s", r, err, out)
			}
		}
		start := time.Now()
		if fx, err = fill(ctx, c, data, storeArgs); err != nil {
			return res, fmt.Errorf("fill: %w", err)
		}
		if c.databaseURL != "" {
			if err := benchkit.Vacuum(ctx, storeArgs[3], c.schema, logf); err != nil {
				return res, err
			}
		}
		res.FillS = time.Since(start).Seconds()
		fx.Messages, fx.Contacts, fx.Events, fx.FillS = c.messages, c.contacts, c.events, res.FillS
		logf("filled in %.1f s", res.FillS)
		saved, _ := json.MarshalIndent(fx, "", "  ")
		if err := os.WriteFile(fixturePath, saved, 0o600); err != nil {
			return res, err
		}
	}
	res.FillS = fx.FillS

	base, _, stopServe, err := benchkit.Serve(ctx, bin, dir, storeArgs...)
	if err != nil {
		return res, err
	}
	defer stopServe()
	cookies := map[carillon.Role]string{}
	for _, r := range roles {
		if cookies[r], err = benchkit.SignIn(ctx, base, email(r), password); err != nil {
			return res, fmt.Errorf("sign in as %s: %w", r, err)
		}
	}
	pages, err := pageList(ctx, base, cookies, fx)
	if err != nil {
		return res, err
	}
	if c.ceilingBin != "off" {
		if res.Ceiling, err = measureCeiling(ctx, c, dir, len(pages)); err != nil {
			return res, fmt.Errorf("ceiling: %w", err)
		}
	}
	before, err := consoleMetrics(ctx, base)
	if err != nil {
		return res, err
	}
	res.Pages, res.WallS, err = measure(ctx, base, c, cookies, pages)
	if err != nil {
		return res, err
	}
	after, err := consoleMetrics(ctx, base)
	if err != nil {
		return res, err
	}
	res.ServerReqs = after.count - before.count
	if res.ServerReqs > 0 {
		res.ServerMeanS = (after.sum - before.sum) / res.ServerReqs * 1000
	}
	for _, p := range res.Pages {
		res.Errors += p.Errors
	}
	return res, nil
}

// measureCeiling starts bench/ceiling and requests its GET /readyz as
// the pages are requested (-conns workers, each on its own connection),
// as many times as all the pages together.
func measureCeiling(ctx context.Context, c config, dir string, pages int) (*pageResult, error) {
	base, stop, err := benchkit.Ceiling(ctx, c.ceilingBin, dir, logf)
	if err != nil {
		return nil, err
	}
	defer stop()
	cc := c
	cc.count, cc.warmup = c.count*pages, c.warmup*pages
	res, _, err := measure(ctx, base, cc, nil, []page{{name: "ceiling", path: "/readyz"}})
	if err != nil {
		return nil, err
	}
	return &res[0], nil
}

// fixture is what the pages are requested with; it is kept beside the
// store (fixture.json) so that -dir can measure the same store again.
type fixture struct {
	Channels      []string                  `json:"channels"`           // uuids, the main one first
	ContactUUID   string                    `json:"contact"`            // a contact with messages
	ChatUUID      string                    `json:"chat"`               // its conversation
	Number        string                    `json:"number"`             // its number, for the number filter
	MessageUUID   string                    `json:"message"`            // an outbound read message with its history
	RestrictedCon string                    `json:"restricted_contact"` // a contact assigned to the restricted agent
	RestrictedMsg string                    `json:"restricted_message"` // one of its messages
	RestrictedCh  string                    `json:"restricted_chat"`    // its conversation
	DeepMessage   carillon.MessageLogCursor `json:"deep_message"`       // the message half way through the log
	EventUUID     string                    `json:"event"`
	DeepEventID   int64                     `json:"deep_event_id"` // the event half way through the log

	Messages, Contacts, Events int
	FillS                      float64
}

// fill writes the contacts, messages and webhook events through the
// store's exported methods, on the store serve will open (the same
// secret key, in the data folder).
func fill(ctx context.Context, c config, data string, storeArgs []string) (fx fixture, err error) {
	dbURL := ""
	if c.databaseURL != "" {
		dbURL = storeArgs[3]
	}
	db, err := benchkit.OpenStore(ctx, data, dbURL)
	if err != nil {
		return fx, err
	}
	defer db.Close()
	svc := service.New(service.Options{Store: db, PublicURL: "http://127.0.0.1", Webhooks: service.WebhookOptions{AllowPrivate: true}})
	defer svc.Close()
	acct, err := db.AccountByName(ctx, carillon.DefaultAccountName)
	if err != nil {
		return fx, err
	}
	restricted, err := db.UserByEmail(ctx, acct.ID, email(carillon.RoleRestrictedAgent))
	if err != nil {
		return fx, err
	}
	teams, err := db.AllTeams(ctx, acct.ID)
	if err != nil || len(teams) == 0 {
		return fx, fmt.Errorf("teams: %v", err)
	}
	// A second team, of which the agent is the member: the agent sees its
	// chats, a quarter of the contacts.
	agent, err := db.UserByEmail(ctx, acct.ID, email(carillon.RoleAgent))
	if err != nil {
		return fx, err
	}
	sales := carillon.Team{UUID: carillon.NewUUID(), AccountID: acct.ID, Name: "Bench Sales", CreatedAt: time.Now()}
	if err := db.CreateTeam(ctx, &sales); err != nil {
		return fx, err
	}
	if err := db.AddTeamMember(ctx, sales.ID, agent.ID, time.Now()); err != nil {
		return fx, err
	}
	main, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
	if err != nil {
		return fx, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
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
	for _, ch := range channels {
		fx.Channels = append(fx.Channels, ch.UUID)
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	span := time.Duration(c.days) * 24 * time.Hour
	// spread is the time of the i-th of n rows spread evenly over the span
	// up to now (span/n first: i*span overflows a Duration, ±292 years).
	spread := func(i, n int) time.Time { return now.Add(-span + span/time.Duration(n)*time.Duration(i)) }

	// Contacts: round robin over the channels; every -contacts/-assigned-th
	// one assigned to the restricted agent; one in four in the agent's
	// team, the others in the account's first team.
	logf("writing %d contacts", c.contacts)
	type contactRef struct {
		id, channel int64
		uuid        string
	}
	contacts := make([]contactRef, c.contacts)
	every := c.contacts / c.assigned
	if err := benchkit.InBatches(ctx, db, c.contacts, c.batch, logf, func(q carillon.Queries, i int) error {
		ch := channels[i%len(channels)]
		created := spread(i, c.contacts)
		ct := carillon.Contact{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, Address: fmt.Sprintf("4915%09d", i),
			Name: fmt.Sprintf("Customer %d", i), CreatedAt: created, UpdatedAt: created, LastInboundAt: created,
			ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: created, TeamID: teams[0].ID}
		if every > 0 && i%every == 0 && i/every < c.assigned {
			ct.AssignedUserID = restricted.ID
		}
		if i%4 == 1 {
			ct.TeamID = sales.ID
		}
		if err := q.CreateContact(ctx, &ct); err != nil {
			return err
		}
		contacts[i] = contactRef{ct.ID, ch.ID, ct.UUID}
		return nil
	}); err != nil {
		return fx, err
	}

	// Messages: in order of time over the -days up to now, each to a
	// random contact; half in, half out; the ones out walk sent →
	// delivered → read (or fail), with their history as the pipeline
	// records it.
	logf("writing %d messages", c.messages)
	outStatuses := []carillon.Status{carillon.StatusSent, carillon.StatusDelivered, carillon.StatusRead, carillon.StatusRead, carillon.StatusFailed}
	mid := c.messages / 2
	if err := benchkit.InBatches(ctx, db, c.messages, c.batch, logf, func(q carillon.Queries, i int) error {
		ct := contacts[rng.IntN(len(contacts))]
		if i == c.messages-1 {
			ct = contacts[0] // the last message, to a restricted agent's contact
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
			m.ExternalID, m.Attempts = "wamid.out."+strconv.Itoa(i), 1
			switch m.Status {
			case carillon.StatusFailed:
				m.LastError = "131026: Message undeliverable"
				m.StatusPayload = json.RawMessage(`{"code":131026,"title":"Message undeliverable"}`)
				history = []carillon.Status{carillon.StatusFailed}
			default:
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
		switch {
		case i == mid:
			fx.DeepMessage = carillon.MessageLogCursor{CreatedAt: m.CreatedAt, ID: m.ID}
		case i == c.messages-1:
			fx.RestrictedMsg, fx.RestrictedCon = m.UUID, ct.uuid
		case fx.MessageUUID == "" && i > mid && m.Status == carillon.StatusRead:
			fx.MessageUUID, fx.ContactUUID = m.UUID, ct.uuid
		}
		return nil
	}); err != nil {
		return fx, err
	}
	for _, uuid := range []string{fx.ContactUUID, fx.RestrictedCon} {
		ct, err := db.ContactByUUID(ctx, acct.ID, uuid)
		if err != nil {
			return fx, err
		}
		if uuid == fx.ContactUUID {
			fx.ChatUUID, fx.Number = ct.ConversationUUID, "+"+ct.Address
		} else {
			fx.RestrictedCh = ct.ConversationUUID
		}
	}

	// The webhook, subscribed as the console does, and its log: events
	// over the same days, nine in ten delivered at the first or second
	// attempt, the others given up after eight failures.
	hook, _, err := svc.Webhooks.Subscribe(ctx, service.Principal{Account: acct}, "http://127.0.0.1:9/webhook", carillon.WebhookEventNames)
	if err != nil {
		return fx, fmt.Errorf("subscribe: %w", err)
	}
	logf("writing %d webhook events with their attempts", c.events)
	headers := map[string]string{"content-type": "application/json", "webhook-signature": "v1,bench", "user-agent": "carillon"}
	events := []string{carillon.EventMessageCreated, carillon.EventMessageStatusUpdated, carillon.EventContactUpdated}
	if err := benchkit.InBatches(ctx, db, c.events, c.batch/4, logf, func(q carillon.Queries, i int) error {
		at := spread(i, c.events)
		ct := contacts[rng.IntN(len(contacts))]
		body := fmt.Sprintf(`{"event":%q,"payload":{"uuid":%q,"text":"Hello, this is event %d"}}`, events[i%len(events)], ct.uuid, i)
		e := carillon.WebhookEvent{UUID: carillon.NewUUID(), AccountID: acct.ID, WebhookID: hook.ID, Event: events[i%len(events)],
			Subject: "contact:" + ct.uuid, Body: json.RawMessage(body), CreatedAt: at, FirstAttemptAt: at}
		tries, ok := 1+i%2, true
		if i%10 == 9 {
			tries, ok = 8, false
		}
		var attempts []carillon.WebhookAttempt
		for k := range tries {
			a := carillon.WebhookAttempt{Number: k + 1, At: at.Add(time.Duration(k) * time.Minute), Duration: 35 * time.Millisecond,
				RequestHeaders: headers, Response: carillon.WebhookResponse{Code: 503, Body: "busy", Headers: map[string]string{"content-type": "text/plain"}}}
			if ok && k == tries-1 {
				a.Response, a.Success = carillon.WebhookResponse{Code: 200, Body: "ok", Headers: map[string]string{"content-type": "text/plain"}}, true
			}
			attempts = append(attempts, a)
		}
		last := attempts[len(attempts)-1]
		e.Attempts, e.LastAttemptAt, e.Success, e.Response = tries, last.At, last.Success, last.Response
		e.State = carillon.EventDelivered
		if !ok {
			e.State = carillon.EventGivenUp
		}
		if err := q.AddWebhookEvent(ctx, &e); err != nil {
			return err
		}
		for k := range attempts {
			attempts[k].EventID = e.ID
		}
		if i == c.events/2 {
			fx.DeepEventID = e.ID
		}
		if i == c.events-1 {
			fx.EventUUID = e.UUID
		}
		return q.AddWebhookAttempts(ctx, attempts)
	}); err != nil {
		return fx, err
	}
	return fx, nil
}

type page struct {
	name string
	role carillon.Role
	path string
}

var olderLink = regexp.MustCompile(`href="(/(?:messages|settings/webhook/events)\?[^"]*after=[^"]+)"`)

// pageList lists the pages to request. The deep pages' markers are made
// in the form the first page's own "older" link has: that link is read
// and checked to be in that form first.
func pageList(ctx context.Context, base string, cookies map[carillon.Role]string, fx fixture) ([]page, error) {
	for _, first := range []string{"/messages", "/settings/webhook/events"} {
		body, status, err := get(ctx, http.DefaultClient, base+first, cookies[carillon.RoleAdmin])
		if err != nil || status != http.StatusOK {
			return nil, fmt.Errorf("GET %s: %d %v", first, status, err)
		}
		m := olderLink.FindSubmatch(body)
		if m == nil {
			return nil, fmt.Errorf("GET %s: no link to older entries", first)
		}
		u, _ := url.Parse(strings.ReplaceAll(string(m[1]), "&amp;", "&"))
		after := u.Query().Get("after")
		var ok bool
		if first == "/messages" {
			raw, err := base64.RawURLEncoding.DecodeString(after)
			t, id, cut := strings.Cut(string(raw), ".")
			_, e1 := strconv.ParseInt(t, 10, 64)
			_, e2 := strconv.ParseInt(id, 10, 64)
			ok = err == nil && cut && e1 == nil && e2 == nil
		} else {
			_, err := strconv.ParseInt(strings.TrimPrefix(after, "e"), 36, 64)
			ok = strings.HasPrefix(after, "e") && err == nil
		}
		if !ok {
			return nil, fmt.Errorf("GET %s: the older link's marker %q is not in the form this program builds deep pages with", first, after)
		}
	}
	deepMsg := base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(fx.DeepMessage.CreatedAt.UnixMilli(), 10) + "." + strconv.FormatInt(fx.DeepMessage.ID, 10)))
	deepEvent := "e" + strconv.FormatInt(fx.DeepEventID, 36)
	day := time.Now().UTC().AddDate(0, 0, -10).Format("2006-01-02T15:04")
	day2 := time.Now().UTC().AddDate(0, 0, -9).Format("2006-01-02T15:04")
	a, sa, ag, ra := carillon.RoleAdmin, carillon.RoleSettingsAgent, carillon.RoleAgent, carillon.RoleRestrictedAgent
	return []page{
		{"home", a, "/"},
		{"home", ra, "/"},
		{"messages", a, "/messages"},
		{"messages", ag, "/messages"},
		{"messages", ra, "/messages"},
		{"messages channel", a, "/messages?channel=" + fx.Channels[1]},
		{"messages direction=in", a, "/messages?direction=in"},
		{"messages status=failed", a, "/messages?status=failed"},
		{"messages number", a, "/messages?number=" + url.QueryEscape(fx.Number)},
		{"messages one day", a, "/messages?from=" + day + "&to=" + day2},
		{"messages all filters", a, "/messages?channel=" + fx.Channels[2] + "&direction=out&status=read&from=" + day + "&to=" + day2},
		{"messages deep (500k in)", a, "/messages?after=" + deepMsg},
		{"messages deep, status=read", a, "/messages?status=read&after=" + deepMsg},
		{"messages deep", ra, "/messages?after=" + deepMsg},
		{"message", a, "/messages/" + fx.MessageUUID},
		{"message", ra, "/messages/" + fx.RestrictedMsg},
		{"contact", a, "/contacts/" + fx.ContactUUID},
		{"contact", ra, "/contacts/" + fx.RestrictedCon},
		{"chat", a, "/chat/" + fx.ChatUUID},
		{"chat", ra, "/chat/" + fx.RestrictedCh},
		{"inbox", a, "/inbox"},
		{"inbox", ag, "/inbox"},
		{"inbox", ra, "/inbox"},
		{"webhook", a, "/settings/webhook"},
		{"delivery log", a, "/settings/webhook/events"},
		{"delivery log state=given_up", a, "/settings/webhook/events?state=given_up"},
		{"delivery log deep (50k in)", a, "/settings/webhook/events?after=" + deepEvent},
		{"delivery log event=test", a, "/settings/webhook/events?event=" + carillon.EventWebhookTest},
		{"delivery log one day", a, "/settings/webhook/events?from=" + day + "&to=" + day2},
		{"webhook event", a, "/settings/webhook/events/" + fx.EventUUID},
		{"users", a, "/settings/users"},
		{"account", a, "/account"},
		{"account", ra, "/account"},
		{"api keys", a, "/settings/api-keys"},
		{"sandbox", sa, "/sandbox"},
	}, nil
}

func get(ctx context.Context, client *http.Client, u, cookie string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Cookie", cookie)
	resp, err := client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return b, resp.StatusCode, err
}

// measure requests every page -warmup times, then -count times, the
// requests of all pages shuffled and shared by -conns workers, each on
// its own connection.
func measure(ctx context.Context, base string, c config, cookies map[carillon.Role]string, pages []page) ([]pageResult, float64, error) {
	type job struct{ page int }
	var warm, jobs []job
	for i := range pages {
		for range c.warmup {
			warm = append(warm, job{i})
		}
		for range c.count {
			jobs = append(jobs, job{i})
		}
	}
	mrand.Shuffle(len(jobs), func(i, j int) { jobs[i], jobs[j] = jobs[j], jobs[i] })
	times := make([][]time.Duration, len(pages))
	errs := make([]int, len(pages))
	sizes := make([]int, len(pages))
	var mu sync.Mutex
	var done int
	lastLog := time.Now()
	runAll := func(list []job, record bool) time.Duration {
		next := make(chan job)
		var wg sync.WaitGroup
		start := time.Now()
		for range c.conns {
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1},
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			wg.Go(func() {
				for j := range next {
					p := pages[j.page]
					t0 := time.Now()
					body, status, err := get(ctx, client, base+p.path, cookies[p.role])
					d := time.Since(t0)
					if !record {
						continue
					}
					mu.Lock()
					done++
					if time.Since(lastLog) > 10*time.Second {
						lastLog = time.Now()
						logf("  %d of %d requests", done, len(list))
					}
					if err != nil || status != http.StatusOK {
						if errs[j.page] == 0 {
							logf("%s as %s: status %d, %v", p.path, p.role, status, err)
						}
						errs[j.page]++
					} else {
						times[j.page] = append(times[j.page], d)
						sizes[j.page] = len(body)
					}
					mu.Unlock()
				}
			})
		}
		for _, j := range list {
			next <- j
		}
		close(next)
		wg.Wait()
		return time.Since(start)
	}
	runAll(warm, false)
	wall := runAll(jobs, true)
	out := make([]pageResult, len(pages))
	for i, p := range pages {
		slices.Sort(times[i])
		out[i] = pageResult{Name: p.name, Role: string(p.role), Path: p.path, N: len(times[i]), Errors: errs[i], Bytes: sizes[i],
			P50: benchkit.Rank(times[i], 0.50), P99: benchkit.Rank(times[i], 0.99), Max: benchkit.Rank(times[i], 1)}
	}
	return out, wall.Seconds(), ctx.Err()
}

type histogram struct{ sum, count float64 }

// consoleMetrics reads the sum and count of the console's request
// durations from /metrics.
func consoleMetrics(ctx context.Context, base string) (histogram, error) {
	body, status, err := get(ctx, http.DefaultClient, base+"/metrics", "")
	if err != nil || status != http.StatusOK {
		return histogram{}, fmt.Errorf("GET /metrics: %d %v", status, err)
	}
	var h histogram
	sc := bufio.NewScanner(strings.NewReader(string(body)))
	for sc.Scan() {
		line := sc.Text()
		for _, s := range []struct {
			prefix string
			to     *float64
		}{{`carillon_http_request_duration_seconds_sum{route="console"} `, &h.sum}, {`carillon_http_request_duration_seconds_count{route="console"} `, &h.count}} {
			if v, ok := strings.CutPrefix(line, s.prefix); ok {
				*s.to, _ = strconv.ParseFloat(v, 64)
			}
		}
	}
	return h, nil
}
