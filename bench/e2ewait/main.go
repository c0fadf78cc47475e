// Command e2ewait waits for carillon's send pipeline to drain and reports
// the end-to-end rate.
//
// It polls GET <url>/metrics (Prometheus text format) every -interval and
// reads two counters:
//
//	carillon_sends_accepted_total                    messages accepted by the API
//	carillon_message_status_total{status="sent"}     messages recorded as sent
//
// Every series of a name is summed (for the second one, every series whose
// status label is "sent", whatever its other labels). The span measured
// starts at the last poll that still saw the starting sent count (the first
// increase happened after it) and ends at the first poll that saw sent reach
// the accepted count, or at the timeout. The resolution is one poll interval.
//
// Started before a load run, it measures the whole run including the drain
// afterwards; give it -quiet so that it does not stop while the pipeline
// merely keeps up with the load: it then stops only once the accepted
// count has not changed for that long. It also reports the backlog left
// when the accepted count last changed (the end of the load) and how fast
// that backlog drained.
//
// -timeout counts from the last change of the accepted count (from the
// start while none has been seen): e2ewait gives up when the pipeline has
// not caught up that long after the load stopped.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/carillon/carillon/bench/internal/benchkit"
)

const (
	acceptedName = "carillon_sends_accepted_total"
	statusName   = "carillon_message_status_total"
)

// sample is what one poll saw.
type sample struct {
	at        time.Time // when the answer's header arrived
	accepted  float64
	delivered float64 // status="sent"
}

type result struct {
	URL                string  `json:"url"`
	Drained            bool    `json:"drained"`
	TimedOut           bool    `json:"timed_out"`
	Interrupted        bool    `json:"interrupted"`
	AcceptedStart      float64 `json:"accepted_start"`
	AcceptedEnd        float64 `json:"accepted_end"`
	SentStart          float64 `json:"sent_start"`
	SentEnd            float64 `json:"sent_end"`
	Messages           float64 `json:"messages"`
	Seconds            float64 `json:"seconds"`
	SentPerSec         float64 `json:"sent_per_s"`
	FirstSentAfterS    float64 `json:"first_sent_after_s"`
	BacklogAtLoadEnd   float64 `json:"backlog_at_load_end"`
	DrainSeconds       float64 `json:"drain_seconds"`
	DrainPerSec        float64 `json:"drain_per_s"`
	Polls              int     `json:"polls"`
	FailedPolls        int     `json:"failed_polls"`
	LastError          string  `json:"last_error,omitempty"`
	AcceptedMetricSeen bool    `json:"accepted_metric_seen"`
	SentMetricSeen     bool    `json:"sent_metric_seen"`
}

func main() {
	base := flag.String("url", "http://127.0.0.1:8080", "base URL of the server")
	timeout := flag.Duration("timeout", 120*time.Second, "give up after this long")
	interval := flag.Duration("interval", 100*time.Millisecond, "poll interval")
	quiet := flag.Duration("quiet", 0, "stop only once the accepted count has not changed for this long")
	jsonOut := flag.Bool("json", false, "print one JSON object instead of text")
	flag.Parse()
	if *interval <= 0 || *timeout <= 0 || *quiet < 0 {
		fmt.Fprintln(os.Stderr, "e2ewait: -interval and -timeout must be positive, -quiet not negative")
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	res := wait(ctx, strings.TrimRight(*base, "/")+"/metrics", *timeout, *interval, *quiet)
	if *jsonOut {
		if err := json.NewEncoder(os.Stdout).Encode(res); err != nil {
			fmt.Fprintln(os.Stderr, "e2ewait:", err)
			os.Exit(1)
		}
	} else {
		printText(os.Stdout, res)
	}
	if !res.Drained {
		os.Exit(1)
	}
}

func wait(ctx context.Context, url string, timeout, interval, quiet time.Duration) *result {
	res := &result{URL: url}
	client := &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1},
		Timeout:   max(2*time.Second, interval),
	}
	begin := time.Now()

	var (
		first      *sample // first successful poll
		base       sample  // last poll still at the starting sent count
		prev       sample  // previous successful poll
		firstMove  time.Time
		caught     *sample // first poll of the current stretch with sent >= accepted
		loadEnd    *sample // last poll at which accepted had just changed
		lastChange = begin // when accepted was last seen to change
		last       sample
	)
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		s, seenA, seenS, err := poll(ctx, client, url)
		res.Polls++
		if err != nil {
			res.FailedPolls++
			res.LastError = err.Error()
		} else {
			res.AcceptedMetricSeen = res.AcceptedMetricSeen || seenA
			res.SentMetricSeen = res.SentMetricSeen || seenS
			last = s
			switch {
			case first == nil:
				f := s
				first, base, prev = &f, s, s
				lastChange = s.at
				l := s
				loadEnd = &l
			default:
				if s.accepted != prev.accepted {
					lastChange = s.at
					l := s
					loadEnd = &l
				}
				if firstMove.IsZero() {
					if s.delivered > first.delivered {
						firstMove = s.at
					} else {
						base = s
					}
				}
			}
			if s.delivered >= s.accepted && s.accepted != prev.accepted {
				caught = nil // accepted moved: a new stretch starts here
			}
			if s.delivered < s.accepted {
				caught = nil
			} else if caught == nil {
				c := s
				caught = &c
			}
			prev = s

			switch {
			case first.delivered >= first.accepted && s.accepted == first.accepted && quiet == 0:
				// Nothing was waiting when we started and nothing came in.
				res.Drained = true
				return finish(res, first, base, s, firstMove, loadEnd, begin)
			case !firstMove.IsZero() && caught != nil && s.at.Sub(lastChange) >= quiet:
				res.Drained = true
				return finish(res, first, base, *caught, firstMove, loadEnd, begin)
			}
		}
		if ctx.Err() != nil {
			res.Interrupted = true
			break
		}
		// The timeout counts from the last change of the accepted count
		// (from the start until one is seen), so that a long load run
		// watched from its beginning is not cut short.
		if time.Since(lastChange) >= timeout {
			res.TimedOut = true
			break
		}
		select {
		case <-ctx.Done():
		case <-ticker.C:
		}
	}
	if first == nil {
		return res
	}
	return finish(res, first, base, last, firstMove, loadEnd, begin)
}

func finish(res *result, first *sample, base, end sample, firstMove time.Time, loadEnd *sample, begin time.Time) *result {
	res.AcceptedStart, res.SentStart = first.accepted, first.delivered
	res.AcceptedEnd, res.SentEnd = end.accepted, end.delivered
	res.Messages = end.delivered - base.delivered
	if !firstMove.IsZero() {
		res.FirstSentAfterS = round(firstMove.Sub(begin).Seconds(), 3)
		span := end.at.Sub(base.at)
		res.Seconds = round(span.Seconds(), 3)
		if span > 0 {
			res.SentPerSec = round(res.Messages/span.Seconds(), 1)
		}
	}
	// The drain starts when the load ended, or when the pipeline started to
	// send if that was later.
	from := loadEnd
	if from != nil && base.at.After(from.at) {
		from = &base
	}
	if res.Drained && from != nil && from.at.Before(end.at) {
		res.BacklogAtLoadEnd = max(0, end.accepted-from.delivered)
		drain := end.at.Sub(from.at)
		res.DrainSeconds = round(drain.Seconds(), 3)
		if res.BacklogAtLoadEnd > 0 && drain > 0 {
			res.DrainPerSec = round(res.BacklogAtLoadEnd/drain.Seconds(), 1)
		}
	}
	return res
}

func poll(ctx context.Context, client *http.Client, url string) (s sample, seenA, seenS bool, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return s, false, false, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return s, false, false, err
	}
	s.at = time.Now()
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return s, false, false, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	s.accepted, s.delivered, seenA, seenS, err = parse(resp.Body)
	return s, seenA, seenS, err
}

// parse reads Prometheus text exposition format and returns the sum of all
// acceptedName series and the sum of all statusName series with
// status="sent".
func parse(r io.Reader) (accepted, sent float64, seenA, seenS bool, err error) {
	metrics, err := benchkit.ParseMetrics(r)
	accepted, seenA = benchkit.Sum(metrics, acceptedName, nil)
	sent, seenS = benchkit.Sum(metrics, statusName, map[string]string{"status": "sent"})
	return accepted, sent, seenA, seenS, err
}

func round(v float64, places int) float64 {
	p := math.Pow(10, float64(places))
	return math.Round(v*p) / p
}

func printText(out io.Writer, r *result) {
	fmt.Fprintf(out, "e2ewait: %s\n", r.URL)
	switch {
	case r.Polls == r.FailedPolls:
		fmt.Fprintf(out, "  no successful poll (%d tried): %s\n", r.Polls, r.LastError)
		return
	case r.Drained:
		fmt.Fprintln(out, "  drained        yes (sent >= accepted)")
	case r.Interrupted:
		fmt.Fprintln(out, "  drained        no (interrupted)")
	default:
		fmt.Fprintln(out, "  drained        no (timeout)")
	}
	if !r.AcceptedMetricSeen {
		fmt.Fprintf(out, "  warning: %s not found on the metrics page\n", acceptedName)
	}
	if !r.SentMetricSeen {
		fmt.Fprintf(out, "  warning: %s{status=\"sent\"} not found on the metrics page\n", statusName)
	}
	fmt.Fprintf(out, "  accepted       %.0f -> %.0f\n", r.AcceptedStart, r.AcceptedEnd)
	fmt.Fprintf(out, "  sent           %.0f -> %.0f\n", r.SentStart, r.SentEnd)
	fmt.Fprintf(out, "  messages sent  %.0f\n", r.Messages)
	fmt.Fprintf(out, "  seconds        %.3f\n", r.Seconds)
	fmt.Fprintf(out, "  sent/s         %.1f\n", r.SentPerSec)
	if r.BacklogAtLoadEnd > 0 {
		fmt.Fprintf(out, "  backlog        %.0f at the last change of accepted, drained in %.3fs (%.1f/s)\n",
			r.BacklogAtLoadEnd, r.DrainSeconds, r.DrainPerSec)
	}
	if r.FailedPolls > 0 {
		fmt.Fprintf(out, "  failed polls   %d of %d, last: %s\n", r.FailedPolls, r.Polls, r.LastError)
	}
}
