package phone

import (
	"hash/maphash"
	"strconv"
	"strings"
	"testing"
)

func TestNormalize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw          string
		allowSandbox bool
		want         string
		wantErr      bool
	}{
		{raw: "+31 6 1234 5678", want: "31612345678"},
		{raw: "31612345678", want: "31612345678"},
		{raw: "+1 (415) 555-2671", want: "14155552671"},
		{raw: "+39 333.123.4567", want: "393331234567"},
		{raw: " +4915112345678 ", want: "4915112345678"},
		{raw: "+15550000001", allowSandbox: true, want: "15550000001"},
		{raw: "+1 555 000 0042", allowSandbox: true, want: "15550000042"},
		// Possible numbers that libphonenumber's tables do not know to be
		// assigned: a Brazilian mobile from before the ninth digit (as
		// WhatsApp keeps older accounts), a Colombian number of Callbell's
		// documentation, a reserved sandbox number outside the sandbox.
		{raw: "555198906538", want: "555198906538"},
		{raw: "+55 51 9890-6538", want: "555198906538"},
		{raw: "5790372023", want: "5790372023"},
		{raw: "+15550000001", want: "15550000001"},
		// Written the way WhatsApp does not: a trunk prefix after the
		// country code, Argentina's local mobile form.
		{raw: "+44 (0)20 7946 0000", want: "442079460000"},
		{raw: "+54 11 15 1234 5678", want: "5491112345678"},
		// Not possible: too long for Mexico (WhatsApp's 521… ids are
		// accepted only as the network reported them), too short.
		{raw: "5215512345678", wantErr: true},
		{raw: "123456789", wantErr: true},
		{raw: "1234567890123456", wantErr: true},
		{raw: "+1555000001", allowSandbox: true, wantErr: true},
		{raw: "", wantErr: true},
		{raw: "+", wantErr: true},
		{raw: "hello", wantErr: true},
		{raw: "+31 6 1234 567x", wantErr: true},
		{raw: "12", wantErr: true},
		{raw: "+999 123456789", wantErr: true},
		{raw: "123456789012345678901", wantErr: true},
	}
	// Twice: the second time, the numbers read the first are remembered.
	for range 2 {
		for _, tt := range tests {
			got, err := Normalize(tt.raw, tt.allowSandbox)
			if (err != nil) != tt.wantErr || got != tt.want {
				t.Errorf("Normalize(%q, %v) = %q, %v; want %q, error %v", tt.raw, tt.allowSandbox, got, err, tt.want, tt.wantErr)
			}
		}
	}
}

// TestNormalizeRemembersWithinBounds: numbers that share a set of the
// cache each normalise to their own form, what it remembers is
// libphonenumber's answer, and a set remembers as many numbers as it has
// slots.
func TestNormalizeRemembersWithinBounds(t *testing.T) {
	t.Parallel()
	c := &normalizeCache{seed: maphash.MakeSeed()}
	sets := map[uint64][]string{}
	for i := range 3 * len(c.slots) {
		digits := "4915112" + strings.Repeat("0", 6-len(strconv.Itoa(i))) + strconv.Itoa(i)
		set := maphash.String(c.seed, digits) % uint64(len(c.slots)/cacheWays)
		sets[set] = append(sets[set], digits)
	}
	var shared []string
	for _, numbers := range sets {
		if len(numbers) > len(shared) {
			shared = numbers
		}
	}
	if len(shared) <= cacheWays {
		t.Fatalf("no set is shared by more than %d numbers", cacheWays)
	}
	held := func(digits string) bool {
		set := c.set(digits)
		for i := range set {
			if n := set[i].Load(); n != nil && n.digits == digits {
				return true
			}
		}
		return false
	}
	for _, digits := range shared[:cacheWays] {
		c.get(digits)
	}
	for _, digits := range shared[:cacheWays] {
		if !held(digits) {
			t.Errorf("%q is not remembered, with %d numbers in its set", digits, cacheWays)
		}
	}
	for range 2 {
		for _, digits := range append(shared, "5215512345678", "123456789") {
			want, wantErr := fromTables(digits)
			got, err := c.get(digits)
			if got != want || (err == nil) != (wantErr == nil) {
				t.Errorf("get(%q) = %q, %v; libphonenumber: %q, %v", digits, got, err, want, wantErr)
			}
			if !held(digits) {
				t.Errorf("%q is not remembered right after its read", digits)
			}
		}
	}
}

func TestReported(t *testing.T) {
	t.Parallel()
	tests := []struct {
		id   string
		want bool
	}{
		{"31612345678", true},
		{"555198906538", true},
		{"5215512345678", true}, // a Mexican mobile as WhatsApp writes it
		{"15550000001", true},
		{"", false},
		{"0612345678", false},
		{"+31612345678", false},
		{"31 6 1234 5678", false},
		{"1' OR '1'='1", false},
		{"999123456789", false}, // no country has the code 999
		{"3161", false},
		{"1234567890123456", false},
		{strings.Repeat("3", 200), false},
	}
	for _, tt := range tests {
		if got := Reported(tt.id); got != tt.want {
			t.Errorf("Reported(%q) = %v, want %v", tt.id, got, tt.want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"+31612345678", "+1 (415) 555-2671", "15550000001", "", "++", "0031 6"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, err := Normalize(raw, true)
		if err != nil {
			return
		}
		// A normalised number normalises to itself.
		again, err := Normalize(got, true)
		if err != nil || again != got {
			t.Fatalf("Normalize(%q) = %q, but Normalize(%q) = %q, %v", raw, got, got, again, err)
		}
		// A number carillon accepts is one a network could report.
		if !Reported(got) {
			t.Fatalf("Normalize(%q) = %q, which Reported refuses", raw, got)
		}
	})
}
