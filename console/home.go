package console

import (
	"net/http"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// homePage is the account at a glance.
type homePage struct {
	service.Overview
	// Statuses are today's counts in the order a message moves through
	// them, the ones with no message left out.
	Statuses []statusCount
	Total    int
	// WebhookPages is set for a user who may open the webhook's pages:
	// the webhook section links to them. Others see its state without
	// links they could not follow.
	WebhookPages bool
}

type statusCount struct {
	Status carillon.Status
	Count  int
}

// statusOrder is the order today's counts are shown in.
var statusOrder = []carillon.Status{carillon.StatusReceived, carillon.StatusEnqueued, carillon.StatusSent, carillon.StatusDelivered,
	carillon.StatusRead, carillon.StatusFailed, carillon.StatusMismatch, carillon.StatusDeleted, carillon.StatusNote}

func (s *Server) home(w http.ResponseWriter, r *http.Request, v *visit) error {
	o, err := s.accounts.Overview(r.Context(), v.account.ID)
	if err != nil {
		return err
	}
	p := homePage{Overview: o, WebhookPages: mayOpen(v.user.Role, sectionAdmin)}
	for _, st := range statusOrder {
		if n := o.MessagesToday[st]; n > 0 {
			p.Statuses = append(p.Statuses, statusCount{st, n})
			p.Total += n
		}
	}
	s.render(w, r, v, http.StatusOK, "home", p)
	return nil
}
