package console

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// live is the live inbox: the stream of changes of the chats a viewer may
// see, and who views or types in which conversation. *service.Live is
// one.
type live interface {
	Position(ctx context.Context) (int64, error)
	Subscribe(ctx context.Context, p service.Principal, v service.Viewer, after int64, resume bool) (*service.LiveStream, error)
	SetPresence(ctx context.Context, p service.Principal, v service.Viewer, conversationUUID, state string) error
}

// The live inbox in a page (assets/live.js): a page that opts in (an
// element with data-live="inbox" or data-live="chat:<conversation uuid>",
// its <main> by the template's "live" block) follows GET /inbox/events, a
// stream of Server-Sent Events, from the position the layout gives it
// (data-live-from, read before the page's data). On an event of a chat it
// shows, it reads the page again and replaces each of its regions
// (data-live-region, with an id) by the same region of the page read;
// presence events fill its data-presence element. docs/inbox.md says more.

const (
	// liveHeartbeat is how often a quiet stream sends a comment (that keeps
	// proxies from closing it and finds a tab gone) and checks that its
	// session still holds.
	liveHeartbeat = 15 * time.Second
	// liveRetry is how long a browser waits before it reconnects a stream
	// that broke.
	liveRetry = time.Second
)

// liveEvents streams the changes of the chats the visit's viewer may see,
// as Server-Sent Events, after the id the tab names (Last-Event-ID when it
// reconnects, the query's after when it starts), or from now.
func (s *Server) liveEvents(w http.ResponseWriter, r *http.Request, v *visit) error {
	after, resume, err := streamStart(r)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()
	st, err := s.live.Subscribe(ctx, v.principal, viewerOf(v), after, resume)
	if err != nil {
		return err
	}
	defer st.Close()

	rc := http.NewResponseController(w)
	// The server's read timeout bounds a request, and a stream is one
	// long answer: once the request is read, the connection has nothing
	// more to read until the stream ends.
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no") // a proxy that buffers answers must pass these on at once
	w.WriteHeader(http.StatusOK)
	if _, err := fmt.Fprintf(w, "retry: %d\n\n", liveRetry.Milliseconds()); err != nil {
		return nil
	}
	if rc.Flush() != nil {
		return nil
	}

	type batch struct {
		events []service.LiveEvent
		err    error
	}
	next := make(chan batch)
	go func() {
		for {
			evs, err := st.Next(ctx)
			select {
			case next <- batch{evs, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
		}
	}()
	beat := time.NewTicker(liveHeartbeat)
	defer beat.Stop()
	told := after
	for {
		select {
		case <-ctx.Done():
			return nil // the tab is gone
		case b := <-next:
			if b.err != nil {
				// The server stops streaming: the tab reconnects, to
				// another instance or to this one when it is back.
				return nil
			}
			for _, e := range b.events {
				if err := writeLiveEvent(w, e); err != nil {
					return nil
				}
				told = e.ID
			}
		case <-beat.C:
			// The session may have ended, the role or the teams changed.
			nv, err := s.visitOf(r)
			if err != nil || !mayOpen(nv.user.Role, sectionConversations) {
				return nil
			}
			st.SetViewer(viewerOf(nv))
			// The id alone moves the position the tab reconnects from
			// past the changes it was not told of.
			line := ": still here\n"
			if pos := st.Position(); pos > told {
				line += "id: " + strconv.FormatInt(pos, 10) + "\n"
				told = pos
			}
			if _, err := fmt.Fprint(w, line+"\n"); err != nil {
				return nil
			}
		}
		if rc.Flush() != nil {
			return nil
		}
	}
}

// streamStart is where a stream starts: after the id in Last-Event-ID (a
// tab that reconnects) or the query's after (a page that knows where it
// was read), or from now when neither is given.
func streamStart(r *http.Request) (int64, bool, error) {
	for _, from := range []struct{ name, value string }{
		{"Last-Event-ID", r.Header.Get("Last-Event-ID")},
		{"after", r.URL.Query().Get("after")},
	} {
		if from.value == "" {
			continue
		}
		id, err := strconv.ParseInt(from.value, 10, 64)
		if err != nil || id < 0 {
			return 0, false, carillon.Invalid(from.name, "%s must be the id of an event of this stream", from.name)
		}
		return id, true, nil
	}
	return 0, false, nil
}

// liveData is what an event tells a page.
type liveData struct {
	Kind         string         `json:"kind"`
	Contact      string         `json:"contact,omitempty"`
	Conversation string         `json:"conversation,omitempty"`
	People       []livePresence `json:"people,omitempty"`
}

// livePresence is someone on the conversation, and for how many more
// milliseconds they view and type in it unless they renew it.
type livePresence struct {
	User    string `json:"user"`
	Name    string `json:"name"`
	Viewing int64  `json:"viewing"`
	Typing  int64  `json:"typing"`
}

// writeLiveEvent writes an event: "change" for a change of a chat,
// "presence" for who is on a conversation, "reset" for a tab whose missed
// changes are no longer kept. Each has its id, so that a tab reconnects
// from the last one it saw.
func writeLiveEvent(w http.ResponseWriter, e service.LiveEvent) error {
	name := "change"
	d := liveData{Kind: e.Kind, Contact: e.Contact, Conversation: e.Conversation}
	switch e.Kind {
	case service.LiveReset:
		name = service.LiveReset
	case carillon.ChangePresence:
		name = carillon.ChangePresence
		d.People = make([]livePresence, 0, len(e.Presence))
		for _, p := range e.Presence {
			d.People = append(d.People, livePresence{User: p.UserUUID, Name: p.Name, Viewing: p.Viewing.Milliseconds(), Typing: p.Typing.Milliseconds()})
		}
	}
	data, err := json.Marshal(d)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "event: %s\nid: %d\ndata: %s\n\n", name, e.ID, data)
	return err
}

// setPresence records that the visit's user views, types in or has left
// a conversation (fields conversation and state: viewing, typing, left).
// Its answer has no body: live.js sends it in the background.
func (s *Server) setPresence(w http.ResponseWriter, r *http.Request, v *visit) error {
	err := s.live.SetPresence(r.Context(), v.principal, viewerOf(v), r.PostFormValue("conversation"), r.PostFormValue("state"))
	if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// readLiveFrom notes, for a page of a user who may open the
// conversations, where the live inbox stands, before the page reads its
// data: a change committed after that read is after this position too.
func (s *Server) readLiveFrom(r *http.Request, v *visit) error {
	if s.live == nil || r.Method != http.MethodGet || r.URL.Path == "/inbox/events" || !mayOpen(v.user.Role, sectionConversations) {
		return nil
	}
	pos, err := s.live.Position(r.Context())
	if err != nil {
		return err
	}
	v.liveFrom = &pos
	return nil
}
