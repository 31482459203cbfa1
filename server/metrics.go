package server

import (
	"net/http"

	"github.com/spanmap/spanmap/graph"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/spanmap/spanmap/server/hub"
)

// metrics is spanmap's own health in Prometheus form. Counters owned by other
// packages are read from their Stats at scrape time; nothing is global.
type metrics struct {
	reg          *prometheus.Registry
	authFailures prometheus.Counter
}

func newMetrics(s *Server) *metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := &metrics{
		reg: reg,
		authFailures: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "spanmap_auth_failures_total", Help: "Requests refused for bad credentials.",
		}),
	}
	reg.MustRegister(m.authFailures, &statsCollector{s: s})
	return m
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg})
}

var (
	descSpans = prometheus.NewDesc("spanmap_spans_received_total",
		"Spans accepted into the ingest queue, by source.", []string{"source"}, nil)
	descRejected = prometheus.NewDesc("spanmap_spans_rejected_total",
		"Spans refused because the ingest queue was full.", nil, nil)
	descQueued = prometheus.NewDesc("spanmap_ingest_queued_spans",
		"Spans waiting in the ingest queue.", nil, nil)
	descPending = prometheus.NewDesc("spanmap_pending_spans",
		"Spans held by the pairing stores, by source.", []string{"source"}, nil)
	descPendingTraces = prometheus.NewDesc("spanmap_pending_traces",
		"Distinct traces with spans held by the pairing stores, by source.", []string{"source"}, nil)
	descPaired = prometheus.NewDesc("spanmap_calls_paired_total",
		"Calls seen from both sides, by source.", []string{"source"}, nil)
	descUnpaired = prometheus.NewDesc("spanmap_spans_unpaired_total",
		"Spans settled without their other side, by source.", []string{"source"}, nil)
	descDropped = prometheus.NewDesc("spanmap_spans_dropped_total",
		"Spans dropped by the pairing store (evicted when full), by source.", []string{"source"}, nil)
	descSubscribers = prometheus.NewDesc("spanmap_stream_subscribers",
		"Open websocket subscribers.", nil, nil)
	descViews = prometheus.NewDesc("spanmap_stream_views",
		"Distinct active views.", nil, nil)
	descDiffs = prometheus.NewDesc("spanmap_stream_diffs_sent_total",
		"Diff messages written to subscribers.", nil, nil)
	descDiffBytes = prometheus.NewDesc("spanmap_stream_diff_bytes_total",
		"Bytes of diff messages written to subscribers.", nil, nil)
	descSlow = prometheus.NewDesc("spanmap_stream_slow_disconnects_total",
		"Subscribers closed for falling behind.", nil, nil)
	descLayout = prometheus.NewDesc("spanmap_layout_seconds_total",
		"Time spent in graph layout.", nil, nil)
	descDiffSize = prometheus.NewDesc("spanmap_stream_diff_size_bytes",
		"Size of each diff message a View publishes, before compression (once per View, however many subscribers it goes to).", nil, nil)
	descLayoutDuration = prometheus.NewDesc("spanmap_layout_duration_seconds",
		"Duration of each graph layout run.", nil, nil)
	descSources = prometheus.NewDesc("spanmap_sources",
		"Sources (receivers, pullers, the demo) by state: ok, degraded, down.", []string{"state"}, nil)
	descReadErrors = prometheus.NewDesc("spanmap_hub_read_errors_total",
		"Snapshots of live Views that could not be read (the history store failed); the View keeps its last map.", nil, nil)
	descSourceUp = prometheus.NewDesc("spanmap_source_up",
		"1 when a source is ok, 0.5 degraded, 0 down.", []string{"source", "kind"}, nil)
	descSourceState = prometheus.NewDesc("spanmap_source_state",
		"1 for the state a source is in (ok, degraded, down), 0 for the others.", []string{"source", "kind", "state"}, nil)
	descSourceLastSuccess = prometheus.NewDesc("spanmap_source_last_success_timestamp_seconds",
		"When the source last delivered data, Unix seconds (0: never).", []string{"source", "kind"}, nil)
	descSourceLag = prometheus.NewDesc("spanmap_source_lag_seconds",
		"How far the source's data trails now.", []string{"source", "kind"}, nil)
	descSourceError = prometheus.NewDesc("spanmap_source_failing",
		"1 while the source reports an error (the text is last_error in GET /api/v1/sources), else 0.", []string{"source", "kind"}, nil)
	descSourceMalformed = prometheus.NewDesc("spanmap_source_malformed_total",
		"Responses or requests from the source that could not be decoded.", []string{"source", "kind"}, nil)
	descSourceSkipped = prometheus.NewDesc("spanmap_source_skipped_windows_total",
		"Service windows a puller gave up on after repeated malformed answers (skip_malformed_after): their traces are missing.", []string{"source", "kind"}, nil)
	descSourceTraces = prometheus.NewDesc("spanmap_source_traces_fetched_total",
		"Traces a puller fetched (after de-duplication).", []string{"source", "kind"}, nil)
	descSourceCaps = prometheus.NewDesc("spanmap_source_caps_hit_total",
		"Queries that returned a puller's result limit even after narrowing the window: traces may be missing.", []string{"source", "kind"}, nil)
	descSourceStale = prometheus.NewDesc("spanmap_source_stale",
		"1 when the source delivered data once but not within its freshness period: what only it saw shows old figures.", []string{"source", "kind"}, nil)
	descSourceBehind = prometheus.NewDesc("spanmap_source_polls_behind",
		"Poll intervals a puller trails real time by.", []string{"source", "kind"}, nil)
	descFlushes = prometheus.NewDesc("spanmap_history_flushes_total",
		"Flushes of the recent minutes to the data dir, failed ones included.", nil, nil)
	descFlushErrors = prometheus.NewDesc("spanmap_history_flush_errors_total",
		"Flushes to the data dir that failed.", nil, nil)
	descFlushSeconds = prometheus.NewDesc("spanmap_history_flush_seconds_total",
		"Time spent flushing to the data dir.", nil, nil)
	descLastFlush = prometheus.NewDesc("spanmap_history_last_flush_seconds",
		"Duration of the latest flush to the data dir.", nil, nil)
	descRollups = prometheus.NewDesc("spanmap_history_rollups_written_total",
		"Minute rollups written to the data dir (a minute rewritten by several flushes counts each time).", nil, nil)
	descStoreBytes = prometheus.NewDesc("spanmap_history_bytes",
		"Size of the history file in the data dir.", nil, nil)
	descEvents = prometheus.NewDesc("spanmap_events_recorded_total",
		"Topology-change events recorded, by kind.", []string{"kind"}, nil)
	descEventsFailed = prometheus.NewDesc("spanmap_events_failed_total",
		"Topology-change events lost because they could not be stored.", nil, nil)
)

// statsCollector reads the pipeline's and hub's counters at scrape time.
type statsCollector struct{ s *Server }

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	prometheus.DescribeByCollect(c, ch)
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	ps := c.s.pipeline.Stats()
	for src, st := range ps.Sources {
		ch <- prometheus.MustNewConstMetric(descSpans, prometheus.CounterValue, float64(st.Added), src)
		ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.Pending), src)
		ch <- prometheus.MustNewConstMetric(descPaired, prometheus.CounterValue, float64(st.Completed), src)
		ch <- prometheus.MustNewConstMetric(descUnpaired, prometheus.CounterValue, float64(st.Unpaired), src)
		ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(st.Dropped), src)
	}
	for src, n := range c.s.pipeline.PendingTraces() {
		ch <- prometheus.MustNewConstMetric(descPendingTraces, prometheus.GaugeValue, float64(n), src)
	}
	ch <- prometheus.MustNewConstMetric(descRejected, prometheus.CounterValue, float64(ps.RejectedSpans))
	ch <- prometheus.MustNewConstMetric(descQueued, prometheus.GaugeValue, float64(ps.QueuedSpans))

	hs := c.s.hub.Stats()
	ch <- prometheus.MustNewConstMetric(descSubscribers, prometheus.GaugeValue, float64(hs.Subscribers))
	ch <- prometheus.MustNewConstMetric(descViews, prometheus.GaugeValue, float64(hs.Views))
	ch <- prometheus.MustNewConstMetric(descDiffs, prometheus.CounterValue, float64(hs.DiffsSent))
	ch <- prometheus.MustNewConstMetric(descDiffBytes, prometheus.CounterValue, float64(hs.DiffBytes))
	ch <- prometheus.MustNewConstMetric(descSlow, prometheus.CounterValue, float64(hs.SlowDisconnects))
	ch <- prometheus.MustNewConstMetric(descLayout, prometheus.CounterValue, hs.LayoutSeconds)
	ch <- prometheus.MustNewConstMetric(descReadErrors, prometheus.CounterValue, float64(hs.ReadErrors))
	ch <- constHistogram(descDiffSize, hs.DiffSizes)
	ch <- constHistogram(descLayoutDuration, hs.LayoutDurations)

	states := map[string]int{"ok": 0, "degraded": 0, "down": 0}
	srcs, _ := c.s.sources.list(c.s.now())
	for _, st := range srcs {
		states[string(st.State)]++
		up := 0.0
		switch st.State {
		case "ok":
			up = 1
		case "degraded":
			up = 0.5
		}
		ch <- prometheus.MustNewConstMetric(descSourceUp, prometheus.GaugeValue, up, st.Name, st.Kind)
		collectSource(ch, st)
	}
	for state, n := range states {
		ch <- prometheus.MustNewConstMetric(descSources, prometheus.GaugeValue, float64(n), state)
	}
	c.collectHistory(ch)
}

// constHistogram turns one of the hub's histograms into a metric.
func constHistogram(d *prometheus.Desc, h hub.Histogram) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	for i, b := range h.Bounds {
		buckets[b] = h.Cumulative[i]
	}
	return prometheus.MustNewConstHistogram(d, h.Count, h.Sum, buckets)
}

// collectSource reports one source's status beyond spanmap_source_up.
func collectSource(ch chan<- prometheus.Metric, st graph.SourceStatus) {
	gauge := func(d *prometheus.Desc, v float64, extra ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append([]string{st.Name, st.Kind}, extra...)...)
	}
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), st.Name, st.Kind)
	}
	for _, state := range []graph.SourceState{graph.SourceOK, graph.SourceDegraded, graph.SourceDown} {
		gauge(descSourceState, b2f(st.State == state), string(state))
	}
	gauge(descSourceLastSuccess, float64(st.LastSuccess)/1e3)
	gauge(descSourceLag, float64(st.Lag)/1e3)
	gauge(descSourceError, b2f(st.LastError != ""))
	gauge(descSourceBehind, float64(st.PollsBehind))
	gauge(descSourceStale, b2f(st.Stale))
	counter(descSourceMalformed, st.Malformed)
	counter(descSourceSkipped, st.SkippedWindows)
	counter(descSourceTraces, st.TracesFetched)
	counter(descSourceCaps, st.CapsHit)
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// collectHistory reports the on-disk history (when there is a data dir) and
// the events.
func (c *statsCollector) collectHistory(ch chan<- prometheus.Metric) {
	if h := c.s.history; h != nil {
		st := h.Stats()
		ch <- prometheus.MustNewConstMetric(descFlushes, prometheus.CounterValue, float64(st.Flushes))
		ch <- prometheus.MustNewConstMetric(descFlushErrors, prometheus.CounterValue, float64(st.FlushErrors))
		ch <- prometheus.MustNewConstMetric(descFlushSeconds, prometheus.CounterValue, st.FlushSeconds)
		ch <- prometheus.MustNewConstMetric(descLastFlush, prometheus.GaugeValue, st.LastFlushSeconds)
		ch <- prometheus.MustNewConstMetric(descRollups, prometheus.CounterValue, float64(st.MinutesWritten))
		ch <- prometheus.MustNewConstMetric(descStoreBytes, prometheus.GaugeValue, float64(st.FileBytes))
	}
	if e := c.s.events; e != nil {
		for i, k := range eventKinds {
			ch <- prometheus.MustNewConstMetric(descEvents, prometheus.CounterValue, float64(e.recorded[i].Load()), k)
		}
		ch <- prometheus.MustNewConstMetric(descEventsFailed, prometheus.CounterValue, float64(e.failed.Load()))
	}
}
