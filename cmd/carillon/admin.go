package main

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/service"
)

// adminSession is an admin command's view of the store.
type adminSession struct {
	svc   *service.Service
	close func()
}

func openAdmin(ctx context.Context, e env, cfg config.Config) (*adminSession, error) {
	db, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	log := cfg.NewLogger(e.stderr)
	svc := service.New(service.Options{Store: db, Logger: log, Providers: realProviders(log), Registry: providerRegistry()})
	return &adminSession{svc: svc, close: func() { svc.Close(); db.Close() }}, nil
}

// openAdminAccount opens the store and returns the account to work on.
func openAdminAccount(ctx context.Context, e env, cfg config.Config, name string) (*adminSession, carillon.Account, error) {
	a, err := openAdmin(ctx, e, cfg)
	if err != nil {
		return nil, carillon.Account{}, err
	}
	acct, err := a.account(ctx, name)
	if err != nil {
		a.close()
		return nil, carillon.Account{}, err
	}
	return a, acct, nil
}

// account returns the account to work on, setting up the default one on an
// empty store as serve would (without a key).
func (a *adminSession) account(ctx context.Context, name string) (carillon.Account, error) {
	if name == carillon.DefaultAccountName {
		acct, _, _, err := a.svc.SetupAccount(ctx, name, false)
		return acct, err
	}
	return a.svc.Account(ctx, name)
}

func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func accountsCmd(ctx context.Context, e env, args []string) error {
	verb, args, err := subcommand(args, "create", "list")
	if err != nil {
		return err
	}
	fs := newFlags(e, "accounts "+verb)
	name := fs.String("name", "", "the new account's `name`")
	cfg, rest, err := parseConfig(e, fs, args, config.StoreScope)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	}
	a, err := openAdmin(ctx, e, cfg)
	if err != nil {
		return err
	}
	defer a.close()
	switch verb {
	case "create":
		if *name == "" {
			return usageError{"--name is required"}
		}
		acct, created, secret, err := a.svc.SetupAccount(ctx, *name, true)
		if err != nil {
			return err
		}
		if !created {
			return fmt.Errorf("an account named %q exists already", acct.Name)
		}
		fmt.Fprintf(e.stdout, "created account %s with its team %s and its sandbox WhatsApp channel; its first API key (shown once):\n%s\n", acct.Name, carillon.DefaultTeamName, secret)
	case "list":
		accounts, err := a.svc.Store().ListAccounts(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tCREATED")
		for _, acct := range accounts {
			fmt.Fprintf(tw, "%s\t%s\n", acct.Name, when(acct.CreatedAt))
		}
		return tw.Flush()
	}
	return nil
}

func keysCmd(ctx context.Context, e env, args []string) error {
	verb, args, err := subcommand(args, "create", "list", "revoke")
	if err != nil {
		return err
	}
	fs := newFlags(e, "keys "+verb)
	accountName := fs.String("account", carillon.DefaultAccountName, "the `account` to work on")
	var name, user *string
	if verb == "create" {
		name = fs.String("name", "", "the key's `name`, shown in lists and by GET /v1/auth/me")
		user = fs.String("user", "", "the `email` of the account's user the key acts for (default: the account)")
	}
	cfg, rest, err := parseConfig(e, fs, args, config.StoreScope)
	if err != nil {
		return err
	}
	switch {
	case verb == "revoke" && len(rest) != 1:
		return usageError{"keys revoke takes one argument: the key's name or prefix"}
	case verb != "revoke" && len(rest) > 0:
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	case verb == "create" && *name == "":
		return usageError{"--name is required"}
	}
	a, acct, err := openAdminAccount(ctx, e, cfg, *accountName)
	if err != nil {
		return err
	}
	defer a.close()
	switch verb {
	case "create":
		secret, key, err := a.svc.CreateKey(ctx, acct.ID, *name, *user)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created API key %s (prefix %s) of account %s; its secret is shown once:\n%s\n", key.Name, key.Prefix, acct.Name, secret)
	case "list":
		keys, err := a.svc.ListKeys(ctx, acct.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tPREFIX\tCREATED\tLAST USED\tREVOKED")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", k.Name, k.Prefix, when(k.CreatedAt), when(k.LastUsedAt), when(k.RevokedAt))
		}
		return tw.Flush()
	case "revoke":
		k, err := a.svc.RevokeKey(ctx, acct.ID, rest[0])
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "revoked API key %s (prefix %s)\n", k.Name, k.Prefix)
	}
	return nil
}
