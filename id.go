package carillon

import (
	"crypto/rand"
	"encoding/hex"
	"time"
)

// NewUUID returns a new UUID written as 32 lowercase hex characters without
// dashes, the form Callbell uses for most identifiers. It is a version 7
// UUID: 48 bits of Unix milliseconds, then 74 random bits. Successive UUIDs
// sort by time, so the indexes that hold them grow at one end instead of
// being rewritten all over at every insert.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = (b[6] & 0x0f) | 0x70
	b[8] = (b[8] & 0x3f) | 0x80
	return hex.EncodeToString(b[:])
}

// NewDashedUUID returns a random UUID in its dashed form, which Callbell uses
// for custom statuses and funnels.
func NewDashedUUID() string {
	u := NewUUID()
	return u[0:8] + "-" + u[8:12] + "-" + u[12:16] + "-" + u[16:20] + "-" + u[20:32]
}

// Clock tells the time. It is injected so that tests can move time forward.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real clock.
type SystemClock struct{}

// Now returns the current time.
func (SystemClock) Now() time.Time { return time.Now() }

// UnixMilli converts a stored time (Unix milliseconds, 0 meaning unset) to a
// time.Time; it returns the zero time for 0.
func UnixMilli(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// Millis converts t to Unix milliseconds, 0 for the zero time.
func Millis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}
