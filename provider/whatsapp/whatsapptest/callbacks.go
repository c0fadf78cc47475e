package whatsapptest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/carillon/carillon/provider/providertest"
)

// callbackClient posts the callbacks: one client, so that its connections are
// reused across posts (benchmarks post thousands), and loopback-only.
var callbackClient = providertest.Client()

// WABAID is the WhatsApp Business Account id the callbacks name.
const WABAID = "102290129340398"

// DisplayPhoneNumber is the business number the callbacks name.
const DisplayPhoneNumber = "15550783881"

// Message is a customer's text message, for MessagePayload and PostMessage.
type Message struct {
	// ID is the message's wamid; empty makes one up.
	ID string
	// From is the sender's number (E.164 digits); empty for a user known
	// only by BSUID.
	From string
	// BSUID is the sender's business-scoped user id, if any.
	BSUID       string
	ProfileName string
	Text        string
	// At is when the message was sent; zero means now.
	At time.Time
}

// Sign returns the X-Hub-Signature-256 header value of body, as Meta
// computes it with the app secret.
func Sign(appSecret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// notification wraps one change value in Meta's webhook envelope.
func notification(phoneNumberID string, value map[string]any) []byte {
	value["messaging_product"] = "whatsapp"
	value["metadata"] = map[string]any{"display_phone_number": DisplayPhoneNumber, "phone_number_id": phoneNumberID}
	b, _ := json.Marshal(map[string]any{
		"object": "whatsapp_business_account",
		"entry": []any{map[string]any{
			"id":      WABAID,
			"changes": []any{map[string]any{"value": value, "field": "messages"}},
		}},
	})
	return b
}

func unix(at time.Time) string {
	if at.IsZero() {
		at = time.Now()
	}
	return strconv.FormatInt(at.Unix(), 10)
}

// StatusPayload is the body of a status callback for message wamid, sent to
// recipient: status is sent, delivered, read or failed (a failed status
// carries error 131026, as for a number not on WhatsApp).
func StatusPayload(phoneNumberID, wamid, recipient, status string) []byte {
	st := map[string]any{"id": wamid, "status": status, "timestamp": unix(time.Time{}), "recipient_id": recipient}
	switch status {
	case "failed":
		st["errors"] = []any{map[string]any{
			"code": 131026, "title": "Message undeliverable", "message": "Message undeliverable",
			"error_data": map[string]any{"details": "Message Undeliverable."},
		}}
	default:
		st["pricing"] = map[string]any{"billable": true, "pricing_model": "PMP", "category": "utility", "type": "regular"}
	}
	return notification(phoneNumberID, map[string]any{"statuses": []any{st}})
}

// MessagePayload is the body of a callback carrying a customer's text
// message; m.ID must be set.
func MessagePayload(phoneNumberID string, m Message) []byte {
	contact := map[string]any{"profile": map[string]any{"name": m.ProfileName}}
	msg := map[string]any{"id": m.ID, "timestamp": unix(m.At), "type": "text", "text": map[string]any{"body": m.Text}}
	if m.From != "" {
		contact["wa_id"] = m.From
		msg["from"] = m.From
	}
	if m.BSUID != "" {
		contact["user_id"] = m.BSUID
		msg["from_user_id"] = m.BSUID
	}
	return notification(phoneNumberID, map[string]any{"contacts": []any{contact}, "messages": []any{msg}})
}

// Post posts body to callbackURL signed with appSecret, as Meta does. It
// uses a client that reaches loopback addresses only.
func Post(ctx context.Context, callbackURL, appSecret string, body []byte) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, callbackURL, bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "facebookexternalua")
	req.Header.Set("X-Hub-Signature-256", Sign(appSecret, body))
	return callbackClient.Do(req)
}

// PostStatus posts a signed status callback (see StatusPayload).
func PostStatus(ctx context.Context, callbackURL, appSecret, phoneNumberID, wamid, recipient, status string) (*http.Response, error) {
	return Post(ctx, callbackURL, appSecret, StatusPayload(phoneNumberID, wamid, recipient, status))
}

// PostMessage posts a signed callback carrying a customer's text message;
// m.ID must be set (Server.NextWAMID makes one).
func PostMessage(ctx context.Context, callbackURL, appSecret, phoneNumberID string, m Message) (*http.Response, error) {
	return Post(ctx, callbackURL, appSecret, MessagePayload(phoneNumberID, m))
}

// Verify makes Meta's verification handshake: a GET with hub.mode,
// hub.verify_token and hub.challenge.
func Verify(ctx context.Context, callbackURL, verifyToken, challenge string) (*http.Response, error) {
	u, err := url.Parse(callbackURL)
	if err != nil {
		return nil, err
	}
	q := u.Query()
	q.Set("hub.mode", "subscribe")
	q.Set("hub.verify_token", verifyToken)
	q.Set("hub.challenge", challenge)
	u.RawQuery = q.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	return callbackClient.Do(req)
}
