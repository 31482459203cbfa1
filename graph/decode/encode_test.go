package decode

import (
	"encoding/json"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	zipkinmodel "github.com/openzipkin/zipkin-go/model"

	"github.com/spanmap/spanmap/graph/span"
)

// The encoders below write test inputs in the JSON formats. Zipkin's uses
// zipkin-go's own model; OTLP/JSON and Jaeger JSON have no official Go
// encoder of their exact shape, so they follow the specifications directly.

func zipkinJSONOf(t testing.TB, spans []lspan) []byte {
	kinds := map[span.Kind]zipkinmodel.Kind{span.KindClient: zipkinmodel.Client, span.KindServer: zipkinmodel.Server,
		span.KindProducer: zipkinmodel.Producer, span.KindConsumer: zipkinmodel.Consumer}
	var out []zipkinmodel.SpanModel
	for _, s := range spans {
		tid, err := zipkinmodel.TraceIDFromHex(s.traceID)
		if err != nil {
			t.Fatal(err)
		}
		id, err := strconv.ParseUint(s.id, 16, 64)
		if err != nil {
			t.Fatal(err)
		}
		m := zipkinmodel.SpanModel{
			SpanContext:   zipkinmodel.SpanContext{TraceID: tid, ID: zipkinmodel.ID(id)},
			Name:          s.name,
			Kind:          kinds[s.kind],
			Timestamp:     time.UnixMicro(s.startUs),
			Duration:      time.Duration(s.durUs) * time.Microsecond,
			LocalEndpoint: &zipkinmodel.Endpoint{ServiceName: s.service, IPv4: net.IPv4(10, 0, 0, 1)},
			Tags:          map[string]string{},
		}
		if s.parent != "" {
			p, _ := strconv.ParseUint(s.parent, 16, 64)
			pid := zipkinmodel.ID(p)
			m.ParentID = &pid
		}
		for _, a := range s.attrs {
			m.Tags[a.key] = tagString(a.val)
		}
		if s.namespace != "" {
			m.Tags["service.namespace"] = s.namespace
		}
		if s.statusError {
			m.Tags["otel.status_code"] = "ERROR"
		}
		out = append(out, m)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// otlpJSONValue encodes an AnyValue as OTLP/JSON does (int64 as a string).
func otlpJSONValue(v any) map[string]any {
	switch x := v.(type) {
	case string:
		return map[string]any{"stringValue": x}
	case int64:
		return map[string]any{"intValue": strconv.FormatInt(x, 10)}
	case bool:
		return map[string]any{"boolValue": x}
	case float64:
		return map[string]any{"doubleValue": x}
	}
	panic("unsupported value")
}

func otlpJSONAttrs(kvs []kv) []any {
	out := []any{}
	for _, a := range kvs {
		out = append(out, map[string]any{"key": a.key, "value": otlpJSONValue(a.val)})
	}
	return out
}

// otlpJSONOf writes one ExportTraceServiceRequest per line, each holding one
// ResourceSpans per run of spans of one service, as the file exporter does.
func otlpJSONOf(t testing.TB, spans []lspan, perLine int) []byte {
	var out []byte
	for len(spans) > 0 {
		n := min(perLine, len(spans))
		var rss []any
		for i := 0; i < n; {
			j := i
			for j < n && spans[j].service == spans[i].service {
				j++
			}
			res := []kv{{"service.name", spans[i].service}, {"host.name", "node-1"}}
			if spans[i].namespace != "" {
				res = append(res, kv{"service.namespace", spans[i].namespace})
			}
			var js []any
			for _, s := range spans[i:j] {
				m := map[string]any{
					"traceId": s.traceID, "spanId": s.id, "parentSpanId": s.parent, "name": s.name, "kind": int(s.kind),
					"startTimeUnixNano": strconv.FormatInt(s.startUs*1000, 10),
					"endTimeUnixNano":   strconv.FormatInt((s.startUs+s.durUs)*1000, 10),
					"attributes":        otlpJSONAttrs(s.attrs), "status": map[string]any{},
				}
				if s.statusError {
					m["status"] = map[string]any{"code": 2}
				}
				js = append(js, m)
			}
			rss = append(rss, map[string]any{
				"resource":   map[string]any{"attributes": otlpJSONAttrs(res)},
				"scopeSpans": []any{map[string]any{"scope": map[string]any{"name": "bench"}, "spans": js}},
			})
			i = j
		}
		line, err := json.Marshal(map[string]any{"resourceSpans": rss})
		if err != nil {
			t.Fatal(err)
		}
		out = append(append(out, line...), '\n')
		spans = spans[n:]
	}
	return out
}

// jaegerJSONOf writes a Jaeger /api/traces response, one trace per run of
// spans with the same trace ID.
func jaegerJSONOf(t testing.TB, spans []lspan) []byte {
	type tag struct {
		Key   string `json:"key"`
		Type  string `json:"type"`
		Value any    `json:"value"`
	}
	toTag := func(a kv) tag {
		switch a.val.(type) {
		case string:
			return tag{a.key, "string", a.val}
		case int64:
			return tag{a.key, "int64", a.val}
		case bool:
			return tag{a.key, "bool", a.val}
		}
		return tag{a.key, "float64", a.val}
	}
	var traces []any
	for i := 0; i < len(spans); {
		j := i
		for j < len(spans) && spans[j].traceID == spans[i].traceID {
			j++
		}
		procs := map[string]any{}
		pids := map[string]string{}
		var js []any
		for _, s := range spans[i:j] {
			pid, ok := pids[s.service]
			if !ok {
				pid = "p" + strconv.Itoa(len(pids)+1)
				pids[s.service] = pid
				ptags := []tag{{"hostname", "string", "node-1"}}
				if s.namespace != "" {
					ptags = append(ptags, tag{"service.namespace", "string", s.namespace})
				}
				procs[pid] = map[string]any{"serviceName": s.service, "tags": ptags}
			}
			tags := []tag{{"span.kind", "string", s.kind.String()}}
			for _, a := range s.attrs {
				tags = append(tags, toTag(a))
			}
			if s.statusError {
				tags = append(tags, tag{"otel.status_code", "string", "ERROR"})
			}
			refs := []any{}
			if s.parent != "" {
				refs = append(refs, map[string]any{"refType": "CHILD_OF", "traceID": s.traceID, "spanID": s.parent})
			}
			js = append(js, map[string]any{"traceID": s.traceID, "spanID": s.id, "operationName": s.name, "references": refs,
				"startTime": s.startUs, "duration": s.durUs, "tags": tags, "logs": []any{}, "processID": pid, "warnings": nil, "flags": 1})
		}
		traces = append(traces, map[string]any{"traceID": spans[i].traceID, "spans": js, "processes": procs, "warnings": nil})
		i = j
	}
	b, err := json.Marshal(map[string]any{"data": traces, "total": 0, "limit": 0, "offset": 0, "errors": nil})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBytes_Bytes_generatedJSONMatchesProto(t *testing.T) {
	want := sortSpans(refSpans())
	inputs := map[string]struct {
		f Format
		b []byte
	}{
		"zipkin via zipkin-go": {Zipkin, zipkinJSONOf(t, refTrace())},
		"otlp-json lines":      {OTLPJSON, otlpJSONOf(t, refTrace(), 3)},
		"jaeger-json":          {JaegerJSON, jaegerJSONOf(t, refTrace())},
	}
	for name, in := range inputs {
		t.Run(name, func(t *testing.T) {
			got, err := Bytes(in.b, in.f)
			if err != nil {
				t.Fatal(err)
			}
			want := want
			if in.f == Zipkin {
				// zipkin-go lowercases span names, as Zipkin does.
				want = slices.Clone(want)
				for i := range want {
					want[i].Name = strings.ToLower(want[i].Name)
				}
			}
			if d := diffSpans(sortSpans(got), want); d != "" {
				t.Errorf("spans differ:\n%s", d)
			}
		})
	}
}
