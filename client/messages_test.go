package client_test

import (
	"context"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/client"
	"github.com/carillon/carillon/internal/testrig"
	"github.com/carillon/carillon/service"
)

// countingTransport counts the requests that go through it.
type countingTransport struct{ n atomic.Int64 }

func (t *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	t.n.Add(1)
	return http.DefaultTransport.RoundTrip(r)
}

// TestMessages drives the message methods against a real server: a send
// and its status, a repeat with the same Idempotency-Key, a sandbox
// customer's message, a deletion, and what the key acts for.
func TestMessages(t *testing.T) {
	ctx := context.Background()
	svc := testrig.Service(t, service.Options{InstanceID: "client-test", PublicURL: "http://127.0.0.1"})
	key := testrig.DefaultAccount(t, svc).Key
	srv := testrig.API(t, testrig.APIOptions(svc))
	transport := &countingTransport{}
	c := client.New(srv.URL, key).WithHTTPClient(&http.Client{Transport: transport})

	send := client.SendParams{To: "+31612345678", From: "whatsapp", Type: "text", Content: client.Content{Text: "Hello"},
		Fields: "contact,conversation", IdempotencyKey: "order-7"}
	sent, err := c.Send(ctx, send)
	if err != nil || sent.UUID == "" || sent.Status != "enqueued" || string(sent.MessageStatusPayload) != "null" ||
		sent.Contact == nil || sent.Contact.PhoneNumber == nil || *sent.Contact.PhoneNumber != "31612345678" ||
		sent.Conversation == nil || sent.Conversation.Source != "whatsapp" {
		t.Fatalf("Send: %+v, %v", sent, err)
	}
	if again, err := c.Send(ctx, send); err != nil || again.UUID != sent.UUID {
		t.Fatalf("Send again with the same Idempotency-Key: %+v, %v; want message %s", again, err, sent.UUID)
	}
	if st, err := c.Status(ctx, sent.UUID); err != nil || st.UUID != sent.UUID || st.Status != "enqueued" || st.Contact != nil {
		t.Fatalf("Status: %+v, %v", st, err)
	}

	in, err := c.SandboxInbound(ctx, client.SandboxInboundParams{From: "+31612345678", Text: "Thanks"})
	if err != nil || in.UUID == "" || in.UUID == sent.UUID || in.Status != "received" {
		t.Fatalf("SandboxInbound: %+v, %v", in, err)
	}

	if err := c.DeleteMessage(ctx, sent.UUID); err != nil {
		t.Fatalf("DeleteMessage: %v", err)
	}
	if st, err := c.Status(ctx, sent.UUID); err != nil || st.Status != "deleted" {
		t.Fatalf("Status after DeleteMessage: %+v, %v", st, err)
	}

	var apiErr *client.Error
	if _, err := c.Status(ctx, "0123456789abcdef0123456789abcdef"); !errors.As(err, &apiErr) || apiErr.StatusCode != 404 || apiErr.Code != carillon.CodeNotFound {
		t.Fatalf("Status of an unknown message: %v", err)
	}
	if _, err := c.Send(ctx, client.SendParams{From: "whatsapp", Type: "text", Content: client.Content{Text: "Hello"}}); !errors.As(err, &apiErr) ||
		apiErr.StatusCode != 422 || apiErr.Field != "to" {
		t.Fatalf("Send without a recipient: %v", err)
	}

	me, err := c.Me(ctx)
	if err != nil || me.Status != "ok" || me.APIKey == "" || me.UserEmail != "" {
		t.Fatalf("Me: %+v, %v", me, err)
	}
	if n := transport.n.Load(); n != 9 {
		t.Errorf("the client given by WithHTTPClient made %d requests, want all 9", n)
	}
}
