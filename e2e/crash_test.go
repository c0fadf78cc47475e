package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// accepted is a send the server answered 200 enqueued.
type accepted struct {
	uuid, to string
	seq      int // the order in which its recipient's messages were accepted
}

// sendMany sends rounds messages to each number, from workers goroutines.
// Each number belongs to one worker, which sends its messages one after the
// other, so that the order in which a recipient's messages were accepted is
// the order of their answers. It returns the accepted sends; when stopAtError
// is true, a transport error (the server went away) ends a worker quietly,
// else it fails the test.
func sendMany(t *testing.T, s *server, numbers []string, rounds, workers int, stopAtError bool, stop <-chan struct{}) []accepted {
	var mu sync.Mutex
	var out []accepted
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for round := 0; rounds <= 0 || round < rounds; round++ {
				for i, to := range numbers {
					if i%workers != w {
						continue
					}
					select {
					case <-stop:
						return
					default:
					}
					body, _ := json.Marshal(map[string]any{"to": to, "from": "whatsapp", "type": "text",
						"content": map[string]string{"text": fmt.Sprintf("message %d to %s", round, to)}})
					r, err := s.try("POST", "/v1/messages/send", s.Key, string(body))
					if err != nil {
						if !stopAtError {
							t.Errorf("send to %s: %v", to, err)
						}
						return
					}
					if r.Code != http.StatusOK {
						if r.Code >= 500 || !stopAtError {
							t.Errorf("send to %s: want 200, got %s", to, r)
						}
						return
					}
					var ans struct {
						Message struct{ UUID, Status string }
					}
					if err := json.Unmarshal(r.Body, &ans); err != nil || !isUUID(ans.Message.UUID) || ans.Message.Status != "enqueued" {
						t.Errorf("send to %s: want 200 enqueued with a uuid, got %s", to, r)
						return
					}
					mu.Lock()
					out = append(out, accepted{uuid: ans.Message.UUID, to: to, seq: round})
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	return out
}

// waitAll polls the status of every message until each satisfies done, or
// fails the test after timeout naming those that did not.
func waitAll(t *testing.T, s *server, msgs []accepted, timeout time.Duration, done func(status string) bool) {
	t.Helper()
	pending := map[string]string{}
	for _, m := range msgs {
		pending[m.uuid] = ""
	}
	deadline := time.Now().Add(timeout)
	for len(pending) > 0 {
		for uuid := range pending {
			st, _ := s.status(t, uuid)["status"].(string)
			if done(st) {
				delete(pending, uuid)
			} else {
				pending[uuid] = st
			}
		}
		if len(pending) == 0 {
			return
		}
		if time.Now().After(deadline) {
			by := map[string][]string{}
			for uuid, st := range pending {
				by[st] = append(by[st], uuid)
			}
			t.Fatalf("after %v, %d of %d messages are not done; by status: %v", timeout, len(pending), len(msgs), by)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// sentRow is a message's 'sent' entry in the status history.
type sentRow struct {
	messageID, contactID int64
	uuid                 string
	rowID, createdAt     int64
}

// checkSentOnce checks in a stopped server's store that each message was
// sent exactly once, and that each recipient's messages were sent in the
// order they were accepted.
func checkSentOnce(t *testing.T, db *sql.DB, msgs []accepted) {
	t.Helper()
	ids := map[string]int64{}
	contacts := map[string]int64{}
	rows, err := db.Query(`SELECT m.id, m.uuid, m.contact_id FROM messages m WHERE m.direction = 'out'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id, contact int64
		var uuid string
		if err := rows.Scan(&id, &uuid, &contact); err != nil {
			t.Fatal(err)
		}
		ids[uuid], contacts[uuid] = id, contact
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	if len(ids) != len(msgs) {
		t.Errorf("the store holds %d outgoing messages, %d were accepted", len(ids), len(msgs))
	}

	counts := map[int64]int{}
	rows, err = db.Query(`SELECT message_id, COUNT(*) FROM message_statuses WHERE status = 'sent' GROUP BY message_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var n int
		if err := rows.Scan(&id, &n); err != nil {
			t.Fatal(err)
		}
		counts[id] = n
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		id, ok := ids[m.uuid]
		if !ok {
			t.Errorf("accepted message %s (to %s) is not in the store", m.uuid, m.to)
			continue
		}
		if n := counts[id]; n != 1 {
			detail := statusHistory(t, db, id)
			t.Errorf("message %s (id %d, to %s, #%d): %d 'sent' rows in message_statuses, want exactly 1; history: %s", m.uuid, id, m.to, m.seq, n, detail)
		}
	}

	// Per recipient, ordered by message id, the 'sent' rows come in the
	// same order.
	rows, err = db.Query(`SELECT m.id, m.contact_id, m.uuid, MIN(s.id), MIN(s.created_at)
		FROM messages m JOIN message_statuses s ON s.message_id = m.id AND s.status = 'sent'
		WHERE m.direction = 'out' GROUP BY m.id ORDER BY m.contact_id, m.id`)
	if err != nil {
		t.Fatal(err)
	}
	byContact := map[int64][]sentRow{}
	for rows.Next() {
		var r sentRow
		if err := rows.Scan(&r.messageID, &r.contactID, &r.uuid, &r.rowID, &r.createdAt); err != nil {
			t.Fatal(err)
		}
		byContact[r.contactID] = append(byContact[r.contactID], r)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	seqOf := map[string]accepted{}
	for _, m := range msgs {
		seqOf[m.uuid] = m
	}
	for contact, list := range byContact {
		for i := 1; i < len(list); i++ {
			a, b := list[i-1], list[i]
			if b.rowID < a.rowID || b.createdAt < a.createdAt {
				t.Errorf("contact %d (%s): message %d (#%d) was sent (status row %d at %d) before message %d (#%d, status row %d at %d), accepted earlier",
					contact, seqOf[b.uuid].to, b.messageID, seqOf[b.uuid].seq, b.rowID, b.createdAt, a.messageID, seqOf[a.uuid].seq, a.rowID, a.createdAt)
			}
		}
	}
	// The acceptance order of each recipient (the answers' order) is the
	// order of the message ids.
	byTo := map[string][]accepted{}
	for _, m := range msgs {
		byTo[m.to] = append(byTo[m.to], m)
	}
	for to, list := range byTo {
		sort.Slice(list, func(i, j int) bool { return list[i].seq < list[j].seq })
		for i := 1; i < len(list); i++ {
			if ids[list[i].uuid] < ids[list[i-1].uuid] {
				t.Errorf("%s: message #%d has a smaller id than #%d, accepted before it", to, list[i].seq, list[i-1].seq)
			}
		}
	}
}

// statusHistory describes a message's status history, for failure messages.
func statusHistory(t *testing.T, db *sql.DB, id int64) string {
	rows, err := db.Query(`SELECT id, status, applied, created_at, COALESCE(payload, '') FROM message_statuses WHERE message_id = ? ORDER BY id`, id)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var parts []string
	for rows.Next() {
		var rid, applied, at int64
		var st, payload string
		if err := rows.Scan(&rid, &st, &applied, &at, &payload); err != nil {
			return err.Error()
		}
		parts = append(parts, fmt.Sprintf("[row %d %s applied=%d at=%d %s]", rid, st, applied, at, payload))
	}
	var attempts int
	var owner string
	_ = db.QueryRow(`SELECT attempts, owner FROM messages WHERE id = ?`, id).Scan(&attempts, &owner)
	return fmt.Sprintf("%s attempts=%d owner=%s", strings.Join(parts, " "), attempts, owner)
}

// TestCrashSafety kills the server with SIGKILL right after 200 sends were
// accepted, restarts it on the same data folder, and checks that every
// accepted message is sent, once, in its recipient's order, and read.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	// Without a rate limit: the test polls 200 statuses every 20 ms.
	s := startServer(t, "--sandbox-delay", "300ms", "--rate-limit", "0")
	numbers := make([]string, 20)
	for i := range numbers {
		numbers[i] = phoneNumber(i)
	}
	msgs := sendMany(t, s, numbers, 10, 8, false, nil)
	s.kill()
	if t.Failed() {
		t.FailNow()
	}
	if len(msgs) != 200 {
		t.Fatalf("%d sends accepted, want 200", len(msgs))
	}

	s.restart()
	waitAll(t, s, msgs, 40*time.Second, func(st string) bool {
		if st == "failed" || st == "mismatch" || st == "deleted" {
			t.Fatalf("a message ended %s", st)
		}
		return st == "read"
	})
	if err := s.stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	checkSentOnce(t, openDB(t, s.dbPath()), msgs)
}

// TestGracefulShutdown stops the server with SIGTERM while sends are being
// accepted: it exits with status 0, and after a restart every send it
// answered 200 is sent.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	s := startServer(t, "--rate-limit", "0")
	numbers := make([]string, 30)
	for i := range numbers {
		numbers[i] = phoneNumber(40 + i)
	}
	var msgs []accepted
	done := make(chan struct{})
	go func() {
		defer close(done)
		msgs = sendMany(t, s, numbers, 0, 8, true, nil)
	}()
	// Let sends flow (and some be sent) before the stop.
	deadline := time.Now().Add(10 * time.Second)
	for {
		time.Sleep(50 * time.Millisecond)
		r, err := s.try("GET", "/metrics", "", "")
		if err == nil && strings.Contains(string(r.Body), `carillon_sends_accepted_total`) && acceptedAtLeast(string(r.Body), 100) {
			break
		}
		if time.Now().After(deadline) {
			break
		}
	}
	s.signalTerm()
	if err := s.waitExit(30 * time.Second); err != nil {
		t.Errorf("after SIGTERM: %v (want exit status 0)", err)
	}
	<-done
	if len(msgs) == 0 {
		t.Fatal("no send was accepted before the stop")
	}
	t.Logf("%d sends accepted before the stop", len(msgs))

	s.restart()
	waitAll(t, s, msgs, 30*time.Second, func(st string) bool {
		if st == "failed" || st == "mismatch" || st == "deleted" {
			t.Fatalf("a message ended %s", st)
		}
		return st == "sent" || st == "delivered" || st == "read"
	})
	if err := s.stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	checkSentOnce(t, openDB(t, s.dbPath()), msgs)
}

// acceptedAtLeast reads carillon_sends_accepted_total from a metrics page.
func acceptedAtLeast(metrics string, n float64) bool {
	for _, line := range strings.Split(metrics, "\n") {
		if strings.HasPrefix(line, "carillon_sends_accepted_total ") {
			var v float64
			fmt.Sscanf(strings.TrimPrefix(line, "carillon_sends_accepted_total "), "%g", &v)
			return v >= n
		}
	}
	return false
}
