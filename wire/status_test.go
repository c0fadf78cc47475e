package wire

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

func TestNewStatusPayload(t *testing.T) {
	t.Parallel()
	m := carillon.Message{UUID: "0123456789abcdef0123456789abcdef", ExternalID: "wamid.stored"}
	phone := carillon.Contact{Address: "31612345678"}
	at := time.Unix(1767225600, 0)
	tests := []struct {
		name string
		m    carillon.Message
		c    carillon.Contact
		r    StatusReport
		want string
	}{
		{"a receipt: the report kept in payload, its time as ts", m, phone,
			StatusReport{Status: carillon.StatusRead, ExternalID: "wamid.HBgL", At: at,
				Report: json.RawMessage(`{"id":"wamid.HBgL","status":"read","timestamp":"1767225600","pricing":{"billable":false,"rate":1.5e2}}`)},
			`{"id":"wamid.HBgL","type":"read","payload":{"id":"wamid.HBgL","pricing":{"billable":false,"rate":1.5e2},"status":"read","timestamp":"1767225600","ts":1767225600},"destination":"31612345678"}`},
		{"a failure: a numeric code as a number, the reason beside the provider's errors", m, phone,
			StatusReport{Status: carillon.StatusFailed, Code: "131026", Reason: "Message undeliverable", At: at,
				Report: json.RawMessage(`{"errors":[{"code":131026,"title":"Message undeliverable"}]}`)},
			`{"id":"wamid.stored","type":"failed","payload":{"code":131026,"errors":[{"code":131026,"title":"Message undeliverable"}],"reason":"Message undeliverable","ts":1767225600},"destination":"31612345678"}`},
		{"carillon's own code as a string; no provider id: the message's uuid", carillon.Message{UUID: m.UUID}, phone,
			StatusReport{Status: carillon.StatusFailed, Code: "network", Reason: "connection refused"},
			`{"id":"0123456789abcdef0123456789abcdef","type":"failed","payload":{"code":"network","reason":"connection refused"},"destination":"31612345678"}`},
		{"a mismatch: the corrected number in payload.destination", m, phone,
			StatusReport{Status: carillon.StatusMismatch, Code: "1000006", Reason: "Recipient number mismatch", Corrected: "15550000099"},
			`{"id":"wamid.stored","type":"mismatch","payload":{"code":1000006,"destination":"15550000099","reason":"Recipient number mismatch"},"destination":"31612345678"}`},
		{"carillon's fields win over the provider's of the same name", m, phone,
			StatusReport{Status: carillon.StatusFailed, Code: "403", Reason: "Forbidden: bot was blocked by the user", Report: json.RawMessage(`{"code":"x","reason":"y"}`)},
			`{"id":"wamid.stored","type":"failed","payload":{"code":403,"reason":"Forbidden: bot was blocked by the user"},"destination":"31612345678"}`},
		{"a report that is not an object is kept whole", m, phone,
			StatusReport{Status: carillon.StatusSent, Report: json.RawMessage(`[1,2]`)},
			`{"id":"wamid.stored","type":"sent","payload":{"report":[1,2]},"destination":"31612345678"}`},
		{"a contact known by BSUID alone", m, carillon.Contact{BSUID: "US.13491208655302741918"},
			StatusReport{Status: carillon.StatusSent},
			`{"id":"wamid.stored","type":"sent","payload":{},"destination":"US.13491208655302741918"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := string(NewStatusPayload(tt.m, tt.c, tt.r)); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

func TestWebhookStatusPayloadAddsGsID(t *testing.T) {
	t.Parallel()
	p := NewStatusPayload(carillon.Message{ExternalID: "wamid.1"}, carillon.Contact{Address: "31612345678"},
		StatusReport{Status: carillon.StatusDelivered, Report: json.RawMessage(`{"status":"delivered"}`)})
	got := string(webhookStatusPayload(p, "0123456789abcdef0123456789abcdef"))
	want := `{"id":"wamid.1","gsId":"0123456789abcdef0123456789abcdef","type":"delivered","payload":{"status":"delivered"},"destination":"31612345678"}`
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	// A payload stored in another shape is shown as it is.
	if old := `{"id":"wamid.1","status":"read"}`; string(webhookStatusPayload(json.RawMessage(old), "x")) != old {
		t.Errorf("a payload of another shape was changed")
	}
}

// FuzzStatusPayload checks that a payload written straight into bytes is
// byte for byte the one written through maps: payloads are stored, sent in
// webhooks and compared with the history to find a repeated report.
func FuzzStatusPayload(f *testing.F) {
	for _, report := range []string{
		``, `{}`, ` { } `, `[1,2]`, `null`, `"x"`, `{"a":1} {"b":2}`, `{"a":`,
		`{"id":"wamid.HBgL","status":"read","timestamp":"1767225600","recipient_id":"31612345678"}`,
		`{"id":"w","status":"sent","conversation":{"id":"c","origin":{"type":"service"},"expiration_timestamp":"1767312000"},"pricing":{"billable":true,"pricing_model":"CBP","category":"service"}}`,
		`{"errors":[{"code":131026,"title":"Message undeliverable","error_data":{"details":"<b>&</b>"}}]}`,
		`{"z":1,"a":2,"z":3,"m":{"y":[],"x":{},"x":null}}`,
		`{"ts":"theirs","code":"x","reason":"y","destination":"d","n":-1.5e-7,"t":true,"f":false}`,
		"{\"\u00e9\":\"caf\u00e9 \u2028\",\"\\u00e9\":\"\\\"q\\\"\"}",
		"{\"bad\":\"\xff\"}", `{ "sp" : [ 1 , { "b" : 2 , "a" : 1 } ] }`,
	} {
		f.Add(report, "131026", "Message <undeliverable>", "", "wamid.1", "31612345678", int64(1767225600))
	}
	f.Add(`{"code":"x"}`, "network", "", "+49 151", "", "", int64(0))
	f.Fuzz(func(t *testing.T, report, code, reason, corrected, externalID, address string, at int64) {
		m := carillon.Message{UUID: "0123456789abcdef0123456789abcdef", ExternalID: "wamid.stored"}
		c := carillon.Contact{Address: address, BSUID: "US.1"}
		r := StatusReport{Status: carillon.StatusFailed, ExternalID: externalID, Report: json.RawMessage(report),
			Code: code, Reason: reason, Corrected: corrected}
		if at != 0 {
			r.At = time.Unix(at, 0)
		}
		want := statusPayloadByMaps(m, c, r)
		got, ok := appendStatusPayload(nil, m, c, r)
		if ok && string(got) != string(want) {
			t.Errorf("report %q:\nwritten   %s\nthrough maps %s", report, got, want)
		}
		// What webhooks show of it: gsId written in, as encoding/json
		// writes it.
		payload := NewStatusPayload(m, c, r)
		if got, want := webhookStatusPayload(payload, m.UUID), webhookStatusPayloadByStruct(payload, m.UUID); string(got) != string(want) {
			t.Errorf("report %q, gsId:\nwritten in   %s\nthrough json %s", report, got, want)
		}
		plain := json.Valid([]byte(report)) && strings.HasPrefix(strings.TrimLeft(report, " \t\n\r"), "{") &&
			!strings.Contains(report, `\`) && utf8.ValidString(report)
		if !ok && plain {
			t.Errorf("report %q, a plain JSON object, was left to the maps", report)
		}
	})
}
