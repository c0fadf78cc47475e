package main

import (
	"context"

	"github.com/carillon/carillon/config"
)

// webhooksCmd runs "carillon webhooks redeliver EVENT_ID": a client command
// that attempts a webhook event again now and prints the answer's JSON.
func webhooksCmd(ctx context.Context, e env, args []string) error {
	_, args, err := subcommand(args, "redeliver")
	if err != nil {
		return err
	}
	fs := newFlags(e, "webhooks redeliver")
	cfg, rest, err := parseConfig(e, fs, args, config.ClientScope)
	if err != nil {
		return err
	}
	if len(rest) != 1 || rest[0] == "" {
		return usageError{"webhooks redeliver takes one argument: the event's id (msg_...), as GET /v1/webhooks/events lists it"}
	}
	c, err := newClient(cfg)
	if err != nil {
		return err
	}
	ev, err := c.RedeliverWebhookEvent(ctx, rest[0])
	return printAnswer(e, "webhook_event", ev, err)
}
