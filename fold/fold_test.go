package fold

import (
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestWords(t *testing.T) {
	cases := []struct {
		name, text string
		want       []string
	}{
		{"accents and case", "Déjà VU", []string{"deja", "vu"}},
		{"the same word once", "deja Déjà DEJA", []string{"deja"}},
		{"punctuation separates", "Hello, world! (order SO-0001234)", []string{"hello", "world", "order", "so", "0001234"}},
		{"an apostrophe separates", "l'été d’Ana", []string{"l", "ete", "d", "ana"}},
		{"letters with no separate accent", "Øresund Łódź Straße Æsir œuvre Þór", []string{"oresund", "lodz", "strasse", "aesir", "oeuvre", "thor"}},
		{"a decomposed accent", "De\u0301ja\u0300", []string{"deja"}},
		{"compatibility forms", "ﬁle Ａｂｃ Ⅻ ①", []string{"file", "abc", "xii", "1"}},
		{"Greek, final sigma", "ΟΔΥΣΣΕΥΣ Οδυσσεύς", []string{"οδυσσευσ"}},
		{"Cyrillic", "Привет, Ёлка", []string{"привет", "елка"}},
		{"Cherokee, both cases", "ᏣᎳᎩ ꮳꮃꭹ", []string{"ꮳꮃꭹ"}},
		{"Turkish dotted capital", "İstanbul", []string{"istanbul"}},
		{"Vietnamese", "Tiếng Việt", []string{"tieng", "viet"}},
		{"Chinese, a word per character", "你好世界", []string{"你", "好", "世", "界"}},
		{"Japanese kana and Han", "カタカナ東京", []string{"カ", "タ", "ナ", "東", "京"}},
		{"emoji and symbols are no words", "👋 ✓ → €5", []string{"5"}},
		{"nothing", "  ,;!  ", nil},
		{"a lone accent", "\u0301", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Words(tc.text); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Words(%q) = %q, want %q", tc.text, got, tc.want)
			}
		})
	}
}

// TestSplitPlaces checks that each word's place in the text is the text
// it was folded from, which the snippets of search results mark.
func TestSplitPlaces(t *testing.T) {
	text := "Déjà vu, l’été 你好 — ΟΔΥΣΣΕΥΣ!"
	var got []string
	for _, w := range Split(text) {
		got = append(got, text[w.Start:w.End]+"="+w.Folded)
	}
	want := []string{"Déjà=deja", "vu=vu", "l=l", "été=ete", "你=你", "好=好", "ΟΔΥΣΣΕΥΣ=οδυσσευσ"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Split(%q) = %q, want %q", text, got, want)
	}
}

// TestLongWord checks that a word past MaxWord is cut at a character's
// boundary, the same way whether it is indexed or searched.
func TestLongWord(t *testing.T) {
	for _, word := range []string{strings.Repeat("a", 100), strings.Repeat("é", 50), "x" + strings.Repeat("ü", 60)} {
		f := Fold(word)
		if len(f) > MaxWord || !utf8.ValidString(f) {
			t.Errorf("Fold(%q) = %q: %d bytes, valid %v", word, f, len(f), utf8.ValidString(f))
		}
		if again := Fold(strings.ToUpper(word)); again != f {
			t.Errorf("Fold of the upper case %q = %q, want %q", word, again, f)
		}
	}
}

// FuzzWords checks that every folded word is valid text of letters,
// digits and spacing marks within MaxWord bytes, which both databases
// take as one word, and that folding is stable.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"Déjà vu", "ΟΔΥΣΣΕΥΣ", "ﬁ①Ⅻ", "a\u0301\u0301b", "你好", "\xff\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, w := range Split(s) {
			if w.Folded == "" || len(w.Folded) > MaxWord || !utf8.ValidString(w.Folded) {
				t.Fatalf("word %q of %q folds to %q", s[w.Start:w.End], s, w.Folded)
			}
			if strings.ContainsAny(w.Folded, " \t\n'\"*:&|!()\\") {
				t.Fatalf("folded word %q holds a separator or a query operator", w.Folded)
			}
			if again := Fold(w.Folded); again != w.Folded {
				t.Fatalf("Fold(%q) = %q: folding twice changes the word", w.Folded, again)
			}
			// Case does not matter (but for a combining mark whose upper
			// case is a letter: the Greek ypogegrammeni is a capital iota).
			word := s[w.Start:w.End]
			if strings.ContainsFunc(word, unicode.IsMark) {
				continue
			}
			if up, low := Fold(strings.ToUpper(word)), Fold(strings.ToLower(word)); up != low {
				t.Fatalf("%q folds to %q in upper case, %q in lower case", word, up, low)
			}
		}
	})
}
