package decode

import (
	"math"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/spanmap/spanmap/graph/span"
)

// zipkinJSON decodes Zipkin v2 JSON: an array of spans (POST /api/v2/spans),
// an array of such arrays (GET /api/v2/traces), single span objects, or a
// sequence of any of these.
type zipkinJSON struct {
	j  *jsonReader
	em *emitter
	in *interner
	a  attrs
	v  value
}

func (d *zipkinJSON) run() error {
	err := d.j.topLevel(func(k jsontext.Kind) error {
		switch k {
		case '[':
			return d.list(0)
		case '{':
			return d.span()
		}
		return d.notSpan(k, "input")
	})
	return d.j.wrap(err, -1)
}

// notSpan reads an unexpected value and reports it.
func (d *zipkinJSON) notSpan(k jsontext.Kind, where string) error {
	d.j.last = d.j.dec.InputOffset()
	return fieldErr(where, ErrSyntax, "want span object or array of spans, got %s", kindName(k))
}

// list decodes an array of spans; at depth 0 its elements may be arrays too.
func (d *zipkinJSON) list(depth int) error {
	j := d.j
	if err := j.open('[', "spans"); err != nil {
		return err
	}
	for j.more() {
		var err error
		switch k := j.peek(); {
		case k == '{':
			err = d.span()
		case k == '[' && depth == 0:
			err = d.list(1)
		default:
			err = d.notSpan(k, "array element")
		}
		if err != nil {
			return err
		}
	}
	return j.close()
}

// span decodes one span object into the next batch slot.
func (d *zipkinJSON) span() error {
	j := d.j
	j.startUnit()
	s := d.em.next()
	idx := d.em.index()
	err := d.fields(s)
	if err == nil {
		err = j.checkUnit("span")
	}
	if err != nil {
		d.em.drop()
		return j.wrap(err, idx)
	}
	return d.em.done()
}

func (d *zipkinJSON) fields(s *span.Span) error {
	j := d.j
	d.a = attrs{}
	var hasTrace, hasID bool
	var ts, dur int64
	var local, remote, remoteIP string
	if err := j.open('{', "span"); err != nil {
		return err
	}
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		var b []byte
		var ok bool
		switch string(name) {
		case "traceId":
			if b, ok, err = j.str("traceId"); ok {
				s.TraceID, err = parseTraceIDHex("traceId", b, idUpTo)
				hasTrace = true
			}
		case "id":
			if b, ok, err = j.str("id"); ok {
				s.SpanID, err = parseSpanIDHex("id", b, idUpTo)
				hasID = true
			}
		case "parentId":
			if b, ok, err = j.str("parentId"); ok {
				s.ParentID, err = parseSpanIDHex("parentId", b, idUpTo)
			}
		case "kind":
			if b, ok, err = j.str("kind"); ok {
				s.Kind = kindFromName(b)
			}
		case "name":
			if b, ok, err = j.str("name"); ok {
				s.Name = d.in.str(b)
			}
		case "timestamp":
			ts, _, err = j.integer("timestamp")
		case "duration":
			dur, _, err = j.integer("duration")
		case "shared":
			s.Shared, err = j.boolean("shared")
		case "localEndpoint":
			err = d.endpoint("localEndpoint", &local, nil)
		case "remoteEndpoint":
			err = d.endpoint("remoteEndpoint", &remote, &remoteIP)
		case "tags":
			err = d.tags()
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
		j.last = j.unit
		return fieldErr("traceId", ErrInvalidID, "missing")
	}
	if !hasID || s.SpanID.IsZero() {
		j.last = j.unit
		return fieldErr("id", ErrInvalidID, "missing or all zeros")
	}
	s.Service = local // empty without localEndpoint.serviceName (Zipkin: no local service)
	s.Peer.RemoteService = remote
	s.Start = microsToNanos(ts)
	s.Duration = max(0, microsToNanos(dur))
	d.a.apply(s)
	if s.Peer.NetPeerName == "" {
		s.Peer.NetPeerName = remoteIP
	}
	return nil
}

// endpoint decodes a Zipkin endpoint's service name and, if ip is not nil,
// its address (IPv4 preferred).
func (d *zipkinJSON) endpoint(field string, service, ip *string) error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	if err := j.open('{', field); err != nil {
		return err
	}
	var v6 string
	for j.more() {
		name, err := j.name()
		if err != nil {
			return err
		}
		var b []byte
		var ok bool
		switch string(name) {
		case "serviceName":
			if b, ok, err = j.str("serviceName"); ok {
				*service = d.in.str(b)
			}
		case "ipv4":
			if b, ok, err = j.str("ipv4"); ok && ip != nil {
				*ip = d.in.str(b)
			}
		case "ipv6":
			if b, ok, err = j.str("ipv6"); ok && ip != nil {
				v6 = d.in.str(b)
			}
		default:
			err = j.skip()
		}
		if err != nil {
			return err
		}
	}
	if ip != nil && *ip == "" {
		*ip = v6
	}
	return j.close()
}

// tags decodes the tags object, keeping the attributes spanmap uses.
func (d *zipkinJSON) tags() error {
	j := d.j
	if j.peek() == 'n' {
		return j.skip()
	}
	s, err := j.readRaw('{', "tags")
	if err != nil {
		return err
	}
	s.enter()
	for s.next() {
		k := lookupKey(s.name(&j.scrNam))
		if k == keyNone {
			s.skip()
			continue
		}
		s.scalar(&d.v, &j.scr)
		d.a.set(k, &d.v, d.in)
	}
	return nil
}

// microsToNanos converts microseconds to nanoseconds, saturating.
func microsToNanos(us int64) int64 {
	switch {
	case us > math.MaxInt64/1000:
		return math.MaxInt64
	case us < math.MinInt64/1000:
		return math.MinInt64
	}
	return us * 1000
}
