package console

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// The browser tests drive Debian's chromium through chromedp: one browser
// for the test binary, started by the first test that needs it, and a tab
// of its own for each test.

//go:embed testdata/axe/axe.min.js
var axeSource string

// browserEnv turns the browser tests on: "on" drives Debian's chromium, any
// other value except "off" is the path of a Chromium to drive. They are off
// by default, so that `go test ./...` stays quick: they drive a real browser
// for about a minute on two cores, and CI runs them in a stage of their own.
// screenshotsEnv names a folder that receives a screenshot of every page
// checked.
const (
	browserEnv     = "CARILLON_TEST_CHROMIUM"
	screenshotsEnv = "CARILLON_SCREENSHOTS"
)

var browser struct {
	once    sync.Once
	ctx     context.Context
	cancel  func()
	dataDir string
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	if browser.dataDir != "" {
		os.RemoveAll(browser.dataDir)
	}
	os.Exit(code)
}

// chromiumPath is the browser to drive: "" when the browser tests are off,
// and an error when they are on but the browser named is missing.
func chromiumPath() (string, error) {
	switch p := os.Getenv(browserEnv); p {
	case "", "off":
		return "", nil
	case "on":
		for _, p := range []string{"/usr/bin/chromium", "chromium"} {
			if found, err := exec.LookPath(p); err == nil {
				return found, nil
			}
		}
		return "", errors.New(browserEnv + "=on but Debian's chromium is not installed (apt-get install chromium)")
	default:
		if _, err := exec.LookPath(p); err != nil {
			return "", fmt.Errorf("%s names %q: %w", browserEnv, p, err)
		}
		return p, nil
	}
}

func startBrowser(path string) {
	browser.dataDir, browser.err = os.MkdirTemp("", "carillon-chromium-")
	if browser.err != nil {
		return
	}
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(browser.dataDir),
	)
	ctx, cancel := chromedp.NewContext(alloc)
	browser.ctx = ctx
	browser.cancel = func() { cancel(); cancelAlloc() }
	// The first run starts the browser.
	browser.err = chromedp.Do(ctx)
}

// tab is a browser tab of the test, with what its pages wrote to the
// console.
type tab struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	// problems are the console's errors and the policy's violations.
	problems []string
}

// newTab opens a tab of the shared browser, closed when the test ends; it
// skips the test when no browser is installed.
func newTab(t *testing.T) *tab {
	t.Helper()
	path, err := chromiumPath()
	if err != nil {
		t.Fatal(err)
	}
	if path == "" {
		t.Skip("browser tests are off: " + browserEnv + "=on runs them in Debian's chromium, or set it to the path of a Chromium")
	}
	browser.once.Do(func() { startBrowser(path) })
	if browser.err != nil {
		t.Fatalf("starting %s: %v", path, browser.err)
	}
	// A browser context of its own: cookies are not shared with the other
	// tests' tabs.
	ctx, cancel := chromedp.NewContext(browser.ctx, chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(cancelTimeout)
	tb := &tab{t: t, ctx: ctx}
	// Violations of the Content-Security-Policy are caught by a listener
	// the browser adds to every page (scripts given this way are not
	// subject to the page's policy), and by the console's errors.
	err = chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := cdp.Call(ctx, target, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: `
			window.cspViolations = [];
			document.addEventListener("securitypolicyviolation", function (e) {
				window.cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at line " + e.lineNumber);
			});`})
		return err
	}))
	if err != nil {
		t.Fatal(err)
	}
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			// A page answered with an error status is logged by the
			// network: the tests ask for those pages on purpose.
			if (m.Type == chromedp.ConsoleError && m.Source != "network") || m.IsException() {
				tb.mu.Lock()
				tb.problems = append(tb.problems, m.String())
				tb.mu.Unlock()
			}
		}
	}()
	return tb
}

// do runs actions, failing the test on an error.
func (tb *tab) do(actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, actions...); err != nil {
		tb.t.Fatal(err)
	}
}

// text is the text of the first element sel matches.
func (tb *tab) text(sel string) string {
	tb.t.Helper()
	s, err := chromedp.Run(tb.ctx, chromedp.Text(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		tb.t.Fatalf("text of %s: %v", sel, err)
	}
	return s
}

// location is the path (and query) the tab shows.
func (tb *tab) location() string {
	tb.t.Helper()
	loc, err := chromedp.Run(tb.ctx, chromedp.Location())
	if err != nil {
		tb.t.Fatal(err)
	}
	i := strings.Index(strings.TrimPrefix(strings.TrimPrefix(loc, "http://"), "https://"), "/")
	if i < 0 {
		return "/"
	}
	return strings.SplitN(loc, "://", 2)[1][i:]
}

// submit fills a form's fields (by CSS selector) and sends it with the
// button sel, waiting for the next page.
func (tb *tab) submit(fields map[string]string, button string) {
	tb.t.Helper()
	for sel, v := range fields {
		tb.do(chromedp.SetValue(chromedp.CSS(sel), v))
	}
	loaded := chromedp.Events(tb.ctx, page.LoadEventFired)
	tb.do(chromedp.Click(chromedp.CSS(button), chromedp.NodeVisible))
	for _, err := range loaded {
		if err != nil {
			tb.t.Fatal(err)
		}
		break
	}
}

// check checks the page the tab shows: no error in the console, no
// violation of the Content-Security-Policy, no violation axe-core finds;
// and keeps its screenshots, desktop and phone, under name.
func (tb *tab) check(name string) {
	tb.t.Helper()
	tb.do(chromedp.WaitReady(chromedp.CSS("body")))
	violations, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`window.cspViolations || []`))
	if err != nil {
		tb.t.Fatal(err)
	}
	for _, v := range violations {
		tb.t.Errorf("%s: Content-Security-Policy violation: %s", name, v)
	}
	tb.mu.Lock()
	for _, p := range tb.problems {
		tb.t.Errorf("%s: console: %s", name, p)
	}
	tb.problems = nil
	tb.mu.Unlock()
	tb.axe(name)
	tb.screenshots(name)
}

// axe runs axe-core on the page (injected by the test's own evaluation,
// which the page's policy does not govern) against WCAG 2.2 A and AA.
func (tb *tab) axe(name string) {
	tb.t.Helper()
	for _, v := range tb.axeViolations() {
		tb.t.Errorf("%s: accessibility: %s", name, v)
	}
}

// axeViolations are the violations axe-core finds on the page.
func (tb *tab) axeViolations() []string {
	tb.t.Helper()
	if err := chromedp.Do(tb.ctx, chromedp.Func(func(ctx context.Context, target *chromedp.Target) error {
		_, err := chromedp.Evaluate[any](axeSource+";0")(ctx, target)
		return err
	})); err != nil {
		tb.t.Fatalf("injecting axe-core: %v", err)
	}
	found, err := chromedp.Run(tb.ctx, chromedp.Evaluate[[]string](`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]}})
		.then(r => r.violations.map(v => v.id + " (" + v.impact + "): " + v.help + " at " + v.nodes.map(n => n.target.join(" ")).join(", ")))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		tb.t.Fatalf("running axe-core: %v", err)
	}
	return found
}

// screenshots saves the page at 1280x800 and at 390x844 (a phone) into
// CARILLON_SCREENSHOTS, when it is set.
func (tb *tab) screenshots(name string) {
	tb.t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.t.Fatal(err)
	}
	for _, size := range []struct {
		suffix        string
		width, height int64
		mobile        bool
	}{{"desktop", 1280, 800, false}, {"phone", 390, 844, true}} {
		opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(1)}
		if size.mobile {
			opts = append(opts, chromedp.EmulateMobile)
		}
		tb.do(chromedp.EmulateViewport(size.width, size.height, opts...))
		png, err := chromedp.Run(tb.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			tb.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%s-%s.png", name, size.suffix)), png, 0o644); err != nil {
			tb.t.Fatal(err)
		}
	}
	tb.do(chromedp.EmulateViewport(1280, 800, chromedp.EmulateScale(1)))
}

// signIn signs in through the sign-in page.
func (tb *tab) signIn(base, email string) {
	tb.t.Helper()
	tb.do(chromedp.Navigate(base + "/sign-in"))
	tb.submit(map[string]string{"#email": email, "#password": password}, `form[action="/sign-in"] button`)
	if loc := tb.location(); loc == "/sign-in" {
		tb.t.Fatalf("sign-in as %s stayed on the sign-in page: %s", email, tb.text("main"))
	}
}
