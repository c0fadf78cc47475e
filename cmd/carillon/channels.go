package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"text/tabwriter"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/declaration"
	"github.com/carillon/carillon/service"
)

// settingFlags collects repeated --setting KEY=VALUE flags.
type settingFlags map[string]string

func (s settingFlags) String() string { return "" }

func (s settingFlags) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, not %q", v)
	}
	if _, dup := s[k]; dup {
		return fmt.Errorf("setting %s given twice", k)
	}
	s[k] = val
	return nil
}

func channelsCmd(ctx context.Context, e env, args []string) error {
	verb, args, err := subcommand(args, "add", "list")
	if err != nil {
		return err
	}
	fs := newFlags(e, "channels "+verb)
	accountName := fs.String("account", carillon.DefaultAccountName, "the `account` to work on")
	var spec declaration.ChannelSpec
	settings := settingFlags{}
	if verb == "add" {
		fs.StringVar(&spec.Title, "title", "", "the channel's `title`: an existing channel of that title is updated")
		fs.StringVar(&spec.Type, "type", "", "the channel's `type`: whatsapp, telegram, facebook or instagram")
		fs.StringVar(&spec.Provider, "provider", "", "the `provider` that sends and receives: sandbox, whatsapp, telegram, messenger or instagram")
		fs.BoolVar(&spec.Main, "main", false, "make it its type's main channel")
		fs.Var(settings, "setting", "a provider setting, `KEY=VALUE` (repeat the flag for each one)")
	}
	cfg, rest, err := parseConfig(e, fs, args, config.StoreScope)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	}
	if verb == "add" {
		switch {
		case spec.Title == "":
			return usageError{"--title is required"}
		case spec.Type == "":
			return usageError{"--type is required"}
		case spec.Provider == "":
			return usageError{"--provider is required"}
		}
	}
	base := cfg.PublicBaseURL()
	a, acct, err := openAdminAccount(ctx, e, cfg, *accountName)
	if err != nil {
		return err
	}
	defer a.close()
	switch verb {
	case "add":
		spec.Settings = settings
		ch, changes, err := a.svc.Resources.AddChannel(ctx, acct.ID, spec)
		var pe *service.ProblemError
		if errors.As(err, &pe) {
			for _, p := range pe.Problems {
				fmt.Fprintf(e.stderr, "carillon channels add: %s\n", p.Message)
			}
			return errShown{"the channel"}
		}
		if err != nil {
			return err
		}
		for _, line := range changes {
			fmt.Fprintln(e.stdout, line)
		}
		fmt.Fprintln(e.stdout, ch.UUID)
		if u := a.svc.CallbackURL(base, ch); u != "" {
			fmt.Fprintln(e.stdout, u)
		}
		if len(changes) > 0 {
			if err := a.svc.Messages.RegisterCallback(ctx, ch, base); err != nil {
				return err
			}
		}
		learnAddress(ctx, e, a.svc, ch)
	case "list":
		chs, err := a.svc.Store().AllChannels(ctx, acct.ID)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "UUID\tTITLE\tTYPE\tPROVIDER\tMAIN\tCALLBACK URL")
		for _, ch := range chs {
			main, cb := "-", a.svc.CallbackURL(base, ch)
			if ch.Main {
				main = "main"
			}
			if cb == "" {
				cb = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", ch.UUID, ch.Title, ch.Type, ch.Provider, main, cb)
		}
		return tw.Flush()
	}
	return nil
}

// learnMissingAddresses reads, once at start, the own address (number, bot
// username) of each active channel that has none yet: channels declared
// before carillon kept it, or whose network could not be reached then.
func learnMissingAddresses(ctx context.Context, svc *service.Service, log *slog.Logger) {
	accounts, err := svc.Store().ListAccounts(ctx)
	if err != nil {
		return
	}
	for _, a := range accounts {
		channels, err := svc.Store().AllChannels(ctx, a.ID)
		if err != nil {
			return
		}
		for _, ch := range channels {
			if ch.Address != "" || !ch.Active() {
				continue
			}
			if _, err := svc.Messages.LearnAddress(ctx, ch); err != nil && ctx.Err() == nil {
				log.WarnContext(ctx, "channel address not learned", "channel", ch.UUID, "error", err)
			}
		}
	}
}
