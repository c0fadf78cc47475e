// Package phone normalises phone numbers to E.164 with libphonenumber's
// rules, the form carillon stores and answers (digits, without "+").
package phone

import (
	"errors"
	"hash/maphash"
	"math/rand/v2"
	"strings"
	"sync/atomic"

	"github.com/nyaruka/phonenumbers"
)

// ErrInvalid is returned for what cannot be a phone number.
var ErrInvalid = errors.New("not a possible phone number in international form")

// MaxDigits is the most digits an international number has (E.164).
const MaxDigits = 15

// SandboxPrefix starts the sandbox's reserved numbers, +155500000NN (see
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
// optional) and returns its E.164 digits without "+", as WhatsApp writes
// its ids: libphonenumber's E.164 form, which drops a trunk prefix written
// after the country code ("+44 (0)20 …") and writes Argentina's mobiles
// with their 9. Any *possible* number is accepted (libphonenumber's
// "possible": a known country code and a length that country's numbers
// can have), not only the ones its tables know to be assigned ("valid"):
// WhatsApp has customers whose numbers the tables do not know, such as
// Brazilian mobiles in their form from before the ninth digit. With
// allowSandbox, the sandbox's reserved numbers are accepted whatever the
// tables say of them.
func Normalize(raw string, allowSandbox bool) (string, error) {
	digits := Clean(raw)
	if digits == "" || len(digits) > MaxDigits {
		return "", ErrInvalid
	}
	if allowSandbox && IsSandboxNumber(digits) {
		return digits, nil
	}
	return normalized.get(digits)
}

// normalized remembers what the last numbers read normalise to. Reading a
// number with libphonenumber costs about 20 µs (its rules are regular
// expressions), a few per cent of a send's CPU, and a business writes to
// the same customers, and hears from them, again and again.
var normalized = &normalizeCache{seed: maphash.MakeSeed()}

// normalizeCache is a fixed number of slots, in sets of cacheWays, each
// slot holding one number and what it normalises to; the number's hash
// picks its set. A number read again while still in its set is not read
// again; a number new to a full set takes the slot of one picked at
// random, which is read again when it comes back. Its size is bounded
// whatever numbers it is given. Sets rather than one slot a number: 1,000
// numbers read in turns, each turn in another order, missed 14 to 19 % of
// their reads with one slot a number (those sharing a slot pushed each
// other out), under 1 % in sets of four; a miss costs about a thousand
// times a hit.
type normalizeCache struct {
	seed  maphash.Seed
	slots [4096]atomic.Pointer[normalizedNumber]
}

const cacheWays = 4

type normalizedNumber struct {
	digits string
	e164   string // "": not a possible number
}

// set is the slots that may hold digits.
func (c *normalizeCache) set(digits string) []atomic.Pointer[normalizedNumber] {
	first := maphash.String(c.seed, digits) % uint64(len(c.slots)/cacheWays) * cacheWays
	return c.slots[first : first+cacheWays]
}

func (c *normalizeCache) get(digits string) (string, error) {
	set := c.set(digits)
	free := -1
	for i := range set {
		n := set[i].Load()
		if n == nil {
			free = i
			continue
		}
		if n.digits != digits {
			continue
		}
		if n.e164 == "" {
			return "", ErrInvalid
		}
		return n.e164, nil
	}
	e164, err := fromTables(digits)
	if free < 0 {
		free = rand.IntN(cacheWays)
	}
	set[free].Store(&normalizedNumber{digits: digits, e164: e164})
	return e164, err
}

// fromTables is Normalize of digits (cleaned, not a sandbox number) by
// libphonenumber's tables.
func fromTables(digits string) (string, error) {
	// Formatting drops a trunk prefix; what is left may start with one
	// again ("+20 0 0…"): the number is read again until it stays as it
	// is, so that a normalised number normalises to itself.
	for range 4 {
		num, err := phonenumbers.Parse("+"+digits, "")
		// Possible as dialled from abroad: a number that only works
		// dialled locally (IS_POSSIBLE_LOCAL_ONLY) is not an address.
		if err != nil || phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
			return "", ErrInvalid
		}
		e164 := strings.TrimPrefix(phonenumbers.Format(num, phonenumbers.E164), "+")
		if e164 == digits {
			if !Reported(digits) {
				return "", ErrInvalid
			}
			return digits, nil
		}
		digits = e164
	}
	return "", ErrInvalid
}

// Reported reports whether id, an address a network gave for a customer
// (WhatsApp's wa_id), can be a phone number's digits: only digits, no
// leading zero, at most 15 of them, starting with a country calling code.
// It is looser than Normalize on purpose: WhatsApp keeps ids that
// libphonenumber finds too long or too short (Mexican mobiles written
// 521…, numbers from before a country's renumbering), and replies go to
// the id as WhatsApp wrote it.
func Reported(id string) bool {
	if id == "" || len(id) > MaxDigits || id[0] == '0' {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] < '0' || id[i] > '9' {
			return false
		}
	}
	for n := 1; n <= 3 && n < len(id); n++ {
		if code := atoi(id[:n]); phonenumbers.GetRegionCodeForCountryCode(code) != "ZZ" {
			return len(id)-n >= minNationalDigits
		}
	}
	return false
}

// minNationalDigits is the fewest digits after the country code that a
// number has anywhere (Niue and Saint Helena have four).
const minNationalDigits = 4

func atoi(digits string) int {
	n := 0
	for i := 0; i < len(digits); i++ {
		n = n*10 + int(digits[i]-'0')
	}
	return n
}
