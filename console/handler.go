package console

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// visit is a signed-in request: who makes it, for which account, and the
// CSRF token its forms carry.
type visit struct {
	token     string
	session   carillon.Session
	user      carillon.User
	account   carillon.Account
	csrf      string
	principal service.Principal
	// viewer is the user as a reader of the account's chats, built once
	// a request (service.Contacts.ViewerOf).
	viewer service.Viewer
	// liveFrom is where the live inbox stood before the page read its
	// data: its stream starts there (live.go). Set for a page (GET) of a
	// user who may open the conversations.
	liveFrom *int64
}

// pageHandler is the shape of a signed-in page: it writes its answer, or
// returns the error that is its answer instead (fail writes it).
type pageHandler func(w http.ResponseWriter, r *http.Request, v *visit) error

// publicHandler is the shape of a page open before sign-in.
type publicHandler func(w http.ResponseWriter, r *http.Request) error

// page registers a signed-in page of section sec.
func (s *Server) page(pattern string, sec section, h pageHandler) {
	s.mux.Handle(pattern, s.signedIn(sec, h))
}

// public registers a page open before sign-in. Its forms are checked
// against the double-submit cookie.
func (s *Server) public(pattern string, h publicHandler) {
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if r.Method == http.MethodPost && !s.checkPreSessionCSRF(r) {
			s.fail(w, r, nil, errCSRF)
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, nil, err)
		}
	}))
}

// signedIn finds the request's session (a request without one is sent to
// sign in), checks the role may open sec and that a form carries the
// session's CSRF token, then runs h.
func (s *Server) signedIn(sec section, h pageHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		v, err := s.visitOf(r)
		if err != nil {
			if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeUnauthorized {
				if _, err := r.Cookie(sessionCookie); err == nil {
					s.clearSessionCookie(w) // a session that ended
				}
				// A page is opened again after sign-in; a form is not
				// sent again (its path answers POST only).
				target := "/sign-in"
				if r.Method == http.MethodGet || r.Method == http.MethodHead {
					target += "?next=" + url.QueryEscape(localPath(r.URL.RequestURI()))
				}
				http.Redirect(w, r, target, http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, err)
			return
		}
		if r.Method == http.MethodPost && !validCSRF(v.csrf, r.PostFormValue(csrfField)) {
			s.fail(w, r, v, errCSRF)
			return
		}
		if !mayOpen(v.user.Role, sec) {
			s.fail(w, r, v, errForbidden)
			return
		}
		if err := s.readLiveFrom(r, v); err != nil {
			s.fail(w, r, v, err)
			return
		}
		if err := h(w, r, v); err != nil {
			s.fail(w, r, v, err)
		}
	})
}

// visitOf reads the request's session.
func (s *Server) visitOf(r *http.Request) (*visit, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errSignedOut
	}
	sess, u, err := s.people.Session(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	acct, err := s.accounts.AccountOf(r.Context(), sess.AccountID)
	if err != nil {
		return nil, err
	}
	p := service.Principal{Account: acct}
	viewer, err := s.contacts.ViewerOf(r.Context(), p, u)
	if err != nil {
		return nil, err
	}
	return &visit{token: c.Value, session: sess, user: u, account: acct, csrf: csrfToken(c.Value),
		principal: p, viewer: viewer}, nil
}

var errSignedOut = &carillon.Error{Code: carillon.CodeUnauthorized, Message: "sign in to open this page"}

// forbidden is a refusal of the console's own, a 403: the domain has no
// code for it, since the API's keys see their whole account.
type forbidden struct{ message string }

func (f *forbidden) Error() string { return "forbidden: " + f.message }

var (
	errForbidden = &forbidden{"your role does not open this page: ask an admin of the account"}
	errCSRF      = &forbidden{"this form has expired or did not come from this console: go back, reload the page and send it again"}
)

// fail answers err with an error page: its status from its code, its
// message when it is a *carillon.Error, a generic one (and a log line)
// otherwise. v is nil before sign-in.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *visit, err error) {
	status, message := http.StatusInternalServerError, "something went wrong on the server: try again in a moment"
	var e *carillon.Error
	var f *forbidden
	if errors.As(err, &f) {
		status, message = http.StatusForbidden, f.message
	} else if errors.As(err, &e) {
		status, message = statusOf(e.Code), e.Message
		if e.Code == carillon.CodeNotFound && strings.HasSuffix(e.Message, " not found") {
			message = "there is no such page, or it is not your account's"
		}
	}
	if wait, ok := service.RetryAfter(err); ok {
		status = http.StatusTooManyRequests
		w.Header().Set("Retry-After", strconv.Itoa(int(max(1, (wait+time.Second-1)/time.Second))))
	}
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "console page failed", "method", r.Method, "path", r.URL.Path, "error", err)
	}
	s.render(w, r, v, status, "error", errorPage{Status: status, Title: http.StatusText(status), Message: message})
}

// errorPage is what the error page shows.
type errorPage struct {
	Status         int
	Title, Message string
}

// statusOf maps an error code to the status of its page.
func statusOf(code carillon.ErrorCode) int {
	switch code {
	case carillon.CodeNotFound:
		return http.StatusNotFound
	case carillon.CodeUnauthorized:
		return http.StatusUnauthorized
	case carillon.CodeRateLimited:
		return http.StatusTooManyRequests
	case carillon.CodeConflict:
		return http.StatusConflict
	case carillon.CodeUnavailable:
		return http.StatusServiceUnavailable
	case carillon.CodeInternal:
		return http.StatusInternalServerError
	}
	return http.StatusUnprocessableEntity
}

// localPath is p when it is a path of this server, "/" otherwise: the
// only places a sign-in may send its user back to.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.ContainsAny(p, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(p)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil {
		return "/"
	}
	return p
}
