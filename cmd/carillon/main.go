// Command carillon is the carillon server and its command line: serve runs
// the server; accounts, keys, users, apply and channels administer the
// store; send, status, sandbox and webhooks talk to a running server.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

const usage = `carillon: a self-hosted business messaging server that speaks the Callbell API.

Usage: carillon COMMAND [flags] [arguments]

Server:
  serve                          run the server

Administration (on the store; --data or --database-url):
  accounts create --name NAME    make another account; prints its first API key
  accounts list                  list accounts
  keys create --name NAME [--user EMAIL]   make an API key; prints its secret on the last line
  keys list                      list API keys
  keys revoke NAME_OR_PREFIX     revoke an API key
  users create --email E --name N --role ROLE [--password-stdin]
                                 make a console user; prompts for the password (twice)
  users passwd EMAIL [--password-stdin]   set a user's password; their sessions end
  users list                     list users: email, name, role, last sign-in
  apply FILE                     declare the account's channels, users, teams, tags, fields,
                                 templates, funnels and custom statuses (docs/accounts.md)
  channels add --title T --type TYPE --provider P [--main] [--setting KEY=VALUE]...
                                 add or update a channel; prints its uuid and callback URL
  channels list                  list channels with their callback URLs
  templates sync [--channel UUID]
                                 read WhatsApp channels' templates from Meta (serve does it hourly)

Client (on a running server; --url, --api-key or CARILLON_URL, CARILLON_API_KEY):
  send --to NUMBER --text TEXT [--from TYPE] [--channel UUID] [--idempotency-key KEY]
  status UUID                    a message's status
  sandbox inbound --from NUMBER --text TEXT [--channel UUID]   simulate a customer's message
  webhooks redeliver EVENT_ID    deliver a webhook event again now

Run "carillon COMMAND -h" for a command's flags. Every setting is described in docs/configuration.md.
`

// usageError is a mistake in the command line: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

// env is what a command reads and writes: injected so tests run commands in
// process.
type env struct {
	args   []string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	getenv func(string) string
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		tuneCollector(os.Getenv)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, env{args: os.Args[1:], stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}))
}

// run runs one command and returns its exit status.
func run(ctx context.Context, e env) int {
	if len(e.args) == 0 {
		fmt.Fprint(e.stderr, usage)
		return 2
	}
	cmd, rest := e.args[0], e.args[1:]
	var err error
	switch cmd {
	case "serve":
		err = serve(ctx, e, rest)
	case "accounts":
		err = accountsCmd(ctx, e, rest)
	case "keys":
		err = keysCmd(ctx, e, rest)
	case "users":
		err = usersCmd(ctx, e, rest)
	case "apply":
		err = applyCmd(ctx, e, rest)
	case "channels":
		err = channelsCmd(ctx, e, rest)
	case "templates":
		err = templatesCmd(ctx, e, rest)
	case "send":
		err = sendCmd(ctx, e, rest)
	case "status":
		err = statusCmd(ctx, e, rest)
	case "sandbox":
		err = sandboxCmd(ctx, e, rest)
	case "webhooks":
		err = webhooksCmd(ctx, e, rest)
	case "help", "-h", "--help":
		fmt.Fprint(e.stdout, usage)
		return 0
	default:
		err = usageError{fmt.Sprintf("unknown command %q", cmd)}
	}
	var ue usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "carillon %s: %s\n\n%s", cmd, ue.msg, usage)
		return 2
	default:
		fmt.Fprintf(e.stderr, "carillon %s: %s\n", cmd, err)
		return 1
	}
}

// subcommand splits "keys create ..." into its verb and the rest.
func subcommand(args []string, verbs ...string) (string, []string, error) {
	if len(args) == 0 {
		return "", nil, usageError{fmt.Sprintf("missing subcommand: one of %v", verbs)}
	}
	for _, v := range verbs {
		if args[0] == v {
			return v, args[1:], nil
		}
	}
	return "", nil, usageError{fmt.Sprintf("unknown subcommand %q: one of %v", args[0], verbs)}
}

// newFlags returns a flag set that reports errors to the caller instead of
// exiting, and prints its usage to stderr.
func newFlags(e env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet("carillon "+name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	return fs
}
