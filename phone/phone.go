// Package phone normalises phone numbers to E.164 with libphonenumber's
// rules, the form carillon stores and answers (digits, without "+").
package phone

import (
	"errors"
	"strings"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for a number that is not a valid phone number.
var ErrInvalid = errors.New("not a valid phone number in international form")

// SandboxPrefix starts the sandbox's reserved numbers, +155500000NN: they
// are not valid numbers, but sandbox channels accept them (see
// docs/sandbox.md).
const SandboxPrefix = "155500000"

// IsSandboxNumber reports whether digits (E.164 without "+") is one of the
// sandbox's reserved numbers.
func IsSandboxNumber(digits string) bool {
	if len(digits) != len(SandboxPrefix)+2 || !strings.HasPrefix(digits, SandboxPrefix) {
		return false
	}
	return digits[len(digits)-2] >= '0' && digits[len(digits)-2] <= '9' &&
		digits[len(digits)-1] >= '0' && digits[len(digits)-1] <= '9'
}

// Clean strips what people write around digits (spaces, dashes, dots,
// parentheses) and a leading "+". It returns "" when anything else is
// left besides digits.
func Clean(raw string) string {
	s := strings.TrimSpace(raw)
	s = strings.TrimPrefix(s, "+")
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')' || r == '\u00a0':
		default:
			return ""
		}
	}
	return b.String()
}

// Normalize reads a number in international form (country code first, "+"
// optional) and returns its E.164 digits without "+". With allowSandbox, the
// sandbox's reserved numbers are accepted too.
func Normalize(raw string, allowSandbox bool) (string, error) {
	digits := Clean(raw)
	if digits == "" || len(digits) > 17 {
		return "", ErrInvalid
	}
	if allowSandbox && IsSandboxNumber(digits) {
		return digits, nil
	}
	num, err := phonenumbers.Parse("+"+digits, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return "", ErrInvalid
	}
	return strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+"), nil
}
