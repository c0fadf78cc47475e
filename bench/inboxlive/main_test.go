package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// TestFollow runs a tab against a stream in the form /inbox/events
// writes: each message_created is counted once for the message its
// contact names, whatever the other events, and a broken stream is opened
// again from the last id it read.
func TestFollow(t *testing.T) {
	var opens atomic.Int32
	lastIDs := make(chan string, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Cookie") != "carillon_session=s" {
			http.Error(w, "no session", http.StatusUnauthorized)
			return
		}
		lastIDs <- r.Header.Get("Last-Event-ID")
		w.Header().Set("Content-Type", "text/event-stream")
		switch opens.Add(1) {
		case 1:
			fmt.Fprint(w, "retry: 1000\n\n")
			fmt.Fprint(w, "event: change\nid: 1\ndata: {\"kind\":\"message_created\",\"contact\":\"c-a\",\"conversation\":\"x\"}\n\n")
			fmt.Fprint(w, "event: change\nid: 2\ndata: {\"kind\":\"contact_updated\",\"contact\":\"c-b\",\"conversation\":\"y\"}\n\n")
			fmt.Fprint(w, "event: change\nid: 3\ndata: {\"kind\":\"message_created\",\"contact\":\"c-unknown\",\"conversation\":\"z\"}\n\n")
			// The stream ends here, as when the server stops.
		default:
			fmt.Fprint(w, "retry: 1000\n\n")
			fmt.Fprint(w, "event: change\nid: 4\ndata: {\"kind\":\"message_created\",\"contact\":\"c-a\",\"conversation\":\"x\"}\n\n")
			fmt.Fprint(w, "event: reset\nid: 5\ndata: {\"kind\":\"reset\"}\n\n")
			fmt.Fprint(w, "event: change\nid: 6\ndata: {\"kind\":\"message_created\",\"contact\":\"c-b\",\"conversation\":\"y\"}\n\n")
			w.(http.Flusher).Flush()
			<-r.Context().Done()
		}
	}))
	defer srv.Close()

	tb := &tab{cookie: "carillon_session=s", client: srv.Client(), read: make([]atomic.Int64, 2), open: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Second)
	defer cancel()
	done := make(chan struct{})
	go func() { defer close(done); tb.follow(ctx, srv.URL, time.Now(), map[string]int{"c-a": 0, "c-b": 1}) }()
	for tb.got.Load() < 2 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done

	if first, second := <-lastIDs, <-lastIDs; first != "" || second != "3" {
		t.Errorf("Last-Event-ID of the first and second opening: %q, %q; want none, then 3", first, second)
	}
	for i, want := range []bool{true, true} {
		if got := tb.read[i].Load() != 0; got != want {
			t.Errorf("message %d read: %v, want %v", i, got, want)
		}
	}
	if got, dups, resets, reconnects := tb.got.Load(), tb.dups.Load(), tb.resets.Load(), tb.reconnects.Load(); got != 2 || dups != 1 || resets != 1 || reconnects != 1 {
		t.Errorf("got %d, duplicates %d, resets %d, reconnects %d; want 2, 1, 1, 1", got, dups, resets, reconnects)
	}
}
