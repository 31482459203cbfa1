package hub

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// Config tunes the hub. Build it with DefaultConfig and change what you need.
type Config struct {
	// Tick is how often every active View is recomputed; a View sends at most
	// one diff per Tick. The protocol promises clients at most one diff per
	// second, so keep it at a second or more outside tests.
	Tick time.Duration
	// QueueLen is the number of messages a subscriber may have waiting to be
	// written. When the queue is full its diffs are dropped and the subscriber
	// is resynchronised with a fresh snapshot instead.
	QueueLen int
	// MaxSubscribers limits concurrent websocket subscribers; further
	// connections are refused with 503 and counted.
	MaxSubscribers int
	// WriteTimeout bounds each websocket write; a subscriber whose write times
	// out is dropped as too slow.
	WriteTimeout time.Duration
	// ResyncGrace is how long after a resynchronisation a subscriber must keep
	// up: a queue that fills again within this period closes the connection
	// with a policy-violation status.
	ResyncGrace time.Duration
	// MaxViews limits the distinct Views kept current at once. At the limit
	// the View idle the longest is dropped early; when every View has
	// subscribers, a subscription to a new View is refused and counted.
	MaxViews int
	// IdleViewExpiry is how long a View without subscribers stays computed
	// before it is dropped.
	IdleViewExpiry time.Duration
	// StatusInterval is how often subscribers get a status message (sources,
	// staleness, drops).
	StatusInterval time.Duration
	// SettleDelay keeps a View with a fixed time range ticking until its end
	// is this far in the past, so late spans still show; afterwards the range
	// is final and the View is no longer recomputed.
	SettleDelay time.Duration
	// LayoutWorkers bounds how many layouts run at once across all Views.
	LayoutWorkers int
	// LayoutTimeout bounds one layout run.
	LayoutTimeout time.Duration
	// AllowedOrigins lists host patterns (path.Match syntax, optionally with a
	// scheme) of cross-origin pages allowed to open the stream. Empty allows
	// same-origin requests only.
	AllowedOrigins []string
	// Compression selects permessage-deflate, used when the client supports
	// it. The default compresses each message on its own: a 10% metric
	// change on a 500-node graph goes from 39 KB to 6 KB, at about 20 KB
	// of memory per subscriber, while context takeover keeps a 1.2 MB
	// compressor per subscriber (1.2 GB for 1,000).
	Compression CompressionMode
	// ReadLimit is the largest client message accepted, in bytes.
	ReadLimit int64
}

// DefaultConfig returns the recommended settings.
func DefaultConfig() Config {
	return Config{
		Tick:           time.Second,
		QueueLen:       32,
		MaxSubscribers: 10000,
		MaxViews:       256,
		WriteTimeout:   10 * time.Second,
		ResyncGrace:    time.Minute,
		IdleViewExpiry: time.Minute,
		StatusInterval: 5 * time.Second,
		SettleDelay:    2 * time.Minute,
		LayoutWorkers:  2,
		LayoutTimeout:  time.Minute,
		Compression:    CompressionNoContextTakeover,
		ReadLimit:      64 << 10,
	}
}

// CompressionMode selects how messages are compressed (permessage-deflate).
type CompressionMode string

// Compression modes.
const (
	// CompressionOff sends messages uncompressed.
	CompressionOff CompressionMode = "off"
	// CompressionNoContextTakeover compresses each message on its own with
	// a pooled compressor: less memory per subscriber, larger messages.
	CompressionNoContextTakeover CompressionMode = "no-context-takeover"
	// CompressionContextTakeover keeps a compressor per subscriber whose
	// window spans messages, so repeated node and edge IDs compress away
	// across diffs. It costs about 1.2 MB of memory per subscriber.
	CompressionContextTakeover CompressionMode = "context-takeover"
)

// websocketMode returns the websocket library's mode for m.
func (m CompressionMode) websocketMode() websocket.CompressionMode {
	switch m {
	case CompressionNoContextTakeover:
		return websocket.CompressionNoContextTakeover
	case CompressionContextTakeover:
		return websocket.CompressionContextTakeover
	}
	return websocket.CompressionDisabled
}

// ErrConfig is wrapped by every error Validate returns.
var ErrConfig = errors.New("invalid hub config")

// Validate reports the first setting that cannot work.
func (c Config) Validate() error {
	positive := []struct {
		name string
		d    time.Duration
	}{
		{"tick", c.Tick},
		{"write timeout", c.WriteTimeout},
		{"idle view expiry", c.IdleViewExpiry},
		{"status interval", c.StatusInterval},
		{"layout timeout", c.LayoutTimeout},
	}
	for _, p := range positive {
		if p.d <= 0 {
			return fmt.Errorf("%w: %s must be positive, got %v", ErrConfig, p.name, p.d)
		}
	}
	switch {
	case c.ResyncGrace < 0:
		return fmt.Errorf("%w: resync grace must not be negative, got %v", ErrConfig, c.ResyncGrace)
	case c.SettleDelay < 0:
		return fmt.Errorf("%w: settle delay must not be negative, got %v", ErrConfig, c.SettleDelay)
	case c.QueueLen < 2:
		return fmt.Errorf("%w: queue length must be at least 2, got %d", ErrConfig, c.QueueLen)
	case c.MaxSubscribers < 1:
		return fmt.Errorf("%w: max subscribers must be at least 1, got %d", ErrConfig, c.MaxSubscribers)
	case c.MaxViews < 1:
		return fmt.Errorf("%w: max views must be at least 1, got %d", ErrConfig, c.MaxViews)
	case c.LayoutWorkers < 1:
		return fmt.Errorf("%w: layout workers must be at least 1, got %d", ErrConfig, c.LayoutWorkers)
	case c.ReadLimit < 1024:
		return fmt.Errorf("%w: read limit must be at least 1024 bytes, got %d", ErrConfig, c.ReadLimit)
	}
	switch c.Compression {
	case CompressionOff, CompressionNoContextTakeover, CompressionContextTakeover:
	default:
		return fmt.Errorf("%w: compression %q: want %s, %s or %s", ErrConfig, c.Compression,
			CompressionOff, CompressionNoContextTakeover, CompressionContextTakeover)
	}
	for _, o := range c.AllowedOrigins {
		if o == "" || o == "*" {
			return fmt.Errorf("%w: allowed origin %q: name the hosts instead", ErrConfig, o)
		}
		if _, err := path.Match(strings.ToLower(o), ""); err != nil {
			return fmt.Errorf("%w: allowed origin %q: %v", ErrConfig, o, err)
		}
	}
	return nil
}
