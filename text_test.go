package carillon_test

import (
	"math"
	"strings"
	"testing"

	"github.com/carillon/carillon"
)

func TestText(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		in, clean            string
		valid, id, printable bool
	}{
		{"Zoë 👋", "Zoë 👋", true, true, true},
		{"", "", true, false, true},
		{"a\x00b", "ab", false, false, false},
		{"caf\xe9", "caf\uFFFD", false, false, false},
		{"\xff\xfe\x00\xfe", "\uFFFD\uFFFD", false, false, false}, // a run of invalid bytes makes one U+FFFD
		{"tab\there", "tab\there", true, false, false},
		{"\u0085", "\u0085", true, false, false}, // a C1 control
		{strings.Repeat("a", carillon.MaxIdentifier), strings.Repeat("a", carillon.MaxIdentifier), true, true, true},
		{strings.Repeat("a", carillon.MaxIdentifier+1), strings.Repeat("a", carillon.MaxIdentifier+1), true, false, true},
	} {
		if got := carillon.CleanText(tt.in); got != tt.clean || !carillon.ValidText(got) {
			t.Errorf("CleanText(%q) = %q, want %q", tt.in, got, tt.clean)
		}
		if got := carillon.ValidText(tt.in); got != tt.valid || (carillon.TextProblem(tt.in) == "") != tt.valid {
			t.Errorf("ValidText(%q) = %v, TextProblem %q", tt.in, got, carillon.TextProblem(tt.in))
		}
		if got := carillon.WellFormedID(tt.in); got != tt.id {
			t.Errorf("WellFormedID(%q) = %v", tt.in, got)
		}
		if got := carillon.Printable(tt.in); got != tt.printable {
			t.Errorf("Printable(%q) = %v", tt.in, got)
		}
	}
}

func TestPageOffset(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		page carillon.Page
		want int
	}{
		{carillon.Page{Number: 1, Size: 25}, 0},
		{carillon.Page{Number: 3, Size: 25}, 50},
		{carillon.Page{Number: 0, Size: 25}, 0},
		{carillon.Page{Number: -5, Size: 25}, 0},
		{carillon.Page{Number: math.MaxInt, Size: 1}, math.MaxInt - 1},
		{carillon.Page{Number: math.MaxInt, Size: 100}, math.MaxInt},
		{carillon.Page{Number: 1<<62 + 1, Size: 2}, math.MaxInt}, // 2^63 would wrap to math.MinInt
		{carillon.Page{Number: 1 << 62, Size: 2}, 1<<63 - 2},
	} {
		if got := tt.page.Offset(); got != tt.want {
			t.Errorf("%+v.Offset() = %d, want %d", tt.page, got, tt.want)
		}
	}
}
