package tempo

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/poll"
)

// benchmarkTraces pulls 100 traces (3 spans each) per iteration from the
// fake Tempo: one search plus 100 trace requests over loopback HTTP,
// protobuf decoding included; latency delays every answer of the server, as
// a network and a busy Tempo would. It reports traces and spans per second.
func benchmarkTraces(b *testing.B, api TraceAPI, concurrency int, latency time.Duration) {
	ft := &fakeTempo{delay: latency}
	at := time.Unix(1_700_000_000, 0)
	for i := range 100 {
		ft.addCall(i, at.Add(time.Duration(i)*100*time.Millisecond))
	}
	p := newTestPuller(b, ft.serve(b).URL, func(c *Config) { c.TraceAPI, c.Concurrency = api, concurrency })
	w := poll.Window{From: at, To: at.Add(time.Minute)}
	ctx := context.Background()
	var traces, spans int
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.Traces(ctx, "frontend", w, 200)
		if err != nil {
			b.Fatal(err)
		}
		traces += len(got)
		for _, tr := range got {
			spans += len(tr.Spans)
		}
	}
	if traces != 100*b.N {
		b.Fatalf("pulled %d traces in %d calls, want 100 per call", traces, b.N)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(traces)/secs, "traces/s")
	b.ReportMetric(float64(spans)/secs, "spans/s")
}

func BenchmarkPuller_Traces(b *testing.B) {
	for _, api := range []TraceAPI{TraceAPIv2, TraceAPIv1} {
		for _, lat := range []time.Duration{0, 2 * time.Millisecond} {
			for _, c := range []int{1, 8} {
				b.Run(fmt.Sprintf("%s/latency=%v/concurrency=%d", api, lat, c), func(b *testing.B) { benchmarkTraces(b, api, c, lat) })
			}
		}
	}
}
