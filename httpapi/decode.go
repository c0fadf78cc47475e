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
// value of the wrong type a 422 naming its field.
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
	return nil
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
