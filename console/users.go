package console

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// users are the account's users as the console manages them: the list,
// invitations and roles (users.go), a user's own sessions and password
// (account.go). *service.People is one.
type users interface {
	UsersPage(ctx context.Context, accountID int64, after string, size int) (service.UserPage, error)
	User(ctx context.Context, accountID int64, uuid string) (carillon.User, error)
	Invite(ctx context.Context, accountID int64, email, name string, role carillon.Role) (carillon.User, string, error)
	SetRole(ctx context.Context, accountID int64, userUUID string, role carillon.Role) error
	Sessions(ctx context.Context, accountID, userID int64) ([]carillon.Session, error)
	EndSession(ctx context.Context, accountID, userID, sessionID int64) error
	ChangePassword(ctx context.Context, accountID, userID int64, current, password, keepToken string, c service.SignInClient) error
}

// usersPerPage is how many users a page of the list shows.
const usersPerPage = 50

// usersPage is a page of the account's users, with the link of the user
// just invited (shown this once) or the problem of the form just sent.
type usersPage struct {
	Users []userRow
	// After is the cursor of this page ("" for the first), which its forms
	// carry to come back to it; Next the link to the next page ("" on the
	// last); Total how many users the account has.
	After string
	Next  string
	Total int
	Roles []carillon.Role
	// Invited is the user just invited and their link.
	Invited *invitedUser
	// Invite is the invitation form's values and its problem.
	Invite inviteForm
	// RoleProblem is the refusal of a role change, and whose.
	RoleProblem     string
	RoleProblemUUID string
	LinkLifetime    string
}

type userRow struct {
	carillon.User
	Self bool
}

type invitedUser struct {
	Email, Name string
	Role        carillon.Role
	Link        string
	// Again: the user was invited before; the earlier link still works
	// until it expires.
	Again bool
}

type inviteForm struct {
	Email, Name  string
	Role         carillon.Role
	Problem      string
	ProblemField string
}

// linkLifetime says how long an invitation's link works, in words.
func linkLifetime() string {
	if days := int(service.InviteLinkLifetime / (24 * time.Hour)); days > 1 {
		return fmt.Sprintf("%d days", days)
	}
	return service.InviteLinkLifetime.String()
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request, v *visit) error {
	return s.showUsers(w, r, v, http.StatusOK, usersPage{Invite: inviteForm{Role: carillon.RoleAgent}})
}

// showUsers renders the page of the users that the request names: after
// in its query, or in the form that was sent from that page.
func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, v *visit, status int, p usersPage) error {
	p.After = r.FormValue("after")
	page, err := s.users.UsersPage(r.Context(), v.account.ID, p.After, usersPerPage)
	if err != nil {
		return err
	}
	for _, u := range page.Users {
		p.Users = append(p.Users, userRow{User: u, Self: u.ID == v.user.ID})
	}
	if page.Next != "" {
		p.Next = "/settings/users?after=" + url.QueryEscape(page.Next)
	}
	p.Total = page.Total
	p.Roles = carillon.Roles
	p.LinkLifetime = linkLifetime()
	s.render(w, r, v, status, "users", p)
	return nil
}

// usersPath is the users page that the form sent from it came from.
func usersPath(r *http.Request) string {
	if after := r.PostFormValue("after"); after != "" {
		return "/settings/users?after=" + url.QueryEscape(after)
	}
	return "/settings/users"
}

// invite makes a user without a password and answers with the page that
// shows their one-time link: the answer is the only place it is ever
// shown, carillon sends no e-mail.
func (s *Server) invite(w http.ResponseWriter, r *http.Request, v *visit) error {
	form := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), Name: strings.TrimSpace(r.PostFormValue("name")),
		Role: carillon.Role(r.PostFormValue("role"))}
	u, link, err := s.users.Invite(r.Context(), v.account.ID, form.Email, form.Name, form.Role)
	if e, ok := formProblem(err); ok {
		form.Problem, form.ProblemField = e.Message, e.Field
		return s.showUsers(w, r, v, statusOf(e.Code), usersPage{Invite: form})
	}
	if err != nil {
		return err
	}
	return s.showUsers(w, r, v, http.StatusCreated, usersPage{Invite: inviteForm{Role: carillon.RoleAgent},
		Invited: &invitedUser{Email: u.Email, Name: u.Name, Role: u.Role, Link: link}})
}

// newLink gives a user who has no password yet a new one-time link (the
// earlier one still works until it expires).
func (s *Server) newLink(w http.ResponseWriter, r *http.Request, v *visit) error {
	u, err := s.users.User(r.Context(), v.account.ID, r.PostFormValue("user"))
	if err != nil {
		return err
	}
	u, link, err := s.users.Invite(r.Context(), v.account.ID, u.Email, u.Name, u.Role)
	if err != nil {
		return err
	}
	return s.showUsers(w, r, v, http.StatusCreated, usersPage{Invite: inviteForm{Role: carillon.RoleAgent},
		Invited: &invitedUser{Email: u.Email, Name: u.Name, Role: u.Role, Link: link, Again: true}})
}

// setRole changes a user's role; the service refuses to demote the last
// admin who can sign in, which the page shows beside that user.
func (s *Server) setRole(w http.ResponseWriter, r *http.Request, v *visit) error {
	uuid := r.PostFormValue("user")
	err := s.users.SetRole(r.Context(), v.account.ID, uuid, carillon.Role(r.PostFormValue("role")))
	if e, ok := formProblem(err); ok {
		return s.showUsers(w, r, v, statusOf(e.Code), usersPage{Invite: inviteForm{Role: carillon.RoleAgent}, RoleProblem: e.Message, RoleProblemUUID: uuid})
	}
	if err != nil {
		return err
	}
	http.Redirect(w, r, usersPath(r), http.StatusSeeOther)
	return nil
}

// formProblem is err when it is one the user fixes on the form: a field
// named by the service as invalid, taken, or in conflict with a rule.
func formProblem(err error) (*carillon.Error, bool) {
	e, ok := carillon.AsError(err)
	if !ok || e.Field == "" {
		return nil, false
	}
	switch e.Code {
	case carillon.CodeInvalidParameter, carillon.CodeAlreadyExists, carillon.CodeConflict:
		return e, true
	}
	return nil, false
}
