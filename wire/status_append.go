package wire

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// A status payload written straight into bytes. NewStatusPayload runs for
// every status a message reaches (three or more per message), inside the
// transaction that records it; decoding each report into maps and
// encoding them again was most of its cost. The bytes are
// statusPayloadByMaps's, which defines them (FuzzStatusPayload compares
// both). A report this does not write (not one valid JSON object, or with
// a string that holds an escape or invalid UTF-8, which decoding would
// change) goes through statusPayloadByMaps.

// member is a member of an object being written: its key as the report
// wrote it (no escapes), and where its value, written again, lies in the
// buffer.
type member struct {
	key        []byte
	start, end int
}

var (
	keyTS          = []byte("ts")
	keyCode        = []byte("code")
	keyReason      = []byte("reason")
	keyDestination = []byte("destination")
)

// appendStatusPayload appends NewStatusPayload's bytes to b; ok is false
// for a report it leaves to statusPayloadByMaps.
func appendStatusPayload(b []byte, m carillon.Message, c carillon.Contact, r StatusReport) ([]byte, bool) {
	id, destination := statusPayloadNames(m, c, r)
	b = append(b, `{"id":`...)
	b = appendHTMLString(b, id)
	b = append(b, `,"type":`...)
	b = appendHTMLString(b, string(r.Status))
	b = append(b, `,"payload":`...)
	start := len(b)
	members := make([]member, 0, 8) // a receipt has four or five, with carillon's
	if len(r.Report) > 0 {
		data := skipSpace(r.Report)
		if len(data) == 0 || data[0] != '{' || !json.Valid(r.Report) {
			return nil, false
		}
		var ok bool
		if b, members, _, ok = appendMembers(b, data, members); !ok {
			return nil, false
		}
	}
	// carillon's fields come after the report's: a later member of the
	// same key wins, as carillon's do over the provider's.
	if !r.At.IsZero() {
		v := len(b)
		b = strconv.AppendInt(b, r.At.Unix(), 10)
		members = append(members, member{keyTS, v, len(b)})
	}
	if r.Code != "" {
		v := len(b)
		if n, err := strconv.ParseInt(r.Code, 10, 64); err == nil {
			b = strconv.AppendInt(b, n, 10) // as errorCode
		} else {
			b = appendHTMLString(b, r.Code)
		}
		members = append(members, member{keyCode, v, len(b)})
	}
	if r.Reason != "" {
		v := len(b)
		b = appendHTMLString(b, r.Reason)
		members = append(members, member{keyReason, v, len(b)})
	}
	if r.Corrected != "" {
		v := len(b)
		b = appendHTMLString(b, r.Corrected)
		members = append(members, member{keyDestination, v, len(b)})
	}
	b = closeObject(b, start, members)
	b = append(b, `,"destination":`...)
	if destination == "" {
		b = append(b, "null"...)
	} else {
		b = appendHTMLString(b, destination)
	}
	return append(b, '}'), true
}

// appendMembers reads the object at the start of data (valid JSON) and
// appends its members' values, each written again, to b; rest is what
// follows the object.
func appendMembers(b, data []byte, members []member) ([]byte, []member, []byte, bool) {
	data = skipSpace(data[1:])
	if data[0] == '}' {
		return b, members, data[1:], true
	}
	for {
		key, rest, ok := plainString(data)
		if !ok {
			return b, nil, nil, false
		}
		data = skipSpace(skipSpace(rest)[1:]) // the colon
		v := len(b)
		if b, data, ok = appendValue(b, data); !ok {
			return b, nil, nil, false
		}
		members = append(members, member{key, v, len(b)})
		data = skipSpace(data)
		if data[0] == '}' {
			return b, members, data[1:], true
		}
		data = skipSpace(data[1:]) // the comma
	}
}

// appendValue appends the value at the start of data (valid JSON) as
// encoding/json writes it once decoded into any with UseNumber: objects'
// members sorted by key, the last of a repeated key kept; numbers as they
// were written.
func appendValue(b, data []byte) ([]byte, []byte, bool) {
	var ok bool
	switch data[0] {
	case '{':
		start := len(b)
		b, members, rest, ok := appendMembers(b, data, nil)
		if !ok {
			return b, nil, false
		}
		return closeObject(b, start, members), rest, true
	case '[':
		b = append(b, '[')
		data = skipSpace(data[1:])
		if data[0] == ']' {
			return append(b, ']'), data[1:], true
		}
		for {
			if b, data, ok = appendValue(b, data); !ok {
				return b, nil, false
			}
			data = skipSpace(data)
			if data[0] == ']' {
				return append(b, ']'), data[1:], true
			}
			b = append(b, ',')
			data = skipSpace(data[1:])
		}
	case '"':
		s, rest, ok := plainString(data)
		if !ok {
			return b, nil, false
		}
		return appendHTMLString(b, s), rest, true
	default: // a number, true, false or null
		n := 0
		for n < len(data) && !endsLiteral(data[n]) {
			n++
		}
		return append(b, data[:n]...), data[n:], true
	}
}

// closeObject writes the object of members, whose values lie in b from
// start on, in their place: members sorted by key, the last of a repeated
// key kept.
func closeObject(b []byte, start int, members []member) []byte {
	slices.SortStableFunc(members, func(x, y member) int { return bytes.Compare(x.key, y.key) })
	values := len(b)
	b = append(b, '{')
	first := true
	for i, m := range members {
		if i+1 < len(members) && bytes.Equal(members[i+1].key, m.key) {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendHTMLString(b, m.key)
		b = append(b, ':')
		b = append(b, b[m.start:m.end]...)
	}
	b = append(b, '}')
	n := copy(b[start:], b[values:])
	return b[:start+n]
}

// plainString returns the text of the string at the start of data (valid
// JSON) when decoding would not change it: no escape, valid UTF-8.
func plainString(data []byte) (s, rest []byte, ok bool) {
	end := bytes.IndexAny(data[1:], `"\`) + 1
	if end == 0 || data[end] != '"' || !utf8.Valid(data[1:end]) {
		return nil, nil, false
	}
	return data[1:end], data[end+1:], true
}

// endsLiteral reports whether c, after a number or a literal, ends it.
func endsLiteral(c byte) bool {
	switch c {
	case ',', '}', ']', ' ', '\t', '\n', '\r':
		return true
	}
	return false
}

func skipSpace(data []byte) []byte {
	for len(data) > 0 && (data[0] == ' ' || data[0] == '\t' || data[0] == '\n' || data[0] == '\r') {
		data = data[1:]
	}
	return data
}
