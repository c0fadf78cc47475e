// Command ceiling is the performance ceiling for the send endpoint: a
// trivial net/http server whose POST /v1/messages/send decodes the same JSON
// request body as carillon and answers like carillon, storing nothing.
// Whatever bench/sendload measures against it is the most this machine, Go's
// HTTP stack and the load generator allow; carillon is compared against it.
//
// It also answers GET /readyz with 200 so that scripts can wait for it.
// It runs until SIGINT or SIGTERM.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"
)

type sendRequest struct {
	To      string `json:"to"`
	From    string `json:"from"`
	Type    string `json:"type"`
	Content struct {
		Text string `json:"text"`
	} `json:"content"`
}

func send(w http.ResponseWriter, r *http.Request) {
	var req sendRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		http.Error(w, `{"error":"invalid JSON body"}`, http.StatusBadRequest)
		return
	}
	var id [16]byte
	rand.Read(id[:]) // never fails
	var body [96]byte
	b := append(body[:0], `{"message":{"uuid":"`...)
	b = hex.AppendEncode(b, id[:])
	b = append(b, `","status":"enqueued","messageStatusPayload":null}}`...)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.Write(b)
}

func main() {
	addr := flag.String("addr", "127.0.0.1:18080", "listen address")
	flag.Parse()

	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/messages/send", send)
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("ok\n"))
	})

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		log.Fatalf("ceiling: %v", err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("ceiling: listening on %s\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()

	select {
	case err := <-errc:
		log.Fatalf("ceiling: %v", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Printf("ceiling: shutdown: %v", err)
	}
}
