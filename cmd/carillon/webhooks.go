package main

import (
	"context"
	"net/http"
	"net/url"

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
	raw, err := c.Do(ctx, http.MethodPost, "/v1/webhooks/events/"+url.PathEscape(rest[0])+"/redeliver", nil, nil, nil)
	return printAnswer(e, raw, err)
}
