package graph

import (
	"encoding/json"
	"errors"
	"fmt"
)

// MessageType names the kind of a websocket message.
type MessageType string

// Websocket message types. The client sends subscribe; the server answers
// with a snapshot, then diffs, plus status now and then and error when
// something is wrong. Sending subscribe again (same or another view)
// replaces the subscription and brings a fresh snapshot, which is also how
// a client whose base version does not match resynchronises.
const (
	// MessageSubscribe (client): View is the query string of the View to
	// watch.
	MessageSubscribe MessageType = "subscribe"
	// MessageSnapshot (server): Snapshot is the whole graph at Version.
	MessageSnapshot MessageType = "snapshot"
	// MessageDiff (server): Diff turns version Base into Version.
	MessageDiff MessageType = "diff"
	// MessageStatus (server): Status describes sources and data quality.
	MessageStatus MessageType = "status"
	// MessageError (server): Error says what went wrong, such as a bad
	// View in subscribe.
	MessageError MessageType = "error"
)

// ErrBadMessage is wrapped by Message.Validate's errors.
var ErrBadMessage = errors.New("bad message")

// Message is one websocket message, a JSON object with a "type" field and
// the payload that type carries:
//
//	{"type":"subscribe","view":"focus=checkout&window=15m"}
//	{"type":"snapshot","view":"...","version":7,"snapshot":{...}}
//	{"type":"diff","view":"...","base":7,"version":8,"diff":{...}}
//	{"type":"status","status":{"sources":[...],"stale":false,...}}
//	{"type":"error","error":"view parameter window: bad value \"7x\": ..."}
//
// When encoding, Version and Base are filled in from the snapshot or diff
// payload if left zero, so the envelope always matches the payload.
type Message struct {
	// Type says which of the fields below are set.
	Type MessageType `json:"type"`
	// View is the View's query string: the one to watch (subscribe) or the
	// canonical one the payload belongs to (snapshot, diff).
	View string `json:"view,omitempty"`
	// Base is the version a diff applies to.
	Base uint64 `json:"base,omitempty"`
	// Version is the version of a snapshot, or the result of a diff.
	Version uint64 `json:"version,omitempty"`
	// Snapshot is the payload of a snapshot message.
	Snapshot *Snapshot `json:"snapshot,omitempty"`
	// Diff is the payload of a diff message.
	Diff *Diff `json:"diff,omitempty"`
	// Status is the payload of a status message.
	Status *Status `json:"status,omitempty"`
	// Error is the payload of an error message.
	Error string `json:"error,omitempty"`
	// Frames, in a subscribe message, chooses the websocket frames of the
	// server's messages: FramesText (the default) or FramesBinary, the
	// same JSON in binary frames, which a browser hands to WebAssembly as
	// bytes without decoding and re-encoding text.
	Frames string `json:"frames,omitempty"`
}

// Websocket frame kinds a subscriber can ask for (Message.Frames).
const (
	FramesText   = "text"
	FramesBinary = "binary"
)

// NewSubscribe returns the subscribe message for a View's query string.
func NewSubscribe(view string) Message {
	return Message{Type: MessageSubscribe, View: view}
}

// NewSnapshotMessage returns the snapshot message of s.
func NewSnapshotMessage(s *Snapshot) Message {
	return Message{Type: MessageSnapshot, View: s.View, Version: s.Version, Snapshot: s}
}

// NewDiffMessage returns the diff message of d for the View view.
func NewDiffMessage(view string, d *Diff) Message {
	return Message{Type: MessageDiff, View: view, Base: d.Base, Version: d.Version, Diff: d}
}

// NewStatusMessage returns the status message of st.
func NewStatusMessage(st *Status) Message {
	return Message{Type: MessageStatus, Status: st}
}

// NewErrorMessage returns an error message saying err.
func NewErrorMessage(err error) Message {
	return Message{Type: MessageError, Error: err.Error()}
}

// MarshalJSON encodes m, filling in Version and Base from the payload when
// they are zero.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	p := plain(m)
	switch {
	case p.Snapshot != nil && p.Version == 0:
		p.Version = p.Snapshot.Version
	case p.Diff != nil && p.Version == 0 && p.Base == 0:
		p.Base, p.Version = p.Diff.Base, p.Diff.Version
	}
	return json.Marshal(p)
}

// Validate reports whether m carries exactly the payload its type needs,
// with an envelope that matches it. Errors wrap ErrBadMessage.
func (m *Message) Validate() error {
	want := map[MessageType]bool{
		MessageSubscribe: false, MessageSnapshot: m.Snapshot != nil, MessageDiff: m.Diff != nil,
		MessageStatus: m.Status != nil, MessageError: m.Error != "",
	}
	ok, known := want[m.Type]
	switch {
	case !known:
		return fmt.Errorf("%w: unknown type %q", ErrBadMessage, m.Type)
	case m.payloads() > 1 || (m.payloads() == 1 && !ok):
		return fmt.Errorf("%w: %s message with a payload of another type", ErrBadMessage, m.Type)
	case m.Type != MessageSubscribe && !ok:
		return fmt.Errorf("%w: %s message without its payload", ErrBadMessage, m.Type)
	case m.Snapshot != nil && m.Version != m.Snapshot.Version:
		return fmt.Errorf("%w: snapshot message version %d, snapshot version %d", ErrBadMessage, m.Version, m.Snapshot.Version)
	case m.Diff != nil && (m.Base != m.Diff.Base || m.Version != m.Diff.Version):
		return fmt.Errorf("%w: diff message %d->%d, diff %d->%d", ErrBadMessage, m.Base, m.Version, m.Diff.Base, m.Diff.Version)
	case m.Frames != "" && m.Type != MessageSubscribe:
		return fmt.Errorf("%w: frames in a %s message (only a subscribe chooses them)", ErrBadMessage, m.Type)
	case m.Frames != "" && m.Frames != FramesText && m.Frames != FramesBinary:
		return fmt.Errorf("%w: frames %q, want %q or %q", ErrBadMessage, m.Frames, FramesText, FramesBinary)
	}
	return nil
}

func (m *Message) payloads() int {
	n := 0
	for _, set := range []bool{m.Snapshot != nil, m.Diff != nil, m.Status != nil, m.Error != ""} {
		if set {
			n++
		}
	}
	return n
}

// SourceState is the health of a data source.
type SourceState string

// Source states.
const (
	// SourceOK: the latest fetch or receive worked.
	SourceOK SourceState = "ok"
	// SourceDegraded: data arrives but incomplete (result caps hit, some
	// requests failing, spans dropped).
	SourceDegraded SourceState = "degraded"
	// SourceDown: no data since the last error.
	SourceDown SourceState = "down"
)

// SourceStatus describes one data source (a backend puller or a receiver).
type SourceStatus struct {
	// Name is the source's configured name.
	Name string `json:"name"`
	// Kind is the source type, such as "jaeger", "zipkin", "tempo", "otlp".
	Kind string `json:"kind"`
	// State is the source's health.
	State SourceState `json:"state"`
	// LastSuccess is when data last arrived, Unix milliseconds, 0 if never.
	LastSuccess int64 `json:"last_success_ms"`
	// LastError is the latest error, empty if none since the last success.
	LastError string `json:"last_error,omitempty"`
	// Lag is how far behind real time the source's data is, milliseconds.
	Lag int64 `json:"lag_ms"`
	// Spans counts spans received from the source since start.
	Spans int64 `json:"spans,omitempty"`
	// UIURL is the base URL of the backend's own trace UI, for links from
	// exemplars to traces (Jaeger /trace/<id>, Zipkin, Grafana Explore).
	UIURL string `json:"ui_url,omitempty"`
	// TracesFetched, CapsHit and PollsBehind report a puller's coverage:
	// traces read, queries that hit the result limit (traces may be
	// missing), and poll intervals the puller trails real time by.
	TracesFetched int64 `json:"traces_fetched,omitempty"`
	CapsHit       int64 `json:"caps_hit,omitempty"`
	PollsBehind   int64 `json:"polls_behind,omitempty"`
	// Malformed counts responses or requests from this source that could
	// not be decoded.
	Malformed int64 `json:"malformed,omitempty"`
	// SkippedWindows counts a puller's service windows given up after
	// repeated malformed answers: those traces are missing from the map.
	SkippedWindows int64 `json:"skipped_windows,omitempty"`
	// Stale is true when the source delivered data once but not within
	// its freshness period (a puller down or behind, a receiver no longer
	// sent to): nodes and edges seen only by stale sources show old
	// figures.
	Stale bool `json:"stale,omitempty"`
}

// OnlyStaleSaw reports whether a node or edge seen by sources (its
// Sources) shows old figures: it was seen by at least one source and every
// one of them is a key of stale, the stale sources by name.
func OnlyStaleSaw[V any](sources []string, stale map[string]V) bool {
	if len(stale) == 0 || len(sources) == 0 {
		return false
	}
	for _, name := range sources {
		if _, ok := stale[name]; !ok {
			return false
		}
	}
	return true
}

// Status is the server's account of its data, sent to subscribers now and
// then so the map can say how far to trust it.
type Status struct {
	// Time is the server's clock when the status was made, Unix
	// milliseconds.
	Time int64 `json:"time_ms"`
	// Sources describes every configured source, sorted by name.
	Sources []SourceStatus `json:"sources"`
	// Stale is true when no source has delivered data recently, so the map
	// shows old figures; each source says whether it is stale itself.
	Stale bool `json:"stale"`
	// DroppedSpans counts spans dropped since start (pairing store full,
	// queues full, expired unpaired).
	DroppedSpans int64 `json:"dropped_spans"`
	// PendingSpans is the number of spans waiting to be paired.
	PendingSpans int64 `json:"pending_spans"`
	// Health is how the server judges health, for legends.
	Health *HealthRules `json:"health,omitempty"`
}

// HealthRules are the thresholds from which a node or edge is degraded or
// failing: its error rate (0..1) and, where set (above 0), its p99
// latency in milliseconds. The server's configuration file sets them
// under the same names.
type HealthRules struct {
	ErrorRateDegraded float64 `json:"error_rate_degraded" yaml:"error_rate_degraded"`
	ErrorRateFailing  float64 `json:"error_rate_failing" yaml:"error_rate_failing"`
	P99DegradedMs     float64 `json:"p99_degraded_ms,omitempty" yaml:"p99_degraded_ms"`
	P99FailingMs      float64 `json:"p99_failing_ms,omitempty" yaml:"p99_failing_ms"`
}

// Validate reports the first invalid rule, naming it.
func (h HealthRules) Validate() error {
	switch {
	case !(h.ErrorRateDegraded > 0 && h.ErrorRateDegraded <= 1):
		return fmt.Errorf("error_rate_degraded: must be above 0 and at most 1, got %g", h.ErrorRateDegraded)
	case !(h.ErrorRateFailing >= h.ErrorRateDegraded && h.ErrorRateFailing <= 1):
		return fmt.Errorf("error_rate_failing: must be from error_rate_degraded (%g) to 1, got %g", h.ErrorRateDegraded, h.ErrorRateFailing)
	case !(h.P99DegradedMs >= 0):
		return fmt.Errorf("p99_degraded_ms: must be 0 (off) or positive, got %g", h.P99DegradedMs)
	case !(h.P99FailingMs >= 0):
		return fmt.Errorf("p99_failing_ms: must be 0 (off) or positive, got %g", h.P99FailingMs)
	case h.P99DegradedMs > 0 && h.P99FailingMs > 0 && h.P99FailingMs < h.P99DegradedMs:
		return fmt.Errorf("p99_failing_ms: must be at least p99_degraded_ms (%g), got %g", h.P99DegradedMs, h.P99FailingMs)
	}
	return nil
}
