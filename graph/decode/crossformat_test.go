package decode

import (
	"bytes"
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph/span"
)

// sortSpans orders spans by trace and span ID so formats that group spans
// differently compare equal.
func sortSpans(ss []span.Span) []span.Span {
	out := slices.Clone(ss)
	slices.SortStableFunc(out, func(a, b span.Span) int {
		if c := bytes.Compare(a.TraceID[:], b.TraceID[:]); c != 0 {
			return c
		}
		if c := bytes.Compare(a.SpanID[:], b.SpanID[:]); c != 0 {
			return c
		}
		return cmp.Compare(a.Start, b.Start)
	})
	return out
}

// diffSpans describes how got differs from want, "" if equal.
func diffSpans(got, want []span.Span) string {
	var b strings.Builder
	if len(got) != len(want) {
		fmt.Fprintf(&b, "got %d spans, want %d\n", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if !reflect.DeepEqual(got[i], want[i]) {
			fmt.Fprintf(&b, "span %d:\n got  %+v\n want %+v\n", i, got[i], want[i])
		}
	}
	return b.String()
}

// refInputs encodes the reference trace in every format: JSON by hand in
// testdata, protobuf with each project's official Go types.
func refInputs(t testing.TB) map[string]struct {
	format Format
	input  []byte
} {
	t.Helper()
	jaegerTrace, err := jaegerSpans(refTrace(), false).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	jaegerInline, err := jaegerSpans(refTrace(), true).Marshal()
	if err != nil {
		t.Fatal(err)
	}
	zipkinProto, err := proto.Marshal(zipkinSpans(refTrace()))
	if err != nil {
		t.Fatal(err)
	}
	return map[string]struct {
		format Format
		input  []byte
	}{
		"otlp-json":                   {OTLPJSON, readTestdata(t, "trace.otlp.json")},
		"otlp-proto":                  {OTLPProto, marshalOTLP(t, otlpTraces(refTrace()))},
		"zipkin":                      {Zipkin, readTestdata(t, "trace.zipkin.json")},
		"zipkin-proto":                {ZipkinProto, zipkinProto},
		"jaeger-json":                 {JaegerJSON, readTestdata(t, "trace.jaeger.json")},
		"jaeger-proto process map":    {JaegerProto, jaegerTrace},
		"jaeger-proto inline process": {JaegerProto, jaegerInline},
	}
}

func TestBytes_Bytes_sameTraceInEveryFormat(t *testing.T) {
	want := sortSpans(refSpans())
	for name, tc := range refInputs(t) {
		for _, f := range []Format{tc.format, Auto} {
			t.Run(name+"/"+string(f), func(t *testing.T) {
				got, err := Bytes(tc.input, f)
				if err != nil {
					t.Fatalf("Bytes: %v", err)
				}
				if d := diffSpans(sortSpans(got), want); d != "" {
					t.Errorf("spans differ:\n%s", d)
				}
			})
		}
	}
}

func TestStream_Stream_sameAsBytes(t *testing.T) {
	want := sortSpans(refSpans())
	for name, tc := range refInputs(t) {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.BatchSpans = 2
			var got []span.Span
			calls, maxBatch := 0, 0
			err := cfg.Stream(bytes.NewReader(tc.input), Auto, func(batch []span.Span) error {
				calls++
				maxBatch = max(maxBatch, len(batch))
				if len(batch) == 0 {
					t.Error("empty batch")
				}
				got = append(got, batch...)
				return nil
			})
			if err != nil {
				t.Fatalf("Stream: %v", err)
			}
			if d := diffSpans(sortSpans(got), want); d != "" {
				t.Errorf("spans differ:\n%s", d)
			}
			// A Jaeger trace waiting for its processes goes out whole, an
			// OTLP/JSON resourceSpans whose resource comes last too.
			held := tc.format == JaegerJSON || tc.format == OTLPJSON || name == "jaeger-proto process map"
			if !held && (maxBatch > 2 || calls != (len(want)+1)/2) {
				t.Errorf("fn called %d times with up to %d spans, want batches of at most 2 spans", calls, maxBatch)
			}
		})
	}
}
