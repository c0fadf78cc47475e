package httpapi

import (
	"bytes"
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/service"
	"github.com/carillon/carillon/wire"
)

// wireOnly converts contact views as the service does, with nothing else
// of the contacts' rules.
type wireOnly struct{ contacts }

func (wireOnly) WireContact(v service.ContactView, withTypes bool) wire.Contact {
	return service.WireContactAt("https://example.com/v1", v, withTypes)
}

// The pages of contacts and a contact are appended by wire.AppendContact;
// their bytes are those writeList and writeJSON write for the same
// contacts, envelope and final newline included.
func TestContactAnswersAreWriteJSONs(t *testing.T) {
	s := &Server{contacts: wireOnly{}}
	when := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.FixedZone("x", 3600))
	ch := carillon.Channel{UUID: "ch-1", Title: `Ventas <"Bogotá"> & co`, Type: carillon.WhatsApp, Main: true}
	team := &service.TeamView{Team: carillon.Team{UUID: "team-1", Name: "Sales & <Support>", CreatedAt: when, Default: true}, Members: 3}
	var views []service.ContactView
	for i := range 7 {
		c := carillon.Contact{UUID: fmt.Sprintf("uuid-%d", i), Name: fmt.Sprintf("Ana \"%d\" <b>\u2028", i), Address: "4915000000" + fmt.Sprint(i),
			CreatedAt: when, FunnelID: []string{"", "funnel"}[i%2], Note: []string{"", "line\nbreak \xff"}[i%2]}
		if i%3 == 0 {
			c.ConversationUUID, c.ConversationCreatedAt = fmt.Sprintf("conv-%d", i), when
			c.ClosedAt, c.BlockedAt, c.BSUID = when.Add(time.Hour), when.Add(2*time.Hour), "US.1234"
		}
		v := service.ContactView{Contact: c, Channel: ch, Tags: []string{}, Fields: map[string]service.FieldValue{}}
		if i%2 == 1 {
			v.Tags = []string{"vip", "<new>"}
			v.Fields = map[string]service.FieldValue{"plan": {Value: "gold & more", Type: "dropdown", Options: []string{"gold & more", "silver"}},
				"birthday": {Value: "1990-01-02", Type: "date"}}
			v.AssignedUser, v.Team = "ana@example.com", team
		}
		views = append(views, v)
	}
	for _, withTypes := range []bool{false, true} {
		for _, list := range [][]service.ContactView{nil, views[:1], views} {
			got := httptest.NewRecorder()
			s.writeContacts(got, list, service.PageInfo{Page: 2, Pages: 40}, withTypes)
			want := httptest.NewRecorder()
			writeList(want, "contacts", list, service.PageInfo{Page: 2, Pages: 40}, func(v service.ContactView) wire.Contact { return s.contactOf(v, withTypes) })
			compareAnswers(t, fmt.Sprintf("page of %d contacts, types %v", len(list), withTypes), got, want)
		}
		for _, v := range views {
			got := httptest.NewRecorder()
			s.writeContact(got, v, withTypes)
			want := httptest.NewRecorder()
			writeJSON(want, 200, struct {
				Contact wire.Contact `json:"contact"`
			}{s.contactOf(v, withTypes)})
			compareAnswers(t, "contact "+v.UUID, got, want)
		}
	}
}

func compareAnswers(t *testing.T, name string, got, want *httptest.ResponseRecorder) {
	t.Helper()
	if got.Code != want.Code || got.Header().Get("Content-Type") != want.Header().Get("Content-Type") {
		t.Errorf("%s: status %d, %q; want %d, %q", name, got.Code, got.Header().Get("Content-Type"), want.Code, want.Header().Get("Content-Type"))
	}
	if !bytes.Equal(got.Body.Bytes(), want.Body.Bytes()) {
		t.Errorf("%s:\ngot:  %s\nwant: %s", name, got.Body.Bytes(), want.Body.Bytes())
	}
}

// A page of a contact's messages is appended by wire.AppendMessage; its
// bytes are those writeList writes.
func TestMessagePagesAreWriteLists(t *testing.T) {
	when := time.Date(2026, 3, 4, 5, 6, 7, 8e6, time.FixedZone("x", -3600))
	ch := carillon.Channel{Type: carillon.WhatsApp, Settings: map[string]string{"number": "15550100001"}}
	c := carillon.Contact{Address: "491500000001"}
	var list []service.HistoryMessage
	for i, m := range []carillon.Message{
		{UUID: "m-1", Direction: carillon.Inbound, Content: carillon.Content{Text: "hola <b>&</b> \"x\"\n\u2028"}, CreatedAt: when},
		{UUID: "m-2", Direction: carillon.Outbound, Content: carillon.Content{URL: "https://example.com/a.jpg?x=1&y=<2>"}, CreatedAt: when},
		{UUID: "m-3", Direction: carillon.Note, Content: carillon.Content{Text: "note \xff"}, CreatedAt: when},
		{UUID: "m-4", Direction: carillon.Inbound, CreatedAt: when, DeletedAt: when.Add(time.Minute)},
	} {
		hc := c
		if i == 3 {
			hc = carillon.Contact{BSUID: "US.42"}
		}
		list = append(list, service.HistoryMessage{Message: m, Channel: ch, Contact: hc})
	}
	for _, l := range [][]service.HistoryMessage{nil, list[:1], list} {
		got := httptest.NewRecorder()
		writeMessages(got, l, service.PageInfo{Page: 1, Pages: 3})
		want := httptest.NewRecorder()
		writeList(want, "messages", l, service.PageInfo{Page: 1, Pages: 3}, func(m service.HistoryMessage) wire.Message {
			return wire.FromMessage(m.Message, m.Contact, m.Channel)
		})
		compareAnswers(t, fmt.Sprintf("page of %d messages", len(l)), got, want)
	}
}
