package console

import (
	"net/http"
	"net/url"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// sandboxPage is the form where a person plays a customer writing to a
// sandbox channel, with the message that just arrived or the problem of
// the form just sent.
type sandboxPage struct {
	service.Sandbox
	// Channel, From, Chosen (a reserved number) and Text are the form's
	// values.
	Channel, From, Chosen, Text string
	Problem, Field              string
	// Arrived is the message just received, nil when none.
	Arrived *service.MessageDetail
}

func (s *Server) sandboxPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := sandboxPage{}
	if id := r.URL.Query().Get("sent"); id != "" {
		d, err := s.messages.Message(r.Context(), v.principal, viewerOf(v), id)
		if err != nil {
			return err
		}
		p.Arrived = &d
		p.Channel = d.Channel.UUID
	}
	return s.showSandbox(w, r, v, http.StatusOK, p)
}

func (s *Server) showSandbox(w http.ResponseWriter, r *http.Request, v *visit, status int, p sandboxPage) error {
	sb, err := s.messages.SandboxChannels(r.Context(), v.principal)
	if err != nil {
		return err
	}
	p.Sandbox = sb
	s.render(w, r, v, status, "sandbox", p)
	return nil
}

// sandboxInbound receives the message as the customer's, through the same
// call as POST /v1/sandbox/inbound, and shows where it arrived.
func (s *Server) sandboxInbound(w http.ResponseWriter, r *http.Request, v *visit) error {
	p := sandboxPage{Channel: r.PostFormValue("channel"), From: r.PostFormValue("from"),
		Chosen: r.PostFormValue("reserved"), Text: r.PostFormValue("text")}
	from := p.From
	if p.Chosen != "" {
		from = p.Chosen
	}
	if p.Channel == "" {
		// The service would take the main WhatsApp channel: the form
		// always names one, so that a person sees where it goes.
		return s.showSandbox(w, r, v, http.StatusUnprocessableEntity, sandboxPage{From: p.From, Chosen: p.Chosen, Text: p.Text,
			Problem: "choose the sandbox channel the customer writes to", Field: "channel"})
	}
	m, err := s.messages.SandboxInbound(r.Context(), v.principal, from, p.Text, p.Channel)
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		p.Problem, p.Field = e.Message, e.Field
		if p.Field == "channel_uuid" {
			p.Field = "channel"
		}
		return s.showSandbox(w, r, v, http.StatusUnprocessableEntity, p)
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/sandbox?sent="+url.QueryEscape(m.UUID), http.StatusSeeOther)
	return nil
}
