package store

import (
	"encoding/base64"
	"fmt"
)

// Secrets at rest: channel settings and webhook secrets are stored sealed,
// as base64 text.

// seal encrypts plain with the store's key; what names it in errors.
func (q *queries) seal(plain []byte, what string) (string, error) {
	if q.db.sealer == nil {
		return "", fmt.Errorf("store: no secret key to seal %s", what)
	}
	return base64.StdEncoding.EncodeToString(q.db.sealer.Seal(plain)), nil
}

// open decrypts what seal made.
func (q *queries) open(sealed, what string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	if q.db.sealer == nil {
		return nil, fmt.Errorf("store: no secret key to open %s", what)
	}
	plain, err := q.db.sealer.Open(raw)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	return plain, nil
}
