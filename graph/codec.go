package graph

import (
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"
)

// DecodeMessage decodes one websocket message exactly as json.Unmarshal
// into a Message would, but several times faster on the common input (a
// message as the server encodes it), which matters in the browser where
// reflection is slow. It reads the known fields with a hand-written parser
// and leaves anything it does not handle itself (a duplicate or unknown
// member name, a string with a surrogate escape or invalid UTF-8, a value
// of the wrong type, malformed JSON) to json.Unmarshal, so its result and
// error are always those of json.Unmarshal.
func DecodeMessage(data []byte) (Message, error) {
	var m Message
	p := parser{b: data}
	if err := p.message(&m); err == nil {
		return m, nil
	}
	m = Message{}
	err := json.Unmarshal(data, &m)
	return m, err
}

// errFallback makes DecodeMessage hand the input to json.Unmarshal.
var errFallback = errors.New("graph: input left to encoding/json")

// parser reads JSON from b at i. Every method returns errFallback (or
// fails later) on anything it does not read exactly as encoding/json.
type parser struct {
	b   []byte
	i   int
	buf []byte // unescaping scratch
	// Slabs the small values behind the pointers of stats and patches
	// are taken from: one allocation for many (see slabPtr).
	statsSlab   []Stats
	latencySlab []Latency
	trustSlab   []Trust
}

// slabSize is how many values one slab allocation holds.
const slabSize = 64

// slabPtr reads a T into the next free value of *slab, or nil for null.
// Values of one slab stay alive together as long as one of them is used,
// which for the figures of one message is what happens anyway.
func slabPtr[T any](p *parser, slab *[]T, dst **T, read func(*T) error) error {
	if p.null() {
		*dst = nil
		return nil
	}
	if len(*slab) == cap(*slab) {
		*slab = make([]T, 0, slabSize)
	}
	var zero T
	*slab = append(*slab, zero)
	v := &(*slab)[len(*slab)-1]
	*dst = v
	return read(v)
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// peek skips white space and returns the next byte, 0 at the end.
func (p *parser) peek() byte {
	p.ws()
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// null consumes a null literal when one is next.
func (p *parser) null() bool {
	if p.peek() == 'n' && p.i+4 <= len(p.b) && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

func (p *parser) expect(c byte) error {
	if p.peek() != c {
		return errFallback
	}
	p.i++
	return nil
}

// object reads an object, calling field for each member with its index in
// names (-1 when unknown, which falls back) after the colon. A member
// name given twice falls back. null leaves the target as it is.
func (p *parser) object(names []string, field func(k int) error) error {
	if p.null() {
		return nil
	}
	if err := p.expect('{'); err != nil {
		return err
	}
	var seen uint64
	if p.peek() == '}' {
		p.i++
		return nil
	}
	for {
		name, err := p.rawString()
		if err != nil {
			return err
		}
		k := -1
		for j, n := range names {
			if string(name) == n {
				k = j
				break
			}
		}
		if k < 0 || seen&(1<<k) != 0 {
			return errFallback
		}
		seen |= 1 << k
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := field(k); err != nil {
			return err
		}
		switch p.peek() {
		case ',':
			p.i++
		case '}':
			p.i++
			return nil
		default:
			return errFallback
		}
	}
}

// array reads an array, calling elem for each element. It reports
// whether the value was null.
func (p *parser) array(elem func() error) (null bool, err error) {
	if p.null() {
		return true, nil
	}
	if err := p.expect('['); err != nil {
		return false, err
	}
	if p.peek() == ']' {
		p.i++
		return false, nil
	}
	for {
		if err := elem(); err != nil {
			return false, err
		}
		switch p.peek() {
		case ',':
			p.i++
		case ']':
			p.i++
			return false, nil
		default:
			return false, errFallback
		}
	}
}

// rawString reads a string and returns its unescaped bytes, valid until
// the next call.
func (p *parser) rawString() ([]byte, error) {
	if p.peek() != '"' {
		return nil, errFallback
	}
	p.i++
	start := p.i
	ascii := true
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !ascii && !utf8.Valid(s) {
				return nil, errFallback
			}
			return s, nil
		case c == '\\':
			return p.escaped(start)
		case c < 0x20:
			return nil, errFallback
		case c >= 0x80:
			ascii = false
		}
		p.i++
	}
	return nil, errFallback
}

// escaped finishes a string that has escapes, from its start.
func (p *parser) escaped(start int) ([]byte, error) {
	buf := append(p.buf[:0], p.b[start:p.i]...)
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			p.i++
			p.buf = buf
			if !utf8.Valid(buf) {
				return nil, errFallback
			}
			return buf, nil
		case c < 0x20:
			return nil, errFallback
		case c != '\\':
			buf = append(buf, c)
			p.i++
			continue
		}
		if p.i+1 >= len(p.b) {
			return nil, errFallback
		}
		e := p.b[p.i+1]
		p.i += 2
		switch e {
		case '"', '\\', '/':
			buf = append(buf, e)
		case 'b':
			buf = append(buf, '\b')
		case 'f':
			buf = append(buf, '\f')
		case 'n':
			buf = append(buf, '\n')
		case 'r':
			buf = append(buf, '\r')
		case 't':
			buf = append(buf, '\t')
		case 'u':
			if p.i+4 > len(p.b) {
				return nil, errFallback
			}
			r, err := strconv.ParseUint(string(p.b[p.i:p.i+4]), 16, 32)
			if err != nil || (r >= 0xD800 && r < 0xE000) {
				return nil, errFallback // surrogates: left to encoding/json
			}
			p.i += 4
			buf = utf8.AppendRune(buf, rune(r))
		default:
			return nil, errFallback
		}
	}
	return nil, errFallback
}

// str reads a string into *dst; null leaves it as it is.
func (p *parser) str(dst *string) error {
	if p.null() {
		return nil
	}
	b, err := p.rawString()
	if err != nil {
		return err
	}
	*dst = intern(b)
	return nil
}

// common are the short strings that recur in every message (kinds,
// health, exemplar roles, source kinds), which intern returns without
// allocating.
var common = [...]string{
	string(HealthOK), string(HealthDegraded), string(HealthFailing),
	string(NodeService), string(NodeDatabase), string(NodeMessaging), string(NodeExternal), string(NodeUser), string(NodeGroup),
	string(EdgeRPC), "slowest", "error", "typical", "otlp", "zipkin", "jaeger", "tempo", "prometheus", "demo",
}

// intern returns b as a string, one of common when it is one.
func intern(b []byte) string {
	if len(b) <= 10 {
		for _, c := range common {
			if string(b) == c {
				return c
			}
		}
	}
	return string(b)
}

// strs reads an array of strings (null is nil, [] an empty slice).
func (p *parser) strs(dst *[]string) error {
	out := []string{}
	null, err := p.array(func() error {
		var s string
		err := p.str(&s)
		out = append(out, s)
		return err
	})
	if null {
		out = nil
	}
	*dst = out
	return err
}

// number returns the literal of a JSON number.
func (p *parser) number() ([]byte, error) {
	p.ws()
	start := p.i
	if p.i < len(p.b) && p.b[p.i] == '-' {
		p.i++
	}
	digits := func() int {
		n := 0
		for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return nil, errFallback
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return nil, errFallback
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return nil, errFallback
		}
	}
	return p.b[start:p.i], nil
}

func (p *parser) int64(dst *int64) error {
	if p.null() {
		return nil
	}
	lit, err := p.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseInt(string(lit), 10, 64)
	if err != nil {
		return errFallback
	}
	*dst = n
	return nil
}

func (p *parser) uint64(dst *uint64) error {
	if p.null() {
		return nil
	}
	lit, err := p.number()
	if err != nil {
		return err
	}
	n, err := strconv.ParseUint(string(lit), 10, 64)
	if err != nil {
		return errFallback
	}
	*dst = n
	return nil
}

func (p *parser) float(dst *float64) error {
	if p.null() {
		return nil
	}
	lit, err := p.number()
	if err != nil {
		return err
	}
	f, err := strconv.ParseFloat(string(lit), 64)
	if err != nil {
		return errFallback
	}
	*dst = f
	return nil
}

func (p *parser) bool(dst *bool) error {
	if p.null() {
		return nil
	}
	p.ws()
	switch {
	case p.i+4 <= len(p.b) && string(p.b[p.i:p.i+4]) == "true":
		p.i += 4
		*dst = true
	case p.i+5 <= len(p.b) && string(p.b[p.i:p.i+5]) == "false":
		p.i += 5
		*dst = false
	default:
		return errFallback
	}
	return nil
}

// ptr reads a value into a new T unless it is null, which makes *dst nil.
func ptr[T any](p *parser, dst **T, read func(*T) error) error {
	if p.null() {
		*dst = nil
		return nil
	}
	v := new(T)
	*dst = v
	return read(v)
}

// list reads an array of T (null is nil, [] an empty slice).
func list[T any](p *parser, dst *[]T, read func(*T) error) error {
	out := []T{}
	null, err := p.array(func() error {
		var zero T
		out = append(out, zero)
		return read(&out[len(out)-1])
	})
	if null {
		out = nil
	}
	*dst = out
	return err
}

var messageFields = []string{"type", "view", "base", "version", "snapshot", "diff", "status", "error", "frames"}

func (p *parser) message(m *Message) error {
	err := p.object(messageFields, func(k int) error {
		switch k {
		case 0:
			return p.str((*string)(&m.Type))
		case 1:
			return p.str(&m.View)
		case 2:
			return p.uint64(&m.Base)
		case 3:
			return p.uint64(&m.Version)
		case 4:
			return ptr(p, &m.Snapshot, p.snapshot)
		case 5:
			return ptr(p, &m.Diff, p.diff)
		case 6:
			return ptr(p, &m.Status, p.status)
		case 7:
			return p.str(&m.Error)
		default:
			return p.str(&m.Frames)
		}
	})
	if err != nil {
		return err
	}
	if p.peek() != 0 || p.i != len(p.b) {
		return errFallback
	}
	return nil
}

var snapshotFields = []string{"version", "view", "from_ms", "to_ms", "width", "height", "nodes", "edges"}

func (p *parser) snapshot(s *Snapshot) error {
	return p.object(snapshotFields, func(k int) error {
		switch k {
		case 0:
			return p.uint64(&s.Version)
		case 1:
			return p.str(&s.View)
		case 2:
			return p.int64(&s.From)
		case 3:
			return p.int64(&s.To)
		case 4:
			return p.float(&s.Width)
		case 5:
			return p.float(&s.Height)
		case 6:
			return list(p, &s.Nodes, p.node)
		default:
			return list(p, &s.Edges, p.edge)
		}
	})
}

var diffFields = []string{"base", "version", "view", "from_ms", "to_ms", "bounds",
	"added_nodes", "updated_nodes", "patched_nodes", "removed_nodes",
	"added_edges", "updated_edges", "patched_edges", "removed_edges"}

func (p *parser) diff(d *Diff) error {
	return p.object(diffFields, func(k int) error {
		switch k {
		case 0:
			return p.uint64(&d.Base)
		case 1:
			return p.uint64(&d.Version)
		case 2:
			return ptr(p, &d.View, p.str)
		case 3:
			return p.int64(&d.From)
		case 4:
			return p.int64(&d.To)
		case 5:
			return ptr(p, &d.Bounds, p.bounds)
		case 6:
			return list(p, &d.AddedNodes, p.node)
		case 7:
			return list(p, &d.UpdatedNodes, p.node)
		case 8:
			return list(p, &d.PatchedNodes, p.nodePatch)
		case 9:
			return p.strs(&d.RemovedNodes)
		case 10:
			return list(p, &d.AddedEdges, p.edge)
		case 11:
			return list(p, &d.UpdatedEdges, p.edge)
		case 12:
			return list(p, &d.PatchedEdges, p.edgePatch)
		default:
			return p.strs(&d.RemovedEdges)
		}
	})
}

var boundsFields = []string{"width", "height"}

func (p *parser) bounds(b *Bounds) error {
	return p.object(boundsFields, func(k int) error {
		if k == 0 {
			return p.float(&b.Width)
		}
		return p.float(&b.Height)
	})
}

var nodeFields = []string{"id", "name", "kind", "namespace", "group", "stats", "operations", "sources",
	"health", "pos", "width", "height"}

func (p *parser) node(n *Node) error {
	return p.object(nodeFields, func(k int) error {
		switch k {
		case 0:
			return p.str(&n.ID)
		case 1:
			return p.str(&n.Name)
		case 2:
			return p.str((*string)(&n.Kind))
		case 3:
			return p.str(&n.Namespace)
		case 4:
			return p.str(&n.Group)
		case 5:
			return p.stats(&n.Stats)
		case 6:
			return p.strs(&n.Operations)
		case 7:
			return p.strs(&n.Sources)
		case 8:
			return p.str((*string)(&n.Health))
		case 9:
			return ptr(p, &n.Pos, p.point)
		case 10:
			return p.float(&n.Width)
		default:
			return p.float(&n.Height)
		}
	})
}

// edgeFields holds Edge's own fields, then those of its embedded Stats
// (from index 10), in the order of statsFields.
var edgeFields = []string{"id", "from", "to", "kind", "operation", "trust", "exemplars", "sources", "health", "path",
	"calls", "errors", "rate", "error_rate", "latency_ms", "client_latency_ms", "server_latency_ms", "queue_lag_ms"}

func (p *parser) edge(e *Edge) error {
	return p.object(edgeFields, func(k int) error {
		switch k {
		case 0:
			return p.str(&e.ID)
		case 1:
			return p.str(&e.From)
		case 2:
			return p.str(&e.To)
		case 3:
			return p.str((*string)(&e.Kind))
		case 4:
			return p.str(&e.Operation)
		case 5:
			return p.trust(&e.Trust)
		case 6:
			return list(p, &e.Exemplars, p.exemplar)
		case 7:
			return p.strs(&e.Sources)
		case 8:
			return p.str((*string)(&e.Health))
		case 9:
			return list(p, &e.Path, p.point)
		default:
			return p.statsField(&e.Stats, k-10)
		}
	})
}

var nodePatchFields = []string{"id", "stats", "health", "pos", "operations", "sources"}

func (p *parser) nodePatch(n *NodePatch) error {
	return p.object(nodePatchFields, func(k int) error {
		switch k {
		case 0:
			return p.str(&n.ID)
		case 1:
			return slabPtr(p, &p.statsSlab, &n.Stats, p.stats)
		case 2:
			return ptr(p, &n.Health, func(h *Health) error { return p.str((*string)(h)) })
		case 3:
			return ptr(p, &n.Pos, p.point)
		case 4:
			return ptr(p, &n.Operations, p.strs)
		default:
			return ptr(p, &n.Sources, p.strs)
		}
	})
}

var edgePatchFields = []string{"id", "stats", "trust", "health", "exemplars", "sources", "path"}

func (p *parser) edgePatch(e *EdgePatch) error {
	return p.object(edgePatchFields, func(k int) error {
		switch k {
		case 0:
			return p.str(&e.ID)
		case 1:
			return slabPtr(p, &p.statsSlab, &e.Stats, p.stats)
		case 2:
			return slabPtr(p, &p.trustSlab, &e.Trust, p.trust)
		case 3:
			return ptr(p, &e.Health, func(h *Health) error { return p.str((*string)(h)) })
		case 4:
			return ptr(p, &e.Exemplars, func(x *[]Exemplar) error { return list(p, x, p.exemplar) })
		case 5:
			return ptr(p, &e.Sources, p.strs)
		default:
			return ptr(p, &e.Path, func(x *[]Point) error { return list(p, x, p.point) })
		}
	})
}

var statsFields = []string{"calls", "errors", "rate", "error_rate", "latency_ms", "client_latency_ms",
	"server_latency_ms", "queue_lag_ms"}

func (p *parser) stats(s *Stats) error {
	return p.object(statsFields, func(k int) error { return p.statsField(s, k) })
}

func (p *parser) statsField(s *Stats, k int) error {
	switch k {
	case 0:
		return p.int64(&s.Calls)
	case 1:
		return p.int64(&s.Errors)
	case 2:
		return p.float(&s.Rate)
	case 3:
		return p.float(&s.ErrorRate)
	case 4:
		return p.latency(&s.Latency)
	case 5:
		return slabPtr(p, &p.latencySlab, &s.ClientLatency, p.latency)
	case 6:
		return slabPtr(p, &p.latencySlab, &s.ServerLatency, p.latency)
	default:
		return slabPtr(p, &p.latencySlab, &s.QueueLag, p.latency)
	}
}

var latencyFields = []string{"p50", "p90", "p95", "p99"}

func (p *parser) latency(l *Latency) error {
	return p.object(latencyFields, func(k int) error {
		switch k {
		case 0:
			return p.float(&l.P50)
		case 1:
			return p.float(&l.P90)
		case 2:
			return p.float(&l.P95)
		default:
			return p.float(&l.P99)
		}
	})
}

var trustFields = []string{"paired", "unpaired", "dropped", "last_seen_ms", "sampling_rate"}

func (p *parser) trust(t *Trust) error {
	return p.object(trustFields, func(k int) error {
		switch k {
		case 0:
			return p.int64(&t.Paired)
		case 1:
			return p.int64(&t.Unpaired)
		case 2:
			return p.int64(&t.Dropped)
		case 3:
			return p.int64(&t.LastSeen)
		default:
			return p.float(&t.SamplingRate)
		}
	})
}

var exemplarFields = []string{"role", "trace_id", "source", "duration_ms", "time_ms"}

func (p *parser) exemplar(x *Exemplar) error {
	return p.object(exemplarFields, func(k int) error {
		switch k {
		case 0:
			return p.str(&x.Role)
		case 1:
			return p.str(&x.TraceID)
		case 2:
			return p.str(&x.Source)
		case 3:
			return p.float(&x.DurationMs)
		default:
			return p.int64(&x.Time)
		}
	})
}

var pointFields = []string{"x", "y"}

func (p *parser) point(pt *Point) error {
	return p.object(pointFields, func(k int) error {
		if k == 0 {
			return p.float(&pt.X)
		}
		return p.float(&pt.Y)
	})
}

var statusFields = []string{"time_ms", "sources", "stale", "dropped_spans", "pending_spans", "health"}

func (p *parser) status(s *Status) error {
	return p.object(statusFields, func(k int) error {
		switch k {
		case 0:
			return p.int64(&s.Time)
		case 1:
			return list(p, &s.Sources, p.sourceStatus)
		case 2:
			return p.bool(&s.Stale)
		case 3:
			return p.int64(&s.DroppedSpans)
		case 4:
			return p.int64(&s.PendingSpans)
		default:
			return ptr(p, &s.Health, p.healthRules)
		}
	})
}

var healthRulesFields = []string{"error_rate_degraded", "error_rate_failing", "p99_degraded_ms", "p99_failing_ms"}

func (p *parser) healthRules(h *HealthRules) error {
	return p.object(healthRulesFields, func(k int) error {
		switch k {
		case 0:
			return p.float(&h.ErrorRateDegraded)
		case 1:
			return p.float(&h.ErrorRateFailing)
		case 2:
			return p.float(&h.P99DegradedMs)
		default:
			return p.float(&h.P99FailingMs)
		}
	})
}

var sourceStatusFields = []string{"name", "kind", "state", "last_success_ms", "last_error", "lag_ms", "spans",
	"ui_url", "traces_fetched", "caps_hit", "polls_behind", "malformed", "skipped_windows", "stale"}

func (p *parser) sourceStatus(s *SourceStatus) error {
	return p.object(sourceStatusFields, func(k int) error {
		switch k {
		case 0:
			return p.str(&s.Name)
		case 1:
			return p.str(&s.Kind)
		case 2:
			return p.str((*string)(&s.State))
		case 3:
			return p.int64(&s.LastSuccess)
		case 4:
			return p.str(&s.LastError)
		case 5:
			return p.int64(&s.Lag)
		case 6:
			return p.int64(&s.Spans)
		case 7:
			return p.str(&s.UIURL)
		case 8:
			return p.int64(&s.TracesFetched)
		case 9:
			return p.int64(&s.CapsHit)
		case 10:
			return p.int64(&s.PollsBehind)
		case 11:
			return p.int64(&s.Malformed)
		case 12:
			return p.int64(&s.SkippedWindows)
		default:
			return p.bool(&s.Stale)
		}
	})
}
