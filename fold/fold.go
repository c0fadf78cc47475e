// Package fold is how carillon's search compares words: a text is cut into
// words, and each word is folded to one form, in lower case and without
// diacritics, so that "Déjà", "DEJA" and "deja" are the same word. The
// store indexes the folded words of what it keeps, and a search looks up
// the folded words of what was typed: both sides fold here, in Go, so that
// SQLite and PostgreSQL compare the same words (neither database's own
// folding is used: PostgreSQL's unaccent extension needs a superuser to
// install, and the two databases would cut and fold text each its own way).
//
// A word is a run of letters, digits and combining marks; anything else
// (spaces, punctuation, symbols, emoji) separates words. Each character of
// a script written without spaces between words (Chinese, Japanese kana) is
// a word of its own, so that a part of a sentence in those scripts is found
// as its characters.
//
// Folding takes the compatibility decomposition of a word (NFKD: "ﬁ" is
// "fi", a full-width "Ａ" is "A", "é" is "e" and an accent), drops the
// accents (the non-spacing marks), folds case (the lower case of the upper
// case: the final "ς" is "σ"), and writes a few letters that carry no
// separate accent as the letters people type for them ("ø" is "o", "ł" is
// "l", "æ" is "ae", "ß" is "ss").
package fold

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// MaxWord is the most bytes of a folded word; a longer one is cut, at a
// character's boundary, on both sides alike (what is indexed and what is
// searched), so that a long token (a code, a link's part) is still found.
const MaxWord = 64

// Word is a word of a text: its place, text[Start:End], and its folded form.
type Word struct {
	Start, End int
	Folded     string
}

// Split cuts text into its words, in order. A word that folds to nothing (a
// lone combining mark) is left out.
func Split(text string) []Word {
	var out []Word
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		if f := Fold(text[start:end]); f != "" {
			out = append(out, Word{Start: start, End: end, Folded: f})
		}
		start = -1
	}
	for i, r := range text {
		switch {
		case unspaced(r):
			flush(i)
			end := i + utf8.RuneLen(r)
			if f := Fold(text[i:end]); f != "" {
				out = append(out, Word{Start: i, End: end, Folded: f})
			}
		case inWord(r):
			if start < 0 {
				start = i
			}
		default:
			flush(i)
		}
	}
	flush(len(text))
	return out
}

// Words are the folded words of text, each once, in the order they first
// appear.
func Words(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, w := range Split(text) {
		if !seen[w.Folded] {
			seen[w.Folded] = true
			out = append(out, w.Folded)
		}
	}
	return out
}

// Fold is the folded form of one word: lower case, without diacritics,
// holding only letters, digits and spacing marks, at most MaxWord bytes.
// It is "" for a word that holds none.
func Fold(word string) string {
	if f, ok := foldASCII(word); ok {
		return f
	}
	// Decompose first, since a decomposition may give upper case (the
	// Roman numeral "Ⅻ" is "XII"); fold case, and decompose what that
	// may have composed.
	s := strings.Map(foldCase, norm.NFKD.String(word))
	s = norm.NFKD.String(s)
	var b strings.Builder
	for _, r := range s {
		if base, ok := baseLetters[r]; ok {
			b.WriteString(base)
			continue
		}
		if unicode.In(r, unicode.Letter, unicode.Number, unicode.Mc) {
			b.WriteRune(r)
		}
	}
	return cut(b.String())
}

// foldCase is r's simple case folding: the lower case of its upper case,
// so that the variants of a letter that have one upper case fold alike
// (the Greek final "ς" and "σ", the Cyrillic "ᲁ" and "д", Cherokee in both
// cases). Unicode's case folding as golang.org/x/text/cases implements it
// folds Cherokee to upper case, and lower case to the upper case letters
// folded before: not the same word both ways.
func foldCase(r rune) rune {
	return unicode.ToLower(unicode.ToUpper(r))
}

// foldASCII folds a word of ASCII letters and digits, the most common
// kind, without the Unicode tables; ok is false for any other word.
func foldASCII(word string) (string, bool) {
	upper := false
	for i := 0; i < len(word); i++ {
		c := word[i]
		switch {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		case 'A' <= c && c <= 'Z':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		word = strings.ToLower(word)
	}
	return cut(word), true
}

// cut shortens a folded word to MaxWord bytes at a character's boundary.
func cut(s string) string {
	if len(s) <= MaxWord {
		return s
	}
	n := MaxWord
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// inWord reports whether r belongs to a word: a letter, a digit or a mark
// (an accent written as a character of its own, a vowel sign).
func inWord(r rune) bool {
	return unicode.In(r, unicode.Letter, unicode.Number, unicode.Mark)
}

// unspaced reports whether r is of a script written without spaces
// between words, each character of which is a word of its own.
func unspaced(r rune) bool {
	return r >= 0x2E80 && unicode.In(r, unicode.Han, unicode.Hiragana, unicode.Katakana)
}

// baseLetters are letters (case folded) that decompose into no base letter
// and accent, written as the letters people type for them.
var baseLetters = map[rune]string{
	'ß': "ss",
	'ø': "o", 'đ': "d", 'ð': "d", 'ħ': "h", 'ı': "i", 'ł': "l", 'ŧ': "t",
	'ƀ': "b", 'ƈ': "c", 'ɗ': "d", 'ƒ': "f", 'ɠ': "g", 'ɨ': "i", 'ƙ': "k",
	'ƚ': "l", 'ɲ': "n", 'ɵ': "o", 'ƥ': "p", 'ʉ': "u", 'ƴ': "y", 'ƶ': "z",
	'æ': "ae", 'œ': "oe", 'þ': "th", 'ĸ': "k",
}
