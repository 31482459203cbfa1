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

func (d *jaegerJSON) processes() error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	if err := j.open('{', "processes"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		id := d.in.str(name)
		p, err := d.process()
		if err != nil {
			return err
		}
		d.procs[id] = p
	}
	if err := j.close(); err != nil {
		return err
	}
	d.procsSeen = true
	if d.em.hold >= 0 {
		d.resolve()
		return d.em.release()
	}
	return nil
}

// process decodes {"serviceName", "tags"}; a service.namespace tag names
// the namespace.
func (d *jaegerJSON) process() (process, error) {
	j := d.j
	var p process
	if j.peek() == 'n' {
		return p, j.skip()
	}
	if err := j.open('{', "process"); err != nil {
		return p, err
	}
	var a attrs
	for j.more() {
		name, err := j.name()
		if err != nil {
			return p, err
		}
		switch string(name) {
		case "serviceName":
			var b []byte
			var ok bool
			if b, ok, err = j.str("serviceName"); ok {
				p.service = d.in.str(b)
			}
		case "tags":
			err = d.tags(&a)
		default:
			err = j.skip()
		}
		if err != nil {
			return p, err
		}
	}
	p.namespace = a.namespace
	return p, j.close()
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

// parentAndLinks picks the parent among the references as Jaeger does: the
// first CHILD_OF reference in the span's trace, else the first other
// reference in its trace. The remaining references become links.
func (d *jaegerJSON) parentAndLinks(s *span.Span) {
	parentFromRefs(s, d.refs)
}

func parentFromRefs(s *span.Span, refs []jaegerRef) {
	if len(refs) == 0 {
		return
	}
	for i := range refs {
		if !refs[i].hasTID {
			refs[i].traceID = s.TraceID // a reference without trace ID is in the span's trace
		}
	}
	p := -1
	for i, r := range refs {
		if r.childOf && r.traceID == s.TraceID {
			p = i
			break
		}
	}
	if p < 0 {
		for i, r := range refs {
			if r.traceID == s.TraceID {
				p = i
				break
			}
		}
	}
	if p >= 0 {
		s.ParentID = refs[p].spanID
	}
	for i, r := range refs {
		if i != p && !r.spanID.IsZero() {
			s.Links = append(s.Links, span.Link{TraceID: r.traceID, SpanID: r.spanID})
		}
	}
}

func (d *jaegerJSON) references() error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	s, err := j.readRaw('[', "references")
	if err != nil {
		return err
	}
	s.enter()
	for {
		ok, err := j.nextElement(&s, '{', "references")
		if !ok || err != nil {
			return err
		}
		if err := d.reference(&s); err != nil {
			return err
		}
	}
}

// reference decodes {"refType", "traceID", "spanID"}.
func (d *jaegerJSON) reference(s *rawScan) error {
	j := d.j
	var r jaegerRef
	s.enter()
	for s.next() {
		name := s.name(&j.scrNam)
		at := s.offset()
		var b []byte
		var ok bool
		var err error
		switch string(name) {
		case "refType":
			if b, ok, err = s.stringField("references.refType", &j.scr); ok {
				r.childOf = string(b) == "CHILD_OF"
			}
		case "traceID":
			if b, ok, err = s.stringField("references.traceID", &j.scr); ok {
				r.traceID, err = parseTraceIDHex("references.traceID", b, idUpTo)
				r.hasTID = true
			}
		case "spanID":
			if b, ok, err = s.stringField("references.spanID", &j.scr); ok {
				r.spanID, err = parseSpanIDHex("references.spanID", b, idUpTo)
			}
		default:
			s.skip()
		}
		if err != nil {
			j.last = at
			return err
		}
	}
	d.refs = append(d.refs, r)
	return nil
}

// tags decodes [{"key","type","value"}...] into a.
func (d *jaegerJSON) tags(a *attrs) error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	s, err := j.readRaw('[', "tags")
	if err != nil {
		return err
	}
	s.enter()
	for {
		ok, err := j.nextElement(&s, '{', "tags")
		if !ok || err != nil {
			return err
		}
		if err := d.tag(&s, a); err != nil {
			return err
		}
	}
}

func (d *jaegerJSON) tag(s *rawScan, a *attrs) error {
	j := d.j
	var haveKey, haveVal, binary bool
	k := keyNone
	s.enter()
	for s.next() {
		name := s.name(&j.scrNam)
		at := s.offset()
		var b []byte
		var ok bool
		var err error
		switch string(name) {
		case "key":
			if b, ok, err = s.stringField("tags.key", &j.scrKey); ok {
				k, haveKey = lookupKey(b), true
				if k == keyNone {
					s.leaveObject() // not kept: type and value do not matter
					return nil
				}
			}
		case "type":
			if b, ok, err = s.stringField("tags.type", &j.scrKey); ok {
				binary = string(b) == "binary"
			}
		case "value":
			s.scalar(&d.v, &j.scr)
			haveVal = true
		default:
			s.skip()
		}
		if err != nil {
			j.last = at
			return err
		}
	}
	if haveKey && haveVal && !binary {
		a.set(k, &d.v, d.in)
	}
	return nil
}
