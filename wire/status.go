package wire

import (
	"bytes"
	"encoding/json"
	"strconv"
	"time"

	"github.com/carillon/carillon"
)

// StatusPayload is messageStatusPayload, in the shape Callbell documents
// (its provider's message event): the provider's message id, the status
// reported, the report itself and the recipient. Webhooks add gsId,
// carillon's uuid of the message.
type StatusPayload struct {
	ID          string          `json:"id"`
	GsID        string          `json:"gsId,omitempty"`
	Type        string          `json:"type"`
	Payload     json.RawMessage `json:"payload"`
	Destination *string         `json:"destination"`
}

// StatusReport is what a provider reported about an outgoing message's
// status, whatever the provider: a send's answer, a refusal, a receipt.
type StatusReport struct {
	Status carillon.Status
	// ExternalID is the provider's id of the message as the report names
	// it; the message's own when empty.
	ExternalID string
	// Report is the provider's own report (its answer, its status
	// callback), kept inside payload.
	Report json.RawMessage
	// Code and Reason are a failure's error code and explanation.
	Code, Reason string
	// Corrected is, for a mismatch, the address the provider reports the
	// recipient under instead.
	Corrected string
	At        time.Time
}

// NewStatusPayload builds the messageStatusPayload of report r about
// message m of contact c. payload is the provider's report, its fields
// kept, with carillon's beside them: ts (the report's time, Unix
// seconds), code and reason for a failure, destination (the corrected
// address) for a mismatch.
//
// Most reports are written straight into bytes (appendStatusPayload); the
// others, and the definition of the bytes both write, go through maps and
// encoding/json (statusPayloadByMaps).
func NewStatusPayload(m carillon.Message, c carillon.Contact, r StatusReport) json.RawMessage {
	if b, ok := appendStatusPayload(make([]byte, 0, 160+2*len(r.Report)), m, c, r); ok {
		return b
	}
	return statusPayloadByMaps(m, c, r)
}

// statusPayloadByMaps is NewStatusPayload through encoding/json: the
// report decoded into maps (numbers kept as written), carillon's fields
// set, all encoded again (keys sorted).
func statusPayloadByMaps(m carillon.Message, c carillon.Contact, r StatusReport) json.RawMessage {
	inner := map[string]any{}
	if len(r.Report) > 0 {
		d := json.NewDecoder(bytes.NewReader(r.Report))
		d.UseNumber() // numbers kept as the provider wrote them
		if err := d.Decode(&inner); err != nil || inner == nil {
			// Not an object: kept whole, beside carillon's fields.
			inner = map[string]any{}
			if json.Valid(r.Report) {
				inner["report"] = r.Report
			}
		}
	}
	if !r.At.IsZero() {
		inner["ts"] = r.At.Unix()
	}
	if r.Code != "" {
		inner["code"] = errorCode(r.Code)
	}
	if r.Reason != "" {
		inner["reason"] = r.Reason
	}
	if r.Corrected != "" {
		inner["destination"] = r.Corrected
	}
	payload, _ := json.Marshal(inner)
	id, destination := statusPayloadNames(m, c, r)
	b, _ := json.Marshal(StatusPayload{ID: id, Type: string(r.Status), Payload: payload, Destination: NullString(destination)})
	return b
}

// statusPayloadNames returns the message's id and the recipient a status
// payload names.
func statusPayloadNames(m carillon.Message, c carillon.Contact, r StatusReport) (id, destination string) {
	id = r.ExternalID
	if id == "" {
		id = m.ExternalID
	}
	if id == "" {
		// The provider never named the message (refused at once): its
		// id is carillon's, as Callbell's provider names a message it
		// failed with its own id.
		id = m.UUID
	}
	destination = c.Address
	if destination == "" {
		destination = c.BSUID
	}
	return id, destination
}

// errorCode writes a numeric code (WhatsApp's 131026, Telegram's 403) as a
// JSON number, as providers do, and carillon's own (network) as a string.
func errorCode(code string) any {
	if n, err := strconv.ParseInt(code, 10, 64); err == nil {
		return n
	}
	return code
}

// webhookStatusPayload is payload with gsId set to the message's uuid, as
// webhooks carry it. A payload of another shape is left as it is.
//
// A payload NewStatusPayload wrote, as every status change's is, starts
// {"id":"…","type":"…" and is what encoding/json writes: gsId is written
// in after the id, the bytes webhookStatusPayloadByStruct gives (decoded,
// gsId set, encoded again) without decoding and encoding each receipt's
// report (FuzzStatusPayload compares both). Not where a string held
// invalid UTF-8, written \ufffd: decoded and encoded again, it is the
// character itself.
func webhookStatusPayload(payload json.RawMessage, messageUUID string) json.RawMessage {
	end, ok := statusPayloadIDEnd(payload)
	if !ok || bytes.Contains(payload, []byte(`\ufffd`)) {
		return webhookStatusPayloadByStruct(payload, messageUUID)
	}
	b := make([]byte, 0, len(payload)+len(`,"gsId":""`)+len(messageUUID))
	b = append(b, payload[:end]...)
	b = append(b, `,"gsId":`...)
	b = appendHTMLString(b, messageUUID)
	return append(b, payload[end:]...)
}

// statusPayloadIDEnd returns where the id ends (after its closing quote)
// in a payload that starts {"id":"…","type":"…", both strings not empty;
// false for any other start.
func statusPayloadIDEnd(p []byte) (int, bool) {
	const start, next = `{"id":"`, `,"type":"`
	if !bytes.HasPrefix(p, []byte(start)) {
		return 0, false
	}
	for i := len(start); i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++ // the escaped character
		case '"':
			rest := p[i+1:]
			if i == len(start) || !bytes.HasPrefix(rest, []byte(next)) || len(rest) == len(next) || rest[len(next)] == '"' {
				return 0, false
			}
			return i + 1, true
		}
	}
	return 0, false
}

// webhookStatusPayloadByStruct is webhookStatusPayload through
// encoding/json, for a payload of any shape.
func webhookStatusPayloadByStruct(payload json.RawMessage, messageUUID string) json.RawMessage {
	var p StatusPayload
	if len(payload) == 0 || json.Unmarshal(payload, &p) != nil || p.ID == "" || p.Type == "" {
		return payload
	}
	p.GsID = messageUUID
	b, err := json.Marshal(p)
	if err != nil {
		return payload
	}
	return b
}
