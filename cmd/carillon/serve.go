package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/pprof"
	"path/filepath"
	"runtime/debug"
	"syscall"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/config"
	"github.com/carillon/carillon/console"
	"github.com/carillon/carillon/httpapi"
	"github.com/carillon/carillon/media"
	"github.com/carillon/carillon/outbox"
	"github.com/carillon/carillon/provider/sandbox"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/store"
	"github.com/carillon/carillon/telemetry"
	"github.com/carillon/carillon/webhook"
)

// shutdownGrace bounds a graceful stop: requests in flight, then provider
// calls in flight, then the commits they wait for.
const shutdownGrace = 25 * time.Second

func serve(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "serve")
	cfg, rest, err := parseConfig(e, fs, args, config.ServeScope)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usageError{fmt.Sprintf("serve takes no arguments, got %q", rest)}
	}
	log := cfg.NewLogger(e.stderr)

	if cfg.DatabaseURL == "" {
		release, err := lockDataFolder(cfg.Data)
		if err != nil {
			return err
		}
		defer release()
	}
	db, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	// A diagnosis only: a database that answers is used even when it
	// cannot be asked.
	warnings, err := db.SettingWarnings(ctx)
	if err != nil {
		log.Warn("cannot read the database's settings", "error", err)
	}
	for _, w := range warnings {
		log.Warn(w)
	}

	var idb [8]byte
	_, _ = rand.Read(idb[:])
	instanceID := hex.EncodeToString(idb[:])
	metrics := telemetry.New()
	files, err := media.Open(filepath.Join(cfg.Data, "media"))
	if err != nil {
		return fmt.Errorf("opening the media folder: %w", err)
	}
	registry, providers := providerRegistry(), realProviders(log)
	svc := service.New(service.Options{Store: db, Logger: log, Metrics: metrics, InstanceID: instanceID, PublicURL: cfg.PublicBaseURL(),
		Providers: providers, Registry: registry, Media: files,
		PlanChannels: cfg.PlanChannels, PlanLicenses: cfg.PlanLicenses,
		Webhooks: service.WebhookOptions{AllowPrivate: cfg.WebhookAllowPrivate, RetryFor: cfg.WebhookRetryFor,
			RetryBase: cfg.WebhookRetryBase, LogRetention: cfg.WebhookLogRetention},
		People: service.PeopleOptions{SessionLifetime: cfg.SessionLifetime, SignInFailureLimit: cfg.SignInFailureLimit}})
	defer svc.Close()

	box := sandbox.New(cfg.SandboxDelay, func(ctx context.Context, ch carillon.Channel, r carillon.Receipt) {
		if _, err := svc.Messages.ApplyReceipt(ctx, ch, r); err != nil {
			log.Error("sandbox receipt not recorded", "message", r.MessageUUID, "status", r.Status, "error", err)
		}
	})
	defer box.Close()
	senders := maps.Clone(providers)
	senders[carillon.ProviderSandbox] = box
	if err := registry.CheckImplementations(senders); err != nil {
		return err
	}
	pipeline := outbox.New(outbox.Options{
		Store: db, Recorder: svc.Messages, Logger: log, Metrics: metrics, InstanceID: instanceID,
		Providers: senders, DefaultMPS: registry.DefaultMPS(), MaxAttempts: cfg.SendMaxAttempts,
		RetryBase: cfg.SendRetryBase,
	})
	svc.Notifier().SubscribeSends(pipeline)
	metrics.GaugeFunc("carillon_queue_depth", "Accepted messages waiting in this instance's send pipeline.", func() float64 { return float64(pipeline.Depth()) })

	// Listen before the first start sets the account up: a port taken
	// ends the start before the key and the sign-in link are made, so the
	// next start (on another address) prints them, with its own address
	// in the link. Connections wait in the listen queue until the server
	// serves them.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	defer ln.Close()
	acct, created, secret, err := svc.Accounts.SetupAccount(ctx, carillon.DefaultAccountName, true)
	if err != nil {
		return fmt.Errorf("setting up the default account: %w", err)
	}
	if created {
		fmt.Fprintf(e.stderr, "carillon: created the account %q with its team %q and its main WhatsApp channel %q (sandbox).\n"+
			"carillon: its first API key is printed once on standard output; keep it safe:\n",
			acct.Name, carillon.DefaultTeamName, service.SandboxChannelTitle)
		fmt.Fprintln(e.stdout, secret)
		printFirstAdminLink(ctx, e, svc, acct)
	}
	if err := pipeline.Start(ctx); err != nil {
		return fmt.Errorf("starting the send pipeline: %w", err)
	}
	if err := printCallbackURLs(ctx, e, svc, cfg.PublicBaseURL()); err != nil {
		return err
	}

	srv := httpapi.New(httpapi.Options{Messages: svc.Messages, Callbacks: svc.Messages, MediaFiles: svc.Messages,
		Contacts: svc.Contacts, Resources: svc.Resources, Webhooks: svc.Webhooks, Accounts: svc.Accounts,
		Readiness: svc, Logger: log, Metrics: metrics, RateLimit: cfg.RateLimit,
		AuthFailureLimit: cfg.AuthFailureLimit, ReadTimeout: cfg.ReadTimeout, BodyPaceGrace: cfg.BodyPaceGrace,
		MaxConnections: connectionBound(cfg.MaxConnections, log),
		Console: console.New(console.Options{People: svc.People, Accounts: svc.Accounts, Contacts: svc.Contacts, Inbox: svc.Inbox, Messages: svc.Messages,
			Webhooks: svc.Webhooks, Users: svc.People, Channels: svc.Resources, Networks: svc.Messages, Catalogues: svc.Resources,
			Live: svc.Live, PublicURL: cfg.PublicBaseURL(), Logger: log})})
	log.Info("carillon listening", "addr", ln.Addr().String(), "public_url", cfg.PublicBaseURL(), "store", storeKind(cfg))

	hooks := webhook.New(webhook.Options{Service: svc.Webhooks, Logger: log, Metrics: metrics, Timeout: cfg.WebhookTimeout,
		Concurrency: cfg.WebhookConcurrency, AllowPrivate: cfg.WebhookAllowPrivate,
		LeaseSlack: cfg.WebhookLeaseSlack})
	svc.Notifier().SubscribeEvents(hooks)
	svc.Notifier().ServeRedeliveries(hooks)
	metrics.GaugeFunc("carillon_webhook_backlog", "Webhook events not yet delivered nor given up, all instances together.", func() float64 {
		n, _ := svc.Webhooks.PendingWebhookEvents(context.Background())
		return float64(n)
	})
	hooksCtx, stopHooks := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHooks()
	hooksDone := make(chan struct{})
	go func() {
		hooks.Run(hooksCtx)
		close(hooksDone)
	}()

	// Idempotency records past their window, and the webhook delivery
	// log past its retention.
	go hourlyFromAMinute(ctx, func() {
		_, _ = svc.Store().DeleteIdempotencyRecords(ctx, time.Now().Add(-carillon.IdempotencyWindow))
	})
	go hourlyFromAMinute(ctx, func() { forgetOldWebhookEvents(ctx, svc, log) })
	go svc.FollowAssignees(ctx)
	go analyzeGrownTables(ctx, db, log)
	go syncTemplatesHourly(ctx, svc, log)
	go learnMissingAddresses(ctx, svc, log)
	if cfg.PprofAddr != "" {
		stopProfiles, err := serveProfiles(cfg.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiles()
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	select {
	case err := <-serveErr:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests and sends in flight")
	stopCtx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	// The console's live streams never end by themselves: ended, their
	// tabs reconnect elsewhere (or here once back), and the requests in
	// flight can finish.
	svc.Live.EndStreams()
	if err := srv.Shutdown(stopCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Warn("requests still in flight at shutdown", "error", err)
	}
	pipeline.Stop(stopCtx)
	// Webhook attempts in flight finish (each bounded by the webhook
	// timeout) and are recorded; what was not attempted stays in the store.
	stopHooks()
	select {
	case <-hooksDone:
	case <-stopCtx.Done():
		log.Warn("webhook attempts still in flight at shutdown: they will be attempted again")
	}
	log.Info("stopped")
	return nil
}

// Go's collector, when the environment does not set it (GOGC, GOMEMLIMIT).
// The server's heap is small, a few MiB live, while every request
// allocates tens of KiB on its way (statement arguments, rows, JSON): with
// Go's default, a collection each time the heap doubles, the collector
// runs over a hundred times a second under load. Five times the live heap
// between collections makes them about four times rarer, and the pages of
// contacts cheaper in CPU, for 10 to 35 MiB more resident memory
// (docs/benchmarks.md). The memory limit bounds what that costs
// should the live heap grow: near it the collector runs as often as it
// must to stay under (a soft limit, never an error).
const (
	collectorPercent = 400
	collectorLimit   = 256 << 20
)

// tuneCollector sets Go's collector for serve, unless the operator set
// either of its variables, which then keep Go's meaning alone
// (docs/operations.md).
func tuneCollector(getenv func(string) string) {
	if getenv("GOGC") != "" || getenv("GOMEMLIMIT") != "" {
		return
	}
	debug.SetGCPercent(collectorPercent)
	debug.SetMemoryLimit(collectorLimit)
}

// serveProfiles serves net/http/pprof on addr (a loopback address, which
// config checks), on a listener and mux of their own so that nothing of it
// is reachable through the API's address. It returns the function that
// closes it.
func serveProfiles(addr string, log *slog.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("pprof-addr: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	log.Info("serving profiles (net/http/pprof)", "pprof_addr", ln.Addr().String())
	return func() { _ = srv.Close() }, nil
}

// connectionBound is the max-connections setting, lowered when needed to
// half of the process's open file limit: the other half is left to the
// connections answered past the bound, the database and the media files,
// so that a flood of connections cannot use up the file descriptors.
func connectionBound(want int, log *slog.Logger) int {
	var lim syscall.Rlimit
	if want == 0 || syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim) != nil || lim.Cur == 0 {
		return want
	}
	half := int(min(lim.Cur/2, 1<<30))
	if want > half {
		log.Info("max-connections lowered to half of the open file limit", "max_connections", half, "setting", want, "open_file_limit", lim.Cur)
		return half
	}
	return want
}

// printFirstAdminLink prints, on the line of standard output after the
// first API key, a one-time link whose opener becomes the account's first
// console admin. Without it the key is still good: the failure is told,
// with the command that makes an admin instead.
func printFirstAdminLink(ctx context.Context, e env, svc *service.Service, acct carillon.Account) {
	link, err := svc.People.FirstAdminLink(ctx, acct.ID)
	if err != nil {
		fmt.Fprintf(e.stderr, "carillon: no sign-in link for a first admin could be made (%v); make one with: carillon users create --role admin\n", err)
		return
	}
	fmt.Fprintf(e.stderr, "carillon: the next line of standard output is a one-time sign-in link to the console: whoever opens it first becomes an admin of %q; it works once, for %d hours:\n",
		acct.Name, service.FirstAdminLinkLifetime/time.Hour)
	fmt.Fprintln(e.stdout, link)
}

func storeKind(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return "postgres"
	}
	return "sqlite"
}

// printCallbackURLs writes the callback URL of each provider channel: the
// address to register with the provider.
func printCallbackURLs(ctx context.Context, e env, svc *service.Service, base string) error {
	db := svc.Store()
	accounts, err := db.ListAccounts(ctx)
	if err != nil {
		return err
	}
	for _, a := range accounts {
		channels, err := db.AllChannels(ctx, a.ID)
		if err != nil {
			return err
		}
		for _, ch := range channels {
			if u := svc.CallbackURL(base, ch); u != "" {
				fmt.Fprintln(e.stdout, u)
			}
		}
	}
	return nil
}

// analyzeGrownTables has PostgreSQL gather again, every few seconds, the
// statistics of the tables that doubled since it last did (store's
// AnalyzeGrown: a new store's first minutes under load); nothing on
// SQLite. A failure is logged once and the next tick tries again (a table
// the database user does not own, PostgreSQL skips with a notice of its
// own: autovacuum analyzes it).
func analyzeGrownTables(ctx context.Context, db *store.DB, log *slog.Logger) {
	t := time.NewTicker(5 * time.Second)
	defer t.Stop()
	warned := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tables, err := db.AnalyzeGrown(ctx)
			if err != nil && ctx.Err() == nil && !warned {
				log.Warn("cannot gather the statistics of the growing tables", "error", err)
				warned = true
			}
			if len(tables) > 0 {
				log.Debug("gathered the statistics of grown tables", "tables", tables)
			}
		}
	}
}

// forgetOldWebhookEvents deletes the delivery log's events past its
// retention (--webhook-log-retention).
func forgetOldWebhookEvents(ctx context.Context, svc *service.Service, log *slog.Logger) {
	began := time.Now()
	n, err := svc.Webhooks.ForgetOldEvents(ctx)
	took := time.Since(began).Round(time.Millisecond).String()
	switch {
	case err != nil && ctx.Err() == nil:
		log.Error("webhook delivery log: deleting the events past its retention failed; tried again in an hour", "error", err, "deleted", n, "took", took)
	case n > 0:
		log.Info("webhook delivery log: deleted the events past its retention", "deleted", n, "took", took)
	}
}

// hourlyFromAMinute runs job a minute after the start, then hourly, until
// ctx ends: a server restarted more often than hourly still runs it.
func hourlyFromAMinute(ctx context.Context, job func()) {
	wait := time.NewTimer(time.Minute)
	defer wait.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-wait.C:
		}
		job()
		wait.Reset(time.Hour)
	}
}
