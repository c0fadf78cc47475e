package service

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/carillon/carillon"
)

// Webhooks: subscribing, the delivery log, and the rules of delivery
// (retries, order, health) that the webhook adapter applies through the
// methods below.

// Webhooks is the feature service of webhooks: subscribing, the event log,
// redelivery, and the rules of delivery that the webhook adapter applies
// (webhook.Rules). Recording an event is not its business but the core's
// (events.go): every feature records the events of its changes in its own
// transaction.
type Webhooks struct {
	*core
}

// WebhookOptions are the rules of webhook delivery.
type WebhookOptions struct {
	// AllowPrivate lets webhooks aim at loopback, private and link-local
	// addresses (local development).
	AllowPrivate bool
	// RetryFor is how long an event is retried after its first attempt
	// before it is given up.
	RetryFor time.Duration
	// RetryBase and RetryMax shape the backoff between attempts.
	RetryBase, RetryMax time.Duration
	// CheckAfter is how long without a successful delivery before health
	// checks start, and their period.
	CheckAfter time.Duration
	// DisableAfter is how long without any 2xx answer before the webhook
	// is disabled.
	DisableAfter time.Duration
	// LogRetention is how long the delivery log keeps an event delivered
	// or given up, from its creation (ForgetOldEvents); 0 keeps it as long
	// as its webhook.
	LogRetention time.Duration
}

func (o WebhookOptions) withDefaults() WebhookOptions {
	if o.RetryFor <= 0 {
		o.RetryFor = 24 * time.Hour
	}
	if o.RetryBase <= 0 {
		o.RetryBase = time.Second
	}
	if o.RetryMax <= 0 {
		o.RetryMax = 5 * time.Minute
	}
	if o.CheckAfter <= 0 {
		o.CheckAfter = 5 * time.Minute
	}
	if o.DisableAfter <= 0 {
		o.DisableAfter = 6 * time.Hour
	}
	return o
}

// newSigningSecret returns a webhook signing secret in the Standard Webhooks form: whsec_
// and the base64 of 32 random bytes.
func newSigningSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return "whsec_" + base64.StdEncoding.EncodeToString(b)
}

// checkWebhookURL refuses what can never be delivered to: a URL that is not
// absolute http(s) with a host, or whose host is a refused address.
func (s *Webhooks) checkWebhookURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", carillon.Invalid("url", "url is required: the absolute http or https URL to deliver events to")
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Hostname() == "" {
		return "", carillon.Invalid("url", "url must be an absolute http or https URL with a host")
	}
	if u.User != nil {
		return "", carillon.Invalid("url", "url must not hold credentials")
	}
	if port := u.Port(); port != "" {
		// url.Parse takes any run of digits as a port; a dial to one
		// out of range could only fail, on every attempt.
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return "", carillon.Invalid("url", "url has the port %s: a port is a number from 1 to 65535", port)
		}
	}
	if len(raw) > 2048 {
		return "", carillon.Invalid("url", "url is %d characters long; at most 2048 are allowed", len(raw))
	}
	if !s.webhooks.AllowPrivate {
		host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
		if host == "localhost" || strings.HasSuffix(host, ".localhost") {
			return "", carillon.Invalid("url", "url must not aim at localhost: webhooks go to public addresses (the operator may allow private ones)")
		}
		if ip, err := netip.ParseAddr(host); err == nil && !carillon.PublicAddress(ip) {
			return "", carillon.Invalid("url", "url must not aim at a loopback, private, link-local or reserved address (the operator may allow private ones)")
		}
	}
	return u.String(), nil
}

func checkSubscriptions(subs []string) ([]string, error) {
	if len(subs) == 0 {
		return nil, carillon.Invalid("subscriptions", "subscriptions is required: a non-empty list of event names (%s)", strings.Join(carillon.WebhookEventNames, ", "))
	}
	if bad, ok := invalidEventName(subs); ok {
		return nil, carillon.Invalid("subscriptions", "unknown event %q: events are %s", bad, strings.Join(carillon.WebhookEventNames, ", "))
	}
	var out []string
	seen := map[string]bool{}
	for _, e := range subs {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out, nil
}

// Subscribe creates the account's webhook, or replaces the one it has: the
// secret is kept, and the webhook is enabled again, so that what waited is
// delivered. created reports whether the webhook is new: only then does the
// answer show its secret.
func (s *Webhooks) Subscribe(ctx context.Context, p Principal, rawURL string, subscriptions []string) (w carillon.Webhook, created bool, err error) {
	u, err := s.checkWebhookURL(rawURL)
	if err != nil {
		return w, false, err
	}
	subs, err := checkSubscriptions(subscriptions)
	if err != nil {
		return w, false, err
	}
	err = s.inTx(ctx, func(q carillon.Queries) error {
		now := s.clock.Now()
		cur, err := q.WebhookByAccount(ctx, p.Account.ID)
		switch {
		case errors.Is(err, carillon.ErrNotFound):
			cur = carillon.Webhook{AccountID: p.Account.ID, Secret: newSigningSecret(), CreatedAt: now}
			created = true
		case err != nil:
			return err
		}
		cur.URL, cur.Subscriptions, cur.Enabled, cur.UpdatedAt = u, subs, true, now
		// The health rules count from now: a webhook enabled again has
		// six hours to answer.
		cur.LastSuccessAt, cur.LastCheckAt = now, now
		if err := q.SaveWebhook(ctx, &cur); err != nil {
			return err
		}
		w = cur
		return nil
	})
	if err != nil {
		return w, false, s.internal(ctx, "subscribe", err)
	}
	s.webhooksChanged()
	return w, created, nil
}

// Unsubscribe deletes the account's webhook and its events.
func (s *Webhooks) Unsubscribe(ctx context.Context, p Principal) error {
	// Not in a transaction of inTx: the store deletes the delivery log a
	// chunk a transaction before the webhook, so that a long log does not
	// hold SQLite's one writer (store.DeleteWebhook). Once begun it goes
	// on if the caller stops waiting, as a send does: a client that gives
	// up on a long log would otherwise leave it half deleted each time.
	err := s.store.DeleteWebhook(context.WithoutCancel(ctx), p.Account.ID)
	s.noteUnavailable(err)
	if err == nil {
		s.committed()
		s.webhooksChanged()
	}
	return s.notFound(ctx, "unsubscribe", "webhook", err)
}

// RotateSecret gives the account's webhook a new secret; for the next 24
// hours deliveries carry a signature made with the old one too.
func (s *Webhooks) RotateSecret(ctx context.Context, p Principal) (carillon.Webhook, error) {
	var w carillon.Webhook
	err := s.inTx(ctx, func(q carillon.Queries) error {
		cur, err := q.WebhookByAccount(ctx, p.Account.ID)
		if err != nil {
			return err
		}
		now := s.clock.Now()
		cur.PreviousSecret, cur.PreviousSecretUntil = cur.Secret, now.Add(24*time.Hour)
		cur.Secret, cur.UpdatedAt = newSigningSecret(), now
		if err := q.SaveWebhook(ctx, &cur); err != nil {
			return err
		}
		w = cur
		return nil
	})
	if err == nil {
		s.webhooksChanged()
	}
	return w, s.notFound(ctx, "rotate webhook secret", "webhook", err)
}

// WebhookEventQuery filters the delivery log, as GET /webhooks/events takes
// it: Status success or failed; Subscriptions comma-separated event names.
type WebhookEventQuery struct {
	Status        string
	Subscriptions string
}

// WebhookEvents lists the delivery log of the account's webhook, newest
// first. An account without a webhook has an empty log.
func (s *Webhooks) WebhookEvents(ctx context.Context, p Principal, f WebhookEventQuery, pr PageRequest) ([]carillon.WebhookEvent, PageInfo, error) {
	page, err := parsePage(pr)
	if err != nil {
		return nil, PageInfo{}, err
	}
	var filter carillon.WebhookEventFilter
	switch f.Status {
	case "":
	case "success", "failed":
		ok := f.Status == "success"
		filter.Success = &ok
	default:
		return nil, PageInfo{}, carillon.Invalid("status", "status must be success or failed, not %q", f.Status)
	}
	if strings.TrimSpace(f.Subscriptions) != "" {
		for _, e := range strings.Split(f.Subscriptions, ",") {
			if e = strings.TrimSpace(e); e != "" {
				filter.Events = append(filter.Events, e)
			}
		}
		for _, e := range filter.Events {
			// Test events are in the log too, and may be asked for.
			if bad, ok := invalidEventName([]string{e}); ok && bad != carillon.EventWebhookTest {
				return nil, PageInfo{}, carillon.Invalid("subscriptions", "unknown event %q: events are %s and %s", bad,
					strings.Join(carillon.WebhookEventNames, ", "), carillon.EventWebhookTest)
			}
		}
	}
	w, err := s.store.WebhookByAccount(ctx, p.Account.ID)
	if errors.Is(err, carillon.ErrNotFound) {
		return []carillon.WebhookEvent{}, pageInfo(page, 0), nil
	}
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list webhook events", err)
	}
	list, total, err := s.store.ListWebhookEvents(ctx, w.ID, filter, page)
	if err != nil {
		return nil, PageInfo{}, s.internal(ctx, "list webhook events", err)
	}
	return list, pageInfo(page, total), nil
}

// Redeliver attempts an event of the account's log again now, whatever its
// state, with the same webhook-id, and answers it after the attempt. Its
// retry period starts again.
func (s *Webhooks) Redeliver(ctx context.Context, p Principal, id string) (carillon.WebhookEvent, error) {
	e, err := s.store.WebhookEventByUUID(ctx, p.Account.ID, id)
	if err != nil {
		return e, s.notFound(ctx, "redeliver", "webhook event", err)
	}
	w, err := s.store.WebhookByAccount(ctx, p.Account.ID)
	if err != nil {
		return e, s.notFound(ctx, "redeliver", "webhook", err)
	}
	d := s.notifier.redeliverer()
	if d == nil {
		return e, carillon.Errorf(carillon.CodeNotSupported, "this server delivers no webhooks")
	}
	out, err := d.DeliverNow(ctx, w, redeliverable(e))
	return out, s.internal(ctx, "redeliver", err)
}

// redeliverable is e as a redelivery makes it: pending again, whatever its
// state, its retry period starting again at its next attempt. It keeps its
// webhook-id, its body and the count of its attempts.
func redeliverable(e carillon.WebhookEvent) carillon.WebhookEvent {
	e.State, e.FirstAttemptAt = carillon.EventPending, time.Time{}
	return e
}

// Delivery, as the webhook adapter drives it.

// DeliverableWebhooks lists the enabled webhooks of every account.
func (s *Webhooks) DeliverableWebhooks(ctx context.Context) ([]carillon.Webhook, error) {
	all, err := s.store.ListWebhooks(ctx)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, w := range all {
		if w.Enabled {
			out = append(out, w)
		}
	}
	return out, nil
}

// ClaimWebhookEvents takes the webhook's due events, up to limit, for lease:
// no other instance takes them before the lease ends, and an instance that
// dies holding them lets them become due again then.
func (s *Webhooks) ClaimWebhookEvents(ctx context.Context, w carillon.Webhook, limit int, lease time.Duration) ([]carillon.WebhookEvent, error) {
	now := s.clock.Now()
	return s.store.ClaimWebhookEvents(ctx, w.ID, now, now.Add(lease), limit)
}

// UnclaimWebhookEvents gives back events claimed and not attempted: they
// are due again now, for this instance or another, rather than when their
// lease ends.
func (s *Webhooks) UnclaimWebhookEvents(ctx context.Context, events []carillon.WebhookEvent) error {
	return s.store.UnclaimWebhookEvents(ctx, events, s.clock.Now())
}

// ReleaseOrphanWebhookEvents makes due the events left waiting with nothing
// before them. Two instances recording events of one subject while a third
// delivers the subject's previous one can leave such an event; a periodic
// sweep releases it.
func (s *Webhooks) ReleaseOrphanWebhookEvents(ctx context.Context, w carillon.Webhook) (int64, error) {
	return s.store.ReleaseOrphanWebhookEvents(ctx, w.ID, s.clock.Now())
}

// WebhookAttempt is the outcome of one delivery attempt of an event, as
// the webhook adapter reports it; the event's delivery log keeps it as a
// carillon.WebhookAttempt.
type WebhookAttempt struct {
	Event    carillon.WebhookEvent
	At       time.Time
	Response carillon.WebhookResponse
	// Success is true for a 2xx answer within the timeout.
	Success bool
	// RequestHeaders are the headers sent, signatures included.
	RequestHeaders map[string]string
	// Duration is how long the request took, its answer read.
	Duration time.Duration
	// Error says why no answer came, or why it was not read whole.
	Error string
}

// RecordWebhookAttempts records attempts of the webhook's events, each in
// its event's log, in one transaction, and returns the events as they now
// stand. A success ends the
// event; a failure schedules the next attempt on the backoff schedule, or
// gives the event up when its retry period is over. Either way an event
// that ends releases the next event of its subject.
func (s *Webhooks) RecordWebhookAttempts(ctx context.Context, w carillon.Webhook, attempts []WebhookAttempt) ([]carillon.WebhookEvent, error) {
	out, _, _, err := s.recordAttempts(ctx, w, attempts, false, 0, 0)
	return out, err
}

// RecordAndClaimWebhookEvents records attempts as RecordWebhookAttempts
// does and, in the same transaction, claims up to claim due events as
// ClaimWebhookEvents does: one commit where there would be two, and the
// events that the recorded ones released are taken at once. On a store
// that several writers share (PostgreSQL) it claims just after the
// commit instead: the recording transaction holds the events it records,
// each the oldest pending one of its subject, to its commit, and every
// transaction recording a new event of those subjects waits for them; the
// claim, the costliest of its statements, no longer makes them wait
// (docs/benchmarks.md). It returns the
// events recorded, as they now stand, and the attempts it left for later:
// those whose events another transaction holds (one recording a new event
// of their subject, on PostgreSQL), which it does not wait for (see
// carillon.WebhookQueries.LockWebhookEvents). Their events stay leased; record
// them again.
func (s *Webhooks) RecordAndClaimWebhookEvents(ctx context.Context, w carillon.Webhook, attempts []WebhookAttempt, claim int, lease time.Duration) (recorded []carillon.WebhookEvent, later []WebhookAttempt, claimed []carillon.WebhookEvent, err error) {
	return s.recordAttempts(ctx, w, attempts, true, claim, lease)
}

// recordAttempts records attempts, and claims up to claim due events, in one
// transaction; skipHeld leaves for later the attempts whose events another
// transaction holds rather than waiting for it.
func (s *Webhooks) recordAttempts(ctx context.Context, w carillon.Webhook, attempts []WebhookAttempt, skipHeld bool, claim int, lease time.Duration) (recorded []carillon.WebhookEvent, later []WebhookAttempt, claimed []carillon.WebhookEvent, err error) {
	out := make([]carillon.WebhookEvent, len(attempts))
	logged := make([]carillon.WebhookAttempt, len(attempts))
	for i, a := range attempts {
		e := a.Event
		e.Attempts++
		if e.FirstAttemptAt.IsZero() {
			e.FirstAttemptAt = a.At
		}
		e.LastAttemptAt, e.Response, e.Success = a.At, a.Response, a.Success
		switch {
		case a.Success:
			e.State, e.NextAttemptAt = carillon.EventDelivered, time.Time{}
		case a.At.Sub(e.FirstAttemptAt) >= s.webhooks.RetryFor:
			e.State, e.NextAttemptAt = carillon.EventGivenUp, time.Time{}
		default:
			e.State = carillon.EventPending
			e.NextAttemptAt = a.At.Add(carillon.Backoff(e.Attempts, s.webhooks.RetryBase, s.webhooks.RetryMax))
		}
		out[i] = e
		logged[i] = carillon.WebhookAttempt{EventID: e.ID, Number: e.Attempts, At: a.At, Duration: a.Duration,
			RequestHeaders: a.RequestHeaders, Response: a.Response, Success: a.Success, Error: a.Error}
	}
	var lastSuccess time.Time
	record := func(q carillon.Queries) error {
		recorded, later, claimed, lastSuccess = nil, nil, nil, time.Time{}
		held := map[int64]bool{}
		if skipHeld && len(attempts) > 0 {
			ids := make([]int64, len(out))
			for i, e := range out {
				ids[i] = e.ID
			}
			others, err := q.LockWebhookEvents(ctx, ids)
			if err != nil {
				return err
			}
			for _, id := range others {
				held[id] = true
			}
		}
		var logs []carillon.WebhookAttempt
		var ended []string
		for i, e := range out {
			if held[e.ID] {
				later = append(later, attempts[i])
				continue
			}
			recorded, logs = append(recorded, e), append(logs, logged[i])
			if e.Success && logged[i].At.After(lastSuccess) {
				lastSuccess = logged[i].At
			}
			if e.State != carillon.EventPending {
				ended = append(ended, e.Subject)
			}
		}
		if err := q.UpdateWebhookEvents(ctx, recorded); err != nil {
			return err
		}
		// Each attempt joins the event's log in the same transaction as
		// its outcome: the log never shows an outcome without its attempt.
		if err := q.AddWebhookAttempts(ctx, logs); err != nil {
			return err
		}
		// The next event of each subject that ended is due now.
		if err := q.ReleaseWebhookEvents(ctx, w.ID, ended, s.clock.Now()); err != nil {
			return err
		}
		if !lastSuccess.IsZero() {
			if err := q.MarkWebhookSuccess(ctx, w.ID, lastSuccess); err != nil {
				return err
			}
		}
		if claim > 0 && !s.store.Shared() {
			now := s.clock.Now()
			var err error
			claimed, err = q.ClaimWebhookEvents(ctx, w.ID, now, now.Add(lease), claim)
			return err
		}
		return nil
	}
	// On PostgreSQL this transaction may deadlock with one recording new
	// events of the same subjects (both lock their pending rows) when it
	// waits for its events (skipHeld false): it is run again, since its
	// writes are the same each time. Left unrecorded, the attempts would be
	// made again once their lease ends.
	for try := 0; try < 3; try++ {
		if err = s.inTx(ctx, record); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return nil, nil, nil, err
	}
	if claim > 0 && s.store.Shared() {
		// The attempts are recorded whatever this claim does: when it
		// fails, the due events wait for the worker's next claim.
		if claimed, err = s.ClaimWebhookEvents(ctx, w, claim, lease); err != nil {
			s.log.WarnContext(ctx, "claim webhook events after recording attempts", "error", err)
			claimed = nil
		}
	}
	if lastSuccess.IsZero() && len(recorded) > 0 {
		if _, err := s.disableIfQuiet(ctx, w); err != nil {
			return recorded, later, claimed, err
		}
	}
	return recorded, later, claimed, nil
}

// disableIfQuiet disables the webhook when no 2xx came for DisableAfter.
func (s *Webhooks) disableIfQuiet(ctx context.Context, w carillon.Webhook) (bool, error) {
	now := s.clock.Now()
	disabled, err := s.store.DisableWebhook(ctx, w.ID, now.Add(-s.webhooks.DisableAfter), now)
	if disabled {
		s.log.WarnContext(ctx, "webhook disabled: no 2xx answer for too long", "account_id", w.AccountID, "after", s.webhooks.DisableAfter.String())
	}
	return disabled, err
}

// HealthCheckDue reports whether the webhook is to be checked now, and takes
// the check for this instance: when no delivery succeeded for CheckAfter,
// one check every CheckAfter.
func (s *Webhooks) HealthCheckDue(ctx context.Context, w carillon.Webhook) (bool, error) {
	now := s.clock.Now()
	if !w.Enabled || now.Sub(w.LastSuccessAt) < s.webhooks.CheckAfter || now.Sub(w.LastCheckAt) < s.webhooks.CheckAfter {
		return false, nil
	}
	return s.store.MarkWebhookChecked(ctx, w.ID, w.LastCheckAt, now)
}

// RecordHealthCheck records a health check's outcome: a 2xx counts as a
// success; otherwise the webhook is disabled when quiet for too long. It
// reports whether the webhook was disabled.
func (s *Webhooks) RecordHealthCheck(ctx context.Context, w carillon.Webhook, ok bool) (bool, error) {
	if ok {
		return false, s.store.MarkWebhookSuccess(ctx, w.ID, s.clock.Now())
	}
	return s.disableIfQuiet(ctx, w)
}

// PendingWebhookEvents counts the events not yet delivered nor given up.
func (s *Webhooks) PendingWebhookEvents(ctx context.Context) (int64, error) {
	return s.store.CountPendingWebhookEvents(ctx)
}

// ForgetOldEvents deletes from the delivery log the events delivered or
// given up that were created more than LogRetention ago, with their
// attempts, and returns how many. Pending events stay whatever their age:
// they are still to be delivered. With LogRetention 0 it deletes nothing.
//
// It deletes a chunk at a time, each followed by a pause as long as the
// chunk took: the deletion takes at most about half of the store's writer
// (on SQLite the one writer, which every send waits for), and a first
// pass over a long log does not slow the sends down for its whole length
// (docs/benchmarks.md).
func (s *Webhooks) ForgetOldEvents(ctx context.Context) (int64, error) {
	if s.webhooks.LogRetention <= 0 {
		return 0, nil
	}
	before := s.clock.Now().Add(-s.webhooks.LogRetention)
	var deleted int64
	for {
		began := time.Now()
		n, err := s.store.DeleteWebhookEventsBefore(ctx, before)
		deleted += n
		if err != nil || n == 0 {
			return deleted, err
		}
		pause := time.NewTimer(time.Since(began))
		select {
		case <-ctx.Done():
			pause.Stop()
			return deleted, ctx.Err()
		case <-pause.C:
		}
	}
}

// The console's webhook pages: the webhook's health, the delivery log by
// keyset with each event's attempts, test events and resending the failed
// events of a period.

// WebhookStatus is the account's webhook as the console shows it: its
// settings and health, without its secrets.
type WebhookStatus struct {
	URL           string
	Subscriptions []string
	Enabled       bool
	// DisabledAt is when the health rule disabled the webhook (zero while
	// enabled).
	DisabledAt time.Time
	// LastSuccessAt is when a delivery or health check last got a 2xx, or
	// the webhook was last saved; LastCheckAt when the last health check
	// was sent.
	LastSuccessAt, LastCheckAt time.Time
	// PreviousSecretUntil is when the secret before the last rotation
	// stops signing deliveries (zero, or past, when it does not).
	PreviousSecretUntil time.Time
	// CheckAfter and DisableAfter are the health rules: checks start after
	// CheckAfter without a successful delivery, and DisableAfter without
	// any 2xx disables the webhook.
	CheckAfter, DisableAfter time.Duration
	// Backlog counts the events not yet delivered nor given up.
	Backlog int
	// LastDelivery is the event attempted last; nil when none was.
	LastDelivery *carillon.WebhookEvent
	CreatedAt    time.Time
}

// WebhookStatus reads the account's webhook and its health: not_found when
// the account has none.
func (s *Webhooks) WebhookStatus(ctx context.Context, p Principal) (WebhookStatus, error) {
	w, err := s.store.WebhookByAccount(ctx, p.Account.ID)
	if err != nil {
		return WebhookStatus{}, s.notFound(ctx, "read webhook", "webhook", err)
	}
	st := WebhookStatus{URL: w.URL, Subscriptions: w.Subscriptions, Enabled: w.Enabled, LastSuccessAt: w.LastSuccessAt,
		LastCheckAt: w.LastCheckAt, CheckAfter: s.webhooks.CheckAfter, DisableAfter: s.webhooks.DisableAfter, CreatedAt: w.CreatedAt}
	if !w.Enabled {
		// Disabling is the only change that leaves a webhook disabled,
		// and it stamps the webhook.
		st.DisabledAt = w.UpdatedAt
	}
	if w.PreviousSecret != "" && s.clock.Now().Before(w.PreviousSecretUntil) {
		st.PreviousSecretUntil = w.PreviousSecretUntil
	}
	if st.Backlog, err = s.store.CountWebhookBacklog(ctx, w.ID); err != nil {
		return WebhookStatus{}, s.internal(ctx, "read webhook", err)
	}
	last, err := s.store.LastWebhookDelivery(ctx, w.ID)
	switch {
	case err == nil:
		st.LastDelivery = &last
	case !errors.Is(err, carillon.ErrNotFound):
		return WebhookStatus{}, s.internal(ctx, "read webhook", err)
	}
	return st, nil
}

// WebhookLogSize is how many events a page of the console's log shows.
const WebhookLogSize = 50

// WebhookLogQuery filters the console's delivery log, each field as the
// page's form sends it, "" for any: Event an event name; State pending,
// delivered or given_up; Success true or false (the latest attempt got a
// 2xx, or did not); From and To times (RFC 3339, or 2006-01-02T15:04 in
// UTC) bounding when the events happened, To excluded; After the cursor of
// the page before.
type WebhookLogQuery struct {
	Event, State, Success, From, To, After string
}

// WebhookLogPage is a page of the log, newest first.
type WebhookLogPage struct {
	Events []carillon.WebhookEvent
	// Next is the cursor of the next (older) page; "" on the last page.
	Next string
}

// WebhookLog reads a page of the delivery log of the account's webhook:
// every event, attempted or not, newest first. An account without a
// webhook has an empty log.
func (s *Webhooks) WebhookLog(ctx context.Context, p Principal, lq WebhookLogQuery) (WebhookLogPage, error) {
	f := carillon.WebhookLogFilter{Limit: WebhookLogSize + 1}
	if lq.Event != "" {
		if bad, ok := invalidEventName([]string{lq.Event}); ok && bad != carillon.EventWebhookTest {
			return WebhookLogPage{}, carillon.Invalid("event", "unknown event %q: events are %s and %s", bad,
				strings.Join(carillon.WebhookEventNames, ", "), carillon.EventWebhookTest)
		}
		f.Events = []string{lq.Event}
	}
	switch st := carillon.WebhookEventState(lq.State); st {
	case "":
	case carillon.EventPending, carillon.EventDelivered, carillon.EventGivenUp:
		f.State = st
	default:
		return WebhookLogPage{}, carillon.Invalid("state", "state must be pending, delivered or given_up, not %q", lq.State)
	}
	switch lq.Success {
	case "":
	case "true", "false":
		ok := lq.Success == "true"
		f.Success = &ok
	default:
		return WebhookLogPage{}, carillon.Invalid("success", "success must be true or false, not %q", lq.Success)
	}
	var err error
	if f.From, f.To, err = logPeriod(lq.From, lq.To); err != nil {
		return WebhookLogPage{}, err
	}
	if lq.After != "" {
		if f.Before, err = logCursor(lq.After); err != nil {
			return WebhookLogPage{}, err
		}
	}
	w, err := s.store.WebhookByAccount(ctx, p.Account.ID)
	if errors.Is(err, carillon.ErrNotFound) {
		return WebhookLogPage{}, nil
	}
	if err != nil {
		return WebhookLogPage{}, s.internal(ctx, "read webhook log", err)
	}
	list, err := s.store.WebhookEventLog(ctx, w.ID, f)
	if err != nil {
		return WebhookLogPage{}, s.internal(ctx, "read webhook log", err)
	}
	out := WebhookLogPage{Events: list}
	if len(list) > WebhookLogSize {
		out.Events = list[:WebhookLogSize]
		out.Next = "e" + strconv.FormatInt(out.Events[WebhookLogSize-1].ID, 36)
	}
	return out, nil
}

// logCursor reads a cursor of the log: the events before it are the page.
func logCursor(c string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(c, "e"), 36, 64)
	if !strings.HasPrefix(c, "e") || err != nil || id <= 0 {
		return 0, carillon.Invalid("after", "after is not a cursor of this log: follow the page's own links")
	}
	return id, nil
}

// logPeriod reads the bounds of a period of the log, either one "" for
// none: a time in RFC 3339, or as a browser's datetime-local field sends
// it, read in UTC (the console shows times in UTC).
func logPeriod(from, to string) (time.Time, time.Time, error) {
	read := func(field, v string) (time.Time, error) {
		v = strings.TrimSpace(v)
		if v == "" {
			return time.Time{}, nil
		}
		for _, layout := range []string{time.RFC3339, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
		return time.Time{}, carillon.Invalid(field, "%s must be a time such as 2026-12-04T16:30 (UTC), not %q", field, v)
	}
	f, err := read("from", from)
	if err != nil {
		return f, f, err
	}
	t, err := read("to", to)
	if err != nil {
		return f, t, err
	}
	if !f.IsZero() && !t.IsZero() && !f.Before(t) {
		return f, t, carillon.Invalid("to", "to must be after from")
	}
	return f, t, nil
}

// WebhookEventView is an event of the log with each of its attempts,
// oldest first.
type WebhookEventView struct {
	Event    carillon.WebhookEvent
	Attempts []carillon.WebhookAttempt
}

// WebhookEvent reads an event of the account's log with its attempts.
func (s *Webhooks) WebhookEvent(ctx context.Context, p Principal, id string) (WebhookEventView, error) {
	e, err := s.store.WebhookEventByUUID(ctx, p.Account.ID, id)
	if err != nil {
		return WebhookEventView{}, s.notFound(ctx, "read webhook event", "webhook event", err)
	}
	attempts, err := s.store.WebhookAttempts(ctx, e.ID)
	if err != nil {
		return WebhookEventView{}, s.internal(ctx, "read webhook event", err)
	}
	return WebhookEventView{Event: e, Attempts: attempts}, nil
}

// testEventPayload is the payload of a test event.
type testEventPayload struct {
	Message string `json:"message"`
	SentAt  string `json:"sentAt"`
}

// SendTestEvent records a test event (carillon.EventWebhookTest) for the
// account's webhook, due now: the deliverer signs and delivers it, and
// logs its attempts, like any event's. It is its own subject, so that it
// waits behind no other event, and it is retried like any event. A
// disabled webhook is refused (conflict): nothing is delivered to it until
// it is saved again.
func (s *Webhooks) SendTestEvent(ctx context.Context, p Principal) (carillon.WebhookEvent, error) {
	var e carillon.WebhookEvent
	err := s.inTx(ctx, func(q carillon.Queries) error {
		w, err := q.WebhookByAccount(ctx, p.Account.ID)
		if err != nil {
			return err
		}
		if !w.Enabled {
			return carillon.Errorf(carillon.CodeConflict, "the webhook is disabled, so nothing is delivered to it: save it to enable it again, then send a test event")
		}
		now := s.clock.Now()
		body, err := json.Marshal(eventBody{Event: carillon.EventWebhookTest, Payload: testEventPayload{
			Message: "A test event sent from the carillon console: answer 2xx; nothing happened in the account.",
			SentAt:  now.UTC().Format(time.RFC3339)}})
		if err != nil {
			return err
		}
		id := carillon.NewUUID()
		e = carillon.WebhookEvent{UUID: "msg_" + id, AccountID: p.Account.ID, WebhookID: w.ID, Event: carillon.EventWebhookTest,
			Subject: "test:" + id, Body: body, State: carillon.EventPending, NextAttemptAt: now, CreatedAt: now}
		if err := q.AddWebhookEvent(ctx, &e); err != nil {
			return err
		}
		s.eventsRecorded.Store(true)
		return nil
	})
	return e, s.notFound(ctx, "send test event", "webhook", err)
}

// resendChunk bounds the events one transaction of ResendFailed queues.
const resendChunk = 200

// ResendFailed queues again, as a redelivery makes them, the given-up
// events of the account's webhook that happened in the period from, to
// (read as WebhookLogQuery's; "" leaves a side open), and returns how many
// it queued. Events still being retried are queued already and left as
// they are. The events of one subject stay in order: the oldest is due
// now unless an event of its subject is pending, and each of the others
// waits for the one before it.
func (s *Webhooks) ResendFailed(ctx context.Context, p Principal, from, to string) (int, error) {
	start, end, err := logPeriod(from, to)
	if err != nil {
		return 0, err
	}
	w, err := s.store.WebhookByAccount(ctx, p.Account.ID)
	if err != nil {
		return 0, s.notFound(ctx, "resend failed events", "webhook", err)
	}
	queued := 0
	busy := map[string]bool{} // subjects with a pending event
	var after int64
	for {
		var chunk []carillon.WebhookEvent
		err := s.inTx(ctx, func(q carillon.Queries) error {
			list, err := q.WebhookEventLog(ctx, w.ID, carillon.WebhookLogFilter{State: carillon.EventGivenUp, From: start, To: end,
				After: after, OldestFirst: true, Limit: resendChunk})
			if err != nil || len(list) == 0 {
				return err
			}
			now := s.clock.Now()
			queuedHere := map[string]bool{} // busy once this transaction commits
			for i, e := range list {
				b := busy[e.Subject] || queuedHere[e.Subject]
				if !b {
					if b, err = q.PendingWebhookEvent(ctx, w.ID, e.Subject); err != nil {
						return err
					}
				}
				e = redeliverable(e)
				if e.NextAttemptAt = now; b {
					e.NextAttemptAt = time.Time{} // released when the one before it ends
				}
				list[i], queuedHere[e.Subject] = e, true
			}
			if err := q.UpdateWebhookEvents(ctx, list); err != nil {
				return err
			}
			s.eventsRecorded.Store(true)
			chunk = list
			return nil
		})
		if err != nil {
			return queued, s.internal(ctx, "resend failed events", err)
		}
		for _, e := range chunk {
			busy[e.Subject] = true
		}
		queued += len(chunk)
		if len(chunk) < resendChunk {
			return queued, nil
		}
		after = chunk[len(chunk)-1].ID
	}
}
