// Command tracetime sums, from a Go execution trace, the time goroutines
// spent in each state: running, waiting for a processor (runnable), in a
// system call, and blocked, by the reason the runtime gives. It counts only
// the goroutines seen running a function whose name contains -func, from
// the stacks the trace records when a goroutine stops running.
//
// A trace of carillon serve comes from its profiling address:
//
//	curl -o trace.out 'http://127.0.0.1:6060/debug/pprof/trace?seconds=3'   # serve --pprof-addr 127.0.0.1:6060
//	go run ./bench/tracetime -func 'service.(*committer).loop' trace.out
//
// docs/benchmarks.md uses it for where the store's writers spend their time.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"golang.org/x/exp/trace"
)

func main() {
	fn := flag.String("func", "service.(*committer).loop", "count goroutines seen running a function whose name contains this")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: tracetime [-func NAME] TRACE")
		os.Exit(2)
	}
	f, err := os.Open(flag.Arg(0))
	if err != nil {
		fail(err)
	}
	defer f.Close()
	s, err := summarize(f, *fn)
	if err != nil {
		fail(err)
	}
	s.print(os.Stdout, *fn)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "tracetime:", err)
	os.Exit(1)
}

// summary is the time the matching goroutines spent in each state.
type summary struct {
	goroutines int
	span       time.Duration // from the trace's first event to its last
	states     map[string]time.Duration
	blocked    map[string]time.Duration // blocked and in system calls, by reason
}

type goroutine struct {
	matched bool
	state   trace.GoState
	since   trace.Time
	reason  string
	states  map[string]time.Duration
	blocked map[string]time.Duration
}

// summarize reads a trace and sums the states of the goroutines that ran a
// function whose name contains fn.
func summarize(r io.Reader, fn string) (summary, error) {
	tr, err := trace.NewReader(r)
	if err != nil {
		return summary{}, err
	}
	gs := map[trace.GoID]*goroutine{}
	var first, last trace.Time
	for {
		ev, err := tr.ReadEvent()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return summary{}, err
		}
		if first == 0 {
			first = ev.Time()
		}
		last = ev.Time()
		if ev.Kind() != trace.EventStateTransition {
			continue
		}
		st := ev.StateTransition()
		if st.Resource.Kind != trace.ResourceGoroutine {
			continue
		}
		g := gs[st.Resource.Goroutine()]
		if g == nil {
			g = &goroutine{states: map[string]time.Duration{}, blocked: map[string]time.Duration{}}
			gs[st.Resource.Goroutine()] = g
		}
		from, to := st.Goroutine()
		// The stack of a transition out of running is the goroutine's
		// own; others are the stack of whoever woke it.
		if from == trace.GoRunning && !g.matched {
			for frame := range st.Stack.Frames() {
				if strings.Contains(frame.Func, fn) {
					g.matched = true
					break
				}
			}
		}
		g.add(ev.Time())
		g.state, g.since, g.reason = to, ev.Time(), st.Reason
		if to == trace.GoSyscall {
			g.reason = "system call"
		}
	}
	s := summary{span: time.Duration(last - first), states: map[string]time.Duration{}, blocked: map[string]time.Duration{}}
	for _, g := range gs {
		if !g.matched {
			continue
		}
		g.add(last)
		s.goroutines++
		for k, d := range g.states {
			s.states[k] += d
		}
		for k, d := range g.blocked {
			s.blocked[k] += d
		}
	}
	return s, nil
}

// add counts the time from the goroutine's last transition to t in the
// state it was in.
func (g *goroutine) add(t trace.Time) {
	if g.since == 0 || g.state == trace.GoNotExist || g.state == trace.GoUndetermined {
		return
	}
	d := time.Duration(t - g.since)
	g.states[g.state.String()] += d
	if g.state == trace.GoWaiting || g.state == trace.GoSyscall {
		reason := g.reason
		if reason == "" {
			reason = "(no reason given)"
		}
		g.blocked[reason] += d
	}
}

func (s summary) print(w io.Writer, fn string) {
	fmt.Fprintf(w, "%d goroutines seen running %q, over %.3f s of trace:\n", s.goroutines, fn, s.span.Seconds())
	for _, k := range sortedByTime(s.states) {
		fmt.Fprintf(w, "  %-12s %9.3f s\n", k, s.states[k].Seconds())
	}
	for _, k := range sortedByTime(s.blocked) {
		fmt.Fprintf(w, "    %-28s %9.3f s\n", k, s.blocked[k].Seconds())
	}
}

func sortedByTime(m map[string]time.Duration) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return m[keys[i]] > m[keys[j]] || m[keys[i]] == m[keys[j]] && keys[i] < keys[j] })
	return keys
}
