package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// users are the account's users as the console manages them: the list,
// invitations and roles (users.go), a user's own sessions and password
// (account.go). *service.People is one.
type users interface {
	ListUsers(ctx context.Context, accountID int64) ([]carillon.User, error)
	Invite(ctx context.Context, accountID int64, email, name string, role carillon.Role) (carillon.User, string, error)
	SetRole(ctx context.Context, accountID int64, userUUID string, role carillon.Role) error
	Sessions(ctx context.Context, accountID, userID int64) ([]carillon.Session, error)
	EndSession(ctx context.Context, accountID, userID, sessionID int64) error
	ChangePassword(ctx context.Context, accountID, userID int64, current, password, keepToken string, c service.SignInClient) error
}

// usersPage is the account's users, with the link of the user just
// invited (shown this once) or the problem of the form just sent.
type usersPage struct {
	Users []userRow
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

func (s *Server) showUsers(w http.ResponseWriter, r *http.Request, v *visit, status int, p usersPage) error {
	list, err := s.users.ListUsers(r.Context(), v.account.ID)
	if err != nil {
		return err
	}
	for _, u := range list {
		p.Users = append(p.Users, userRow{User: u, Self: u.ID == v.user.ID})
	}
	p.Roles = carillon.Roles
	p.LinkLifetime = linkLifetime()
	s.render(w, r, v, status, "users", p)
	return nil
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
	u, err := s.userOf(r, v, r.PostFormValue("user"))
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
	http.Redirect(w, r, "/settings/users", http.StatusSeeOther)
	return nil
}

// userOf finds the account's user of a uuid: another account's is not
// found, as one that does not exist.
func (s *Server) userOf(r *http.Request, v *visit, uuid string) (carillon.User, error) {
	list, err := s.users.ListUsers(r.Context(), v.account.ID)
	if err != nil {
		return carillon.User{}, err
	}
	for _, u := range list {
		if u.UUID == uuid {
			return u, nil
		}
	}
	return carillon.User{}, carillon.NotFound("user")
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
