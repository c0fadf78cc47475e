package service

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/fold"
)

// Search: the account's contacts and messages found by their words, over
// their whole history, each viewer finding only what they may see
// (visibility.go). The store indexes the folded words (package fold) of
// every message's and contact's SearchText; a query is folded the same
// way, so that case and accents never matter ("deja" finds "Déjà"). Every
// word typed must be found, the last one as the start of a word (a search
// box is read while its last word is being typed) when it has at least
// minPrefix characters (a start of one letter would read a large part of
// the index: measured with bench/search); a query of digits
// alone, written as people write phone numbers ("+31 6 1234"), is one
// number, found as the start of a contact's number or of a number in a
// message. Both lists come newest first, a page at a time after a cursor.

// SearchQuery is a search as people type it.
type SearchQuery struct {
	// Text is what was typed.
	Text string
	// In narrows the search to one list, "contacts" or "messages", for
	// that list's next pages; "" searches both.
	In string
	// After is the cursor of the page before, of the list In names; ""
	// for the first page.
	After string
}

// The lists of a search.
const (
	SearchContacts = "contacts"
	SearchMessages = "messages"
)

// SearchResults are a page of what a search found.
type SearchResults struct {
	// Searched is false when the query holds no word: nothing was
	// searched.
	Searched bool
	Contacts []FoundContact
	Messages []FoundMessage
	// MoreContacts and MoreMessages are the cursors of the next page of
	// each list (SearchQuery.After, with In naming the list), "" when
	// there is none.
	MoreContacts, MoreMessages string
}

// FoundContact is a contact a search found, with its name and address cut
// into fragments, the words found marked.
type FoundContact struct {
	carillon.Contact
	Name, Address []Fragment
}

// FoundMessage is a message a search found, with its contact and the part
// of its text around the first word found (Snippet), the words found
// marked.
type FoundMessage struct {
	carillon.Message
	Contact carillon.Contact
	Snippet []Fragment
}

// Fragment is a piece of a text; Match marks a word the search found.
type Fragment struct {
	Text  string
	Match bool
}

// How much a page of a search holds, and how much of a message a result
// shows.
const (
	SearchContactsPage = 10
	SearchMessagesPage = 25
	// MaxSearchLength is the most characters of a query.
	MaxSearchLength = 200
	// minPrefix is the fewest characters of a last word found as the
	// start of words; a shorter one is found as a whole word.
	minPrefix = 2
	// snippetLength is the most characters of a message a result shows
	// (its whole text when it is no longer), snippetLead the words shown
	// before the first word found.
	snippetLength = 160
	snippetLead   = 6
)

// Search finds the account's contacts and messages whose words hold the
// query's, among those viewer may see. A query that cannot be read is an
// invalid_parameter error naming its field (q, in, after); a query with
// no word finds nothing, without searching.
func (s *Messages) Search(ctx context.Context, p Principal, viewer Viewer, q SearchQuery) (SearchResults, error) {
	var out SearchResults
	text := strings.TrimSpace(q.Text)
	if problem := carillon.TextProblem(text); problem != "" {
		return out, carillon.Invalid("q", "the search %s", problem)
	}
	if n := utf8.RuneCountInString(text); n > MaxSearchLength {
		return out, carillon.Invalid("q", "a search is at most %d characters, not %d", MaxSearchLength, n)
	}
	switch q.In {
	case "", SearchContacts, SearchMessages:
	default:
		return out, carillon.Invalid("in", "search in contacts or messages, not %q", q.In)
	}
	var before int64
	if q.After != "" {
		var err error
		if before, err = decodeSearchCursor(q.In, q.After); err != nil {
			return out, err
		}
	}
	t := searchTerms(text)
	if len(t.words) == 0 {
		return out, nil
	}
	ch, err := viewer.chats()
	if err != nil {
		return out, err
	}
	f := carillon.SearchFilter{AccountID: p.Account.ID, Words: t.words, Prefix: t.prefix,
		AssignedUserID: ch.assignedTo, Agent: ch.agent}
	out.Searched = true
	if q.In != SearchMessages {
		cs, err := s.store.SearchContacts(ctx, f, before, SearchContactsPage+1)
		if err != nil {
			return out, s.internal(ctx, "search contacts", err)
		}
		if len(cs) > SearchContactsPage {
			cs = cs[:SearchContactsPage]
			out.MoreContacts = encodeSearchCursor(SearchContacts, cs[len(cs)-1].ID)
		}
		for _, c := range cs {
			out.Contacts = append(out.Contacts, FoundContact{Contact: c, Name: t.mark(c.Name, 0), Address: t.mark(c.Address, 0)})
		}
	}
	if q.In != SearchContacts {
		ms, err := s.store.SearchMessages(ctx, f, before, SearchMessagesPage+1)
		if err != nil {
			return out, s.internal(ctx, "search messages", err)
		}
		if len(ms) > SearchMessagesPage {
			ms = ms[:SearchMessagesPage]
			out.MoreMessages = encodeSearchCursor(SearchMessages, ms[len(ms)-1].ID)
		}
		contacts := map[int64]carillon.Contact{}
		for _, m := range ms {
			c, ok := contacts[m.ContactID]
			if !ok {
				if c, err = s.store.ContactByID(ctx, p.Account.ID, m.ContactID); err != nil {
					return out, s.internal(ctx, "search messages", err)
				}
				contacts[m.ContactID] = c
			}
			out.Messages = append(out.Messages, FoundMessage{Message: m, Contact: c, Snippet: t.mark(m.SearchText(), snippetLength)})
		}
	}
	return out, nil
}

// terms are the folded words of a query: every one must be found, the
// last one as the start of a word when prefix is set (it has at least
// minPrefix characters).
type terms struct {
	words  []string
	prefix bool
}

// searchTerms reads a query: a number written as people write phone
// numbers (digits, with spaces, dashes, dots, brackets or a leading plus,
// in more than one group or after a plus) is its digits, as one word;
// anything else is its folded words, each once.
func searchTerms(text string) terms {
	if digits, ok := phoneLike(text); ok {
		return terms{words: []string{digits}, prefix: len(digits) >= minPrefix}
	}
	split := fold.Split(text)
	if len(split) == 0 {
		return terms{}
	}
	last := split[len(split)-1].Folded
	var t terms
	seen := map[string]bool{last: true}
	for _, w := range split[:len(split)-1] {
		if !seen[w.Folded] {
			seen[w.Folded] = true
			t.words = append(t.words, w.Folded)
		}
	}
	t.words, t.prefix = append(t.words, last), utf8.RuneCountInString(last) >= minPrefix
	return t
}

// phoneLike reads text as a phone number: its digits, and whether it is
// one.
func phoneLike(text string) (string, bool) {
	var digits strings.Builder
	groups, inGroup, plus := 0, false, false
	for i, r := range text {
		switch {
		case '0' <= r && r <= '9':
			digits.WriteRune(r)
			if !inGroup {
				groups++
			}
			inGroup = true
			continue
		case r == '+' && i == 0:
			plus = true
		case r == ' ' || r == '-' || r == '.' || r == '(' || r == ')':
		default:
			return "", false
		}
		inGroup = false
	}
	return digits.String(), digits.Len() > 0 && (plus || groups > 1)
}

// match reports whether a folded word of a text is one the query found.
func (t terms) match(folded string) bool {
	for i, w := range t.words {
		if folded == w || t.prefix && i == len(t.words)-1 && strings.HasPrefix(folded, w) {
			return true
		}
	}
	return false
}

// mark cuts text into fragments, the words the query found marked: all of
// it when limit is 0 or text is at most limit characters, else limit
// characters from a few words before the first word found, with an
// ellipsis where text was left out.
func (t terms) mark(text string, limit int) []Fragment {
	words := fold.Split(text)
	from, to := 0, len(text)
	if limit > 0 && utf8.RuneCountInString(text) > limit {
		for i, w := range words {
			if t.match(w.Folded) {
				from = words[max(0, i-snippetLead)].Start
				break
			}
		}
		to = from
		for n := 0; n < limit && to < len(text); n++ {
			_, size := utf8.DecodeRuneInString(text[to:])
			to += size
		}
	}
	var out []Fragment
	if from > 0 {
		out = append(out, Fragment{Text: "…"})
	}
	pos := from
	for _, w := range words {
		if w.Start < from || w.End > to || !t.match(w.Folded) {
			continue
		}
		if w.Start > pos {
			out = append(out, Fragment{Text: text[pos:w.Start]})
		}
		out = append(out, Fragment{Text: text[w.Start:w.End], Match: true})
		pos = w.End
	}
	if pos < to {
		out = append(out, Fragment{Text: text[pos:to]})
	}
	if to < len(text) {
		out = append(out, Fragment{Text: "…"})
	}
	return out
}

// A search's cursor is opaque to its reader: the list and the last id of
// the page, in URL-safe base64, so that nobody builds one by hand.

func encodeSearchCursor(list string, id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte(list + "." + strconv.FormatInt(id, 10)))
}

// decodeSearchCursor reads a cursor of list; one of another list, or of
// no list (in is ""), is damaged.
func decodeSearchCursor(list, s string) (int64, error) {
	bad := carillon.Invalid("after", "this link's page marker is damaged: search again")
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return 0, bad
	}
	l, id, ok := strings.Cut(string(raw), ".")
	if !ok || l != list || list == "" {
		return 0, bad
	}
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return 0, bad
	}
	return n, nil
}
