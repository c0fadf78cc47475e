package service

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// What the networks deliver is cleaned, not refused: a NUL character or a
// byte that is not UTF-8 in a profile name or a message must not make
// carillon answer an error that the network would retry forever. NULs are
// removed and invalid bytes replaced by U+FFFD (carillon.CleanText),
// before anything is looked up or stored. Providers stay pure translators;
// this is the one place their callbacks' and send answers' text is made
// storable.

// cleanInbound returns an inbound message whose every text is storable.
func cleanInbound(in carillon.InboundMessage) carillon.InboundMessage {
	for _, s := range []*string{&in.From, &in.BSUID, &in.ProfileName, &in.ExternalID, &in.Type, &in.Content.Text, &in.Content.URL, &in.EchoOf} {
		*s = carillon.CleanText(*s)
	}
	in.Content.Details = cleanDetails(in.Content.Details)
	in.Details = cleanDetails(in.Details)
	if in.Media != nil {
		m := *in.Media
		for _, s := range []*string{&m.ID, &m.MimeType, &m.Filename, &m.SHA256, &m.URL} {
			*s = carillon.CleanText(*s)
		}
		in.Media = &m
	}
	return in
}

// cleanReceipt returns a receipt whose every text is storable.
func cleanReceipt(r carillon.Receipt) carillon.Receipt {
	for _, s := range []*string{&r.ExternalID, &r.MessageUUID, &r.Code, &r.Reason, &r.CorrectedAddress, &r.Recipient} {
		*s = carillon.CleanText(*s)
	}
	r.Status = carillon.Status(carillon.CleanText(string(r.Status)))
	r.Payload = cleanJSON(r.Payload)
	return r
}

// cleanOutcome returns a send outcome whose every text is storable: a
// provider's answer that could not be recorded would leave the message
// queued, to be sent again.
func cleanOutcome(o Outcome) Outcome {
	o.Result.ExternalID, o.Result.Address = carillon.CleanText(o.Result.ExternalID), carillon.CleanText(o.Result.Address)
	o.Result.Payload = cleanJSON(o.Result.Payload)
	if len(o.Result.Receipts) > 0 {
		receipts := make([]carillon.Receipt, len(o.Result.Receipts))
		for i, r := range o.Result.Receipts {
			receipts[i] = cleanReceipt(r)
		}
		o.Result.Receipts = receipts
	}
	if o.Err != nil {
		e := *o.Err
		e.Code, e.Title, e.Payload = carillon.CleanText(e.Code), carillon.CleanText(e.Title), cleanJSON(e.Payload)
		o.Err = &e
	}
	return o
}

// cleanTemplate returns a template read from the network whose every text
// is storable: one odd template must not stop a channel's sync.
func cleanTemplate(t carillon.Template) carillon.Template {
	for _, s := range []*string{&t.Title, &t.Text, &t.Type, &t.Category, &t.Status, &t.Language, &t.ExternalID} {
		*s = carillon.CleanText(*s)
	}
	buttons := make([]carillon.TemplateButton, len(t.Buttons))
	for i, b := range t.Buttons {
		for _, s := range []*string{&b.Type, &b.Text, &b.URL, &b.PhoneNumber, &b.OTPType} {
			*s = carillon.CleanText(*s)
		}
		buttons[i] = b
	}
	t.Buttons = buttons
	return t
}

func cleanDetails(details map[string]json.RawMessage) map[string]json.RawMessage {
	for k, v := range details {
		details[k] = cleanJSON(v)
	}
	return details
}

var escapedNUL = []byte(`\u0000`)

// cleanJSON returns a JSON text whose strings are storable text: bytes
// that are not UTF-8 replaced by U+FFFD, and NUL characters (which JSON
// writes \u0000) removed. Other text is returned as it is.
func cleanJSON(raw json.RawMessage) json.RawMessage {
	if utf8.Valid(raw) && !bytes.Contains(raw, escapedNUL) {
		return raw
	}
	raw = bytes.ToValidUTF8(raw, []byte("\uFFFD"))
	out := make(json.RawMessage, 0, len(raw))
	for i := 0; i < len(raw); i++ {
		switch {
		case bytes.HasPrefix(raw[i:], escapedNUL):
			i += len(escapedNUL) - 1
		case raw[i] == '\\' && i+1 < len(raw):
			out = append(out, raw[i], raw[i+1]) // an escape, \\ included, kept whole
			i++
		default:
			out = append(out, raw[i])
		}
	}
	return out
}
