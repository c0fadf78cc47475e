package main

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/service"
)

// applyCmd declares the account's resources from a YAML file.
func applyCmd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "apply")
	accountName := fs.String("account", carillon.DefaultAccountName, "the `account` to work on")
	cfg, rest, err := parseConfig(e, fs, args, config.StoreScope)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"apply takes one argument: the YAML file (flags come before it)"}
	}
	base := cfg.PublicBaseURL()
	file := rest[0]
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	// The file is checked whole before the store is opened: a broken file
	// touches nothing.
	decl, err := service.ParseDeclaration(file, data, providerRegistry())
	if err != nil {
		return refused(e, err)
	}
	a, acct, err := openAdminAccount(ctx, e, cfg, *accountName)
	if err != nil {
		return err
	}
	defer a.close()
	res, err := a.svc.Apply(ctx, acct.ID, decl)
	if err != nil {
		return refused(e, err)
	}
	for _, line := range res.Changes {
		fmt.Fprintln(e.stdout, line)
	}
	for _, ch := range res.Channels {
		fmt.Fprintln(e.stdout, a.svc.CallbackURL(base, ch))
	}
	// setWebhook is idempotent: registering every declared channel that
	// needs it keeps the network's URL and secret as the file says.
	for _, ch := range res.Channels {
		if err := a.svc.RegisterCallback(ctx, ch, base); err != nil {
			return err
		}
		learnAddress(ctx, e, a.svc, ch)
	}
	return nil
}

// learnAddress reads a declared channel's own number (or bot username) from
// its network, for the business side of its messages. A network that does
// not answer is no reason to refuse the declaration: it is said on standard
// error, and a WhatsApp channel learns its number from its next callback.
func learnAddress(ctx context.Context, e env, svc *service.Service, ch carillon.Channel) {
	if _, err := svc.LearnAddress(ctx, ch); err != nil {
		fmt.Fprintf(e.stderr, "carillon: warning: %v\n", err)
	}
}

// errShown is a failure whose reasons are on standard error already; it
// says what was refused.
type errShown struct{ what string }

func (e errShown) Error() string { return e.what + " was refused; nothing was written" }

// refused writes the problems of a refused file, one FILE:LINE: problem per
// line.
func refused(e env, err error) error {
	var ae *service.ApplyError
	if !errors.As(err, &ae) {
		return err
	}
	fmt.Fprintln(e.stderr, ae.Error())
	return errShown{"the file"}
}
