// Command search measures carillon's search on a large store. It fills a
// store with -messages messages over -contacts contacts, spread over the
// -days up to now, through package store's own methods (CreateContact,
// CreateMessage: the words are indexed as carillon indexes them, in the
// same transactions), then times the service's Messages.Search (what the
// console's /search page calls, contacts and messages both) for a list of
// queries, as an admin, an agent and a restricted agent, -count times
// each, and prints p50, p99 and max by nearest rank, with how many messages
// hold the words searched. Last, it takes the store back to before its
// search index (the index tables dropped, migration 0012 unrecorded) and
// times opening it again, which indexes every message and contact stored
// (an upgrade).
//
// The messages' text is drawn from a made-up vocabulary of 30,000 words
// (one in seven with an accent), each word's frequency following Zipf's
// law as words of a language do, 3 to 30 words a message; the oldest
// message (a year ago with the default -days) reads "Déjà vu: the parcel
// never arrived". Contacts have a first and a last name (some accented)
// and a German mobile number (each its own); a third of them are in no team, a third in
// the agent's team; every hundredth is assigned to the restricted agent.
//
// Usage:
//
//	search [-database-url postgres://...] [-messages 1000000] [-contacts 200000] [-count 20] [-dir DIR]
package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the benchmark's schema, and the upgrade
	_ "modernc.org/sqlite"             // the upgrade

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/bench/internal/benchkit"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
)

type config struct {
	databaseURL, schema string
	messages, contacts  int
	batch, days, count  int
	dir                 string
	skipUpgrade         bool
}

func main() {
	var c config
	flag.StringVar(&c.databaseURL, "database-url", "", "PostgreSQL URL (default: SQLite in the directory)")
	flag.StringVar(&c.schema, "schema", "bench_search", "PostgreSQL schema, dropped and made again before a fill")
	flag.IntVar(&c.messages, "messages", 1_000_000, "messages to store")
	flag.IntVar(&c.contacts, "contacts", 200_000, "contacts to store")
	flag.IntVar(&c.batch, "batch", 10_000, "rows written per transaction")
	flag.IntVar(&c.days, "days", 365, "days the messages are spread over, up to now")
	flag.IntVar(&c.count, "count", 20, "measured searches per query (after one not counted)")
	flag.StringVar(&c.dir, "dir", "", "work in this directory and keep it; one filled by an earlier run (its fixture.json) is measured again without filling")
	flag.BoolVar(&c.skipUpgrade, "skip-upgrade", false, "do not time the upgrade (which indexes the store again)")
	flag.Parse()
	if c.messages < c.contacts || c.contacts < 1000 || c.count < 1 || c.batch < 1 || c.days < 1 {
		fail(errors.New("need -messages ≥ -contacts ≥ 1000, and -count, -batch, -days ≥ 1"))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, c); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "search:", err)
	os.Exit(2)
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "search: "+format+"\n", args...)
}

// fixture is what the queries are made of; it is kept beside the store
// (fixture.json) so that -dir measures the same store again.
type fixture struct {
	Messages, Contacts int
	FillS              float64
	// Words are the vocabulary's words by rank, most frequent first, and
	// Holding how many messages hold each word that a query names.
	Words   []string
	Holding map[string]int
	// First is a first name and Number the start of a number that
	// contacts have.
	First, Number string
	// Agent, Restricted and Team are the agent's and the restricted
	// agent's user ids, and the agent's team.
	Agent, Restricted, Team int64
}

func run(ctx context.Context, c config) error {
	dir, done, err := benchkit.WorkDir(c.dir, "search", false, logf)
	if err != nil {
		return err
	}
	defer done()
	data := filepath.Join(dir, "data")
	key, err := secretbox.LoadOrCreateKeyFile(filepath.Join(data, "secret.key"))
	if err != nil {
		return err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return err
	}
	storeName, dbURL := "sqlite", ""
	if c.databaseURL != "" {
		storeName = "postgres"
		if dbURL, err = schemaURL(c); err != nil {
			return err
		}
	}
	open := func() (*store.DB, error) {
		if dbURL != "" {
			return store.OpenPostgres(ctx, dbURL, box)
		}
		return store.OpenSQLite(ctx, data, box)
	}
	fixturePath := filepath.Join(dir, "fixture.json")
	var fx fixture
	if saved, err := os.ReadFile(fixturePath); err == nil {
		if err := json.Unmarshal(saved, &fx); err != nil {
			return fmt.Errorf("%s: %w", fixturePath, err)
		}
		logf("measuring the store filled before in %s", dir)
	} else {
		if dbURL != "" {
			if err := freshSchema(ctx, c); err != nil {
				return err
			}
		}
		db, err := open()
		if err != nil {
			return err
		}
		start := time.Now()
		fx, err = fill(ctx, c, db)
		db.Close()
		if err != nil {
			return fmt.Errorf("fill: %w", err)
		}
		fx.FillS = time.Since(start).Seconds()
		logf("filled in %.0f s", fx.FillS)
		saved, _ := json.MarshalIndent(fx, "", "  ")
		if err := os.WriteFile(fixturePath, saved, 0o600); err != nil {
			return err
		}
	}

	db, err := open()
	if err != nil {
		return err
	}
	defer db.Close()
	svc := service.New(service.Options{Store: db, PublicURL: "http://127.0.0.1"})
	defer svc.Close()
	acct, err := db.AccountByName(ctx, carillon.DefaultAccountName)
	if err != nil {
		return err
	}
	p := service.Principal{Account: acct}
	fmt.Printf("store %s: %d messages, %d contacts (filled in %.0f s, the words indexed as they were written)\n", storeName, fx.Messages, fx.Contacts, fx.FillS)
	fmt.Printf("machine: %d CPUs (%s), %s, Go %s; commit %s; load average at the start: %s\n",
		runtime.NumCPU(), cpuModel(), memory(), strings.TrimPrefix(runtime.Version(), "go"), commit(), loadAverage())
	fmt.Printf("%d searches per query after 1 not counted; time of Messages.Search in the process (contacts and messages, a first page of 10 and 25):\n", c.count)
	fmt.Printf("%-52s %-16s %9s %6s %6s %8s %8s %8s\n", "query", "viewer", "holding", "found", "more", "p50 ms", "p99 ms", "max ms")

	admin := service.Viewer{UserID: 1, Role: carillon.RoleAdmin}
	agent := service.Viewer{UserID: fx.Agent, Role: carillon.RoleAgent, TeamIDs: []int64{fx.Team}}
	restricted := service.Viewer{UserID: fx.Restricted, Role: carillon.RoleRestrictedAgent}
	w := fx.Words
	deep, err := cursorAt(ctx, svc, p, admin, w[0], 40)
	if err != nil {
		return err
	}
	cases := []struct {
		name   string
		viewer service.Viewer
		q      service.SearchQuery
		words  []string
	}{
		{"deja vu (one message, a year old)", admin, service.SearchQuery{Text: "deja vu"}, []string{"deja vu"}},
		{"the most frequent word", admin, service.SearchQuery{Text: w[0]}, w[:1]},
		{"the 10th word", admin, service.SearchQuery{Text: w[9]}, w[9:10]},
		{"the 1,000th word", admin, service.SearchQuery{Text: w[999]}, w[999:1000]},
		{"the 20,000th word", admin, service.SearchQuery{Text: w[19999]}, w[19999:20000]},
		{"an accented word, in capitals without accents", admin, service.SearchQuery{Text: strings.ToUpper(plain(w[accented(w, 100)]))}, []string{w[accented(w, 100)]}},
		{"the 1st and 10th words", admin, service.SearchQuery{Text: w[0] + " " + w[9]}, []string{w[0] + " " + w[9]}},
		{"the 10th and 1,000th words", admin, service.SearchQuery{Text: w[9] + " " + w[999]}, []string{w[9] + " " + w[999]}},
		{"two letters (a prefix)", admin, service.SearchQuery{Text: w[0][:2]}, nil},
		{"three letters (a prefix)", admin, service.SearchQuery{Text: w[0][:3]}, nil},
		{"one letter (a prefix)", admin, service.SearchQuery{Text: w[0][:1]}, nil},
		{"a first name", admin, service.SearchQuery{Text: fx.First}, nil},
		{"a number's start", admin, service.SearchQuery{Text: fx.Number}, nil},
		{"the most frequent word, 1,000 messages in", admin, service.SearchQuery{Text: w[0], In: service.SearchMessages, After: deep}, w[:1]},
		{"the most frequent word", agent, service.SearchQuery{Text: w[0]}, w[:1]},
		{"the most frequent word", restricted, service.SearchQuery{Text: w[0]}, w[:1]},
		{"the 1,000th word", restricted, service.SearchQuery{Text: w[999]}, w[999:1000]},
		{"the 20,000th word", restricted, service.SearchQuery{Text: w[19999]}, w[19999:20000]},
		{"two letters (a prefix)", restricted, service.SearchQuery{Text: w[0][:2]}, nil},
	}
	for _, tc := range cases {
		var times []time.Duration
		var res service.SearchResults
		for i := range c.count + 1 {
			start := time.Now()
			res, err = svc.Messages.Search(ctx, p, tc.viewer, tc.q)
			if err != nil {
				return fmt.Errorf("%s: %w", tc.name, err)
			}
			if i > 0 {
				times = append(times, time.Since(start))
			}
		}
		slices.Sort(times)
		holding := "-" // not counted
		if len(tc.words) == 1 {
			if n, ok := fx.Holding[tc.words[0]]; ok {
				holding = fmt.Sprint(n)
			}
		}
		more := ""
		if res.MoreMessages != "" || res.MoreContacts != "" {
			more = "yes"
		}
		label := tc.name
		if len(tc.q.Text) < 24 {
			label += " «" + tc.q.Text + "»"
		}
		fmt.Printf("%-52s %-16s %9s %6d %6s %8.1f %8.1f %8.1f\n", label, tc.viewer.Role, holding,
			len(res.Contacts)+len(res.Messages), more, ms(rank(times, 0.5)), ms(rank(times, 0.99)), ms(times[len(times)-1]))
	}
	fmt.Printf("load average at the end: %s\n", loadAverage())
	if c.skipUpgrade {
		return nil
	}
	svc.Close()
	db.Close()
	start := time.Now()
	if err := unindex(ctx, dbURL, data, c.schema); err != nil {
		return err
	}
	again, err := open()
	if err != nil {
		return err
	}
	again.Close()
	fmt.Printf("upgrade: the index dropped, opening the store indexed every message and contact again in %.1f s (load average %s)\n",
		time.Since(start).Seconds(), loadAverage())
	return nil
}

// cursorAt is the cursor of the messages after the first pages of a
// search.
func cursorAt(ctx context.Context, svc *service.Service, p service.Principal, v service.Viewer, text string, pages int) (string, error) {
	q := service.SearchQuery{Text: text}
	for range pages {
		r, err := svc.Messages.Search(ctx, p, v, q)
		if err != nil {
			return "", err
		}
		if r.MoreMessages == "" {
			return "", fmt.Errorf("fewer than %d pages of %q", pages, text)
		}
		q = service.SearchQuery{Text: text, In: service.SearchMessages, After: r.MoreMessages}
	}
	return q.After, nil
}

// fill writes the users, the team, the contacts and the messages.
func fill(ctx context.Context, c config, db *store.DB) (fixture, error) {
	fx := fixture{Messages: c.messages, Contacts: c.contacts, Holding: map[string]int{}}
	svc := service.New(service.Options{Store: db, PublicURL: "http://127.0.0.1"})
	defer svc.Close()
	acct, _, _, err := svc.Accounts.SetupAccount(ctx, carillon.DefaultAccountName, false)
	if err != nil {
		return fx, err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	var users []carillon.User
	for _, r := range []carillon.Role{carillon.RoleAgent, carillon.RoleRestrictedAgent} {
		u := carillon.User{UUID: carillon.NewUUID(), AccountID: acct.ID, Email: string(r) + "@bench.example.com", Name: string(r), Role: r, CreatedAt: now}
		if err := db.CreateUser(ctx, &u); err != nil {
			return fx, err
		}
		users = append(users, u)
	}
	fx.Agent, fx.Restricted = users[0].ID, users[1].ID
	teams := []carillon.Team{{UUID: carillon.NewUUID(), AccountID: acct.ID, Name: "A", CreatedAt: now}, {UUID: carillon.NewUUID(), AccountID: acct.ID, Name: "B", CreatedAt: now}}
	for i := range teams {
		if err := db.CreateTeam(ctx, &teams[i]); err != nil {
			return fx, err
		}
	}
	fx.Team = teams[0].ID
	ch, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
	if err != nil {
		return fx, err
	}
	rng := mrand.New(mrand.NewPCG(1, 2))
	fx.Words = vocabulary(rng, 30_000)
	span := time.Duration(c.days) * 24 * time.Hour

	logf("writing %d contacts", c.contacts)
	firsts := []string{"Zoë", "José", "Chloé", "Ana", "João", "Léa", "Björn", "Ewa", "Mário", "Noémie", "Amir", "Sofía", "Ines", "Tomás",
		"Hélène", "Lukas", "Maja", "Renée", "Yusuf", "Çelik", "Anaïs", "Søren", "Paula", "Zoltán", "Marta"}
	lasts := []string{"Ångström", "García", "Müller", "Dubois", "Silva", "Kowalski", "Rossi", "Novák", "Öztürk", "Jensen", "Łukasik",
		"Pérez", "Fernández", "Nguyễn", "Smith", "Brontë", "Lefèvre", "Costa", "Weiß", "Horváth"}
	fx.First = plain(strings.ToLower(firsts[0]))
	fx.Number = "+49 151 123"
	contacts := make([]carillon.Contact, c.contacts)
	if err := benchkit.InBatches(ctx, db, c.contacts, c.batch, logf, func(q carillon.Queries, i int) error {
		created := now.Add(-span + time.Duration(i)*span/time.Duration(c.contacts))
		ct := carillon.Contact{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, Address: fmt.Sprintf("49151%07d", (i*7919+12345)%10_000_000),
			Name: firsts[rng.IntN(len(firsts))] + " " + lasts[rng.IntN(len(lasts))], CreatedAt: created, UpdatedAt: created,
			ConversationUUID: carillon.NewUUID(), ConversationCreatedAt: created}
		if t := i % 3; t > 0 {
			ct.TeamID = teams[t-1].ID
		}
		if i%100 == 0 {
			ct.AssignedUserID = fx.Restricted
		}
		if err := q.CreateContact(ctx, &ct); err != nil {
			return err
		}
		contacts[i] = ct
		return nil
	}); err != nil {
		return fx, err
	}

	logf("writing %d messages", c.messages)
	zipf := mrand.NewZipf(rng, 1.07, 2, uint64(len(fx.Words)-1))
	counted := map[string]bool{}
	for _, r := range []int{0, 9, 999, 19999, accented(fx.Words, 100)} {
		counted[fx.Words[r]], fx.Holding[fx.Words[r]] = true, 0
	}
	pairs := [][2]string{{fx.Words[0], fx.Words[9]}, {fx.Words[9], fx.Words[999]}}
	for _, p := range pairs {
		fx.Holding[p[0]+" "+p[1]] = 0
	}
	if err := benchkit.InBatches(ctx, db, c.messages, c.batch, logf, func(q carillon.Queries, i int) error {
		ct := contacts[rng.IntN(len(contacts))]
		at := now.Add(-span + time.Duration(i)*span/time.Duration(c.messages))
		words := make([]string, 3+rng.IntN(28))
		has := map[string]bool{}
		for k := range words {
			words[k] = fx.Words[zipf.Uint64()]
			has[words[k]] = true
		}
		text := strings.Join(words, " ")
		if i == 0 {
			text, has = "Déjà vu: the parcel never arrived", map[string]bool{}
			fx.Holding["deja vu"] = 1
		}
		for w := range has {
			if counted[w] {
				fx.Holding[w]++
			}
		}
		for _, p := range pairs {
			if has[p[0]] && has[p[1]] {
				fx.Holding[p[0]+" "+p[1]]++
			}
		}
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ct.ChannelID, ContactID: ct.ID,
			Type: carillon.TypeText, Content: carillon.Content{Text: text}, CreatedAt: at, UpdatedAt: at}
		if i%2 == 0 {
			m.Direction, m.Status = carillon.Inbound, carillon.StatusReceived
		} else {
			m.Direction, m.Status, m.SendState = carillon.Outbound, carillon.StatusRead, carillon.SendDone
		}
		return q.CreateMessage(ctx, &m)
	}); err != nil {
		return fx, err
	}
	return fx, nil
}

// vocabulary makes n distinct words of two to four syllables, one in
// seven with an accent on its first vowel.
func vocabulary(rng *mrand.Rand, n int) []string {
	consonants, vowels := "bcdfglmnprstvz", "aeiou"
	accents := map[byte]string{'a': "à", 'e': "é", 'i': "î", 'o': "ô", 'u': "ü"}
	seen := map[string]bool{}
	var out []string
	for len(out) < n {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteByte(consonants[rng.IntN(len(consonants))])
			b.WriteByte(vowels[rng.IntN(len(vowels))])
		}
		w := b.String()
		if seen[w] {
			continue
		}
		seen[w] = true
		if len(out)%7 == 3 {
			w = w[:1] + accents[w[1]] + w[2:]
		}
		out = append(out, w)
	}
	return out
}

// accented is the rank of the first accented word at or after rank from.
func accented(words []string, from int) int {
	for i := from; i < len(words); i++ {
		if plain(words[i]) != words[i] {
			return i
		}
	}
	return from
}

// plain is w without the accents vocabulary and the names use.
func plain(w string) string {
	return strings.NewReplacer("à", "a", "é", "e", "î", "i", "ô", "o", "ü", "u", "ë", "e").Replace(w)
}

// unindex takes the store back to before migration 0012, as a store
// filled by an earlier version of carillon is.
func unindex(ctx context.Context, dbURL, data, schema string) error {
	driver, dsn, prefix := "sqlite", "file:"+filepath.Join(data, store.SQLiteFile), ""
	if dbURL != "" {
		driver, dsn, prefix = "pgx", dbURL, schema+"."
	}
	raw, err := sql.Open(driver, dsn)
	if err != nil {
		return err
	}
	defer raw.Close()
	for _, stmt := range []string{"DROP TABLE " + prefix + "message_words", "DROP TABLE " + prefix + "contact_words",
		"DROP TABLE " + prefix + "search_words",
		"DELETE FROM " + prefix + "schema_migrations WHERE version = 12"} {
		if _, err := raw.ExecContext(ctx, stmt); err != nil {
			return fmt.Errorf("%s: %w", stmt, err)
		}
	}
	return nil
}

// freshSchema drops and makes again the schema the benchmark works in.
func freshSchema(ctx context.Context, c config) error {
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]*$`).MatchString(c.schema) || c.schema == "public" {
		return fmt.Errorf("-schema %q: lower-case letters, digits and _, not public", c.schema)
	}
	admin, err := sql.Open("pgx", c.databaseURL)
	if err != nil {
		return err
	}
	defer admin.Close()
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+c.schema+" CASCADE; CREATE SCHEMA "+c.schema); err != nil {
		return fmt.Errorf("postgres: making schema %s: %w", c.schema, err)
	}
	return nil
}

// schemaURL is -database-url with every connection put in -schema.
func schemaURL(c config) (string, error) {
	u, err := url.Parse(c.databaseURL)
	if err != nil {
		return "", fmt.Errorf("-database-url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", c.schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// rank is the duration at quantile p of sorted times, by nearest rank.
func rank(sorted []time.Duration, p float64) time.Duration {
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if name, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(name), ":"))
		}
	}
	return "unknown"
}

func memory() string {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return "memory unknown"
	}
	var kb int64
	fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(strings.Split(string(b), "\n")[0], "MemTotal:")), "%d", &kb)
	return fmt.Sprintf("%.0f GiB", float64(kb)/(1<<20))
}

func commit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}
