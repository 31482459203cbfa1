package cli

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/derive"
	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/demo"
)

// demoRequests returns n realistic export requests (about 400 spans per
// second of demo traffic each).
func demoRequests(b *testing.B, n int) []*coltracepb.ExportTraceServiceRequest {
	b.Helper()
	cfg := demo.DefaultConfig()
	cfg.Seed = 7
	g, err := demo.New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	t := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	out := make([]*coltracepb.ExportTraceServiceRequest, n)
	for i := range out {
		t = t.Add(time.Second)
		out[i] = g.Batch(t, 20)
	}
	return out
}

// relabel gives every trace of req a fresh ID derived from gen, so cycling
// a few requests never repeats a trace (which derivation would count as
// duplicates, making the store look smaller than it is).
func relabel(req *coltracepb.ExportTraceServiceRequest, gen uint64) {
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			for _, sp := range ss.Spans {
				binary.BigEndian.PutUint64(sp.TraceId[:8], gen)
				for _, l := range sp.Links {
					binary.BigEndian.PutUint64(l.TraceId[:8], gen)
				}
			}
		}
	}
}

func countSpans(req *coltracepb.ExportTraceServiceRequest) int {
	n := 0
	for _, rs := range req.ResourceSpans {
		for _, ss := range rs.ScopeSpans {
			n += len(ss.Spans)
		}
	}
	return n
}

// BenchmarkDerive_fromOTLPProtoBytes measures decoding OTLP protobuf and
// deriving calls on one core, as `spanmap derive` does with a protobuf file.
func BenchmarkDerive_fromOTLPProtoBytes(b *testing.B) {
	reqs := demoRequests(b, 64)
	bodies := make([][]byte, len(reqs))
	spans := 0
	for i, r := range reqs {
		relabel(r, uint64(i)+1)
		body, err := proto.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		bodies[i] = body
		spans += countSpans(r)
	}
	cfg := derive.DefaultConfig()
	now := time.Unix(0, 0)
	d := derive.New(cfg, func() time.Time { return now })
	var obs []derive.Observation
	dcfg := decode.DefaultConfig()
	add := func(batch []span.Span) error {
		obs = d.Add(batch, obs[:0])
		return nil
	}
	runtime.GC() // setup garbage is not the benchmark's
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	b.ReportAllocs()
	b.ResetTimer()
	start, cpu0 := time.Now(), cpuTime()
	for b.Loop() {
		for _, body := range bodies {
			// Streaming, as `spanmap derive` reads a file: batches of 1,024
			// spans in a reused slice.
			if err := dcfg.Stream(bytes.NewReader(body), decode.OTLPProto, add); err != nil {
				b.Fatal(err)
			}
		}
		obs = d.Flush(obs[:0])
	}
	elapsed, cpu := time.Since(start), cpuTime()-cpu0
	runtime.ReadMemStats(&ms1)
	b.ReportMetric(float64(spans*b.N)/elapsed.Seconds(), "spans/s")
	b.ReportMetric(float64(spans*b.N)/cpu.Seconds(), "spans/cpu-s")
	b.ReportMetric(float64(ms1.Mallocs-ms0.Mallocs)/float64(spans*b.N), "allocs/span")
	b.ReportMetric(float64(spans), "spans/op")
}

// otlpJSONLines writes size bytes of OTLP/JSON lines (the Collector file
// exporter's format) of demo traffic, every trace unique, the n-th request
// step later than the first (its spans shifted by whole multiples of the
// cycle of reqs, one second apart).
func otlpJSONLines(w io.Writer, reqs []*coltracepb.ExportTraceServiceRequest, size int64, step time.Duration) (spans int64, err error) {
	var written int64
	for gen := uint64(1); written < size; gen++ {
		r := reqs[int(gen)%len(reqs)]
		relabel(r, gen)
		shift := int64(gen)*int64(step) - int64(gen%uint64(len(reqs)))*int64(time.Second)
		line := appendOTLPJSON(nil, r, shift)
		line = append(line, '\n')
		n, err := w.Write(line)
		written += int64(n)
		if err != nil {
			return spans, err
		}
		spans += int64(countSpans(r))
	}
	return spans, nil
}

// BenchmarkDerive_streamBoundedMemory streams a large OTLP/JSON file (64 MiB,
// or SPANMAP_BENCH_DERIVE_BYTES) through `spanmap derive`'s pipeline with
// --max-pending 100000 and reports the peak heap: it stays flat however
// large the file is, and however long the time it covers: "dense" is one
// demo request (about 400 spans) a second, 1 GiB about an hour of traffic;
// "sparse" one every ten minutes, 1 GiB about 25 days.
func BenchmarkDerive_streamBoundedMemory(b *testing.B) {
	for _, c := range []struct {
		name string
		step time.Duration
	}{{"dense", time.Second}, {"sparse", 10 * time.Minute}} {
		b.Run(c.name, func(b *testing.B) { benchStreamBoundedMemory(b, c.step) })
	}
}

func benchStreamBoundedMemory(b *testing.B, step time.Duration) {
	size := int64(64 << 20)
	if v := os.Getenv("SPANMAP_BENCH_DERIVE_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			b.Fatalf("SPANMAP_BENCH_DERIVE_BYTES: %v", err)
		}
		size = n
	}
	reqs := demoRequests(b, 32)
	cfg := derive.DefaultConfig()
	cfg.MaxItems = 100_000
	for b.Loop() {
		runtime.GC()
		var base runtime.MemStats
		runtime.ReadMemStats(&base)
		var peak atomic.Uint64
		stop := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // sample the heap while the file streams
			defer wg.Done()
			var ms runtime.MemStats
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				runtime.ReadMemStats(&ms)
				if ms.HeapInuse > peak.Load() {
					peak.Store(ms.HeapInuse)
				}
			}
		}()
		pr, pw := io.Pipe()
		var spans int64
		go func() {
			n, err := otlpJSONLines(pw, reqs, size, step)
			spans = n
			pw.CloseWithError(err)
		}()
		start, cpu0 := time.Now(), cpuTime()
		snap, st, err := deriveStream(context.Background(), pr, decode.OTLPJSON, cfg, "file")
		elapsed, cpu := time.Since(start), cpuTime()-cpu0
		close(stop)
		wg.Wait()
		if err != nil {
			b.Fatal(err)
		}
		if len(snap.Edges) == 0 || st.Added != spans {
			b.Fatalf("derived %d edges from %d of %d spans", len(snap.Edges), st.Added, spans)
		}
		b.ReportMetric(float64(size)/(1<<20), "input-MiB")
		b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		b.ReportMetric(float64(spans)/elapsed.Seconds(), "spans/s")
		b.ReportMetric(float64(spans)/cpu.Seconds(), "spans/cpu-s-with-generator")
		b.ReportMetric(float64(size)/(1<<20)/elapsed.Seconds(), "MiB/s")
	}
}

// appendOTLPJSON encodes req as OTLP/JSON the way the specification asks
// (hex IDs, string nanoseconds), which protojson does not (it writes IDs in
// base64). Only the fields derivation reads are written.
func appendOTLPJSON(b []byte, req *coltracepb.ExportTraceServiceRequest, shift int64) []byte {
	b = append(b, `{"resourceSpans":[`...)
	for i, rs := range req.ResourceSpans {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"resource":{"attributes":`...)
		b = appendAttrs(b, rs.GetResource().GetAttributes())
		b = append(b, `},"scopeSpans":[`...)
		for j, ss := range rs.ScopeSpans {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"spans":[`...)
			for k, sp := range ss.Spans {
				if k > 0 {
					b = append(b, ',')
				}
				b = append(b, `{"traceId":"`...)
				b = hex.AppendEncode(b, sp.TraceId)
				b = append(b, `","spanId":"`...)
				b = hex.AppendEncode(b, sp.SpanId)
				b = append(b, `","parentSpanId":"`...)
				b = hex.AppendEncode(b, sp.ParentSpanId)
				b = append(b, `","name":`...)
				b = strconv.AppendQuote(b, sp.Name)
				b = append(b, `,"kind":`...)
				b = strconv.AppendInt(b, int64(sp.Kind), 10)
				b = append(b, `,"startTimeUnixNano":"`...)
				b = strconv.AppendInt(b, int64(sp.StartTimeUnixNano)+shift, 10)
				b = append(b, `","endTimeUnixNano":"`...)
				b = strconv.AppendInt(b, int64(sp.EndTimeUnixNano)+shift, 10)
				b = append(b, `","attributes":`...)
				b = appendAttrs(b, sp.Attributes)
				b = append(b, `,"links":[`...)
				for l, ln := range sp.Links {
					if l > 0 {
						b = append(b, ',')
					}
					b = append(b, `{"traceId":"`...)
					b = hex.AppendEncode(b, ln.TraceId)
					b = append(b, `","spanId":"`...)
					b = hex.AppendEncode(b, ln.SpanId)
					b = append(b, `"}`...)
				}
				b = append(b, `],"status":{"code":`...)
				b = strconv.AppendInt(b, int64(sp.GetStatus().GetCode()), 10)
				b = append(b, `}}`...)
			}
			b = append(b, `]}`...)
		}
		b = append(b, `]}`...)
	}
	return append(b, `]}`...)
}

func appendAttrs(b []byte, kvs []*commonpb.KeyValue) []byte {
	b = append(b, '[')
	for i, kv := range kvs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"key":`...)
		b = strconv.AppendQuote(b, kv.Key)
		b = append(b, `,"value":{`...)
		switch v := kv.Value.GetValue().(type) {
		case *commonpb.AnyValue_IntValue:
			b = append(b, `"intValue":"`...)
			b = strconv.AppendInt(b, v.IntValue, 10)
			b = append(b, '"')
		case *commonpb.AnyValue_BoolValue:
			b = append(b, `"boolValue":`...)
			b = strconv.AppendBool(b, v.BoolValue)
		default:
			b = append(b, `"stringValue":`...)
			b = strconv.AppendQuote(b, kv.Value.GetStringValue())
		}
		b = append(b, `}}`...)
	}
	return append(b, ']')
}

// cpuTime is the CPU time (user + system) this process has used: on a
// shared machine it measures the work done, where wall time measures the
// neighbours too.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
