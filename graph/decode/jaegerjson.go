package decode

import (
	"github.com/go-json-experiment/json/jsontext"

	"github.com/spanmap/spanmap/graph/span"
)

// jaegerJSON decodes the JSON of Jaeger's query API (/api/traces and
// /api/traces/{id}): {"data":[trace...]} responses, bare trace objects, or
// a sequence or array of these. A trace is decoded whole, because its spans
// name their process by an ID that the "processes" map, usually after them,
// resolves.
type jaegerJSON struct {
	j  *jsonReader
	em *emitter
	in *interner
	a  attrs
	v  value

	procs     map[string]process // processes of the current trace
	procsSeen bool
	pids      []string // process IDs of the held spans, "" when resolved
	refs      []jaegerRef
}

// process is what spans take from a Jaeger process.
type process struct {
	service, namespace string
}

// jaegerRef is one span reference.
type jaegerRef struct {
	traceID span.TraceID
	spanID  span.SpanID
	childOf bool
	hasTID  bool
}

func (d *jaegerJSON) run() error {
	d.procs = make(map[string]process)
	err := d.j.topLevel(func(k jsontext.Kind) error {
		switch k {
		case '{':
			return d.object(true)
		case '[':
			return d.array()
		}
		d.j.last = d.j.dec.InputOffset()
		return fieldErr("input", ErrSyntax, "want object, got %s", kindName(k))
	})
	return d.j.wrap(err, -1)
}

// array decodes a top-level array of responses or traces.
func (d *jaegerJSON) array() error {
	j := d.j
	if err := j.open('[', "input"); err != nil {
		return err
	}
	for j.more() {
		if err := d.object(true); err != nil {
			return err
		}
	}
	return j.close()
}

// object decodes a response ({"data":[...]}) or a trace ({"traceID",
// "spans", "processes"}); top allows "data".
func (d *jaegerJSON) object(top bool) error {
	j := d.j
	j.startUnit()
	d.beginTrace()
	if err := j.open('{', "trace"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		switch string(name) {
		case "data":
			if !top || j.peek() == 'n' {
				err = j.skip()
				break
			}
			if err = d.endTrace(); err != nil {
				return err
			}
			err = d.traces()
			j.startUnit()
			d.beginTrace()
		case "spans":
			err = d.spans()
		case "processes":
			err = d.processes()
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	if err := j.close(); err != nil {
		return err
	}
	return d.endTrace()
}

// traces decodes the "data" array.
func (d *jaegerJSON) traces() error {
	j := d.j
	if err := j.open('[', "data"); err != nil {
		return err
	}
	for j.more() {
		if err := d.object(false); err != nil {
			return err
		}
	}
	return j.close()
}

func (d *jaegerJSON) beginTrace() {
	clear(d.procs)
	d.procsSeen = false
	d.pids = d.pids[:0]
}

// endTrace resolves and releases the spans held for the processes map.
func (d *jaegerJSON) endTrace() error {
	d.resolve()
	return d.em.release()
}

// resolve gives held spans the service of their process.
func (d *jaegerJSON) resolve() {
	held := d.em.held()
	for i := range held {
		if i >= len(d.pids) || d.pids[i] == "" {
			continue
		}
		p, ok := d.procs[d.pids[i]]
		if !ok || p.service == "" {
			p.service = UnknownService
		}
		held[i].Service = p.service
		if held[i].Namespace == "" {
			held[i].Namespace = p.namespace
		}
	}
	d.pids = d.pids[:0]
}

func (d *jaegerJSON) spans() error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	if err := j.open('[', "spans"); err != nil {
		return err
	}
	if !d.procsSeen {
		d.em.startHold()
	}
	for j.more() {
		s := d.em.next()
		idx := d.em.index()
		pid, err := d.span(s)
		if err == nil {
			err = j.checkUnit("trace")
		}
		if err != nil {
			d.em.drop()
			d.em.discardHeld()
			return j.wrap(err, idx)
		}
		if d.em.hold >= 0 {
			d.pids = append(d.pids, pid)
		} else if err := d.em.done(); err != nil {
			return err
		}
	}
	return j.close()
}

// span decodes one span. It returns the process ID still to resolve, ""
// when the service is known.
func (d *jaegerJSON) span(s *span.Span) (string, error) {
	j := d.j
	d.a = attrs{}
	d.refs = d.refs[:0]
	var hasTrace bool
	var parent span.SpanID
	var start, dur int64
	var pid string
	var inline *process
	var inl process
	if err := j.open('{', "span"); err != nil {
		return "", err
	}
	spanStart := j.dec.InputOffset()
	for j.more() {
		name, err := j.name()
		if err != nil {
			return "", err
		}
		var b []byte
		var ok bool
		switch string(name) {
		case "traceID":
			if b, ok, err = j.str("traceID"); ok {
				s.TraceID, err = parseTraceIDHex("traceID", b, idUpTo)
				hasTrace = true
			}
		case "spanID":
			if b, ok, err = j.str("spanID"); ok {
				s.SpanID, err = parseSpanIDHex("spanID", b, idUpTo)
			}
		case "parentSpanID":
			if b, ok, err = j.str("parentSpanID"); ok && len(b) > 0 {
				parent, err = parseSpanIDHex("parentSpanID", b, idUpTo)
			}
		case "operationName":
			if b, ok, err = j.str("operationName"); ok {
				s.Name = d.in.str(b)
			}
		case "references":
			err = d.references()
		case "startTime":
			start, _, err = j.integer("startTime")
		case "duration":
			dur, _, err = j.integer("duration")
		case "tags":
			err = d.tags(&d.a)
		case "processID":
			if b, ok, err = j.str("processID"); ok {
				pid = d.in.str(b)
			}
		case "process":
			if inl, err = d.process(); err == nil {
				inline = &inl
			}
		default:
			err = j.skip()
		}
		if err != nil {
			return "", err
		}
	}
	if err := j.close(); err != nil {
		return "", err
	}
	if !hasTrace {
		j.last = spanStart - 1
		return "", fieldErr("traceID", ErrInvalidID, "missing")
	}
	if s.SpanID.IsZero() {
		j.last = spanStart - 1
		return "", fieldErr("spanID", ErrInvalidID, "missing or all zeros")
	}
	s.ParentID = parent
	d.parentAndLinks(s)
	s.Start = microsToNanos(start)
	s.Duration = max(0, microsToNanos(dur))
	d.a.apply(s)
	switch p, known := d.procs[pid]; {
	case inline != nil:
		setProcess(s, *inline)
		pid = ""
	case known || d.procsSeen || pid == "":
		setProcess(s, p)
		pid = ""
	}
	return pid, nil
}

func setProcess(s *span.Span, p process) {
	s.Service = p.service
	if s.Service == "" {
		s.Service = UnknownService
	}
	if s.Namespace == "" {
		s.Namespace = p.namespace
	}
}
