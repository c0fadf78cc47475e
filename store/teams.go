package store

import (
	"context"
	"time"

	"github.com/carillon/carillon"
)

// Teams and their members: the team_members link rows belong to the team.

func (q *queries) CreateTeam(ctx context.Context, t *carillon.Team) error {
	return q.insertRow(ctx, "INSERT INTO teams (uuid, account_id, name, is_default, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
		t.UUID, t.AccountID, t.Name, boolInt(t.Default), ms(t.CreatedAt)).Scan(&t.ID)
}

const teamCols = "id, uuid, account_id, name, is_default, created_at"

func scanTeam(r interface{ Scan(...any) error }) (carillon.Team, error) {
	var t carillon.Team
	var def, created int64
	err := r.Scan(&t.ID, &t.UUID, &t.AccountID, &t.Name, &def, &created)
	t.Default, t.CreatedAt = def != 0, at(created)
	return t, err
}

func (q *queries) ListTeams(ctx context.Context, accountID int64, page carillon.Page) ([]carillon.Team, int, error) {
	return listPage(q, ctx, scanTeam, "SELECT "+teamCols+" FROM teams WHERE account_id = ? ORDER BY id",
		"SELECT COUNT(*) FROM teams WHERE account_id = ?", page, accountID)
}

func (q *queries) AllTeams(ctx context.Context, accountID int64) ([]carillon.Team, error) {
	return list(q, ctx, scanTeam, "SELECT "+teamCols+" FROM teams WHERE account_id = ? ORDER BY id", accountID)
}

func (q *queries) UpdateTeam(ctx context.Context, t *carillon.Team) error {
	return affected(q.exec(ctx, "UPDATE teams SET name = ?, is_default = ? WHERE account_id = ? AND id = ?",
		t.Name, boolInt(t.Default), t.AccountID, t.ID))
}

func (q *queries) TeamByID(ctx context.Context, accountID, id int64) (carillon.Team, error) {
	return scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE account_id = ? AND id = ?", accountID, id))
}

func (q *queries) TeamsByIDs(ctx context.Context, accountID int64, ids []int64) (map[int64]carillon.TeamWithMembers, error) {
	out := make(map[int64]carillon.TeamWithMembers, len(ids))
	err := q.byIDs(ctx, ids, "SELECT "+teamCols+`, (SELECT COUNT(*) FROM team_members WHERE team_members.team_id = teams.id)
		FROM teams WHERE account_id = ? AND id IN (%s)`, func(r interface{ Scan(...any) error }) error {
		var members int
		t, err := scanTeam(&scanWith{r: r, more: &members})
		if err != nil {
			return err
		}
		out[t.ID] = carillon.TeamWithMembers{Team: t, Members: members}
		return nil
	}, accountID)
	return out, err
}

func (q *queries) TeamByUUID(ctx context.Context, accountID int64, uuid string) (carillon.Team, error) {
	return scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE account_id = ? AND uuid = ?", accountID, uuid))
}

// TeamByName returns the oldest team of the name: team names are not unique
// in the schema.
func (q *queries) TeamByName(ctx context.Context, accountID int64, name string) (carillon.Team, error) {
	return scanTeam(q.queryRow(ctx, "SELECT "+teamCols+" FROM teams WHERE account_id = ? AND name = ? ORDER BY id LIMIT 1", accountID, name))
}

// membersOrder lists a team's members by email, compared byte by byte on
// both databases (PostgreSQL would otherwise follow the database's
// collation), then by id.
func (q *queries) membersOrder() string {
	return " ORDER BY email" + q.db.dialect.byBytes + ", id"
}

const membersOf = "FROM users WHERE id IN (SELECT user_id FROM team_members WHERE team_id = ?)"

func (q *queries) ListTeamMembers(ctx context.Context, teamID int64, f carillon.TeamMemberFilter, page carillon.Page) ([]carillon.User, int, error) {
	where := membersOf
	args := []any{teamID}
	if f.Available != nil {
		where += " AND available = ?"
		args = append(args, boolInt(*f.Available))
	}
	return listPage(q, ctx, scanUser, "SELECT "+userCols+" "+where+q.membersOrder(), "SELECT COUNT(*) "+where, page, args...)
}

func (q *queries) TeamMembers(ctx context.Context, teamID int64) ([]carillon.User, error) {
	return list(q, ctx, scanUser, "SELECT "+userCols+" "+membersOf+q.membersOrder(), teamID)
}

func (q *queries) CountTeamMembers(ctx context.Context, accountID int64) (map[int64]int, error) {
	out := map[int64]int{}
	err := q.scanRows(ctx, func(r interface{ Scan(...any) error }) error {
		var team int64
		var n int
		if err := r.Scan(&team, &n); err != nil {
			return err
		}
		out[team] = n
		return nil
	}, `SELECT teams.id, COUNT(team_members.user_id) FROM teams LEFT JOIN team_members ON team_members.team_id = teams.id
		WHERE teams.account_id = ? GROUP BY teams.id`, accountID)
	return out, err
}

func (q *queries) TeamMemberCount(ctx context.Context, teamID int64) (int, error) {
	return q.count(ctx, "SELECT COUNT(*) FROM team_members WHERE team_id = ?", teamID)
}

func (q *queries) UserTeamIDs(ctx context.Context, accountID, userID int64) ([]int64, error) {
	return list(q, ctx, func(r interface{ Scan(...any) error }) (int64, error) {
		var id int64
		return id, r.Scan(&id)
	}, "SELECT team_id FROM team_members WHERE user_id = ? AND team_id IN (SELECT id FROM teams WHERE account_id = ?) ORDER BY team_id",
		userID, accountID)
}

func (q *queries) AddTeamMember(ctx context.Context, teamID, userID int64, t time.Time) error {
	_, err := q.exec(ctx, "INSERT INTO team_members (team_id, user_id, added_at) VALUES (?, ?, ?)", teamID, userID, ms(t))
	return err
}

func (q *queries) RemoveTeamMember(ctx context.Context, teamID, userID int64) error {
	return affected(q.exec(ctx, "DELETE FROM team_members WHERE team_id = ? AND user_id = ?", teamID, userID))
}
