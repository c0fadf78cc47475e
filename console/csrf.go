package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
)

// CSRF: every POST form carries a token in the field csrf. Signed in, the
// token is an HMAC of the session's token, so it needs no storage and ends
// with the session; before sign-in (the sign-in and welcome forms) it is a
// random value the form and a cookie both carry (double submit), which a
// page of another site can neither read nor set.

const (
	csrfField  = "csrf"
	csrfCookie = "carillon_csrf"
)

// csrfToken is the CSRF token of a session's forms.
func csrfToken(sessionToken string) string {
	m := hmac.New(sha256.New, []byte(sessionToken))
	m.Write([]byte("carillon console form"))
	return hex.EncodeToString(m.Sum(nil))
}

// validCSRF compares a form's token with the expected one in constant time.
func validCSRF(want, got string) bool {
	return want != "" && hmac.Equal([]byte(want), []byte(got))
}

// preSessionCSRF returns the double-submit token of a request before
// sign-in, setting its cookie when the browser has none yet.
func (s *Server) preSessionCSRF(w http.ResponseWriter, r *http.Request) string {
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) == 64 {
		return c.Value
	}
	var b [32]byte
	_, _ = rand.Read(b[:])
	token := hex.EncodeToString(b[:])
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: token, Path: "/", HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	return token
}

// checkPreSessionCSRF checks a form posted before sign-in against its
// cookie.
func (s *Server) checkPreSessionCSRF(r *http.Request) bool {
	c, err := r.Cookie(csrfCookie)
	return err == nil && len(c.Value) == 64 && validCSRF(c.Value, r.PostFormValue(csrfField))
}
