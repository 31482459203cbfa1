package decode

import (
	"io"
	"net/netip"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/graph/span"
)

// Field numbers of Zipkin's zipkin.proto (package zipkin.proto3).
const (
	zipkinListSpans = 1 // ListOfSpans

	zipkinSpanTraceID  = 1 // Span
	zipkinSpanParentID = 2
	zipkinSpanID       = 3
	zipkinSpanKind     = 4 // CLIENT = 1, SERVER, PRODUCER, CONSUMER
	zipkinSpanName     = 5
	zipkinSpanTime     = 6
	zipkinSpanDuration = 7
	zipkinSpanLocal    = 8
	zipkinSpanRemote   = 9
	zipkinSpanTags     = 11
	zipkinSpanShared   = 13

	zipkinEPService = 1 // Endpoint
	zipkinEPIPv4    = 2
	zipkinEPIPv6    = 3

	zipkinMapKey   = 1 // map entry
	zipkinMapValue = 2
)

// zipkinProto decodes Zipkin's proto3 ListOfSpans (POST /api/v2/spans with
// Content-Type application/x-protobuf).
type zipkinProto struct {
	em *emitter
	in *interner
	a  attrs
	v  value
}

func (d *zipkinProto) run(src *pbStream) error {
	for {
		f, err := src.next(wantField1)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return wrapPB(ZipkinProto, err, -1, -1)
		}
		if f.num != zipkinListSpans || f.typ != protowire.BytesType {
			continue
		}
		s := d.em.next()
		if err := d.span(msgReader{b: f.data, base: f.start}, s); err != nil {
			d.em.drop()
			return wrapPB(ZipkinProto, err, d.em.index(), f.start)
		}
		if err := d.em.done(); err != nil {
			return err
		}
	}
}

func zipkinKind(n uint64) span.Kind {
	switch n {
	case 1:
		return span.KindClient
	case 2:
		return span.KindServer
	case 3:
		return span.KindProducer
	case 4:
		return span.KindConsumer
	}
	return span.KindUnspecified
}

func (d *zipkinProto) span(m msgReader, s *span.Span) error {
	d.a = attrs{}
	var traceID, spanID, parentID []byte
	var hasTrace bool
	var ts, dur uint64
	var local, remote, remoteIP string
	for m.more() {
		num, typ, data, v, err := m.field()
		if err != nil {
			return err
		}
		if typ == protowire.BytesType {
			switch num {
			case zipkinSpanTraceID:
				traceID, hasTrace = data, true
			case zipkinSpanParentID:
				parentID = data
			case zipkinSpanID:
				spanID = data
			case zipkinSpanName:
				s.Name = d.in.str(data)
			case zipkinSpanLocal:
				err = d.endpoint(msgReader{b: data, base: m.offsetOf(data)}, &local, nil)
			case zipkinSpanRemote:
				err = d.endpoint(msgReader{b: data, base: m.offsetOf(data)}, &remote, &remoteIP)
			case zipkinSpanTags:
				err = d.tag(msgReader{b: data, base: m.offsetOf(data)})
			}
			if err != nil {
				return err
			}
			continue
		}
		switch {
		case num == zipkinSpanKind && typ == protowire.VarintType:
			s.Kind = zipkinKind(v)
		case num == zipkinSpanTime && typ == protowire.Fixed64Type:
			ts = v
		case num == zipkinSpanDuration && typ == protowire.VarintType:
			dur = v
		case num == zipkinSpanShared && typ == protowire.VarintType:
			s.Shared = v != 0
		}
	}
	var err error
	if !hasTrace {
		return fieldErr("trace_id", ErrInvalidID, "missing")
	}
	if s.TraceID, err = traceIDBytes("trace_id", traceID, true); err != nil {
		return err
	}
	if s.SpanID, err = spanIDBytes("id", spanID); err == nil {
		err = requireSpanID("id", s.SpanID)
	}
	if err != nil {
		return err
	}
	if s.ParentID, err = spanIDBytes("parent_id", parentID); err != nil {
		return err
	}
	s.Service = local // empty without localEndpoint.serviceName (Zipkin: no local service)
	s.Peer.RemoteService = remote
	s.Start = microsToNanos(int64(min(ts, 1<<62)))
	s.Duration = microsToNanos(int64(min(dur, 1<<62)))
	d.a.apply(s)
	if s.Peer.NetPeerName == "" {
		s.Peer.NetPeerName = remoteIP
	}
	return nil
}

func (d *zipkinProto) endpoint(m msgReader, service, ip *string) error {
	var v4, v6 []byte
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return err
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case zipkinEPService:
			*service = d.in.str(data)
		case zipkinEPIPv4:
			v4 = data
		case zipkinEPIPv6:
			v6 = data
		}
	}
	if ip == nil {
		return nil
	}
	var buf [64]byte
	switch {
	case len(v4) == 4:
		*ip = d.in.str(netip.AddrFrom4([4]byte(v4)).AppendTo(buf[:0]))
	case len(v6) == 16:
		*ip = d.in.str(netip.AddrFrom16([16]byte(v6)).AppendTo(buf[:0]))
	}
	return nil
}

// tag decodes one entry of the tags map.
func (d *zipkinProto) tag(m msgReader) error {
	var key, val []byte
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return err
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case zipkinMapKey:
			key = data
		case zipkinMapValue:
			val = data
		}
	}
	if k := lookupKey(key); k != keyNone {
		d.v = value{kind: valString, str: val}
		d.a.set(k, &d.v, d.in)
	}
	return nil
}
