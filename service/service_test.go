package service_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/telemetry"
)

// recordingDispatcher remembers the messages handed to the pipeline.
type recordingDispatcher struct {
	mu   sync.Mutex
	msgs []carillon.Message
}

func (d *recordingDispatcher) Enqueue(m carillon.Message, _ carillon.Contact) {
	d.mu.Lock()
	d.msgs = append(d.msgs, m)
	d.mu.Unlock()
}

func (d *recordingDispatcher) count() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.msgs)
}

type fixture struct {
	svc     *service.Service
	db      *store.DB
	disp    *recordingDispatcher
	p       service.Principal
	sandbox carillon.Channel
}

func setup(t *testing.T) *fixture {
	t.Helper()
	db := testrig.SQLite(t)
	svc := testrig.Service(t, service.Options{Store: db, InstanceID: "test-instance", Registry: providers})
	disp := &recordingDispatcher{}
	svc.Notifier().SubscribeSends(disp)
	p := testrig.DefaultAccount(t, svc).Principal
	ch, err := db.MainChannel(context.Background(), p.Account.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{svc: svc, db: db, disp: disp, p: p, sandbox: ch}
}

func text(to, body string) service.SendRequest {
	return service.SendRequest{To: to, From: "whatsapp", Type: "text", Content: &carillon.Content{Text: body}}
}

func wantCode(t *testing.T, err error, code carillon.ErrorCode, field string) {
	t.Helper()
	e, ok := carillon.AsError(err)
	if !ok || e.Code != code || e.Field != field {
		t.Fatalf("error = %v; want code %s field %q", err, code, field)
	}
}

func TestSendCreatesContactAndQueuesMessage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	res, err := f.svc.Messages.Send(ctx, f.p, text("+31 6 1234 5678", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Message.Status != carillon.StatusEnqueued || res.Message.SendState != carillon.SendQueued {
		t.Fatalf("message = %+v", res.Message)
	}
	if res.Contact.Address != "31612345678" || !res.Contact.ConversationOpen() {
		t.Fatalf("contact = %+v", res.Contact)
	}
	if f.disp.count() != 1 {
		t.Fatalf("dispatched %d messages, want 1", f.disp.count())
	}
	// A second send reuses the contact.
	res2, err := f.svc.Messages.Send(ctx, f.p, text("31612345678", "again"))
	if err != nil {
		t.Fatal(err)
	}
	if res2.Contact.ID != res.Contact.ID {
		t.Fatalf("second send made another contact")
	}
	stored, err := f.db.MessageByUUID(ctx, f.p.Account.ID, res.Message.UUID)
	if err != nil || stored.Content.Text != "hello" || stored.Owner != "test-instance" {
		t.Fatalf("stored = %+v, %v", stored, err)
	}
}

func TestSendValidation(t *testing.T) {
	t.Parallel()
	f := setup(t)
	long := string(bytes.Repeat([]byte("k"), 51))
	tests := []struct {
		name  string
		req   service.SendRequest
		code  carillon.ErrorCode
		field string
	}{
		{"no from", service.SendRequest{To: "+31612345678", Type: "text", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "from"},
		{"bad from", service.SendRequest{To: "+31612345678", From: "sms", Type: "text", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "from"},
		{"no to", service.SendRequest{From: "whatsapp", Type: "text", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "to"},
		{"bad number", text("+31 6 12", "x"), carillon.CodeInvalidParameter, "to"},
		{"reserved number needs sandbox", text("+1555000000", "x"), carillon.CodeInvalidParameter, "to"},
		{"no type", service.SendRequest{To: "+31612345678", From: "whatsapp", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "type"},
		{"unknown type", service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "fax", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "type"},
		{"no content", service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "text"}, carillon.CodeInvalidParameter, "content"},
		{"empty text", text("+31612345678", " "), carillon.CodeInvalidParameter, "content.text"},
		{"media without url", service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "image", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "content.url"},
		{"media with relative url", service.SendRequest{To: "+31612345678", From: "whatsapp", Type: "image", Content: &carillon.Content{URL: "/a.png"}}, carillon.CodeInvalidParameter, "content.url"},
		{"no telegram channel", service.SendRequest{To: "12345", From: "telegram", Type: "text", Content: &carillon.Content{Text: "x"}}, carillon.CodeInvalidParameter, "from"},
		{"unknown channel", func() service.SendRequest {
			r := text("+31612345678", "x")
			r.ChannelUUID = carillon.NewUUID()
			return r
		}(), carillon.CodeInvalidParameter, "channel_uuid"},
		{"metadata key too long", func() service.SendRequest {
			r := text("+31612345678", "x")
			r.Metadata = map[string]any{long: "v"}
			return r
		}(), carillon.CodeInvalidParameter, "metadata"},
		{"metadata not a string", func() service.SendRequest {
			r := text("+31612345678", "x")
			r.Metadata = map[string]any{"k": 1.0}
			return r
		}(), carillon.CodeInvalidParameter, "metadata"},
		{"unknown fields", func() service.SendRequest { r := text("+31612345678", "x"); r.Fields = "contact,bogus"; return r }(), carillon.CodeInvalidParameter, "fields"},
		{"bad bot status", func() service.SendRequest { r := text("+31612345678", "x"); r.BotStatus = "on"; return r }(), carillon.CodeInvalidParameter, "bot_status"},
		{"template without opt-in", func() service.SendRequest { r := text("+31612345678", "x"); r.TemplateUUID = "t"; return r }(), carillon.CodeInvalidParameter, "optin_contact"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.svc.Messages.Send(context.Background(), f.p, tt.req)
			wantCode(t, err, tt.code, tt.field)
		})
	}
	md := map[string]any{}
	for i := range 11 {
		md[string(rune('a'+i))] = "v"
	}
	r := text("+31612345678", "x")
	r.Metadata = md
	_, err := f.svc.Messages.Send(context.Background(), f.p, r)
	wantCode(t, err, carillon.CodeInvalidParameter, "metadata")
	if f.disp.count() != 0 {
		t.Fatalf("a refused send was dispatched")
	}
}

func TestIdempotencyKey(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	r := text("+31612345678", "once")
	r.IdempotencyKey, r.RequestHash = "order-42", "hash-a"
	first, err := f.svc.Messages.Send(ctx, f.p, r)
	if err != nil {
		t.Fatal(err)
	}
	again, err := f.svc.Messages.Send(ctx, f.p, r)
	if err != nil {
		t.Fatal(err)
	}
	if again.Message.UUID != first.Message.UUID || !again.Replayed || again.Message.Status != carillon.StatusEnqueued {
		t.Fatalf("retry = %+v; want the first answer replayed", again.Message)
	}
	if f.disp.count() != 1 {
		t.Fatalf("dispatched %d, want 1", f.disp.count())
	}
	r.RequestHash = "hash-b"
	_, err = f.svc.Messages.Send(ctx, f.p, r)
	wantCode(t, err, carillon.CodeIdempotencyKeyReused, "Idempotency-Key")
}

// TestIdempotencyKeyPastItsWindow: a key used again more than 24 hours
// later sends a new message, whatever its body, and is remembered for it;
// another key's record, past its window too, is left to the hourly sweep.
func TestIdempotencyKeyPastItsWindow(t *testing.T) {
	t.Parallel()
	db := testrig.SQLite(t)
	clock := &manualClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
	svc := testrig.Service(t, service.Options{Store: db, Clock: clock, Registry: providers})
	p := testrig.DefaultAccount(t, svc).Principal
	ctx := context.Background()
	r := text("+31612345678", "once")
	r.IdempotencyKey, r.RequestHash = "order-42", "hash-a"
	first, err := svc.Messages.Send(ctx, p, r)
	if err != nil {
		t.Fatal(err)
	}
	other := text("+31612345679", "other")
	other.IdempotencyKey, other.RequestHash = "order-43", "hash-c"
	if _, err := svc.Messages.Send(ctx, p, other); err != nil {
		t.Fatal(err)
	}
	clock.advance(carillon.IdempotencyWindow + time.Second)
	r.RequestHash = "hash-b"
	later, err := svc.Messages.Send(ctx, p, r)
	if err != nil {
		t.Fatalf("the key again after its window: %v", err)
	}
	if later.Replayed || later.Message.UUID == first.Message.UUID {
		t.Fatalf("the key again after its window answered %+v (replayed %t), want a new message", later.Message, later.Replayed)
	}
	again, err := svc.Messages.Send(ctx, p, r)
	if err != nil || !again.Replayed || again.Message.UUID != later.Message.UUID {
		t.Fatalf("the key once more = %+v, %v; want the new message replayed", again.Message, err)
	}
	if _, err := db.IdempotencyRecord(ctx, p.Account.ID, "order-43"); err != nil {
		t.Errorf("another key's record past its window: %v, want it left to the sweep", err)
	}
}

func TestIdempotencyKeyMustBePrintable(t *testing.T) {
	t.Parallel()
	f := setup(t)
	for _, key := range []string{"key-\xff", "a\x00b", "tab\there", "line\nbreak"} {
		r := text("+31612345678", "hi")
		r.IdempotencyKey, r.RequestHash = key, "h"
		_, err := f.svc.Messages.Send(context.Background(), f.p, r)
		wantCode(t, err, carillon.CodeInvalidParameter, "Idempotency-Key")
	}
	if f.disp.count() != 0 {
		t.Fatalf("dispatched %d, want nothing", f.disp.count())
	}
	r := text("+31612345678", "hi")
	r.IdempotencyKey, r.RequestHash = "commande-é 42 👍", "h"
	if _, err := f.svc.Messages.Send(context.Background(), f.p, r); err != nil {
		t.Fatalf("a printable UTF-8 key: %v", err)
	}
}

func TestIdempotencyUnderConcurrency(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var wg sync.WaitGroup
	uuids := make([]string, 20)
	for i := range uuids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := text("+31612345678", "once")
			r.IdempotencyKey, r.RequestHash = "same", "h"
			res, err := f.svc.Messages.Send(context.Background(), f.p, r)
			if err != nil {
				t.Error(err)
				return
			}
			uuids[i] = res.Message.UUID
		}()
	}
	wg.Wait()
	for _, u := range uuids {
		if u != uuids[0] {
			t.Fatalf("concurrent retries made several messages: %v", uuids)
		}
	}
	if f.disp.count() != 1 {
		t.Fatalf("dispatched %d, want 1", f.disp.count())
	}
}

func TestWindowEnforced(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	now := time.Now()
	ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: f.p.Account.ID, Title: "strict", Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Settings: map[string]string{"window": "enforced"}, CreatedAt: now, UpdatedAt: now}
	if err := f.db.CreateChannel(ctx, &ch); err != nil {
		t.Fatal(err)
	}
	r := text("+31612345678", "hi")
	r.ChannelUUID = ch.UUID
	_, err := f.svc.Messages.Send(ctx, f.p, r)
	wantCode(t, err, carillon.CodeOutsideWindow, "to")
	// The refusal wrote nothing: no contact was made.
	if _, err := f.db.ContactByAddress(ctx, ch.ID, "31612345678"); !errors.Is(err, carillon.ErrNotFound) {
		t.Fatalf("a refused send left a contact: %v", err)
	}
	if _, err := f.svc.Messages.SandboxInbound(ctx, f.p, "+31612345678", "hello?", ch.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Messages.Send(ctx, f.p, r); err != nil {
		t.Fatalf("send inside the window: %v", err)
	}
	// The default sandbox channel's window is open.
	if _, err := f.svc.Messages.Send(ctx, f.p, text("+31612345670", "hi")); err != nil {
		t.Fatal(err)
	}
}

func TestReceiptsMoveForwardOnly(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	res, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "hi"))
	if err != nil {
		t.Fatal(err)
	}
	m := res.Message
	// Each report carries its own time, as providers' do: the late
	// delivered below is not a repeat of the first.
	reports := 0
	receipt := func(st carillon.Status) {
		t.Helper()
		reports++
		payload, _ := json.Marshal(map[string]any{"status": string(st), "timestamp": reports})
		found, err := f.svc.Messages.ApplyReceipt(ctx, f.sandbox, carillon.Receipt{ChannelID: f.sandbox.ID, MessageUUID: m.UUID, Status: st, Payload: payload})
		if err != nil || !found {
			t.Fatalf("ApplyReceipt(%s) = %v, %v", st, found, err)
		}
	}
	// delivered before sent was recorded: sent is implied.
	receipt(carillon.StatusDelivered)
	if _, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.1"}}); err != nil {
		t.Fatal(err)
	}
	receipt(carillon.StatusRead)
	receipt(carillon.StatusDelivered) // late
	got, err := f.db.MessageByUUID(ctx, f.p.Account.ID, m.UUID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != carillon.StatusRead || got.ExternalID != "wamid.1" || got.SendState != carillon.SendDone {
		t.Fatalf("message = status %s external %q state %s", got.Status, got.ExternalID, got.SendState)
	}
	if string(got.StatusPayload) != `{"id":"wamid.1","type":"read","payload":{"status":"read","timestamp":2},"destination":"31612345678"}` {
		t.Fatalf("payload = %s", got.StatusPayload)
	}
	// The same report delivered again is stored once.
	dup, _ := json.Marshal(map[string]any{"status": "read", "timestamp": 2})
	if _, err := f.svc.Messages.ApplyReceipt(ctx, f.sandbox, carillon.Receipt{ChannelID: f.sandbox.ID, MessageUUID: m.UUID, Status: carillon.StatusRead, Payload: dup}); err != nil {
		t.Fatal(err)
	}
	seq := historyOf(t, f, got.ID)
	// The send's own answer, recorded after the receipt, is kept unapplied.
	want := []string{"sent", "delivered", "sent(kept)", "read", "delivered(kept)"}
	if len(seq) != len(want) {
		t.Fatalf("history = %v, want %v", seq, want)
	}
	for i := range want {
		if seq[i] != want[i] {
			t.Fatalf("history = %v, want %v", seq, want)
		}
	}
}

// TestReceiptsTogether checks that receipts of one message applied in one
// unit of work (reported together by a callback, or with the send's answer
// by the sandbox with no delay) leave what they would leave applied one by
// one: each report in the history, in order, the last one's payload, a
// repeat stored once.
func TestReceiptsTogether(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	report := func(st carillon.Status, ts int) carillon.Receipt {
		payload, _ := json.Marshal(map[string]any{"status": string(st), "timestamp": ts})
		return carillon.Receipt{ChannelID: f.sandbox.ID, Status: st, Payload: payload}
	}
	cases := []struct {
		name        string
		apply       func(m carillon.Message) error
		wantHistory []string
		wantPayload string
	}{
		{"a callback's receipts", func(m carillon.Message) error {
			if _, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid." + m.UUID}}); err != nil {
				return err
			}
			rs := []carillon.Receipt{report(carillon.StatusDelivered, 1), report(carillon.StatusRead, 2), report(carillon.StatusRead, 2)}
			for i := range rs {
				rs[i].ExternalID = "wamid." + m.UUID
			}
			return f.svc.Messages.ApplyReceipts(ctx, f.sandbox, rs)
		}, []string{"sent", "delivered", "read"}, `"payload":{"status":"read","timestamp":2}`},
		{"receipts before the send's answer", func(m carillon.Message) error {
			rs := []carillon.Receipt{report(carillon.StatusDelivered, 1), report(carillon.StatusDelivered, 1), report(carillon.StatusRead, 2)}
			for i := range rs {
				rs[i].MessageUUID = m.UUID
			}
			return f.svc.Messages.ApplyReceipts(ctx, f.sandbox, rs)
		}, []string{"sent", "delivered", "read"}, `"payload":{"status":"read","timestamp":2}`},
		{"receipts with the send's answer", func(m carillon.Message) error {
			_, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid." + m.UUID,
				Receipts: []carillon.Receipt{report(carillon.StatusDelivered, 1), report(carillon.StatusRead, 2)}}})
			return err
		}, []string{"sent", "delivered", "read"}, `"payload":{"status":"read","timestamp":2}`},
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res, err := f.svc.Messages.Send(ctx, f.p, text(fmt.Sprintf("+3161234560%d", i), "hi"))
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.apply(res.Message); err != nil {
				t.Fatal(err)
			}
			got, err := f.db.MessageByUUID(ctx, f.p.Account.ID, res.Message.UUID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != carillon.StatusRead || got.SendState != carillon.SendDone || !strings.Contains(string(got.StatusPayload), tc.wantPayload) {
				t.Fatalf("message = status %s state %s payload %s", got.Status, got.SendState, got.StatusPayload)
			}
			if seq := historyOf(t, f, got.ID); !slices.Equal(seq, tc.wantHistory) {
				t.Fatalf("history = %v, want %v", seq, tc.wantHistory)
			}
		})
	}
}

// historyOf lists message id's status history, in order, a status not
// applied marked "(kept)".
func historyOf(t *testing.T, f *fixture, id int64) []string {
	t.Helper()
	hist, err := f.db.StatusHistory(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, h := range hist {
		s := string(h.Status)
		if !h.Applied {
			s += "(kept)"
		}
		seq = append(seq, s)
	}
	return seq
}

func TestRecordOutcome(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	send := func() carillon.Message {
		res, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "hi"))
		if err != nil {
			t.Fatal(err)
		}
		return res.Message
	}
	t.Run("transient then retry", func(t *testing.T) {
		m := send()
		m.Attempts = 1
		retryAt := time.Now().Add(time.Second).Truncate(time.Millisecond)
		got, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Err: &carillon.SendError{Code: "130429", Title: "Rate limit hit"}, RetryAt: retryAt})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != carillon.StatusEnqueued || got.SendState != carillon.SendQueued || got.Attempts != 1 || !got.NextAttemptAt.Equal(retryAt) {
			t.Fatalf("after a transient error: %+v", got)
		}
	})
	t.Run("permanent", func(t *testing.T) {
		m := send()
		m.Attempts = 1
		got, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Err: &carillon.SendError{Permanent: true, Code: "131026", Title: "Message undeliverable"}})
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != carillon.StatusFailed || got.SendState != carillon.SendDone {
			t.Fatalf("after a permanent error: %+v", got)
		}
		// Callbell's shape, the reason where its clients read it.
		var payload struct {
			ID, Type, Destination string
			Payload               struct {
				Code   int
				Reason string
			}
		}
		if err := json.Unmarshal(got.StatusPayload, &payload); err != nil || payload.ID != m.UUID || payload.Type != "failed" ||
			payload.Destination != "31612345678" || payload.Payload.Code != 131026 || payload.Payload.Reason != "Message undeliverable" {
			t.Fatalf("payload = %s", got.StatusPayload)
		}
	})
}

func TestDeleteMessage(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	res, err := f.svc.Messages.Send(ctx, f.p, text("+31612345678", "secret plans"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Messages.DeleteMessage(ctx, f.p, res.Message.UUID); err != nil {
		t.Fatal(err)
	}
	got, _ := f.db.MessageByUUID(ctx, f.p.Account.ID, res.Message.UUID)
	if got.Status != carillon.StatusDeleted || got.Content.Text != "" || got.SendState != carillon.SendDone {
		t.Fatalf("after delete: %+v", got)
	}
	wantCode(t, f.svc.Messages.DeleteMessage(ctx, f.p, carillon.NewUUID()), carillon.CodeNotFound, "")
}

func TestReceiveStoresOnce(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	in := carillon.InboundMessage{ChannelID: f.sandbox.ID, From: "31612345678", ProfileName: "Ana", ExternalID: "wamid.in.1",
		Type: "text", Content: carillon.Content{Text: "hi"}}
	a, err := f.svc.Messages.Receive(ctx, f.sandbox, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := f.svc.Messages.Receive(ctx, f.sandbox, in)
	if err != nil {
		t.Fatal(err)
	}
	if a.UUID != b.UUID {
		t.Fatal("the same inbound message was stored twice")
	}
	c, err := f.db.ContactByAddress(ctx, f.sandbox.ID, "31612345678")
	if err != nil || c.Name != "Ana" || !c.InWindow(time.Now()) || !c.ConversationOpen() {
		t.Fatalf("contact = %+v, %v", c, err)
	}
	// A repeat writes nothing: its contact stays as the first delivery
	// left it, and one that names another sender makes no contact.
	time.Sleep(2 * time.Millisecond)
	if b, err = f.svc.Messages.Receive(ctx, f.sandbox, in); err != nil || b.UUID != a.UUID {
		t.Fatalf("a third delivery = %s, %v; want %s", b.UUID, err, a.UUID)
	}
	if again, err := f.db.ContactByAddress(ctx, f.sandbox.ID, "31612345678"); err != nil || !again.UpdatedAt.Equal(c.UpdatedAt) {
		t.Errorf("the contact after a repeat: updated at %v (%v), want %v", again.UpdatedAt, err, c.UpdatedAt)
	}
	other := in
	other.From, other.ProfileName = "31687654321", "Bea"
	if b, err = f.svc.Messages.Receive(ctx, f.sandbox, other); err != nil || b.UUID != a.UUID {
		t.Fatalf("a repeat from another sender = %s, %v; want %s", b.UUID, err, a.UUID)
	}
	if _, err := f.db.ContactByAddress(ctx, f.sandbox.ID, other.From); !errors.Is(err, carillon.ErrNotFound) {
		t.Errorf("a repeat from another sender made a contact (%v)", err)
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	secret, key, err := f.svc.Accounts.CreateKey(ctx, f.p.Account.ID, "ci", "")
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < len(service.KeyPrefix)+32 || key.Hash == secret || key.Prefix != secret[:len(key.Prefix)] {
		t.Fatalf("key = %+v", key)
	}
	if _, err := f.svc.Accounts.Authenticate(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, _, err := f.svc.Accounts.CreateKey(ctx, f.p.Account.ID, "ci", ""); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Accounts.RevokeKey(ctx, f.p.Account.ID, "ci")
	wantCode(t, err, carillon.CodeConflict, "")
	if _, err := f.svc.Accounts.RevokeKey(ctx, f.p.Account.ID, key.Prefix); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Accounts.Authenticate(ctx, secret)
	wantCode(t, err, carillon.CodeUnauthorized, "")
	_, err = f.svc.Accounts.Authenticate(ctx, "crln_nope")
	wantCode(t, err, carillon.CodeUnauthorized, "")
	_, _, err = f.svc.Accounts.CreateKey(ctx, f.p.Account.ID, "for-ana", "ana@example.com")
	wantCode(t, err, carillon.CodeInvalidParameter, "user")
}

func TestConcurrentSendsAllCommit(t *testing.T) {
	t.Parallel()
	f := setup(t)
	var wg sync.WaitGroup
	errs := make(chan error, 300)
	for i := range 300 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := []string{"+31612345678", "+31612345679", "+15550000042"}[i%3]
			_, err := f.svc.Messages.Send(context.Background(), f.p, text(to, "hi"))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := f.db.CountQueued(context.Background())
	if err != nil || n != 300 || f.disp.count() != 300 {
		t.Fatalf("queued %d (%v), dispatched %d; want 300", n, err, f.disp.count())
	}
}

func TestIdempotencyKeyOfADeletedContact(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	r := text("+31612345678", "once")
	r.IdempotencyKey, r.RequestHash = "order-7", "h"
	res, err := f.svc.Messages.Send(ctx, f.p, r)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.db.DeleteContact(ctx, f.p.Account.ID, res.Contact.ID); err != nil {
		t.Fatal(err)
	}
	_, err = f.svc.Messages.Send(ctx, f.p, r)
	wantCode(t, err, carillon.CodeConflict, "Idempotency-Key")
}

// The address the provider reports for a recipient (WhatsApp's wa_id)
// becomes the contact's, unless another contact of the channel has it.
func TestProviderAddressBecomesTheContacts(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	send := func(to string) carillon.Message {
		t.Helper()
		res, err := f.svc.Messages.Send(ctx, f.p, text(to, "hi"))
		if err != nil {
			t.Fatal(err)
		}
		return res.Message
	}
	address := func(m carillon.Message) string {
		t.Helper()
		c, err := f.db.ContactByID(ctx, f.p.Account.ID, m.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		return c.Address
	}
	m := send("+5511912345678")
	if _, err := f.svc.Messages.RecordOutcome(ctx, m, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.a", Address: "551112345678"}}); err != nil {
		t.Fatal(err)
	}
	if got := address(m); got != "551112345678" {
		t.Errorf("contact address = %s, want the provider's 551112345678", got)
	}
	// Another contact has the reported address already: nothing moves.
	other := send("+5511987654321")
	taken := send("+551132654321")
	if _, err := f.svc.Messages.RecordOutcome(ctx, other, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.b", Address: address(taken)}}); err != nil {
		t.Fatal(err)
	}
	if got := address(other); got != "5511987654321" {
		t.Errorf("contact address = %s, want it unchanged", got)
	}
}

// failOnce is a store whose next transaction that deletes a contact or
// creates a message runs its work and then fails with err, as a
// transaction that lost a race to another writer does (a unique key taken
// first, ErrConflict; a deadlock PostgreSQL ended by aborting it,
// ErrContention): the committer rolls it back and may run the unit again.
// Other transactions pass: the record of an API key's use, made in the
// background after Authenticate, may commit at any time.
type failOnce struct {
	carillon.Store
	err   error
	armed atomic.Bool
}

func (s *failOnce) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	return s.Store.InTx(ctx, func(q carillon.Queries) error {
		w := &watchedWrites{Queries: q}
		if err := fn(w); err != nil || !w.wrote || !s.armed.CompareAndSwap(true, false) {
			return err
		}
		return s.err
	})
}

// watchedWrites notes whether a transaction's work deleted a contact or
// created a message.
type watchedWrites struct {
	carillon.Queries
	wrote bool
}

func (w *watchedWrites) DeleteContact(ctx context.Context, accountID, id int64) error {
	w.wrote = true
	return w.Queries.DeleteContact(ctx, accountID, id)
}

func (w *watchedWrites) CreateMessage(ctx context.Context, m *carillon.Message) error {
	w.wrote = true
	return w.Queries.CreateMessage(ctx, m)
}

// TestUnitRunAgainAfterLostRace: a contact's deletion whose transaction
// lost a race to another writer is run again and done, its caller never
// seeing the race; one that failed otherwise is not, and its caller gets
// the error. (The deadlock of a deletion and a receipt on PostgreSQL is
// reproduced in the store's TestPostgresDeadlockIsContention.)
func TestUnitRunAgainAfterLostRace(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		err  error
		runs bool // the deletion is run again and succeeds
	}{
		{"unique key taken", fmt.Errorf("a unique key taken by another writer: %w", carillon.ErrConflict), true},
		{"deadlock", fmt.Errorf("ERROR: deadlock detected (SQLSTATE 40P01): %w", carillon.ErrContention), true},
		{"another failure", errors.New("disk I/O error"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			db := testrig.SQLite(t)
			st := &failOnce{Store: db, err: tc.err}
			svc, p, c := quietServiceWithContact(t, st)
			st.armed.Store(true)
			err := svc.Contacts.DeleteContact(ctx, p, c.UUID)
			if st.armed.Load() {
				t.Fatal("the deletion's transaction was not made to fail once")
			}
			_, lookup := db.ContactByUUID(ctx, p.Account.ID, c.UUID)
			if tc.runs {
				if err != nil {
					t.Errorf("DeleteContact = %v, want it run again and done", err)
				}
				if !errors.Is(lookup, carillon.ErrNotFound) {
					t.Errorf("the contact after its deletion: %v, want it gone", lookup)
				}
				return
			}
			if err == nil {
				t.Error("DeleteContact = nil, want the transaction's failure")
			}
			if lookup != nil {
				t.Errorf("the contact after a failed deletion: %v, want it kept", lookup)
			}
		})
	}
}

// quietServiceWithContact starts a service on st with the default account
// and one contact, Kim. No provider, and no key authenticated (whose use
// is recorded in the background, and may share a batch): nothing but the
// test's calls runs a transaction.
func quietServiceWithContact(t *testing.T, st carillon.Store) (*service.Service, service.Principal, service.ContactView) {
	t.Helper()
	ctx := context.Background()
	svc := testrig.Service(t, service.Options{Store: st, InstanceID: "test-instance"})
	acct, _, _, err := svc.Accounts.SetupAccount(ctx, carillon.DefaultAccountName, false)
	if err != nil {
		t.Fatal(err)
	}
	p := service.Principal{Account: acct}
	c, err := svc.Contacts.CreateContact(ctx, p, service.ContactInput{Identifier: "+31 6 1234 5678", Source: "whatsapp", Name: "Kim"})
	if err != nil {
		t.Fatal(err)
	}
	return svc, p, c
}

// partsStore notes, for each transaction, the deletions a contact's
// deletion made in it, and calls afterFirst once the first is committed.
type partsStore struct {
	carillon.Store
	afterFirst func()
	mu         sync.Mutex
	calls      []string // one entry a transaction that deleted something
}

func (s *partsStore) InTx(ctx context.Context, fn func(q carillon.Queries) error) error {
	w := &partsWrites{}
	err := s.Store.InTx(ctx, func(q carillon.Queries) error {
		w.Queries, w.calls = q, nil
		return fn(w)
	})
	if err == nil && len(w.calls) > 0 {
		s.mu.Lock()
		s.calls = append(s.calls, strings.Join(w.calls, ", "))
		first := len(s.calls) == 1
		s.mu.Unlock()
		if first && s.afterFirst != nil {
			s.afterFirst()
		}
	}
	return err
}

type partsWrites struct {
	carillon.Queries
	calls []string
}

func (w *partsWrites) DeleteOldestContactMessages(ctx context.Context, accountID, id int64, limit int) (int, error) {
	n, err := w.Queries.DeleteOldestContactMessages(ctx, accountID, id, limit)
	w.calls = append(w.calls, fmt.Sprintf("%d of %d messages", n, limit))
	return n, err
}

func (w *partsWrites) DeleteContact(ctx context.Context, accountID, id int64) error {
	w.calls = append(w.calls, "the contact")
	return w.Queries.DeleteContact(ctx, accountID, id)
}

// storeHistory stores n inbound messages of the contact, straight into the
// store, and returns the contact.
func storeHistory(t *testing.T, db carillon.Store, accountID int64, uuid string, n int) carillon.Contact {
	t.Helper()
	ctx := context.Background()
	c, err := db.ContactByUUID(ctx, accountID, uuid)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		m := carillon.Message{UUID: carillon.NewUUID(), AccountID: accountID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprint("hello ", i)},
			Status: carillon.StatusReceived, CreatedAt: time.UnixMilli(int64(1000 + i)), UpdatedAt: time.UnixMilli(int64(1000 + i))}
		if err := db.CreateMessage(ctx, &m); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// TestContactDeletedAPartAtATime: a contact's deletion takes its history
// 50 messages a transaction, oldest first, then the contact with the rest
// in a transaction of its own; it goes on when its caller stops waiting
// after the first part.
func TestContactDeletedAPartAtATime(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testrig.SQLite(t)
	st := &partsStore{Store: db}
	svc, p, v := quietServiceWithContact(t, st)
	c := storeHistory(t, db, p.Account.ID, v.UUID, 120)
	waiting, stopWaiting := context.WithCancel(ctx)
	st.afterFirst = stopWaiting
	if err := svc.Contacts.DeleteContact(waiting, p, v.UUID); err != nil {
		t.Fatalf("DeleteContact of a caller who stopped waiting after its first part: %v", err)
	}
	want := []string{"50 of 50 messages", "50 of 50 messages", "20 of 50 messages", "the contact"}
	if !slices.Equal(st.calls, want) {
		t.Errorf("the deletion's transactions: %q, want %q", st.calls, want)
	}
	if _, err := db.ContactByUUID(ctx, p.Account.ID, v.UUID); !errors.Is(err, carillon.ErrNotFound) {
		t.Errorf("the contact after its deletion: %v, want it gone", err)
	}
	if msgs, n, err := db.ContactMessages(ctx, p.Account.ID, c.ID, carillon.Page{Number: 1, Size: 10}); err != nil || len(msgs) != 0 || n != 0 {
		t.Errorf("the contact's messages after its deletion: %d (count %d, %v), want none", len(msgs), n, err)
	}
}

// TestInboundCountedOncePerStoredMessage: a unit of work the committer runs
// twice (its first transaction rolled back) counts its message once, and a
// repeat of a stored message counts nothing.
func TestInboundCountedOncePerStoredMessage(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := testrig.SQLite(t)
	st := &failOnce{Store: db, err: fmt.Errorf("a unique key taken by another writer: %w", carillon.ErrConflict)}
	metrics := telemetry.New()
	svc := testrig.Service(t, service.Options{Store: st, Metrics: metrics, InstanceID: "test-instance"})
	acct, _, _, err := svc.Accounts.SetupAccount(ctx, carillon.DefaultAccountName, false)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := db.MainChannel(ctx, acct.ID, carillon.WhatsApp)
	if err != nil {
		t.Fatal(err)
	}
	in := carillon.InboundMessage{ChannelID: ch.ID, From: "31612345678", ExternalID: "wamid.in.once",
		Type: "text", Content: carillon.Content{Text: "hi"}}

	st.armed.Store(true)
	if _, err := svc.Messages.Receive(ctx, ch, in); err != nil {
		t.Fatal(err)
	}
	if st.armed.Load() {
		t.Fatal("the receive's transaction was not made to fail once")
	}
	if _, err := svc.Messages.Receive(ctx, ch, in); err != nil {
		t.Fatal(err)
	}
	const want = `carillon_inbound_messages_total{channel_type="whatsapp"} 1` + "\n"
	if got := metricsText(metrics); !strings.Contains(got, want) {
		t.Errorf("metrics do not count the message once: want the line %q in\n%s", want, got)
	}
}

// metricsText is what m's /metrics answers.
func metricsText(m *telemetry.Metrics) string {
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	return rec.Body.String()
}

// A contact deleted while its message was being sent takes the message with
// it: the send's outcome, and a receipt the network reports for it, find
// nothing to record and are not errors (the pipeline would otherwise keep
// the message to send again, and log a failure for what a person did).
func TestOutcomeOfAMessageDeletedWithItsContact(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	res, err := f.svc.Messages.Send(ctx, f.p, text("+31 6 1234 5678", "hello"))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.svc.Contacts.DeleteContact(ctx, f.p, res.Contact.UUID); err != nil {
		t.Fatal(err)
	}
	if _, err := f.svc.Messages.RecordOutcome(ctx, res.Message, service.Outcome{Result: carillon.SendResult{ExternalID: "wamid.gone"}}); err != nil {
		t.Errorf("outcome of a deleted message: %v", err)
	}
	if _, err := f.db.MessageByUUID(ctx, f.p.Account.ID, res.Message.UUID); err != carillon.ErrNotFound {
		t.Errorf("the outcome brought the message back: %v", err)
	}
	applied, err := f.svc.Messages.ApplyReceipt(ctx, f.sandbox, carillon.Receipt{MessageUUID: res.Message.UUID, Status: carillon.StatusDelivered})
	if err != nil || applied {
		t.Errorf("receipt of a deleted message: applied %v, %v", applied, err)
	}
}
