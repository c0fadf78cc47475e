package wire

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"
)

// encodingJSON is how the API writes its answers: encoding/json without
// HTML escaping, without the Encoder's newline.
func encodingJSON(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// oddTexts are strings whose encoding has a rule of its own.
var oddTexts = []string{
	"", "plain", `quote " and backslash \`, "<b>&amp;</b>", "tab\tnew\nline\rret\bback\fform",
	"\x00\x01\x1f\x7f", "ünïcode ✓ 日本 🎉", "line\u2028para\u2029", "bad \xff\xfe utf-8 \xe2\x82", "\xed\xa0\x80 surrogate",
	"emoji at end 🎉", "/slash/", "€", "\u00a0nbsp",
}

func randomText(r *rand.Rand) string {
	if r.IntN(3) == 0 {
		return oddTexts[r.IntN(len(oddTexts))]
	}
	b := make([]byte, r.IntN(12))
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	return string(b)
}

func randomTime(r *rand.Rand) Time {
	if r.IntN(3) == 0 {
		return Time{}
	}
	loc := time.FixedZone("x", (r.IntN(25)-12)*3600)
	return Time(time.UnixMilli(r.Int64N(4_000_000_000_000)).In(loc))
}

func randomNull(r *rand.Rand) *string {
	if r.IntN(3) == 0 {
		return nil
	}
	s := randomText(r)
	return &s
}

func randomContact(r *rand.Rand) Contact {
	c := Contact{UUID: randomText(r), Name: randomNull(r), PhoneNumber: randomNull(r), AvatarURL: randomNull(r),
		CreatedAt: randomTime(r), Source: randomText(r), Href: randomText(r), ConversationHref: randomNull(r),
		AssignedUser: randomNull(r), FunnelID: randomNull(r), ClosedAt: randomTime(r), BlockedAt: randomTime(r),
		Note: randomNull(r), Channel: Channel{UUID: randomText(r), Title: randomText(r), Type: randomText(r), Main: r.IntN(2) == 0, DiscardedAt: randomTime(r)}}
	if r.IntN(2) == 0 {
		c.BSUID = randomText(r)
	}
	if r.IntN(4) > 0 {
		c.Tags = []string{}
		for range r.IntN(4) {
			c.Tags = append(c.Tags, randomText(r))
		}
	}
	if r.IntN(4) > 0 {
		c.CustomFields = map[string]string{}
		for range r.IntN(5) {
			c.CustomFields[randomText(r)] = randomText(r)
		}
	}
	if r.IntN(2) == 0 {
		c.CustomFieldsMetadata = map[string]FieldMeta{}
		for range r.IntN(4) {
			f := FieldMeta{Value: randomText(r), Type: randomText(r)}
			switch r.IntN(3) {
			case 0:
				f.Options = []string{}
			case 1:
				f.Options = []string{randomText(r), randomText(r)}
			}
			c.CustomFieldsMetadata[randomText(r)] = f
		}
	}
	if r.IntN(3) > 0 {
		c.Team = &Team{UUID: randomText(r), Name: randomText(r), CreatedAt: randomTime(r), Default: r.IntN(2) == 0, Members: r.IntN(2000) - 5}
	}
	return c
}

func TestAppendContactIsEncodingJSON(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 11))
	for i := range 5000 {
		c := randomContact(r)
		want := encodingJSON(t, c)
		if got := AppendContact(nil, c); !bytes.Equal(got, want) {
			t.Fatalf("contact %d:\nAppendContact: %s\nencoding/json: %s", i, got, want)
		}
		if got, want := AppendChannel(nil, c.Channel), encodingJSON(t, c.Channel); !bytes.Equal(got, want) {
			t.Fatalf("channel %d:\nAppendChannel: %s\nencoding/json: %s", i, got, want)
		}
		msg := Message{UUID: randomText(r), Text: randomNull(r), Status: randomText(r), Channel: randomText(r), From: randomNull(r),
			To: randomNull(r), CreatedAt: randomTime(r)}
		switch r.IntN(3) {
		case 0:
			msg.Attachments = []string{}
		case 1:
			msg.Attachments = []string{randomText(r)}
		}
		if r.IntN(2) == 0 {
			at := randomTime(r)
			msg.DeletedAt = &at
		}
		if got, want := AppendMessage(nil, msg), encodingJSON(t, msg); !bytes.Equal(got, want) {
			t.Fatalf("message %d:\nAppendMessage: %s\nencoding/json: %s", i, got, want)
		}
		m := Meta{Page: r.IntN(1 << 30), Pages: r.IntN(1<<30) - 3}
		if got, want := AppendMeta(nil, m), encodingJSON(t, m); !bytes.Equal(got, want) {
			t.Fatalf("meta %d:\nAppendMeta: %s\nencoding/json: %s", i, got, want)
		}
	}
}

// A contact as FromContact makes one, no field left to chance.
func TestAppendContactFromContact(t *testing.T) {
	for _, c := range []Contact{{}, {Tags: []string{}, CustomFields: map[string]string{}, CustomFieldsMetadata: map[string]FieldMeta{}}} {
		if got, want := AppendContact(nil, c), encodingJSON(t, c); !bytes.Equal(got, want) {
			t.Errorf("AppendContact: %s\nencoding/json: %s", got, want)
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range oddTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := appendString(nil, s), encodingJSON(t, s); !bytes.Equal(got, want) {
			t.Errorf("appendString(%q) = %s, encoding/json: %s", s, got, want)
		}
	})
}

// The append functions write each field of their shapes by hand: a field
// added to one of them must be added there too (and to randomContact),
// which this count reminds of before a client sees the field missing.
func TestAppendKnowsEveryField(t *testing.T) {
	for _, c := range []struct {
		shape  any
		fields int
	}{{Contact{}, 19}, {Channel{}, 5}, {Team{}, 5}, {Message{}, 9}, {Meta{}, 2}, {FieldMeta{}, 3}} {
		if n := reflect.TypeOf(c.shape).NumField(); n != c.fields {
			t.Errorf("%T has %d fields, the append functions know %d: write the new ones in append.go", c.shape, n, c.fields)
		}
	}
}
