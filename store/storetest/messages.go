package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// Messages and their status history (store/messages.go, store/history.go).

func testContactMessages(t *testing.T, e *env) {
	f := e.fixture("a") // f.message is the contact's first message
	fb := e.fixture("b")
	other := e.contact(f.channel, "5491100000002")
	m2 := e.message(f.contact, carillon.SendNone, "")
	e.message(other, carillon.SendQueued, "inst")
	m3 := e.message(f.contact, carillon.SendDone, "inst")
	note := carillon.Message{UUID: carillon.NewUUID(), AccountID: f.acct.ID, ChannelID: f.channel.ID, ContactID: f.contact.ID,
		Direction: carillon.Note, Type: carillon.TypeText, Content: carillon.Content{Text: "a note"}, Status: carillon.StatusNote,
		CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateMessage(e.ctx, &note), "CreateMessage")

	all := []carillon.Message{note, m3, m2, f.message}
	got, n, err := e.s.ContactMessages(e.ctx, f.acct.ID, f.contact.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ContactMessages")
	check(t, "ContactMessages rows", got, all)
	if n != 4 {
		t.Errorf("ContactMessages total %d, want 4", n)
	}
	for _, tc := range []struct {
		page carillon.Page
		want []carillon.Message
	}{
		{carillon.Page{Number: 1, Size: 3}, all[:3]},
		{carillon.Page{Number: 2, Size: 3}, all[3:]},
		{carillon.Page{Number: 3, Size: 3}, nil},
		{carillon.Page{Number: 2, Size: 1}, all[1:2]},
		{carillon.Page{Number: 1<<62 + 1, Size: 2}, nil},
		{carillon.Page{Number: math.MaxInt, Size: 100}, nil},
	} {
		got, n, err := e.s.ContactMessages(e.ctx, f.acct.ID, f.contact.ID, tc.page)
		e.must(err, "ContactMessages")
		what := fmt.Sprintf("ContactMessages page %d of %d", tc.page.Number, tc.page.Size)
		check(t, what, ids(got), ids(tc.want))
		if n != 4 {
			t.Errorf("%s: total %d, want 4", what, n)
		}
	}
	// By keyset: from the newest (before 0), then after the last id given.
	for _, tc := range []struct {
		before int64
		limit  int
		want   []carillon.Message
	}{
		{0, 100, all},
		{0, 3, all[:3]},
		{all[2].ID, 3, all[3:]},
		{all[0].ID, 1, all[1:2]},
		{f.message.ID, 10, nil},
		{all[0].ID + 1000, 2, all[:2]},
	} {
		got, err := e.s.ContactMessagesBefore(e.ctx, f.acct.ID, f.contact.ID, tc.before, tc.limit)
		e.must(err, "ContactMessagesBefore")
		check(t, fmt.Sprintf("ContactMessagesBefore %d, %d", tc.before, tc.limit), ids(got), ids(tc.want))
	}
	got, err = e.s.ContactMessagesBefore(e.ctx, f.acct.ID, f.contact.ID, 0, 100)
	e.must(err, "ContactMessagesBefore")
	check(t, "ContactMessagesBefore rows", got, all)
	for _, tc := range []struct {
		name    string
		acct    int64
		contact int64
	}{
		{"another account's contact", fb.acct.ID, f.contact.ID},
		{"a contact of the account, asked for by another", f.acct.ID, fb.contact.ID},
		{"a missing contact", f.acct.ID, f.contact.ID + other.ID + fb.contact.ID + 100},
	} {
		got, n, err := e.s.ContactMessages(e.ctx, tc.acct, tc.contact, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ContactMessages")
		if len(got) != 0 || n != 0 {
			t.Errorf("ContactMessages of %s: %d messages, total %d", tc.name, len(got), n)
		}
		got, err = e.s.ContactMessagesBefore(e.ctx, tc.acct, tc.contact, 0, 100)
		e.must(err, "ContactMessagesBefore")
		if len(got) != 0 {
			t.Errorf("ContactMessagesBefore of %s: %d messages", tc.name, len(got))
		}
	}
}

// testContactMessageCounts: the total of the pages of a contact's messages
// is the store's count of them (contact_message_counts), kept as messages
// are stored alone and in transactions (with their contact, and rolled
// back), as contacts are deleted with their messages (a contact made
// afterwards, which SQLite may give the same id, starts from none), and by
// several writers at once; it must agree with the messages listed.
func testContactMessageCounts(t *testing.T, e *env) {
	f := e.fixture("a") // f.contact has one message
	a := f.acct
	total := func(what string, c carillon.Contact, want int) {
		t.Helper()
		list, n, err := e.s.ContactMessages(e.ctx, c.AccountID, c.ID, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ContactMessages")
		if n != len(list) || n != want {
			t.Errorf("%s: total %d and %d messages listed, want %d", what, n, len(list), want)
		}
		// A page past the last has no rows to carry the total.
		if _, n, err = e.s.ContactMessages(e.ctx, c.AccountID, c.ID, carillon.Page{Number: 1000, Size: 100}); err != nil || n != want {
			t.Errorf("%s, a page past the last: total %d (%v), want %d", what, n, err, want)
		}
	}
	total("the fixture's contact", f.contact, 1)
	two := e.contact(f.channel, "5491100000002")
	total("a contact without messages", two, 0)
	e.message(two, carillon.SendQueued, "inst")
	e.message(two, carillon.SendNone, "")
	note := carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, ContactID: two.ID,
		Direction: carillon.Note, Type: carillon.TypeText, Content: carillon.Content{Text: "a note"}, Status: carillon.StatusNote,
		CreatedAt: base, UpdatedAt: base}
	e.must(e.s.CreateMessage(e.ctx, &note), "CreateMessage of a note")
	total("two messages and a note", two, 3)
	total("the fixture's contact, untouched", f.contact, 1)

	// Several messages in one transaction, with the contact they go to.
	received := func(c carillon.Contact) carillon.Message {
		return carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, ContactID: c.ID,
			Direction: carillon.Inbound, Type: carillon.TypeText, Status: carillon.StatusReceived, CreatedAt: base, UpdatedAt: base}
	}
	three := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: f.channel.ID, Address: "5491100000003",
		ConversationUUID: carillon.NewUUID(), CreatedAt: base, UpdatedAt: base}
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		if err := q.CreateContact(e.ctx, &three); err != nil {
			return err
		}
		for range 3 {
			m := received(three)
			if err := q.CreateMessage(e.ctx, &m); err != nil {
				return err
			}
		}
		return nil
	}), "CreateContact and CreateMessage in a transaction")
	total("stored with its contact", three, 3)
	// Messages of more contacts in one transaction than one statement
	// writes the counts of (64), in several statements: 100 = 64 + 32 + 4.
	var many []carillon.Contact
	for i := range 100 {
		many = append(many, e.contact(f.channel, fmt.Sprintf("54911000011%02d", i)))
	}
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		for i, c := range many {
			for range i%3 + 1 {
				m := received(c)
				if err := q.CreateMessage(e.ctx, &m); err != nil {
					return err
				}
			}
		}
		return nil
	}), "CreateMessage to 100 contacts in a transaction")
	for i, c := range many {
		total(fmt.Sprintf("contact %d of 100 written in one transaction", i), c, i%3+1)
	}
	errRollback := errors.New("rolled back")
	err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
		m := received(two)
		if err := q.CreateMessage(e.ctx, &m); err != nil {
			return err
		}
		return errRollback
	})
	wantErr(t, "a message stored in a transaction that rolls back", err, errRollback)
	total("after a rollback", two, 3)

	// The newest contact deleted with its messages: the next one may get
	// its id, and has none.
	e.must(e.s.DeleteContact(e.ctx, a.ID, three.ID), "DeleteContact")
	total("a deleted contact", three, 0)
	four := e.contact(f.channel, "5491100000004")
	total("a contact made after the newest was deleted", four, 0)
	e.message(four, carillon.SendNone, "")
	total("its first message", four, 1)
	// Messages stored and their contact deleted in one transaction.
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		m := received(four)
		if err := q.CreateMessage(e.ctx, &m); err != nil {
			return err
		}
		return q.DeleteContact(e.ctx, a.ID, four.ID)
	}), "CreateMessage and DeleteContact in a transaction")
	five := e.contact(f.channel, "5491100000005")
	total("a contact made after that", five, 0)

	// Writers at once, each storing messages to the shared contact and to
	// one of its own, alone and in transactions: every one is counted.
	const workers, each = 6, 6
	own := make([]carillon.Contact, workers)
	for w := range own {
		own[w] = e.contact(f.channel, fmt.Sprintf("54911010%05d", w))
	}
	e.concurrently(workers, each, func(w, i int) error {
		c := five
		if i%3 == 0 {
			c = own[w]
		}
		m := received(c)
		if i%2 == 0 {
			return e.s.CreateMessage(e.ctx, &m)
		}
		return e.s.InTx(e.ctx, func(q carillon.Queries) error { return q.CreateMessage(e.ctx, &m) })
	})
	total("the shared contact, after the writers", five, workers*(each-each/3))
	for w, c := range own {
		total(fmt.Sprintf("writer %d's own contact", w), c, each/3)
	}
}

// message creates an outgoing text message to the contact, in send state st
// for owner.
func (e *env) message(c carillon.Contact, st carillon.SendState, owner string) carillon.Message {
	e.t.Helper()
	m := carillon.Message{
		UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
		Direction: carillon.Outbound, Type: carillon.TypeText, Content: carillon.Content{Text: "hello"},
		Status: carillon.StatusEnqueued, CreatedAt: base, UpdatedAt: base, SendState: st, Owner: owner,
	}
	if st == carillon.SendNone {
		m.Direction, m.Status = carillon.Inbound, carillon.StatusReceived
	}
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	return m
}

func ids(ms []carillon.Message) []int64 {
	out := []int64{}
	for _, m := range ms {
		out = append(out, m.ID)
	}
	return out
}

func fullMessage(c carillon.Contact) carillon.Message {
	return carillon.Message{
		UUID: carillon.NewUUID(), AccountID: c.AccountID, ChannelID: c.ChannelID, ContactID: c.ID,
		Direction: carillon.Outbound, Type: carillon.TypeImage,
		Content:      carillon.Content{Text: "caption ✓ \"quoted\"\n2nd line", URL: "https://example.com/a.png?x=1&y=2"},
		TemplateUUID: carillon.NewUUID(), TemplateValues: []string{"Ana", "", `a "quoted" value`, "ünï ✓"},
		Status:        carillon.StatusSent,
		StatusPayload: json.RawMessage(`{"id":"wamid.HBgL","status":"sent","nested":{"n":1.5,"list":[true,null]}}`),
		ExternalID:    "wamid.HBgL", Metadata: map[string]string{"order": "42", "note": "x y", "empty": ""},
		CreatedAt: sloppy(at(time.Second)), UpdatedAt: sloppy(at(2 * time.Second)),
		SendState: carillon.SendQueued, Attempts: 3, NextAttemptAt: sloppy(at(time.Minute)),
		Owner: "instance-1", LastError: "provider timeout",
	}
}

func normMessage(m carillon.Message) carillon.Message {
	m.CreatedAt, m.UpdatedAt, m.NextAttemptAt, m.DeletedAt = norm(m.CreatedAt), norm(m.UpdatedAt), norm(m.NextAttemptAt), norm(m.DeletedAt)
	return m
}

func testMessages(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	c := e.contact(ch, "5491100000001")
	c2 := e.contact(ch2, "5491100000001")

	m := fullMessage(c)
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	if m.ID == 0 {
		t.Fatal("CreateMessage left the ID 0")
	}
	want := normMessage(m)
	checkLookups(t, want,
		lookup[carillon.Message]{"MessageByID", func() (carillon.Message, error) { return e.s.MessageByID(e.ctx, a.ID, m.ID) }},
		lookup[carillon.Message]{"MessageByUUID", func() (carillon.Message, error) { return e.s.MessageByUUID(e.ctx, a.ID, m.UUID) }},
		lookup[carillon.Message]{"MessageByExternalID", func() (carillon.Message, error) { return e.s.MessageByExternalID(e.ctx, ch.ID, m.ExternalID) }},
	)

	// Inbound and note messages with nothing optional set: nil stays nil,
	// zero stays zero.
	for _, dir := range []carillon.Direction{carillon.Inbound, carillon.Note} {
		min := carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
			Direction: dir, Type: carillon.TypeText, Content: carillon.Content{Text: "hi"}, Status: carillon.StatusReceived,
			CreatedAt: base, UpdatedAt: base}
		e.must(e.s.CreateMessage(e.ctx, &min), "CreateMessage")
		got, err := e.s.MessageByUUID(e.ctx, a.ID, min.UUID)
		e.must(err, "MessageByUUID")
		check(t, "message without optional fields ("+string(dir)+")", got, min)
		if got.StatusPayload != nil || got.TemplateValues != nil || got.Metadata != nil {
			t.Errorf("nil fields came back non-nil: payload %v, values %#v, metadata %#v", got.StatusPayload, got.TemplateValues, got.Metadata)
		}
	}

	// An inbound message stored deleted by its customer keeps the time.
	del := carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
		Direction: carillon.Inbound, Type: carillon.TypeImage, Status: carillon.StatusReceived,
		CreatedAt: base, UpdatedAt: sloppy(at(time.Minute)), DeletedAt: sloppy(at(time.Minute))}
	e.must(e.s.CreateMessage(e.ctx, &del), "CreateMessage deleted")
	got, err := e.s.MessageByUUID(e.ctx, a.ID, del.UUID)
	e.must(err, "MessageByUUID")
	check(t, "inbound message deleted by its customer", got, normMessage(del))

	// The same external id on another channel is another message.
	m2 := fullMessage(c2)
	e.must(e.s.CreateMessage(e.ctx, &m2), "CreateMessage with another channel's external id")
	got, err = e.s.MessageByExternalID(e.ctx, ch2.ID, m.ExternalID)
	e.must(err, "MessageByExternalID")
	check(t, "MessageByExternalID on the second channel", got, normMessage(m2))
	got, err = e.s.MessageByExternalID(e.ctx, ch.ID, m.ExternalID)
	e.must(err, "MessageByExternalID")
	check(t, "MessageByExternalID on the first channel", got, want)
}

// testMessagesByExternalID: the messages of the receipts that came
// together, read at once by their provider's ids on one channel: each
// found once, whichever ids are missing, empty or named twice, the same
// id on another channel not found, and more ids than one statement takes.
func testMessagesByExternalID(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	c, c2 := e.contact(ch, "5491100000001"), e.contact(ch2, "5491100000001")
	var ms []carillon.Message
	for i := range 70 {
		m := e.message(c, carillon.SendDone, "")
		m.ExternalID = fmt.Sprintf("wamid.%d", i)
		e.must(e.s.UpdateMessage(e.ctx, &m), "UpdateMessage")
		got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
		e.must(err, "MessageByID")
		ms = append(ms, got)
	}
	// The same provider id on the other channel, and a message without one.
	elsewhere := e.message(c2, carillon.SendDone, "")
	elsewhere.ExternalID = ms[1].ExternalID
	e.must(e.s.UpdateMessage(e.ctx, &elsewhere), "UpdateMessage")
	e.message(c, carillon.SendQueued, "")

	externalIDs := func(ms []carillon.Message) []string {
		out := []string{}
		for _, m := range ms {
			out = append(out, m.ExternalID)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		ids  []string
		want []carillon.Message
	}{
		{"none", nil, nil},
		{"one", []string{"wamid.0"}, ms[:1]},
		{"missing ones among them", []string{"wamid.nope", "wamid.2", "wamid.x", "wamid.3"}, ms[2:4]},
		{"only missing ones", []string{"wamid.nope"}, nil},
		{"empty ids find no message without one", []string{"", "wamid.4", ""}, ms[4:5]},
		{"an id named twice", []string{"wamid.5", "wamid.6", "wamid.5"}, ms[5:7]},
		{"more than one statement takes", externalIDs(ms), ms},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.s.MessagesByExternalID(e.ctx, ch.ID, tc.ids)
			e.must(err, "MessagesByExternalID")
			slices.SortFunc(got, func(x, y carillon.Message) int { return int(x.ID - y.ID) })
			if tc.want == nil {
				tc.want = []carillon.Message{}
			}
			check(t, "messages", got, tc.want)
		})
	}
	got, err := e.s.MessagesByExternalID(e.ctx, ch2.ID, []string{ms[0].ExternalID, ms[1].ExternalID})
	e.must(err, "MessagesByExternalID")
	if len(got) != 1 || got[0].ID != elsewhere.ID {
		t.Errorf("the other channel's ids %v: got messages %v, want only %d", []string{ms[0].ExternalID, ms[1].ExternalID}, ids(got), elsewhere.ID)
	}
}

// testCreateMessageOnce: a message its network delivers again (the same
// external id on the same channel) is stored once, the repeat writing
// nothing, also when the first delivery is in the same transaction; the
// same id on another channel, and messages without one, are stored.
func testCreateMessageOnce(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	ch2 := e.channel(a.ID, carillon.WhatsApp, false)
	c := e.contact(ch, "5491100000001")
	c2 := e.contact(ch2, "5491100000001")
	received := func(c carillon.Contact, externalID, text string) carillon.Message {
		return carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: c.ChannelID, ContactID: c.ID,
			Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: text},
			Status: carillon.StatusReceived, ExternalID: externalID, CreatedAt: base, UpdatedAt: base}
	}
	once := func(q carillon.Queries, what string, m *carillon.Message, want bool) {
		t.Helper()
		created, err := q.CreateMessageOnce(e.ctx, m)
		e.must(err, "CreateMessageOnce, "+what)
		if created != want {
			t.Errorf("CreateMessageOnce, %s: created %v, want %v", what, created, want)
		}
		if created == (m.ID == 0) {
			t.Errorf("CreateMessageOnce, %s: created %v with id %d", what, created, m.ID)
		}
	}

	first := received(c, "wamid.once", "first")
	once(e.s, "a first delivery", &first, true)
	got, err := e.s.MessageByExternalID(e.ctx, ch.ID, "wamid.once")
	e.must(err, "MessageByExternalID")
	check(t, "the first delivery", got, normMessage(first))

	var repeat, inTx, inTxRepeat carillon.Message
	e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
		repeat = received(c, "wamid.once", "again")
		once(q, "a repeat", &repeat, false)
		other := received(c2, "wamid.once", "other channel")
		once(q, "the same id on another channel", &other, true)
		for i := range 2 {
			bare := received(c, "", "no id")
			once(q, fmt.Sprintf("a message without an external id (%d)", i+1), &bare, true)
		}
		inTx = received(c, "wamid.intx", "in a transaction")
		once(q, "a first delivery in a transaction", &inTx, true)
		inTxRepeat = received(c, "wamid.intx", "its repeat")
		once(q, "a repeat in the same transaction", &inTxRepeat, false)
		return nil
	}), "InTx")

	for _, m := range []carillon.Message{repeat, inTxRepeat} {
		if _, err := e.s.MessageByUUID(e.ctx, a.ID, m.UUID); !errors.Is(err, carillon.ErrNotFound) {
			t.Errorf("the repeat %q was stored (MessageByUUID: %v)", m.Content.Text, err)
		}
	}
	got, err = e.s.MessageByExternalID(e.ctx, ch.ID, "wamid.intx")
	e.must(err, "MessageByExternalID")
	check(t, "the first delivery in a transaction", got, normMessage(inTx))
	for _, tc := range []struct {
		c    carillon.Contact
		want int
	}{{c, 4}, {c2, 1}} {
		list, n, err := e.s.ContactMessages(e.ctx, a.ID, tc.c.ID, carillon.Page{Number: 1, Size: 100})
		e.must(err, "ContactMessages")
		if n != tc.want || len(list) != tc.want {
			t.Errorf("contact %s: total %d and %d messages listed, want %d: a repeat counted", tc.c.Address, n, len(list), tc.want)
		}
	}
}

// testCreateMessageOnceLater: customers' messages stored in one transaction
// that may send their INSERTs later, with statements after them as a unit
// of work makes; each has its id once committed. A repeat, of a message
// stored before or earlier in the transaction, fails the transaction,
// nothing of it kept: with ErrConflict where the INSERT was sent later, or
// reported at once (created false), which the caller then fails it with.
func testCreateMessageOnceLater(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	received := func(externalID, text string) *carillon.Message {
		return &carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
			Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: text},
			Status: carillon.StatusReceived, ExternalID: externalID, CreatedAt: base, UpdatedAt: base}
	}
	stored := received("wamid.stored", "stored before")
	e.must(e.s.CreateMessage(e.ctx, stored), "CreateMessage")
	errRepeat := errors.New("told a repeat at once")
	// create stores ms in one transaction, each but the last followed by
	// a read of its contact, as a unit of work does: the last one's
	// INSERT is the transaction's last statement.
	create := func(ms []*carillon.Message) error {
		return e.s.InTx(e.ctx, func(q carillon.Queries) error {
			for i, m := range ms {
				created, err := q.CreateMessageOnceLater(e.ctx, m)
				if err != nil {
					return err
				}
				if !created {
					return errRepeat
				}
				if i == len(ms)-1 {
					break
				}
				if _, err := q.ContactByID(e.ctx, a.ID, c.ID); err != nil {
					return err
				}
			}
			return nil
		})
	}

	ms := []*carillon.Message{received("wamid.1", "one"), received("wamid.2", "two"), received("", "no id")}
	e.must(create(ms), "CreateMessageOnceLater")
	for _, m := range ms {
		if m.ID == 0 {
			t.Errorf("message %q committed without its id", m.Content.Text)
			continue
		}
		got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
		e.must(err, "MessageByID")
		check(t, "message "+m.Content.Text, got, normMessage(*m))
	}

	for _, tc := range []struct {
		name string
		ms   []*carillon.Message
	}{
		{"a repeat of a message stored before", []*carillon.Message{received("wamid.3", "three"), received("wamid.stored", "again"), received("wamid.4", "four")}},
		{"a repeat of one earlier in the transaction", []*carillon.Message{received("wamid.5", "five"), received("wamid.5", "five again"), received("wamid.7", "seven")}},
		// Without text, no words are written after the repeat.
		{"a repeat the transaction's last statement", []*carillon.Message{received("wamid.6", ""), received("wamid.1", "")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := create(tc.ms)
			if !errors.Is(err, carillon.ErrConflict) && !errors.Is(err, errRepeat) {
				t.Fatalf("the transaction ended with %v, want it failed by the repeat", err)
			}
			for _, m := range tc.ms {
				if _, err := e.s.MessageByUUID(e.ctx, a.ID, m.UUID); !errors.Is(err, carillon.ErrNotFound) {
					t.Errorf("message %q of the failed transaction was kept (MessageByUUID: %v)", m.Content.Text, err)
				}
			}
		})
	}
	_, n, err := e.s.ContactMessages(e.ctx, a.ID, c.ID, carillon.Page{Number: 1, Size: 100})
	e.must(err, "ContactMessages")
	if n != 4 {
		t.Errorf("the contact counts %d messages, want 4: a failed transaction's counted", n)
	}
}

func testUpdateMessage(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	m := fullMessage(c)
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")
	other := e.message(c, carillon.SendQueued, "x")
	other.ExternalID = "wamid.other"
	e.must(e.s.UpdateMessage(e.ctx, &other), "UpdateMessage")

	up := normMessage(m)
	up.Content = carillon.Content{Text: "edited"}
	up.Status = carillon.StatusDelivered
	up.StatusPayload = json.RawMessage(`{"status":"delivered"}`)
	up.ExternalID = "wamid.NEW"
	up.UpdatedAt = sloppy(at(time.Hour))
	up.SendState = carillon.SendDone
	up.Attempts = 4
	up.NextAttemptAt = sloppy(at(2 * time.Hour))
	up.Owner = "instance-2"
	up.LastError = "rate limited"
	up.DeletedAt = sloppy(at(90 * time.Minute))
	up.TemplateValues = nil
	e.must(e.s.UpdateMessage(e.ctx, &up), "UpdateMessage")
	// The content, template values and deletion time are left as stored:
	// only EraseMessage writes them.
	want := normMessage(up)
	want.Content, want.TemplateValues, want.DeletedAt = m.Content, m.TemplateValues, time.Time{}
	got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
	e.must(err, "MessageByID")
	check(t, "message after UpdateMessage", got, want)
	got, err = e.s.MessageByExternalID(e.ctx, ch.ID, "wamid.NEW")
	e.must(err, "MessageByExternalID of the new external id")
	check(t, "MessageByExternalID of the new external id", got, want)
	_, err = e.s.MessageByExternalID(e.ctx, ch.ID, m.ExternalID)
	wantErr(t, "MessageByExternalID of the old external id", err, carillon.ErrNotFound)

	// Clearing: the payload back to nil, the send job reset.
	clr := want
	clr.StatusPayload, clr.ExternalID = nil, ""
	clr.SendState, clr.Attempts, clr.NextAttemptAt, clr.Owner, clr.LastError = carillon.SendNone, 0, time.Time{}, "", ""
	e.must(e.s.UpdateMessage(e.ctx, &clr), "UpdateMessage")
	got, err = e.s.MessageByUUID(e.ctx, a.ID, m.UUID)
	e.must(err, "MessageByUUID")
	check(t, "message after clearing fields", got, clr)

	bad := clr
	bad.AccountID, bad.Status = b.ID, carillon.StatusFailed
	wantErr(t, "UpdateMessage with the wrong account", e.s.UpdateMessage(e.ctx, &bad), carillon.ErrNotFound)
	missing := clr
	missing.ID = m.ID + other.ID + 100
	wantErr(t, "UpdateMessage of a missing message", e.s.UpdateMessage(e.ctx, &missing), carillon.ErrNotFound)
	dup := clr
	dup.ExternalID = other.ExternalID
	wantErr(t, "UpdateMessage to another message's external id", e.s.UpdateMessage(e.ctx, &dup), carillon.ErrConflict)
	stale := clr
	stale.Version--
	stale.Status = carillon.StatusFailed
	wantErr(t, "UpdateMessage of a version read before another update", e.s.UpdateMessage(e.ctx, &stale), carillon.ErrStale)
	got, err = e.s.MessageByID(e.ctx, a.ID, m.ID)
	e.must(err, "MessageByID")
	check(t, "message after refused updates", got, clr)
	got, err = e.s.MessageByID(e.ctx, a.ID, other.ID)
	e.must(err, "MessageByID")
	check(t, "the other message", got, other)
}

// testUpdateMessageFrom follows a message through the updates its sends
// and receipts make, each from the row as its caller had it: the stored
// row is the caller's whatever another writer changed meanwhile without
// moving the version, and whatever the caller changed in its copy.
func testUpdateMessageFrom(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	other := e.message(c, carillon.SendDone, "")
	other.ExternalID = "wamid.other"
	e.must(e.s.UpdateMessage(e.ctx, &other), "UpdateMessage")
	m := e.message(c, carillon.SendQueued, "one")

	stored := func() carillon.Message {
		t.Helper()
		got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
		e.must(err, "MessageByID")
		return got
	}
	for _, step := range []struct {
		name string
		// read changes the caller's copy before it is changed, or runs
		// another writer's change that does not move the version.
		read   func(was *carillon.Message)
		change func(m *carillon.Message)
	}{
		{name: "an attempt that failed, after the message's instance was taken for gone",
			read: func(*carillon.Message) {
				_, err := e.s.AdoptMessages(e.ctx, "one", "two")
				e.must(err, "AdoptMessages")
			},
			change: func(m *carillon.Message) {
				m.Attempts, m.NextAttemptAt, m.LastError = 1, sloppy(at(time.Minute)), "timeout"
			}},
		{name: "an outcome, the provider's id set in the caller's copy first",
			read: func(was *carillon.Message) { was.ExternalID = "wamid.1" },
			change: func(m *carillon.Message) {
				m.Status, m.StatusPayload = carillon.StatusSent, json.RawMessage(`{"status":"sent"}`)
				m.SendState, m.Attempts, m.LastError, m.UpdatedAt = carillon.SendDone, 2, "", sloppy(at(2*time.Minute))
			}},
		{name: "a receipt",
			change: func(m *carillon.Message) {
				m.Status, m.StatusPayload, m.UpdatedAt = carillon.StatusDelivered, json.RawMessage(`{"status":"delivered"}`), sloppy(at(3*time.Minute))
			}},
		{name: "a receipt that changes nothing indexed",
			change: func(m *carillon.Message) {
				m.StatusPayload, m.UpdatedAt = json.RawMessage(`{"status":"delivered","again":true}`), sloppy(at(4*time.Minute))
			}},
		{name: "a receipt of another status",
			change: func(m *carillon.Message) {
				m.Status, m.UpdatedAt = carillon.StatusRead, sloppy(at(5*time.Minute))
			}},
	} {
		was := stored()
		if step.read != nil {
			step.read(&was)
		}
		next := was
		step.change(&next)
		e.must(e.s.UpdateMessageFrom(e.ctx, was, &next), "UpdateMessageFrom, "+step.name)
		if next.Version != was.Version+1 {
			t.Errorf("UpdateMessageFrom, %s: version %d, want %d", step.name, next.Version, was.Version+1)
		}
		check(t, "message after UpdateMessageFrom, "+step.name, stored(), normMessage(next))
	}
	got, err := e.s.MessageByExternalID(e.ctx, ch.ID, "wamid.1")
	e.must(err, "MessageByExternalID")
	check(t, "the message by its provider's id after its receipts", got, stored())
	if n, err := e.s.AdoptMessages(e.ctx, "one", "three"); err != nil || n != 0 {
		t.Errorf("AdoptMessages after the outcome = %d, %v; want 0: the message left the queue", n, err)
	}

	was := stored()
	stale := was
	stale.Version--
	stale.Status = carillon.StatusFailed
	wantErr(t, "UpdateMessageFrom of a version read before another update", e.s.UpdateMessageFrom(e.ctx, was, &stale), carillon.ErrStale)
	missing := was
	missing.ID = m.ID + other.ID + 100
	wantErr(t, "UpdateMessageFrom of a missing message", e.s.UpdateMessageFrom(e.ctx, was, &missing), carillon.ErrNotFound)
	dup := was
	dup.ExternalID = other.ExternalID
	wantErr(t, "UpdateMessageFrom to another message's provider id", e.s.UpdateMessageFrom(e.ctx, was, &dup), carillon.ErrConflict)
	check(t, "message after refused updates", stored(), was)
}

// testUpdateMessageFromLater writes messages as receipts and outcomes in
// a batch do: several in one transaction, each read before it, the
// transaction's later statements seeing each write. A write whose message
// changed since, is gone, or takes another message's provider id fails
// its transaction with the error UpdateMessageFrom would give, even when
// the caller drops the error of the statement after it (a store may
// report it there, or at the commit), and nothing of that transaction is
// kept.
func testUpdateMessageFromLater(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	other := e.message(c, carillon.SendDone, "")
	other.ExternalID = "wamid.other"
	e.must(e.s.UpdateMessage(e.ctx, &other), "UpdateMessage")
	ms := []carillon.Message{e.message(c, carillon.SendQueued, "one"), e.message(c, carillon.SendQueued, "one"), e.message(c, carillon.SendQueued, "one")}
	stored := func(m carillon.Message) carillon.Message {
		t.Helper()
		got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
		e.must(err, "MessageByID")
		return got
	}

	steps := []struct {
		name   string
		change func(m *carillon.Message, i int)
	}{
		{"outcomes", func(m *carillon.Message, i int) {
			m.ExternalID = fmt.Sprintf("wamid.%d", i)
			m.Status, m.StatusPayload = carillon.StatusSent, json.RawMessage(`{"status":"sent"}`)
			m.SendState, m.Attempts, m.UpdatedAt = carillon.SendDone, 1, sloppy(at(time.Minute))
		}},
		{"receipts", func(m *carillon.Message, _ int) {
			m.Status, m.StatusPayload, m.UpdatedAt = carillon.StatusDelivered, json.RawMessage(`{"status":"delivered"}`), sloppy(at(2*time.Minute))
		}},
		{"receipts that change nothing indexed", func(m *carillon.Message, _ int) {
			m.StatusPayload, m.UpdatedAt = json.RawMessage(`{"status":"delivered","again":true}`), sloppy(at(3*time.Minute))
		}},
	}
	for _, step := range steps {
		var was, next []carillon.Message
		for i, m := range ms {
			was = append(was, stored(m))
			n := was[i]
			step.change(&n, i)
			next = append(next, n)
		}
		e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
			for i := range next {
				if err := q.UpdateMessageFromLater(e.ctx, was[i], &next[i]); err != nil {
					return err
				}
				if next[i].Version != was[i].Version+1 {
					t.Errorf("%s: message %d at version %d, want %d", step.name, i, next[i].Version, was[i].Version+1)
				}
			}
			// The transaction reads what it wrote.
			got, err := q.MessageByID(e.ctx, a.ID, ms[0].ID)
			if err != nil {
				return err
			}
			check(t, step.name+": the first message read in its transaction", got, normMessage(next[0]))
			return nil
		}), step.name)
		for i, m := range ms {
			check(t, fmt.Sprintf("%s: message %d", step.name, i), stored(m), normMessage(next[i]))
		}
	}
	got, err := e.s.MessageByExternalID(e.ctx, ch.ID, "wamid.2")
	e.must(err, "MessageByExternalID")
	check(t, "a message by its provider's id", got, stored(ms[2]))

	was := stored(ms[0])
	for _, refused := range []struct {
		name string
		m    func() carillon.Message
		want error
	}{
		{"a version read before another update", func() carillon.Message {
			m := was
			m.Version--
			m.Status = carillon.StatusFailed
			return m
		}, carillon.ErrStale},
		{"a missing message", func() carillon.Message {
			m := was
			m.ID = ms[2].ID + 100
			m.Status = carillon.StatusRead
			return m
		}, carillon.ErrNotFound},
		{"another message's provider id", func() carillon.Message {
			m := was
			m.ExternalID = other.ExternalID
			return m
		}, carillon.ErrConflict},
	} {
		for _, after := range []bool{true, false} {
			err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
				first := stored(ms[1])
				next := first
				next.Status = carillon.StatusRead
				if err := q.UpdateMessageFromLater(e.ctx, first, &next); err != nil {
					return err
				}
				m := refused.m()
				from := m
				from.Status, from.ExternalID, from.Version = was.Status, was.ExternalID, m.Version
				if err := q.UpdateMessageFromLater(e.ctx, from, &m); err != nil {
					return err
				}
				if after {
					// A statement after it, as a unit of work would run,
					// whose error this caller drops, and a write after
					// that.
					_, _ = q.ContactByID(e.ctx, a.ID, c.ID)
					tag := carillon.Tag{AccountID: a.ID, Name: "after a refused update", CreatedAt: base}
					_ = q.CreateTag(e.ctx, &tag)
				}
				// Else it is the transaction's last statement: a store
				// that sends it later sends it at the commit.
				return nil
			})
			wantErr(t, fmt.Sprintf("a transaction writing %s (statements after it: %v)", refused.name, after), err, refused.want)
		}
	}
	check(t, "the message after the refused transactions", stored(ms[0]), was)
	if got := stored(ms[1]); got.Status != carillon.StatusDelivered {
		t.Errorf("the message updated before a refused write: %s, want %s (not kept)", got.Status, carillon.StatusDelivered)
	}
	if _, err := e.s.TagByName(e.ctx, a.ID, "after a refused update"); !errors.Is(err, carillon.ErrNotFound) {
		t.Errorf("TagByName of the tag made after a refused update, in the transaction that failed: %v, want not found", err)
	}
}

func testEraseMessage(t *testing.T, e *env) {
	a, b := e.account("a"), e.account("b")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	m := fullMessage(c)
	e.must(e.s.CreateMessage(e.ctx, &m), "CreateMessage")

	er := normMessage(m)
	er.Status, er.StatusPayload = carillon.StatusDeleted, nil
	er.UpdatedAt, er.DeletedAt = sloppy(at(time.Hour)), sloppy(at(time.Hour))
	er.SendState = carillon.SendDone
	e.must(e.s.EraseMessage(e.ctx, &er), "EraseMessage")
	if er.Content.Text != "" || er.Content.URL != "" || er.TemplateValues != nil {
		t.Errorf("EraseMessage left the content %+v and template values %q in memory", er.Content, er.TemplateValues)
	}
	want := normMessage(er)
	got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
	e.must(err, "MessageByID")
	check(t, "message after EraseMessage", got, want)
	found, err := e.s.SearchMessages(e.ctx, carillon.SearchFilter{AccountID: a.ID, Words: []string{"caption"}}, 0, 10)
	e.must(err, "SearchMessages")
	check(t, "words of the erased message found", len(found), 0)

	bad := want
	bad.AccountID = b.ID
	wantErr(t, "EraseMessage with the wrong account", e.s.EraseMessage(e.ctx, &bad), carillon.ErrNotFound)
	stale := want
	stale.Version--
	wantErr(t, "EraseMessage of a version read before another update", e.s.EraseMessage(e.ctx, &stale), carillon.ErrStale)
}

func testStatusHistory(t *testing.T, e *env) {
	f := e.fixture("a")
	m2 := e.message(f.contact, carillon.SendQueued, "inst")
	changes := []carillon.StatusChange{
		// created_at deliberately out of order: history is insertion order.
		{MessageID: f.message.ID, Status: carillon.StatusSent, Payload: json.RawMessage(`{"status":"sent"}`), Applied: true, CreatedAt: sloppy(at(time.Minute))},
		{MessageID: f.message.ID, Status: carillon.StatusRead, Payload: nil, Applied: true, CreatedAt: sloppy(at(3 * time.Minute))},
		{MessageID: f.message.ID, Status: carillon.StatusDelivered, Payload: json.RawMessage(`{"status":"delivered","x":[1]}`), Applied: false, CreatedAt: sloppy(at(2 * time.Minute))},
		{MessageID: f.message.ID, Status: carillon.StatusDelivered, Payload: json.RawMessage(`{"status":"delivered","x":[1]}`), Applied: false, CreatedAt: sloppy(at(2 * time.Minute))},
	}
	for i, c := range changes {
		e.must(e.s.AddStatusChange(e.ctx, c), "AddStatusChange")
		if i == 1 {
			e.must(e.s.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: m2.ID, Status: carillon.StatusFailed, CreatedAt: base}), "AddStatusChange")
		}
	}
	var want []carillon.StatusChange
	for _, c := range changes {
		c.CreatedAt = norm(c.CreatedAt)
		want = append(want, c)
	}
	got, err := e.s.StatusHistory(e.ctx, f.message.ID)
	e.must(err, "StatusHistory")
	check(t, "StatusHistory", got, want)
	if len(got) > 1 && got[1].Payload != nil {
		t.Errorf("a nil payload came back as %q", got[1].Payload)
	}
	got, err = e.s.StatusHistory(e.ctx, m2.ID)
	e.must(err, "StatusHistory")
	check(t, "StatusHistory of the second message", got, []carillon.StatusChange{{MessageID: m2.ID, Status: carillon.StatusFailed, CreatedAt: base}})
	got, err = e.s.StatusHistory(e.ctx, f.message.ID+m2.ID+100)
	e.must(err, "StatusHistory of a message without history")
	if len(got) != 0 {
		t.Errorf("StatusHistory of a message without history: %d entries", len(got))
	}
}

// testHeldStatusHistory: a transaction sees the history it added, before it
// commits, in the order it added it, however many entries it holds; a
// rolled back transaction leaves none.
func testHeldStatusHistory(t *testing.T, e *env) {
	f := e.fixture("a")
	statuses := []carillon.Status{carillon.StatusSent, carillon.StatusDelivered, carillon.StatusRead}
	var want []carillon.StatusChange
	for i := range 450 { // more than one multi-row INSERT's worth
		want = append(want, carillon.StatusChange{MessageID: f.message.ID, Status: statuses[i%len(statuses)], Applied: i%2 == 0, CreatedAt: at(time.Duration(i) * time.Second)})
	}
	err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
		for _, c := range want[:2] {
			if err := q.AddStatusChange(e.ctx, c); err != nil {
				return err
			}
		}
		got, err := q.StatusHistory(e.ctx, f.message.ID)
		if err != nil {
			return err
		}
		check(t, "StatusHistory inside the transaction", got, want[:2])
		for _, c := range want[2:] {
			if err := q.AddStatusChange(e.ctx, c); err != nil {
				return err
			}
		}
		return nil
	})
	e.must(err, "InTx")
	got, err := e.s.StatusHistory(e.ctx, f.message.ID)
	e.must(err, "StatusHistory after commit")
	check(t, "StatusHistory after commit", got, want)

	rollback := errors.New("rollback")
	err = e.s.InTx(e.ctx, func(q carillon.Queries) error {
		if err := q.AddStatusChange(e.ctx, carillon.StatusChange{MessageID: f.message.ID, Status: carillon.StatusFailed, CreatedAt: base}); err != nil {
			return err
		}
		if _, err := q.StatusHistory(e.ctx, f.message.ID); err != nil {
			return err
		}
		return rollback
	})
	wantErr(t, "InTx that fails", err, rollback)
	got, err = e.s.StatusHistory(e.ctx, f.message.ID)
	e.must(err, "StatusHistory after rollback")
	if len(got) != len(want) {
		t.Errorf("%d status changes after a rollback, want %d", len(got), len(want))
	}
}

// testMessageIDsInOrder: the messages one transaction creates get ids in
// the order it creates them (with and without an external id, many in
// one transaction), and a later transaction's are higher: the outbox's
// check of an earlier queued message to the same recipient goes by id.
// Each is stored whole under its id, with the words search finds it by
// and its contact's count of messages. So too with CreateMessageLater,
// whose id comes at the latest with the commit (a send's: PostgreSQL sends
// its INSERT with the transaction's next statement). A message refused by
// a unique index fails its transaction, which leaves nothing, also when
// the refusal comes with a later statement whose error the caller drops.
func testMessageIDsInOrder(t *testing.T, e *env) {
	a := e.account("a")
	ch := e.channel(a.ID, carillon.WhatsApp, true)
	c := e.contact(ch, "5491100000001")
	newMessage := func(i int, external bool) *carillon.Message {
		m := &carillon.Message{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, ContactID: c.ID,
			Direction: carillon.Outbound, Type: carillon.TypeText, Content: carillon.Content{Text: fmt.Sprintf("message zq%d", i)},
			Status: carillon.StatusEnqueued, CreatedAt: base, UpdatedAt: base, SendState: carillon.SendQueued, Owner: "i"}
		if external {
			m.Direction, m.Status, m.SendState, m.Owner = carillon.Inbound, carillon.StatusReceived, carillon.SendNone, ""
			m.ExternalID = fmt.Sprintf("wamid.%d", i)
		}
		return m
	}
	// create stores a message without an external id as a sender does:
	// with CreateMessage or CreateMessageLater; one with an external id
	// with CreateMessage.
	creates := []struct {
		name   string
		create func(q carillon.Queries, m *carillon.Message) error
	}{
		{"CreateMessage", func(q carillon.Queries, m *carillon.Message) error { return q.CreateMessage(e.ctx, m) }},
		{"CreateMessageLater", func(q carillon.Queries, m *carillon.Message) error {
			if m.ExternalID != "" {
				return q.CreateMessage(e.ctx, m)
			}
			return q.CreateMessageLater(e.ctx, m)
		}},
	}
	var made []*carillon.Message
	for _, cr := range creates {
		for _, tx := range [][]bool{
			// false: no external id; true: one.
			{false, true, false, false},
			slices.Repeat([]bool{false}, 40),
			{true, true, false},
		} {
			e.must(e.s.InTx(e.ctx, func(q carillon.Queries) error {
				for _, external := range tx {
					m := newMessage(len(made), external)
					if err := cr.create(q, m); err != nil {
						return err
					}
					made = append(made, m)
				}
				return nil
			}), cr.name)
		}
	}
	for i, m := range made {
		if i > 0 && m.ID <= made[i-1].ID {
			t.Errorf("message %d has id %d, not above message %d's %d", i, m.ID, i-1, made[i-1].ID)
		}
		got, err := e.s.MessageByID(e.ctx, a.ID, m.ID)
		e.must(err, "MessageByID")
		if got.UUID != m.UUID || got.Content.Text != m.Content.Text || got.ExternalID != m.ExternalID {
			t.Errorf("message %d: stored %s %q %q under its id, want %s %q %q", i, got.UUID, got.Content.Text, got.ExternalID,
				m.UUID, m.Content.Text, m.ExternalID)
		}
		found, err := e.s.SearchMessages(e.ctx, carillon.SearchFilter{AccountID: a.ID, Words: []string{fmt.Sprintf("zq%d", i)}}, 0, 10)
		e.must(err, "SearchMessages")
		if len(found) != 1 || found[0].ID != m.ID {
			t.Errorf("message %d: its words find %v, want its id %d", i, ids(found), m.ID)
		}
	}

	before, n, err := e.s.ContactMessages(e.ctx, a.ID, c.ID, carillon.Page{Number: 1, Size: 200})
	e.must(err, "ContactMessages")
	if n != len(made) || len(before) != len(made) {
		t.Errorf("the contact's messages: total %d, %d listed, want %d", n, len(before), len(made))
	}
	for _, cr := range creates {
		for _, dup := range []*carillon.Message{newMessage(1000, false), newMessage(1001, true)} {
			if dup.ExternalID != "" {
				dup.ExternalID = made[1].ExternalID
			} else {
				dup.UUID = made[0].UUID
			}
			err := e.s.InTx(e.ctx, func(q carillon.Queries) error {
				kept := newMessage(1002, false)
				if err := cr.create(q, kept); err != nil {
					return err
				}
				if err := cr.create(q, dup); err != nil {
					return err
				}
				// A statement after it, as a unit of work would run,
				// whose error this caller drops (PostgreSQL may report
				// the refusal with it), and a write after that.
				_, _ = q.ContactByID(e.ctx, a.ID, c.ID)
				tag := carillon.Tag{AccountID: a.ID, Name: "after a refused message", CreatedAt: base}
				_ = q.CreateTag(e.ctx, &tag)
				return nil
			})
			if !errors.Is(err, carillon.ErrConflict) {
				t.Errorf("%s: a transaction storing a second message with the uuid or external id %q %q: %v, want %v",
					cr.name, dup.UUID, dup.ExternalID, err, carillon.ErrConflict)
			}
		}
	}
	after, _, err := e.s.ContactMessages(e.ctx, a.ID, c.ID, carillon.Page{Number: 1, Size: 200})
	e.must(err, "ContactMessages")
	if len(after) != len(before) {
		t.Errorf("%d messages after the refused transactions, want %d", len(after), len(before))
	}
	if _, err := e.s.TagByName(e.ctx, a.ID, "after a refused message"); !errors.Is(err, carillon.ErrNotFound) {
		t.Errorf("TagByName of the tag made after a refused message, in the transaction that failed: %v, want not found", err)
	}
}
