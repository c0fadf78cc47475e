package service

import (
	"context"

	"github.com/carillon/carillon"
)

// HistoryMessage is a message of a contact's history with its channel.
type HistoryMessage struct {
	carillon.Message
	Channel carillon.Channel
	Contact carillon.Contact
}

// ContactMessages lists a contact's messages, notes included, newest first.
func (s *Contacts) ContactMessages(ctx context.Context, p Principal, uuid string, pr PageRequest) ([]HistoryMessage, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	c, err := s.store.ContactByUUID(ctx, p.Account.ID, uuid)
	if err != nil {
		return nil, PageInfo{}, s.notFound(ctx, "list messages", "contact", err)
	}
	ch, err := s.channelByID(ctx, p, c.ChannelID)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list messages", err)
	}
	list, total, err := s.store.ContactMessages(ctx, p.Account.ID, c.ID, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list messages", err)
	}
	out := make([]HistoryMessage, len(list))
	for i, m := range list {
		out[i] = HistoryMessage{Message: m, Channel: ch, Contact: c}
	}
	return out, pageInfo(page, total), nil
}

// Failure explains why the message failed (or was mismatched or deleted),
// as the message's page does; nil when it did not, or its provider gave no
// reason.
func (m HistoryMessage) Failure() *Failure {
	if !m.Status.Final() {
		return nil
	}
	return failureOf(m.Channel.Type, m.StatusPayload)
}
