package console

import (
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// sessionCookie holds the session's token.
const sessionCookie = "carillon_session"

func (s *Server) setSessionCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
}

// client is who signs in, for throttling and the list of sessions.
func client(r *http.Request) service.SignInClient {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return service.SignInClient{Address: host, UserAgent: r.UserAgent()}
}

// signInForm is what the sign-in page shows.
type signInForm struct {
	CSRF, Next, Email, Problem string
}

func (s *Server) signInPage(w http.ResponseWriter, r *http.Request) error {
	next := localPath(r.URL.Query().Get("next"))
	if v, err := s.visitOf(r); err == nil && v != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	s.render(w, r, nil, http.StatusOK, "sign-in", signInForm{CSRF: s.preSessionCSRF(w, r), Next: next})
	return nil
}

// wrongSignIn is the one answer to a wrong email and a wrong password, so
// that the page does not tell which emails have an account.
const wrongSignIn = "Wrong email or password."

func (s *Server) signIn(w http.ResponseWriter, r *http.Request) error {
	form := signInForm{CSRF: s.preSessionCSRF(w, r), Next: localPath(r.PostFormValue("next")), Email: strings.TrimSpace(r.PostFormValue("email"))}
	token, _, _, err := s.people.SignIn(r.Context(), form.Email, r.PostFormValue("password"), client(r))
	if _, throttled := service.RetryAfter(err); throttled {
		return err
	}
	var e *carillon.Error
	if errors.As(err, &e) && (e.Code == carillon.CodeUnauthorized || e.Code == carillon.CodeInvalidParameter) {
		form.Problem = wrongSignIn
		s.render(w, r, nil, http.StatusUnauthorized, "sign-in", form)
		return nil
	}
	if err != nil {
		return err
	}
	s.setSessionCookie(w, token)
	http.Redirect(w, r, form.Next, http.StatusSeeOther)
	return nil
}

func (s *Server) signOut(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := s.people.SignOut(r.Context(), v.token); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

func (s *Server) signOutEverywhere(w http.ResponseWriter, r *http.Request, v *visit) error {
	if err := s.people.SignOutEverywhere(r.Context(), v.session.AccountID, v.session.UserID); err != nil {
		return err
	}
	s.clearSessionCookie(w)
	http.Redirect(w, r, "/sign-in", http.StatusSeeOther)
	return nil
}

// welcomeForm is what the page of a one-time link shows: a first admin's
// (email, name and password) or an invited user's (a password).
type welcomeForm struct {
	CSRF, Token, Email, Name, Problem string
	FirstAdmin                        bool
}

func (s *Server) welcomePage(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	link, u, err := s.people.SignInLink(r.Context(), token)
	if err != nil {
		return linkError(err)
	}
	s.render(w, r, nil, http.StatusOK, "welcome", welcomeForm{CSRF: s.preSessionCSRF(w, r), Token: token,
		FirstAdmin: link.UserID == 0, Email: u.Email, Name: u.Name})
	return nil
}

func (s *Server) welcome(w http.ResponseWriter, r *http.Request) error {
	token := r.PathValue("token")
	link, u, err := s.people.SignInLink(r.Context(), token)
	if err != nil {
		return linkError(err)
	}
	form := welcomeForm{CSRF: s.preSessionCSRF(w, r), Token: token, FirstAdmin: link.UserID == 0, Email: u.Email, Name: u.Name}
	if form.FirstAdmin {
		form.Email, form.Name = strings.TrimSpace(r.PostFormValue("email")), strings.TrimSpace(r.PostFormValue("name"))
	}
	sessionToken, _, _, err := s.people.UseSignInLink(r.Context(), token, form.Email, form.Name, r.PostFormValue("password"), client(r))
	var e *carillon.Error
	if errors.As(err, &e) && (e.Code == carillon.CodeInvalidParameter || e.Code == carillon.CodeAlreadyExists) {
		form.Problem = e.Message
		s.render(w, r, nil, http.StatusUnprocessableEntity, "welcome", form)
		return nil
	}
	if err != nil {
		return linkError(err)
	}
	s.setSessionCookie(w, sessionToken)
	http.Redirect(w, r, "/", http.StatusSeeOther)
	return nil
}

// linkError says what is wrong with a one-time link in words.
func linkError(err error) error {
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeNotFound {
		return &carillon.Error{Code: carillon.CodeNotFound, Message: "this link is unknown, was used already or has expired: ask an admin for a new one"}
	}
	return err
}
