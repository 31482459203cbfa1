package graph

import (
	"fmt"
	"maps"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// View parameters, as they appear in query strings.
const (
	ParamWindow     = "window"
	ParamFrom       = "from"
	ParamTo         = "to"
	ParamFocus      = "focus"
	ParamUp         = "up"
	ParamDown       = "down"
	ParamGroup      = "group"
	ParamVirtual    = "virtual"
	ParamMinRate    = "min_rate"
	ParamOperations = "ops"
	ParamErrorsOnly = "errors_only"
	ParamLayout     = "layout"
)

// Groupings of View.Group.
const (
	// GroupNone draws every node on its own.
	GroupNone = ""
	// GroupNamespace frames nodes by service namespace.
	GroupNamespace = "namespace"
)

// Layouts of View.Layout.
const (
	// LayoutDotLR is graphviz dot, callers left of callees (the default).
	LayoutDotLR = "dot-lr"
	// LayoutDotTB is graphviz dot, callers above callees.
	LayoutDotTB = "dot-tb"
	// LayoutNeato is graphviz neato (spring model).
	LayoutNeato = "neato"
	// LayoutFDP is graphviz fdp (force-directed placement).
	LayoutFDP = "fdp"
)

// View limits.
const (
	// DefaultWindow is the window of a View that names none.
	DefaultWindow = 5 * time.Minute
	// MinWindow and MaxWindow bound the window parameter.
	MinWindow = time.Second
	MaxWindow = 30 * 24 * time.Hour
	// DefaultHops is the depth up and down of a focused View that names none.
	DefaultHops = 1
	// MaxHops bounds the up and down parameters.
	MaxHops = 10
	// MaxFocusLen bounds the focus parameter, in bytes.
	MaxFocusLen = 512
)

// View is what a user is looking at: a time window or range, an optional
// focus, grouping and filters, and the layout. Views travel in query strings
// (ParseView, Encode); the canonical encoding is the key under which the
// server shares one snapshot between all subscribers of a View.
//
// The zero View means the defaults, like an empty query string, except that
// Up and Down are taken as they are (ParseView sets both to DefaultHops
// when focus is given without them). Normalize gives the canonical form.
type View struct {
	// Window is how far back a live View looks; 0 means DefaultWindow.
	// Ignored (and 0 in the canonical form) when From and To are set.
	Window time.Duration
	// From and To fix the time range instead of a moving window; both zero
	// or both set with From before To.
	From, To time.Time
	// Focus is the ID of the node to centre on; empty shows everything.
	Focus string
	// Up and Down are how many hops of callers and callees of Focus to
	// show. Ignored (and 0 in the canonical form) without Focus.
	Up, Down int
	// Group is GroupNone or GroupNamespace.
	Group string
	// HideVirtual drops virtual nodes (user, database, messaging, external).
	HideVirtual bool
	// MinRate drops edges carrying fewer calls per second.
	MinRate float64
	// Operations keeps operation-level edges; without it they are dropped.
	Operations bool
	// ErrorsOnly keeps only failing edges and failing nodes.
	ErrorsOnly bool
	// Layout is one of the Layout constants; empty means LayoutDotLR.
	Layout string
}

// ViewError is a bad View parameter: unknown, repeated, malformed or out
// of range. Servers answer it with 400 Bad Request.
type ViewError struct {
	// Param is the query parameter at fault.
	Param string
	// Value is the value given, if any.
	Value string
	// Reason says what is wrong and what is expected.
	Reason string
}

// Error implements error, naming the parameter and the bad value.
func (e *ViewError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("view parameter %s: %s", e.Param, e.Reason)
	}
	return fmt.Sprintf("view parameter %s: bad value %q: %s", e.Param, e.Value, e.Reason)
}

// DefaultView returns the View of an empty query string in canonical form.
func DefaultView() View {
	return View{Window: DefaultWindow, Layout: LayoutDotLR}
}

// ParseView parses a URL query string (without the leading '?') into a
// canonical View. Parameters named in ignore are skipped, so callers can
// mix in parameters they handle themselves (an auth token, a UI theme);
// any other unknown parameter is an error. A parameter with an empty value
// counts as absent; a parameter given twice is an error. Errors are
// *ViewError.
func ParseView(query string, ignore ...string) (View, error) {
	vals, err := url.ParseQuery(query)
	if err != nil {
		return View{}, &ViewError{Param: "query", Reason: err.Error()}
	}
	return ParseViewValues(vals, ignore...)
}

// ParseViewValues is ParseView for already parsed query values. Ignored
// parameters are not read, even when they share a name with a View
// parameter.
func ParseViewValues(vals url.Values, ignore ...string) (View, error) {
	p := viewParser{vals: make(url.Values, len(vals))}
	for _, key := range slices.Sorted(maps.Keys(vals)) {
		vs := vals[key]
		if slices.Contains(ignore, key) {
			continue
		}
		if !knownParam(key) {
			return View{}, &ViewError{Param: key, Reason: "unknown parameter"}
		}
		if len(vs) > 1 {
			return View{}, &ViewError{Param: key, Reason: fmt.Sprintf("given %d times", len(vs))}
		}
		p.vals[key] = vs
	}
	v := View{}
	v.Window = p.window()
	v.From, v.To = p.timeRange()
	v.Focus = p.focus()
	v.Up = p.hops(ParamUp)
	v.Down = p.hops(ParamDown)
	v.Group = p.oneOf(ParamGroup, "", GroupNamespace, "none")
	if v.Group == "none" {
		v.Group = GroupNone
	}
	v.HideVirtual = p.oneOf(ParamVirtual, "show", "show", "hide") == "hide"
	v.MinRate = p.minRate()
	v.Operations = p.boolean(ParamOperations)
	v.ErrorsOnly = p.boolean(ParamErrorsOnly)
	v.Layout = p.oneOf(ParamLayout, LayoutDotLR, LayoutDotLR, LayoutDotTB, LayoutNeato, LayoutFDP)
	if p.err != nil {
		return View{}, p.err
	}
	if v.Focus != "" {
		if p.get(ParamUp) == "" {
			v.Up = DefaultHops
		}
		if p.get(ParamDown) == "" {
			v.Down = DefaultHops
		}
	}
	return v.Normalize(), nil
}

// Normalize returns v in canonical form: defaults filled in (Window,
// Layout), times in UTC, and what v ignores cleared (Window when a range is
// set, Up and Down without Focus). Two Views that select the same data the
// same way normalise to the same value, and ParseView(v.Encode()) returns
// v.Normalize().
func (v View) Normalize() View {
	if !v.From.IsZero() || !v.To.IsZero() {
		v.From, v.To = v.From.UTC(), v.To.UTC()
		v.Window = 0
	} else if v.Window == 0 {
		v.Window = DefaultWindow
	}
	if v.Focus == "" {
		v.Up, v.Down = 0, 0
	}
	if v.Group == "none" {
		v.Group = GroupNone
	}
	if v.Layout == "" {
		v.Layout = LayoutDotLR
	}
	return v
}

// Validate reports the first field of v that ParseView would not accept, as
// a *ViewError, for Views built in code.
func (v View) Validate() error {
	_, err := ParseView(v.Encode())
	return err
}

// Encode returns v's canonical query string: parameters sorted by name,
// defaults and ignored fields left out, times in UTC RFC 3339, so Views
// with equal Normalize results encode to the same string. The default View
// encodes to "".
func (v View) Encode() string {
	v = v.Normalize()
	q := url.Values{}
	if v.Window != DefaultWindow && v.Window != 0 {
		q.Set(ParamWindow, formatWindow(v.Window))
	}
	if !v.From.IsZero() || !v.To.IsZero() {
		q.Set(ParamFrom, v.From.Format(time.RFC3339Nano))
		q.Set(ParamTo, v.To.Format(time.RFC3339Nano))
	}
	if v.Focus != "" {
		q.Set(ParamFocus, v.Focus)
		if v.Up != DefaultHops {
			q.Set(ParamUp, strconv.Itoa(v.Up))
		}
		if v.Down != DefaultHops {
			q.Set(ParamDown, strconv.Itoa(v.Down))
		}
	}
	if v.Group != GroupNone {
		q.Set(ParamGroup, v.Group)
	}
	if v.HideVirtual {
		q.Set(ParamVirtual, "hide")
	}
	if v.MinRate != 0 {
		q.Set(ParamMinRate, strconv.FormatFloat(v.MinRate, 'g', -1, 64))
	}
	if v.Operations {
		q.Set(ParamOperations, "true")
	}
	if v.ErrorsOnly {
		q.Set(ParamErrorsOnly, "true")
	}
	if v.Layout != LayoutDotLR {
		q.Set(ParamLayout, v.Layout)
	}
	return q.Encode()
}

// String returns Encode, or "default" for the default View.
func (v View) String() string {
	if s := v.Encode(); s != "" {
		return s
	}
	return "default"
}

// Fixed reports whether v is a fixed time range rather than a moving window.
func (v View) Fixed() bool { return !v.From.IsZero() || !v.To.IsZero() }

func knownParam(key string) bool {
	switch key {
	case ParamWindow, ParamFrom, ParamTo, ParamFocus, ParamUp, ParamDown, ParamGroup,
		ParamVirtual, ParamMinRate, ParamOperations, ParamErrorsOnly, ParamLayout:
		return true
	}
	return false
}

// viewParser reads parameters, keeping the first error.
type viewParser struct {
	vals url.Values
	err  error
}

func (p *viewParser) get(key string) string { return p.vals.Get(key) }

func (p *viewParser) fail(key, value, reason string) {
	if p.err == nil {
		p.err = &ViewError{Param: key, Value: value, Reason: reason}
	}
}

func (p *viewParser) window() time.Duration {
	s := p.get(ParamWindow)
	if s == "" {
		return 0
	}
	d, err := parseWindow(s)
	if err != nil {
		p.fail(ParamWindow, s, "want a duration such as 1m, 5m, 15m, 1h, 6h, 24h or 7d")
		return 0
	}
	switch {
	case d < MinWindow || d > MaxWindow:
		p.fail(ParamWindow, s, fmt.Sprintf("want between %s and %s", formatWindow(MinWindow), formatWindow(MaxWindow)))
	case d%time.Second != 0:
		p.fail(ParamWindow, s, "want a whole number of seconds")
	}
	return d
}

// parseWindow reads a Go duration, or a whole number of days such as 7d.
func parseWindow(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseUint(days, 10, 16)
		if err != nil {
			return 0, err
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	return time.ParseDuration(s)
}

// formatWindow writes a positive whole-second duration as hours, minutes
// and seconds without zero parts: 90m is "1h30m", 24h is "24h". Other
// durations are written as time.Duration does.
func formatWindow(d time.Duration) string {
	if d <= 0 || d%time.Second != 0 {
		return d.String()
	}
	var b strings.Builder
	h, m, s := d/time.Hour, (d%time.Hour)/time.Minute, (d%time.Minute)/time.Second
	if h > 0 {
		b.WriteString(strconv.FormatInt(int64(h), 10) + "h")
	}
	if m > 0 {
		b.WriteString(strconv.FormatInt(int64(m), 10) + "m")
	}
	if s > 0 || b.Len() == 0 {
		b.WriteString(strconv.FormatInt(int64(s), 10) + "s")
	}
	return b.String()
}

func (p *viewParser) timeRange() (from, to time.Time) {
	fs, ts := p.get(ParamFrom), p.get(ParamTo)
	from = p.timestamp(ParamFrom, fs)
	to = p.timestamp(ParamTo, ts)
	switch {
	case p.err != nil:
	case fs == "" && ts != "":
		p.fail(ParamFrom, "", "missing: to is given, want both from and to or neither")
	case fs != "" && ts == "":
		p.fail(ParamTo, "", "missing: from is given, want both from and to or neither")
	case fs != "" && !from.Before(to):
		p.fail(ParamTo, ts, "want a time after from ("+fs+")")
	}
	return from, to
}

func (p *viewParser) timestamp(key, s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		p.fail(key, s, "want an RFC 3339 time such as 2024-05-01T12:00:00Z")
		return time.Time{}
	}
	if t.Year() < 1970 {
		p.fail(key, s, "want a time after 1970")
	}
	return t.UTC()
}

func (p *viewParser) focus() string {
	s := p.get(ParamFocus)
	switch {
	case len(s) > MaxFocusLen:
		p.fail(ParamFocus, s[:32]+"...", fmt.Sprintf("longer than %d bytes", MaxFocusLen))
	case strings.IndexFunc(s, unicode.IsControl) >= 0:
		p.fail(ParamFocus, s, "contains control characters")
	}
	return s
}

func (p *viewParser) hops(key string) int {
	s := p.get(key)
	if s == "" {
		return 0
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > MaxHops {
		p.fail(key, s, fmt.Sprintf("want a whole number of hops from 0 to %d", MaxHops))
		return 0
	}
	return n
}

// oneOf returns the parameter's value, def when absent, failing unless it
// is one of allowed.
func (p *viewParser) oneOf(key, def string, allowed ...string) string {
	s := p.get(key)
	if s == "" {
		return def
	}
	if !slices.Contains(allowed, s) {
		var want []string
		for _, a := range allowed {
			if a != "" {
				want = append(want, a)
			}
		}
		p.fail(key, s, "want one of "+strings.Join(want, ", "))
		return def
	}
	return s
}

func (p *viewParser) minRate() float64 {
	s := p.get(ParamMinRate)
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || math.IsInf(f, 0) || math.IsNaN(f) {
		p.fail(ParamMinRate, s, "want calls per second, a number >= 0")
		return 0
	}
	return f
}

func (p *viewParser) boolean(key string) bool {
	s := p.get(key)
	if s == "" {
		return false
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		p.fail(key, s, "want true or false")
		return false
	}
	return b
}
