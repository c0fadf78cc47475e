package storetest

import (
	"fmt"
	"slices"
	"sort"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// The send pipeline's bookkeeping: the queue and instances (store/queue.go).

func testQueue(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	chA := e.channel(a.ID, carillon.WhatsApp, true)
	chB := e.channel(b.ID, carillon.WhatsApp, true)
	cA := e.contact(chA, "5491100000001")
	cB := e.contact(chB, "5491100000001")

	count := func(want int64) {
		t.Helper()
		n, err := e.s.CountQueued(e.ctx)
		e.must(err, "CountQueued")
		if n != want {
			t.Errorf("CountQueued = %d, want %d", n, want)
		}
	}
	count(0)

	q1 := e.message(cA, carillon.SendQueued, "one")
	e.message(cA, carillon.SendDone, "one")
	qOther := e.message(cA, carillon.SendQueued, "two")
	e.message(cA, carillon.SendNone, "") // inbound
	e.message(cA, carillon.SendNone, "one")
	q2 := e.message(cB, carillon.SendQueued, "one") // another account, same owner
	q3 := e.message(cA, carillon.SendQueued, "one")
	q4 := e.message(cA, carillon.SendQueued, "one")
	count(5)

	full, err := e.s.QueuedMessages(e.ctx, "one", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "QueuedMessages rows", full, []carillon.Message{q1, q2, q3, q4})

	cases := []struct {
		owner string
		after int64
		limit int
		want  []int64
	}{
		{"one", 0, 100, []int64{q1.ID, q2.ID, q3.ID, q4.ID}},
		{"one", q1.ID, 100, []int64{q2.ID, q3.ID, q4.ID}},
		{"one", q1.ID, 2, []int64{q2.ID, q3.ID}},
		{"one", 0, 1, []int64{q1.ID}},
		{"one", q4.ID, 100, []int64{}},
		{"two", 0, 100, []int64{qOther.ID}},
		{"two", qOther.ID, 100, []int64{}},
		{"three", 0, 100, []int64{}},
		{"", 0, 100, []int64{}}, // inbound messages have no owner and are not queued
	}
	for _, tc := range cases {
		got, err := e.s.QueuedMessages(e.ctx, tc.owner, tc.after, tc.limit)
		e.must(err, "QueuedMessages")
		check(t, fmt.Sprintf("QueuedMessages(%q, after %d, limit %d)", tc.owner, tc.after, tc.limit), ids(got), tc.want)
	}

	// A message leaves the queue when its send state changes.
	q3.SendState = carillon.SendDone
	e.must(e.s.UpdateMessage(e.ctx, &q3), "UpdateMessage")
	got, err := e.s.QueuedMessages(e.ctx, "one", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "QueuedMessages after one is done", ids(got), []int64{q1.ID, q2.ID, q4.ID})
	count(4)
}

// testCheckQueued: each message as stored, whether it is unchanged (its
// version and owner read), changed (read whole), adopted (a new owner, same
// version) or gone; one by one and all in one call, in the order asked,
// with and without the earlier queued messages asked for.
func testCheckQueued(t *testing.T, e *env) {
	a, other := e.account("a"), e.account("b")
	c := e.contact(e.channel(a.ID, carillon.WhatsApp, true), "5491100000001")
	m := e.message(c, carillon.SendQueued, "one")
	n := e.message(c, carillon.SendQueued, "one")
	type want struct {
		m    carillon.Message // as asked for
		gone bool
	}
	// stored is what CheckQueued must return for w: the row as stored.
	stored := func(w want) carillon.QueueCheck {
		if w.gone {
			return carillon.QueueCheck{Gone: true}
		}
		cur, err := e.s.MessageByID(e.ctx, w.m.AccountID, w.m.ID)
		e.must(err, "MessageByID")
		return carillon.QueueCheck{Message: cur}
	}
	current := func(what string, ws ...want) {
		t.Helper()
		var ms []carillon.Message
		var all []carillon.QueueCheck
		for _, w := range ws {
			ms = append(ms, w.m)
			all = append(all, stored(w))
		}
		for _, earlier := range []bool{false, true} {
			for i, w := range ws {
				got, err := e.s.CheckQueued(e.ctx, []carillon.Message{w.m}, earlier)
				e.must(err, "CheckQueued "+what)
				if len(got) == 1 && got[0].Earlier != (earlier && !w.gone && w.m.ID == n.ID) {
					t.Errorf("CheckQueued %s, message %d alone (earlier %v): Earlier = %v", what, i, earlier, got[0].Earlier)
				}
				if len(got) == 1 {
					got[0].Earlier = false
				}
				check(t, fmt.Sprintf("CheckQueued %s, message %d alone (earlier %v)", what, i, earlier), got, all[i:i+1])
			}
			got, err := e.s.CheckQueued(e.ctx, ms, earlier)
			e.must(err, "CheckQueued "+what)
			// Only m and n, one contact's, are queued: n is after m.
			for i := range got {
				if i < len(ws) && got[i].Earlier != (earlier && !ws[i].gone && ws[i].m.ID == n.ID) {
					t.Errorf("CheckQueued %s, message %d of all (earlier %v): Earlier = %v", what, i, earlier, got[i].Earlier)
				}
				got[i].Earlier = false
			}
			check(t, fmt.Sprintf("CheckQueued %s, all at once (earlier %v)", what, earlier), got, all)
		}
	}
	current("unchanged", want{m: m}, want{m: n})

	// Changed since m was read: the stored row, not m.
	changed := m
	changed.Attempts, changed.LastError = 1, "timeout"
	e.must(e.s.UpdateMessage(e.ctx, &changed), "UpdateMessage")
	current("changed since", want{m: n}, want{m: m})

	// Adopted by another instance: the owner moves, the version does not.
	_, err := e.s.AdoptMessages(e.ctx, "one", "two")
	e.must(err, "AdoptMessages")
	current("adopted", want{m: changed}, want{m: n})

	// Another account's message, and a missing one, are gone; the others
	// around them are read all the same.
	current("gone", want{m: n}, want{m: carillon.Message{AccountID: other.ID, ID: m.ID, Version: changed.Version}, gone: true},
		want{m: changed}, want{m: carillon.Message{AccountID: a.ID, ID: n.ID + 1000}, gone: true})

	// More messages than one statement reads: every one, in the order
	// asked, the changed ones read whole.
	var many []carillon.Message
	var wantMany []carillon.QueueCheck
	for i := range 70 {
		x := e.message(c, carillon.SendQueued, "three")
		asked := x
		if i%2 == 1 {
			x.Attempts = 1
			e.must(e.s.UpdateMessage(e.ctx, &x), "UpdateMessage")
		}
		many = append(many, asked)
		wantMany = append(wantMany, carillon.QueueCheck{Message: x})
	}
	slices.Reverse(many)
	slices.Reverse(wantMany)
	got, err := e.s.CheckQueued(e.ctx, many, false)
	e.must(err, "CheckQueued of 70 messages")
	check(t, "CheckQueued of 70 messages", got, wantMany)
}

// testCheckQueuedEarlier: whether an earlier message to the same contact on
// the same channel is queued, whoever holds it, asked for many at once.
func testCheckQueuedEarlier(t *testing.T, e *env) {
	a := e.account("a")
	ch1 := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	c1 := e.contact(ch1, "5491100000001")
	c2 := e.contact(ch1, "5491100000002")
	c1b := e.contact(ch2, "5491100000001")

	done := e.message(c1, carillon.SendDone, "one")
	in := e.message(c1, carillon.SendNone, "")
	m1 := e.message(c1, carillon.SendQueued, "one")
	m2 := e.message(c1, carillon.SendQueued, "two") // another owner: still earlier
	x := e.message(c2, carillon.SendQueued, "one")
	y := e.message(c1b, carillon.SendQueued, "one")
	m3 := e.message(c1, carillon.SendQueued, "one")

	type tc struct {
		name string
		m    carillon.Message
		want bool
	}
	run := func(cases []tc) {
		t.Helper()
		ms := make([]carillon.Message, len(cases))
		for i, c := range cases {
			ms[i] = c.m
		}
		got, err := e.s.CheckQueued(e.ctx, ms, true)
		e.must(err, "CheckQueued")
		if len(got) != len(cases) {
			t.Fatalf("CheckQueued of %d messages: %d answers", len(cases), len(got))
		}
		for i, c := range cases {
			if got[i].Gone || got[i].Message.ID != c.m.ID {
				t.Errorf("CheckQueued(%s): message %d, gone %v; want message %d", c.name, got[i].Message.ID, got[i].Gone, c.m.ID)
			}
			if got[i].Earlier != c.want {
				t.Errorf("CheckQueued(%s) Earlier = %v, want %v", c.name, got[i].Earlier, c.want)
			}
		}
	}
	// Only the same contact on the same channel counts: the channel's
	// messages to another contact, and the contact's address on another
	// channel, are not earlier.
	run([]tc{
		{"done message", done, false},
		{"inbound message", in, false},
		{"first queued", m1, false},
		{"second queued", m2, true},
		{"third queued", m3, true},
		{"another contact, same channel", x, false},
		{"same address, another channel", y, false},
	})
	m1.SendState = carillon.SendDone
	e.must(e.s.UpdateMessage(e.ctx, &m1), "UpdateMessage")
	m2.SendState = carillon.SendDone
	e.must(e.s.UpdateMessage(e.ctx, &m2), "UpdateMessage")
	run([]tc{{"third queued, earlier ones done", m3, false}})
	// Changed since the copy was read, then adopted by another instance:
	// the answer does not move.
	changed := m3
	changed.Attempts = 1
	e.must(e.s.UpdateMessage(e.ctx, &changed), "UpdateMessage")
	_, err := e.s.AdoptMessages(e.ctx, m3.Owner, "elsewhere")
	e.must(err, "AdoptMessages")
	run([]tc{{"third queued, changed and adopted", m3, false}, {"another contact, adopted", x, false}})
}

func testInstances(t *testing.T, e *env) {
	count := func(since time.Time, want int) {
		t.Helper()
		n, err := e.s.CountInstances(e.ctx, since)
		e.must(err, "CountInstances")
		if n != want {
			t.Errorf("CountInstances(since %s) = %d, want %d", show(since), n, want)
		}
	}
	stale := func(before time.Time, want []string) {
		t.Helper()
		got, err := e.s.StaleInstances(e.ctx, before)
		e.must(err, "StaleInstances")
		sort.Strings(got)
		if want == nil {
			want = []string{}
		}
		if got == nil {
			got = []string{}
		}
		check(t, "StaleInstances(before "+show(before)+")", got, want)
	}
	count(time.Time{}, 0)
	stale(at(time.Hour), nil)

	e.must(e.s.RegisterInstance(e.ctx, "a", sloppy(base)), "RegisterInstance")
	e.must(e.s.RegisterInstance(e.ctx, "b", at(time.Minute)), "RegisterInstance")
	e.must(e.s.RegisterInstance(e.ctx, "c", at(2*time.Minute)), "RegisterInstance")
	count(base, 3)
	count(at(time.Minute), 2) // since is inclusive
	count(at(time.Minute+time.Millisecond), 1)
	stale(at(time.Minute), []string{"a"}) // before is exclusive
	stale(at(90*time.Second), []string{"a", "b"})
	stale(base, nil)

	// Registering again is a heartbeat.
	e.must(e.s.RegisterInstance(e.ctx, "a", at(3*time.Minute)), "RegisterInstance again")
	count(base, 3)
	count(at(3*time.Minute), 1)
	stale(at(90*time.Second), []string{"b"})
	stale(at(4*time.Minute), []string{"a", "b", "c"})

	e.must(e.s.DeleteInstance(e.ctx, "b"), "DeleteInstance")
	count(base, 2)
	stale(at(4*time.Minute), []string{"a", "c"})
	e.must(e.s.DeleteInstance(e.ctx, "a"), "DeleteInstance")
	e.must(e.s.DeleteInstance(e.ctx, "c"), "DeleteInstance")
	count(time.Time{}, 0)
	stale(at(time.Hour), nil)
}

func testAdoptMessages(t *testing.T, e *env) {
	f := e.fixture("a") // one queued message of "inst"
	q1 := e.message(f.contact, carillon.SendQueued, "dead")
	doneDead := e.message(f.contact, carillon.SendDone, "dead")
	q2 := e.message(f.contact, carillon.SendQueued, "dead")
	alive := e.message(f.contact, carillon.SendQueued, "alive")

	n, err := e.s.AdoptMessages(e.ctx, "dead", "alive")
	e.must(err, "AdoptMessages")
	if n != 2 {
		t.Errorf("AdoptMessages moved %d messages, want 2", n)
	}
	got, err := e.s.QueuedMessages(e.ctx, "alive", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "queue of the adopting instance", ids(got), []int64{q1.ID, q2.ID, alive.ID})
	got, err = e.s.QueuedMessages(e.ctx, "dead", 0, 100)
	e.must(err, "QueuedMessages")
	check(t, "queue of the dead instance", ids(got), []int64{})
	m, err := e.s.MessageByID(e.ctx, f.acct.ID, doneDead.ID)
	e.must(err, "MessageByID")
	if m.Owner != "dead" {
		t.Errorf("a done message moved to %q", m.Owner)
	}
	m, err = e.s.MessageByID(e.ctx, f.acct.ID, f.message.ID)
	e.must(err, "MessageByID")
	if m.Owner != "inst" {
		t.Errorf("another instance's message moved to %q", m.Owner)
	}
	n, err = e.s.AdoptMessages(e.ctx, "dead", "alive")
	e.must(err, "AdoptMessages again")
	if n != 0 {
		t.Errorf("AdoptMessages again moved %d messages, want 0", n)
	}
	n, err = e.s.AdoptMessages(e.ctx, "nobody", "alive")
	e.must(err, "AdoptMessages of an unknown instance")
	if n != 0 {
		t.Errorf("AdoptMessages of an unknown instance moved %d messages", n)
	}
}
