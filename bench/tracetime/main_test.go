package main

import (
	"bytes"
	"runtime/trace"
	"testing"
	"time"
)

//go:noinline
func waitsForWork(ready chan struct{}, work chan int, done chan struct{}) {
	close(ready)
	<-work
	close(done)
}

//go:noinline
func sleepsElsewhere(d time.Duration, done chan struct{}) {
	time.Sleep(d)
	close(done)
}

// The goroutine named by -func is counted, with the time it was blocked
// and why; a goroutine that never ran it is not.
func TestSummarize(t *testing.T) {
	var buf bytes.Buffer
	if err := trace.Start(&buf); err != nil {
		t.Skip("tracing unavailable:", err)
	}
	const blocked = 30 * time.Millisecond
	ready, work, waited, slept := make(chan struct{}), make(chan int), make(chan struct{}), make(chan struct{})
	go waitsForWork(ready, work, waited)
	go sleepsElsewhere(3*blocked, slept)
	<-ready
	time.Sleep(blocked)
	work <- 1
	<-waited
	<-slept
	trace.Stop()

	s, err := summarize(&buf, "tracetime.waitsForWork")
	if err != nil {
		t.Fatal(err)
	}
	if s.goroutines != 1 {
		t.Fatalf("goroutines counted: %d, want 1 (the one that ran waitsForWork)", s.goroutines)
	}
	// Most of the wait, not all: the goroutine blocks a moment after it
	// says it is ready, and the wait is counted from then.
	if got := s.blocked["chan receive"]; got < blocked/2 {
		t.Errorf("blocked on a channel receive: %v, want most of the %v it waited for its work", got, blocked)
	}
	if got := s.blocked["sleep"]; got != 0 {
		t.Errorf("blocked in a sleep: %v, want 0 (another goroutine slept)", got)
	}
	if s.span < blocked {
		t.Errorf("trace span %v, shorter than the %v it covered", s.span, blocked)
	}
}
