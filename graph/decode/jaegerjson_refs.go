package decode

import "github.com/spanmap/spanmap/graph/span"

// processes decodes the trace's map from process ID to process and gives
// the held spans their services.
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
