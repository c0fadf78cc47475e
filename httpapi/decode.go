package httpapi

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/carillon/carillon"
)

// maxBody bounds a request body; larger ones answer 413.
const maxBody = 1 << 20

// readBody reads the request's body, up to maxBody. A body that announces
// more is refused before any of it is read; one that does not arrive
// within the server's read timeout, or too slowly (see minBodyRate), is a
// request_timeout (the connection's read deadline ends the read).
func readBody(r *http.Request) ([]byte, error) {
	tooLarge := &carillon.Error{Code: "payload_too_large", Message: fmt.Sprintf("the request body is larger than %d bytes", maxBody)}
	if r.ContentLength > maxBody {
		return nil, tooLarge
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return nil, &carillon.Error{Code: carillon.CodeRequestTimeout, Message: "the request body did not arrive in time: send the whole request within the server's read timeout, the body at 1 KiB a second or faster after its first 5 seconds"}
	}
	if err != nil {
		return nil, &carillon.Error{Code: carillon.CodeMalformedJSON, Message: "cannot read the request body"}
	}
	if len(body) > maxBody {
		return nil, tooLarge
	}
	return body, nil
}

// decodeJSON decodes a JSON object into v. An empty body reads as {};
// unknown fields are ignored. Broken JSON is a 400 malformed_json error; a
// value of the wrong type a 422 naming its field, and so is a string that
// is not valid text (checkJSONText).
func decodeJSON(body []byte, v any) error {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return nil
	}
	if body[0] != '{' {
		return &carillon.Error{Code: carillon.CodeMalformedJSON, Message: "the request body must be a JSON object"}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		var syntax *json.SyntaxError
		var typ *json.UnmarshalTypeError
		switch {
		case errors.As(err, &syntax):
			return &carillon.Error{Code: carillon.CodeMalformedJSON, Message: fmt.Sprintf("malformed JSON at byte %d: %v", syntax.Offset, syntax)}
		case errors.As(err, &typ):
			field := typ.Field
			if field == "" {
				field = "body"
			}
			return carillon.Invalid(field, "%s must be %s, not a JSON %s", field, jsonKind(typ.Type.Kind().String()), typ.Value)
		case errors.Is(err, io.ErrUnexpectedEOF):
			return &carillon.Error{Code: carillon.CodeMalformedJSON, Message: "malformed JSON: the body ends too early"}
		default:
			return &carillon.Error{Code: carillon.CodeMalformedJSON, Message: "malformed JSON: " + err.Error()}
		}
	}
	if dec.More() {
		return &carillon.Error{Code: carillon.CodeMalformedJSON, Message: "malformed JSON: data after the object"}
	}
	if _, err := dec.Token(); err != io.EOF {
		return &carillon.Error{Code: carillon.CodeMalformedJSON, Message: "malformed JSON: data after the object"}
	}
	return checkJSONText(body)
}

// checkJSONText refuses a body holding a string (a value or a key) that is
// not valid UTF-8 or holds a NUL character (written \u0000), naming the
// field it is in ("content.text", "custom_fields.Plan"; an array adds
// nothing to the name). This is the one rule for every text field of every
// body: Go's decoder would turn invalid UTF-8 into U+FFFD without a word
// and keep NUL, which PostgreSQL refuses.
func checkJSONText(body []byte) error {
	if utf8.Valid(body) && !bytes.Contains(body, []byte(`\u0000`)) {
		return nil // the common case: nothing to look for
	}
	type level struct {
		object  bool
		wantKey bool
		key     string
	}
	var stack []level
	field := func(last string) string {
		var parts []string
		for _, l := range stack {
			if l.object && !l.wantKey {
				parts = append(parts, l.key)
			}
		}
		if last != "" {
			parts = append(parts, last)
		}
		return carillon.CleanText(strings.Join(parts, "."))
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	var read int64
	for {
		tok, err := dec.Token()
		if err != nil {
			return nil // decoded already: only the end of the body is left
		}
		raw := body[read:dec.InputOffset()]
		read = dec.InputOffset()
		top := len(stack) - 1
		str, isString := tok.(string)
		isKey := isString && top >= 0 && stack[top].object && stack[top].wantKey
		if isString && (!utf8.Valid(raw) || strings.IndexByte(str, 0) >= 0) {
			problem := "holds a NUL character"
			if !utf8.Valid(raw) {
				problem = "is not valid UTF-8"
			}
			if isKey {
				name := field(str)
				return carillon.Invalid(name, "the name of field %s %s: text must be valid UTF-8 without NUL characters", name, problem)
			}
			name := field("")
			if name == "" {
				name = "body"
			}
			return carillon.Invalid(name, "%s %s: text must be valid UTF-8 without NUL characters", name, problem)
		}
		switch {
		case isKey:
			stack[top].key, stack[top].wantKey = str, false
			continue
		case tok == json.Delim('{'):
			stack = append(stack, level{object: true, wantKey: true})
			continue
		case tok == json.Delim('['):
			stack = append(stack, level{})
			continue
		case tok == json.Delim('}') || tok == json.Delim(']'):
			stack = stack[:top]
		}
		// A value ended: the object it is in wants its next key.
		if top := len(stack) - 1; top >= 0 && stack[top].object {
			stack[top].wantKey = true
		}
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "a string"
	case "bool":
		return "a boolean (true or false)"
	case "slice", "array":
		return "an array"
	case "map", "struct", "ptr":
		return "an object"
	case "int", "int64", "float64":
		return "a number"
	}
	return "of another type"
}

// bodyHash identifies a request body whatever its formatting and key order,
// to tell an idempotent retry (same body) from another request.
func bodyHash(body []byte) string {
	var v any
	canonical := body
	if len(bytes.TrimSpace(body)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.UseNumber()
		if dec.Decode(&v) == nil {
			if b, err := json.Marshal(v); err == nil {
				canonical = b
			}
		}
	} else {
		canonical = []byte("{}")
	}
	sum := sha256.Sum256(canonical)
	return hex.EncodeToString(sum[:])
}
