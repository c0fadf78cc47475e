package e2e

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// slowRequest is a request sent over a raw connection that announces a
// body and then sends it one byte at a time, as slowly as a sender that
// means to hold the connection.
type slowRequest struct {
	conn net.Conn
	done chan struct{}
	wg   sync.WaitGroup
}

// startSlowRequest dials the server and sends the request line, the
// headers (given as name, value pairs) with Content-Length: 100000, and the
// first byte of the body; then one more byte every 200 ms until the
// server answers or closes.
func startSlowRequest(t *testing.T, s *server, method, path string, headers ...string) *slowRequest {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(s.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	var head strings.Builder
	fmt.Fprintf(&head, "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 100000\r\n", method, path, strings.TrimPrefix(s.URL, "http://"))
	for i := 0; i+1 < len(headers); i += 2 {
		fmt.Fprintf(&head, "%s: %s\r\n", headers[i], headers[i+1])
	}
	head.WriteString("\r\n{")
	if _, err := conn.Write([]byte(head.String())); err != nil {
		conn.Close()
		t.Fatal(err)
	}
	sr := &slowRequest{conn: conn, done: make(chan struct{})}
	sr.wg.Add(1)
	go func() {
		defer sr.wg.Done()
		tick := time.NewTicker(200 * time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-sr.done:
				return
			case <-tick.C:
				if _, err := conn.Write([]byte(" ")); err != nil {
					return
				}
			}
		}
	}()
	t.Cleanup(sr.close)
	return sr
}

func (sr *slowRequest) close() {
	select {
	case <-sr.done:
	default:
		close(sr.done)
	}
	sr.conn.Close()
	sr.wg.Wait()
}

// answer waits (at most timeout) for the server's answer, then checks that
// the server closes the connection after it.
func (sr *slowRequest) answer(t *testing.T, timeout time.Duration) response {
	t.Helper()
	_ = sr.conn.SetReadDeadline(time.Now().Add(timeout))
	rd := bufio.NewReader(sr.conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatalf("no answer within %v: %v", timeout, err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	if _, err := rd.ReadByte(); err != io.EOF && !errors.Is(err, net.ErrClosed) && !isReset(err) {
		t.Errorf("the connection is still open after the answer %d (%v)", resp.StatusCode, err)
	}
	sr.close()
	return response{Code: resp.StatusCode, Header: resp.Header, Body: body}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// oneShot makes a request on a connection of its own, closed after it.
// connectionCounter reads carillon_http_open_connections from /metrics on
// one keep-alive connection of its own, opened first and so within the
// bound, and counted in every reading: a connection made for each reading
// would linger in the count for a moment after its answer.
type connectionCounter struct {
	s      *server
	client *http.Client
}

func newConnectionCounter(s *server) *connectionCounter {
	return &connectionCounter{s: s, client: &http.Client{Timeout: 30 * time.Second,
		Transport: &http.Transport{Proxy: nil, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}}}
}

func (c *connectionCounter) open(t *testing.T) int {
	t.Helper()
	resp, err := c.client.Get(c.s.URL + "/metrics")
	if err != nil {
		t.Fatalf("GET /metrics: %v", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.SplitSeq(string(body), "\n") {
		if v, ok := strings.CutPrefix(line, "carillon_http_open_connections "); ok {
			n, err := strconv.Atoi(v)
			if err != nil {
				t.Fatalf("carillon_http_open_connections %q: %v", v, err)
			}
			return n
		}
	}
	t.Fatalf("/metrics has no carillon_http_open_connections: %s", body)
	return 0
}

// waitFor waits until the server counts want open connections, the
// counter's own included.
func (c *connectionCounter) waitFor(t *testing.T, want int) {
	t.Helper()
	var got int
	waitUntil(t, 30*time.Second, func() bool { got = c.open(t); return got == want },
		func() string { return fmt.Sprintf("open connections: %d, want %d", got, want) })
}

func oneShot(t *testing.T, s *server, method, path, key string) response {
	t.Helper()
	req, err := http.NewRequest(method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{Code: resp.StatusCode, Header: resp.Header, Body: body}
}

// TestSlowRequests floods a server, bounded to 5 connections (one of them
// the test's own, reading the count of open connections), with 8 requests
// that send their body a byte at a time: the 4 past the bound are answered
// 503 at once, /healthz keeps answering 200 and other routes 503 while the
// bound is full, the 4 slow senders within it are cut off with 408 long
// before the read timeout (2 minutes here) since their body comes far too
// slowly, and the server serves again afterwards. A callback to no channel
// is answered 404 before its body is read. Their pace is judged after 4 s
// rather than 5: sooner over, and time enough to see the bound full (with
// 2 s, a machine loaded by the whole test suite once took longer than that
// between the first sender and the check, and a sender cut off had freed
// its place).
func TestSlowRequests(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--max-connections", "5", "--read-timeout", "120s", "--body-pace-grace", "4s")
	// The harness's own keep-alive connection must not take a place: it is
	// closed, and the server is waited for until it counts only the
	// counter's.
	s.HTTP.CloseIdleConnections()
	counter := newConnectionCounter(s)
	counter.waitFor(t, 1)

	var slow []*slowRequest
	for i := range 8 {
		slow = append(slow, startSlowRequest(t, s, "POST", "/v1/messages/send", "Authorization", "Bearer "+s.Key))
		if i < 4 {
			// Each of the first four is in before the next comes.
			counter.waitFor(t, i+2)
		}
	}
	// While the senders within the bound are held (4 s before their pace
	// is judged), the bound is full.
	if r := oneShot(t, s, "GET", "/healthz", ""); r.Code != http.StatusOK {
		t.Errorf("GET /healthz under the flood: want 200, got %s", r)
	}
	r := oneShot(t, s, "GET", "/v1/auth/me", s.Key)
	wantError(t, r, http.StatusServiceUnavailable, "unavailable", "")
	if r.Header.Get("Retry-After") == "" {
		t.Errorf("503 past the bound without Retry-After: %v", r.Header)
	}

	var timedOut, refused int
	for i, sr := range slow {
		r := sr.answer(t, 60*time.Second)
		switch r.Code {
		case http.StatusRequestTimeout:
			timedOut++
			wantError(t, r, http.StatusRequestTimeout, "request_timeout", "")
		case http.StatusServiceUnavailable:
			refused++
			wantError(t, r, http.StatusServiceUnavailable, "unavailable", "")
		default:
			t.Errorf("slow sender %d: want 408 or 503, got %s", i, r)
		}
	}
	if refused != 4 || timedOut != 4 {
		t.Errorf("8 slow senders, 4 connections allowed: %d cut off with 408, %d refused with 503; want 4 and 4", timedOut, refused)
	}

	// The flood is over: the server serves again.
	waitUntil(t, 30*time.Second, func() bool {
		return oneShot(t, s, "GET", "/v1/auth/me", s.Key).Code == http.StatusOK
	}, func() string { return "GET /v1/auth/me does not answer 200 after the flood" })

	// A callback to no channel is refused before its body is read.
	cb := startSlowRequest(t, s, "POST", "/callbacks/whatsapp/0123456789abcdef0123456789abcdef")
	wantError(t, cb.answer(t, 60*time.Second), http.StatusNotFound, "not_found", "")
}

// TestAuthFailureLimit checks that failed authentications are counted per
// client address: past the limit the address is answered 429 with
// Retry-After, before any key is looked up (a valid one too), and it is
// served again once the wait is over. Successes do not count.
//
// At 10 failures a minute, one is forgiven every 6 s: the checks of the
// refused address, a few requests, have that long.
func TestAuthFailureLimit(t *testing.T) {
	t.Parallel()
	const limit = 10
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind, "--auth-failure-limit", strconv.Itoa(limit))
		for range 20 {
			if r := s.do(t, "GET", "/v1/auth/me", s.Key, ""); r.Code != http.StatusOK {
				t.Fatalf("a valid key: want 200, got %s", r)
			}
		}
		wrong := "crln_0123456789abcdef0123456789abcdef0123456789abcdef"
		for i := range limit {
			if r := s.do(t, "GET", "/v1/auth/me", wrong, ""); r.Code != http.StatusUnauthorized {
				t.Fatalf("failure %d of %d: want 401, got %s", i+1, limit, r)
			}
		}
		for _, key := range []string{wrong, "", s.Key} {
			r := s.do(t, "GET", "/v1/auth/me", key, "")
			wantError(t, r, http.StatusTooManyRequests, "rate_limited", "")
			if n, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || n < 1 {
				t.Errorf("Retry-After %q, want whole seconds ≥ 1", r.Header.Get("Retry-After"))
			}
		}
		// Routes without a key are not held back.
		if r := s.do(t, "GET", "/healthz", "", ""); r.Code != http.StatusOK {
			t.Errorf("GET /healthz from a refused address: %s", r)
		}
		// Once a failure is forgiven, the address is served again.
		waitUntil(t, 60*time.Second, func() bool {
			return s.do(t, "GET", "/v1/auth/me", s.Key, "").Code == http.StatusOK
		}, func() string { return "a valid key is still refused" })
	})
}

// TestVanishedDatabase removes the SQLite database under a running server:
// /readyz and sends answer 503 and an error line says why; a restart on
// the data folder refuses to create an empty database in its place, until
// --new-database is given.
func TestVanishedDatabase(t *testing.T) {
	t.Parallel()
	s := startServer(t)
	enqueuedUUID(t, s.do(t, "POST", "/v1/messages/send", s.Key, seedBody))
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(s.dbPath() + suffix); err != nil && !errors.Is(err, fs.ErrNotExist) {
			t.Fatal(err)
		}
	}

	r := s.do(t, "GET", "/readyz", "", "")
	if r.Code != http.StatusServiceUnavailable || compact(r.JSON(t)) != `{"status":"unavailable"}` {
		t.Errorf("GET /readyz: want 503 {\"status\":\"unavailable\"}, got %s", r)
	}
	wantError(t, s.do(t, "POST", "/v1/messages/send", s.Key, seedBody), http.StatusServiceUnavailable, "unavailable", "")
	wantError(t, s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31612345699", "source": "whatsapp", "name": "Lost"}`),
		http.StatusServiceUnavailable, "unavailable", "")
	logged := func() bool {
		for _, line := range s.errorLogs() {
			var entry struct{ Msg, Error string }
			if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "store unavailable: writes are refused" && strings.Contains(entry.Error, "was removed") {
				return true
			}
		}
		return false
	}
	waitUntil(t, 10*time.Second, logged, func() string {
		return "no error line about the removed database:\n" + strings.Join(s.errorLogs(), "\n")
	})
	if err := s.stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}

	// A start on the data folder refuses, and creates nothing.
	res := carillon(t, nil, "serve", "--addr", fmt.Sprintf("127.0.0.1:%d", freePort(t)), "--data", s.data)
	if res.Code == 0 || !strings.Contains(res.Stderr, "--new-database") || !strings.Contains(res.Stderr, "secret.key") {
		t.Errorf("serve on a data folder without its database: exit %d, want non-zero naming secret.key and --new-database\nstderr: %s", res.Code, res.Stderr)
	}
	if strings.Contains(res.Stdout, "crln_") {
		t.Errorf("the refused start printed a key: %q", res.Stdout)
	}
	// (An empty file may be there: SQLite makes one when a connection of
	// the stopped server opened the missing file. It holds nothing.)
	if info, err := os.Stat(s.dbPath()); err == nil && info.Size() > 0 || err != nil && !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the refused start left a database: %v", err)
	}

	// --new-database starts afresh: a new first key; the old one is gone.
	oldKey := s.Key
	s.args = append(s.args, "--new-database")
	s.HTTP.CloseIdleConnections()
	s.start(true)
	if s.Key == oldKey {
		t.Fatal("the new database printed the old key")
	}
	wantError(t, s.do(t, "GET", "/v1/auth/me", oldKey, ""), http.StatusUnauthorized, "unauthorized", "")
	if r := s.do(t, "GET", "/v1/auth/me", s.Key, ""); r.Code != http.StatusOK {
		t.Errorf("the new key: %s", r)
	}
}

// TestOutOfFileDescriptors runs the server with 64 file descriptors and
// opens idle connections until it has none left: the server runs out of
// descriptors, says so in one JSON log line (not net/http's plain text),
// keeps answering /healthz, and serves again once the connections are
// gone.
//
// Each connection makes one request and is held idle after its answer,
// and the next one is opened only then (or once the server says it is out
// of descriptors): connections opened all at once would wait in the
// kernel's queue ahead of /healthz, which would then wait for each batch
// of them to get its 2 s past the bound.
func TestOutOfFileDescriptors(t *testing.T) {
	t.Parallel()
	s := newServer(t, t.TempDir())
	s.launcher = []string{"sh", "-c", `ulimit -n 64 && exec "$@"`, "sh"}
	s.start(true)
	s.HTTP.CloseIdleConnections()

	addr := strings.TrimPrefix(s.URL, "http://")
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var line string
	outOfFiles := func() bool {
		for _, l := range strings.Split(s.stderr.String(), "\n") {
			if strings.Contains(l, "too many open files") {
				line = l
				return true
			}
		}
		return false
	}
	for len(conns) < 100 && !outOfFiles() {
		c, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			break // the server's queue is full: enough
		}
		conns = append(conns, c)
		answered := make(chan struct{})
		go func() {
			defer close(answered)
			if _, err := fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: %s\r\n\r\n", addr); err != nil {
				return
			}
			if resp, err := http.ReadResponse(bufio.NewReader(c), nil); err == nil {
				resp.Body.Close()
			}
		}()
		waitUntil(t, 30*time.Second, func() bool {
			select {
			case <-answered:
				return true
			default:
				return outOfFiles()
			}
		}, func() string {
			return fmt.Sprintf("connection %d: no answer, and no line about the lack of file descriptors", len(conns))
		})
	}
	if !outOfFiles() {
		t.Fatalf("%d idle connections, and no line about the lack of file descriptors", len(conns))
	}
	var entry struct{ Level, Msg, Error string }
	if err := json.Unmarshal([]byte(line), &entry); err != nil || entry.Level != "ERROR" || entry.Msg != "http server" || !strings.Contains(entry.Error, "Accept error") {
		t.Errorf("the accept error is not a JSON log entry {level ERROR, msg \"http server\", error}: %q", line)
	}
	// Connections past the bound are answered within 2 s and closed, so
	// that /healthz gets a place while the flood holds the others.
	if r := oneShot(t, s, "GET", "/healthz", ""); r.Code != http.StatusOK {
		t.Errorf("GET /healthz while out of file descriptors: want 200, got %s", r)
	}

	for _, c := range conns {
		c.Close()
	}
	conns = nil
	waitUntil(t, 30*time.Second, func() bool {
		r, err := s.try("GET", "/v1/auth/me", s.Key, "")
		return err == nil && r.Code == http.StatusOK
	}, func() string { return "GET /v1/auth/me does not answer 200 after the flood" })
}

// With --pprof-addr the profiles are served on that loopback address, and
// never on the API's: a proxy in front of the API must not reach them.
func TestProfilesOnTheirOwnAddress(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	s := startServer(t, "--pprof-addr", addr)
	for _, tt := range []struct {
		name   string
		url    string
		served bool
	}{
		{"the profiles' address", "http://" + addr + "/debug/pprof/cmdline", true},
		{"the API's address", s.URL + "/debug/pprof/cmdline", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := s.HTTP.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			// The command line, as pprof serves it, names the flag.
			served := resp.StatusCode == http.StatusOK && strings.Contains(string(body), "--pprof-addr")
			if served != tt.served {
				t.Errorf("GET %s = %d, the command line served: %v, want %v", tt.url, resp.StatusCode, served, tt.served)
			}
		})
	}
}
