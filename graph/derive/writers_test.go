package derive

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph/span"
)

// Writers that render Go-built test spans as OTLP/JSON, Zipkin v2 JSON and
// Jaeger query JSON, to generate the golden inputs (go test -gen). Each
// reports false when the spans use something the format cannot carry.

func hexTrace(t span.TraceID) string { return hex.EncodeToString(t[:]) }
func hexSpan(s span.SpanID) string   { return hex.EncodeToString(s[:]) }

// peerTags lists the span's peer attributes as OTel/Jaeger tag names.
func peerTags(s *span.Span) [][2]string {
	var out [][2]string
	add := func(k, v string) {
		if v != "" {
			out = append(out, [2]string{k, v})
		}
	}
	add("peer.service", s.Peer.Service)
	add("db.system", s.Peer.DBSystem)
	add("db.name", s.Peer.DBName)
	add("messaging.system", s.Peer.MessagingSystem)
	add("messaging.destination.name", s.Peer.Destination)
	add("server.address", s.Peer.ServerAddress)
	add("net.peer.name", s.Peer.NetPeerName)
	return out
}

func writeOTLP(spans []span.Span) ([]byte, bool) {
	type kv = map[string]any
	attr := func(k, v string) kv { return kv{"key": k, "value": kv{"stringValue": v}} }
	var rs []kv
	for i := range spans {
		s := &spans[i]
		if s.Shared || s.Peer.RemoteService != "" {
			return nil, false
		}
		if s.Service == "" {
			return nil, false // OTLP names a span without service.name unknown_service
		}
		res := []kv{attr("service.name", s.Service)}
		if s.Namespace != "" {
			res = append(res, attr("service.namespace", s.Namespace))
		}
		var attrs []kv
		for _, t := range peerTags(s) {
			attrs = append(attrs, attr(t[0], t[1]))
		}
		if s.ErrorTag {
			attrs = append(attrs, kv{"key": "error", "value": kv{"boolValue": true}})
		}
		if s.HTTPStatus != 0 {
			attrs = append(attrs, kv{"key": "http.response.status_code", "value": kv{"intValue": strconv.Itoa(int(s.HTTPStatus))}})
		}
		sp := kv{
			"traceId":           hexTrace(s.TraceID),
			"spanId":            hexSpan(s.SpanID),
			"name":              s.Name,
			"kind":              int(otlpKind(s.Kind)),
			"startTimeUnixNano": strconv.FormatInt(s.Start, 10),
			"endTimeUnixNano":   strconv.FormatInt(s.Start+s.Duration, 10),
		}
		if !s.ParentID.IsZero() {
			sp["parentSpanId"] = hexSpan(s.ParentID)
		}
		if len(attrs) > 0 {
			sp["attributes"] = attrs
		}
		if s.StatusError {
			sp["status"] = kv{"code": 2}
		}
		var links []kv
		for _, l := range s.Links {
			links = append(links, kv{"traceId": hexTrace(l.TraceID), "spanId": hexSpan(l.SpanID)})
		}
		if len(links) > 0 {
			sp["links"] = links
		}
		rs = append(rs, kv{
			"resource":   kv{"attributes": res},
			"scopeSpans": []kv{{"scope": kv{"name": "spanmap-golden"}, "spans": []kv{sp}}},
		})
	}
	b, err := json.MarshalIndent(kv{"resourceSpans": rs}, "", " ")
	return append(b, '\n'), err == nil
}

func otlpKind(k span.Kind) int {
	switch k {
	case span.KindInternal:
		return 1
	case span.KindServer:
		return 2
	case span.KindClient:
		return 3
	case span.KindProducer:
		return 4
	case span.KindConsumer:
		return 5
	}
	return 0
}

func writeZipkin(spans []span.Span) ([]byte, bool) {
	type kv = map[string]any
	var out []kv
	for i := range spans {
		s := &spans[i]
		if len(s.Links) > 0 || s.StatusError || s.Namespace != "" {
			return nil, false
		}
		z := kv{
			"traceId":   hexTrace(s.TraceID),
			"id":        hexSpan(s.SpanID),
			"name":      s.Name,
			"timestamp": s.Start / 1000,
			"duration":  s.Duration / 1000,
		}
		if !s.ParentID.IsZero() {
			z["parentId"] = hexSpan(s.ParentID)
		}
		if k := strings.ToUpper(s.Kind.String()); s.Kind != span.KindUnspecified && s.Kind != span.KindInternal {
			z["kind"] = k
		}
		if s.Service != "" {
			z["localEndpoint"] = kv{"serviceName": s.Service}
		}
		if s.Peer.RemoteService != "" {
			z["remoteEndpoint"] = kv{"serviceName": s.Peer.RemoteService}
		}
		if s.Shared {
			z["shared"] = true
		}
		tags := map[string]string{}
		for _, t := range peerTags(s) {
			tags[t[0]] = t[1]
		}
		if s.ErrorTag {
			tags["error"] = ""
		}
		if s.HTTPStatus != 0 {
			tags["http.status_code"] = strconv.Itoa(int(s.HTTPStatus))
		}
		if len(tags) > 0 {
			z["tags"] = tags
		}
		out = append(out, z)
	}
	b, err := json.MarshalIndent(out, "", " ")
	return append(b, '\n'), err == nil
}

func writeJaeger(spans []span.Span) ([]byte, bool) {
	type kv = map[string]any
	type trace struct {
		spans []kv
		procs kv
		ids   map[string]string
	}
	var order []span.TraceID
	traces := map[span.TraceID]*trace{}
	for i := range spans {
		s := &spans[i]
		if s.Service == "" || s.Peer.RemoteService != "" || s.StatusError {
			return nil, false
		}
		t := traces[s.TraceID]
		if t == nil {
			t = &trace{procs: kv{}, ids: map[string]string{}}
			traces[s.TraceID] = t
			order = append(order, s.TraceID)
		}
		pk := s.Service + "\x00" + s.Namespace
		pid, ok := t.ids[pk]
		if !ok {
			pid = "p" + strconv.Itoa(len(t.ids)+1)
			t.ids[pk] = pid
			var ptags []kv
			if s.Namespace != "" {
				ptags = append(ptags, kv{"key": "service.namespace", "type": "string", "value": s.Namespace})
			}
			t.procs[pid] = kv{"serviceName": s.Service, "tags": ptags}
		}
		var tags []kv
		if s.Kind != span.KindUnspecified {
			tags = append(tags, kv{"key": "span.kind", "type": "string", "value": s.Kind.String()})
		}
		for _, tg := range peerTags(s) {
			tags = append(tags, kv{"key": tg[0], "type": "string", "value": tg[1]})
		}
		if s.ErrorTag {
			tags = append(tags, kv{"key": "error", "type": "bool", "value": true})
		}
		if s.HTTPStatus != 0 {
			tags = append(tags, kv{"key": "http.status_code", "type": "int64", "value": s.HTTPStatus})
		}
		var refs []kv
		if !s.ParentID.IsZero() {
			refs = append(refs, kv{"refType": "CHILD_OF", "traceID": hexTrace(s.TraceID), "spanID": hexSpan(s.ParentID)})
		}
		for _, l := range s.Links {
			refs = append(refs, kv{"refType": "FOLLOWS_FROM", "traceID": hexTrace(l.TraceID), "spanID": hexSpan(l.SpanID)})
		}
		t.spans = append(t.spans, kv{
			"traceID":       hexTrace(s.TraceID),
			"spanID":        hexSpan(s.SpanID),
			"operationName": s.Name,
			"references":    refs,
			"startTime":     s.Start / 1000,
			"duration":      s.Duration / 1000,
			"tags":          tags,
			"processID":     pid,
		})
	}
	var data []kv
	for _, id := range order {
		t := traces[id]
		data = append(data, kv{"traceID": hexTrace(id), "spans": t.spans, "processes": t.procs})
	}
	b, err := json.MarshalIndent(kv{"data": data}, "", " ")
	return append(b, '\n'), err == nil
}
