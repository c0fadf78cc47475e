package httpapi

import (
	"context"
	"errors"
	"net/http"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/wire"
)

// callbacks are the rules of the providers' callbacks. *service.Messages
// is one.
type callbacks interface {
	CallbackChannel(ctx context.Context, provider, channelUUID string) (carillon.Channel, error)
	Callback(ctx context.Context, ch carillon.Channel, cb carillon.Callback) (*carillon.CallbackReply, error)
}

// Provider callbacks: no API key (the provider's signature or secret token,
// checked by the provider with the channel's own secret, authenticates
// them) and no rate limit.

func (s *Server) providerCallback(w http.ResponseWriter, r *http.Request) error {
	// The channel is found before the body is read: a call to no channel
	// is answered at once, whatever body it announces or how slowly it
	// sends it.
	ch, err := s.callbacks.CallbackChannel(r.Context(), r.PathValue("provider"), r.PathValue("channel"))
	if err != nil {
		return err
	}
	cb := carillon.Callback{Method: r.Method, Query: r.URL.Query(), Header: r.Header}
	if r.Method == http.MethodPost {
		body, err := readBody(r)
		if err != nil {
			return err
		}
		cb.Body = body
	}
	reply, err := s.callbacks.Callback(r.Context(), ch, cb)
	var refused *carillon.CallbackError
	if errors.As(err, &refused) {
		s.log.InfoContext(r.Context(), "callback refused", "provider", r.PathValue("provider"), "channel", r.PathValue("channel"),
			"status", refused.Status, "reason", refused.Reason)
		code := carillon.CodeUnauthorized
		switch refused.Status {
		case http.StatusBadRequest:
			code = carillon.CodeMalformedJSON
		case http.StatusMethodNotAllowed:
			code = "method_not_allowed"
		}
		writeJSON(w, refused.Status, wire.ErrorAnswer{Error: wire.ErrorDetail{Code: code, Message: refused.Reason}})
		return nil
	}
	if err != nil {
		return err
	}
	if reply != nil {
		if reply.ContentType != "" {
			w.Header().Set("Content-Type", reply.ContentType)
		}
		w.WriteHeader(reply.Status)
		_, _ = w.Write(reply.Body)
		return nil
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	return nil
}
