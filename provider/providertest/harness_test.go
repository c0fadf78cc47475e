package providertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

func TestClientRefusesNonLoopback(t *testing.T) {
	for _, u := range []string{"http://10.1.2.3/", "http://[2001:db8::1]/", "http://graph.facebook.com/"} {
		_, err := Client().Get(u)
		if !errors.Is(err, ErrNotLoopback) {
			t.Errorf("GET %s: err = %v, want ErrNotLoopback", u, err)
		}
	}
}

func TestClientReachesLoopbackAndDoesNotFollowRedirects(t *testing.T) {
	srv := NewScriptedServer(t)
	srv.Push(Answer{Status: http.StatusFound, Headers: map[string]string{"Location": "http://10.1.2.3/"}})
	resp, err := Client().Get(srv.URL + "/x")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Errorf("status = %d, want the redirect itself", resp.StatusCode)
	}
}

func TestLogAssertNoSecrets(t *testing.T) {
	logger, log := NewLog()
	logger.Info("sending", "token", "s3cret-token")
	ft := &fakeT{TB: t}
	log.AssertNoSecrets(ft, "", "other")
	if ft.failed {
		t.Error("a secret that was not logged was reported")
	}
	log.AssertNoSecrets(ft, "s3cret-token")
	if !ft.failed {
		t.Error("a logged secret was not reported")
	}
}

type fakeT struct {
	testing.TB
	failed bool
}

func (f *fakeT) Helper()               {}
func (f *fakeT) Errorf(string, ...any) { f.failed = true }

// echo is a toy provider for the runners' own tests: it posts the message
// text to <base_url>/send with a bearer token and answers the id it gets;
// its callbacks are {"id","text"} authenticated by an X-Secret header.
type echo struct {
	client *http.Client
	logger *slog.Logger
}

func (e *echo) Send(ctx context.Context, out carillon.Outgoing) (carillon.SendResult, error) {
	body, _ := json.Marshal(map[string]any{"to": out.To, "text": out.Message.Content.Text})
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, out.Channel.Setting("base_url", "")+"/send", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+out.Channel.Settings["access_token"])
	resp, err := e.client.Do(req)
	if err != nil {
		return carillon.SendResult{}, &carillon.SendError{Code: "network", Title: "unreachable"}
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	e.logger.Info("sent", "status", resp.StatusCode)
	if resp.StatusCode != http.StatusOK {
		se := &carillon.SendError{Permanent: resp.StatusCode < 500, Code: fmt.Sprint(resp.StatusCode), Title: "refused", Payload: raw}
		if resp.StatusCode == http.StatusTooManyRequests {
			se.Permanent, se.Scope, se.RetryAfter = false, carillon.ScopeChannel, 3*time.Second
		}
		return carillon.SendResult{}, se
	}
	var answer struct{ ID string }
	json.Unmarshal(raw, &answer)
	return carillon.SendResult{ExternalID: answer.ID, Address: out.To, Payload: raw}, nil
}

func (e *echo) ParseCallback(ch carillon.Channel, cb carillon.Callback) (carillon.CallbackResult, error) {
	if cb.Header.Get("X-Secret") != ch.Settings["webhook_secret"] {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusForbidden, Reason: "wrong secret"}
	}
	if cb.Method == http.MethodGet {
		return carillon.CallbackResult{Reply: &carillon.CallbackReply{Status: 200, ContentType: "text/plain", Body: []byte(cb.Query.Get("echo"))}}, nil
	}
	var in struct{ ID, Text, Status string }
	if err := json.Unmarshal(cb.Body, &in); err != nil {
		return carillon.CallbackResult{}, &carillon.CallbackError{Status: http.StatusBadRequest, Reason: "not JSON"}
	}
	at := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if in.Status != "" {
		return carillon.CallbackResult{Receipts: []carillon.Receipt{{ChannelID: ch.ID, ExternalID: in.ID, Status: carillon.Status(in.Status), Payload: cb.Body, At: at}}}, nil
	}
	return carillon.CallbackResult{Messages: []carillon.InboundMessage{{
		ChannelID: ch.ID, From: "15551234567", ExternalID: in.ID, Type: "text", Content: carillon.Content{Text: in.Text}, At: at,
	}}}, nil
}

func echoSubject() Subject {
	return Subject{
		New: func(c *http.Client, l *slog.Logger) carillon.Provider { return &echo{client: c, logger: l} },
		Info: carillon.ProviderInfo{Name: "echo", Settings: []carillon.SettingSpec{
			{Name: "access_token", Secret: true}, {Name: "webhook_secret", Secret: true},
		}},
		Channel: carillon.Channel{ID: 7, UUID: "c0ffee", AccountID: 1, Provider: "echo",
			Settings: map[string]string{"access_token": "tok-ABCDEF", "webhook_secret": "whs-123456"}},
		Sign: func(ch carillon.Channel, cb *carillon.Callback) {
			cb.Header.Set("X-Secret", ch.Settings["webhook_secret"])
		},
		Calls: map[string]Call{
			"ping": func(cc CallContext, args json.RawMessage) (any, error) {
				var a struct{ Word string }
				json.Unmarshal(args, &a)
				return map[string]string{"echo": a.Word, "channel": cc.Channel.UUID}, nil
			},
		},
	}
}

func TestRunners(t *testing.T) {
	RunOutbound(t, "testdata/outbound", echoSubject())
	RunInbound(t, "testdata/inbound", echoSubject())
}
