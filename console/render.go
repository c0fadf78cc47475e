package console

import (
	"bytes"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// pages are the parsed templates: each page's file (templates/<name>.html)
// with the layout it fills.
type pages struct {
	byName map[string]*template.Template
}

// parsedPages returns the pages, parsed on the first page asked for and
// then shared by every Server: nothing in them is a server's own (the
// functions they call are pure), and a parsed template is safe to execute
// from several goroutines. Parsing costs about 10 ms of CPU: a server no one
// opens the console of (a command's, a test's) does not pay it at start.
var parsedPages = sync.OnceValue(parsePages)

// parsePages parses every page template with the layout and the parts pages
// share (partials.html, and composer.html, the composer of a conversation's
// page). The templates are embedded: one that does not parse is a bug,
// found by any test.
func parsePages() *pages {
	funcs := template.FuncMap{
		// sentence starts a message with a capital, for a page that shows
		// an error's message on its own.
		"sentence": func(s string) string {
			if s == "" {
				return s
			}
			r, n := utf8.DecodeRuneInString(s)
			return string(unicode.ToUpper(r)) + s[n:]
		},
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
	}
	layout := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", "templates/composer.html"))
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		name := strings.TrimSuffix(path.Base(n), ".html")
		if name == "layout" || name == "partials" || name == "composer" {
			continue
		}
		p.byName[name] = template.Must(template.Must(layout.Clone()).ParseFS(files, n))
	}
	return p
}

// view is what the layout is given: the signed-in user (nil before sign-in)
// and the page's own data.
type view struct {
	User    *carillon.User
	Account string
	Nav     []navItem
	Current string
	CSRF    string
	// Live says the page may follow the live inbox (live.js), from
	// LiveFrom.
	Live     bool
	LiveFrom int64
	Page     any
}

// render writes the page name with its data, in the layout.
func (s *Server) render(w http.ResponseWriter, r *http.Request, v *visit, status int, name string, data any) {
	vw := view{Page: data, Current: r.URL.Path}
	if v != nil {
		vw.User, vw.Account, vw.Nav, vw.CSRF = &v.user, v.account.Name, navFor(v.user.Role), v.csrf
		if v.liveFrom != nil {
			vw.Live, vw.LiveFrom = true, *v.liveFrom
		}
	}
	var buf bytes.Buffer
	if err := parsedPages().byName[name].ExecuteTemplate(&buf, "layout.html", vw); err != nil {
		s.log.ErrorContext(r.Context(), "console page did not render", "page", name, "error", err)
		http.Error(w, "the page did not render", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}
