package httpapi

import (
	"net/http"
	"strings"

	"github.com/carillon/carillon"
)

// What a request names outside its body (the identifiers in its path, its
// query parameters) is checked once, for every route, before any handler
// looks it up: bytes that no identifier or text carillon keeps can hold
// never reach a query.

// checkRequest answers not_found for a path identifier that is not well
// formed (carillon.WellFormedID: it names nothing carillon keeps), and
// invalid_parameter naming the parameter for a query value that is not
// valid text (invalid UTF-8, NUL).
func checkRequest(r *http.Request) error {
	for _, name := range wildcards(r.Pattern) {
		if !carillon.WellFormedID(r.PathValue(name)) {
			return &carillon.Error{Code: carillon.CodeNotFound,
				Message: "not found: the " + name + " in the path is not a well-formed identifier (1 to 255 bytes of UTF-8 text without control characters)"}
		}
	}
	for key, values := range r.URL.Query() {
		if p := carillon.TextProblem(key); p != "" {
			return carillon.Invalid(carillon.CleanText(key), "a query parameter's name %s", p)
		}
		for _, v := range values {
			if p := carillon.TextProblem(v); p != "" {
				return carillon.Invalid(key, "%s %s: text must be valid UTF-8 without NUL characters", key, p)
			}
		}
	}
	return nil
}

// wildcards returns the names of a ServeMux pattern's wildcards, as in
// "GET /v1/contacts/{uuid}/{sub}".
func wildcards(pattern string) []string {
	var names []string
	for {
		open := strings.IndexByte(pattern, '{')
		if open < 0 {
			return names
		}
		end := strings.IndexByte(pattern[open:], '}')
		if end < 0 {
			return names
		}
		if name := strings.TrimSuffix(pattern[open+1:open+end], "..."); name != "$" {
			names = append(names, name)
		}
		pattern = pattern[open+end+1:]
	}
}

// public wraps a route that takes no API key (provider callbacks, media)
// with the checks that auth makes for the others.
func public(h handlerFunc) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		if err := checkRequest(r); err != nil {
			return err
		}
		return h(w, r)
	}
}
