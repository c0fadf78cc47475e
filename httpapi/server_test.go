package httpapi_test

import (
	"context"
	"io"
	"net"
	"net/http"
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
