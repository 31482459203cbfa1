package decode

import (
	"bytes"
	"compress/gzip"
	"errors"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph/span"
)

func TestDetect_Detect_formats(t *testing.T) {
	inputs := refInputs(t)
	tests := []struct {
		name   string
		prefix []byte
		want   Format
	}{
		{"zipkin array", []byte(`  [{"traceId":"1"}]`), Zipkin},
		{"zipkin traces list", []byte("\n[[]]"), Zipkin},
		{"zipkin bare span", []byte(`{"traceId":"1","id":"2"}`), Zipkin},
		{"otlp json", []byte(`{"resourceSpans":[`), OTLPJSON},
		{"otlp json snake case", []byte(`{"resource_spans":[]}`), OTLPJSON},
		{"otlp json after unknown key", []byte(`{"partialSuccess":{"a":[1,2]},"resourceSpans":[]}`), OTLPJSON},
		{"jaeger response", []byte(`{"data":[{"traceID":"1"`), JaegerJSON},
		{"jaeger trace", []byte(`{"traceID":"1","spans":[]}`), JaegerJSON},
		{"jaeger trace processes first", []byte(`{"processes":{}}`), JaegerJSON},
		{"byte order mark", []byte("\xef\xbb\xbf{\"data\":[]}"), JaegerJSON},
		{"otlp proto", inputs["otlp-proto"].input, OTLPProto},
		{"otlp proto prefix", inputs["otlp-proto"].input[:80], OTLPProto},
		{"jaeger proto", inputs["jaeger-proto process map"].input, JaegerProto},
		{"jaeger proto prefix", inputs["jaeger-proto inline process"].input[:70], JaegerProto},
		{"zipkin proto", inputs["zipkin-proto"].input, ZipkinProto},
		{"zipkin proto prefix", inputs["zipkin-proto"].input[:70], ZipkinProto},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Detect(tc.prefix)
			if err != nil || got != tc.want {
				t.Fatalf("Detect = %q, %v; want %q", got, err, tc.want)
			}
		})
	}
}

func TestDetect_Detect_unknown(t *testing.T) {
	tests := []struct {
		name, prefix string
	}{
		{"empty", ""},
		{"spaces", "  \n "},
		{"text", "hello world"},
		{"json without known names", `{"foo":1,"bar":[]}`},
		{"json cut before first name", `{"fo`},
		{"malformed json", `{"foo" 1}`},
		{"gzip", "\x1f\x8b\x08\x00"},
		{"protobuf varint first", "\x08\x01"},
		{"protobuf unknown shape", "\x0a\x03\xa0\x01\x01"},
		{"protobuf too short", "\x0a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Detect([]byte(tc.prefix))
			if !errors.Is(err, ErrUnknownFormat) {
				t.Fatalf("Detect = %q, %v; want ErrUnknownFormat", f, err)
			}
		})
	}
}

func TestParseFormat_ParseFormat_names(t *testing.T) {
	for _, f := range Formats() {
		got, err := ParseFormat(strings.ToUpper(string(f)))
		if err != nil || got != f {
			t.Errorf("ParseFormat(%q) = %q, %v", strings.ToUpper(string(f)), got, err)
		}
	}
	if f, err := ParseFormat(""); err != nil || f != Auto {
		t.Errorf(`ParseFormat("") = %q, %v; want auto`, f, err)
	}
	if f, err := ParseFormat(" zipkin-json "); err != nil || f != Zipkin {
		t.Errorf(`ParseFormat("zipkin-json") = %q, %v; want zipkin`, f, err)
	}
	_, err := ParseFormat("otlp")
	if !errors.Is(err, ErrUnknownFormat) || !strings.Contains(err.Error(), "otlp-json, otlp-proto") {
		t.Errorf(`ParseFormat("otlp") error = %v, want ErrUnknownFormat listing the formats`, err)
	}
	if _, err := Bytes([]byte("[]"), Format("csv")); !errors.Is(err, ErrUnknownFormat) {
		t.Errorf("Bytes with format csv: %v, want ErrUnknownFormat", err)
	}
}

func TestConfig_Validate_limits(t *testing.T) {
	tests := []struct {
		name string
		mod  func(*Config)
		ok   bool
	}{
		{"default", func(*Config) {}, true},
		{"small message", func(c *Config) { c.MaxMessageBytes = 10 }, false},
		{"huge message", func(c *Config) { c.MaxMessageBytes = 1 << 50 }, false},
		{"zero batch", func(c *Config) { c.BatchSpans = 0 }, false},
		{"negative intern", func(c *Config) { c.MaxInternBytes = -1 }, false},
		{"no interning", func(c *Config) { c.MaxInternBytes = 0 }, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := DefaultConfig()
			tc.mod(&c)
			if err := c.Validate(); (err == nil) != tc.ok {
				t.Fatalf("Validate() = %v, want ok=%v", err, tc.ok)
			}
			if !tc.ok {
				if _, err := c.Bytes([]byte("[]"), Zipkin); err == nil {
					t.Error("Bytes accepted an invalid config")
				}
			}
		})
	}
}

func TestStream_Stream_gzipAndEmpty(t *testing.T) {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(readTestdata(t, "trace.jaeger.json"))
	zw.Close()
	for _, f := range []Format{Auto, JaegerJSON} {
		got, err := Bytes(buf.Bytes(), f)
		if err != nil || len(got) != len(refSpans()) {
			t.Errorf("gzip %s: %d spans, %v", f, len(got), err)
		}
	}
	for _, in := range []string{"", " \n\t ", "\xef\xbb\xbf", "\xef\xbb\xbf\n"} {
		for _, f := range Formats() {
			if in != "" && (f == OTLPProto || f == JaegerProto || f == ZipkinProto) {
				continue // white space is not protobuf
			}
			n := 0
			err := Stream(strings.NewReader(in), f, func(b []span.Span) error { n += len(b); return nil })
			if err != nil || n != 0 {
				t.Errorf("Stream(%q, %s) = %d spans, %v; want none", in, f, n, err)
			}
		}
	}
	if _, err := Bytes([]byte("\x1f\x8bnot gzip"), Auto); err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("bad gzip: %v", err)
	}
}

func TestConfig_Stream_messageLimit(t *testing.T) {
	cfg := DefaultConfig()
	cfg.MaxMessageBytes = 4096
	long := strings.Repeat("x", 10000)
	tests := []struct {
		name   string
		format Format
		in     string
	}{
		{"zipkin huge string", Zipkin, `[{"traceId":"1","id":"1","name":"` + long + `"}]`},
		{"zipkin huge skipped value", Zipkin, `[{"traceId":"1","id":"1","annotations":[` + strings.Repeat(`{"value":"abcdefgh"},`, 1000) + `{}]}]`},
		{"jaeger trace", JaegerJSON, `{"data":[{"spans":[` + strings.Repeat(`{"traceID":"1","spanID":"1","processID":"p1"},`, 200) + `{"traceID":"1","spanID":"1"}]}]}`},
		{"otlp resourceSpans", OTLPJSON, `{"resourceSpans":[{"scopeSpans":[{"spans":[` + strings.Repeat(`{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0102030405060708"},`, 100) + `{}]}]}]}`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := cfg.Stream(strings.NewReader(tc.in), tc.format, func([]span.Span) error { return nil })
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("Stream: %v, want ErrTooLarge", err)
			}
			if _, err := cfg.Bytes([]byte(tc.in), tc.format); !errors.Is(err, ErrTooLarge) && tc.name != "zipkin huge string" && tc.name != "zipkin huge skipped value" {
				t.Errorf("Bytes: %v, want ErrTooLarge", err)
			}
		})
	}
	// A protobuf trace whose spans wait for a process map is bounded too.
	tr := jaegerSpans(append(append(refTrace(), refTrace()...), refTrace()...), false)
	for i := range tr.Spans {
		tr.Spans[i].OperationName = strings.Repeat("o", 300)
	}
	b, err := tr.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	cfg.MaxMessageBytes = 2048
	if _, err := cfg.Bytes(b, JaegerProto); !errors.Is(err, ErrTooLarge) {
		t.Errorf("jaeger-proto held spans: %v, want ErrTooLarge", err)
	}
}
