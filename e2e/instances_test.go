package e2e

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestSeveralInstances runs two serve processes, A and B, on one
// PostgreSQL schema with one secret key (each with its own data folder and
// port). 300 sends to 30 recipients alternate between them, concurrently;
// then A is killed (kill -9) while it still has messages to send. B must
// adopt them once A has been silent for 15 s, and every message must be
// sent exactly once, by one instance, in its recipient's order.
func TestSeveralInstances(t *testing.T) {
	postgresURL(t)
	t.Parallel()
	schema := newPostgresSchema(t)
	// A sandbox delay of 400 ms makes a backlog: each recipient's ten
	// messages take four seconds at least to leave one after the other.
	args := []string{"--sandbox-delay", "400ms", "--rate-limit", "0"}
	a := newServer(t, t.TempDir(), args...)
	a.pg = schema
	a.start(true)
	b := newServer(t, t.TempDir(), args...)
	b.pg = schema
	b.start(false)
	if out := b.stdout.String(); out != "" {
		t.Errorf("the second instance printed %q on standard output, want nothing (the database has its account and key already)", out)
	}
	b.Key = a.Key
	if r := b.do(t, "GET", "/v1/auth/me", b.Key, ""); r.Code != http.StatusOK {
		t.Fatalf("the key printed by A is refused by B: %s", r)
	}

	numbers := make([]string, 30)
	for i := range numbers {
		numbers[i] = phoneNumber(i)
	}
	msgs := sendMany(t, []*server{a, b}, numbers, 10, 10, false, nil)
	if t.Failed() {
		t.FailNow()
	}
	if len(msgs) != 300 {
		t.Fatalf("%d sends accepted, want 300", len(msgs))
	}
	// A is killed while its backlog is there; who owns what is read after
	// (B adopts nothing before A has been silent for 15 s).
	killedAt := time.Now()
	a.kill()
	db := a.openStore(t)

	// The instance that accepted a message owns it: one id per instance.
	ownerOf := messageOwners(t, db)
	ids := [2]map[string]bool{{}, {}}
	for _, m := range msgs {
		ids[m.via][ownerOf[m.uuid]] = true
	}
	if len(ids[0]) != 1 || len(ids[1]) != 1 {
		t.Fatalf("the messages accepted by A have the owners %v, those accepted by B %v: want one instance id each", keys(ids[0]), keys(ids[1]))
	}
	idA, idB := keys(ids[0])[0], keys(ids[1])[0]
	if idA == idB || idA == "" {
		t.Fatalf("A and B own their messages under the instance ids %q and %q: want two different ids", idA, idB)
	}

	var leftByA int
	if err := db.QueryRow(`SELECT COUNT(*) FROM messages WHERE owner = $1 AND send_state = 'queued'`, idA).Scan(&leftByA); err != nil {
		t.Fatal(err)
	}
	if leftByA == 0 {
		t.Fatal("A had sent all its messages before it was killed: nothing to adopt (the sandbox delay should have left a backlog)")
	}
	t.Logf("A (instance %s) was killed with %d queued messages", idA, leftByA)

	// Every message leaves: B adopts A's once A has been silent for 15 s
	// (and B's own ones to the same recipients wait for them).
	final := func(st string) bool { return finalStatuses[st] }
	if left := waitAll(t, b, msgs, 60*time.Second, 0, func(st string) bool {
		return final(st) || ladder[st] >= ladder["sent"]
	}); len(left) > 0 {
		t.Fatalf("%v after A was killed, %d of %d accepted messages never left; by status: %s\nqueued messages of a few recipients, in acceptance order: %s",
			time.Since(killedAt).Round(time.Second), len(left), len(msgs), byStatus(left), queuedByRecipient(t, db, msgs, []string{idA, idB}, 3))
	}
	t.Logf("every message left %v after A was killed", time.Since(killedAt).Round(100*time.Millisecond))

	// Those B sent are delivered and read: B reports their receipts. Those
	// A sent before it was killed had their receipts pending in A: they
	// need only have left.
	ownerOf = messageOwners(t, db)
	var sentByB []accepted
	for _, m := range msgs {
		if ownerOf[m.uuid] == idB {
			sentByB = append(sentByB, m)
		}
	}
	if notRead := waitAll(t, b, sentByB, 30*time.Second, 5*time.Second, func(st string) bool { return st == "read" || final(st) }); len(notRead) > 0 {
		t.Errorf("%d of the %d messages sent by B never reached read; by status: %s", len(notRead), len(sentByB), byStatus(notRead))
	}
	for _, m := range msgs {
		if st, _ := b.status(t, m.uuid)["status"].(string); final(st) {
			t.Errorf("message %s to %s ended %s", m.uuid, m.to, st)
		}
	}
	if err := b.stop(); err != nil {
		t.Errorf("stopping B: %v", err)
	}

	// Each message was sent by one instance, its final owner: B's own
	// ones by B; A's by A before the kill, or by B after it.
	sentAt := map[string]int64{}
	rows, err := db.Query(`SELECT m.uuid, MIN(s.created_at) FROM messages m JOIN message_statuses s ON s.message_id = m.id
		WHERE s.status = 'sent' AND s.applied <> 0 GROUP BY m.uuid`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var uuid string
		var at int64
		if err := rows.Scan(&uuid, &at); err != nil {
			t.Fatal(err)
		}
		sentAt[uuid] = at
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	ownerOf = messageOwners(t, db)
	var byA, adopted int
	for _, m := range msgs {
		owner, at := ownerOf[m.uuid], sentAt[m.uuid]
		name := map[string]string{idA: "A", idB: "B"}[owner]
		switch {
		case name == "":
			t.Errorf("message %s (to %s, #%d): owner %q is neither A (%s) nor B (%s)", m.uuid, m.to, m.seq, owner, idA, idB)
		case m.via == 1 && name != "B":
			t.Errorf("message %s (to %s, #%d) was accepted by B but is owned by %s", m.uuid, m.to, m.seq, name)
		case name == "A" && at >= killedAt.UnixMilli():
			t.Errorf("message %s (to %s, #%d) is owned by A but was recorded sent at %d, after A was killed (%d)", m.uuid, m.to, m.seq, at, killedAt.UnixMilli())
		case m.via == 0 && name == "B" && at < killedAt.UnixMilli():
			t.Errorf("message %s (to %s, #%d) was accepted by A and is owned by B, but was recorded sent at %d, before A was killed (%d)", m.uuid, m.to, m.seq, at, killedAt.UnixMilli())
		case name == "A":
			byA++
		case m.via == 0:
			adopted++
		}
	}
	t.Logf("A sent %d messages, B sent %d of its own and %d adopted from A", byA, len(msgs)-byA-adopted, adopted)
	if n := adoptedFrom(b, idA); n != adopted {
		t.Errorf("B logged the adoption of %d messages of A (instance %s); %d messages accepted by A are owned by B", n, idA, adopted)
	}
	checkSentOnce(t, db, msgs)
	if lines := b.errorLogs(); len(lines) > 0 {
		t.Logf("B logged %d lines at level ERROR, first: %s", len(lines), lines[0])
	}
}

// queuedByRecipient describes the queued messages of the first n
// recipients that have some, for failure messages: each message's id, the
// instance that accepted it, its owner and its attempts. instances are the
// instance ids in the order of accepted.via, named A, B, …
func queuedByRecipient(t *testing.T, db *sql.DB, msgs []accepted, instances []string, n int) string {
	t.Helper()
	name := func(i int) string { return string(rune('A' + i)) }
	via := map[string]int{}
	for _, m := range msgs {
		via[m.uuid] = m.via
	}
	rows, err := db.Query(`SELECT contact_id, id, uuid, owner, attempts FROM messages
		WHERE send_state = 'queued' ORDER BY contact_id, id`)
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var parts []string
	last := int64(-1)
	for rows.Next() {
		var contact, id, attempts int64
		var uuid, owner string
		if err := rows.Scan(&contact, &id, &uuid, &owner, &attempts); err != nil {
			return err.Error()
		}
		if contact != last {
			if len(parts) == n {
				break
			}
			parts = append(parts, fmt.Sprintf("contact %d:", contact))
			last = contact
		}
		if i := slices.Index(instances, owner); i >= 0 {
			owner = name(i)
		}
		parts[len(parts)-1] += fmt.Sprintf(" [id %d accepted by %s, owner %s, attempts %d]", id, name(via[uuid]), owner, attempts)
	}
	return strings.Join(parts, "; ")
}

// messageOwners returns the owner (instance id) of every outgoing message,
// by uuid.
func messageOwners(t *testing.T, db *sql.DB) map[string]string {
	t.Helper()
	out := map[string]string{}
	rows, err := db.Query(`SELECT uuid, owner FROM messages WHERE direction = 'out'`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var uuid, owner string
		if err := rows.Scan(&uuid, &owner); err != nil {
			t.Fatal(err)
		}
		out[uuid] = owner
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// adoptedFrom sums the messages that s logged adopting from the instance
// id.
func adoptedFrom(s *server, id string) int {
	n := 0
	for _, line := range strings.Split(s.stderr.String(), "\n") {
		var entry struct {
			Msg      string
			Instance string
			Messages int
		}
		if json.Unmarshal([]byte(line), &entry) == nil && entry.Msg == "outbox: adopted the queued messages of a stopped instance" && entry.Instance == id {
			n += entry.Messages
		}
	}
	return n
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
