package service

import (
	"math"
	"testing"

	"github.com/carillon/carillon"
)

// FuzzParsePage checks that no page and items parameters make the one
// reading of list pages panic or overflow: a refusal names its parameter,
// and an accepted page has a size of 1 to MaxPageSize, a non-negative
// offset (the store's lists take it as is; store/storetest checks pages
// past the end), and a meta that counts the pages of any total, at least
// one, without overflow.
func FuzzParsePage(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"2", "10"}, {"0", "0"}, {"-1", "-5"}, {"9223372036854775807", "100"},
		{"4611686018427387905", "2"}, {"99999999999999999999", "99999999999999999999"}, {"two", "1.5"}, {" 3 ", "+7"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, page, items string) {
		p, err := parsePage(PageRequest{Page: page, Items: items})
		if err != nil {
			e, ok := carillon.AsError(err)
			if !ok || e.Code != carillon.CodeInvalidParameter || (e.Field != "page" && e.Field != "items") {
				t.Fatalf("parsePage(%q, %q) = %v: not an invalid_parameter naming page or items", page, items, err)
			}
			return
		}
		if p.Number < 1 || p.Size < 1 || p.Size > MaxPageSize {
			t.Fatalf("parsePage(%q, %q) = %+v", page, items, p)
		}
		off, want := p.Offset(), math.MaxInt
		if p.Number-1 <= math.MaxInt/p.Size {
			want = (p.Number - 1) * p.Size
		}
		if off != want {
			t.Fatalf("page %+v: offset %d, want %d", p, off, want)
		}
		for _, total := range []int{0, 57, math.MaxInt} {
			info := pageInfo(p, total)
			if info.Page != p.Number || info.Pages < 1 || (total > 0 && info.Pages != (total-1)/p.Size+1) {
				t.Fatalf("page %+v of %d entries: %+v", p, total, info)
			}
		}
	})
}
