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

// A phase's share of idle and stolen CPU comes from two readings of
// /proc/stat's first line.
func TestMachineCPUShares(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		before, after        string
		wantIdle, wantStolen float64
		wantErr              bool
	}{
		{"quiet", "cpu 100 0 50 800 50 0 0 0 0 0", "cpu 250 0 100 1400 250 0 0 0 0 0", 80, 0, false},
		{"stolen", "cpu 100 0 50 800 50 0 0 0 0 0", "cpu 350 0 150 850 50 0 0 600 0 0", 5, 60, false},
		{"guest time counted once", "cpu 100 0 0 100 0 0 0 0 0 0", "cpu 200 0 0 200 0 0 0 0 100 0", 50, 0, false},
		{"no steal column", "cpu 100 0 0 100", "cpu 150 0 0 150", 50, 0, false},
		{"not the cpu line", "cpu0 1 2 3 4 5", "", 0, 0, true},
		{"not a number", "cpu 1 x 3 4 5", "", 0, 0, true},
	} {
		before, err := parseMachineCPU(tc.before)
		if tc.wantErr {
			if err == nil {
				t.Errorf("%s: parseMachineCPU(%q) took it", tc.name, tc.before)
			}
			continue
		}
		after, err2 := parseMachineCPU(tc.after)
		if err != nil || err2 != nil {
			t.Fatalf("%s: %v, %v", tc.name, err, err2)
		}
		idle, stolen := before.Shares(after)
		if idle != tc.wantIdle || stolen != tc.wantStolen {
			t.Errorf("%s: idle %.1f %%, stolen %.1f %%; want %.1f, %.1f", tc.name, idle, stolen, tc.wantIdle, tc.wantStolen)
		}
	}
	if _, err := ReadMachineCPU(); err != nil {
		t.Skipf("no /proc/stat here: %v", err)
	}
}
