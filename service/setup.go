package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/carillon/carillon"
)

// FirstKeyName names the API key that a new account is given.
const FirstKeyName = "first"

// SandboxChannelTitle is the title of the main WhatsApp channel that a new
// account starts with, on the sandbox provider.
const SandboxChannelTitle = "sandbox"

// SetupAccount makes sure the account exists. A new account gets its default
// team "General" and its main WhatsApp channel on the sandbox provider, and,
// with withKey, a first API key, whose secret is returned (once). created
// tells whether the account was made by this call.
func (s *Service) SetupAccount(ctx context.Context, name string, withKey bool) (acct carillon.Account, created bool, secret string, err error) {
	if name == "" {
		return acct, false, "", carillon.Invalid("name", "an account needs a name")
	}
	for range 2 {
		acct, err = s.store.AccountByName(ctx, name)
		if err == nil {
			return acct, false, "", nil
		}
		if !errors.Is(err, carillon.ErrNotFound) {
			return acct, false, "", err
		}
		err = s.store.InTx(ctx, func(q carillon.Queries) error {
			var err error
			acct, secret, err = createAccount(ctx, q, name, withKey, s.clock.Now(), defaultSettings(s.registry, carillon.ProviderSandbox))
			return err
		})
		if errors.Is(err, carillon.ErrConflict) {
			// Another process made it at the same moment: use theirs.
			continue
		}
		return acct, err == nil, secret, err
	}
	return acct, false, "", fmt.Errorf("account %q: %w", name, err)
}

// createAccount makes the account, its default team and its main
// WhatsApp channel, a sandbox one with sandboxSettings.
func createAccount(ctx context.Context, q carillon.Queries, name string, withKey bool, now time.Time, sandboxSettings map[string]string) (carillon.Account, string, error) {
	acct := carillon.Account{UUID: carillon.NewUUID(), Name: name, CreatedAt: now}
	if err := q.CreateAccount(ctx, &acct); err != nil {
		return acct, "", err
	}
	team := carillon.Team{UUID: carillon.NewUUID(), AccountID: acct.ID, Name: carillon.DefaultTeamName, Default: true, CreatedAt: now}
	if err := q.CreateTeam(ctx, &team); err != nil {
		return acct, "", err
	}
	ch := carillon.Channel{
		UUID: carillon.NewUUID(), AccountID: acct.ID, Title: SandboxChannelTitle, Type: carillon.WhatsApp,
		Provider: carillon.ProviderSandbox, Main: true, Settings: sandboxSettings,
		CreatedAt: now, UpdatedAt: now,
	}
	if err := q.CreateChannel(ctx, &ch); err != nil {
		return acct, "", err
	}
	if !withKey {
		return acct, "", nil
	}
	secret, _, err := createKey(ctx, q, acct.ID, FirstKeyName, "", now)
	return acct, secret, err
}

// Account returns the account with that name.
func (s *Service) Account(ctx context.Context, name string) (carillon.Account, error) {
	a, err := s.store.AccountByName(ctx, name)
	if errors.Is(err, carillon.ErrNotFound) {
		return a, carillon.NotFound("account " + name)
	}
	return a, err
}
