package decode

import (
	"bufio"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph/span"
)

// genTrace returns n spans of one service for generated inputs.
func genTrace(n int, service string) []lspan {
	out := make([]lspan, n)
	for i := range out {
		out[i] = lspan{service: service, name: fmt.Sprintf("op-%d", i%20), kind: span.Kind(2 + i%4),
			traceID: fmt.Sprintf("%032x", i/10+1), id: fmt.Sprintf("%016x", i+1), startUs: t0 + int64(i), durUs: 100,
			attrs: []kv{{"peer.service", "peer"}, {"http.status_code", int64(200)}, {"db.statement", "SELECT 1"}}}
		if i%10 != 0 {
			out[i].parent = fmt.Sprintf("%016x", i)
		}
	}
	return out
}

// chunkWriter writes chunk repeatedly until total bytes are written.
func chunkWriter(w *io.PipeWriter, head, chunk, sep, tail string, total int) {
	bw := bufio.NewWriter(w)
	bw.WriteString(head)
	for n := 0; n < total; n += len(chunk) {
		if n > 0 {
			bw.WriteString(sep)
		}
		bw.WriteString(chunk)
	}
	bw.WriteString(tail)
	w.CloseWithError(bw.Flush())
}

// TestStream_Stream_boundedMemory decodes inputs far larger than the heap it
// allows, generated on the fly through a pipe.
func TestStream_Stream_boundedMemory(t *testing.T) {
	total := 64 << 20
	if testing.Short() || raceEnabled {
		total = 8 << 20
	}
	const heapLimit = 16 << 20
	spans := genTrace(100, "gen")
	otlp := string(marshalOTLP(t, otlpTraces(spans)))
	tr, err := jaegerSpans(spans, true).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	zipkinSpan := `{"traceId":"5b8efff798038103d269b633813fc60c","id":"1111111111111111","parentId":"2222222222222222","kind":"CLIENT",` +
		`"name":"get","timestamp":1700000000000000,"duration":1000,"localEndpoint":{"serviceName":"a"},"remoteEndpoint":{"serviceName":"b"},"tags":{"http.status_code":"200"}}`
	jaegerTrace := string(readTestdata(t, "trace.jaeger.json"))
	jaegerTrace = jaegerTrace[strings.Index(jaegerTrace, "[")+1 : strings.LastIndex(jaegerTrace, "]")]
	otlpLine := strings.ReplaceAll(string(readTestdata(t, "trace.otlp.json")), "\n", "")
	tests := []struct {
		name                   string
		format                 Format
		head, chunk, sep, tail string
		spansPerChunk          int
	}{
		{"otlp-proto", OTLPProto, "", otlp, "", "", 100},
		{"jaeger-proto", JaegerProto, "", string(tr), "", "", 100},
		{"zipkin", Zipkin, "[", zipkinSpan, ",", "]", 1},
		{"jaeger-json", JaegerJSON, `{"data":[`, jaegerTrace, ",", `],"total":0}`, 7},
		{"otlp-json lines", OTLPJSON, "", otlpLine, "\n", "\n", 7},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pr, pw := io.Pipe()
			go chunkWriter(pw, tc.head, tc.chunk, tc.sep, tc.tail, total)
			runtime.GC()
			var ms runtime.MemStats
			var peak uint64
			n, calls := 0, 0
			err := Stream(pr, Auto, func(b []span.Span) error {
				n += len(b)
				calls++
				runtime.ReadMemStats(&ms)
				peak = max(peak, ms.HeapAlloc)
				return nil
			})
			pr.Close()
			if err != nil {
				t.Fatal(err)
			}
			chunks := (total + len(tc.chunk) - 1) / len(tc.chunk)
			if n != chunks*tc.spansPerChunk {
				t.Errorf("decoded %d spans, want %d", n, chunks*tc.spansPerChunk)
			}
			if peak == 0 || peak > heapLimit {
				t.Errorf("peak heap %d MiB over %d MiB of input, limit %d MiB", peak>>20, total>>20, heapLimit>>20)
			}
			t.Logf("%d spans from %d MiB, peak heap %.1f MiB", n, total>>20, float64(peak)/(1<<20))
		})
	}
}

// TestStream_Stream_bigOTLPFieldIsNotPreallocated checks that a huge length
// prefix with little data behind it fails without allocating the length.
func TestStream_Stream_bigOTLPFieldIsNotPreallocated(t *testing.T) {
	in := "\x0a\xff\xff\xff\x1f" + strings.Repeat("\x00", 1000) // 64 MiB - 1 claimed
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	err := Stream(strings.NewReader(in), OTLPProto, func([]span.Span) error { return nil })
	runtime.ReadMemStats(&after)
	if err == nil {
		t.Fatal("truncated input accepted")
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 8<<20 {
		t.Errorf("allocated %d MiB for a 1 KB input", grew>>20)
	}
}
