package console

import (
	"net/http"

	"github.com/carillon/carillon"
)

// keysPage is the list of the account's API keys, with the secret of the
// key just made (shown this once) or the problem of the form just sent.
type keysPage struct {
	Keys    []carillon.APIKey
	Created *createdKey
	Name    string
	Problem string
}

type createdKey struct {
	Name, Secret string
}

func (s *Server) keysPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showKeys(w, r, v, http.StatusOK, keysPage{})
}

func (s *Server) showKeys(w http.ResponseWriter, r *http.Request, v *visit, status int, p keysPage) error {
	keys, err := s.accounts.ListKeys(r.Context(), v.account.ID)
	if err != nil {
		return err
	}
	// Newest first: the key just made is at the top.
	for i, j := 0, len(keys)-1; i < j; i, j = i+1, j-1 {
		keys[i], keys[j] = keys[j], keys[i]
	}
	p.Keys = keys
	s.render(w, r, v, status, "api-keys", p)
	return nil
}

// createKey makes a key and answers with the page that shows its secret:
// the answer is the only place it is ever shown (and, like every page, it
// is not stored by the browser).
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, v *visit) error {
	name := r.PostFormValue("name")
	secret, key, err := s.accounts.CreateKey(r.Context(), v.account.ID, name, "")
	if e, ok := carillon.AsError(err); ok && e.Code == carillon.CodeInvalidParameter {
		return s.showKeys(w, r, v, http.StatusUnprocessableEntity, keysPage{Name: name, Problem: e.Message})
	}
	if err != nil {
		return err
	}
	return s.showKeys(w, r, v, http.StatusCreated, keysPage{Created: &createdKey{Name: key.Name, Secret: secret}})
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, v *visit) error {
	if _, err := s.accounts.RevokeKey(r.Context(), v.account.ID, r.PostFormValue("prefix")); err != nil {
		return err
	}
	http.Redirect(w, r, "/settings/api-keys", http.StatusSeeOther)
	return nil
}
