package zipkin

import (
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/source/httpbody"
)

// SpansPath is where Zipkin reporters post spans.
const SpansPath = "/api/v2/spans"

// Sink accepts decoded spans. Submit must not block; an error means "busy,
// retry later" and the spans were not taken.
type Sink interface {
	Submit(source string, spans []span.Span) error
}

// ReceiverConfig configures the Zipkin receiver.
type ReceiverConfig struct {
	// Source is the source name recorded on edges ("zipkin-receiver").
	Source string
	// MaxBodyBytes limits a request's decompressed size.
	MaxBodyBytes int64
	// RetryAfter is the delay suggested to reporters when the sink is full.
	RetryAfter time.Duration
}

// DefaultReceiverConfig returns the receiver defaults.
func DefaultReceiverConfig() ReceiverConfig {
	return ReceiverConfig{Source: "zipkin-receiver", MaxBodyBytes: 16 << 20, RetryAfter: 2 * time.Second}
}

// Validate reports the first invalid field.
func (c ReceiverConfig) Validate() error {
	switch {
	case c.Source == "":
		return fmt.Errorf("zipkin receiver: source name must not be empty")
	case c.MaxBodyBytes <= 0:
		return fmt.Errorf("zipkin receiver: max body bytes must be positive, got %d", c.MaxBodyBytes)
	case c.RetryAfter <= 0:
		return fmt.Errorf("zipkin receiver: retry-after must be positive, got %s", c.RetryAfter)
	}
	return nil
}

// ReceiverStats are the receiver's counters.
type ReceiverStats struct {
	// Requests counts POSTs received.
	Requests int64
	// Spans counts spans handed to the sink.
	Spans int64
	// Malformed counts requests refused as undecodable.
	Malformed int64
	// TooLarge counts requests over the body limit.
	TooLarge int64
	// Throttled counts requests refused because the sink was full.
	Throttled int64
}

// Receiver is the Zipkin span receiver.
type Receiver struct {
	cfg  ReceiverConfig
	sink Sink
	log  *slog.Logger

	requests, spans, malformed, tooLarge, throttled atomic.Int64
}

// NewReceiver returns a receiver feeding sink.
func NewReceiver(cfg ReceiverConfig, sink Sink, log *slog.Logger) (*Receiver, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Receiver{cfg: cfg, sink: sink, log: log}, nil
}

// Stats returns the counters.
func (r *Receiver) Stats() ReceiverStats {
	return ReceiverStats{Requests: r.requests.Load(), Spans: r.spans.Load(), Malformed: r.malformed.Load(),
		TooLarge: r.tooLarge.Load(), Throttled: r.throttled.Load()}
}

// Handler returns the receiver's HTTP handler, serving SpansPath.
func (r *Receiver) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(SpansPath, r.serveHTTP)
	return mux
}

func (r *Receiver) serveHTTP(w http.ResponseWriter, req *http.Request) {
	r.requests.Add(1)
	if req.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "zipkin: spans must be POSTed", http.StatusMethodNotAllowed)
		return
	}
	var format decode.Format
	switch mt := httpbody.MediaType(req); mt {
	case "application/json", "":
		format = decode.Zipkin
	case "application/x-protobuf", "application/protobuf":
		format = decode.ZipkinProto
	default:
		http.Error(w, fmt.Sprintf("zipkin: unsupported content type %q: send application/json or application/x-protobuf", mt),
			http.StatusUnsupportedMediaType)
		return
	}
	body, err := httpbody.Read(req, r.cfg.MaxBodyBytes)
	if err != nil {
		code := httpbody.Status(err)
		if code == http.StatusRequestEntityTooLarge {
			r.tooLarge.Add(1)
		} else {
			r.malformed.Add(1)
		}
		http.Error(w, "zipkin: "+err.Error(), code)
		return
	}
	spans, err := decode.Bytes(body, format)
	if err != nil {
		r.malformed.Add(1)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if err := r.sink.Submit(r.cfg.Source, spans); err != nil {
		r.throttled.Add(1)
		w.Header().Set("Retry-After", strconv.Itoa(int(r.cfg.RetryAfter.Seconds()+0.5)))
		http.Error(w, "zipkin: spanmap is busy: "+err.Error()+"; retry later", http.StatusServiceUnavailable)
		return
	}
	r.spans.Add(int64(len(spans)))
	w.WriteHeader(http.StatusAccepted)
}
