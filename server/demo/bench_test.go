package demo

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
)

// BenchmarkGenerator_Batch measures generating one second of default
// traffic (20 user requests).
func BenchmarkGenerator_Batch(b *testing.B) {
	g, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	spans := 0
	now := t0
	b.ReportAllocs()
	for b.Loop() {
		now = now.Add(time.Second)
		req := g.Batch(now, 20)
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				spans += len(ss.Spans)
			}
		}
	}
	b.ReportMetric(float64(spans)/float64(b.N), "spans/op")
}

// BenchmarkHTTPSink_encode measures marshalling one second of traffic.
func BenchmarkHTTPSink_encode(b *testing.B) {
	g, err := New(DefaultConfig())
	if err != nil {
		b.Fatal(err)
	}
	req := g.Batch(t0, 20)
	size := 0
	for b.Loop() {
		data, err := proto.Marshal(req)
		if err != nil {
			b.Fatal(err)
		}
		size = len(data)
	}
	b.ReportMetric(float64(size), "bytes/op")
}
