package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// MessageStatus returns an account's message by uuid.
func (s *Messages) MessageStatus(ctx context.Context, p Principal, uuid string) (carillon.Message, error) {
	m, err := s.store.MessageByUUID(ctx, p.Account.ID, uuid)
	if errors.Is(err, carillon.ErrNotFound) {
		return m, carillon.NotFound("message " + uuid)
	}
	return m, s.internal(ctx, "message status", err)
}

// DeleteMessage removes a message's text and attachments in carillon (the
// recipient's copy is untouched). A message that has not left yet is not
// sent. id is the message's uuid or its provider's external id.
func (s *Messages) DeleteMessage(ctx context.Context, p Principal, id string) error {
	m, err := s.store.MessageByUUID(ctx, p.Account.ID, id)
	if errors.Is(err, carillon.ErrNotFound) {
		m, err = s.messageByExternalID(ctx, p.Account.ID, id)
	}
	if errors.Is(err, carillon.ErrNotFound) {
		return carillon.NotFound("message " + id)
	}
	if err != nil {
		return s.internal(ctx, "delete message", err)
	}
	_, err = s.writeMessage(ctx, m, byID(m), eraseContent, func(m *carillon.Message, _ carillon.Contact, now time.Time) []carillon.StatusChange {
		m.UpdatedAt = now
		if m.SendState == carillon.SendQueued {
			m.SendState = carillon.SendDone
		}
		if m.Direction != carillon.Outbound {
			return nil
		}
		return advance(m, carillon.StatusDeleted, nil, now)
	})
	return s.internal(ctx, "delete message", err)
}

// byID reads the message m again, in the transaction.
func byID(m carillon.Message) func(ctx context.Context, q carillon.Queries) (carillon.Message, error) {
	return func(ctx context.Context, q carillon.Queries) (carillon.Message, error) {
		return q.MessageByID(ctx, m.AccountID, m.ID)
	}
}

// maxStaleRetries bounds how often a change is applied again to a message
// that another writer changed meanwhile.
const maxStaleRetries = 10

// changeMessage applies change to a message read outside the shared
// transaction (m), and writes it in the transaction provided nobody changed
// it since; otherwise it reads it again with reread, inside the transaction,
// and applies change once more. Reading off the writer's path keeps the one
// SQLite writer busy only with writes. change must only compute: it returns
// the status changes to record; it is given the message's contact, whose
// address the status payloads name.
func (s *Messages) changeMessage(ctx context.Context, m carillon.Message,
	reread func(ctx context.Context, q carillon.Queries) (carillon.Message, error),
	change func(m *carillon.Message, c carillon.Contact, now time.Time) []carillon.StatusChange) (carillon.Message, error) {
	return s.writeMessage(ctx, m, reread, keepContent, change)
}

// contentWrite says whether a change of a message erases its content: a
// different write of the store (EraseMessage), which also removes the
// words search finds it by, from a change of its status or send job
// (UpdateMessage), the frequent one.
type contentWrite bool

const (
	keepContent  contentWrite = false
	eraseContent contentWrite = true
)

// write writes m, read as was.
func (w contentWrite) write(ctx context.Context, q carillon.Queries, was carillon.Message, m *carillon.Message) error {
	if w == eraseContent {
		return q.EraseMessage(ctx, m)
	}
	if writesLaterInBatch(ctx, m.ID) {
		return q.UpdateMessageFromLater(ctx, was, m)
	}
	return q.UpdateMessageFrom(ctx, was, m)
}

// writeMessage is changeMessage, the content erased or kept as w says.
func (s *Messages) writeMessage(ctx context.Context, m carillon.Message,
	reread func(ctx context.Context, q carillon.Queries) (carillon.Message, error), w contentWrite,
	change func(m *carillon.Message, c carillon.Contact, now time.Time) []carillon.StatusChange) (carillon.Message, error) {
	var out carillon.Message
	var changes []carillon.StatusChange
	// Units are keyed by contact: the changes of one contact's messages go
	// through one writer, in order.
	err := s.commit.doReading(ctx, uint64(m.ContactID), carillon.ContactRef{ID: m.ContactID}, func(ctx context.Context, q carillon.Queries) error {
		c, err := q.ContactByID(ctx, m.AccountID, m.ContactID)
		if err != nil {
			return err
		}
		was, cur := m, m
		now := s.clock.Now()
		changes = change(&cur, c, now)
		err = w.write(ctx, q, was, &cur)
		// With several writers (PostgreSQL), another transaction may
		// change the row again between the reread and the update: each
		// try rereads what is committed by then.
		for try := 0; errors.Is(err, carillon.ErrStale) && try < maxStaleRetries; try++ {
			if was, err = reread(ctx, q); err != nil {
				return err
			}
			cur = was
			changes = change(&cur, c, now)
			err = w.write(ctx, q, was, &cur)
		}
		if err != nil {
			return err
		}
		for _, c := range changes {
			if err := q.AddStatusChange(ctx, c); err != nil {
				return err
			}
		}
		if err := s.statusEvents(ctx, q, cur, c, changes); err != nil {
			return err
		}
		out = cur
		return nil
	})
	if err == nil {
		for _, c := range changes {
			if c.Applied {
				s.metrics.MessageStatus.WithLabelValues(string(c.Status)).Inc()
			}
		}
	}
	return out, err
}

func (s *Messages) messageByExternalID(ctx context.Context, accountID int64, externalID string) (carillon.Message, error) {
	channels, err := s.store.AllChannels(ctx, accountID)
	if err != nil {
		return carillon.Message{}, err
	}
	for _, ch := range channels {
		m, err := s.store.MessageByExternalID(ctx, ch.ID, externalID)
		if err == nil || !errors.Is(err, carillon.ErrNotFound) {
			return m, err
		}
	}
	return carillon.Message{}, carillon.ErrNotFound
}

// advance applies a reported status to an outgoing message (in memory) and
// returns the entries of its status history to record: every report is
// kept, also one that arrives out of order and leaves the status as it is. A
// report that skips ahead (delivered before sent was recorded) records the
// skipped statuses too. payload is the report as messageStatusPayload shows
// it (wire.NewStatusPayload), nil for a change no provider reported.
func advance(m *carillon.Message, next carillon.Status, payload json.RawMessage, now time.Time) []carillon.StatusChange {
	reached := carillon.Advance(m.Status, next)
	if len(reached) == 0 {
		return []carillon.StatusChange{{MessageID: m.ID, Status: next, Payload: payload, Applied: false, CreatedAt: now}}
	}
	changes := make([]carillon.StatusChange, 0, len(reached))
	for _, st := range reached {
		change := carillon.StatusChange{MessageID: m.ID, Status: st, Applied: true, CreatedAt: now}
		if st == next {
			change.Payload = payload
		}
		changes = append(changes, change)
	}
	m.Status = next
	if payload != nil {
		m.StatusPayload = payload
	}
	if m.SendState == carillon.SendQueued {
		// Any report past enqueued proves the provider has the message
		// (a receipt may arrive before the send's own answer is
		// recorded): sending it again would be a duplicate.
		m.SendState = carillon.SendDone
	}
	m.UpdatedAt = now
	return changes
}
