package httpapi

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sync"

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/wire"
)

// statusOf maps an error code to its HTTP status: the one place where that
// mapping lives.
func statusOf(code carillon.ErrorCode) int {
	switch code {
	case carillon.CodeUnauthorized:
		return http.StatusUnauthorized
	case carillon.CodeMalformedJSON:
		return http.StatusBadRequest
	case carillon.CodeNotFound:
		return http.StatusNotFound
	case carillon.CodeRateLimited:
		return http.StatusTooManyRequests
	case carillon.CodeInvalidParameter, carillon.CodeOutsideWindow, carillon.CodeIdempotencyKeyReused,
		carillon.CodeAlreadyExists, carillon.CodeNotSupported, carillon.CodeConflict:
		return http.StatusUnprocessableEntity
	case "payload_too_large":
		return http.StatusRequestEntityTooLarge
	case carillon.CodeInvalidHeader:
		return http.StatusBadRequest
	case carillon.CodeRequestTimeout:
		return http.StatusRequestTimeout
	case carillon.CodeUnavailable:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// writeError answers with the JSON error body. An error that is not a
// *carillon.Error is an internal fault: it was logged where it happened, and
// its text stays out of the answer.
func writeError(w http.ResponseWriter, r *http.Request, err error) {
	e, ok := carillon.AsError(err)
	if !ok {
		e = &carillon.Error{Code: carillon.CodeInternal, Message: "internal error: the request may be retried; the server log has the details (request id " + requestID(r) + ")"}
	}
	writeJSON(w, statusOf(e.Code), wire.ErrorAnswer{Error: wire.ErrorDetail{Code: e.Code, Message: e.Message, Field: e.Field}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b := answerBuffers.Get().(*[]byte)
	defer putAnswerBuffer(b)
	buf := bytes.NewBuffer((*b)[:0])
	enc := json.NewEncoder(buf)
	// Answers are JSON for programs, not HTML: keep <, > and & readable.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		status = http.StatusInternalServerError
		buf.Reset()
		buf.WriteString(`{"error":{"code":"internal","message":"cannot encode the answer"}}` + "\n")
	}
	*b = buf.Bytes()
	writeBody(w, status, *b)
}

// writeBody answers with body, JSON already encoded.
func writeBody(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// answerBuffers keep the buffers answers are encoded into, so that each
// answer does not grow one of its own from nothing (a page of contacts is
// some 17 KiB) for the garbage collector to reclaim.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// putAnswerBuffer gives a buffer back, unless an answer made it large: a
// few large answers must not keep their memory for all.
func putAnswerBuffer(b *[]byte) {
	if cap(*b) > 256<<10 {
		return
	}
	*b = (*b)[:0]
	answerBuffers.Put(b)
}
