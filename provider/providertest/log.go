package providertest

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// Log is what a logger made by NewLog wrote. It is safe for concurrent use.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// NewLog returns a logger that records everything, debug level included,
// as JSON lines into the returned Log.
func NewLog() (*slog.Logger, *Log) {
	l := &Log{}
	h := slog.NewJSONHandler(l, &slog.HandlerOptions{Level: slog.LevelDebug})
	return slog.New(h), l
}

// Write implements io.Writer for the log handler.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// AssertNoSecrets fails t if any of the secrets appears in what was logged.
// Empty secrets are skipped. The secret itself is not printed, only its
// position in the list, so a failure does not leak it into CI logs either.
func (l *Log) AssertNoSecrets(t testing.TB, secrets ...string) {
	t.Helper()
	logged := l.String()
	for i, s := range secrets {
		if s != "" && strings.Contains(logged, s) {
			t.Errorf("secret #%d (%d chars, starting %q) appears in the log", i, len(s), prefix(s))
		}
	}
}

// prefix returns the first characters of a secret, enough to tell test
// secrets apart.
func prefix(s string) string {
	if len(s) > 4 {
		return s[:4] + "…"
	}
	return s
}
