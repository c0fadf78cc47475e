package console

import (
	"context"
	"net/http"
	"net/url"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// messages are the account's messages: the log, one message with its
// timeline, search (of contacts too), the sandbox's simulated customers,
// and the composer's sends. *service.Messages is one.
type messages interface {
	composer
	MessageLog(ctx context.Context, p service.Principal, v service.Viewer, q service.MessageQuery) (service.MessageLog, error)
	Message(ctx context.Context, p service.Principal, v service.Viewer, uuid string) (service.MessageDetail, error)
	Search(ctx context.Context, p service.Principal, v service.Viewer, q service.SearchQuery) (service.SearchResults, error)
	SandboxInbound(ctx context.Context, p service.Principal, from, text, channelUUID string) (carillon.Message, error)
	SandboxChannels(ctx context.Context, p service.Principal) (service.Sandbox, error)
}

// viewerOf is who reads messages on a visit: the service decides from it
// which chats they see.
func viewerOf(v *visit) service.Viewer {
	return v.viewer
}

// messagesPage is a page of the messages log with its filter.
type messagesPage struct {
	service.MessageLog
	Query service.MessageQuery
	// Problem is what is wrong with the filter, and Field the field at
	// fault.
	Problem, Field string
	// Older links to the next page, "" on the last one.
	Older string
	// Filtered is set when any filter is given.
	Filtered bool
}

func (s *Server) messagesPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	get := r.URL.Query().Get
	q := service.MessageQuery{Channel: get("channel"), Direction: get("direction"), Status: get("status"),
		Number: get("number"), From: get("from"), To: get("to"), After: get("after")}
	p := messagesPage{Query: q, Filtered: q.Channel != "" || q.Direction != "" || q.Status != "" || q.Number != "" || q.From != "" || q.To != ""}
	log, err := s.messages.MessageLog(r.Context(), v.principal, viewerOf(v), q)
	p.MessageLog = log
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		p.Problem, p.Field = e.Message, e.Field
		s.render(w, r, v, http.StatusUnprocessableEntity, "messages", p)
		return nil
	}
	if err != nil {
		return err
	}
	if log.Next != "" {
		next := url.Values{}
		for k, val := range map[string]string{"channel": q.Channel, "direction": q.Direction, "status": q.Status,
			"number": q.Number, "from": q.From, "to": q.To, "after": log.Next} {
			if val != "" {
				next.Set(k, val)
			}
		}
		p.Older = "/messages?" + next.Encode()
	}
	s.render(w, r, v, http.StatusOK, "messages", p)
	return nil
}

func (s *Server) messagePage(w http.ResponseWriter, r *http.Request, v *visit) error {
	d, err := s.messages.Message(r.Context(), v.principal, viewerOf(v), pathUUID(r))
	if err != nil {
		return err
	}
	s.render(w, r, v, http.StatusOK, "message", d)
	return nil
}
