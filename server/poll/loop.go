package poll

import (
	"context"
	"time"
)

// Loop calls poll until ctx is done, waiting delay(err) after each call,
// where err is what the call returned. It returns nil when ctx ends.
func Loop(ctx context.Context, poll func(context.Context) error, delay func(error) time.Duration) error {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timer.C:
		}
		err := poll(ctx)
		if ctx.Err() != nil {
			return nil
		}
		timer.Reset(delay(err))
	}
}

// Backoff is the wait after the failures-th failure in a row: lo doubled
// per failure, capped at hi, with jitter: a uniform pick in [d/2, d) for r
// in [0, 1).
func Backoff(failures int, lo, hi time.Duration, r float64) time.Duration {
	d := lo << min(max(failures-1, 0), 20)
	if d > hi || d <= 0 {
		d = hi
	}
	return time.Duration(float64(d)/2 + r*float64(d)/2)
}
