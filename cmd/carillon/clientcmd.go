package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/carillon/carillon/client"
	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/wire"
)

// printAnswer writes the answer as the API wrote it: the value under its
// name (as {"message": …}), or, for an API error, the error object (then
// the command fails with the error's code). The encoding is the server's
// (no HTML escaping, one line).
func printAnswer[T any](e env, name string, v T, err error) error {
	var apiErr *client.Error
	switch {
	case errors.As(err, &apiErr):
		if perr := printJSON(e, wire.ErrorAnswer{Error: apiErr.ErrorDetail}); perr != nil {
			return perr
		}
		return fmt.Errorf("%d %s: %s", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	case err != nil:
		return err
	}
	return printJSON(e, map[string]T{name: v})
}

func printJSON(e env, v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

func newClient(cfg config.Config) (*client.Client, error) {
	if cfg.APIKey == "" {
		return nil, usageError{"an API key is needed: --api-key or CARILLON_API_KEY"}
	}
	return client.New(cfg.URL, cfg.APIKey), nil
}

func sendCmd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "send")
	to := fs.String("to", "", "the recipient: a phone number in international form, or a Telegram chat id")
	text := fs.String("text", "", "the message's `text`")
	from := fs.String("from", "whatsapp", "the channel `type`: whatsapp, telegram, facebook or instagram")
	channel := fs.String("channel", "", "the `uuid` of the channel to send on (default: the main channel of the type)")
	idem := fs.String("idempotency-key", "", "an Idempotency-Key: a retry with the same `key` sends nothing twice")
	cfg, rest, err := parseConfig(e, fs, args, config.ClientScope)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *to == "" || *text == "" {
		return usageError{"send needs --to and --text, and no arguments"}
	}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	m, err := c.Send(ctx, client.SendParams{
		To: *to, From: *from, ChannelUUID: *channel, Type: "text", Content: client.Content{Text: *text}, IdempotencyKey: *idem,
	})
	return printAnswer(e, "message", m, err)
}

func statusCmd(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "status")
	cfg, rest, err := parseConfig(e, fs, args, config.ClientScope)
	if err != nil {
		return err
	}
	if len(rest) != 1 {
		return usageError{"status takes one argument: the message's uuid"}
	}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	m, err := c.Status(ctx, rest[0])
	return printAnswer(e, "message", m, err)
}

func sandboxCmd(ctx context.Context, e env, args []string) error {
	_, args, err := subcommand(args, "inbound")
	if err != nil {
		return err
	}
	fs := newFlags(e, "sandbox inbound")
	from := fs.String("from", "", "the customer's phone `number`")
	text := fs.String("text", "", "the customer's message `text`")
	channel := fs.String("channel", "", "the sandbox channel's `uuid` (default: the main WhatsApp channel)")
	cfg, rest, err := parseConfig(e, fs, args, config.ClientScope)
	if err != nil {
		return err
	}
	if len(rest) > 0 || *from == "" || *text == "" {
		return usageError{"sandbox inbound needs --from and --text, and no arguments"}
	}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	m, err := c.SandboxInbound(ctx, client.SandboxInboundParams{From: *from, Text: *text, ChannelUUID: *channel})
	return printAnswer(e, "message", m, err)
}
