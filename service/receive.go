package service

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/phone"
	"github.com/carillon/carillon/wire"
)

// Receive stores a customer's message: it creates the contact when new,
// opens the conversation, and opens the 24-hour window. A message the
// provider delivers twice (same external id) is stored once.
func (s *Messages) Receive(ctx context.Context, ch carillon.Channel, in carillon.InboundMessage) (carillon.Message, error) {
	if in.Echo {
		return s.receiveEcho(ctx, ch, in)
	}
	var out carillon.Message
	// stored is the message the committed run of the unit stored, nil for
	// a repeat: the committer may run a unit more than once (after a batch
	// aborts), so it is counted after the commit, not inside the unit; and
	// the store may give it its id only then (CreateMessageOnceLater).
	var stored *carillon.Message
	reads := carillon.ContactRef{ChannelID: ch.ID, Address: in.From}
	err := s.commit.doReading(ctx, contactKey(ch.ID, in.From+"|"+in.BSUID), reads, func(ctx context.Context, q carillon.Queries) error {
		stored = nil
		now := s.clock.Now()
		at := receivedAt(in, now)
		contact, found, err := findContact(ctx, q, ch.ID, in.From, in.BSUID)
		if err != nil {
			return err
		}
		m := carillon.Message{
			UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, ContactID: contact.ID,
			Direction: carillon.Inbound, Type: in.Type, Content: in.Content, Status: carillon.StatusReceived,
			ExternalID: in.ExternalID, CreatedAt: at, UpdatedAt: now,
		}
		if m.Type == "" {
			m.Type = carillon.TypeText
		}
		var before *carillon.Contact
		if found {
			// The message first: its INSERT tells a repeat (the external
			// id's unique index), before the contact is written. One
			// statement on the writer where a read before it made two.
			// In a batch of several units, the store may send it with
			// the next statement, a repeat then failing the batch, whose
			// units run again alone, where the INSERT tells it at once.
			create := q.CreateMessageOnce
			if queuesInBatch(ctx) {
				create = q.CreateMessageOnceLater
			}
			created, err := create(ctx, &m)
			if err != nil {
				return err
			}
			if !created {
				out, err = q.MessageByExternalID(ctx, ch.ID, in.ExternalID)
				return err
			}
			prev := contact
			before = &prev
		} else {
			// A new contact: a repeat is rare (its first delivery made the
			// contact), and is told before the contact is made.
			if first, repeated, err := storedAlready(ctx, q, ch, in); err != nil || repeated {
				out = first
				return err
			}
			contact = newContact(ch.AccountID, ch, in.From, in.BSUID, now)
			contact.Name = in.ProfileName
		}
		if contact.Name == "" {
			contact.Name = in.ProfileName
		}
		if in.BSUID != "" && contact.BSUID == "" {
			contact.BSUID = in.BSUID
		}
		if at.After(contact.LastInboundAt) {
			contact.LastInboundAt = at
		}
		lastMessage(&contact, carillon.Inbound, at)
		openConversation(&contact, now)
		contact.UpdatedAt = now
		if found {
			err = q.UpdateContactFrom(ctx, *before, &contact)
		} else if err = q.CreateContact(ctx, &contact); err == nil {
			m.ContactID = contact.ID
			err = q.CreateMessage(ctx, &m)
		}
		if err != nil {
			return err
		}
		if err := s.contactEvents(ctx, q, ch, before, contact, false, 0); err != nil {
			return err
		}
		if err := s.messageCreated(ctx, q, ch, contact, m); err != nil {
			return err
		}
		stored = &m
		return nil
	})
	if err != nil {
		return out, s.internal(ctx, "receive", err)
	}
	if stored != nil {
		out = *stored
		s.metrics.InboundMessages.WithLabelValues(string(ch.Type)).Inc()
	}
	return out, nil
}

// echoLookback is how many of a contact's latest messages an echo is
// compared with, to recognise carillon's own send whose answer is not
// recorded yet.
const echoLookback = 20

// receiveEcho stores a message the business sent from elsewhere, which the
// network reported back (Meta's message echoes): an outgoing message, sent,
// to the customer in.From. It opens no customer service window. The echo
// of carillon's own send is not stored again: it names the message's uuid
// (EchoOf), or its external id is the one the send recorded, or the send
// is still in flight with the same type and text.
func (s *Messages) receiveEcho(ctx context.Context, ch carillon.Channel, in carillon.InboundMessage) (carillon.Message, error) {
	if in.EchoOf != "" {
		if m, err := s.store.MessageByUUID(ctx, ch.AccountID, in.EchoOf); err == nil && m.ChannelID == ch.ID {
			return m, nil
		}
	}
	var out carillon.Message
	err := s.commit.do(ctx, contactKey(ch.ID, in.From+"|"+in.BSUID), func(ctx context.Context, q carillon.Queries) error {
		if m, repeated, err := storedAlready(ctx, q, ch, in); err != nil || repeated {
			out = m
			return err
		}
		now := s.clock.Now()
		at := receivedAt(in, now)
		contact, found, err := findContact(ctx, q, ch.ID, in.From, in.BSUID)
		if err != nil {
			return err
		}
		var before *carillon.Contact
		if found {
			recent, err := q.ContactMessagesBefore(ctx, ch.AccountID, contact.ID, 0, echoLookback)
			if err != nil {
				return err
			}
			for _, m := range recent {
				if m.Direction == carillon.Outbound && m.SendState == carillon.SendQueued && m.Type == in.Type && m.Content.Text == in.Content.Text {
					out = m
					return nil
				}
			}
			prev := contact
			before = &prev
		} else {
			contact = newContact(ch.AccountID, ch, in.From, in.BSUID, now)
		}
		if !contact.ConversationOpen() {
			openConversation(&contact, now)
		}
		lastMessage(&contact, carillon.Outbound, at)
		contact.UpdatedAt = now
		if found {
			err = q.UpdateContactFrom(ctx, *before, &contact)
		} else {
			err = q.CreateContact(ctx, &contact)
		}
		if err != nil {
			return err
		}
		m := carillon.Message{
			UUID: carillon.NewUUID(), AccountID: ch.AccountID, ChannelID: ch.ID, ContactID: contact.ID,
			Direction: carillon.Outbound, Type: in.Type, Content: in.Content, Status: carillon.StatusSent,
			ExternalID: in.ExternalID, CreatedAt: at, UpdatedAt: now, SendState: carillon.SendDone,
		}
		if m.Type == "" {
			m.Type = carillon.TypeText
		}
		if err := q.CreateMessage(ctx, &m); err != nil {
			return err
		}
		if err := q.AddStatusChange(ctx, carillon.StatusChange{MessageID: m.ID, Status: carillon.StatusSent, Applied: true, CreatedAt: now}); err != nil {
			return err
		}
		if err := s.contactEvents(ctx, q, ch, before, contact, false, 0); err != nil {
			return err
		}
		if err := s.messageCreated(ctx, q, ch, contact, m); err != nil {
			return err
		}
		out = m
		return nil
	})
	return out, s.internal(ctx, "receive echo", err)
}

// SandboxInbound simulates a customer writing to a sandbox channel (the
// account's main WhatsApp channel unless channelUUID names another).
func (s *Messages) SandboxInbound(ctx context.Context, p Principal, from, text, channelUUID string) (carillon.Message, error) {
	var ch carillon.Channel
	var err error
	if channelUUID == "" {
		ch, err = s.mainChannel(ctx, p, carillon.WhatsApp)
		if errors.Is(err, carillon.ErrNotFound) {
			return carillon.Message{}, carillon.Invalid("channel_uuid", "the account has no main WhatsApp channel: name a sandbox channel")
		}
	} else {
		ch, err = s.channelByUUID(ctx, p, channelUUID)
		if errors.Is(err, carillon.ErrNotFound) {
			return carillon.Message{}, carillon.Invalid("channel_uuid", "no channel %q in this account", channelUUID)
		}
	}
	if err != nil {
		return carillon.Message{}, s.internal(ctx, "sandbox inbound", err)
	}
	if ch.Provider != carillon.ProviderSandbox {
		return carillon.Message{}, carillon.Invalid("channel_uuid", "channel %q is not a sandbox channel: only the sandbox simulates customers", ch.UUID)
	}
	if strings.TrimSpace(from) == "" {
		return carillon.Message{}, carillon.Invalid("from", "from is required: the customer's number")
	}
	if strings.TrimSpace(text) == "" {
		return carillon.Message{}, carillon.Invalid("text", "text is required")
	}
	if utf8.RuneCountInString(text) > maxTextLength {
		return carillon.Message{}, carillon.Invalid("text", "text is longer than %d characters", maxTextLength)
	}
	digits, err := phone.Normalize(from, true)
	if err != nil {
		return carillon.Message{}, carillon.Invalid("from", "%q is not a valid phone number: write it in international form", from)
	}
	return s.Receive(ctx, ch, carillon.InboundMessage{
		ChannelID: ch.ID, From: digits, ExternalID: "sandbox-in-" + carillon.NewUUID(),
		Type: carillon.TypeText, Content: carillon.Content{Text: text}, At: s.clock.Now(),
	})
}

// ApplyReceipt applies a status a provider reported, on channel ch, for a
// message it accepted. Statuses only move forward; an out-of-order report is
// kept in the history only. A receipt for an unknown message is ignored
// (reported as false).
func (s *Messages) ApplyReceipt(ctx context.Context, ch carillon.Channel, r carillon.Receipt) (bool, error) {
	if coversSeveral(r) {
		return s.applyThrough(ctx, ch, r)
	}
	return s.applyToMessage(ctx, ch, []carillon.Receipt{r})
}

// ApplyReceipts applies receipts reported together on channel ch, in
// order, each as ApplyReceipt does. The receipts of one message that follow
// each other (a callback's statuses of one message, sent and delivered
// say) are applied in one unit of work: the message is read and written
// once for them all, with each report in its history and its events, as if
// applied one by one.
func (s *Messages) ApplyReceipts(ctx context.Context, ch carillon.Channel, rs []carillon.Receipt) error {
	for len(rs) > 0 {
		n := 1
		if coversSeveral(rs[0]) {
			if _, err := s.applyThrough(ctx, ch, rs[0]); err != nil {
				return err
			}
			rs = rs[1:]
			continue
		}
		for n < len(rs) && !coversSeveral(rs[n]) && rs[n].ExternalID == rs[0].ExternalID && rs[n].MessageUUID == rs[0].MessageUUID {
			n++
		}
		if _, err := s.applyToMessage(ctx, ch, rs[:n]); err != nil {
			return err
		}
		rs = rs[n:]
	}
	return nil
}

// receiptReport is what a receipt reports, as its status payload shows it.
func receiptReport(r carillon.Receipt) wire.StatusReport {
	return wire.StatusReport{Status: r.Status, ExternalID: r.ExternalID, Report: r.Payload, Code: r.Code, Reason: r.Reason,
		Corrected: r.CorrectedAddress, At: r.At}
}

// coversSeveral reports whether a receipt covers several messages: a
// watermark, or a message and the earlier ones (applyThrough).
func coversSeveral(r carillon.Receipt) bool {
	return r.Recipient != "" && (!r.Through.IsZero() || r.AndEarlier)
}

// applyToMessage applies receipts that name the same message (the first
// one's ids say which), in order, in one unit of work.
func (s *Messages) applyToMessage(ctx context.Context, ch carillon.Channel, rs []carillon.Receipt) (bool, error) {
	r := rs[0]
	readWith := func(ctx context.Context, q carillon.Queries, byProviderID func(ctx context.Context, channelID int64, externalID string) (carillon.Message, error)) (carillon.Message, error) {
		// The provider's id first: a uuid echoed by the network may have
		// been set by another tool sending on the same number.
		m, err := carillon.Message{}, carillon.ErrNotFound
		if r.ExternalID != "" {
			m, err = byProviderID(ctx, ch.ID, r.ExternalID)
		}
		if errors.Is(err, carillon.ErrNotFound) && r.MessageUUID != "" {
			m, err = q.MessageByUUID(ctx, ch.AccountID, r.MessageUUID)
		}
		if err == nil && (m.ChannelID != ch.ID || m.Direction != carillon.Outbound) {
			return m, carillon.ErrNotFound
		}
		return m, err
	}
	read := func(ctx context.Context, q carillon.Queries) (carillon.Message, error) {
		return readWith(ctx, q, q.MessageByExternalID)
	}
	m, err := readWith(ctx, s.store, s.receiptMessage)
	if errors.Is(err, carillon.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, s.internal(ctx, "apply receipt", err)
	}
	// A report the network delivers twice is stored once. Only a report
	// that would not move the status can be a repeat (the first one would
	// have moved it already), so the history is read for those alone;
	// the reports kept before it in rs count as history too.
	var history []carillon.StatusChange // read once, when a report may be a repeat
	var contact *carillon.Contact
	reports := make([]wire.StatusReport, 0, len(rs)) // the reports of rs kept so far
	status := m.Status
	for _, r := range rs {
		report := receiptReport(r)
		moves := len(carillon.Advance(status, r.Status)) > 0
		if !moves && len(r.Payload) > 0 {
			if contact == nil {
				if history, err = s.store.StatusHistory(ctx, m.ID); err == nil {
					var c carillon.Contact
					c, err = s.store.ContactByID(ctx, m.AccountID, m.ContactID)
					contact = &c
				}
				if err != nil {
					return false, s.internal(ctx, "apply receipt", err)
				}
			}
			if repeatedReport(m, *contact, history, reports, report) {
				continue
			}
		}
		if moves {
			status = r.Status
		}
		reports = append(reports, report)
	}
	if len(reports) == 0 {
		return true, nil
	}
	_, err = s.changeMessage(ctx, m, read, func(m *carillon.Message, c carillon.Contact, now time.Time) []carillon.StatusChange {
		var changes []carillon.StatusChange
		for _, report := range reports {
			changes = append(changes, advance(m, report.Status, wire.NewStatusPayload(*m, c, report), now)...)
		}
		return changes
	})
	if errors.Is(err, carillon.ErrNotFound) {
		// Deleted, with its contact, since it was read: a receipt for a
		// message carillon no longer has is ignored, as one for a message
		// it never had.
		return false, nil
	}
	return true, s.internal(ctx, "apply receipt", err)
}

// providerID names a message by its channel and its provider's id.
type providerID struct {
	channelID  int64
	externalID string
}

// foundMessage is a message read by its provider's id, or that the
// channel has none with it.
type foundMessage struct {
	message carillon.Message
	found   bool
}

// receiptMessage reads the message of a receipt by its provider's id, off
// the writer. On PostgreSQL the receipts that come while one is read wait
// for it and are then read together (receiptMessages), as the reads before
// send attempts are: a statement less for each, where every one is a round
// trip and a backend's work (docs/benchmarks.md). On SQLite, where a read
// is no round trip, each receipt reads its own, as the callbacks' channels
// are read.
func (s *core) receiptMessage(ctx context.Context, channelID int64, externalID string) (carillon.Message, error) {
	if !s.store.Shared() {
		return s.store.MessageByExternalID(ctx, channelID, externalID)
	}
	read, err := s.receiptMessages.Do(ctx, providerID{channelID, externalID})
	if err == nil && !read.found {
		err = carillon.ErrNotFound
	}
	return read.message, err
}

// messagesByProviderID reads the messages of receipts gathered while a
// read was in flight, in one statement a channel: they are mostly those
// of one channel, a busy number.
func (s *core) messagesByProviderID(ctx context.Context, ids []providerID) ([]foundMessage, error) {
	ofChannel := make(map[int64][]string, 1)
	for _, id := range ids {
		ofChannel[id.channelID] = append(ofChannel[id.channelID], id.externalID)
	}
	found := make(map[providerID]carillon.Message, len(ids))
	for channelID, externalIDs := range ofChannel {
		ms, err := s.store.MessagesByExternalID(ctx, channelID, externalIDs)
		if err != nil {
			return nil, err
		}
		for _, m := range ms {
			found[providerID{channelID, m.ExternalID}] = m
		}
	}
	out := make([]foundMessage, len(ids))
	for i, id := range ids {
		out[i].message, out[i].found = found[id]
	}
	return out, nil
}

// maxThrough bounds how many of a contact's messages one receipt that
// covers several walks through.
const maxThrough = 10000

// applyThrough applies a receipt that covers several messages (Meta's
// delivery and read watermarks, Instagram's read of a message and the
// earlier ones) to each outgoing message of the channel to its recipient
// that was accepted by the network (it has the network's id) at or before
// the watermark, or at or before the message it names. The walk goes from
// the newest back and ends at a message read already, or at the receipt's
// status already: an earlier receipt covered every message before it.
func (s *Messages) applyThrough(ctx context.Context, ch carillon.Channel, r carillon.Receipt) (bool, error) {
	contact, err := s.store.ContactByAddress(ctx, ch.ID, r.Recipient)
	if errors.Is(err, carillon.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, s.internal(ctx, "apply receipt", err)
	}
	through, before := r.Through, int64(0)
	if r.AndEarlier {
		m, err := s.store.MessageByExternalID(ctx, ch.ID, r.ExternalID)
		if errors.Is(err, carillon.ErrNotFound) || (err == nil && m.ContactID != contact.ID) {
			return false, nil
		}
		if err != nil {
			return false, s.internal(ctx, "apply receipt", err)
		}
		through, before = m.CreatedAt, m.ID+1
	}
	applied := false
	for walked := 0; walked < maxThrough; {
		page, err := s.store.ContactMessagesBefore(ctx, ch.AccountID, contact.ID, before, 100)
		if err != nil {
			return applied, s.internal(ctx, "apply receipt", err)
		}
		if len(page) == 0 {
			break
		}
		for _, m := range page {
			walked++
			before = m.ID
			if m.Direction != carillon.Outbound || m.ChannelID != ch.ID || m.ExternalID == "" || m.CreatedAt.After(through) {
				continue
			}
			// A message at this status already was covered by an earlier
			// receipt, and so was every message before it: without this
			// stop, each delivery watermark of a thread never read would
			// walk its whole history again.
			if m.Status == carillon.StatusRead || m.Status == r.Status {
				return applied, nil
			}
			one := r
			one.ExternalID, one.MessageUUID, one.Recipient, one.Through, one.AndEarlier = m.ExternalID, "", "", time.Time{}, false
			ok, err := s.ApplyReceipt(ctx, ch, one)
			if err != nil {
				return applied, err
			}
			applied = applied || ok
		}
	}
	return applied, nil
}

// repeatedReport reports whether message m's status history as stored, or
// the reports kept before it in the same unit, hold report already: the
// same status with the payload it would be stored with (c is m's
// contact).
func repeatedReport(m carillon.Message, c carillon.Contact, history []carillon.StatusChange, kept []wire.StatusReport, report wire.StatusReport) bool {
	payload := wire.NewStatusPayload(m, c, report)
	for _, h := range history {
		if h.Status == report.Status && bytes.Equal(h.Payload, payload) {
			return true
		}
	}
	for _, k := range kept {
		if k.Status == report.Status && bytes.Equal(wire.NewStatusPayload(m, c, k), payload) {
			return true
		}
	}
	return false
}

// Outcome is the result of one send attempt, as the pipeline reports it.
type Outcome struct {
	Result carillon.SendResult
	// Err is nil when the provider accepted the message.
	Err *carillon.SendError
	// RetryAt is when the next attempt is due; zero when there is none
	// (accepted, refused for good, or out of attempts).
	RetryAt time.Time
}

// RecordOutcome records a send attempt: "sent" with the provider's id when
// accepted, "failed" with the provider's reason when refused for good or
// out of attempts, else the next attempt's time. It returns the message as
// stored.
//
// msg is the message as the pipeline read it before the attempt: if it
// changed since (a receipt, a deletion), it is read again.
func (s *Messages) RecordOutcome(ctx context.Context, msg carillon.Message, o Outcome) (carillon.Message, error) {
	o = cleanOutcome(o)
	var address string // the contact's, as the unit read it
	out, err := s.changeMessage(ctx, msg, byID(msg), func(m *carillon.Message, c carillon.Contact, now time.Time) []carillon.StatusChange {
		address = c.Address
		m.Attempts, m.UpdatedAt = msg.Attempts, now
		switch {
		case o.Err == nil:
			m.SendState, m.NextAttemptAt, m.LastError = carillon.SendDone, time.Time{}, ""
			if o.Result.ExternalID != "" {
				m.ExternalID = o.Result.ExternalID
			}
			// When a receipt came first, "sent" is recorded already: the
			// provider's answer is kept in the history all the same.
			changes := advance(m, carillon.StatusSent, wire.NewStatusPayload(*m, c, wire.StatusReport{
				Status: carillon.StatusSent, ExternalID: o.Result.ExternalID, Report: o.Result.Payload, At: now,
			}), now)
			for _, r := range o.Result.Receipts {
				changes = append(changes, advance(m, r.Status, wire.NewStatusPayload(*m, c, receiptReport(r)), now)...)
			}
			return changes
		case o.RetryAt.IsZero():
			m.SendState, m.NextAttemptAt, m.LastError = carillon.SendDone, time.Time{}, o.Err.Error()
			return advance(m, carillon.StatusFailed, wire.NewStatusPayload(*m, c, wire.StatusReport{
				Status: carillon.StatusFailed, Report: validJSON(o.Err.Payload), Code: o.Err.Code, Reason: o.Err.Title, At: now,
			}), now)
		default:
			m.NextAttemptAt, m.LastError = o.RetryAt, o.Err.Error()
		}
		return nil
	})
	// Most providers report the address they were given: the contact the
	// unit read tells, without reading it again, whether there is one to
	// adopt (adoptAddress checks again in a unit of its own).
	if err == nil && o.Err == nil && o.Result.Address != "" && o.Result.Address != address {
		s.adoptAddress(ctx, out, o.Result.Address)
	}
	if errors.Is(err, carillon.ErrNotFound) {
		// Deleted, with its contact, while it was being sent: there is no
		// message left to record the outcome of, and nothing to send again.
		return msg, nil
	}
	return out, s.internal(ctx, "record send outcome", err)
}

// adoptAddress makes addr, the address the provider reports for the
// recipient of message m (WhatsApp's wa_id), the contact's address: the
// network's canonical form of the number it was given. When another contact
// of the channel has that address already, both are left as they are.
func (s *Messages) adoptAddress(ctx context.Context, m carillon.Message, addr string) {
	c, err := s.store.ContactByID(ctx, m.AccountID, m.ContactID)
	if err != nil || c.Address == addr {
		return
	}
	err = s.commit.do(ctx, contactKey(c.ChannelID, c.Address+"|"+c.BSUID), func(ctx context.Context, q carillon.Queries) error {
		cur, err := q.ContactByID(ctx, m.AccountID, m.ContactID)
		if err != nil || cur.Address == addr {
			return err
		}
		if _, err := q.ContactByAddress(ctx, cur.ChannelID, addr); !errors.Is(err, carillon.ErrNotFound) {
			return err
		}
		prev := cur
		cur.Address, cur.UpdatedAt = addr, s.clock.Now()
		if err := q.UpdateContactFrom(ctx, prev, &cur); err != nil {
			return err
		}
		return s.contactEvents(ctx, q, carillon.Channel{}, &prev, cur, false, 0)
	})
	if err != nil && !errors.Is(err, carillon.ErrNotFound) {
		s.log.WarnContext(ctx, "the provider's address for a contact was not kept", "contact", c.UUID, "error", err)
	}
}

// validJSON is p when it is JSON, else nil: a provider's answer kept in a
// status payload must be JSON.
func validJSON(p json.RawMessage) json.RawMessage {
	if len(p) > 0 && json.Valid(p) {
		return p
	}
	return nil
}

// storedAlready finds the message the network already delivered under
// in's id: a callback repeated is stored once.
func storedAlready(ctx context.Context, q carillon.Queries, ch carillon.Channel, in carillon.InboundMessage) (carillon.Message, bool, error) {
	if in.ExternalID == "" {
		return carillon.Message{}, false, nil
	}
	m, err := q.MessageByExternalID(ctx, ch.ID, in.ExternalID)
	if errors.Is(err, carillon.ErrNotFound) {
		return carillon.Message{}, false, nil
	}
	return m, err == nil, err
}

// receivedAt is when the network says in was sent, never later than now.
func receivedAt(in carillon.InboundMessage, now time.Time) time.Time {
	if in.At.IsZero() || in.At.After(now) {
		return now
	}
	return in.At
}
