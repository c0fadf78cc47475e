package wire

import (
	"slices"
	"strconv"
	"time"
	"unicode/utf8"
)

// Contacts and messages written straight into bytes, for the pages of
// contacts and of a contact's messages the API answers: encoding/json
// walks each of a page's contacts, their channel, team and maps by
// reflection, and calls Time.MarshalJSON for each time, a good part of
// the page's CPU. The bytes
// are those encoding/json writes for the same values with HTML escaping
// off (json.Encoder.SetEscapeHTML(false), as the API's answers are
// written), field by field in the structs' order; append_test.go compares
// both on contacts of every shape and on arbitrary text.

// AppendContact appends c as JSON, as encoding/json would without HTML
// escaping.
func AppendContact(b []byte, c Contact) []byte {
	b = append(b, `{"uuid":`...)
	b = appendString(b, c.UUID)
	b = append(b, `,"name":`...)
	b = appendNullString(b, c.Name)
	b = append(b, `,"phoneNumber":`...)
	b = appendNullString(b, c.PhoneNumber)
	b = append(b, `,"avatarUrl":`...)
	b = appendNullString(b, c.AvatarURL)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, c.CreatedAt)
	b = append(b, `,"source":`...)
	b = appendString(b, c.Source)
	b = append(b, `,"href":`...)
	b = appendString(b, c.Href)
	b = append(b, `,"conversationHref":`...)
	b = appendNullString(b, c.ConversationHref)
	b = append(b, `,"tags":`...)
	if c.Tags == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, t := range c.Tags {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, t)
		}
		b = append(b, ']')
	}
	b = append(b, `,"assignedUser":`...)
	b = appendNullString(b, c.AssignedUser)
	b = append(b, `,"customFields":`...)
	b = appendStringMap(b, c.CustomFields)
	if c.CustomFieldsMetadata != nil { // omitzero
		b = append(b, `,"customFieldsMetadata":`...)
		b = appendFieldMetas(b, c.CustomFieldsMetadata)
	}
	b = append(b, `,"team":`...)
	if c.Team == nil {
		b = append(b, "null"...)
	} else {
		b = AppendTeam(b, *c.Team)
	}
	b = append(b, `,"channel":`...)
	b = AppendChannel(b, c.Channel)
	b = append(b, `,"funnelId":`...)
	b = appendNullString(b, c.FunnelID)
	b = append(b, `,"closedAt":`...)
	b = appendTime(b, c.ClosedAt)
	b = append(b, `,"blockedAt":`...)
	b = appendTime(b, c.BlockedAt)
	if c.BSUID != "" { // omitempty
		b = append(b, `,"bsuid":`...)
		b = appendString(b, c.BSUID)
	}
	b = append(b, `,"note":`...)
	b = appendNullString(b, c.Note)
	return append(b, '}')
}

// AppendChannel appends c as JSON, as encoding/json would without HTML
// escaping.
func AppendChannel(b []byte, c Channel) []byte {
	b = append(b, `{"uuid":`...)
	b = appendString(b, c.UUID)
	b = append(b, `,"title":`...)
	b = appendString(b, c.Title)
	b = append(b, `,"type":`...)
	b = appendString(b, c.Type)
	b = append(b, `,"main":`...)
	b = strconv.AppendBool(b, c.Main)
	b = append(b, `,"discardedAt":`...)
	b = appendTime(b, c.DiscardedAt)
	return append(b, '}')
}

// AppendTeam appends t as JSON, as encoding/json would without HTML
// escaping.
func AppendTeam(b []byte, t Team) []byte {
	b = append(b, `{"uuid":`...)
	b = appendString(b, t.UUID)
	b = append(b, `,"name":`...)
	b = appendString(b, t.Name)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, t.CreatedAt)
	b = append(b, `,"default":`...)
	b = strconv.AppendBool(b, t.Default)
	b = append(b, `,"members":`...)
	b = strconv.AppendInt(b, int64(t.Members), 10)
	return append(b, '}')
}

// AppendMeta appends m as JSON.
func AppendMeta(b []byte, m Meta) []byte {
	b = append(b, `{"page":`...)
	b = strconv.AppendInt(b, int64(m.Page), 10)
	b = append(b, `,"pages":`...)
	b = strconv.AppendInt(b, int64(m.Pages), 10)
	return append(b, '}')
}

// appendTime appends what Time.MarshalJSON returns, without its
// allocations.
func appendTime(b []byte, t Time) []byte {
	tt := time.Time(t)
	if tt.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = tt.UTC().AppendFormat(b, "2006-01-02T15:04:05Z")
	return append(b, '"')
}

func appendNullString(b []byte, s *string) []byte {
	if s == nil {
		return append(b, "null"...)
	}
	return appendString(b, *s)
}

// appendStringMap appends m with its keys sorted, as encoding/json does;
// nil is null.
func appendStringMap(b []byte, m map[string]string) []byte {
	if m == nil {
		return append(b, "null"...)
	}
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = appendString(b, m[k])
	}
	return append(b, '}')
}

func appendFieldMetas(b []byte, m map[string]FieldMeta) []byte {
	b = append(b, '{')
	for i, k := range sortedKeys(m) {
		if i > 0 {
			b = append(b, ',')
		}
		f := m[k]
		b = appendString(b, k)
		b = append(b, `:{"value":`...)
		b = appendString(b, f.Value)
		b = append(b, `,"type":`...)
		b = appendString(b, f.Type)
		if len(f.Options) > 0 { // omitempty
			b = append(b, `,"options":[`...)
			for j, o := range f.Options {
				if j > 0 {
					b = append(b, ',')
				}
				b = appendString(b, o)
			}
			b = append(b, ']')
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hex = "0123456789abcdef"

// appendString is encoding/json's string encoding without HTML escaping:
// ", \ and the control characters escaped (\b, \f, \n, \r and \t by
// name), each byte of invalid UTF-8 written as \ufffd, U+2028 and U+2029
// escaped.
func appendString(b []byte, s string) []byte { return appendEscaped(b, s, false) }

// appendHTMLString is encoding/json's string encoding as json.Marshal
// writes it: appendString's, and <, > and & escaped as well.
func appendHTMLString[T ~string | ~[]byte](b []byte, s T) []byte { return appendEscaped(b, s, true) }

func appendEscaped[T ~string | ~[]byte](b []byte, s T, html bool) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if c := s[i]; c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && (!html || (c != '<' && c != '>' && c != '&')) {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '\\', '"':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(string(s[i:min(i+utf8.UTFMax, len(s))]))
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// AppendMessage appends m as JSON, as encoding/json would without HTML
// escaping.
func AppendMessage(b []byte, m Message) []byte {
	b = append(b, `{"uuid":`...)
	b = appendString(b, m.UUID)
	b = append(b, `,"text":`...)
	b = appendNullString(b, m.Text)
	b = append(b, `,"status":`...)
	b = appendString(b, m.Status)
	b = append(b, `,"channel":`...)
	b = appendString(b, m.Channel)
	b = append(b, `,"from":`...)
	b = appendNullString(b, m.From)
	b = append(b, `,"to":`...)
	b = appendNullString(b, m.To)
	b = append(b, `,"createdAt":`...)
	b = appendTime(b, m.CreatedAt)
	if len(m.Attachments) > 0 { // omitempty
		b = append(b, `,"attachments":[`...)
		for i, a := range m.Attachments {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, a)
		}
		b = append(b, ']')
	}
	if m.DeletedAt != nil { // omitempty
		b = append(b, `,"deletedAt":`...)
		b = appendTime(b, *m.DeletedAt)
	}
	return append(b, '}')
}
