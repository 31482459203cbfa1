package decode

import (
	"strings"
	"testing"
	"unsafe"

	"github.com/spanmap/spanmap/graph/span"
)

func TestBytes_Bytes_documentShapes(t *testing.T) {
	const zspan = `{"traceId":"%s","id":"%s","localEndpoint":{"serviceName":"a"}}`
	z := func(tid, id string) string { return strings.Replace(strings.Replace(zspan, "%s", tid, 1), "%s", id, 1) }
	const jtrace = `{"traceID":"1","spans":[{"traceID":"1","spanID":"%s","processID":"p1"}],"processes":{"p1":{"serviceName":"svc"}}}`
	jt := func(id string) string { return strings.Replace(jtrace, "%s", id, 1) }
	tests := []struct {
		name   string
		format Format
		in     string
		ids    []string // span IDs expected, in order
		svc    string   // service of every span
	}{
		{"zipkin empty array", Zipkin, `[]`, nil, ""},
		{"zipkin empty traces", Zipkin, `[[],[]]`, nil, ""},
		{"zipkin span lines", Zipkin, z("1", "1") + "\n" + z("1", "2") + "\n", []string{"0000000000000001", "0000000000000002"}, "a"},
		{"zipkin arrays concatenated", Zipkin, "[" + z("1", "1") + "][" + z("1", "2") + "]", []string{"0000000000000001", "0000000000000002"}, "a"},
		{"jaeger bare trace", JaegerJSON, jt("3"), []string{"0000000000000003"}, "svc"},
		{"jaeger array of traces", JaegerJSON, "[" + jt("3") + "," + jt("4") + "]", []string{"0000000000000003", "0000000000000004"}, "svc"},
		{"jaeger response lines", JaegerJSON, `{"data":[` + jt("3") + "]}\n" + `{"data":[` + jt("4") + "]}", []string{"0000000000000003", "0000000000000004"}, "svc"},
		{"jaeger processes first", JaegerJSON, `{"data":[{"processes":{"p1":{"serviceName":"svc"}},"spans":[{"traceID":"1","spanID":"5","processID":"p1"}]}]}`,
			[]string{"0000000000000005"}, "svc"},
		{"jaeger empty data", JaegerJSON, `{"data":[],"total":0,"limit":0,"offset":0,"errors":[{"code":500,"msg":"x"}]}`, nil, ""},
		{"jaeger null data", JaegerJSON, `{"data":null}`, nil, ""},
		{"otlp empty", OTLPJSON, `{}` + "\n" + `{"resourceSpans":null}`, nil, ""},
		{"otlp partial success ignored", OTLPJSON, `{"partialSuccess":{"rejectedSpans":"0"},"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"o"}}]},"scopeSpans":[{"spans":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"0000000000000006"}]}]}]}`,
			[]string{"0000000000000006"}, "o"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Bytes([]byte(tc.in), tc.format)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.ids) {
				t.Fatalf("got %d spans, want %d", len(got), len(tc.ids))
			}
			for i, s := range got {
				if s.SpanID.String() != tc.ids[i] || s.Service != tc.svc {
					t.Errorf("span %d = %s of %q, want %s of %q", i, s.SpanID, s.Service, tc.ids[i], tc.svc)
				}
			}
		})
	}
}

func TestInterner_str_sharesAndStaysBounded(t *testing.T) {
	in := newInterner(10 * (internOverhead + 8))
	a := in.str([]byte("frontend"))
	b := in.str([]byte("frontend"))
	if unsafe.StringData(a) != unsafe.StringData(b) {
		t.Error("equal values not shared")
	}
	for i := range 1000 {
		in.str([]byte(strings.Repeat("x", 4) + string(rune('a'+i%26)) + string(rune('a'+i/26%26)) + "zz"))
		if in.used > in.max || len(in.m) > 10 {
			t.Fatalf("interner holds %d bytes in %d entries, limit %d", in.used, len(in.m), in.max)
		}
	}
	long := strings.Repeat("y", internMaxLen+1)
	if got := in.str([]byte(long)); got != long {
		t.Error("long value changed")
	}
	if _, ok := in.m[long]; ok {
		t.Error("long value interned")
	}
	if in.str(nil) != "" {
		t.Error("empty value")
	}
	off := newInterner(0)
	if off.str([]byte("x")) != "x" || len(off.m) != 0 {
		t.Error("a zero budget still interns")
	}
}

func TestAttrs_apply_precedenceAndSampling(t *testing.T) {
	in := newInterner(1 << 20)
	str := func(s string) *value { return &value{kind: valString, str: []byte(s)} }
	tests := []struct {
		name string
		set  func(a *attrs)
		want func(s *span.Span)
	}{
		{"http.host port stripped", func(a *attrs) { a.set(keyHTTPHost, str("example.com:8080"), in) },
			func(s *span.Span) { s.Peer.ServerAddress = "example.com" }},
		{"server.address over http.host", func(a *attrs) {
			a.set(keyHTTPHost, str("h"), in)
			a.set(keyServerAddress, str("s"), in)
		}, func(s *span.Span) { s.Peer.ServerAddress = "s" }},
		{"url.full over http.url", func(a *attrs) {
			a.set(keyURLFull, str("https://new.example/x"), in)
			a.set(keyHTTPURL, str("http://old.example/x"), in)
		}, func(s *span.Span) { s.Peer.ServerAddress = "new.example" }},
		{"relative url ignored", func(a *attrs) { a.set(keyHTTPURL, str("/x?y=http://z"), in) }, func(*span.Span) {}},
		{"peer.hostname after net.peer.name", func(a *attrs) {
			a.set(keyPeerHostname, str("ph"), in)
			a.set(keyNetPeerName, str("np"), in)
		}, func(s *span.Span) { s.Peer.NetPeerName = "np" }},
		{"peer address when no name", func(a *attrs) {
			a.set(lookupKey([]byte("network.peer.address")), str("10.0.0.7"), in)
		}, func(s *span.Span) { s.Peer.NetPeerName = "10.0.0.7" }},
		{"older peer address names", func(a *attrs) {
			a.set(lookupKey([]byte("net.sock.peer.addr")), str("10.0.0.8"), in)
		}, func(s *span.Span) { s.Peer.NetPeerName = "10.0.0.8" }},
		{"net.peer.ip", func(a *attrs) { a.set(lookupKey([]byte("net.peer.ip")), str("10.0.0.9"), in) },
			func(s *span.Span) { s.Peer.NetPeerName = "10.0.0.9" }},
		{"names over the peer address", func(a *attrs) {
			a.set(lookupKey([]byte("network.peer.address")), str("10.0.0.7"), in)
			a.set(keyPeerHostname, str("ph"), in)
		}, func(s *span.Span) { s.Peer.NetPeerName = "ph" }},
		{"error false string", func(a *attrs) { a.set(keyError, str("FALSE"), in) }, func(*span.Span) {}},
		{"error message", func(a *attrs) { a.set(keyError, str("boom"), in) }, func(s *span.Span) { s.ErrorTag = true }},
		{"error int", func(a *attrs) { a.set(keyError, &value{kind: valInt, i: 1}, in) }, func(s *span.Span) { s.ErrorTag = true }},
		{"otel status ok", func(a *attrs) { a.set(keyOtelStatusCode, str("OK"), in) }, func(*span.Span) {}},
		{"status code out of range", func(a *attrs) { a.set(keyHTTPStatus, &value{kind: valInt, i: 1 << 40}, in) }, func(*span.Span) {}},
		{"probabilistic string param", func(a *attrs) {
			a.set(keySamplerParam, str("0.125"), in)
			a.set(keySamplerType, str("probabilistic"), in)
		}, func(s *span.Span) { s.SamplingProbability = 0.125 }},
		{"probabilistic out of range", func(a *attrs) {
			a.set(keySamplerType, str("probabilistic"), in)
			a.set(keySamplerParam, &value{kind: valFloat, f: 1.5}, in)
		}, func(*span.Span) {}},
		{"const false", func(a *attrs) {
			a.set(keySamplerType, str("const"), in)
			a.set(keySamplerParam, &value{kind: valBool}, in)
		}, func(*span.Span) {}},
		{"span.kind unknown", func(a *attrs) { a.set(keySpanKind, str("sideways"), in) }, func(*span.Span) {}},
		{"non-string peer.service", func(a *attrs) { a.set(keyPeerService, &value{kind: valInt, i: 3}, in) }, func(*span.Span) {}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var a attrs
			tc.set(&a)
			var got, want span.Span
			a.apply(&got)
			tc.want(&want)
			if d := diffSpans([]span.Span{got}, []span.Span{want}); d != "" {
				t.Error(d)
			}
		})
	}
}

func TestTraceStateProbability_values(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"ot=th:8", 0.5},
		{"ot=th:c", 0.25},
		{"ot=th:0", 1},
		{"ot=th:fffffffffffff", 1 - float64(0xfffffffffffff0)/(1<<56)},
		{"ot=th:123456789abcdef", 0}, // 15 digits
		{"ot=rv:abc", 0},
		{"other=th:8", 0},
		{"a=b , ot=p:3;th:4;rv:1", 0.75},
		{"", 0},
	}
	for _, tc := range tests {
		if got := traceStateProbability([]byte(tc.in)); got != tc.want {
			t.Errorf("traceStateProbability(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}
