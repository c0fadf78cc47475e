// Package sandbox is a provider that simulates a WhatsApp number with no
// account anywhere. An ordinary number becomes sent, then delivered, then
// read, each step after a delay; reserved numbers (+155500000NN) behave like
// the awkward cases of real WhatsApp numbers (see docs/sandbox.md).
package sandbox

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
)

// The reserved numbers, E.164 digits without "+".
const (
	NumberNotOnWhatsApp  = phone.SandboxPrefix + "01"
	NumberNeverDelivered = phone.SandboxPrefix + "02"
	NumberNeverRead      = phone.SandboxPrefix + "03"
	NumberRateLimited    = phone.SandboxPrefix + "04"
	NumberServerError    = phone.SandboxPrefix + "05"
	NumberMismatch       = phone.SandboxPrefix + "06"
)

// MismatchCorrected is the number that the mismatch case reports instead.
const MismatchCorrected = phone.SandboxPrefix + "99"

// ReceiptFunc takes the receipts the sandbox reports for a message sent on
// channel ch.
type ReceiptFunc func(ctx context.Context, ch carillon.Channel, r carillon.Receipt)

// Provider is the sandbox provider.
type Provider struct {
	delay   time.Duration
	receipt ReceiptFunc

	mu     sync.Mutex
	timers map[*time.Timer]struct{}
	closed bool
}

var _ carillon.Provider = (*Provider)(nil)

// New returns a sandbox whose every step takes delay, and which reports
// receipts to receipt.
func New(delay time.Duration, receipt ReceiptFunc) *Provider {
	return &Provider{delay: delay, receipt: receipt, timers: map[*time.Timer]struct{}{}}
}

// errorPayload is what WhatsApp's Cloud API answers for an error.
func errorPayload(code int, title, message string) json.RawMessage {
	b, _ := json.Marshal(map[string]any{"errors": []map[string]any{{"code": code, "title": title, "message": message}}})
	return b
}

// Send simulates WhatsApp accepting (or refusing) one attempt.
func (p *Provider) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	if p.delay > 0 {
		t := time.NewTimer(p.delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return carillon.SendResult{}, ctx.Err()
		}
	}
	switch out.To {
	case NumberNotOnWhatsApp:
		return carillon.SendResult{}, &carillon.SendError{Permanent: true, Code: "131026", Title: "Message undeliverable",
			Payload: errorPayload(131026, "Message undeliverable", "The recipient's number is not on WhatsApp (sandbox number "+out.To+")")}
	case NumberRateLimited:
		if out.Attempt <= 2 {
			return carillon.SendResult{}, &carillon.SendError{Code: "130429", Title: "Rate limit hit", Scope: carillon.ScopeChannel,
				Payload: errorPayload(130429, "Rate limit hit", "Cloud API message throughput has been reached (sandbox)")}
		}
	case NumberServerError:
		if out.Attempt <= 1 {
			return carillon.SendResult{}, &carillon.SendError{Code: "131000", Title: "Something went wrong",
				Payload: errorPayload(131000, "Something went wrong", "The sandbox simulated a server error")}
		}
	}
	externalID := "wamid.sandbox." + out.Message.UUID
	result := carillon.SendResult{ExternalID: externalID, Address: out.To}
	result.Payload, _ = json.Marshal(map[string]any{
		"id": externalID, "status": "sent", "recipient_id": out.To, "timestamp": fmt.Sprint(time.Now().Unix()),
	})
	steps := []carillon.Status{carillon.StatusDelivered, carillon.StatusRead}
	switch out.To {
	case NumberNeverDelivered:
		steps = nil
	case NumberNeverRead:
		steps = steps[:1]
	case NumberMismatch:
		steps = []carillon.Status{carillon.StatusMismatch}
	}
	if p.delay == 0 {
		// Every step at once: the receipts go with the answer, and are
		// recorded with it.
		for _, st := range steps {
			result.Receipts = append(result.Receipts, receipt(out, externalID, st, time.Now()))
		}
		return result, nil
	}
	p.later(out, externalID, steps)
	return result, nil
}

// later reports the receipts of steps, each a delay after the previous one
// was reported: in order, as a well-behaved number's receipts come (timers
// of their own could be reported out of order on a busy machine, and a
// skipped status has no report of its own to show).
func (p *Provider) later(out carillon.Outgoing, externalID string, steps []carillon.Status) {
	if len(steps) == 0 {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return
	}
	var t *time.Timer
	t = time.AfterFunc(p.delay, func() {
		p.mu.Lock()
		delete(p.timers, t)
		p.mu.Unlock()
		p.receipt(context.Background(), out.Channel, receipt(out, externalID, steps[0], time.Now()))
		p.later(out, externalID, steps[1:])
	})
	p.timers[t] = struct{}{}
}

// receipt is the sandbox's report of status st at time at, written like
// WhatsApp's.
func receipt(out carillon.Outgoing, externalID string, st carillon.Status, at time.Time) carillon.Receipt {
	payload := map[string]any{"id": externalID, "status": string(st), "recipient_id": out.To, "timestamp": fmt.Sprint(at.Unix())}
	r := carillon.Receipt{ChannelID: out.Channel.ID, ExternalID: externalID, MessageUUID: out.Message.UUID, Status: st, At: at}
	if st == carillon.StatusMismatch {
		payload["recipient_id"] = MismatchCorrected
		payload["errors"] = []map[string]any{{"code": 1000006, "title": "Recipient number mismatch",
			"message": "WhatsApp reports the recipient under another number: " + MismatchCorrected}}
		r.Code, r.Reason, r.CorrectedAddress = "1000006", "Recipient number mismatch", MismatchCorrected
	}
	r.Payload, _ = json.Marshal(payload)
	return r
}

// Close drops the receipts not reported yet (a real network would lose them
// too when the server stops; the messages stay sent).
func (p *Provider) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.closed = true
	for t := range p.timers {
		t.Stop()
	}
	p.timers = map[*time.Timer]struct{}{}
}

// The channel settings the sandbox reads (docs/sandbox.md).
const (
	// SettingWindow is "open" (the default: any message goes) or
	// "enforced" (free-form messages need the 24-hour window, as on
	// WhatsApp).
	SettingWindow = "window"
	// SettingNumber is the channel's own number, its messages' business
	// side (carillon.DefaultSandboxNumber when unset).
	SettingNumber = "number"
)

// Info describes the sandbox: any channel type, unpaced, never called
// back, enforcing the 24-hour window only when its window setting says so.
func Info() carillon.ProviderInfo {
	return carillon.ProviderInfo{
		Name:  carillon.ProviderSandbox,
		Title: "Sandbox",
		Settings: []carillon.SettingSpec{
			{Name: SettingWindow, Default: "open", Check: func(v string) (string, error) {
				if v != "open" && v != "enforced" {
					return "", fmt.Errorf("window must be open or enforced, not %q", v)
				}
				return v, nil
			}},
			carillon.PaceSetting(),
			{Name: SettingNumber, Check: func(v string) (string, error) {
				digits, err := phone.Normalize(v, true)
				if err != nil {
					return "", fmt.Errorf("number must be a phone number in international form, country code first (+1 555 000 0000), not %q", v)
				}
				return digits, nil
			}},
		},
		EnforcesWindow: func(ch carillon.Channel) bool { return ch.Setting(SettingWindow, "open") == "enforced" },
		// The files of the WhatsApp number it simulates (WhatsApp Cloud
		// API's media types and sizes).
		Media: carillon.MediaLimits{Document: 100 << 20, Kinds: []carillon.MediaKind{
			{Type: carillon.TypeImage, ContentTypes: []string{"image/jpeg", "image/png"}, Names: "a JPEG or PNG image", Max: 5 << 20},
			{Type: carillon.TypeVideo, ContentTypes: []string{"video/mp4", "video/3gpp"}, Names: "an MP4 or 3GPP video", Max: 16 << 20},
			{Type: carillon.TypeAudio, ContentTypes: []string{"audio/aac", "audio/amr", "audio/mpeg", "audio/mp4", "audio/ogg"}, Names: "an AAC, AMR, MP3, M4A or Ogg audio", Max: 16 << 20},
		}},
		ReservedAddresses: []carillon.ReservedAddress{
			{Address: NumberNotOnWhatsApp, Behaviour: "a message to it is refused at once, permanently: not on WhatsApp (code 131026), and fails"},
			{Address: NumberNeverDelivered, Behaviour: "a message to it is accepted and never delivered: it stays sent"},
			{Address: NumberNeverRead, Behaviour: "a message to it is delivered and never read: it stays delivered"},
			{Address: NumberRateLimited, Behaviour: "a message to it hits the rate limit (code 130429) on its first two attempts, holding the whole channel back, then is sent, delivered and read"},
			{Address: NumberServerError, Behaviour: "a message to it meets a server error (code 131000) on its first attempt, then is sent, delivered and read"},
			{Address: NumberMismatch, Behaviour: "a message to it is sent, then reported under another number (" + MismatchCorrected + "): mismatch"},
		},
	}
}
