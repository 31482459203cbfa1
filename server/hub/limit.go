package hub

import (
	"context"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/spanmap/spanmap/graph"
)

// Limit restricts one stream connection: the Views it may subscribe to and
// how long it lasts (an embed token grants one View until it expires).
// Carry it on the request's context with WithLimit; ServeHTTP enforces it
// on every subscribe message, whatever the connection's compression. A
// connection past its limit is closed with websocket.StatusPolicyViolation
// and the reason as the close reason.
type Limit struct {
	// Allow, when set, is asked before every subscribe. An error refuses
	// the View: nothing of it is sent, and the connection is closed with
	// the error's text as the reason.
	Allow func(graph.View) error
	// Until, when not zero, ends the connection at that time.
	Until time.Time
	// UntilReason is the close reason at Until.
	UntilReason string
}

// limitKey is the context key of a Limit.
type limitKey struct{}

// WithLimit returns ctx carrying l, for the request ServeHTTP serves.
func WithLimit(ctx context.Context, l Limit) context.Context {
	return context.WithValue(ctx, limitKey{}, l)
}

// limitFrom returns the Limit carried by ctx, the zero Limit (no limit)
// when there is none.
func limitFrom(ctx context.Context) Limit {
	l, _ := ctx.Value(limitKey{}).(Limit)
	return l
}

// expiry returns a channel that fires at l.Until (nil, never firing, when
// there is no Until) and the func that stops it.
func (l Limit) expiry(now time.Time) (<-chan time.Time, func()) {
	if l.Until.IsZero() {
		return nil, func() {}
	}
	t := time.NewTimer(l.Until.Sub(now))
	return t.C, func() { t.Stop() }
}

// limitError ends a connection past its Limit.
type limitError struct{ reason string }

// Error implements error.
func (e *limitError) Error() string { return e.reason }

// maxCloseReason is the longest close reason a close frame carries, in
// bytes (RFC 6455: 125 bytes of payload, 2 of them the code).
const maxCloseReason = 123

// closeForLimit closes conn with a policy violation and reason, cut to
// what a close frame carries.
func closeForLimit(conn *websocket.Conn, reason string) {
	for len(reason) > maxCloseReason {
		_, size := utf8.DecodeLastRuneInString(reason)
		reason = reason[:len(reason)-size]
	}
	conn.Close(websocket.StatusPolicyViolation, reason)
}
