package decode

import (
	"bytes"
	"fmt"
	"runtime"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph/span"
)

// benchSpans returns n spans shaped like instrumented HTTP, database and
// messaging traffic: 10 spans per trace over 6 services, 20 operation names,
// and 10 to 14 attributes per span as OpenTelemetry instrumentation records.
func benchSpans(n int) []lspan {
	services := []string{"frontend", "checkout", "payment", "cart", "shipping", "email"}
	out := make([]lspan, n)
	for i := range out {
		kind := []span.Kind{span.KindServer, span.KindClient, span.KindClient, span.KindProducer, span.KindConsumer}[i%5]
		s := lspan{
			service: services[(i/10)%len(services)], namespace: "shop", name: fmt.Sprintf("GET /api/v1/resource/%d", i%20),
			kind: kind, traceID: fmt.Sprintf("%016x%016x", 0x5b8efff798038103, i/10+1), id: fmt.Sprintf("%016x", i+1),
			startUs: t0 + int64(i)*100, durUs: int64(100 + i%900),
			attrs: []kv{
				{"http.request.method", "GET"}, {"url.path", "/api/v1/resource"}, {"url.scheme", "https"},
				{"http.route", "/api/v1/resource/{id}"}, {"http.response.status_code", int64(200 + (i%7)*50)},
				{"network.protocol.version", "1.1"}, {"server.port", int64(8080)},
				{"user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"},
				{"client.address", "10.0.3.17"}, {"thread.id", int64(i % 64)},
			},
		}
		if i%10 != 0 {
			s.parent = fmt.Sprintf("%016x", i)
		}
		switch kind {
		case span.KindClient:
			s.attrs = append(s.attrs, kv{"peer.service", services[(i+1)%len(services)]}, kv{"server.address", "backend.internal"})
		case span.KindProducer, span.KindConsumer:
			s.attrs = append(s.attrs, kv{"messaging.system", "kafka"}, kv{"messaging.destination.name", "orders"})
		}
		s.statusError = i%50 == 0
		out[i] = s
	}
	return out
}

// benchInputs encodes the same spans in every format.
func benchInputs(b *testing.B, n int) map[Format][]byte {
	spans := benchSpans(n)
	jaegerTrace, err := jaegerSpans(spans, true).Marshal()
	if err != nil {
		b.Fatal(err)
	}
	zipkinProto, err := proto.Marshal(zipkinSpans(spans))
	if err != nil {
		b.Fatal(err)
	}
	return map[Format][]byte{
		OTLPProto:   marshalOTLP(b, otlpTraces(spans)),
		OTLPJSON:    otlpJSONOf(b, spans, 100),
		Zipkin:      zipkinJSONOf(b, spans),
		ZipkinProto: zipkinProto,
		JaegerJSON:  jaegerJSONOf(b, spans),
		JaegerProto: jaegerTrace,
	}
}

// benchStream streams input in format f b.N times, reporting spans per
// second, allocations per span and input bytes per span.
func benchStream(b *testing.B, f Format) {
	const n = 10000
	input := benchInputs(b, n)[f]
	count := 0
	fn := func(batch []span.Span) error { count += len(batch); return nil }
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		if err := Stream(bytes.NewReader(input), f, fn); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := cpuTime() - cpu0
	runtime.ReadMemStats(&after)
	if count != n*b.N {
		b.Fatalf("decoded %d spans, want %d", count, n*b.N)
	}
	b.ReportMetric(float64(count)/b.Elapsed().Seconds(), "spans/s")
	b.ReportMetric(float64(count)/cpu.Seconds(), "spans/cpu-s")
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(count), "allocs/span")
	b.ReportMetric(float64(len(input))/n, "B/span")
}

func BenchmarkStream_OTLPProto(b *testing.B)   { benchStream(b, OTLPProto) }
func BenchmarkStream_OTLPJSON(b *testing.B)    { benchStream(b, OTLPJSON) }
func BenchmarkStream_Zipkin(b *testing.B)      { benchStream(b, Zipkin) }
func BenchmarkStream_ZipkinProto(b *testing.B) { benchStream(b, ZipkinProto) }
func BenchmarkStream_JaegerJSON(b *testing.B)  { benchStream(b, JaegerJSON) }
func BenchmarkStream_JaegerProto(b *testing.B) { benchStream(b, JaegerProto) }

// cpuTime returns the CPU time the process has used (user and system, all
// threads, so garbage collection counts). Unlike wall time it does not grow
// when other processes compete for the cores.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkBytes_OTLPProto decodes from memory, as receivers do with request
// bodies.
func BenchmarkBytes_OTLPProto(b *testing.B) {
	const n = 10000
	input := benchInputs(b, n)[OTLPProto]
	b.SetBytes(int64(len(input)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Bytes(input, OTLPProto); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "spans/s")
}
