package httpapi_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/httpapi"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// slowReadyStore takes its time to say it is ready, and gives up when its
// caller's context ends.
type slowReadyStore struct{ carillon.Store }

func (slowReadyStore) Ready(ctx context.Context) error {
	select {
	case <-time.After(time.Second):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestReadTimeoutEndsWithTheRequest checks that the read timeout bounds
// the reception of a request, not its handling: a request that arrived in
// time is answered even when its handling outlasts the read timeout.
func TestReadTimeoutEndsWithTheRequest(t *testing.T) {
	t.Parallel()
	svc := testrig.Service(t, service.Options{Store: slowReadyStore{testrig.SQLite(t)}, InstanceID: "read-timeout-test"})
	o := testrig.APIOptions(svc)
	o.ReadTimeout, o.MaxConnections = 100*time.Millisecond, 8
	api := httpapi.New(o)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go api.Serve(ln)
	t.Cleanup(func() { api.Shutdown(context.Background()) })

	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{Proxy: nil}}
	resp, err := client.Get("http://" + ln.Addr().String() + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /readyz handled for longer than the read timeout: %d %s, want 200", resp.StatusCode, body)
	}
}

// TestConsoleStreams: a console answer that streams (the live inbox's
// Server-Sent Events) reaches the client event by event, and outlives the
// read timeout once it lifts it for its connection.
func TestConsoleStreams(t *testing.T) {
	svc := testrig.Service(t, service.Options{})
	o := testrig.APIOptions(svc)
	const readTimeout = 200 * time.Millisecond
	o.ReadTimeout = readTimeout
	o.Console = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		if err := rc.SetReadDeadline(time.Time{}); err != nil {
			t.Errorf("lifting the read deadline: %v", err)
		}
		w.Header().Set("Content-Type", "text/event-stream")
		_, _ = io.WriteString(w, "data: first\n\n")
		if err := rc.Flush(); err != nil {
			t.Errorf("flushing: %v", err)
		}
		// Past the read timeout, the request goes on.
		select {
		case <-time.After(3 * readTimeout):
			_, _ = io.WriteString(w, "data: second\n\n")
		case <-r.Context().Done():
			t.Error("the stream's request ended at the read timeout")
		}
	})
	srv := testrig.API(t, o)
	resp, err := http.Get(srv.URL + "/inbox/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewScanner(resp.Body)
	var got []string
	for lines.Scan() {
		if lines.Text() != "" {
			got = append(got, lines.Text())
		}
	}
	if strings.Join(got, ",") != "data: first,data: second" {
		t.Errorf("streamed %q", got)
	}
}

// TestConsoleFallback hands the requests that name no API route to the
// console, and keeps the API's own paths, its unknown ones included, away
// from it; the console's requests are counted in the metrics.
func TestConsoleFallback(t *testing.T) {
	svc := testrig.Service(t, service.Options{})
	acct := testrig.DefaultAccount(t, svc)
	o := testrig.APIOptions(svc)
	o.Console = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusTeapot)
		_, _ = io.WriteString(w, "console "+r.URL.Path)
	})
	srv := testrig.API(t, o)
	cases := []struct {
		path    string
		console bool
	}{
		{"/", true},
		{"/sign-in", true},
		{"/contacts/0123456789abcdef0123456789abcdef", true},
		{"/assets/console.css", true},
		// A path not in its clean form names nothing, for the console too:
		// ServeMux would redirect it, maybe to an API route.
		{"/media/../healthz", false},
		{"/settings/../sign-in", false},
		{"/v1/channels", false},
		{"/v1/nothing", false},
		{"/v1", false},
		{"/healthz", false},
		{"/metrics", false},
		{"/media/none.jpg", false},
		{"/callbacks/sandbox/0123456789abcdef0123456789abcdef", false},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+tc.path, nil)
		req.Header.Set("Authorization", "Bearer "+acct.Key)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if got := resp.StatusCode == http.StatusTeapot; got != tc.console {
			t.Errorf("GET %s: %d %q; reached the console: %v, want %v", tc.path, resp.StatusCode, body, got, tc.console)
		}
	}
	resp, err := http.Get(srv.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	metrics, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(metrics), `carillon_http_requests_total{code="418",route="console"}`) {
		t.Error("the console's requests are not in the metrics")
	}

	// Without a console, / stays the API's JSON 404.
	plain := testrig.API(t, testrig.APIOptions(svc))
	resp, err = http.Get(plain.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("GET / without a console: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
