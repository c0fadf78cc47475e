package console

import (
	"net/http"
	"strconv"

	"github.com/carillon/carillon"
)

// accountPage is the signed-in user's own page: who they are, their open
// sessions, and the form to change their password.
type accountPage struct {
	Sessions []sessionRow
	// PasswordChanged: the page follows a password change.
	PasswordChanged bool
	Problem         string
	ProblemField    string
}

type sessionRow struct {
	carillon.Session
	// Current is the session of the browser looking at the page.
	Current bool
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showAccount(w, r, v, http.StatusOK, accountPage{PasswordChanged: r.URL.Query().Get("password") == "changed"})
}

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, v *visit, status int, p accountPage) error {
	sessions, err := s.users.Sessions(r.Context(), v.account.ID, v.user.ID)
	if err != nil {
		return err
	}
	// Newest first: the one just opened is at the top.
	for i := len(sessions) - 1; i >= 0; i-- {
		p.Sessions = append(p.Sessions, sessionRow{Session: sessions[i], Current: sessions[i].ID == v.session.ID})
	}
	s.render(w, r, v, status, "account", p)
	return nil
}

// endSession signs one of the user's sessions out. Their own browser's
// session is signed out as by the sign-out button.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, v *visit) error {
	id, err := strconv.ParseInt(r.PostFormValue("session"), 10, 64)
	if err != nil {
		return carillon.NotFound("session")
	}
	if err := s.users.EndSession(r.Context(), v.account.ID, v.user.ID, id); err != nil {
		return err
	}
	if id == v.session.ID {
		s.clearSessionCookie(w)
		http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
	return nil
}

// changePassword sets the user's password when the current one is right.
// This browser stays signed in; the user's other sessions end.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request, v *visit) error {
	err := s.users.ChangePassword(r.Context(), v.account.ID, v.user.ID, r.PostFormValue("current_password"), r.PostFormValue("password"),
		v.token, client(r))
	if e, ok := formProblem(err); ok {
		return s.showAccount(w, r, v, statusOf(e.Code), accountPage{Problem: e.Message, ProblemField: e.Field})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, "/account?password=changed", http.StatusSeeOther)
	return nil
}
