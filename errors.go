// Package carillon holds the domain of carillon, a self-hosted business
// messaging server that speaks the Callbell API: the objects it keeps
// (accounts, channels, contacts, messages), the error codes its rules return,
// and the interfaces (Store, Provider, Clock) that its adapters implement.
// It imports nothing but the standard library.
package carillon

import (
	"errors"
	"fmt"
)

// ErrorCode is a machine-readable error code. The API writes it as
// error.code, and maps it to an HTTP status in one place (httpapi).
type ErrorCode string

// The error codes of the wire contract.
const (
	CodeUnauthorized         ErrorCode = "unauthorized"
	CodeMalformedJSON        ErrorCode = "malformed_json"
	CodeInvalidParameter     ErrorCode = "invalid_parameter"
	CodeNotFound             ErrorCode = "not_found"
	CodeRateLimited          ErrorCode = "rate_limited"
	CodeOutsideWindow        ErrorCode = "outside_customer_service_window"
	CodeIdempotencyKeyReused ErrorCode = "idempotency_key_reused"
	CodeAlreadyExists        ErrorCode = "already_exists"
	CodeNotSupported         ErrorCode = "not_supported"
	CodeConflict             ErrorCode = "conflict"
	CodeInternal             ErrorCode = "internal"
	// CodeInvalidHeader is a request header the API cannot read as sent,
	// such as a single-value header given twice.
	CodeInvalidHeader ErrorCode = "invalid_header"
	// CodeRequestTimeout is a request whose body did not arrive in time.
	CodeRequestTimeout ErrorCode = "request_timeout"
	// CodeUnavailable is a request the server cannot take now: too many
	// connections, or a store that can no longer be written safely.
	CodeUnavailable ErrorCode = "unavailable"
)

// ErrNotConfigured is returned (wrapped) by a provider asked for something
// its channel's settings do not allow, such as template sync without a
// WhatsApp Business account id.
var ErrNotConfigured = errors.New("not configured")

// Error is an error that is safe to show to an API user: its Message never
// holds internals, secrets or another tenant's data. Field names the request
// parameter at fault, when there is one.
type Error struct {
	Code    ErrorCode
	Message string
	Field   string
}

func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, e.Field)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with a formatted message.
func Errorf(code ErrorCode, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid returns an invalid_parameter error naming the field at fault.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalidParameter, Field: field, Message: fmt.Sprintf(format, args...)}
}

// NotFound returns a not_found error for the named kind of object.
func NotFound(kind string) *Error {
	return &Error{Code: CodeNotFound, Message: kind + " not found"}
}

// ErrNotFound is returned by stores when a looked-up row does not exist.
// The rules turn it into a NotFound error naming what was missing.
var ErrNotFound = errors.New("not found")

// ErrConflict is returned by stores when a unique constraint refuses a write.
var ErrConflict = errors.New("conflict")

// ErrContention is returned (wrapped) by stores when the database aborted
// a transaction to end a wait with another that could not end otherwise
// (PostgreSQL's deadlock detection, or a serialization failure): nothing
// of it was written, and running it again may succeed.
var ErrContention = errors.New("transaction aborted by contention")

// ErrStale is returned by stores when a write names a version of a row that
// is no longer the current one: someone changed it since it was read.
var ErrStale = errors.New("stale version")

// ErrStoreUnavailable is returned (wrapped) by a store that refuses writes
// because they could not be kept, such as a SQLite database whose file was
// removed or replaced under the running server. It is an *Error: the API
// answers it as it is, and the wrapping text (for the log) says why.
var ErrStoreUnavailable = &Error{Code: CodeUnavailable,
	Message: "the server cannot store anything now: nothing was written; the server's log says why"}

// AsError returns the *Error inside err, if any.
func AsError(err error) (*Error, bool) {
	var e *Error
	if errors.As(err, &e) {
		return e, true
	}
	return nil, false
}
