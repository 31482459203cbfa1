package server

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
	"github.com/spanmap/spanmap/server/poll"
	"github.com/spanmap/spanmap/server/source/conn"
	"github.com/spanmap/spanmap/server/source/jaeger"
	"github.com/spanmap/spanmap/server/source/prometheus"
	"github.com/spanmap/spanmap/server/source/tempo"
	"github.com/spanmap/spanmap/server/source/zipkin"
)

// SourceConfig configures one pulled backend. On the command line
// `--source KIND=URL` makes one with defaults; the YAML `sources:` list sets
// every field.
type SourceConfig struct {
	// Name identifies the source on edges and in status; default: the kind,
	// with a number when two sources share a kind.
	Name string `yaml:"name"`
	// Kind is jaeger, zipkin, tempo or prometheus.
	Kind string `yaml:"kind"`
	// Conn says how to reach the backend: url, bearer_token, basic_user,
	// basic_password, headers, tls, timeout.
	Conn conn.Config `yaml:",inline"`
	// UIURL is the base URL of the backend's trace UI for exemplar links;
	// default: the source URL for jaeger and zipkin.
	UIURL string `yaml:"ui_url"`
	// Interval is the time between polls.
	Interval time.Duration `yaml:"interval"`
	// Lookback is how far back the first poll reaches.
	Lookback time.Duration `yaml:"lookback"`
	// Settle is how far behind now each poll window ends, so late spans
	// have arrived.
	Settle time.Duration `yaml:"settle"`
	// Limit is the most traces asked for per service and window.
	Limit int `yaml:"limit"`
	// Protocol picks Jaeger's API: auto, api_v3, api_v2_grpc or legacy.
	Protocol string `yaml:"protocol"`
	// Tenant is sent as X-Scope-OrgID (Tempo, Mimir, multi-tenant Jaeger).
	Tenant string `yaml:"tenant"`
	// TraceAPI is Tempo's trace-by-ID endpoint: v2 (default) or v1.
	TraceAPI string `yaml:"trace_api"`
	// Concurrency is how many Tempo trace bodies are fetched at once.
	Concurrency int `yaml:"concurrency"`
	// MetricPrefix starts the Prometheus service-graph metric names
	// (default traces_service_graph).
	MetricPrefix string `yaml:"metric_prefix"`
	// Selector adds label matchers to the Prometheus queries, without
	// braces, e.g. cluster="prod".
	Selector string `yaml:"selector"`
	// QueueLag also reads Tempo's messaging-system latency histogram.
	QueueLag bool `yaml:"queue_lag"`
	// SkipMalformedAfter is how many polls in a row a service's traces may
	// come back undecodable for the same window before that service's
	// window is skipped (counted, logged, the source degraded) so the
	// others go on; default 3, negative: never skip. Sources that are down,
	// slow or failing with server errors are always retried.
	SkipMalformedAfter int `yaml:"skip_malformed_after"`
	// Mode is "traces" (default: pull traces and derive the calls) or
	// "dependencies" (jaeger, zipkin: read the backend's own
	// /api/dependencies, a fallback with call counts but no latency).
	Mode string `yaml:"mode"`
}

// ParseSourceFlag parses a `--source KIND=URL` value.
func ParseSourceFlag(v string) (SourceConfig, error) {
	kind, url, ok := strings.Cut(v, "=")
	if !ok || kind == "" || url == "" {
		return SourceConfig{}, fmt.Errorf("--source %q: want KIND=URL, e.g. jaeger=http://127.0.0.1:16686", v)
	}
	sc := SourceConfig{Kind: strings.ToLower(kind), Conn: conn.Config{URL: url}}
	return sc, sc.validateKind()
}

// SourceKinds lists the source kinds --source and the config accept.
func SourceKinds() []string { return []string{"jaeger", "zipkin", "tempo", "prometheus"} }

func (sc SourceConfig) validateKind() error {
	for _, k := range SourceKinds() {
		if sc.Kind == k {
			return nil
		}
	}
	return fmt.Errorf("source kind %q: want one of %s", sc.Kind, strings.Join(SourceKinds(), ", "))
}

// pollConfig returns the poller settings of a source, defaults filled in.
func (sc SourceConfig) pollConfig() poll.Config {
	pc := poll.DefaultConfig()
	pc.Name, pc.Kind = sc.Name, sc.Kind
	if sc.Interval > 0 {
		pc.Interval = sc.Interval
	}
	if sc.Lookback > 0 {
		pc.Lookback = sc.Lookback
	}
	if sc.Settle > 0 {
		pc.Settle = sc.Settle
	}
	if sc.Limit > 0 {
		pc.Limit = sc.Limit
	}
	if sc.SkipMalformedAfter != 0 {
		pc.SkipMalformedAfter = sc.SkipMalformedAfter
	}
	return pc
}

// nameSources gives every source a unique name.
func nameSources(srcs []SourceConfig) error {
	count := map[string]int{}
	for _, sc := range srcs {
		count[sc.Kind]++
	}
	seen := map[string]bool{}
	n := map[string]int{}
	for i := range srcs {
		sc := &srcs[i]
		if sc.Name == "" {
			sc.Name = sc.Kind
			if count[sc.Kind] > 1 {
				n[sc.Kind]++
				sc.Name = fmt.Sprintf("%s-%d", sc.Kind, n[sc.Kind])
			}
		}
		if seen[sc.Name] {
			return fmt.Errorf("sources: name %q used twice", sc.Name)
		}
		seen[sc.Name] = true
	}
	return nil
}

// validateSources checks every source's kind, connection and poll settings.
func validateSources(srcs []SourceConfig) error {
	for i, sc := range srcs {
		if err := sc.validateKind(); err != nil {
			return fmt.Errorf("sources[%d]: %w", i, err)
		}
		switch {
		case sc.Mode != "" && sc.Mode != "traces" && sc.Mode != "dependencies":
			return fmt.Errorf("source %s: mode %q: want traces or dependencies", sc.Name, sc.Mode)
		case sc.Mode == "dependencies" && sc.Kind != "jaeger" && sc.Kind != "zipkin":
			return fmt.Errorf("source %s: mode dependencies works with jaeger and zipkin, not %s", sc.Name, sc.Kind)
		case sc.SkipMalformedAfter != 0 && (sc.Kind == "prometheus" || sc.Mode == "dependencies"):
			return fmt.Errorf("source %s: skip_malformed_after applies to pulling traces (jaeger, zipkin, tempo in mode traces)", sc.Name)
		}
		if err := sc.Conn.Validate(); err != nil {
			return fmt.Errorf("source %s: %w", sc.Name, err)
		}
		if sc.Name != "" {
			if err := sc.pollConfig().Validate(); err != nil {
				return err
			}
		}
	}
	return nil
}

// newPuller builds the backend of a span source.
func (s *Server) newPuller(sc SourceConfig) (poll.Backend, error) {
	c := sc.Conn
	if sc.Tenant != "" {
		c = c.WithHeader("X-Scope-OrgID", sc.Tenant) // a copy: the configuration's headers stay as they are
	}
	log := s.log.With("source", sc.Name)
	switch sc.Kind {
	case "zipkin":
		return zipkin.NewPuller(c, log)
	case "jaeger":
		jc := jaeger.DefaultConfig()
		if c.Timeout <= 0 {
			c.Timeout = jc.Conn.Timeout
		}
		jc.Conn = c
		if sc.Protocol != "" {
			jc.Protocol = jaeger.Protocol(sc.Protocol)
		}
		return jaeger.NewPuller(jc, log)
	case "tempo":
		tc := tempo.DefaultConfig()
		if c.Timeout <= 0 {
			c.Timeout = tc.Conn.Timeout
		}
		tc.Conn, tc.Tenant = c, sc.Tenant
		if sc.TraceAPI != "" {
			tc.TraceAPI = tempo.TraceAPI(sc.TraceAPI)
		}
		if sc.Concurrency > 0 {
			tc.Concurrency = sc.Concurrency
		}
		return tempo.NewPuller(tc, log)
	}
	return nil, fmt.Errorf("source %s: unsupported kind %q", sc.Name, sc.Kind)
}

// pullerComponents starts one poller per configured source and registers
// its status.
func (s *Server) pullerComponents() ([]component, error) {
	var cs []component
	for _, sc := range s.cfg.Sources {
		if sc.Mode == "dependencies" {
			c, err := s.dependencyComponent(sc)
			if err != nil {
				return nil, err
			}
			cs = append(cs, c)
			continue
		}
		if sc.Kind == "prometheus" {
			c, err := s.prometheusComponent(sc)
			if err != nil {
				return nil, err
			}
			cs = append(cs, c)
			continue
		}
		backend, err := s.newPuller(sc)
		if err != nil {
			return nil, err
		}
		p, err := poll.New(sc.pollConfig(), backend, s.pipeline, s.log.With("source", sc.Name), s.now)
		if err != nil {
			return nil, err
		}
		ui := sc.UIURL
		if ui == "" && (sc.Kind == "jaeger" || sc.Kind == "zipkin") && !strings.HasPrefix(sc.Conn.URL, "grpc") {
			ui = sc.Conn.URL
		}
		s.addPulledSource(sc, backend, ui, p.Status)
		cs = append(cs, component{"source " + sc.Name, p.Run})
	}
	return cs, nil
}

// addPulledSource registers a pulled source: its status, with the count
// of its backend's undecodable answers, fresh for two poll intervals; and
// its backend's Close.
func (s *Server) addPulledSource(sc SourceConfig, backend poll.Backend, ui string, status func() poll.Status) {
	s.sources.addPulled(sc.Name, func() graph.SourceStatus {
		st := pollStatus(status(), ui)
		if m, ok := backend.(interface{ Malformed() int64 }); ok {
			st.Malformed = m.Malformed()
		}
		return st
	}, sc.pollConfig().Interval)
	if c, ok := backend.(io.Closer); ok {
		s.closers = append(s.closers, c.Close)
	}
}

// pollStatus converts a poller's status for the API and the stream.
func pollStatus(st poll.Status, ui string) graph.SourceStatus {
	out := graph.SourceStatus{
		Name: st.Name, Kind: st.Kind, LastError: st.LastError, UIURL: ui,
		Lag: st.Lag.Milliseconds(), TracesFetched: st.TracesFetched, CapsHit: st.CapsHit, PollsBehind: st.PollsBehind,
		Malformed: st.Malformed, SkippedWindows: st.SkippedWindows,
	}
	switch st.State {
	case poll.StateOK:
		out.State = graph.SourceOK
	case poll.StateDegraded, poll.StateStarting:
		out.State = graph.SourceDegraded
	default:
		out.State = graph.SourceDown
	}
	if !st.LastSuccess.IsZero() {
		out.LastSuccess = st.LastSuccess.UnixMilli()
	}
	return out
}

// prometheusComponent reads service-graph metrics that an OpenTelemetry
// Collector or Tempo fleet computed; they go straight into the aggregator.
func (s *Server) prometheusComponent(sc SourceConfig) (component, error) {
	pc := prometheus.DefaultConfig()
	pc.Name, pc.Conn, pc.Tenant, pc.Selector, pc.QueueLag = sc.Name, sc.Conn, sc.Tenant, sc.Selector, sc.QueueLag
	if sc.MetricPrefix != "" {
		pc.MetricPrefix = sc.MetricPrefix
	}
	if pc.Conn.Timeout <= 0 {
		pc.Conn.Timeout = pc.Timeout
	}
	if sc.Interval > 0 {
		pc.Interval = sc.Interval
	}
	if sc.Lookback > 0 {
		pc.Lookback = sc.Lookback
	}
	if sc.Settle > 0 {
		pc.Settle = sc.Settle
	}
	src, err := prometheus.New(pc, s.pipeline.Aggregator(), s.log.With("source", sc.Name), s.now)
	if err != nil {
		return component{}, err
	}
	s.sources.addPulled(sc.Name, func() graph.SourceStatus { return pollStatus(src.Status(), sc.UIURL) }, pc.Interval)
	return component{"source " + sc.Name, src.Run}, nil
}
