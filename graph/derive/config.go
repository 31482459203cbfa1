package derive

import (
	"errors"
	"fmt"
	"time"
)

// Peer attribute names accepted in Config.PeerOrder. Each names one field of
// span.Peer.
const (
	PeerService         = "peer.service"
	PeerRemoteService   = "remoteEndpoint.serviceName"
	PeerDBName          = "db.name"
	PeerDBSystem        = "db.system"
	PeerDestination     = "messaging.destination"
	PeerMessagingSystem = "messaging.system"
	PeerServerAddress   = "server.address"
	PeerNetPeerName     = "net.peer.name"
	defaultUserNodeName = "user"
	defaultTTL          = 10 * time.Second
	defaultMaxItems     = 1_000_000
	maxMaxItems         = 1 << 30
	peerFieldCount      = 8
	peerFieldUnknown    = -1
)

// Errors returned by Config.Validate.
var (
	ErrBadTTL      = errors.New("derive: TTL must be positive")
	ErrBadMaxItems = errors.New("derive: MaxItems must be between 1 and 2^30")
	ErrBadUserNode = errors.New("derive: UserNodeName must not be empty when UserNode is on")
	ErrPeerOrder   = errors.New("derive: bad peer order")
)

// Config controls derivation and the pairing store.
type Config struct {
	// TTL is how long a span stays in the pairing store waiting for its
	// counterpart and serving as an ancestor for late children. Calls that
	// depend on a span being absent are settled when it expires.
	TTL time.Duration
	// MaxItems bounds the number of spans in the store. When it is full the
	// oldest span is settled early and counted in Stats.Dropped.
	MaxItems int
	// PeerOrder lists, first to last, the peer attributes used to name the
	// virtual node behind a client or producer span that no instrumented
	// callee claimed. Names are the Peer* constants.
	PeerOrder []string
	// UserNode draws calls into root server spans (and server spans whose
	// parent never arrived) from a virtual user node. When off they are
	// counted in Stats.NoCaller and not drawn.
	UserNode bool
	// UserNodeName is the ID and name of the virtual user node.
	UserNodeName string
}

// DefaultPeerOrder returns the default virtual node naming order.
func DefaultPeerOrder() []string {
	return []string{
		PeerService, PeerRemoteService, PeerDBName, PeerDBSystem,
		PeerDestination, PeerMessagingSystem, PeerServerAddress, PeerNetPeerName,
	}
}

// DefaultConfig returns the default configuration: 10 s TTL, one million
// spans, the default peer order and a virtual "user" node.
func DefaultConfig() Config {
	return Config{
		TTL:          defaultTTL,
		MaxItems:     defaultMaxItems,
		PeerOrder:    DefaultPeerOrder(),
		UserNode:     true,
		UserNodeName: defaultUserNodeName,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	if c.TTL <= 0 {
		return ErrBadTTL
	}
	if c.MaxItems <= 0 || c.MaxItems > maxMaxItems {
		return ErrBadMaxItems
	}
	if c.UserNode && c.UserNodeName == "" {
		return ErrBadUserNode
	}
	_, err := compilePeerOrder(c.PeerOrder)
	return err
}

// peerFieldIndex maps a peer attribute name to its field index.
func peerFieldIndex(name string) int {
	switch name {
	case PeerService:
		return 0
	case PeerRemoteService:
		return 1
	case PeerDBName:
		return 2
	case PeerDBSystem:
		return 3
	case PeerDestination:
		return 4
	case PeerMessagingSystem:
		return 5
	case PeerServerAddress:
		return 6
	case PeerNetPeerName:
		return 7
	}
	return peerFieldUnknown
}

// compilePeerOrder turns attribute names into field indexes, rejecting
// unknown and repeated names.
func compilePeerOrder(order []string) ([]uint8, error) {
	out := make([]uint8, 0, len(order))
	var seen [peerFieldCount]bool
	for _, name := range order {
		i := peerFieldIndex(name)
		if i == peerFieldUnknown {
			return nil, fmt.Errorf("%w: unknown attribute %q", ErrPeerOrder, name)
		}
		if seen[i] {
			return nil, fmt.Errorf("%w: %q listed twice", ErrPeerOrder, name)
		}
		seen[i] = true
		out = append(out, uint8(i))
	}
	return out, nil
}
