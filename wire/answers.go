package wire

import "github.com/carillon/carillon"

// ErrorAnswer is the body of every error answer.
type ErrorAnswer struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail names what went wrong: a stable code, a message for people,
// and the request's field at fault when there is one.
type ErrorDetail struct {
	Code    carillon.ErrorCode `json:"code"`
	Message string             `json:"message"`
	Field   string             `json:"field,omitempty"`
}

// Me is what GET /v1/auth/me answers about the API key in use: the user it
// acts for ("" for the account's own keys, whose user_name is the key's
// name) and the key's name.
type Me struct {
	Status    string `json:"status"`
	UserEmail string `json:"user_email"`
	UserName  string `json:"user_name"`
	APIKey    string `json:"api_key"`
}

// SandboxMessage is what POST /v1/sandbox/inbound answers under message: the
// stored customer's message's uuid and status (received).
type SandboxMessage struct {
	UUID   string `json:"uuid"`
	Status string `json:"status"`
}
