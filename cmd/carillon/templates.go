package main

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/service"
)

// templatesCmd runs `carillon templates sync [--channel UUID]`: it reads
// the WhatsApp channels' templates from Meta into carillon.
func templatesCmd(ctx context.Context, e env, args []string) error {
	verb, args, err := subcommand(args, "sync")
	if err != nil {
		return err
	}
	fs := newFlags(e, "templates "+verb)
	accountName := fs.String("account", carillon.DefaultAccountName, "the `account` to work on")
	channel := fs.String("channel", "", "sync only the channel of this `uuid`")
	cfg, rest, err := parseConfig(e, fs, args, config.StoreScope)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	}
	a, acct, err := openAdminAccount(ctx, e, cfg, *accountName)
	if err != nil {
		return err
	}
	defer a.close()
	changes, err := a.svc.Messages.SyncTemplates(ctx, acct.ID, *channel)
	for _, line := range changes {
		fmt.Fprintln(e.stdout, line)
	}
	return err
}

// syncTemplatesHourly keeps every account's WhatsApp templates in step with
// Meta, once at start and then every hour.
func syncTemplatesHourly(ctx context.Context, svc *service.Service, log *slog.Logger) {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		accounts, err := svc.Store().ListAccounts(ctx)
		if err == nil {
			for _, a := range accounts {
				if changes, err := svc.Messages.SyncTemplates(ctx, a.ID, ""); err != nil {
					log.WarnContext(ctx, "template sync failed", "account", a.Name, "error", err)
				} else if len(changes) > 0 {
					log.InfoContext(ctx, "templates synced", "account", a.Name, "changes", len(changes))
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
