package store

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/carillon/carillon"
)

// TestSearchWindow searches with windows of a few ids (searchWindow, which
// PostgreSQL walks before it reads the older rows through the words'
// index), so that a page comes from the window, from the older rows, or
// from both: every page holds the rows it holds without a window, in the
// same order, on both databases.
func TestSearchWindow(t *testing.T) {
	onBothStores(t, func(t *testing.T, db *DB) {
		ctx := context.Background()
		now := testNow
		acct, ch := newAccountAndChannel(t, db)
		holding := map[string][]int64{}
		for i := range 30 {
			c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, Address: fmt.Sprint(4915100000 + i),
				Name: "common", ConversationUUID: carillon.NewUUID(), CreatedAt: now, UpdatedAt: now}
			text := "common"
			switch i {
			case 3, 17:
				text, c.Name = "common rare", "common rare"
			case 25:
				text, c.Name = "seldom", "seldom"
			}
			must(t, db.CreateContact(ctx, &c))
			m := carillon.Message{UUID: carillon.NewUUID(), AccountID: acct.ID, ChannelID: ch.ID, ContactID: c.ID,
				Direction: carillon.Inbound, Type: carillon.TypeText, Content: carillon.Content{Text: text},
				Status: carillon.StatusReceived, CreatedAt: now, UpdatedAt: now}
			must(t, db.CreateMessage(ctx, &m))
			for _, w := range strings.Fields(text) {
				holding[w] = append([]int64{m.ID}, holding[w]...)
			}
		}
		for _, window := range []int64{1, 2, 7, 1000} {
			d := *db.dialect
			d.searchWindow = window
			db.dialect = &d
			for word, want := range holding {
				for _, limit := range []int{1, 2, 5, 100} {
					var got []int64
					for before := int64(0); ; {
						page, err := db.SearchMessages(ctx, carillon.SearchFilter{AccountID: acct.ID, Words: []string{word}}, before, limit)
						if err != nil {
							t.Fatal(err)
						}
						for _, m := range page {
							got = append(got, m.ID)
						}
						if len(page) < limit {
							break
						}
						before = page[len(page)-1].ID
					}
					if !slices.Equal(got, want) {
						t.Errorf("window %d, %q by %d: %v, want %v", window, word, limit, got, want)
					}
				}
			}
			// Contacts too, of which there are as many.
			cs, err := db.SearchContacts(ctx, carillon.SearchFilter{AccountID: acct.ID, Words: []string{"rare"}}, 0, 10)
			if err != nil || len(cs) != 2 || cs[0].Name != "common rare" {
				t.Errorf("window %d: contacts %v, %v", window, cs, err)
			}
		}
	})
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
