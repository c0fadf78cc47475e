package httpapi

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
)

// TestServerErrorLog checks that the lines net/http writes to its ErrorLog
// become entries of the structured log: one JSON object per line, an
// accept error at level ERROR, a client's fault at WARN.
func TestServerErrorLog(t *testing.T) {
	t.Parallel()
	tests := []struct {
		line, level string
	}{
		{"http: Accept error: accept tcp 127.0.0.1:8080: accept4: too many open files; retrying in 5ms", "ERROR"},
		{"http: TLS handshake error from 127.0.0.1:50000: EOF", "WARN"},
		{"http: superfluous response.WriteHeader call from x (y.go:1)\n", "WARN"},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		serverErrorLog(slog.New(slog.NewJSONHandler(&buf, nil))).Print(tt.line)
		lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
		var entry struct{ Level, Msg, Error string }
		if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &entry) != nil {
			t.Errorf("%q logged as %q: want one JSON line", tt.line, buf.String())
			continue
		}
		if entry.Level != tt.level || entry.Msg != "http server" || entry.Error != strings.TrimSpace(tt.line) {
			t.Errorf("%q logged as %+v: want level %s, msg \"http server\", the line as error", tt.line, entry, tt.level)
		}
	}
}
