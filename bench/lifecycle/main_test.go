package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/carillon/carillon/webhook"
)

// delivery is one webhook delivery as carillon makes it.
type delivery struct {
	id, event, message, status, contact string
	seq                                 int
	badSignature                        bool
}

func (d delivery) post(t *testing.T, rcv *receiver, secret string) {
	t.Helper()
	body := fmt.Sprintf(`{"event":%q,"payload":{"uuid":%q,"status":%q,"contact":{"uuid":%q},"metadata":{%q:%q}}}`,
		d.event, d.message, d.status, d.contact, metaSeq, strconv.Itoa(d.seq))
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	sig := webhook.Sign(secret, d.id, ts, []byte(body))
	if d.badSignature {
		sig = webhook.Sign("whsec_another", d.id, ts, []byte(body))
	}
	req := httptest.NewRequest(http.MethodPost, "/events", strings.NewReader(body))
	req.Header.Set("webhook-id", d.id)
	req.Header.Set("webhook-timestamp", ts)
	req.Header.Set("webhook-signature", sig)
	w := httptest.NewRecorder()
	rcv.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		t.Fatalf("the receiver answered %d", w.Code)
	}
}

// life is the four events of message m, the n-th to contact c, ids from
// first on.
func life(m, c string, n, first int) []delivery {
	out := []delivery{{id: "msg_" + strconv.Itoa(first), event: "message_created", message: m, status: "sent", contact: c, seq: n}}
	for i, st := range []string{"sent", "delivered", "read"} {
		out = append(out, delivery{id: "msg_" + strconv.Itoa(first+1+i), event: "message_status_updated", message: m, status: st, contact: c, seq: n})
	}
	return out
}

// TestReceiver: the webhook receiver passes a run in which each message's
// events come once, signed, in order, each contact's messages in the
// order sent, and counts each kind of fault otherwise.
func TestReceiver(t *testing.T) {
	const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw5Eo7eXXvsJQ="
	a, b := life("m1", "c1", 0, 0), life("m2", "c1", 1, 10)
	tests := []struct {
		name       string
		deliveries []delivery
		uuids      []string
		want       hooks
	}{
		{"in order, two contacts interleaved", append(append(life("m1", "c1", 0, 0)[:2], life("m3", "c2", 0, 20)...), append(life("m1", "c1", 0, 0)[2:], life("m2", "c1", 1, 10)...)...),
			[]string{"m1", "m2", "m3"}, hooks{Events: 12, Complete: 3}},
		{"read before delivered", []delivery{a[0], a[1], a[3], a[2]}, []string{"m1"},
			hooks{Events: 4, Complete: 1, OutOfOrder: 2}},
		{"a contact's second message created first", append(append([]delivery{}, b...), a...), []string{"m1", "m2"},
			hooks{Events: 8, Complete: 2, OutOfOrder: 2}},
		{"an event twice", append(append([]delivery{}, a...), a[2]), []string{"m1"},
			hooks{Events: 5, Complete: 1, Duplicates: 1}},
		{"a bad signature", []delivery{a[0], a[1], {id: a[2].id, event: a[2].event, message: "m1", status: "delivered", contact: "c1", badSignature: true}, a[3]},
			[]string{"m1"}, hooks{Events: 4, Complete: 1, BadSig: 1}},
		{"a message never read", a[:3], []string{"m1"}, hooks{Events: 3, Missing: 1}},
		{"a message not sent in the run", append(append([]delivery{}, a...), life("m9", "c9", 0, 30)...), []string{"m1"},
			hooks{Events: 8, Complete: 1, Unknown: 1}},
		{"other events counted apart", append([]delivery{{id: "msg_99", event: "contact_updated", message: "c1"}}, a...), []string{"m1"},
			hooks{Events: 5, Complete: 1, Other: 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rcv := newReceiver()
			rcv.setSecret(secret)
			for _, d := range tt.deliveries {
				d.post(t, rcv, secret)
			}
			got := rcv.wait(context.Background(), load{start: time.Now(), uuids: tt.uuids}, time.Millisecond)
			got.LastS, got.EventsPerS = 0, 0
			if *got != tt.want {
				t.Errorf("got %+v, want %+v", *got, tt.want)
			}
		})
	}
}

// TestPrintMachine: the machine's CPU line tells the CPU time used (neither
// idle nor stolen, on every CPU) for each of what the phase counts, the
// figure docs/benchmarks.md multiplies by a target's rate; a phase with no
// rate prints the shares alone.
func TestPrintMachine(t *testing.T) {
	cpus := float64(runtime.NumCPU())
	tests := []struct {
		name   string
		m      machineShares
		perS   float64
		each   string
		wantMS float64 // 0: no figure
	}{
		{"a quarter idle", machineShares{IdlePct: 25}, 1000, "a message", 0.75 * cpus},
		{"stolen time is not the machine's", machineShares{IdlePct: 20, StolenPct: 30}, 2000, "a request", 0.5 * cpus / 2},
		{"no rate", machineShares{IdlePct: 10}, 0, "a message", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out strings.Builder
			printMachine(&out, tt.m, tt.perS, tt.each)
			got := out.String()
			if !strings.Contains(got, fmt.Sprintf("%.0f %% idle, %.0f %% stolen by the host", tt.m.IdlePct, tt.m.StolenPct)) {
				t.Errorf("no shares in %q", got)
			}
			want := fmt.Sprintf("; %.3f ms of its CPUs' time %s\n", tt.wantMS, tt.each)
			if tt.wantMS == 0 {
				if strings.Contains(got, "ms of its CPUs' time") {
					t.Errorf("a figure without a rate: %q", got)
				}
			} else if !strings.HasSuffix(got, want) {
				t.Errorf("got %q, want it to end with %q", got, want)
			}
		})
	}
}
