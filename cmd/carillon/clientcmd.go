package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/carillon/carillon/client"
	"github.com/carillon/carillon/config"
)

// printAnswer writes the server's JSON answer, also for an API error (then
// the command fails with the error's code).
func printAnswer(e env, raw []byte, err error) error {
	if len(raw) > 0 {
		fmt.Fprintln(e.stdout, strings.TrimRight(string(raw), "\n"))
	}
	var apiErr *client.Error
	if errors.As(err, &apiErr) {
		return fmt.Errorf("%d %s: %s", apiErr.StatusCode, apiErr.Code, apiErr.Message)
	}
	return err
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
	var h http.Header
	if *idem != "" {
		h = http.Header{"Idempotency-Key": {*idem}}
	}
	raw, err := c.Do(ctx, http.MethodPost, "/v1/messages/send", client.SendParams{
		To: *to, From: *from, ChannelUUID: *channel, Type: "text", Content: client.Content{Text: *text},
	}, nil, h)
	return printAnswer(e, raw, err)
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
	raw, err := c.Do(ctx, http.MethodGet, "/v1/messages/status/"+url.PathEscape(rest[0]), nil, nil, nil)
	return printAnswer(e, raw, err)
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
	raw, err := c.Do(ctx, http.MethodPost, "/v1/sandbox/inbound", client.SandboxInboundParams{From: *from, Text: *text, ChannelUUID: *channel}, nil, nil)
	return printAnswer(e, raw, err)
}
