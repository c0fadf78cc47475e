// Package archtest holds carillon's dependency rule: the domain imports
// nothing of ours, the rules import the domain, and adapters never import
// each other; only cmd/carillon wires concrete parts together. It holds
// tests to the rule too, and names the third-party modules each package may
// use, so that a new dependency is a decision made where it is seen.
package archtest

import (
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/carillon/carillon"

// rule is what one package may import. Packages of the module are named by
// their path inside it ("" is the domain at the root); third-party ones by
// their module's path, as go.mod requires it. Its tests (the _test.go files
// of the package and of its external test package) may import what its code
// may, and what the test lists add.
type rule struct {
	imports     []string
	testImports []string
	modules     []string
	testModules []string
	// anything lets the package import any package of the module: the
	// wiring alone.
	anything bool
	// testOnly lets only tests import the package: shared test setup,
	// which would bring fixed keys and temporary stores into the binary.
	testOnly bool
}

// Third-party modules, by what they are for.
const (
	chromedp      = "github.com/chromedp/chromedp"                             // driving a real browser in the console's tests
	cdproto       = "github.com/chromedp/cdproto"                              // the browser's protocol, which chromedp speaks
	kinOpenAPI    = "github.com/getkin/kin-openapi"                            // checking answers against the OpenAPI document
	xcrypto       = "golang.org/x/crypto"                                      // argon2id, the hash of console passwords
	xterm         = "golang.org/x/term"                                        // reading a password without echo
	xtext         = "golang.org/x/text"                                        // Unicode normalisation: package fold, the words of search
	xexp          = "golang.org/x/exp"                                         // its trace package: reading Go execution traces (bench/tracetime)
	pgx           = "github.com/jackc/pgx/v5"                                  // the PostgreSQL driver
	phoneNumbers  = "github.com/nyaruka/phonenumbers"                          // phone number metadata
	prometheus    = "github.com/prometheus/client_golang"                      // metrics
	standardHooks = "github.com/standard-webhooks/standard-webhooks/libraries" // verifying signatures as receivers do
	yaml          = "gopkg.in/yaml.v3"                                         // settings and declaration files
	sqlite        = "modernc.org/sqlite"                                       // the SQLite driver
	sqliteLibc    = "modernc.org/libc"                                         // the C library the driver is translated onto: a thread's state, for calling SQLite itself
)

// realService is what a test needs to run the real service: the shared
// setup (internal/testrig), or a store with the secret box that seals its
// channel settings.
var realService = []string{"internal/testrig", "secretbox", "store"}

// providerDescriptions are the providers whose descriptions (Info) serve
// registers; tests use the descriptions only, never the networks.
var providerDescriptions = []string{"provider/sandbox", "provider/telegram", "provider/whatsapp", "provider/messenger", "provider/instagram"}

// rules lists, for each package of the module, what it may import. A
// package missing from the list fails the test: a new package must say
// where it stands.
var rules = map[string]rule{
	"":          {},
	"api":       {},
	"phone":     {modules: []string{phoneNumbers}},
	"fold":      {modules: []string{xtext}},
	"secretbox": {},
	"telemetry": {modules: []string{prometheus}},
	"config":    {modules: []string{yaml}},
	"wire":      {imports: []string{""}},
	// Token buckets of rates and failures, for the API's limits and the
	// console's sign-in throttling alike.
	"throttle": {},
	// Reads that come at the same time made into one call: the checks
	// before attempts (outbox), the API keys of requests (service).
	"gather": {},
	// The declaration file of `carillon apply`, read and checked without a
	// store; its tests check channels by the providers' descriptions
	// (internal/testrig/registry).
	"declaration": {imports: []string{""}, modules: []string{yaml}, testImports: []string{"internal/testrig/registry"}},
	// The client decodes answers into the API's shapes (wire); its tests
	// drive a real server, webhook deliveries included.
	"client": {imports: []string{"wire"}, testImports: append([]string{"", "httpapi", "service", "webhook"}, realService...)},
	// Its tests run the declarations on PostgreSQL too (internal/testrig
	// opens the schema). It hashes console passwords with argon2id and
	// throttles failed sign-ins.
	"service": {imports: []string{"", "declaration", "fold", "gather", "phone", "telemetry", "throttle", "wire"}, modules: []string{xcrypto},
		testImports: append([]string{"internal/testrig/registry"}, realService...)},
	"store":                          {imports: []string{"", "fold"}, modules: []string{pgx, sqlite, sqliteLibc}, testImports: []string{"internal/testrig/seed", "secretbox", "store/storetest"}},
	"store/storetest":                {imports: []string{""}},
	"outbox":                         {imports: []string{"", "gather", "service", "telemetry"}, testImports: realService},
	"provider/sandbox":               {imports: []string{"", "phone"}},
	"provider/whatsapp":              {imports: []string{"", "phone", "provider/metagraph"}, testImports: []string{"provider/providertest", "provider/whatsapp/whatsapptest"}},
	"provider/whatsapp/whatsapptest": {imports: []string{"", "provider/providertest"}},
	"provider/telegram":              {imports: []string{""}, testImports: []string{"provider/providertest", "provider/telegram/telegramtest"}},
	"provider/telegram/telegramtest": {imports: []string{"", "provider/providertest"}},
	"provider/providertest":          {imports: []string{""}},
	// What Meta's networks share of the Graph API (calls, errors, webhook
	// signatures), for WhatsApp and Messenger.
	"provider/metagraph": {imports: []string{""}},
	// Messenger holds the Send API and webhook code of Meta's networks;
	// Instagram is that code with Instagram's settings, the one provider
	// built on another's.
	"provider/messenger":          {imports: []string{"", "provider/metagraph"}, testImports: []string{"provider/providertest", "provider/messenger/metatest"}},
	"provider/messenger/metatest": {},
	"provider/instagram": {imports: []string{"", "provider/messenger"},
		testImports: []string{"provider/providertest", "provider/messenger/metatest", "provider/metagraph"}},
	"webhook": {imports: []string{"", "service", "telemetry"}, testImports: realService,
		testModules: []string{standardHooks}},
	"media": {imports: []string{""}},
	// Its tests check every answer against the OpenAPI document, webhook
	// redeliveries included.
	"httpapi": {imports: []string{"", "service", "wire", "telemetry", "api", "throttle"},
		testImports: slices.Concat([]string{"webhook", "provider/sandbox"}, realService), testModules: []string{kinOpenAPI}},
	// The web console, an adapter beside httpapi: it calls the service's
	// features as the API does and never imports another adapter; its
	// tests run the real service (with the sandbox's description, whose
	// reserved numbers the sandbox page lists), its webhook deliveries
	// included, and drive a real browser; they add channels against the
	// fakes of the Bot API and the Graph API, with the providers
	// registered as serve registers them; the composer's tests send
	// through the send pipeline to the sandbox, with files kept in a media
	// folder, as serve does.
	"console": {imports: []string{"", "service"}, testImports: slices.Concat([]string{"webhook", "outbox", "media", "provider/telegram/telegramtest", "provider/whatsapp/whatsapptest", "provider/messenger/metatest"},
		providerDescriptions, realService), testModules: []string{chromedp, cdproto}},
	// The wiring; it reads passwords without echo.
	"cmd/carillon":      {anything: true, modules: []string{xterm}},
	"internal/archtest": {},
	// The setup tests share: a store, a service over it, the API.
	"internal/testrig": {imports: []string{"", "httpapi", "internal/testrig/seed", "secretbox", "service", "store"}, testOnly: true},
	// A migrated SQLite database to copy, apart from the rest of the setup
	// so that the store's tests use it without linking the service.
	"internal/testrig/seed": {imports: []string{"store"}, testOnly: true},
	// The registry of the providers serve runs, for tests, apart from the
	// rest of the setup so that its users do not link the store.
	"internal/testrig/registry": {imports: append([]string{""}, providerDescriptions...), testOnly: true},
	"bench/webhookload": {imports: []string{"", "bench/internal/benchkit", "secretbox", "service", "store", "telemetry", "webhook", "wire"},
		modules: []string{pgx, prometheus}},
	// What the benchmarks that run the real binary share: a store to fill
	// with the store's own methods (in a PostgreSQL schema of its own), a
	// sign-in with the console's form, /metrics read, a webhook's
	// signature checked as a receiver does (webhook.Sign), a store's size
	// and messages counted (raw SQL).
	"bench/internal/benchkit": {imports: []string{"", "secretbox", "store", "webhook"}, modules: []string{pgx, sqlite}},
	// Fills a store with the store's own methods, then times the real
	// binary's console pages over HTTP.
	"bench/consolepages": {imports: []string{"", "bench/internal/benchkit", "service"}},
	// Fills a store as consolepages does, then times the real binary's
	// inbox pages over HTTP and in a real browser, and its live streams.
	"bench/inboxlive": {imports: []string{"", "bench/internal/benchkit"}, modules: []string{chromedp, cdproto}},
	// Runs the real binary through every phase of a message's life; the
	// fake Graph API stands for Meta (sends, signed callbacks). Its tests
	// sign deliveries as carillon does.
	"bench/lifecycle": {imports: []string{"bench/internal/benchkit", "provider/whatsapp/whatsapptest"}, testImports: []string{"webhook"}},
	"bench/sendload":  {},
	"bench/ceiling":   {},
	// Reads an execution trace of the server, nothing of carillon's.
	"bench/tracetime": {modules: []string{xexp}},
	// Reads a copy of a SQLite WAL and the database's dbstat, nothing of carillon's.
	"bench/walpages": {modules: []string{sqlite}},
	"bench/e2ewait":  {imports: []string{"bench/internal/benchkit"}},                                                                      // reads /metrics with benchkit
	"bench/search":   {imports: []string{"", "bench/internal/benchkit", "secretbox", "service", "store"}, modules: []string{pgx, sqlite}}, // fills a store as consolepages does, times search, drops the index (raw SQL) to time an upgrade
	// Fills a store as consolepages does, then times the real binary's
	// API reads over HTTP, and reads the database's size (the store's
	// file name; PostgreSQL through benchkit's driver).
	"bench/apireads": {imports: []string{"", "bench/internal/benchkit", "store"}},
	// The end-to-end tests run the real binary: of the module they use only
	// the providers' fakes; they read the stores directly to check them.
	"e2e": {testImports: []string{"provider/whatsapp/whatsapptest", "provider/telegram/telegramtest", "provider/messenger/metatest"},
		testModules: []string{pgx, sqlite, standardHooks}},
}

type pkg struct {
	ImportPath   string
	Imports      []string
	TestImports  []string
	XTestImports []string
}

// violations returns what p imports against its rule; modules are the
// modules go.mod requires.
func violations(p pkg, r rule, modules []string) []string {
	name := inModule(p.ImportPath)
	var out []string
	check := func(imports []string, own, thirdParty []string, where string) {
		for _, imp := range imports {
			switch {
			case imp == module || strings.HasPrefix(imp, module+"/"):
				dep := inModule(imp)
				if !r.anything && dep != name && !slices.Contains(own, dep) {
					out = append(out, fmt.Sprintf("%s imports %s: not allowed by the dependency rule%s", p.ImportPath, imp, where))
				} else if where == "" && rules[dep].testOnly && !r.testOnly { // a test-only package may build on another
					out = append(out, fmt.Sprintf("%s imports %s: only tests may import it", p.ImportPath, imp))
				}
			case !strings.Contains(strings.Split(imp, "/")[0], "."):
				// The standard library.
			default:
				if m := moduleOf(imp, modules); !slices.Contains(thirdParty, m) {
					out = append(out, fmt.Sprintf("%s imports %s of module %s: not among the third-party modules it may use%s", p.ImportPath, imp, m, where))
				}
			}
		}
	}
	check(p.Imports, r.imports, r.modules, "")
	check(slices.Concat(p.TestImports, p.XTestImports), slices.Concat(r.imports, r.testImports), slices.Concat(r.modules, r.testModules), " (in its tests)")
	return out
}

// inModule is a module package's path inside the module ("" for the root).
func inModule(importPath string) string {
	return strings.TrimPrefix(strings.TrimPrefix(importPath, module), "/")
}

// moduleOf is the module of a third-party package: the longest of modules
// that holds it (the import path itself when none does).
func moduleOf(importPath string, modules []string) string {
	best := importPath
	found := false
	for _, m := range modules {
		if (importPath == m || strings.HasPrefix(importPath, m+"/")) && (!found || len(m) > len(best)) {
			best, found = m, true
		}
	}
	return best
}

// required lists the modules go.mod requires.
func required(t *testing.T) []string {
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Skipf("go mod edit is not available: %v", err)
	}
	var mod struct {
		Require []struct{ Path string }
	}
	if err := json.Unmarshal(out, &mod); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, r := range mod.Require {
		paths = append(paths, r.Path)
	}
	return paths
}

func TestDependencyRule(t *testing.T) {
	modules := required(t)
	cmd := exec.Command("go", "list", "-json", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Skipf("go list is not available: %v", err)
	}
	dec := json.NewDecoder(out)
	seen := 0
	for {
		var p pkg
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		seen++
		name := inModule(p.ImportPath)
		r, known := rules[name]
		if !known {
			t.Errorf("package %q is not in the dependency rule: add it to rules with what it may import", name)
			continue
		}
		for _, v := range violations(p, r, modules) {
			t.Error(v)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	if seen < 10 {
		t.Fatalf("go list found only %d packages", seen)
	}
}

// TestViolations checks the checker: each kind of import it must refuse,
// and those it must let through.
func TestViolations(t *testing.T) {
	modules := []string{pgx, "github.com/jackc/pgx", yaml}
	const ours = module + "/"
	tests := []struct {
		name string
		p    pkg
		r    rule
		n    int      // violations
		want []string // pieces of their text
	}{
		{"allowed code, tests and standard library",
			pkg{ImportPath: ours + "store", Imports: []string{module, "context", pgx + "/pgxpool"}, TestImports: []string{ours + "store/storetest", "testing"}},
			rule{imports: []string{""}, modules: []string{pgx}, testImports: []string{"store/storetest"}}, 0, nil},
		{"its own package in its external tests", pkg{ImportPath: ours + "media", XTestImports: []string{ours + "media"}}, rule{}, 0, nil},
		{"an adapter importing another", pkg{ImportPath: ours + "httpapi", Imports: []string{ours + "store"}},
			rule{imports: []string{"", "service"}}, 1, []string{"imports " + ours + "store: not allowed"}},
		{"a test import outside the test list", pkg{ImportPath: ours + "outbox", XTestImports: []string{ours + "httpapi"}},
			rule{imports: []string{""}, testImports: []string{"store"}}, 1, []string{"(in its tests)"}},
		{"a test-only package in a test-only package", pkg{ImportPath: ours + "internal/testrig", Imports: []string{ours + "internal/testrig/seed"}},
			rule{imports: []string{"internal/testrig/seed"}, testOnly: true}, 0, nil},
		{"a test-only import in the code", pkg{ImportPath: ours + "outbox", Imports: []string{ours + "store"}},
			rule{testImports: []string{"store"}}, 1, []string{"imports " + ours + "store: not allowed"}},
		{"a third-party module not listed", pkg{ImportPath: ours + "service", Imports: []string{pgx + "/pgconn"}},
			rule{modules: []string{yaml}}, 1, []string{"of module " + pgx + ":"}},
		{"a test-only module in the code", pkg{ImportPath: ours + "service", Imports: []string{yaml}},
			rule{testModules: []string{yaml}}, 1, []string{"of module " + yaml + ":"}},
		{"a third-party module in tests", pkg{ImportPath: ours + "e2e", TestImports: []string{"example.com/unlisted/pkg"}},
			rule{}, 1, []string{"example.com/unlisted/pkg: not among", "(in its tests)"}},
		{"shared test setup in the code, even the wiring's", pkg{ImportPath: ours + "cmd/carillon", Imports: []string{ours + "internal/testrig"}},
			rule{anything: true}, 1, []string{"only tests may import it"}},
		{"shared test setup in tests", pkg{ImportPath: ours + "outbox", XTestImports: []string{ours + "internal/testrig"}},
			rule{testImports: []string{"internal/testrig"}}, 0, nil},
		{"the wiring imports anything of ours, not any module", pkg{ImportPath: ours + "cmd/carillon", Imports: []string{ours + "store", yaml}},
			rule{anything: true}, 1, []string{"of module " + yaml + ":"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := violations(tt.p, tt.r, modules)
			if len(got) != tt.n {
				t.Fatalf("violations = %q, want %d", got, tt.n)
			}
			all := strings.Join(got, "\n")
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("violations = %q, want one containing %q", got, w)
				}
			}
		})
	}
}
