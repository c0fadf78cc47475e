package benchkit

import "testing"

// PostgreSQL's CPU time is watched only where its processes are this
// machine's.
func TestLoopbackDatabase(t *testing.T) {
	for _, tc := range []struct {
		url  string
		want bool
	}{
		{"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", true},
		{"postgres://postgres@localhost/test", true},
		{"postgres://postgres@[::1]:5432/test", true},
		{"postgres:///test?host=/var/run/postgresql", true},
		{"postgres://postgres@db.internal:5432/test", false},
		{"postgres://postgres@10.0.0.7/test", false},
	} {
		got, err := LoopbackDatabase(tc.url)
		if err != nil || got != tc.want {
			t.Errorf("LoopbackDatabase(%q) = %v, %v; want %v", tc.url, got, err, tc.want)
		}
	}
}
