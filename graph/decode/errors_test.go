package decode

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/spanmap/spanmap/graph/span"
)

func TestBytes_Bytes_malformedInputErrors(t *testing.T) {
	tests := []struct {
		name   string
		format Format
		in     string
		want   string
		is     error
	}{
		{"zipkin bad hex", Zipkin, `[{"traceId":"xyz","id":"1"}]`,
			`zipkin: span 0 at byte 12: traceId: invalid hex "xyz"`, ErrInvalidID},
		{"zipkin missing id in second span", Zipkin, `[{"traceId":"1","id":"1"},{"traceId":"1"}]`,
			`zipkin: span 1 at byte 25: id: missing or all zeros`, ErrInvalidID},
		{"zipkin zero trace id", Zipkin, `[{"traceId":"0000","id":"1"}]`,
			`zipkin: span 0 at byte 12: traceId: all zeros`, ErrInvalidID},
		{"zipkin bad timestamp", Zipkin, `[{"traceId":"1","id":"1","timestamp":"x"}]`,
			`zipkin: span 0 at byte 37: timestamp: invalid integer "x"`, ErrSyntax},
		{"zipkin truncated", Zipkin, `[{"traceId":"1","id":"1"`,
			`zipkin: span 0 at byte 24: invalid JSON: unexpected end of input`, ErrSyntax},
		{"zipkin id too long", Zipkin, `[{"traceId":"1","id":"12345678901234567"}]`,
			`zipkin: span 0 at byte 21: id: too long (17 hex digits, at most 16)`, ErrInvalidID},
		{"zipkin number element", Zipkin, `[1]`,
			`zipkin: at byte 1: array element: want span object or array of spans, got number`, ErrSyntax},
		{"zipkin trace id type", Zipkin, `{"traceId": 5}`,
			`zipkin: span 0 at byte 12: traceId: want string, got number`, ErrSyntax},
		{"zipkin trailing garbage", Zipkin, `[{"traceId":"1","id":"1"}]}`,
			`zipkin: at byte 26: invalid JSON: invalid character '}' at start of value`, ErrSyntax},
		{"zipkin tags array", Zipkin, `[{"traceId":"1","id":"1","tags":[]}]`,
			`zipkin: span 0 at byte 31: tags: want object, got array`, ErrSyntax},
		{"otlp-json short trace id", OTLPJSON, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"abc","spanId":"0102030405060708"}]}]}]}`,
			`otlp-json: span 0 at byte 54: traceId: want 32 hex digits, got 3`, ErrInvalidID},
		{"otlp-json missing span id", OTLPJSON, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c"}]}]}]}`,
			`otlp-json: span 0 at byte 43: spanId: missing or all zeros`, ErrInvalidID},
		{"otlp-json resourceSpans object", OTLPJSON, `{"resourceSpans":{}}`,
			`otlp-json: at byte 16: resourceSpans: want array, got object`, ErrSyntax},
		{"otlp-json top-level array", OTLPJSON, `[]`,
			`otlp-json: at byte 0: input: want object, got array`, ErrSyntax},
		{"otlp-json negative time", OTLPJSON, `{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0102030405060708","startTimeUnixNano":"-5"}]}]}]}`,
			`otlp-json: span 0 at byte 137: startTimeUnixNano: invalid unsigned integer "-5"`, ErrSyntax},
		{"otlp-json bad base64", OTLPJSON, `{"batches":[{"scopeSpans":[{"spans":[{"traceId":"AAAAAAAAAAABI0VniavN7w=!","spanId":"AAAAAAAAEjQ="}]}]}]}`,
			`otlp-json: span 0 at byte 48: traceId: invalid base64 "AAAAAAAAAAABI0VniavN7w=!"`, ErrInvalidID},
		{"jaeger-json bad hex", JaegerJSON, `{"data":[{"spans":[{"traceID":"zz","spanID":"1"}]}]}`,
			`jaeger-json: span 0 at byte 30: traceID: invalid hex "zz"`, ErrInvalidID},
		{"jaeger-json missing trace id", JaegerJSON, `{"data":[{"spans":[{"spanID":"1"}]}]}`,
			`jaeger-json: span 0 at byte 19: traceID: missing`, ErrInvalidID},
		{"jaeger-json bad reference", JaegerJSON, `{"data":[{"spans":[{"traceID":"1","spanID":"1","references":[{"traceID":"1","spanID":"x"}]}]}]}`,
			`jaeger-json: span 0 at byte 85: references.spanID: invalid hex "x"`, ErrInvalidID},
		{"otlp-proto truncated", OTLPProto, "\x0a\x05\x12\x03\x12\x01",
			`otlp-proto: at byte 0: invalid protobuf: unexpected end of input`, ErrSyntax},
		{"otlp-proto hostile length", OTLPProto, "\x0a\x80\x80\x80\x80\x80\x20",
			`otlp-proto: at byte 1: message too large: field 1 is 1099511627776 bytes, limit 67108864`, ErrTooLarge},
		{"otlp-proto short trace id", OTLPProto, "\x0a\x0b\x12\x09\x12\x07\x0a\x05abcde",
			`otlp-proto: span 0 at byte 6: trace_id: length 5 bytes, want 16`, ErrInvalidID},
		{"otlp-proto wire type 7", OTLPProto, "\x0f",
			`otlp-proto: at byte 0: invalid protobuf: unsupported wire type 7 for field 1`, ErrSyntax},
		{"otlp-proto bad nested length", OTLPProto, "\x0a\x04\x12\x02\x12\x05",
			`otlp-proto: at byte 4: invalid protobuf: unexpected EOF`, ErrSyntax},
		{"jaeger-proto short trace id", JaegerProto, "\x0a\x05\x0a\x03abc",
			`jaeger-proto: span 0 at byte 2: trace_id: length 3 bytes, want 8 or 16`, ErrInvalidID},
		{"jaeger-proto no span id", JaegerProto, "\x0a\x12\x0a\x10\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x01",
			`jaeger-proto: span 0 at byte 2: span_id: missing or all zeros`, ErrInvalidID},
		{"zipkin-proto no span id", ZipkinProto, "\x0a\x0a\x0a\x08\x00\x00\x00\x00\x00\x00\x00\x01",
			`zipkin-proto: span 0 at byte 2: id: missing or all zeros`, ErrInvalidID},
		{"auto text", Auto, `hello`,
			`auto: at byte 0: unknown format: protobuf input does not start with field 1 (spans or resource spans)`, ErrUnknownFormat},
		{"auto unknown object", Auto, `{"foo":1}`,
			`auto: at byte 0: unknown format: JSON object without resourceSpans, batches, data, traceID or traceId`, ErrUnknownFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Bytes([]byte(tc.in), tc.format)
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tc.want {
				t.Errorf("error\n got  %s\n want %s", err, tc.want)
			}
			var de *Error
			if !errors.As(err, &de) {
				t.Errorf("error %T is not *Error", err)
			}
			if !errors.Is(err, tc.is) {
				t.Errorf("errors.Is(%v, %v) = false", err, tc.is)
			}
			// Streaming gives the same error.
			serr := Stream(strings.NewReader(tc.in), tc.format, func([]span.Span) error { return nil })
			if serr == nil || serr.Error() != tc.want {
				t.Errorf("Stream error %v, want %s", serr, tc.want)
			}
		})
	}
}

func TestStream_Stream_deliversSpansBeforeError(t *testing.T) {
	in := `[{"traceId":"1","id":"1","localEndpoint":{"serviceName":"a"}},{"traceId":"1","id":"2"},{"traceId":"1","id":"zz"}]`
	var got []span.Span
	err := Stream(strings.NewReader(in), Zipkin, func(b []span.Span) error {
		got = append(got, b...)
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "span 2") {
		t.Fatalf("err = %v, want an error at span 2", err)
	}
	if len(got) != 2 || got[0].Service != "a" || got[1].Service != "" {
		t.Fatalf("got %+v, want the two good spans", got)
	}
	spans, err := Bytes([]byte(in), Zipkin)
	if err == nil || len(spans) != 2 {
		t.Fatalf("Bytes = %d spans, %v; want 2 spans and an error", len(spans), err)
	}
}

func TestStream_Stream_callbackErrorReturnedUnchanged(t *testing.T) {
	stop := errors.New("stop")
	for name, tc := range refInputs(t) {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.BatchSpans = 1
			calls := 0
			err := cfg.Stream(bytes.NewReader(tc.input), tc.format, func([]span.Span) error {
				calls++
				return stop
			})
			if err != stop {
				t.Fatalf("err = %v, want the callback's error", err)
			}
			if calls != 1 {
				t.Errorf("fn called %d times after failing, want 1", calls)
			}
		})
	}
}

func TestError_Error_format(t *testing.T) {
	tests := []struct {
		err  Error
		want string
	}{
		{Error{Format: Zipkin, Offset: 1042, Index: 3, Err: errors.New("traceId: odd")}, "zipkin: span 3 at byte 1042: traceId: odd"},
		{Error{Format: OTLPProto, Offset: -1, Index: 2, Err: errors.New("x")}, "otlp-proto: span 2: x"},
		{Error{Format: OTLPProto, Offset: 7, Index: -1, Err: errors.New("x")}, "otlp-proto: at byte 7: x"},
		{Error{Format: JaegerJSON, Offset: -1, Index: -1, Err: errors.New("x")}, "jaeger-json: x"},
		{Error{Format: JaegerJSON, Offset: -1, Index: -1}, "jaeger-json: unknown error"},
	}
	for _, tc := range tests {
		if got := tc.err.Error(); got != tc.want {
			t.Errorf("Error() = %q, want %q", got, tc.want)
		}
	}
}

func TestBytes_Bytes_offsetCountsByteOrderMark(t *testing.T) {
	_, err := Bytes([]byte("\xef\xbb\xbf"+`[{"traceId":"xyz","id":"1"}]`), Zipkin)
	if want := `zipkin: span 0 at byte 15: traceId: invalid hex "xyz"`; err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %s", err, want)
	}
}

func TestAsciiOnly_rewritesNonASCII(t *testing.T) {
	tests := []struct{ in, want string }{
		{`invalid character 'x' at start of value`, `invalid character 'x' at start of value`},
		{`invalid character '\'' at start of value`, `invalid character '\'' at start of value`},
		{`invalid character '\x01' in string`, `invalid character '\x01' in string`},
		{`invalid character 'ϧ' after object value (expecting ',' or '}')`, `invalid non-ASCII character after object value (expecting ',' or '}')`},
		{`invalid character '\xcf' after object value (expecting ',' or '}')`, `invalid non-ASCII character after object value (expecting ',' or '}')`},
		{`unexpected end of input`, `unexpected end of input`},
	}
	for _, tc := range tests {
		if got := asciiOnly(tc.in); got != tc.want {
			t.Errorf("asciiOnly(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCanonicalEscape(t *testing.T) {
	tests := []struct{ in, want string }{
		{"invalid escape sequence `\\u00X0` in string", "invalid escape sequence `\\u00X` in string"},
		{"invalid escape sequence `\\u00X` in string", "invalid escape sequence `\\u00X` in string"},
		{"invalid escape sequence `\\uZ` in string", "invalid escape sequence `\\uZ` in string"},
		{"invalid escape sequence `\\q` in string", "invalid escape sequence `\\q` in string"},
		{`invalid escape sequence "\\u0 0" in string`, `invalid escape sequence "\\u0 " in string`},
		// a high surrogate followed by something that is not a low one
		{"invalid surrogate pair `\\ud800\\u0041` in string", "invalid surrogate pair `\\ud800\\u0` in string"},
		{"invalid surrogate pair `\\ud800\\u00` in string", "invalid surrogate pair `\\ud800\\u0` in string"},
		{"invalid surrogate pair `\\ud800xx` in string", "invalid surrogate pair `\\ud800x` in string"},
		{"invalid surrogate pair `\\ud800\\udc0G` in string", "invalid surrogate pair `\\ud800\\udc0G` in string"},
		{"invalid character 'x' at start of value", "invalid character 'x' at start of value"},
	}
	for _, tc := range tests {
		if got := canonicalEscape(tc.in); got != tc.want {
			t.Errorf("canonicalEscape(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestStream_badEscape_sameErrorAsBytes: a bad \u escape gives the same
// error whether the input is read whole or a byte at a time.
func TestStream_badEscape_sameErrorAsBytes(t *testing.T) {
	for _, in := range []string{
		`{"data":[{"traceID":"\u00X0abc"}]}`,
		`{"data":[{"traceID":"ab\u00"}]}`,
		`{"data":[{"traceID":"\ud800\udc0G"}]}`,
		`{"data":[{"traceID":"\uZZZZ"}]}`,
	} {
		_, err := Bytes([]byte(in), JaegerJSON)
		serr := DefaultConfig().Stream(iotest.OneByteReader(strings.NewReader(in)), JaegerJSON, func([]span.Span) error { return nil })
		if err == nil || serr == nil || err.Error() != serr.Error() {
			t.Errorf("%s:\nwhole:    %v\nstreamed: %v", in, err, serr)
		}
	}
}
