package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// Every list, on both stores, asked for a page past any possible end
// (page numbers whose offset overflows 64 bits included) answers 200 with an
// empty list and the same meta.pages as its first page, never a 500, a
// panic or page 1's entries again.
func TestPaginationPastTheEnd(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		s.sendText(t, "+31612345678", "hello")
		s.sendText(t, "+31612345679", "hello")
		contact := s.do(t, "GET", "/v1/contacts", s.Key, "").JSON(t)["contacts"].([]any)[0].(map[string]any)["uuid"].(string)
		team := s.do(t, "GET", "/v1/teams", s.Key, "").JSON(t)["teams"].([]any)[0].(map[string]any)["uuid"].(string)
		for _, name := range []string{"Lunch", "Meeting", "Away"} {
			if r := s.do(t, "POST", "/v1/custom_statuses", s.Key, `{"name": "`+name+`"}`); r.Code != http.StatusOK {
				t.Fatalf("custom status: %s", r)
			}
		}

		lists := []struct{ path, field string }{
			{"/v1/contacts", "contacts"},
			{"/v1/contacts/" + contact + "/messages", "messages"},
			{"/v1/channels", "channels"},
			{"/v1/teams", "teams"},
			{"/v1/teams/" + team + "/members", "users"},
			{"/v1/templates", "templates"},
			{"/v1/funnels", "funnels"},
			{"/v1/custom_statuses", "customStatuses"},
			{"/v1/webhooks/events", "webhook_events"},
		}
		pages := []struct{ page, items, wantPage, wantItems string }{
			{"9223372036854775807", "100", "9223372036854775807", "100"},
			{"9223372036854775807", "1", "9223372036854775807", "1"},
			{"4611686018427387905", "2", "4611686018427387905", "2"},  // offset 2^63: it wrapped to page 1
			{"4611686018427387904", "4", "4611686018427387904", "4"},  // offset past 2^63
			{"99999999999999999999", "2", "9223372036854775807", "2"}, // beyond 64 bits: the largest page
			{"1000", "99999999999999999999", "1000", "100"},           // items beyond 64 bits: 100
		}
		for _, l := range lists {
			for _, p := range pages {
				// meta.pages depends on items only: the first page tells it.
				first := s.do(t, "GET", l.path+"?items="+p.wantItems, s.Key, "")
				if first.Code != http.StatusOK {
					t.Fatalf("GET %s: %s", l.path, first)
				}
				wantPages := object(t, first.JSON(t), "meta")["pages"]
				query := "page=" + p.page + "&items=" + p.items
				r := s.do(t, "GET", l.path+"?"+query, s.Key, "")
				if r.Code != http.StatusOK {
					t.Errorf("GET %s?%s = %s, want 200", l.path, query, r)
					continue
				}
				v := r.JSON(t)
				if list, ok := v[l.field].([]any); !ok || len(list) != 0 {
					t.Errorf("GET %s?%s: %s = %v, want an empty list", l.path, query, l.field, v[l.field])
				}
				meta := object(t, v, "meta")
				if meta["page"] != json.Number(p.wantPage) || meta["pages"] != wantPages {
					t.Errorf("GET %s?%s: meta = %v, want page %s of %v", l.path, query, meta, p.wantPage, wantPages)
				}
			}
		}
		if errs := s.errorLogs(); len(errs) > 0 {
			t.Errorf("the server logged errors:\n%v", errs)
		}
	})
}

// meta.pages of the list of all contacts follows the contacts there are,
// on both stores: contacts made by sends (several at once, which the
// server commits together), created and deleted through the API (one with
// its messages), and it agrees with a filtered list that matches them all.
func TestContactPages(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, kind string) {
		s := startServerOn(t, kind)
		pages := func(query string) json.Number {
			t.Helper()
			r := s.do(t, "GET", "/v1/contacts?"+query, s.Key, "")
			if r.Code != http.StatusOK {
				t.Fatalf("GET /v1/contacts?%s: %s", query, r)
			}
			return object(t, r.JSON(t), "meta")["pages"].(json.Number)
		}
		want := func(what string, contacts int) {
			t.Helper()
			for _, query := range []string{"items=1", "items=1&source=whatsapp", "items=2&page=9"} {
				wantPages := json.Number(strconv.Itoa(max(1, contacts)))
				if strings.HasPrefix(query, "items=2") {
					wantPages = json.Number(strconv.Itoa(max(1, (contacts+1)/2)))
				}
				if got := pages(query); got != wantPages {
					t.Errorf("%s: GET /v1/contacts?%s: meta.pages %s, want %s", what, query, got, wantPages)
				}
			}
		}
		want("no contacts", 0)
		var wg sync.WaitGroup
		for i := range 8 {
			wg.Go(func() {
				body := fmt.Sprintf(`{"to": "+3161234560%d", "from": "whatsapp", "type": "text", "content": {"text": "hello"}}`, i)
				if r, err := s.try("POST", "/v1/messages/send", s.Key, body); err != nil || r.Code != http.StatusOK {
					t.Errorf("send %d: %v %v", i, r, err)
				}
			})
		}
		wg.Wait()
		want("eight contacts made by sends at once", 8)
		s.sendText(t, "+31612345600", "again")
		want("a send to a known contact", 8)
		created := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31 6 1234 5699", "source": "whatsapp", "name": "Kim"}`)
		if created.Code != http.StatusOK {
			t.Fatalf("POST /v1/contacts: %s", created)
		}
		want("one created", 9)
		if r := s.do(t, "POST", "/v1/contacts", s.Key, `{"identifier": "+31 6 1234 5699", "source": "whatsapp", "name": "Kim"}`); r.Code != http.StatusUnprocessableEntity {
			t.Fatalf("POST /v1/contacts twice: %s, want 422", r)
		}
		want("one refused", 9)
		withMessages := s.do(t, "GET", "/v1/contacts/phone/+31612345600", s.Key, "")
		if withMessages.Code != http.StatusOK {
			t.Fatalf("GET /v1/contacts/phone: %s", withMessages)
		}
		for _, r := range []response{created, withMessages} {
			uuid := object(t, r.JSON(t), "contact")["uuid"].(string)
			if d := s.do(t, "DELETE", "/v1/contacts/"+uuid, s.Key, ""); d.Code != http.StatusOK {
				t.Fatalf("DELETE /v1/contacts/%s: %s", uuid, d)
			}
		}
		want("two deleted, one with its messages", 7)
		if errs := s.errorLogs(); len(errs) > 0 {
			t.Errorf("the server logged errors:\n%v", errs)
		}
	})
}
