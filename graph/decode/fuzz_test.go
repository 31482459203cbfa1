package decode

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/spanmap/spanmap/graph/span"
)

// goldenInputs are the golden inputs of `spanmap derive`, named
// <case>.<format>: every derivation rule spelt in every format.
const goldenInputs = "../../cli/testdata/golden"

// fuzzSeeds adds the testdata files, the golden inputs of `spanmap derive`
// (the small, uncompressed ones) and generated inputs of format f.
func fuzzSeeds(f *testing.F, format Format, files ...string) {
	for _, name := range files {
		f.Add(readTestdata(f, name))
	}
	golden, err := filepath.Glob(filepath.Join(goldenInputs, "*."+string(format)))
	if err != nil || len(golden) < 20 {
		f.Fatalf("golden inputs for %s: %d files, %v", format, len(golden), err)
	}
	for _, p := range golden {
		if b, err := os.ReadFile(p); err == nil && len(b) <= 16<<10 {
			f.Add(b)
		}
	}
	for _, tc := range refInputs(f) {
		if tc.format == format {
			f.Add(tc.input)
			f.Add(tc.input[:len(tc.input)/2])
		}
	}
}

// checkDecode decodes b from memory and from a reader and checks that both
// agree, that errors are *Error, and that every span is well formed.
func checkDecode(t *testing.T, b []byte, format Format) {
	got, err := Bytes(b, format)
	var de *Error
	if err != nil && !errors.As(err, &de) {
		t.Fatalf("error %T is not *Error: %v", err, err)
	}
	decoded := format
	if format == Auto {
		decoded, _ = Detect(b)
	}
	for i := range got {
		s := &got[i]
		// Only Zipkin leaves Service empty (no localEndpoint.serviceName).
		noService := s.Service == "" && decoded != Zipkin && decoded != ZipkinProto
		if s.TraceID.IsZero() || s.SpanID.IsZero() || s.Duration < 0 || noService {
			t.Fatalf("span %d malformed: %+v", i, s)
		}
		if s.SamplingProbability < 0 || s.SamplingProbability > 1 {
			t.Fatalf("span %d sampling probability %v", i, s.SamplingProbability)
		}
	}
	cfg := DefaultConfig()
	cfg.BatchSpans = 3
	var streamed []span.Span
	serr := cfg.Stream(bytes.NewReader(b), format, func(batch []span.Span) error {
		if len(batch) == 0 {
			t.Fatal("empty batch")
		}
		streamed = append(streamed, batch...)
		return nil
	})
	if (err == nil) != (serr == nil) || err != nil && err.Error() != serr.Error() {
		t.Fatalf("Bytes error %v, Stream error %v", err, serr)
	}
	if len(got) != len(streamed) || len(got) > 0 && !reflect.DeepEqual(got, streamed) {
		t.Fatalf("Bytes gave %d spans, Stream %d (or they differ)", len(got), len(streamed))
	}
}

func FuzzOTLPProto(f *testing.F) {
	fuzzSeeds(f, OTLPProto)
	f.Add([]byte("\x0a\x04\x12\x02\x12\x05"))
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b, OTLPProto) })
}

func FuzzOTLPJSON(f *testing.F) {
	fuzzSeeds(f, OTLPJSON, "trace.otlp.json", "otlp_fileexporter.jsonl", "tempo_trace.json")
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b, OTLPJSON) })
}

func FuzzZipkinJSON(f *testing.F) {
	fuzzSeeds(f, Zipkin, "trace.zipkin.json", "zipkin_shared.json")
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b, Zipkin) })
}

func FuzzZipkinProto(f *testing.F) {
	fuzzSeeds(f, ZipkinProto)
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b, ZipkinProto) })
}

func FuzzJaegerJSON(f *testing.F) {
	fuzzSeeds(f, JaegerJSON, "trace.jaeger.json", "jaeger_capture.json")
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b, JaegerJSON) })
}

func FuzzJaegerProto(f *testing.F) {
	fuzzSeeds(f, JaegerProto)
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b, JaegerProto) })
}

func FuzzDetect(f *testing.F) {
	for _, name := range []string{"trace.otlp.json", "otlp_fileexporter.jsonl", "trace.zipkin.json", "zipkin_shared.json",
		"trace.jaeger.json", "jaeger_capture.json", "tempo_trace.json"} {
		f.Add(readTestdata(f, name))
	}
	for _, tc := range refInputs(f) {
		f.Add(tc.input)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		format, err := Detect(b)
		if err == nil {
			if format == Auto || format == "" {
				t.Fatalf("Detect returned %q without error", format)
			}
		} else if !errors.Is(err, ErrUnknownFormat) {
			t.Fatalf("Detect error %v is not ErrUnknownFormat", err)
		}
		checkDecode(t, b, Auto)
	})
}
