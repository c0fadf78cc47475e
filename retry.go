package carillon

import (
	"math/rand/v2"
	"time"
)

// Backoff is the delay before the attempt that follows attempt number n
// (1-based): base × 2^(n-1), capped at most, with ±20 % jitter so that many
// failures at once do not retry at once. Sends and webhook deliveries both
// retry on this schedule.
func Backoff(n int, base, most time.Duration) time.Duration {
	d := base
	for i := 1; i < n && d < most; i++ {
		d *= 2
	}
	d = min(d, most)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}
