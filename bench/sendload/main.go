// Command sendload is an HTTP load generator for the send endpoint of
// carillon (or of anything that speaks the same request format, such as
// bench/ceiling).
//
// A fixed number of workers, each reusing a keep-alive connection, send
// POST <url><path> requests back to back for -warmup plus -duration. Only
// requests that start inside the measured window (after the warmup) are
// counted; requests still in flight when the window closes are allowed to
// finish (bounded by -timeout) and are counted too. The run therefore ends
// after at most warmup + duration + timeout.
//
// Usage:
//
//	sendload -url http://127.0.0.1:8080 -key crln_... -conns 64 -duration 10s
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	firstNumber   = 4915112340000 // +49 151 12340000, a German mobile number
	maxRecipients = 1_000_000     // keeps every number at 8 subscriber digits
	maxStatus     = 600
	messageText   = "Hello from carillon bench"
)

type config struct {
	url        string
	key        string
	path       string
	conns      int
	duration   time.Duration
	warmup     time.Duration
	timeout    time.Duration
	recipients int
	jsonOut    bool
}

// worker holds everything one worker records; nothing is shared between
// workers while the load runs.
type worker struct {
	latencies []time.Duration
	status    [maxStatus]int64
	otherCode int64 // status codes outside [0, maxStatus)
	errors    int64
	firstErr  string
	buf       bytes.Buffer
	lastOK    []byte // body of the last 200 answer
	lastOKAt  time.Time
}

func main() {
	var cfg config
	flag.StringVar(&cfg.url, "url", "http://127.0.0.1:8080", "base URL of the server")
	flag.StringVar(&cfg.key, "key", "", "API key sent as Bearer token (default $CARILLON_API_KEY)")
	flag.StringVar(&cfg.path, "path", "/v1/messages/send", "request path")
	flag.IntVar(&cfg.conns, "conns", 64, "concurrent workers, one keep-alive connection each")
	flag.DurationVar(&cfg.duration, "duration", 10*time.Second, "measured duration")
	flag.DurationVar(&cfg.warmup, "warmup", 2*time.Second, "warmup before measuring (not counted)")
	flag.DurationVar(&cfg.timeout, "timeout", 10*time.Second, "timeout of one request")
	flag.IntVar(&cfg.recipients, "recipients", 1000, "distinct recipients, +4915112340000 upwards, round robin")
	flag.BoolVar(&cfg.jsonOut, "json", false, "print one JSON object instead of text")
	flag.Parse()

	if cfg.key == "" {
		cfg.key = os.Getenv("CARILLON_API_KEY")
	}
	if err := validate(&cfg); err != nil {
		fmt.Fprintln(os.Stderr, "sendload:", err)
		os.Exit(2)
	}
	if cfg.key == "" {
		fmt.Fprintln(os.Stderr, "sendload: warning: no API key (-key or CARILLON_API_KEY); sending without Authorization")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := run(ctx, cfg)
	if cfg.jsonOut {
		enc := json.NewEncoder(os.Stdout)
		if err := enc.Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "sendload:", err)
			os.Exit(1)
		}
	} else {
		printText(os.Stdout, res)
	}
	if res.Accepted == 0 {
		os.Exit(1)
	}
}

func validate(cfg *config) error {
	cfg.url = strings.TrimRight(cfg.url, "/")
	if !strings.HasPrefix(cfg.url, "http://") && !strings.HasPrefix(cfg.url, "https://") {
		return fmt.Errorf("-url must start with http:// or https://, got %q", cfg.url)
	}
	if !strings.HasPrefix(cfg.path, "/") {
		cfg.path = "/" + cfg.path
	}
	switch {
	case cfg.conns < 1:
		return errors.New("-conns must be at least 1")
	case cfg.duration <= 0:
		return errors.New("-duration must be positive")
	case cfg.warmup < 0:
		return errors.New("-warmup must not be negative")
	case cfg.timeout <= 0:
		return errors.New("-timeout must be positive")
	case cfg.recipients < 1 || cfg.recipients > maxRecipients:
		return fmt.Errorf("-recipients must be between 1 and %d", maxRecipients)
	}
	return nil
}

// bodies builds the request body of every recipient once.
func bodies(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		to := "+" + strconv.FormatInt(firstNumber+int64(i), 10)
		out[i] = []byte(`{"to":"` + to + `","from":"whatsapp","type":"text","content":{"text":"` + messageText + `"}}`)
	}
	return out
}

func run(ctx context.Context, cfg config) *result {
	transport := &http.Transport{
		Proxy: nil, // loopback benchmark: never go through a proxy
		DialContext: (&net.Dialer{
			Timeout:   5 * time.Second,
			KeepAlive: 30 * time.Second,
		}).DialContext,
		MaxIdleConns:        cfg.conns * 2,
		MaxIdleConnsPerHost: cfg.conns * 2,
		MaxConnsPerHost:     cfg.conns, // one connection per worker, no extra dials
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	defer transport.CloseIdleConnections()
	client := &http.Client{Transport: transport, Timeout: cfg.timeout}

	target := cfg.url + cfg.path
	auth := ""
	if cfg.key != "" {
		auth = "Bearer " + cfg.key
	}
	payloads := bodies(cfg.recipients)

	// Capacity guess per worker: 50k requests/s overall for the measured
	// window, capped at 4M latencies in all (32 MiB) so that a long run does
	// not reserve much up front; slices grow past that if needed.
	perWorker := int(min(cfg.duration.Seconds()*50_000, 4<<20)/float64(cfg.conns)) + 64

	workers := make([]*worker, cfg.conns)
	for i := range workers {
		workers[i] = &worker{latencies: make([]time.Duration, 0, perWorker)}
	}

	var next atomic.Uint64
	begin := time.Now()
	measureFrom := begin.Add(cfg.warmup)
	measureTo := measureFrom.Add(cfg.duration)
	// Hard bound: nothing runs past the window plus one request timeout.
	ctx, cancel := context.WithDeadline(ctx, measureTo.Add(cfg.timeout))
	defer cancel()

	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				start := time.Now()
				if !start.Before(measureTo) || ctx.Err() != nil {
					return
				}
				n := next.Add(1) - 1
				body := payloads[n%uint64(len(payloads))]
				code, err := w.do(ctx, client, target, auth, body)
				end := time.Now()
				if start.Before(measureFrom) {
					continue // warmup
				}
				w.latencies = append(w.latencies, end.Sub(start))
				switch {
				case err != nil:
					w.errors++
					if w.firstErr == "" {
						w.firstErr = err.Error()
					}
				case code >= 0 && code < maxStatus:
					w.status[code]++
					if code == http.StatusOK {
						w.lastOK = append(w.lastOK[:0], w.buf.Bytes()...)
						w.lastOKAt = end
					}
				default:
					w.otherCode++
				}
			}
		}()
	}
	wg.Wait()
	now := time.Now()
	measured := cfg.duration
	interrupted := ctx.Err() != nil && now.Before(measureTo)
	if interrupted {
		measured = max(0, now.Sub(measureFrom))
	}
	return summarize(cfg, workers, now.Sub(begin), measured, interrupted)
}

// do sends one request and reads the whole answer into w.buf, so that the
// connection can be reused.
func (w *worker) do(ctx context.Context, client *http.Client, target, auth string, body []byte) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	w.buf.Reset()
	_, err = w.buf.ReadFrom(io.LimitReader(resp.Body, 1<<20))
	if err == nil {
		// Drain anything past the limit so the connection stays reusable.
		_, err = io.Copy(io.Discard, resp.Body)
	}
	resp.Body.Close()
	if err != nil {
		return 0, err
	}
	return resp.StatusCode, nil
}

type latencyMS struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

type result struct {
	URL             string           `json:"url"`
	Conns           int              `json:"conns"`
	Recipients      int              `json:"recipients"`
	WarmupSeconds   float64          `json:"warmup_s"`
	DurationSeconds float64          `json:"duration_s"`
	ElapsedSeconds  float64          `json:"elapsed_s"`
	Interrupted     bool             `json:"interrupted"`
	Requests        int64            `json:"requests"`
	Answers         int64            `json:"answers"`
	Status          map[string]int64 `json:"status"`
	Accepted        int64            `json:"accepted"`
	AcceptedPerSec  float64          `json:"accepted_per_s"`
	RequestsPerSec  float64          `json:"requests_per_s"`
	LatencyMS       latencyMS        `json:"latency_ms"`
	Non200Pct       float64          `json:"non_200_pct"`
	ErrorPct        float64          `json:"error_pct"`
	Errors          int64            `json:"errors"`
	FirstError      string           `json:"first_error,omitempty"`
	LastUUID        string           `json:"last_uuid,omitempty"`
}

func summarize(cfg config, workers []*worker, elapsed, measured time.Duration, interrupted bool) *result {
	res := &result{
		URL:             cfg.url + cfg.path,
		Conns:           cfg.conns,
		Recipients:      cfg.recipients,
		WarmupSeconds:   cfg.warmup.Seconds(),
		DurationSeconds: round(measured.Seconds(), 3),
		ElapsedSeconds:  round(elapsed.Seconds(), 3),
		Interrupted:     interrupted,
		Status:          map[string]int64{},
	}
	total := 0
	for _, w := range workers {
		total += len(w.latencies)
	}
	all := make([]time.Duration, 0, total)
	var status [maxStatus]int64
	var other int64
	var lastBody []byte
	var lastAt time.Time
	for _, w := range workers {
		all = append(all, w.latencies...)
		for c, n := range w.status {
			status[c] += n
		}
		other += w.otherCode
		res.Errors += w.errors
		if res.FirstError == "" {
			res.FirstError = w.firstErr
		}
		if w.lastOK != nil && w.lastOKAt.After(lastAt) {
			lastBody, lastAt = w.lastOK, w.lastOKAt
		}
	}
	for c, n := range status {
		if n > 0 {
			res.Status[strconv.Itoa(c)] = n
			res.Answers += n
		}
	}
	if other > 0 {
		res.Status["other"] = other
		res.Answers += other
	}
	res.Requests = res.Answers + res.Errors
	res.Accepted = status[http.StatusOK]
	if measured > 0 {
		res.AcceptedPerSec = round(float64(res.Accepted)/measured.Seconds(), 1)
		res.RequestsPerSec = round(float64(res.Requests)/measured.Seconds(), 1)
	}
	if res.Requests > 0 {
		res.Non200Pct = round(100*float64(res.Answers-res.Accepted)/float64(res.Requests), 3)
		res.ErrorPct = round(100*float64(res.Errors)/float64(res.Requests), 3)
	}

	slices.Sort(all)
	res.LatencyMS = latencyMS{
		P50: ms(quantile(all, 0.50)),
		P90: ms(quantile(all, 0.90)),
		P99: ms(quantile(all, 0.99)),
		Max: ms(quantile(all, 1)),
	}
	if lastBody != nil {
		var answer struct {
			Message struct {
				UUID string `json:"uuid"`
			} `json:"message"`
		}
		if json.Unmarshal(lastBody, &answer) == nil {
			res.LastUUID = answer.Message.UUID
		}
	}
	return res
}

// quantile returns the nearest-rank q-quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) float64 { return round(float64(d)/float64(time.Millisecond), 3) }

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func printText(out io.Writer, r *result) {
	fmt.Fprintf(out, "sendload: POST %s\n", r.URL)
	fmt.Fprintf(out, "  conns %d, recipients %d, warmup %gs, measured %gs (elapsed %.3fs)\n",
		r.Conns, r.Recipients, r.WarmupSeconds, r.DurationSeconds, r.ElapsedSeconds)
	if r.Interrupted {
		fmt.Fprintln(out, "  interrupted: numbers cover less than the measured duration")
	}
	fmt.Fprintf(out, "  requests       %d (%.1f/s)\n", r.Requests, r.RequestsPerSec)
	codes := make([]string, 0, len(r.Status))
	for c := range r.Status {
		codes = append(codes, c)
	}
	slices.Sort(codes)
	for _, c := range codes {
		fmt.Fprintf(out, "  status %-7s %d\n", c, r.Status[c])
	}
	fmt.Fprintf(out, "  errors         %d\n", r.Errors)
	fmt.Fprintf(out, "  accepted/s     %.1f\n", r.AcceptedPerSec)
	fmt.Fprintf(out, "  latency        p50 %.3fms  p90 %.3fms  p99 %.3fms  max %.3fms\n",
		r.LatencyMS.P50, r.LatencyMS.P90, r.LatencyMS.P99, r.LatencyMS.Max)
	fmt.Fprintf(out, "  non-200        %.3f%%\n", r.Non200Pct)
	fmt.Fprintf(out, "  errors         %.3f%%\n", r.ErrorPct)
	if r.FirstError != "" {
		fmt.Fprintf(out, "  first error    %s\n", r.FirstError)
	}
	if r.LastUUID != "" {
		fmt.Fprintf(out, "  last uuid      %s\n", r.LastUUID)
	} else {
		fmt.Fprintln(out, "  last uuid      (none)")
	}
}
