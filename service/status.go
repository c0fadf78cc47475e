package service

import (
	"context"
	"encoding/json"
	"errors"
	"time"

	"github.com/carillon/carillon"
)

// MessageStatus returns an account's message by uuid.
func (s *Service) MessageStatus(ctx context.Context, p Principal, uuid string) (carillon.Message, error) {
	m, err := s.store.MessageByUUID(ctx, p.Account.ID, uuid)
	if errors.Is(err, carillon.ErrNotFound) {
		return m, carillon.NotFound("message " + uuid)
	}
	return m, s.internal(ctx, "message status", err)
}

// DeleteMessage removes a message's text and attachments in carillon (the
// recipient's copy is untouched). A message that has not left yet is not
// sent. id is the message's uuid or its provider's external id.
func (s *Service) DeleteMessage(ctx context.Context, p Principal, id string) error {
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
	err = s.commit.do(ctx, func(ctx context.Context, q carillon.Queries) error {
		m, err := q.MessageByID(ctx, p.Account.ID, m.ID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		m.Content = carillon.Content{}
		m.TemplateValues = nil
		if m.SendState == carillon.SendQueued {
			m.SendState = carillon.SendDone
		}
		if m.Direction == carillon.Outbound {
			if _, err := s.advance(ctx, q, &m, carillon.StatusDeleted, nil, now); err != nil {
				return err
			}
		}
		m.UpdatedAt = now
		return q.UpdateMessage(ctx, &m)
	})
	return s.internal(ctx, "delete message", err)
}

func (s *Service) messageByExternalID(ctx context.Context, accountID int64, externalID string) (carillon.Message, error) {
	channels, err := s.store.ListChannels(ctx, accountID)
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

// advance applies a reported status to an outgoing message (in memory; the
// caller writes the message) and records it in the status history: every
// report is kept, also one that arrives out of order and leaves the status
// as it is. A report that skips ahead (delivered before sent was recorded)
// records the skipped statuses too. It returns the statuses the message
// passed through, in order.
func (s *Service) advance(ctx context.Context, q carillon.Queries, m *carillon.Message, next carillon.Status, payload json.RawMessage, now time.Time) ([]carillon.Status, error) {
	reached := carillon.Advance(m.Status, next)
	if len(reached) == 0 {
		return nil, q.AddStatusChange(ctx, carillon.StatusChange{MessageID: m.ID, Status: next, Payload: payload, Applied: false, CreatedAt: now})
	}
	for _, st := range reached {
		change := carillon.StatusChange{MessageID: m.ID, Status: st, Applied: true, CreatedAt: now}
		if st == next {
			change.Payload = payload
		}
		if err := q.AddStatusChange(ctx, change); err != nil {
			return nil, err
		}
		s.metrics.MessageStatus.WithLabelValues(string(st)).Inc()
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
	return reached, nil
}
