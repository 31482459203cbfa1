package jaeger

import (
	"context"
	"testing"
	"time"

	"github.com/spanmap/spanmap/server/poll"
)

// benchmarkPuller pulls the two captured HotROD traces (79 spans) from a
// replaying server per iteration and reports traces and spans per second,
// HTTP or gRPC transport, decoding and splitting included.
func benchmarkPuller(b *testing.B, url string, proto Protocol) {
	p := newTestPuller(b, url, proto, nil)
	w := poll.Window{From: time.Unix(1795510800, 0), To: time.Unix(1795510900, 0)}
	ctx := context.Background()
	var traces, spans int
	b.ReportAllocs()
	for b.Loop() {
		got, err := p.Traces(ctx, "frontend", w, 20)
		if err != nil {
			b.Fatal(err)
		}
		traces += len(got)
		for _, tr := range got {
			spans += len(tr.Spans)
		}
	}
	if traces != 2*b.N {
		b.Fatalf("pulled %d traces in %d calls, want 2 per call", traces, b.N)
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(traces)/secs, "traces/s")
	b.ReportMetric(float64(spans)/secs, "spans/s")
}

func BenchmarkPuller_legacy(b *testing.B) {
	benchmarkPuller(b, newFakeJaeger(b).serve(b).URL, Legacy)
}

func BenchmarkPuller_v3(b *testing.B) {
	benchmarkPuller(b, newFakeJaeger(b).serve(b).URL, APIv3)
}

func BenchmarkPuller_grpc(b *testing.B) {
	benchmarkPuller(b, "grpc://"+serveGRPC(b, newFakeQuery(b), "").addr, APIv2GRPC)
}
