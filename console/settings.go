package console

import (
	"context"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
)

// catalogues are the account's teams, tags, custom fields, funnels,
// custom statuses and templates. *service.Resources is one.
type catalogues interface {
	ListTeams(ctx context.Context, p service.Principal, pr service.PageRequest) ([]service.TeamView, service.PageInfo, error)
	Team(ctx context.Context, p service.Principal, uuid string) (service.TeamView, error)
	TeamMembers(ctx context.Context, p service.Principal, uuid, status string, pr service.PageRequest) ([]service.Member, service.PageInfo, error)
	UpdateTeam(ctx context.Context, p service.Principal, uuid string, u service.TeamUpdate) (service.TeamView, error)
	DeclareTeam(ctx context.Context, p service.Principal, t service.TeamEntry) ([]string, error)
	ListTags(ctx context.Context, p service.Principal) ([]carillon.Tag, error)
	DeclareTag(ctx context.Context, p service.Principal, name string) ([]string, error)
	ListCustomFields(ctx context.Context, p service.Principal) ([]carillon.CustomField, error)
	DeclareField(ctx context.Context, p service.Principal, f service.FieldEntry) ([]string, error)
}
