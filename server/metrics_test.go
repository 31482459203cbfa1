package server

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

// seriesValue returns the value of the series line (name and labels as
// exposed, e.g. `spanmap_sources{state="ok"}`) in a /metrics body.
func seriesValue(body, series string) (float64, bool) {
	for _, line := range strings.Split(body, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			return f, err == nil
		}
	}
	return 0, false
}

// TestServer_metrics_series checks that /metrics exposes every figure the
// operator needs, with values that follow what happened: spans received,
// dropped and unpaired, pending spans, sources, subscribers, diff sizes and
// layout time.
func TestServer_metrics_series(t *testing.T) {
	cfg := testConfig()
	cfg.Hub.Tick = 200 * time.Millisecond
	s, base := startUI(t, cfg, fakeUI)
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "payment")
	c := dialStream(t, base, "")
	deadline := time.Now().Add(20 * time.Second)
	c.matchREST(t, base, deadline)
	sendPair(t, s.Addr("--otlp-http-addr"), "checkout", "inventory") // a topology change: a diff and a layout
	for {
		c.mu.Lock()
		diffs := c.diffs
		c.mu.Unlock()
		if diffs > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no diff after new traffic")
		}
		time.Sleep(50 * time.Millisecond)
	}

	code, body := get(t, base+"/metrics")
	if code != 200 {
		t.Fatalf("GET /metrics = %d", code)
	}
	checks := []struct {
		series string
		ok     func(float64) bool
		want   string
	}{
		{`spanmap_spans_received_total{source="otlp"}`, func(v float64) bool { return v == 6 }, "6 (two pairs of three spans)"},
		{`spanmap_spans_dropped_total{source="otlp"}`, func(v float64) bool { return v == 0 }, "0"},
		{`spanmap_spans_unpaired_total{source="otlp"}`, func(v float64) bool { return v >= 0 }, "present"},
		{`spanmap_spans_rejected_total`, func(v float64) bool { return v == 0 }, "0"},
		{`spanmap_pending_spans{source="otlp"}`, func(v float64) bool { return v >= 0 }, "present"},
		{`spanmap_pending_traces{source="otlp"}`, func(v float64) bool { return v >= 0 && v <= 2 }, "0-2 (two traces sent)"},
		{`spanmap_calls_paired_total{source="otlp"}`, func(v float64) bool { return v >= 2 }, ">= 2"},
		{`spanmap_source_up{kind="otlp",source="otlp"}`, func(v float64) bool { return v == 1 }, "1"},
		{`spanmap_sources{state="ok"}`, func(v float64) bool { return v >= 1 }, ">= 1"},
		{`spanmap_sources{state="down"}`, func(v float64) bool { return v == 0 }, "0"},
		{`spanmap_stream_subscribers`, func(v float64) bool { return v == 1 }, "1"},
		{`spanmap_stream_views`, func(v float64) bool { return v >= 1 }, ">= 1"},
		{`spanmap_stream_diffs_sent_total`, func(v float64) bool { return v >= 1 }, ">= 1"},
		{`spanmap_stream_diff_bytes_total`, func(v float64) bool { return v > 0 }, "> 0"},
		{`spanmap_stream_diff_size_bytes_count`, func(v float64) bool { return v >= 1 }, ">= 1"},
		{`spanmap_stream_diff_size_bytes_sum`, func(v float64) bool { return v > 0 }, "> 0"},
		{`spanmap_stream_diff_size_bytes_bucket{le="+Inf"}`, func(v float64) bool { return v >= 1 }, ">= 1"},
		{`spanmap_layout_duration_seconds_count`, func(v float64) bool { return v >= 2 }, ">= 2 (first snapshot, new topology)"},
		{`spanmap_layout_seconds_total`, func(v float64) bool { return v > 0 }, "> 0"},
	}
	for _, ch := range checks {
		v, ok := seriesValue(body, ch.series)
		if !ok {
			t.Errorf("/metrics has no %s", ch.series)
			continue
		}
		if !ch.ok(v) {
			t.Errorf("%s = %v, want %s", ch.series, v, ch.want)
		}
	}
	if t.Failed() {
		t.Logf("/metrics:\n%s", body)
	}
}
