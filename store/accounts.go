package store

import (
	"context"

	"github.com/carillon/carillon"
)

// Accounts: the tenants. Nothing else is kept here: every other aggregate
// carries its account id.

func (q *queries) CreateAccount(ctx context.Context, a *carillon.Account) error {
	return q.insertRow(ctx, "INSERT INTO accounts (uuid, name, created_at) VALUES (?, ?, ?) RETURNING id",
		a.UUID, a.Name, ms(a.CreatedAt)).Scan(&a.ID)
}

const accountCols = "id, uuid, name, created_at"

func scanAccount(r interface{ Scan(...any) error }) (carillon.Account, error) {
	var a carillon.Account
	var created int64
	err := r.Scan(&a.ID, &a.UUID, &a.Name, &created)
	a.CreatedAt = at(created)
	return a, err
}

func (q *queries) AccountByID(ctx context.Context, id int64) (carillon.Account, error) {
	return scanAccount(q.queryRow(ctx, "SELECT "+accountCols+" FROM accounts WHERE id = ?", id))
}

func (q *queries) AccountByName(ctx context.Context, name string) (carillon.Account, error) {
	return scanAccount(q.queryRow(ctx, "SELECT "+accountCols+" FROM accounts WHERE name = ?", name))
}

func (q *queries) ListAccounts(ctx context.Context) ([]carillon.Account, error) {
	return list(q, ctx, scanAccount, "SELECT "+accountCols+" FROM accounts ORDER BY id")
}

// LockAccount reads the account's row with the dialect's lock: PostgreSQL
// keeps it locked to the end of the transaction, and a transaction that
// asks for it waits for the one that holds it; a statement after it
// (read committed) sees what that one wrote. SQLite's single writer runs
// one write transaction at a time (BEGIN IMMEDIATE, across processes too)
// and needs no lock.
func (q *queries) LockAccount(ctx context.Context, id int64) error {
	return q.queryRow(ctx, "SELECT id FROM accounts WHERE id = ?"+q.db.dialect.lockRows, id).Scan(&id)
}
