package app

import "time"

// Reconnect backoff bounds.
const (
	// ReconnectBase is the delay before the first reconnect attempt.
	ReconnectBase = 500 * time.Millisecond
	// ReconnectMax caps the delay between reconnect attempts.
	ReconnectMax = 30 * time.Second
)

// Backoff returns the delay before reconnect attempt number attempt
// (0-based): base doubled per attempt, capped at max, then spread by
// jitter r in [0, 1) over the upper half of that delay so that many
// browsers reconnecting after a server restart do not arrive together.
func Backoff(attempt int, base, max time.Duration, r float64) time.Duration {
	if attempt < 0 {
		attempt = 0
	}
	d := base
	for i := 0; i < attempt && d < max; i++ {
		d *= 2
	}
	if d > max {
		d = max
	}
	if r < 0 {
		r = 0
	}
	if r >= 1 {
		r = 0.999
	}
	return d/2 + time.Duration(float64(d/2)*r)
}
