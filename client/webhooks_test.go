package client_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/carillon/carillon/client"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/webhook"
)

// TestWebhooks drives the webhook methods against a real server that
// delivers to a receiver on loopback (private targets allowed).
func TestWebhooks(t *testing.T) {
	ctx := context.Background()
	svc := testrig.Service(t, service.Options{InstanceID: "client-webhooks-test", PublicURL: "http://127.0.0.1",
		Webhooks: service.WebhookOptions{AllowPrivate: true}})
	key := testrig.DefaultAccount(t, svc).Key

	var mu sync.Mutex
	var deliveries []string // the webhook-id of each delivery
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		deliveries = append(deliveries, r.Header.Get("webhook-id"))
		mu.Unlock()
		_, _ = io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(receiver.Close)
	hooksCtx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		d := webhook.New(webhook.Options{Service: svc.Webhooks, AllowPrivate: true, Poll: 20 * time.Millisecond})
		svc.Notifier().SubscribeEvents(d)
		svc.Notifier().ServeRedeliveries(d)
		d.Run(hooksCtx)
		close(done)
	}()
	t.Cleanup(func() { stop(); <-done })

	srv := testrig.API(t, testrig.APIOptions(svc))
	c := client.New(srv.URL, key)
	var apiErr *client.Error

	hook, err := c.Subscribe(ctx, receiver.URL+"/hooks", []string{"contact_created", "contact_deleted"})
	if err != nil || !strings.HasPrefix(hook.Secret, "whsec_") || hook.URL != receiver.URL+"/hooks" || !hook.Enabled ||
		len(hook.Subscriptions) != 2 || hook.CreatedAt.Time().IsZero() {
		t.Fatalf("Subscribe: %+v, %v", hook, err)
	}
	if again, err := c.Subscribe(ctx, receiver.URL+"/hooks", []string{"contact_created"}); err != nil || again.Secret != "" || len(again.Subscriptions) != 1 {
		t.Fatalf("Subscribe again: %+v, %v", again, err)
	}
	if _, err := c.Subscribe(ctx, receiver.URL+"/hooks", []string{"order_paid"}); !errors.As(err, &apiErr) ||
		apiErr.StatusCode != 422 || apiErr.Code != "invalid_parameter" || apiErr.Field != "subscriptions" {
		t.Fatalf("Subscribe to an unknown event: %v", err)
	}
	if _, err := c.Subscribe(ctx, receiver.URL+"/hooks", nil); !errors.As(err, &apiErr) || apiErr.Field != "subscriptions" {
		t.Fatalf("Subscribe to no event: %v", err)
	}

	kim, err := c.CreateContact(ctx, client.CreateContactParams{Identifier: "+31 6 1234 5678", Source: "whatsapp", Name: "Kim"})
	if err != nil {
		t.Fatal(err)
	}
	var list client.WebhookEventList
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		list, err = c.WebhookEvents(ctx, client.WebhookEventsParams{})
		if err != nil {
			t.Fatalf("WebhookEvents: %v", err)
		}
		if len(list.WebhookEvents) == 1 && list.WebhookEvents[0].Success {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the contact_created event was not delivered: %+v", list)
		}
	}
	e := list.WebhookEvents[0]
	if e.Event != "contact_created" || !strings.HasPrefix(e.ID, "msg_") || e.Attempts != 1 || e.Response.Code == nil || *e.Response.Code != 200 ||
		e.Response.Body == nil || *e.Response.Body != `{"ok":true}` || !e.NextAttemptAt.Time().IsZero() || e.CreatedAt.Time().IsZero() ||
		!bytes.Contains(e.Payload, []byte(kim.UUID)) || list.Meta != (client.Meta{Page: 1, Pages: 1}) {
		t.Fatalf("the delivery log: %+v", list)
	}
	if l, err := c.WebhookEvents(ctx, client.WebhookEventsParams{Status: "success", Subscriptions: []string{"contact_created", "contact_deleted"}, Page: 1, Items: 10}); err != nil ||
		len(l.WebhookEvents) != 1 {
		t.Fatalf("WebhookEvents delivered: %+v, %v", l, err)
	}
	if l, err := c.WebhookEvents(ctx, client.WebhookEventsParams{Status: "failed"}); err != nil || len(l.WebhookEvents) != 0 {
		t.Fatalf("WebhookEvents failed: %+v, %v", l, err)
	}
	if _, err := c.WebhookEvents(ctx, client.WebhookEventsParams{Status: "pending"}); !errors.As(err, &apiErr) || apiErr.Field != "status" {
		t.Fatalf("WebhookEvents with an unknown status: %v", err)
	}

	again, err := c.RedeliverWebhookEvent(ctx, e.ID)
	if err != nil || again.ID != e.ID || again.Attempts != 2 || !again.Success || !again.NextAttemptAt.Time().IsZero() {
		t.Fatalf("RedeliverWebhookEvent: %+v, %v", again, err)
	}
	mu.Lock()
	got := append([]string(nil), deliveries...)
	mu.Unlock()
	if len(got) != 2 || got[0] != e.ID || got[1] != e.ID {
		t.Errorf("the receiver got the webhook-ids %q, want %s twice", got, e.ID)
	}
	if _, err := c.RedeliverWebhookEvent(ctx, "msg_00000000000000000000000000000000"); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("RedeliverWebhookEvent of an unknown event: %v", err)
	}

	rotated, err := c.RotateWebhookSecret(ctx)
	if err != nil || !strings.HasPrefix(rotated.Secret, "whsec_") || rotated.Secret == hook.Secret {
		t.Fatalf("RotateWebhookSecret: %+v, %v", rotated, err)
	}
	if err := c.Unsubscribe(ctx); err != nil {
		t.Fatalf("Unsubscribe: %v", err)
	}
	if err := c.Unsubscribe(ctx); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != "not_found" {
		t.Fatalf("Unsubscribe again: %v", err)
	}
	if _, err := c.RotateWebhookSecret(ctx); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("RotateWebhookSecret without a webhook: %v", err)
	}
	if _, err := c.RedeliverWebhookEvent(ctx, e.ID); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 {
		t.Fatalf("RedeliverWebhookEvent after unsubscribing: %v", err)
	}
}

// TestWebhookEventsDecoding checks the query WebhookEvents sends, and an
// entry whose latest attempt got no HTTP answer.
func TestWebhookEventsDecoding(t *testing.T) {
	f := &fakeAPI{t: t, bodies: map[string]string{}, answers: map[string]string{
		"GET /v1/webhooks/events?items=5&page=2&status=failed&subscriptions=contact_created%2Cmessage_created": `{"webhook_events":[` +
			`{"id":"msg_5fbd99ba0c7e48ecbcce2939f469fb23","event":"message_created","payload":{"uuid":"5fbd99ba0c7e48ecbcce2939f469fb23"},` +
			`"response":{"code":null,"body":null,"headers":null},"success":false,"attempts":3,` +
			`"nextAttemptAt":"2026-11-25T22:21:18Z","createdAt":"2026-11-25T22:21:11Z"}],` + meta + `}`,
		"POST /v1/webhooks/events/msg_5fbd99ba0c7e48ecbcce2939f469fb23/redeliver": `{"webhook_event":` +
			`{"id":"msg_5fbd99ba0c7e48ecbcce2939f469fb23","event":"message_created","payload":{},` +
			`"response":{"code":200,"body":"","headers":{"Content-Length":"0"}},"success":true,"attempts":4,` +
			`"nextAttemptAt":null,"createdAt":"2026-11-25T22:21:11Z"}}`,
	}}
	srv := httptest.NewServer(f)
	defer srv.Close()
	c := client.New(srv.URL, "crln_test")
	ctx := context.Background()

	l, err := c.WebhookEvents(ctx, client.WebhookEventsParams{Status: "failed", Subscriptions: []string{"contact_created", "message_created"}, Page: 2, Items: 5})
	if err != nil || len(l.WebhookEvents) != 1 || l.Meta != (client.Meta{Page: 2, Pages: 3}) {
		t.Fatalf("WebhookEvents = %+v, %v", l, err)
	}
	e := l.WebhookEvents[0]
	if e.Response.Code != nil || e.Response.Body != nil || e.Response.Headers != nil || e.Success || e.Attempts != 3 ||
		!e.NextAttemptAt.Time().Equal(time.Date(2026, 11, 25, 22, 21, 18, 0, time.UTC)) || string(e.Payload) != `{"uuid":"5fbd99ba0c7e48ecbcce2939f469fb23"}` {
		t.Errorf("an entry without an answer: %+v", e)
	}
	r, err := c.RedeliverWebhookEvent(ctx, e.ID)
	if err != nil || r.Response.Code == nil || *r.Response.Code != 200 || r.Response.Body == nil || *r.Response.Body != "" ||
		r.Response.Headers["Content-Length"] != "0" || !r.NextAttemptAt.Time().IsZero() {
		t.Errorf("RedeliverWebhookEvent = %+v, %v", r, err)
	}
}
