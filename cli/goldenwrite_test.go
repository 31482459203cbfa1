package cli

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	jaeger "github.com/jaegertracing/jaeger-idl/model/v1"
	"github.com/jaegertracing/jaeger-idl/proto-gen/api_v2"
	zipkinpb "github.com/openzipkin/zipkin-go/proto/zipkin_proto3"
	commonpb "go.opentelemetry.io/proto/otlp/common/v1"
	resourcepb "go.opentelemetry.io/proto/otlp/resource/v1"
	tracepb "go.opentelemetry.io/proto/otlp/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/spanmap/spanmap/graph/decode"
	"github.com/spanmap/spanmap/graph/span"
)

// Writers that spell decoded spans in each input format, to make the twins of
// a hand-written golden input (go test -gen). The binary formats use each
// project's own Go types: OTLP's generated protobuf, Jaeger's jaeger-idl model
// and api_v2 messages, Zipkin's zipkin-go proto3. OTLP/JSON (hex IDs, which protojson does not write) and Jaeger's query
// JSON (no Go encoder outside Jaeger's query service) and Zipkin v2 JSON
// follow their specifications. A writer returns an error naming what the format cannot
// carry, and that twin is not written.

// spanWriter writes spans in one format.
type spanWriter func([]span.Span) ([]byte, error)

var spanWriters = map[decode.Format]spanWriter{
	decode.OTLPJSON:    writeOTLPJSON,
	decode.OTLPProto:   writeOTLPProto,
	decode.Zipkin:      writeZipkinJSON,
	decode.ZipkinProto: writeZipkinProto,
	decode.JaegerJSON:  writeJaegerJSON,
	decode.JaegerProto: writeJaegerProto,
}

// tag is one attribute of a span in the writers' common vocabulary; val is a
// string, int64, bool or float64.
type tag struct {
	key string
	val any
}

// spanTags lists what a span carries as attributes (OTLP) or tags (Zipkin,
// Jaeger), with the names the decoders read.
func spanTags(s *span.Span, statusAsTag bool) []tag {
	var out []tag
	str := func(k, v string) {
		if v != "" {
			out = append(out, tag{k, v})
		}
	}
	str("peer.service", s.Peer.Service)
	str("db.system", s.Peer.DBSystem)
	str("db.name", s.Peer.DBName)
	str("messaging.system", s.Peer.MessagingSystem)
	str("messaging.destination.name", s.Peer.Destination)
	str("server.address", s.Peer.ServerAddress)
	str("net.peer.name", s.Peer.NetPeerName)
	if s.ErrorTag {
		out = append(out, tag{"error", true})
	}
	if s.StatusError && statusAsTag {
		out = append(out, tag{"otel.status_code", "ERROR"})
	}
	if s.HTTPStatus != 0 {
		out = append(out, tag{"http.status_code", int64(s.HTTPStatus)})
	}
	if s.GRPCStatus != 0 {
		out = append(out, tag{"rpc.grpc.status_code", int64(s.GRPCStatus)})
	}
	return out
}

// samplerTags are Jaeger's sampler tags for a sampling probability.
func samplerTags(p float64) []tag {
	if p == 0 {
		return nil
	}
	return []tag{{"sampler.type", "probabilistic"}, {"sampler.param", p}}
}

// traceState is the W3C tracestate of a sampling probability (OpenTelemetry's
// threshold th = (1-p) * 2^56, trailing zero digits dropped).
func traceState(p float64) (string, error) {
	if p == 0 {
		return "", nil
	}
	th := (1 - p) * (1 << 56)
	if th != math.Trunc(th) {
		return "", fmt.Errorf("sampling probability %v is not exact in a tracestate threshold", p)
	}
	digits := strings.TrimRight(fmt.Sprintf("%014x", uint64(th)), "0")
	if digits == "" {
		digits = "0"
	}
	return "ot=th:" + digits, nil
}

// service is the service name to write in OTLP, "" for the decoder's
// default (unknown_service).
func service(s *span.Span) string {
	if s.Service == decode.UnknownService {
		return ""
	}
	return s.Service
}

// errNoLocalService is why a span without a service of its own (a Zipkin span
// without localEndpoint.serviceName) has no OTLP or Jaeger twin: those
// formats name it unknown_service, which derivation treats differently.
var errNoLocalService = errors.New("no service name: OTLP and Jaeger would call it unknown_service")

func otlpValue(v any) *commonpb.AnyValue {
	switch x := v.(type) {
	case string:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_StringValue{StringValue: x}}
	case int64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_IntValue{IntValue: x}}
	case bool:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_BoolValue{BoolValue: x}}
	case float64:
		return &commonpb.AnyValue{Value: &commonpb.AnyValue_DoubleValue{DoubleValue: x}}
	}
	panic(fmt.Sprintf("unsupported value %T", v))
}

func otlpKeyValues(tags []tag) []*commonpb.KeyValue {
	var out []*commonpb.KeyValue
	for _, t := range tags {
		out = append(out, &commonpb.KeyValue{Key: t.key, Value: otlpValue(t.val)})
	}
	return out
}

// otlpTracesData groups runs of spans of one service into ResourceSpans.
func otlpTracesData(spans []span.Span) (*tracepb.TracesData, error) {
	td := &tracepb.TracesData{}
	var rs *tracepb.ResourceSpans
	var runService, runNamespace string
	for i := range spans {
		s := &spans[i]
		if s.Shared {
			return nil, fmt.Errorf("span %d: OTLP has no shared span halves", i)
		}
		if s.Peer.RemoteService != "" {
			return nil, fmt.Errorf("span %d: OTLP has no remote endpoint", i)
		}
		if s.Service == "" {
			return nil, fmt.Errorf("span %d: %w", i, errNoLocalService)
		}
		if rs == nil || runService != service(s) || runNamespace != s.Namespace {
			runService, runNamespace = service(s), s.Namespace
			var res []tag
			if runService != "" {
				res = append(res, tag{"service.name", runService})
			}
			if runNamespace != "" {
				res = append(res, tag{"service.namespace", runNamespace})
			}
			rs = &tracepb.ResourceSpans{
				Resource:   &resourcepb.Resource{Attributes: otlpKeyValues(res)},
				ScopeSpans: []*tracepb.ScopeSpans{{Scope: &commonpb.InstrumentationScope{Name: "spanmap-golden"}}},
			}
			td.ResourceSpans = append(td.ResourceSpans, rs)
		}
		ts, err := traceState(s.SamplingProbability)
		if err != nil {
			return nil, fmt.Errorf("span %d: %w", i, err)
		}
		ps := &tracepb.Span{
			TraceId:           append([]byte(nil), s.TraceID[:]...),
			SpanId:            append([]byte(nil), s.SpanID[:]...),
			TraceState:        ts,
			Name:              s.Name,
			Kind:              tracepb.Span_SpanKind(s.Kind),
			StartTimeUnixNano: uint64(s.Start),
			EndTimeUnixNano:   uint64(s.Start + s.Duration),
			Attributes:        otlpKeyValues(spanTags(s, false)),
		}
		if !s.ParentID.IsZero() {
			ps.ParentSpanId = append([]byte(nil), s.ParentID[:]...)
		}
		if s.StatusError {
			ps.Status = &tracepb.Status{Code: tracepb.Status_STATUS_CODE_ERROR}
		}
		for _, l := range s.Links {
			ps.Links = append(ps.Links, &tracepb.Span_Link{TraceId: append([]byte(nil), l.TraceID[:]...), SpanId: append([]byte(nil), l.SpanID[:]...)})
		}
		ss := rs.ScopeSpans[0]
		ss.Spans = append(ss.Spans, ps)
	}
	return td, nil
}

func writeOTLPProto(spans []span.Span) ([]byte, error) {
	td, err := otlpTracesData(spans)
	if err != nil {
		return nil, err
	}
	return proto.Marshal(td)
}

// writeOTLPJSON writes OTLP/JSON as the specification asks: hex IDs, 64-bit
// integers as strings; enums as names, where the hand-written inputs use
// numbers, so both spellings are decoded.
func writeOTLPJSON(spans []span.Span) ([]byte, error) {
	td, err := otlpTracesData(spans)
	if err != nil {
		return nil, err
	}
	type obj = map[string]any
	attrs := func(kvs []*commonpb.KeyValue) []obj {
		var out []obj
		for _, kv := range kvs {
			var v obj
			switch x := kv.Value.Value.(type) {
			case *commonpb.AnyValue_StringValue:
				v = obj{"stringValue": x.StringValue}
			case *commonpb.AnyValue_IntValue:
				v = obj{"intValue": strconv.FormatInt(x.IntValue, 10)}
			case *commonpb.AnyValue_BoolValue:
				v = obj{"boolValue": x.BoolValue}
			case *commonpb.AnyValue_DoubleValue:
				v = obj{"doubleValue": x.DoubleValue}
			}
			out = append(out, obj{"key": kv.Key, "value": v})
		}
		return out
	}
	var rss []obj
	for _, rs := range td.ResourceSpans {
		var sps []obj
		for _, ps := range rs.ScopeSpans[0].Spans {
			sp := obj{
				"traceId":           hex.EncodeToString(ps.TraceId),
				"spanId":            hex.EncodeToString(ps.SpanId),
				"name":              ps.Name,
				"kind":              ps.Kind.String(),
				"startTimeUnixNano": strconv.FormatUint(ps.StartTimeUnixNano, 10),
				"endTimeUnixNano":   strconv.FormatUint(ps.EndTimeUnixNano, 10),
			}
			if len(ps.ParentSpanId) > 0 {
				sp["parentSpanId"] = hex.EncodeToString(ps.ParentSpanId)
			}
			if ps.TraceState != "" {
				sp["traceState"] = ps.TraceState
			}
			if len(ps.Attributes) > 0 {
				sp["attributes"] = attrs(ps.Attributes)
			}
			if ps.Status != nil {
				sp["status"] = obj{"code": ps.Status.Code.String()}
			}
			var links []obj
			for _, l := range ps.Links {
				links = append(links, obj{"traceId": hex.EncodeToString(l.TraceId), "spanId": hex.EncodeToString(l.SpanId)})
			}
			if len(links) > 0 {
				sp["links"] = links
			}
			sps = append(sps, sp)
		}
		rss = append(rss, obj{
			"resource":   obj{"attributes": attrs(rs.Resource.Attributes)},
			"scopeSpans": []obj{{"scope": obj{"name": rs.ScopeSpans[0].Scope.Name}, "spans": sps}},
		})
	}
	return marshalLines(obj{"resourceSpans": rss})
}

// marshalLines writes v as indented JSON.
func marshalLines(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// zipkinCheck reports what Zipkin cannot carry.
func zipkinCheck(i int, s *span.Span) error {
	if len(s.Links) > 0 {
		return fmt.Errorf("span %d: Zipkin has no span links", i)
	}
	if s.Kind == span.KindInternal && s.Peer.RemoteService != "" {
		return fmt.Errorf("span %d: Zipkin has no internal kind", i)
	}
	return nil
}

// zipkinTags are a span's Zipkin tags (strings); a status error travels as
// the error tag.
func zipkinTags(s *span.Span) map[string]string {
	tags := map[string]string{}
	for _, t := range append(spanTags(s, false), samplerTags(s.SamplingProbability)...) {
		switch v := t.val.(type) {
		case string:
			tags[t.key] = v
		case int64:
			tags[t.key] = strconv.FormatInt(v, 10)
		case bool:
			tags[t.key] = strconv.FormatBool(v)
		case float64:
			tags[t.key] = strconv.FormatFloat(v, 'g', -1, 64)
		}
	}
	if s.StatusError {
		tags["error"] = "true"
	}
	if s.Namespace != "" {
		tags["service.namespace"] = s.Namespace
	}
	if len(tags) == 0 {
		return nil
	}
	return tags
}

// writeZipkinJSON writes Zipkin v2 JSON, one span a line. zipkin-go's model
// is not used because it lowercases span and service names, as a Zipkin
// server stores them, and the twins must keep the names of their source.
func writeZipkinJSON(spans []span.Span) ([]byte, error) {
	type obj = map[string]any
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i := range spans {
		s := &spans[i]
		if err := zipkinCheck(i, s); err != nil {
			return nil, err
		}
		z := obj{
			"traceId":   hex.EncodeToString(s.TraceID[:]),
			"id":        hex.EncodeToString(s.SpanID[:]),
			"name":      s.Name,
			"timestamp": s.Start / 1000,
		}
		if s.Duration > 0 {
			z["duration"] = s.Duration / 1000
		}
		if !s.ParentID.IsZero() {
			z["parentId"] = hex.EncodeToString(s.ParentID[:])
		}
		switch s.Kind {
		case span.KindClient, span.KindServer, span.KindProducer, span.KindConsumer:
			z["kind"] = strings.ToUpper(s.Kind.String())
		}
		if s.Service != "" {
			z["localEndpoint"] = obj{"serviceName": s.Service}
		}
		if s.Peer.RemoteService != "" {
			z["remoteEndpoint"] = obj{"serviceName": s.Peer.RemoteService}
		}
		if s.Shared {
			z["shared"] = true
		}
		if tags := zipkinTags(s); tags != nil {
			z["tags"] = tags
		}
		b, err := json.Marshal(z)
		if err != nil {
			return nil, err
		}
		if i > 0 {
			buf.WriteString(",\n")
		}
		buf.WriteByte(' ')
		buf.Write(b)
	}
	buf.WriteString("\n]\n")
	return buf.Bytes(), nil
}

func writeZipkinProto(spans []span.Span) ([]byte, error) {
	kinds := map[span.Kind]zipkinpb.Span_Kind{span.KindClient: zipkinpb.Span_CLIENT, span.KindServer: zipkinpb.Span_SERVER,
		span.KindProducer: zipkinpb.Span_PRODUCER, span.KindConsumer: zipkinpb.Span_CONSUMER}
	list := &zipkinpb.ListOfSpans{}
	for i := range spans {
		s := &spans[i]
		if err := zipkinCheck(i, s); err != nil {
			return nil, err
		}
		zs := &zipkinpb.Span{
			TraceId:   append([]byte(nil), s.TraceID[:]...),
			Id:        append([]byte(nil), s.SpanID[:]...),
			Kind:      kinds[s.Kind],
			Name:      s.Name,
			Timestamp: uint64(s.Start / 1000),
			Duration:  uint64(s.Duration / 1000),
			Shared:    s.Shared,
			Tags:      zipkinTags(s),
		}
		if s.TraceID[0]|s.TraceID[1]|s.TraceID[2]|s.TraceID[3]|s.TraceID[4]|s.TraceID[5]|s.TraceID[6]|s.TraceID[7] == 0 {
			zs.TraceId = zs.TraceId[8:] // a 64-bit trace ID, as Zipkin writes it
		}
		if !s.ParentID.IsZero() {
			zs.ParentId = append([]byte(nil), s.ParentID[:]...)
		}
		if s.Service != "" {
			zs.LocalEndpoint = &zipkinpb.Endpoint{ServiceName: s.Service}
		}
		if s.Peer.RemoteService != "" {
			zs.RemoteEndpoint = &zipkinpb.Endpoint{ServiceName: s.Peer.RemoteService}
		}
		list.Spans = append(list.Spans, zs)
	}
	return proto.Marshal(list)
}

func beUint64(b []byte) uint64 {
	var v uint64
	for _, c := range b {
		v = v<<8 | uint64(c)
	}
	return v
}

// jaegerCheck reports what Jaeger cannot carry: Zipkin's shared halves and
// remote endpoint, and a link into the span's own trace on a span without a
// parent (Jaeger would read that reference as the parent).
func jaegerCheck(i int, s *span.Span) error {
	if s.Shared || s.Peer.RemoteService != "" {
		return fmt.Errorf("span %d: Jaeger has no shared halves or remote endpoints", i)
	}
	if s.Service == "" {
		return fmt.Errorf("span %d: %w", i, errNoLocalService)
	}
	for _, l := range s.Links {
		if l.TraceID == s.TraceID && s.ParentID.IsZero() {
			return fmt.Errorf("span %d: a link in its own trace would be its Jaeger parent", i)
		}
	}
	return nil
}

// jaegerTags are a span's Jaeger tags: span.kind, the sampler, and the
// status as Jaeger's OTLP translation writes it.
func jaegerTags(s *span.Span) []tag {
	var out []tag
	if s.Kind != span.KindUnspecified {
		out = append(out, tag{"span.kind", s.Kind.String()})
	}
	out = append(out, samplerTags(s.SamplingProbability)...)
	return append(out, spanTags(s, true)...)
}

func jaegerKV(t tag) jaeger.KeyValue {
	switch x := t.val.(type) {
	case string:
		return jaeger.String(t.key, x)
	case int64:
		return jaeger.Int64(t.key, x)
	case bool:
		return jaeger.Bool(t.key, x)
	case float64:
		return jaeger.Float64(t.key, x)
	}
	panic(fmt.Sprintf("unsupported value %T", t.val))
}

func jaegerProcess(s *span.Span) jaeger.Process {
	p := jaeger.Process{ServiceName: s.Service}
	if s.Namespace != "" {
		p.Tags = []jaeger.KeyValue{jaeger.String("service.namespace", s.Namespace)}
	}
	return p
}

func jaegerTraceID(t span.TraceID) jaeger.TraceID {
	return jaeger.TraceID{High: beUint64(t[:8]), Low: beUint64(t[8:])}
}

func jaegerModelSpan(s *span.Span) *jaeger.Span {
	js := &jaeger.Span{
		TraceID:       jaegerTraceID(s.TraceID),
		SpanID:        jaeger.SpanID(beUint64(s.SpanID[:])),
		OperationName: s.Name,
		StartTime:     time.Unix(0, s.Start).UTC(),
		Duration:      time.Duration(s.Duration),
	}
	if !s.ParentID.IsZero() {
		js.References = append(js.References, jaeger.NewChildOfRef(js.TraceID, jaeger.SpanID(beUint64(s.ParentID[:]))))
	}
	for _, l := range s.Links {
		js.References = append(js.References, jaeger.NewFollowsFromRef(jaegerTraceID(l.TraceID), jaeger.SpanID(beUint64(l.SpanID[:]))))
	}
	for _, t := range jaegerTags(s) {
		js.Tags = append(js.Tags, jaegerKV(t))
	}
	return js
}

// writeJaegerProto writes one model.Trace (process map) when the spans are of
// one trace, else an api_v2 SpansResponseChunk (processes inline), as the
// query service streams them.
func writeJaegerProto(spans []span.Span) ([]byte, error) {
	traces := map[span.TraceID]bool{}
	for i := range spans {
		if err := jaegerCheck(i, &spans[i]); err != nil {
			return nil, err
		}
		traces[spans[i].TraceID] = true
	}
	if len(traces) > 1 {
		chunk := &api_v2.SpansResponseChunk{}
		for i := range spans {
			js := jaegerModelSpan(&spans[i])
			p := jaegerProcess(&spans[i])
			js.Process = &p
			chunk.Spans = append(chunk.Spans, *js)
		}
		return chunk.Marshal()
	}
	tr := &jaeger.Trace{}
	pids := map[string]string{}
	for i := range spans {
		p := jaegerProcess(&spans[i])
		key := spans[i].Service + "\x00" + spans[i].Namespace
		pid, ok := pids[key]
		if !ok {
			pid = "p" + strconv.Itoa(len(pids)+1)
			pids[key] = pid
			tr.ProcessMap = append(tr.ProcessMap, jaeger.Trace_ProcessMapping{ProcessID: pid, Process: p})
		}
		js := jaegerModelSpan(&spans[i])
		js.ProcessID = pid
		tr.Spans = append(tr.Spans, js)
	}
	return tr.Marshal()
}

// writeJaegerJSON writes Jaeger's query JSON ({"data":[trace...]}, one trace
// per trace ID in order of first appearance), as GET /api/traces serves it.
func writeJaegerJSON(spans []span.Span) ([]byte, error) {
	type obj = map[string]any
	type trace struct {
		id        span.TraceID
		spans     []obj
		processes obj
		pids      map[string]string
	}
	var order []*trace
	byID := map[span.TraceID]*trace{}
	jtags := func(tags []tag) []obj {
		out := []obj{}
		for _, t := range tags {
			typ := map[string]string{"string": "string", "int64": "int64", "bool": "bool", "float64": "float64"}[fmt.Sprintf("%T", t.val)]
			out = append(out, obj{"key": t.key, "type": typ, "value": t.val})
		}
		return out
	}
	for i := range spans {
		s := &spans[i]
		if err := jaegerCheck(i, s); err != nil {
			return nil, err
		}
		tr := byID[s.TraceID]
		if tr == nil {
			tr = &trace{id: s.TraceID, processes: obj{}, pids: map[string]string{}}
			byID[s.TraceID] = tr
			order = append(order, tr)
		}
		key := s.Service + "\x00" + s.Namespace
		pid, ok := tr.pids[key]
		if !ok {
			pid = "p" + strconv.Itoa(len(tr.pids)+1)
			tr.pids[key] = pid
			var ptags []tag
			if s.Namespace != "" {
				ptags = append(ptags, tag{"service.namespace", s.Namespace})
			}
			tr.processes[pid] = obj{"serviceName": s.Service, "tags": jtags(ptags)}
		}
		refs := []obj{}
		if !s.ParentID.IsZero() {
			refs = append(refs, obj{"refType": "CHILD_OF", "traceID": hex.EncodeToString(s.TraceID[:]), "spanID": hex.EncodeToString(s.ParentID[:])})
		}
		for _, l := range s.Links {
			refs = append(refs, obj{"refType": "FOLLOWS_FROM", "traceID": hex.EncodeToString(l.TraceID[:]), "spanID": hex.EncodeToString(l.SpanID[:])})
		}
		tr.spans = append(tr.spans, obj{
			"traceID":       hex.EncodeToString(s.TraceID[:]),
			"spanID":        hex.EncodeToString(s.SpanID[:]),
			"operationName": s.Name,
			"references":    refs,
			"startTime":     s.Start / 1000,
			"duration":      s.Duration / 1000,
			"tags":          jtags(jaegerTags(s)),
			"logs":          []obj{},
			"processID":     pid,
			"warnings":      nil,
		})
	}
	data := []obj{}
	for _, tr := range order {
		data = append(data, obj{"traceID": hex.EncodeToString(tr.id[:]), "spans": tr.spans, "processes": tr.processes, "warnings": nil})
	}
	return marshalLines(obj{"data": data, "total": 0, "limit": 0, "offset": 0, "errors": nil})
}
