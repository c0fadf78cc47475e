package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// accepted is a send the server answered 200 enqueued.
type accepted struct {
	uuid, to string
	seq      int // the order in which its recipient's messages were accepted
	via      int // the index of the server that accepted it
}

// sendMany sends rounds messages to each number (rounds ≤ 0: until a
// server goes away), from workers goroutines. Each number belongs to one
// worker, which sends its messages one after the other, so that the order
// in which a recipient's messages were accepted is the order of their
// answers. With several servers (instances on one database), the sends
// alternate between them: round r to number i goes to servers[(i+r) %
// len(servers)], with that server's Key. It returns the accepted sends,
// counting them in progress when not nil; when stopAtError is true, a
// transport error (the server went away) ends a worker quietly, else it
// fails the test.
func sendMany(t *testing.T, servers []*server, numbers []string, rounds, workers int, stopAtError bool, progress *atomic.Int64) []accepted {
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
					via := (i + round) % len(servers)
					s := servers[via]
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
					out = append(out, accepted{uuid: ans.Message.UUID, to: to, seq: round, via: via})
					mu.Unlock()
					if progress != nil {
						progress.Add(1)
					}
				}
			}
		})
	}
	wg.Wait()
	return out
}

// waitAll polls the status of every message until each satisfies done,
// and returns the status of those that do not after timeout, or once
// nothing changed for quiet (when quiet > 0).
func waitAll(t *testing.T, s *server, msgs []accepted, timeout, quiet time.Duration, done func(status string) bool) map[string]string {
	t.Helper()
	pending := map[string]string{}
	for _, m := range msgs {
		pending[m.uuid] = ""
	}
	deadline := time.Now().Add(timeout)
	lastChange := time.Now()
	for len(pending) > 0 {
		for uuid, was := range pending {
			st, _ := s.status(t, uuid)["status"].(string)
			if st != was {
				lastChange = time.Now()
			}
			if done(st) {
				delete(pending, uuid)
			} else {
				pending[uuid] = st
			}
		}
		if len(pending) == 0 || time.Now().After(deadline) || (quiet > 0 && time.Since(lastChange) > quiet) {
			break
		}
		// A round asks for every pending message's status, up to hundreds
		// of requests: at 20 ms between rounds, answering them was most of
		// the server's work in these tests, for no earlier answer.
		time.Sleep(100 * time.Millisecond)
	}
	return pending
}

// byStatus counts pending by status, with a few uuids of each, for failure
// messages.
func byStatus(pending map[string]string) string {
	by := map[string][]string{}
	for uuid, st := range pending {
		by[st] = append(by[st], uuid)
	}
	var parts []string
	for st, uuids := range by {
		sort.Strings(uuids)
		parts = append(parts, fmt.Sprintf("%s: %d (e.g. %s)", st, len(uuids), strings.Join(uuids[:min(3, len(uuids))], ", ")))
	}
	sort.Strings(parts)
	return strings.Join(parts, "; ")
}

// sentRow is a message's 'sent' entry in the status history.
type sentRow struct {
	messageID, contactID int64
	uuid                 string
	rowID, createdAt     int64
}

// checkSentOnce checks in a server's store (stopped, on SQLite) that each
// message was sent exactly once, and that each recipient's messages were
// sent in the order they were accepted.
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

	// Each message went through the status sent once (applied), and the
	// provider accepted it once: every acceptance is recorded as a 'sent'
	// row holding the provider's answer. A second 'sent' row without
	// either is a late report kept in the history (a receipt that came
	// before the acceptance was recorded), not a second send.
	type sentCount struct{ all, applied, accepted int }
	counts := map[int64]sentCount{}
	rows, err = db.Query(`SELECT message_id, COUNT(*), COUNT(CASE WHEN applied <> 0 THEN 1 END), COUNT(payload)
		FROM message_statuses WHERE status = 'sent' GROUP BY message_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var c sentCount
		if err := rows.Scan(&id, &c.all, &c.applied, &c.accepted); err != nil {
			t.Fatal(err)
		}
		counts[id] = c
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
		switch c := counts[id]; {
		case c.applied != 1 || c.accepted != 1:
			t.Errorf("message %s (id %d, to %s, #%d): %d 'sent' rows in message_statuses (%d applied, %d with the provider's answer), want exactly 1 of each; history: %s",
				m.uuid, id, m.to, m.seq, c.all, c.applied, c.accepted, statusHistory(t, db, id))
		case c.all != 1:
			t.Logf("message %s (id %d, to %s): %d 'sent' rows, one a late report kept in the history; history: %s",
				m.uuid, id, m.to, c.all, statusHistory(t, db, id))
		}
	}

	// Per recipient, ordered by message id, the provider accepted the
	// messages in the same order: their applied 'sent' rows (the first
	// word of the acceptance: the provider's answer, or a receipt that
	// came before it was recorded) come in that order.
	rows, err = db.Query(`SELECT m.id, m.contact_id, m.uuid, MIN(s.id), MIN(s.created_at)
		FROM messages m JOIN message_statuses s ON s.message_id = m.id AND s.status = 'sent' AND s.applied <> 0
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
	// The same holds for the applied 'sent' rows, the moment each message
	// was recorded sent (by its acceptance, or by a receipt that came
	// first): a recipient's next message leaves only once the previous one
	// is recorded.
	rows, err = db.Query(`SELECT m.id, m.contact_id, m.uuid, MIN(s.id)
		FROM messages m JOIN message_statuses s ON s.message_id = m.id AND s.status = 'sent' AND s.applied <> 0
		WHERE m.direction = 'out' GROUP BY m.id ORDER BY m.contact_id, m.id`)
	if err != nil {
		t.Fatal(err)
	}
	byContact = map[int64][]sentRow{}
	for rows.Next() {
		var r sentRow
		if err := rows.Scan(&r.messageID, &r.contactID, &r.uuid, &r.rowID); err != nil {
			t.Fatal(err)
		}
		byContact[r.contactID] = append(byContact[r.contactID], r)
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	for contact, list := range byContact {
		for i := 1; i < len(list); i++ {
			if a, b := list[i-1], list[i]; b.rowID < a.rowID {
				t.Errorf("contact %d (%s): message %d (#%d) was recorded sent (applied status row %d) before message %d (#%d, applied status row %d), accepted earlier",
					contact, seqOf[b.uuid].to, b.messageID, seqOf[b.uuid].seq, b.rowID, a.messageID, seqOf[a.uuid].seq, a.rowID)
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
	rows, err := db.Query(`SELECT id, status, applied, created_at, COALESCE(payload, '') FROM message_statuses WHERE message_id = $1 ORDER BY id`, id)
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
	_ = db.QueryRow(`SELECT attempts, owner FROM messages WHERE id = $1`, id).Scan(&attempts, &owner)
	return fmt.Sprintf("%s attempts=%d owner=%s", strings.Join(parts, " "), attempts, owner)
}

// TestCrashSafety kills the server with SIGKILL right after 200 sends were
// accepted, restarts it on the same store, and checks that every accepted
// message is sent, once, in its recipient's order, and read. On SQLite the
// restarted server takes over the killed one's messages at once; on
// PostgreSQL it is another instance, which adopts them once the killed one
// has been silent for 15 s.
func TestCrashSafety(t *testing.T) {
	t.Parallel()
	eachStore(t, testCrashSafety)
}

func testCrashSafety(t *testing.T, kind string) {
	// Without a rate limit: the test polls 200 statuses every 20 ms.
	s := startServerOn(t, kind, "--sandbox-delay", "300ms", "--rate-limit", "0")
	numbers := make([]string, 20)
	for i := range numbers {
		numbers[i] = phoneNumber(i)
	}
	msgs := sendMany(t, []*server{s}, numbers, 10, 8, false, nil)
	s.kill()
	if t.Failed() {
		t.FailNow()
	}
	if len(msgs) != 200 {
		t.Fatalf("%d sends accepted, want 200", len(msgs))
	}

	// The messages recorded sent before the kill had their receipts
	// pending in the killed process: whether they still come is
	// TestReceiptsAfterCrash's question, so here they only need to have
	// left. Every other message must be read after the restart.
	sentBefore := sentMessages(t, s)
	var notSentBefore []accepted
	for _, m := range msgs {
		if !sentBefore[m.uuid] {
			notSentBefore = append(notSentBefore, m)
		}
	}
	t.Logf("%d of %d messages were recorded sent before the kill -9", len(msgs)-len(notSentBefore), len(msgs))

	s.restart()
	final := func(st string) bool { return st == "failed" || st == "mismatch" || st == "deleted" }
	// Nothing accepted is lost: every message leaves (on PostgreSQL, after
	// the 15 s that make the killed instance dead, and a sweep).
	leave := 30 * time.Second
	if kind == storePostgres {
		leave = 60 * time.Second
	}
	if left := waitAll(t, s, msgs, leave, 0, func(st string) bool {
		return final(st) || ladder[st] >= ladder["sent"]
	}); len(left) > 0 {
		t.Fatalf("after the restart, %d of %d accepted messages never left; by status: %s", len(left), len(msgs), byStatus(left))
	}
	// And each sent after the restart is delivered and read, as the
	// sandbox promises.
	notRead := waitAll(t, s, notSentBefore, 30*time.Second, 0, func(st string) bool { return st == "read" || final(st) })
	for _, m := range msgs {
		if st, _ := s.status(t, m.uuid)["status"].(string); final(st) {
			t.Errorf("message %s to %s ended %s", m.uuid, m.to, st)
		}
	}
	if len(notRead) > 0 {
		t.Errorf("%d of %d messages sent after the restart never reached read; by status: %s", len(notRead), len(msgs), byStatus(notRead))
	}
	if err := s.stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	db := s.openStore(t)
	checkSentOnce(t, db, msgs)
}

// sentMessages returns the uuids of the messages that have a 'sent' entry
// in their status history, read from the store of a server that is not
// running.
func sentMessages(t *testing.T, s *server) map[string]bool {
	t.Helper()
	db := s.openStore(t)
	if s.pg == nil {
		// Closed before the server starts again, as a stopped server's
		// database is left.
		defer db.Close()
	}
	rows, err := db.Query(`SELECT m.uuid FROM messages m
		WHERE EXISTS (SELECT 1 FROM message_statuses s WHERE s.message_id = m.id AND s.status = 'sent')`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	sent := map[string]bool{}
	for rows.Next() {
		var uuid string
		if err := rows.Scan(&uuid); err != nil {
			t.Fatal(err)
		}
		sent[uuid] = true
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return sent
}

// TestGracefulShutdown stops the server with SIGTERM while sends are being
// accepted: it exits with status 0, and after a restart every send it
// answered 200 is sent. On PostgreSQL the stopped instance hands its queued
// messages over at once: the restarted one (another instance) adopts them
// at start.
func TestGracefulShutdown(t *testing.T) {
	t.Parallel()
	eachStore(t, testGracefulShutdown)
}

func testGracefulShutdown(t *testing.T, kind string) {
	s := startServerOn(t, kind, "--rate-limit", "0")
	numbers := make([]string, 30)
	for i := range numbers {
		numbers[i] = phoneNumber(40 + i)
	}
	var msgs []accepted
	var progress atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		msgs = sendMany(t, []*server{s}, numbers, 0, 8, true, &progress)
	}()
	// Let sends flow (and some be sent) before the stop.
	deadline := time.Now().Add(10 * time.Second)
	for progress.Load() < 150 && time.Now().Before(deadline) && s.running() {
		time.Sleep(10 * time.Millisecond)
	}
	if !s.running() {
		t.Fatalf("carillon serve exited before it was sent SIGTERM (%v), after %d sends were accepted", s.exitError(), progress.Load())
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
	if left := waitAll(t, s, msgs, 30*time.Second, 0, func(st string) bool { return ladder[st] >= ladder["sent"] }); len(left) > 0 {
		t.Errorf("after the restart, %d of %d accepted messages are not sent; by status: %s", len(left), len(msgs), byStatus(left))
	}
	if err := s.stop(); err != nil {
		t.Errorf("stopping: %v", err)
	}
	checkSentOnce(t, s.openStore(t), msgs)
}
