package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"golang.org/x/term"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/config"
)

func usersCmd(ctx context.Context, e env, args []string) error {
	verb, args, err := subcommand(args, "create", "passwd", "list")
	if err != nil {
		return err
	}
	fs := newFlags(e, "users "+verb)
	accountName := fs.String("account", carillon.DefaultAccountName, "the `account` to work on")
	var email, name, role *string
	var fromStdin *bool
	if verb == "create" {
		email = fs.String("email", "", "the user's `email`: what they sign in with")
		name = fs.String("name", "", "the user's `name`")
		role = fs.String("role", "", "the user's `role`: admin, agent, restricted_agent or settings_agent")
	}
	if verb != "list" {
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input instead of prompting for it")
	}
	cfg, rest, err := parseConfig(e, fs, args, config.StoreScope)
	if err != nil {
		return err
	}
	switch {
	case verb == "passwd" && len(rest) != 1:
		return usageError{"users passwd takes one argument: the user's email"}
	case verb != "passwd" && len(rest) > 0:
		return usageError{fmt.Sprintf("unexpected arguments %q", rest)}
	case verb == "create" && (*email == "" || *name == "" || *role == ""):
		return usageError{"--email, --name and --role are required"}
	}
	if verb == "create" {
		if _, err := carillon.ParseRole(*role); err != nil {
			return usageError{fmt.Sprintf("--role %q: one of admin, agent, restricted_agent, settings_agent", *role)}
		}
	}
	var password string
	if fromStdin != nil {
		// Read before the store is opened: a prompt waits for a person.
		if password, err = readPassword(e, *fromStdin); err != nil {
			return err
		}
	}
	a, acct, err := openAdminAccount(ctx, e, cfg, *accountName)
	if err != nil {
		return err
	}
	defer a.close()
	people := a.svc.People
	switch verb {
	case "create":
		u, err := people.CreateUser(ctx, acct.ID, *email, *name, carillon.Role(*role), password)
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "created user %s (%s, role %s) of account %s\n", u.Email, u.Name, u.Role, acct.Name)
	case "passwd":
		if err := people.SetPassword(ctx, acct.ID, rest[0], password); err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "set the password of %s of account %s; their console sessions ended\n", strings.ToLower(strings.TrimSpace(rest[0])), acct.Name)
	case "list":
		// A page at a time (service.MaxPageSize users), each page's
		// columns aligned on their own.
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "EMAIL\tNAME\tROLE\tLAST SIGN-IN")
		return people.EachUser(ctx, acct.ID, func(users []carillon.User) error {
			for _, u := range users {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Email, u.Name, u.Role, when(u.LastSignInAt))
			}
			return tw.Flush()
		})
	}
	return nil
}

// readPassword reads a new password: the first line of standard input
// with fromStdin, else typed twice at the terminal without echo. Standard
// input that is no terminal, without fromStdin, is refused rather than
// read: a password piped in by mistake would otherwise be taken silently.
func readPassword(e env, fromStdin bool) (string, error) {
	if fromStdin {
		line, err := bufio.NewReader(e.stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			return "", errors.New("standard input holds no password: give it on the first line")
		}
		return line, nil
	}
	f, ok := e.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usageError{"standard input is not a terminal: give --password-stdin to read the password from it"}
	}
	fd := int(f.Fd())
	fmt.Fprint(e.stderr, "Password: ")
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	fmt.Fprint(e.stderr, "Password again: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(e.stderr)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ: nothing was changed")
	}
	return string(first), nil
}
