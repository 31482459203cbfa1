package decode

import (
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/spanmap/spanmap/graph/span"
)

// Field numbers of Jaeger's model.proto (jaeger-idl, package jaeger.api_v2).
const (
	jaegerTraceSpans      = 1 // Trace, SpansResponseChunk
	jaegerTraceProcessMap = 2 // Trace

	jaegerPMProcessID = 1 // Trace.ProcessMapping
	jaegerPMProcess   = 2

	jaegerSpanTraceID    = 1 // Span
	jaegerSpanSpanID     = 2
	jaegerSpanOperation  = 3
	jaegerSpanReferences = 4
	jaegerSpanStartTime  = 6
	jaegerSpanDuration   = 7
	jaegerSpanTags       = 8
	jaegerSpanProcess    = 10
	jaegerSpanProcessID  = 11

	jaegerRefTraceID = 1 // SpanRef
	jaegerRefSpanID  = 2
	jaegerRefType    = 3 // CHILD_OF = 0, FOLLOWS_FROM = 1

	jaegerProcService = 1 // Process
	jaegerProcTags    = 2

	jaegerKVKey   = 1 // KeyValue
	jaegerKVType  = 2 // STRING, BOOL, INT64, FLOAT64, BINARY
	jaegerKVStr   = 3
	jaegerKVBool  = 4
	jaegerKVInt   = 5
	jaegerKVFloat = 6

	pbTimeSeconds = 1 // google.protobuf.Timestamp and Duration
	pbTimeNanos   = 2
)

// jaegerProto decodes Jaeger's protobuf model: a model.Trace or an api_v2
// SpansResponseChunk (both carry spans in field 1), span by span. Spans with
// an inline process go out at once; spans naming a process ID are held until
// the trace's process map (field 2, after the spans) has been read.
type jaegerProto struct {
	em  *emitter
	in  *interner
	max int64
	a   attrs
	v   value

	procs     map[string]process
	pids      []string // process IDs of held spans, "" when resolved
	heldBytes int64
	refs      []jaegerRef
}

func wantJaegerTop(n protowire.Number) bool {
	return n == jaegerTraceSpans || n == jaegerTraceProcessMap
}

func (d *jaegerProto) run(src *pbStream) error {
	d.procs = make(map[string]process)
	for {
		f, err := src.next(wantJaegerTop)
		if err == io.EOF {
			break
		}
		if err != nil {
			return wrapPB(JaegerProto, err, -1, -1)
		}
		if f.typ != protowire.BytesType {
			continue
		}
		m := msgReader{b: f.data, base: f.start}
		switch f.num {
		case jaegerTraceSpans:
			err = d.span(m)
		case jaegerTraceProcessMap:
			err = d.processMapping(m)
		}
		if err != nil {
			return err
		}
	}
	d.resolve()
	return d.em.release()
}

func (d *jaegerProto) span(m msgReader) error {
	s := d.em.next()
	pid, err := d.fields(m, s)
	if err != nil {
		d.em.drop()
		d.em.discardHeld()
		return wrapPB(JaegerProto, err, d.em.index(), m.base)
	}
	if pid == "" && d.em.hold < 0 {
		return d.em.done()
	}
	if d.em.hold < 0 {
		d.em.hold = len(d.em.batch) - 1
	}
	d.pids = append(d.pids, pid)
	d.heldBytes += int64(len(m.b))
	if d.heldBytes > d.max {
		d.em.discardHeld()
		return &Error{Format: JaegerProto, Offset: m.base, Index: d.em.index(),
			Err: fmt.Errorf("%w: spans waiting for the process map exceed %d bytes", ErrTooLarge, d.max)}
	}
	return nil
}

// resolve gives held spans the service of their process.
func (d *jaegerProto) resolve() {
	held := d.em.held()
	for i := range held {
		if i < len(d.pids) && d.pids[i] != "" {
			setProcess(&held[i], d.procs[d.pids[i]])
		}
	}
	d.pids = d.pids[:0]
	d.heldBytes = 0
}

func (d *jaegerProto) processMapping(m msgReader) error {
	var id string
	var p process
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return wrapPB(JaegerProto, err, -1, -1)
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case jaegerPMProcessID:
			id = d.in.str(data)
		case jaegerPMProcess:
			if p, err = d.process(msgReader{b: data, base: m.offsetOf(data)}); err != nil {
				return wrapPB(JaegerProto, err, -1, -1)
			}
		}
	}
	d.procs[id] = p
	return nil
}

func (d *jaegerProto) process(m msgReader) (process, error) {
	var p process
	var a attrs
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return p, err
		}
		if typ != protowire.BytesType {
			continue
		}
		switch num {
		case jaegerProcService:
			p.service = d.in.str(data)
		case jaegerProcTags:
			if err := d.keyValue(msgReader{b: data, base: m.offsetOf(data)}, &a); err != nil {
				return p, err
			}
		}
	}
	p.namespace = a.namespace
	return p, nil
}

// fields decodes a span; it returns the process ID still to resolve.
func (d *jaegerProto) fields(m msgReader, s *span.Span) (string, error) {
	d.a = attrs{}
	d.refs = d.refs[:0]
	var traceID, spanID []byte
	var hasTrace bool
	var pid string
	var inline *process
	var inl process
	for m.more() {
		num, typ, data, _, err := m.field()
		if err != nil {
			return "", err
		}
		if typ != protowire.BytesType {
			continue
		}
		sub := msgReader{b: data, base: m.offsetOf(data)}
		switch num {
		case jaegerSpanTraceID:
			traceID, hasTrace = data, true
		case jaegerSpanSpanID:
			spanID = data
		case jaegerSpanOperation:
			s.Name = d.in.str(data)
		case jaegerSpanReferences:
			err = d.reference(sub)
		case jaegerSpanStartTime:
			s.Start, err = pbTime(sub)
		case jaegerSpanDuration:
			s.Duration, err = pbTime(sub)
		case jaegerSpanTags:
			err = d.keyValue(sub, &d.a)
		case jaegerSpanProcess:
			if inl, err = d.process(sub); err == nil {
				inline = &inl
			}
		case jaegerSpanProcessID:
			pid = d.in.str(data)
		}
		if err != nil {
			return "", err
		}
	}
	var err error
	if !hasTrace {
		return "", fieldErr("trace_id", ErrInvalidID, "missing")
	}
	if s.TraceID, err = traceIDBytes("trace_id", traceID, true); err != nil {
		return "", err
	}
	if s.SpanID, err = spanIDBytes("span_id", spanID); err == nil {
		err = requireSpanID("span_id", s.SpanID)
	}
	if err != nil {
		return "", err
	}
	parentFromRefs(s, d.refs)
	s.Duration = max(0, s.Duration)
	d.a.apply(s)
	p, known := d.procs[pid]
	switch {
	case inline != nil:
		setProcess(s, *inline)
		pid = ""
	case known || pid == "":
		setProcess(s, p)
		pid = ""
	}
	return pid, nil
}

func (d *jaegerProto) reference(m msgReader) error {
	var r jaegerRef
	r.childOf = true // CHILD_OF is 0, the default
	for m.more() {
		num, typ, data, v, err := m.field()
		if err != nil {
			return err
		}
		switch {
		case num == jaegerRefTraceID && typ == protowire.BytesType:
			if r.traceID, err = traceIDBytes("references.trace_id", data, true); err != nil {
				return &pbError{off: m.offsetOf(data), err: err}
			}
			r.hasTID = true
		case num == jaegerRefSpanID && typ == protowire.BytesType:
			if r.spanID, err = spanIDBytes("references.span_id", data); err != nil {
				return &pbError{off: m.offsetOf(data), err: err}
			}
		case num == jaegerRefType && typ == protowire.VarintType:
			r.childOf = v == 0
		}
	}
	d.refs = append(d.refs, r)
	return nil
}

// keyValue decodes a Jaeger KeyValue into a when its key is kept.
func (d *jaegerProto) keyValue(m msgReader, a *attrs) error {
	var key, str []byte
	var vtype, iv, fv uint64
	var bv bool
	for m.more() {
		num, typ, data, x, err := m.field()
		if err != nil {
			return err
		}
		switch {
		case num == jaegerKVKey && typ == protowire.BytesType:
			key = data
		case num == jaegerKVType && typ == protowire.VarintType:
			vtype = x
		case num == jaegerKVStr && typ == protowire.BytesType:
			str = data
		case num == jaegerKVBool && typ == protowire.VarintType:
			bv = x != 0
		case num == jaegerKVInt && typ == protowire.VarintType:
			iv = x
		case num == jaegerKVFloat && typ == protowire.Fixed64Type:
			fv = x
		}
	}
	k := lookupKey(key)
	if k == keyNone {
		return nil
	}
	v := &d.v
	*v = value{}
	switch vtype {
	case 0:
		v.kind, v.str = valString, str
	case 1:
		v.kind, v.b = valBool, bv
	case 2:
		v.kind, v.i = valInt, int64(iv)
	case 3:
		v.kind, v.f = valFloat, math.Float64frombits(fv)
	}
	a.set(k, v, d.in)
	return nil
}

// pbTime decodes a google.protobuf.Timestamp or Duration to nanoseconds,
// saturating at the int64 range.
func pbTime(m msgReader) (int64, error) {
	var sec, nanos int64
	for m.more() {
		num, typ, _, v, err := m.field()
		if err != nil {
			return 0, err
		}
		if typ != protowire.VarintType {
			continue
		}
		switch num {
		case pbTimeSeconds:
			sec = int64(v)
		case pbTimeNanos:
			nanos = int64(int32(v))
		}
	}
	const maxSec = math.MaxInt64/1_000_000_000 - 1
	switch {
	case sec > maxSec:
		return math.MaxInt64, nil
	case sec < -maxSec:
		return math.MinInt64, nil
	}
	return sec*1_000_000_000 + nanos, nil
}
