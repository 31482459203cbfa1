package decode

import (
	"errors"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/graph/span"
)

// Field numbers of opentelemetry/proto/trace/v1/trace.proto,
// common/v1/common.proto and resource/v1/resource.proto.
const (
	otlpTracesResourceSpans = 1 // TracesData / ExportTraceServiceRequest

	otlpRSResource   = 1 // ResourceSpans
	otlpRSScopeSpans = 2

	otlpResourceAttributes = 1 // Resource

	otlpSSSpans = 2 // ScopeSpans

	otlpSpanTraceID      = 1 // Span
	otlpSpanSpanID       = 2
	otlpSpanTraceState   = 3
	otlpSpanParentSpanID = 4
	otlpSpanName         = 5
	otlpSpanKind         = 6
	otlpSpanStart        = 7
	otlpSpanEnd          = 8
	otlpSpanAttributes   = 9
	otlpSpanLinks        = 13
	otlpSpanStatus       = 15

	otlpLinkTraceID = 1 // Span.Link
	otlpLinkSpanID  = 2

	otlpStatusCode  = 3 // Status
	otlpStatusError = 2 // STATUS_CODE_ERROR

	otlpKVKey   = 1 // KeyValue
	otlpKVValue = 2

	otlpAnyString = 1 // AnyValue
	otlpAnyBool   = 2
	otlpAnyInt    = 3
	otlpAnyDouble = 4
)

// otlpProto decodes OTLP protobuf (ExportTraceServiceRequest or TracesData).
type otlpProto struct {
	em *emitter
	in *interner
	a  attrs
	v  value
}

func wantField1(n protowire.Number) bool { return n == 1 }

func (d *otlpProto) run(src *pbStream) error {
	for {
		f, err := src.next(wantField1)
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return d.wrap(err, -1)
		}
		if f.num != otlpTracesResourceSpans || f.typ != protowire.BytesType {
			continue
		}
		if err := d.resourceSpans(msgReader{b: f.data, base: f.start}); err != nil {
			return err
		}
	}
}

// wrap turns an internal error into an *Error for the span at index idx.
func (d *otlpProto) wrap(err error, idx int) error {
	return wrapPB(OTLPProto, err, idx, -1)
}

// wrapPB builds the *Error of a protobuf decoder.
func wrapPB(f Format, err error, idx int, off int64) error {
	var ce *callbackError
	if errors.As(err, &ce) {
		return err
	}
	var pe *pbError
	if errors.As(err, &pe) {
		off = pe.off
		err = pe.err
	}
	return &Error{Format: f, Offset: off, Index: idx, Err: err}
}

func (d *otlpProto) resourceSpans(m msgReader) error {
	// The resource usually comes first, but protobuf allows any order: find
	// it before decoding the spans.
	var res attrs
	scan := m
	for scan.more() {
		num, typ, data, _, err := scan.field()
		if err != nil {
			return d.wrap(err, -1)
		}
		if num == otlpRSResource && typ == protowire.BytesType {
			if err := d.resource(msgReader{b: data, base: scan.offsetOf(data)}, &res); err != nil {
				return d.wrap(err, -1)
			}
		}
	}
	service := res.serviceName
	if service == "" {
		service = UnknownService
	}
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return d.wrap(err, -1)
		}
		if num != otlpRSScopeSpans || typ != protowire.BytesType {
			continue
		}
		ss := msgReader{b: data, base: m.offsetOf(data)}
		for ss.more() {
			num, typ, data, _, err := ss.field()
			if err != nil {
				return d.wrap(err, -1)
			}
			if num != otlpSSSpans || typ != protowire.BytesType {
				continue
			}
			s := d.em.next()
			s.Service, s.Namespace = service, res.namespace
			off := ss.offsetOf(data)
			if err := d.span(msgReader{b: data, base: off}, s); err != nil {
				d.em.drop()
				return d.wrap(err, d.em.index()) // offset from the error, else the span
			}
			if err := d.em.done(); err != nil {
				return err
			}
		}
	}
	return nil
}

// resource reads service.name and service.namespace from a Resource.
func (d *otlpProto) resource(m msgReader, res *attrs) error {
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return err
		}
		if num == otlpResourceAttributes && typ == protowire.BytesType {
			if err := d.keyValue(data, res, m.offsetOf(data)); err != nil {
				return err
			}
		}
	}
	return nil
}

func (d *otlpProto) span(m msgReader, s *span.Span) error {
	d.a = attrs{}
	var traceID, spanID, parentID []byte
	var hasTraceID bool
	var start, end uint64
	for m.more() {
		num, typ, data, v, err := m.field()
		if err != nil {
			return err
		}
		if typ == protowire.BytesType {
			switch num {
			case otlpSpanTraceID:
				traceID, hasTraceID = data, true
			case otlpSpanSpanID:
				spanID = data
			case otlpSpanParentSpanID:
				parentID = data
			case otlpSpanTraceState:
				s.SamplingProbability = traceStateProbability(data)
			case otlpSpanName:
				s.Name = d.in.str(data)
			case otlpSpanAttributes:
				if err := d.keyValue(data, &d.a, m.offsetOf(data)); err != nil {
					return err
				}
			case otlpSpanLinks:
				if err := d.link(data, s); err != nil {
					return &pbError{off: m.offsetOf(data), err: err}
				}
			case otlpSpanStatus:
				if code, err := statusCodeOf(data); err != nil {
					return &pbError{off: m.offsetOf(data), err: err}
				} else if code == otlpStatusError {
					s.StatusError = true
				}
			}
			continue
		}
		switch {
		case num == otlpSpanKind && typ == protowire.VarintType:
			s.Kind = otlpKind(v)
		case num == otlpSpanStart && typ == protowire.Fixed64Type:
			start = v
		case num == otlpSpanEnd && typ == protowire.Fixed64Type:
			end = v
		}
	}
	var err error
	if !hasTraceID {
		return &pbError{off: m.base, err: fieldErr("trace_id", ErrInvalidID, "missing")}
	}
	if s.TraceID, err = traceIDBytes("trace_id", traceID, false); err != nil {
		return &pbError{off: m.base, err: err}
	}
	if s.SpanID, err = spanIDBytes("span_id", spanID); err == nil {
		err = requireSpanID("span_id", s.SpanID)
	}
	if err != nil {
		return &pbError{off: m.base, err: err}
	}
	if s.ParentID, err = spanIDBytes("parent_span_id", parentID); err != nil {
		return &pbError{off: m.base, err: err}
	}
	s.Start, s.Duration = nanoSpan(start, end)
	d.a.apply(s)
	return nil
}

// nanoSpan converts OTLP start and end times to a start and a duration >= 0.
func nanoSpan(start, end uint64) (int64, int64) {
	var dur int64
	if end > start {
		dur = int64(min(end-start, math.MaxInt64))
	}
	return int64(min(start, math.MaxInt64)), dur
}

// keyValue decodes one KeyValue and records it if its key is kept. off is
// the offset of b, for errors.
func (d *otlpProto) keyValue(b []byte, a *attrs, off int64) error {
	// Fast path: the key comes first with a one-byte length, and most keys
	// are not kept, so the value need not be looked at.
	if len(b) >= 2 && b[0] == otlpKVKey<<3|byte(protowire.BytesType) && b[1] < 0x80 && 2+int(b[1]) <= len(b) {
		if lookupKey(b[2:2+b[1]]) == keyNone {
			return nil
		}
	}
	m := msgReader{b: b, base: off}
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
		case otlpKVKey:
			key = data
		case otlpKVValue:
			val = data
		}
	}
	k := lookupKey(key)
	if k == keyNone {
		return nil
	}
	v := &d.v
	*v = value{}
	m = msgReader{b: val, base: off}
	for m.more() {
		num, typ, data, x, err := m.field()
		if err != nil {
			return err
		}
		switch {
		case num == otlpAnyString && typ == protowire.BytesType:
			v.kind, v.str = valString, data
		case num == otlpAnyBool && typ == protowire.VarintType:
			v.kind, v.b = valBool, x != 0
		case num == otlpAnyInt && typ == protowire.VarintType:
			v.kind, v.i = valInt, int64(x)
		case num == otlpAnyDouble && typ == protowire.Fixed64Type:
			v.kind, v.f = valFloat, math.Float64frombits(x)
		case num >= 5 && num <= 8:
			v.kind = valNone // array, kvlist, bytes: not kept
		}
	}
	a.set(k, v, d.in)
	return nil
}

// link decodes a Span.Link; links with a zero trace or span ID are dropped.
func (d *otlpProto) link(b []byte, s *span.Span) error {
	m := msgReader{b: b}
	var tid, sid []byte
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return err
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case otlpLinkTraceID:
			tid = data
		case otlpLinkSpanID:
			sid = data
		}
	}
	if len(tid) == 0 && len(sid) == 0 {
		return nil
	}
	var l span.Link
	var err error
	if l.TraceID, err = traceIDBytes("links.trace_id", tid, false); err != nil {
		if errors.Is(err, ErrInvalidID) && len(tid) == 16 {
			return nil // all zeros
		}
		return err
	}
	if l.SpanID, err = spanIDBytes("links.span_id", sid); err != nil {
		return err
	}
	if !l.SpanID.IsZero() {
		s.Links = append(s.Links, l)
	}
	return nil
}

// statusCodeOf returns Status.code.
func statusCodeOf(b []byte) (uint64, error) {
	m := msgReader{b: b}
	var code uint64
	for m.more() {
		num, typ, _, v, err := m.field()
		if err != nil {
			return 0, err
		}
		if num == otlpStatusCode && typ == protowire.VarintType {
			code = v
		}
	}
	return code, nil
}
