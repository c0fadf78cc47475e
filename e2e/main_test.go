// Package e2e tests carillon from the outside: each test builds nothing
// itself but runs the real carillon binary (built once by TestMain) on a
// random loopback port, talks to it over HTTP with net/http, and runs the
// other carillon commands against the same data folder.
package e2e

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
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// binary is the carillon binary that TestMain built.
var binary string

func TestMain(m *testing.M) {
	flag.Parse()
	raiseParallel()
	os.Exit(runMain(m))
}

// waitingTests is how many tests run at once when -parallel is not given.
// An end-to-end test spends its time waiting for carillon processes, not
// computing, so the default of one test a CPU would leave the machine
// mostly idle while the tests wait one after the other.
const waitingTests = 16

// raiseParallel sets -test.parallel to waitingTests, unless the command
// line set it.
func raiseParallel() {
	given := false
	flag.Visit(func(f *flag.Flag) { given = given || f.Name == "test.parallel" })
	if !given {
		if err := flag.Set("test.parallel", strconv.Itoa(waitingTests)); err != nil {
			fmt.Fprintln(os.Stderr, "e2e:", err)
		}
	}
}

func runMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "carillon-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	root, err := filepath.Abs("..")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	if binary = cachedBinary(root); binary == "" {
		binary = filepath.Join(dir, "carillon")
		build := exec.Command("go", "build", "-o", binary, "./cmd/carillon")
		build.Dir = root
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "e2e: building carillon:", err)
			return 1
		}
	}
	return m.Run()
}

// cachedBinary returns the path of the carillon binary that the Go build
// cache holds, "" when it cannot be had (the caller builds one then). The
// cache keeps the executables `go run` links (since Go 1.24), and `go run
// -exec echo` prints the executable's path instead of running it: a run of
// the tests after one that built the same code links nothing, where
// `go build -o` links the whole binary again (about 3 s of CPU). On a miss,
// the first call prints a temporary path, removed when go run exits, and
// the second finds the binary cached.
func cachedBinary(root string) string {
	for range 2 {
		run := exec.Command("go", "run", "-exec", "echo", "./cmd/carillon")
		run.Dir = root
		run.Stderr = os.Stderr
		out, err := run.Output()
		if err != nil {
			return ""
		}
		path := strings.TrimSpace(string(out))
		if st, err := os.Stat(path); err == nil && st.Mode().IsRegular() && filepath.IsAbs(path) {
			return path
		}
	}
	return ""
}

// cleanEnv is the test's environment without carillon's own variables, so
// that a developer's CARILLON_* settings do not leak into the processes.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CARILLON_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// syncBuffer is a bytes.Buffer that a process writes while a test reads.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// server is one carillon serve process (and its restarts) on one data
// folder, and on a PostgreSQL schema when pg is set.
type server struct {
	t    testing.TB
	data string
	args []string  // extra serve flags, kept across restarts
	pg   *pgSchema // the store, when not SQLite in the data folder

	// launcher, when set, runs the binary: its words, then the binary and
	// its arguments (a shell that lowers a limit first, say).
	launcher []string

	URL  string // http://127.0.0.1:PORT, also the public URL
	Key  string // the first API key
	HTTP *http.Client

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{} // closed when the current process has exited
	exitErr error
	stderr  *syncBuffer // every run's standard error, one after the other
	stdout  *syncBuffer // the current run's standard output
	runs    int
}

// startServer runs carillon serve on a fresh data folder and returns once
// it printed its first API key and answers GET /readyz with 200. The
// process is stopped when the test ends.
func startServer(t testing.TB, extraArgs ...string) *server {
	t.Helper()
	s := newServer(t, t.TempDir(), extraArgs...)
	s.start(true)
	return s
}

// newServer returns a server on the data folder dir, not started yet.
func newServer(t testing.TB, dir string, extraArgs ...string) *server {
	t.Helper()
	s := &server{
		t: t, data: dir, args: extraArgs, stderr: &syncBuffer{},
		HTTP: &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
			Proxy: nil, MaxIdleConns: 64, MaxIdleConnsPerHost: 64, IdleConnTimeout: 30 * time.Second,
		}},
	}
	t.Cleanup(func() {
		s.stop()
		s.HTTP.CloseIdleConnections()
		if t.Failed() {
			t.Logf("carillon serve standard error, without the debug lines of requests (last 64 KiB):\n%s", tail(withoutRequestLogs(s.stderr.String()), 64<<10))
		}
	})
	return s
}

// withoutRequestLogs drops the debug lines that log each request: polling
// makes thousands of them, which would hide the lines that matter.
func withoutRequestLogs(log string) string {
	var b strings.Builder
	dropped := 0
	for _, line := range strings.SplitAfter(log, "\n") {
		if strings.Contains(line, `"level":"DEBUG","msg":"request"`) {
			dropped++
			continue
		}
		b.WriteString(line)
	}
	if dropped > 0 {
		fmt.Fprintf(&b, "(%d debug lines of requests left out)\n", dropped)
	}
	return b.String()
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}

// freePort returns a loopback port that was free a moment ago.
func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

// start runs a serve process on s.data. With wantKey, it waits for the key
// that a fresh store prints on standard output.
func (s *server) start(wantKey bool) {
	t := s.t
	t.Helper()
	if wantKey {
		s.Key = "" // a new store prints a new key; a retry keeps the one it printed
	}
	for try := 0; ; try++ {
		err := s.tryStart(wantKey)
		if err == nil {
			return
		}
		// Another process may have taken the port between freePort and
		// the server's listen: try another one.
		if try < 3 && strings.Contains(s.currentStderr(), "address already in use") {
			continue
		}
		t.Fatalf("starting carillon serve: %v\nstandard error:\n%s", err, tail(s.stderr.String(), 64<<10))
	}
}

func (s *server) currentStderr() string {
	all := s.stderr.String()
	if i := strings.LastIndex(all, "--- run "); i >= 0 {
		return all[i:]
	}
	return all
}

func (s *server) tryStart(wantKey bool) error {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(s.t))
	args := append([]string{"serve", "--addr", addr, "--data", s.data}, s.storeArgs()...)
	args = append(append(args, "--sandbox-delay", "20ms", "--log-level", "debug"), s.args...)
	name, argv := binary, args
	if len(s.launcher) > 0 {
		name, argv = s.launcher[0], append(append(append([]string{}, s.launcher[1:]...), binary), args...)
	}
	cmd := exec.Command(name, argv...)
	cmd.Env = cleanEnv()
	stdout := &syncBuffer{}
	cmd.Stdout = stdout
	s.mu.Lock()
	s.stdout = stdout
	s.runs++
	fmt.Fprintf(s.stderr, "--- run %d: carillon %s\n", s.runs, strings.Join(args, " "))
	s.mu.Unlock()
	cmd.Stderr = s.stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan struct{})
	s.mu.Lock()
	s.cmd, s.exited, s.exitErr = cmd, exited, nil
	s.mu.Unlock()
	go func() {
		err := cmd.Wait()
		s.mu.Lock()
		s.exitErr = err
		s.mu.Unlock()
		close(exited)
	}()
	s.URL = "http://" + addr

	deadline := time.Now().Add(30 * time.Second)
	// A retry after a port taken by another process prints the key: serve
	// listens before it sets the account up.
	if wantKey && s.Key == "" {
		for {
			if key := firstKey(stdout.String()); key != "" {
				s.Key = key
				break
			}
			select {
			case <-exited:
				return fmt.Errorf("serve exited before printing an API key (%v); standard output: %q", s.exitError(), stdout.String())
			case <-time.After(10 * time.Millisecond):
			}
			if time.Now().After(deadline) {
				s.kill()
				return fmt.Errorf("no API key on standard output after 30 s; standard output: %q", stdout.String())
			}
		}
	}
	// Wait until this process listens before asking /readyz: until then,
	// another test's server may hold the port (it was free only a moment
	// ago) and answer for it.
	for !strings.Contains(s.currentStderr(), "carillon listening") {
		select {
		case <-exited:
			return fmt.Errorf("serve exited before it listened (%v)", s.exitError())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return errors.New("serve did not listen within 30 s")
		}
	}
	for {
		resp, err := s.HTTP.Get(s.URL + "/readyz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("serve exited before it was ready (%v)", s.exitError())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			s.kill()
			return errors.New("GET /readyz did not answer 200 within 30 s")
		}
	}
}

// firstKey returns the line of out that is an API key alone.
func firstKey(out string) string {
	for _, line := range strings.Split(out, "\n") {
		if line = strings.TrimSpace(line); strings.HasPrefix(line, "crln_") && !strings.ContainsAny(line, " \t") {
			return line
		}
	}
	return ""
}

func (s *server) exitError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.exitErr
}

// running reports whether the current process has not exited.
func (s *server) running() bool {
	s.mu.Lock()
	ch := s.exited
	s.mu.Unlock()
	if ch == nil {
		return false
	}
	select {
	case <-ch:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for the process to exit, killing it after
// 10 s. It returns the process's exit error (nil for status 0), or an error
// saying it had to be killed.
func (s *server) stop() error {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return nil
	}
	select {
	case <-exited:
		return s.exitError()
	default:
	}
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
		return s.exitError()
	case <-time.After(10 * time.Second):
		_ = cmd.Process.Kill()
		<-exited
		return errors.New("carillon serve did not stop within 10 s of SIGTERM: killed")
	}
}

// signalTerm sends SIGTERM without waiting.
func (s *server) signalTerm() {
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
}

// waitExit waits for the current process to exit and returns its exit
// error.
func (s *server) waitExit(timeout time.Duration) error {
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	select {
	case <-exited:
		return s.exitError()
	case <-time.After(timeout):
		return fmt.Errorf("carillon serve still running after %v", timeout)
	}
}

// kill stops the process at once, as kill -9 does.
func (s *server) kill() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// restart starts serve again on the same data folder (on a new port); the
// previous process must have exited.
func (s *server) restart() {
	s.t.Helper()
	if s.running() {
		s.t.Fatal("restart: the previous carillon serve is still running")
	}
	s.HTTP.CloseIdleConnections()
	s.start(false)
}

// storeArgs are the flags that name the server's store besides --data:
// the PostgreSQL URL and the secret key that all instances share.
func (s *server) storeArgs() []string {
	if s.pg == nil {
		return nil
	}
	return []string{"--database-url", s.pg.url, "--secret-key", testSecretKey}
}

// dbPath is the SQLite database of the data folder.
func (s *server) dbPath() string { return filepath.Join(s.data, "carillon.db") }

// cliResult is what a carillon command did.
type cliResult struct {
	Stdout, Stderr string
	Code           int
}

// carillon runs a carillon command (not serve) and returns its output and
// exit status.
func carillon(t testing.TB, env []string, args ...string) cliResult {
	t.Helper()
	return carillonWithStdin(t, env, "", args...)
}

// carillonWithStdin runs a carillon command with stdin as its standard
// input.
func carillonWithStdin(t testing.TB, env []string, stdin string, args ...string) cliResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = cleanEnv(env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	res := cliResult{Stdout: stdout.String(), Stderr: stderr.String()}
	var exit *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exit):
		res.Code = exit.ExitCode()
	default:
		t.Fatalf("carillon %s: %v", strings.Join(args, " "), err)
	}
	return res
}

// admin runs an admin command on the server's store: the command's verbs,
// then --data DIR (and the PostgreSQL flags), then the rest (flags before
// arguments).
func (s *server) admin(t testing.TB, verbs []string, rest ...string) cliResult {
	t.Helper()
	return s.adminStdin(t, "", verbs, rest...)
}

// adminStdin runs an admin command on the server's store, as admin does,
// with stdin as its standard input.
func (s *server) adminStdin(t testing.TB, stdin string, verbs []string, rest ...string) cliResult {
	t.Helper()
	args := append(append(append(append([]string{}, verbs...), "--data", s.data), s.storeArgs()...), rest...)
	return carillonWithStdin(t, nil, stdin, args...)
}

// createKey makes an API key with carillon keys create and returns its
// secret (the last line of standard output).
func (s *server) createKey(t testing.TB, name string) string {
	t.Helper()
	res := s.admin(t, []string{"keys", "create"}, "--name", name)
	if res.Code != 0 {
		t.Fatalf("keys create: exit %d\nstdout: %s\nstderr: %s", res.Code, res.Stdout, res.Stderr)
	}
	lines := strings.Split(strings.TrimSpace(res.Stdout), "\n")
	key := strings.TrimSpace(lines[len(lines)-1])
	if !strings.HasPrefix(key, "crln_") {
		t.Fatalf("keys create: the last line of standard output is not a key: %q", res.Stdout)
	}
	return key
}

// response is an HTTP answer, read whole.
type response struct {
	Code   int
	Header http.Header
	Body   []byte
}

// JSON decodes the answer's body as a JSON object.
func (r response) JSON(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(r.Body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("answer %d is not a JSON object: %v\nbody: %q", r.Code, err, r.Body)
	}
	return v
}

func (r response) String() string { return fmt.Sprintf("%d %s", r.Code, bytes.TrimSpace(r.Body)) }

// do makes a request with the key (none when key is "") and the headers
// given as name, value pairs.
func (s *server) do(t testing.TB, method, path, key, body string, headers ...string) response {
	t.Helper()
	r, err := s.try(method, path, key, body, headers...)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return r
}

// try is do without a test: it returns transport errors.
func (s *server) try(method, path, key, body string, headers ...string) (response, error) {
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	if err != nil {
		return response{}, err
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := s.HTTP.Do(req)
	// A connection refused by a server that is running (seen, rarely, on a
	// loaded machine with many loopback connections) is tried again, for
	// requests without a body; one that went away fails at once.
	for again := 0; err != nil && body == "" && again < 3 && isDialError(err) && s.running(); again++ {
		time.Sleep(100 * time.Millisecond)
		resp, err = s.HTTP.Do(req)
	}
	if err != nil {
		return response{}, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, err
	}
	return response{Code: resp.StatusCode, Header: resp.Header, Body: b}, nil
}

// isDialError reports whether err is a failure to connect (no request was
// sent).
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// sendText sends a text message with the first key and returns the new
// message's uuid; the answer must be 200 enqueued.
func (s *server) sendText(t testing.TB, to, text string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"to": to, "from": "whatsapp", "type": "text", "content": map[string]string{"text": text}})
	r := s.do(t, "POST", "/v1/messages/send", s.Key, string(body))
	return enqueuedUUID(t, r)
}

// enqueuedUUID checks a send's answer, 200 {"message": {"uuid", "status":
// "enqueued"}}, and returns the uuid.
func enqueuedUUID(t testing.TB, r response) string {
	t.Helper()
	if r.Code != http.StatusOK {
		t.Fatalf("send: want 200, got %s", r)
	}
	msg := object(t, r.JSON(t), "message")
	uuid, _ := msg["uuid"].(string)
	if !isUUID(uuid) {
		t.Fatalf("send: uuid %q is not 32 lowercase hex characters: %s", uuid, r)
	}
	if msg["status"] != "enqueued" {
		t.Fatalf("send: want status enqueued, got %s", r)
	}
	return uuid
}

// object returns v[name] as a JSON object.
func object(t testing.TB, v map[string]any, name string) map[string]any {
	t.Helper()
	o, ok := v[name].(map[string]any)
	if !ok {
		t.Fatalf("want an object under %q, got %#v", name, v[name])
	}
	return o
}

func isUUID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// status reads a message's status answer: the message object.
func (s *server) status(t testing.TB, uuid string) map[string]any {
	t.Helper()
	r := s.do(t, "GET", "/v1/messages/status/"+uuid, s.Key, "")
	if r.Code != http.StatusOK {
		t.Fatalf("status of %s: want 200, got %s", uuid, r)
	}
	return object(t, r.JSON(t), "message")
}

// finalStatuses are the statuses after which nothing changes.
var finalStatuses = map[string]bool{"failed": true, "mismatch": true, "deleted": true}

// ladder orders the statuses of a delivery.
var ladder = map[string]int{"enqueued": 0, "sent": 1, "delivered": 2, "read": 3}

// waitStatus polls a message's status every 20 ms until it is want, and
// returns the message object then. It fails the test when the status ends
// elsewhere (a final status other than want), moves backwards, or is not
// want after timeout. seen receives each status observed, in order, when
// not nil.
func (s *server) waitStatus(t testing.TB, uuid, want string, timeout time.Duration, seen *[]string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for {
		msg := s.status(t, uuid)
		st, _ := msg["status"].(string)
		if st != last {
			if seen != nil {
				*seen = append(*seen, st)
			}
			if r, ok := ladder[last]; ok && ladder[st] < r && !finalStatuses[st] {
				t.Fatalf("message %s: status moved back from %s to %s", uuid, last, st)
			}
			last = st
		}
		if st == want {
			return msg
		}
		rank, onLadder := ladder[st]
		if finalStatuses[st] || (onLadder && ladder[want] < rank && !finalStatuses[want]) {
			t.Fatalf("message %s: want status %s, it ended %s (messageStatusPayload %s)", uuid, want, st, compact(msg["messageStatusPayload"]))
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %s: still %s after %v, want %s", uuid, st, timeout, want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func compact(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// errorLogs returns the lines that the server logged at level ERROR.
func (s *server) errorLogs() []string {
	var out []string
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		var entry struct{ Level string }
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Level == "ERROR" {
			out = append(out, line)
		}
	}
	return out
}
