package decode

import (
	"github.com/go-json-experiment/json/jsontext"

	"github.com/spanmap/spanmap/graph/span"
)

// otlpJSON decodes OTLP/JSON (ExportTraceServiceRequest or TracesData as
// the OTLP specification encodes them: hex IDs, lowerCamelCase names with
// the proto names also accepted, 64-bit integers as strings or numbers, enums
// as numbers or names). Input may hold several concatenated or
// newline-delimited requests, as the Collector's file exporter writes them.
type otlpJSON struct {
	j  *jsonReader
	em *emitter
	in *interner
	a  attrs
	v  value

	res     attrs // resource of the current resourceSpans
	resSeen bool
}

func (d *otlpJSON) run() error {
	err := d.j.topLevel(func(k jsontext.Kind) error {
		if k != '{' {
			d.j.last = d.j.dec.InputOffset()
			return fieldErr("input", ErrSyntax, "want object, got %s", kindName(k))
		}
		return d.request()
	})
	return d.j.wrap(err, -1)
}

func (d *otlpJSON) request() error {
	j := d.j
	if err := j.open('{', "request"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		switch string(name) {
		case "resourceSpans", "resource_spans", "batches":
			err = d.each("resourceSpans", d.resourceSpans)
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	return j.close()
}

// each calls fn for every element of an array (null is empty).
func (d *otlpJSON) each(field string, fn func() error) error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	if err := j.open('[', field); err != nil {
		return err
	}
	for j.more() {
		if err := fn(); err != nil {
			return err
		}
	}
	return j.close()
}

func (d *otlpJSON) resourceSpans() error {
	j := d.j
	j.startUnit()
	d.res = attrs{}
	d.resSeen = false
	if err := j.open('{', "resourceSpans"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		switch string(name) {
		case "resource":
			if err = d.resource(); err == nil {
				d.resSeen = true
				d.fillHeld()
				err = d.em.release()
			}
		case "scopeSpans", "scope_spans", "instrumentationLibrarySpans", "instrumentation_library_spans":
			err = d.each("scopeSpans", d.scopeSpans)
		default:
			err = j.skip()
		}
		if err != nil {
			d.em.discardHeld()
			return err
		}
	}
	if err := j.close(); err != nil {
		d.em.discardHeld()
		return err
	}
	d.fillHeld()
	return d.em.release()
}

// service returns the service and namespace of the current resource.
func (d *otlpJSON) service() (string, string) {
	if d.res.serviceName == "" {
		return UnknownService, d.res.namespace
	}
	return d.res.serviceName, d.res.namespace
}

// fillHeld gives spans read before their resource its service.
func (d *otlpJSON) fillHeld() {
	svc, ns := d.service()
	held := d.em.held()
	for i := range held {
		held[i].Service = svc
		if held[i].Namespace == "" {
			held[i].Namespace = ns
		}
	}
}

func (d *otlpJSON) resource() error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	if err := j.open('{', "resource"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		switch string(name) {
		case "attributes":
			err = d.attributes(&d.res)
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	return j.close()
}

func (d *otlpJSON) scopeSpans() error {
	j := d.j
	if err := j.open('{', "scopeSpans"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		switch string(name) {
		case "spans":
			err = d.each("spans", d.span)
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	return j.close()
}

func (d *otlpJSON) span() error {
	j := d.j
	if !d.resSeen {
		d.em.startHold()
	}
	s := d.em.next()
	idx := d.em.index()
	err := d.fields(s)
	if err == nil {
		err = j.checkUnit("resourceSpans")
	}
	if err != nil {
		d.em.drop()
		return j.wrap(err, idx)
	}
	if d.resSeen {
		s.Service, s.Namespace = d.service()
		return d.em.done()
	}
	return nil
}

func (d *otlpJSON) fields(s *span.Span) error {
	j := d.j
	d.a = attrs{}
	var hasTrace bool
	var start, end uint64
	if err := j.open('{', "span"); err != nil {
		return err
	}
	spanStart := j.dec.InputOffset() - 1
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		var b []byte
		var ok bool
		switch string(name) {
		case "traceId", "trace_id":
			if b, ok, err = j.str("traceId"); ok {
				s.TraceID, err = otlpTraceID("traceId", b)
				hasTrace = true
			}
		case "spanId", "span_id":
			if b, ok, err = j.str("spanId"); ok {
				s.SpanID, err = otlpSpanID("spanId", b)
			}
		case "parentSpanId", "parent_span_id":
			if b, ok, err = j.str("parentSpanId"); ok && len(b) > 0 {
				s.ParentID, err = otlpSpanID("parentSpanId", b)
			}
		case "traceState", "trace_state":
			if b, ok, err = j.str("traceState"); ok {
				s.SamplingProbability = traceStateProbability(b)
			}
		case "name":
			if b, ok, err = j.str("name"); ok {
				s.Name = d.in.str(b)
			}
		case "kind":
			var n int64
			n, err = d.enum("kind", otlpKindNames)
			s.Kind = otlpKind(uint64(max(n, 0)))
		case "startTimeUnixNano", "start_time_unix_nano":
			start, err = j.unsigned("startTimeUnixNano")
		case "endTimeUnixNano", "end_time_unix_nano":
			end, err = j.unsigned("endTimeUnixNano")
		case "attributes":
			err = d.attributes(&d.a)
		case "links":
			err = d.each("links", func() error { return d.link(s) })
		case "status":
			err = d.status(s)
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
	if !hasTrace {
		j.last = spanStart
		return fieldErr("traceId", ErrInvalidID, "missing")
	}
	if s.SpanID.IsZero() {
		j.last = spanStart
		return fieldErr("spanId", ErrInvalidID, "missing or all zeros")
	}
	s.Start, s.Duration = nanoSpan(start, end)
	d.a.apply(s)
	return nil
}

// otlpKindNames maps the names of OTLP's SpanKind to their numbers.
func otlpKindNames(b []byte) int64 {
	switch string(b) {
	case "SPAN_KIND_UNSPECIFIED":
		return 0
	case "SPAN_KIND_INTERNAL":
		return 1
	case "SPAN_KIND_SERVER":
		return 2
	case "SPAN_KIND_CLIENT":
		return 3
	case "SPAN_KIND_PRODUCER":
		return 4
	case "SPAN_KIND_CONSUMER":
		return 5
	}
	return -1
}

// otlpStatusNames maps the names of OTLP's StatusCode to their numbers.
func otlpStatusNames(b []byte) int64 {
	switch string(b) {
	case "STATUS_CODE_UNSET":
		return 0
	case "STATUS_CODE_OK":
		return 1
	case "STATUS_CODE_ERROR":
		return 2
	}
	return -1
}

// enum reads an enum as a number, a numeric string or a name that byName
// knows; unknown names are -1.
func (d *otlpJSON) enum(field string, byName func([]byte) int64) (int64, error) {
	j := d.j
	if j.peek() == '"' {
		b, _, err := j.str(field)
		if err != nil {
			return 0, err
		}
		if n, ok := parseDecimal(b); ok {
			return n, nil
		}
		return byName(b), nil
	}
	n, _, err := j.integer(field)
	return n, err
}

func (d *otlpJSON) status(s *span.Span) error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	if err := j.open('{', "status"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		switch string(name) {
		case "code":
			var n int64
			if n, err = d.enum("status.code", otlpStatusNames); err == nil && n == otlpStatusError {
				s.StatusError = true
			}
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	return j.close()
}

func (d *otlpJSON) link(s *span.Span) error {
	j := d.j
	if err := j.open('{', "links"); err != nil {
		return err
	}
	var l span.Link
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		var b []byte
		var ok bool
		switch string(name) {
		case "traceId", "trace_id":
			if b, ok, err = j.str("links.traceId"); ok && len(b) > 0 {
				err = otlpID("links.traceId", l.TraceID[:], b)
			}
		case "spanId", "span_id":
			if b, ok, err = j.str("links.spanId"); ok && len(b) > 0 {
				err = otlpID("links.spanId", l.SpanID[:], b)
			}
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	if !l.TraceID.IsZero() && !l.SpanID.IsZero() {
		s.Links = append(s.Links, l)
	}
	return j.close()
}
