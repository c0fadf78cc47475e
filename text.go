package carillon

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Text that carillon keeps must be valid UTF-8 without NUL characters:
// PostgreSQL refuses both in its text columns, and SQLite would keep them
// only to hand them back to clients that choke on them. The API refuses
// such text where it comes in; what the networks send is cleaned instead,
// since refusing a message they delivered would only make them retry it.

// MaxIdentifier bounds an identifier read from a request: carillon's own
// uuids, the networks' message ids, phone numbers and BSUIDs are far
// shorter.
const MaxIdentifier = 255

// ErrInvalidText is returned (wrapped) by stores given text that is not
// valid UTF-8 or holds a NUL character: they refuse the statement, on
// every database alike, before it reaches the database.
var ErrInvalidText = errors.New("text is not valid UTF-8 or holds a NUL character")

// ValidText reports whether s can be kept as it is: valid UTF-8 with no
// NUL character.
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// TextProblem says what keeps s from being valid text, "" when nothing does.
func TextProblem(s string) string {
	switch {
	case !utf8.ValidString(s):
		return "is not valid UTF-8"
	case strings.IndexByte(s, 0) >= 0:
		return "holds a NUL character"
	}
	return ""
}

// CleanText returns s as text carillon can keep: NUL characters removed,
// bytes that are not UTF-8 replaced by U+FFFD. Valid text is returned as
// it is.
func CleanText(s string) string {
	if ValidText(s) {
		return s
	}
	return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
}

// WellFormedID reports whether s can be an identifier: 1 to MaxIdentifier
// bytes of valid UTF-8 without control characters. A string that is not
// names nothing carillon keeps, and is not looked up.
func WellFormedID(s string) bool {
	return s != "" && len(s) <= MaxIdentifier && Printable(s)
}

// Printable reports whether s is valid UTF-8 without control characters
// (NUL, tab, line breaks, DEL and the C1 controls included).
func Printable(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsFunc(s, unicode.IsControl)
}
