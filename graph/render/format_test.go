package render

import (
	"math"
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph"
)

func TestEscapeID_isReversibleAndSafe(t *testing.T) {
	tests := []struct{ in, want string }{
		{"checkout", "checkout"},
		{"db:orders", "db_3aorders"},
		{"a_b", "a_5fb"},
		{"a b", "a_20b"},
		{"x->y#op", "x-_3ey_23op"},
		{"ü", "_c3_bc"},
		{"", ""},
	}
	seen := map[string]string{}
	for _, tc := range tests {
		got := EscapeID(tc.in)
		if got != tc.want {
			t.Errorf("EscapeID(%q) = %q, want %q", tc.in, got, tc.want)
		}
		for _, c := range got {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				t.Errorf("EscapeID(%q) keeps %q", tc.in, c)
			}
		}
		if other, dup := seen[got]; dup {
			t.Errorf("%q and %q both escape to %q", other, tc.in, got)
		}
		seen[got] = tc.in
	}
	if NodeElementID("a b") != "node-a_20b" || EdgeElementID("a->b") != "edge-a-_3eb" {
		t.Error("element IDs lack their prefixes")
	}
}

func TestStatsLabel_formatsFigures(t *testing.T) {
	tests := []struct {
		s    graph.Stats
		want string
	}{
		{graph.Stats{Rate: 12, Errors: 3, ErrorRate: 0.012, Latency: graph.Latency{P99: 40}}, "12.0/s · 1.2% err · p99 40ms"},
		{graph.Stats{Rate: 0.05}, "0.05/s"},
		{graph.Stats{}, "0/s"},
		{graph.Stats{Rate: 2500, Latency: graph.Latency{P99: 1234}}, "2.5k/s · p99 1.2s"},
		{graph.Stats{Rate: 3e6, Errors: 1, ErrorRate: 0.0004, Latency: graph.Latency{P99: 0.4}}, "3.0M/s · 0.04% err · p99 0.4ms"},
		{graph.Stats{Rate: 1, Errors: 5, ErrorRate: 1}, "1.0/s · 100% err"},
	}
	for _, tc := range tests {
		if got := StatsLabel(tc.s); got != tc.want {
			t.Errorf("StatsLabel(%+v) = %q, want %q", tc.s, got, tc.want)
		}
	}
}

func TestTimeRange_formatsWindow(t *testing.T) {
	from := time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC).UnixMilli()
	to := time.Date(2024, 5, 1, 11, 0, 0, 0, time.UTC).UnixMilli()
	nextDay := time.Date(2024, 5, 2, 9, 30, 0, 0, time.UTC).UnixMilli()
	berlin := time.FixedZone("CEST", 2*3600)
	tests := []struct {
		name     string
		from, to int64
		loc      *time.Location
		want     string
	}{
		{"unset", 0, 0, nil, ""},
		{"same day", from, to, nil, "2024-05-01 10:00:00 – 11:00:00 UTC"},
		{"two days", from, nextDay, nil, "2024-05-01 10:00:00 – 2024-05-02 09:30:00 UTC"},
		{"zone", from, to, berlin, "2024-05-01 12:00:00 – 13:00:00 CEST"},
		{"open end", from, 0, nil, "since 2024-05-01 10:00:00 UTC"},
		{"open start", 0, to, nil, "until 2024-05-01 11:00:00 UTC"},
	}
	for _, tc := range tests {
		if got := TimeRange(tc.from, tc.to, tc.loc); got != tc.want {
			t.Errorf("%s: TimeRange = %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestEdgeWidth_growsWithRateAndHealth(t *testing.T) {
	p := DefaultPalette()
	prev := 0.0
	for _, r := range []float64{0, 1, 10, 100, 1000} {
		w := EdgeWidth(r, p.OK)
		if w <= prev {
			t.Errorf("width at %v/s is %v, not above %v", r, w, prev)
		}
		prev = w
	}
	if EdgeWidth(1e12, p.OK) > 7+p.OK.StrokeWidth {
		t.Error("width is not capped")
	}
	if EdgeWidth(1, p.Failing) <= EdgeWidth(1, p.OK) || EdgeWidth(1, p.Degraded) <= EdgeWidth(1, p.OK) {
		t.Error("failing and degraded edges are not wider than ok ones")
	}
}

func TestPalette_For_distinguishesStatesWithoutColour(t *testing.T) {
	p := DefaultPalette()
	seen := map[string]graph.Health{}
	for _, h := range states() {
		st := p.For(h)
		key := st.Dash + "|" + st.Graphviz + "|" + formatWidth(st.StrokeWidth)
		if other, dup := seen[key]; dup {
			t.Errorf("%q and %q differ only by colour", other, h)
		}
		seen[key] = h
		if st.Stroke == "" || st.Fill == "" || st.Text == "" || st.Name == "" {
			t.Errorf("%q style incomplete: %+v", h, st)
		}
	}
	if p.For("bogus") != p.Unknown {
		t.Error("an unknown health is not drawn as no data")
	}
}

func formatWidth(w float64) string { return num(w) }

func TestTrimEnd_stopsShortOfTheOutline(t *testing.T) {
	path := []graph.Point{{X: 0, Y: 0}, {X: 30, Y: 0}, {X: 60, Y: 0}, {X: 90, Y: 0}}
	got := trimEnd(path, 8)
	end := got[len(got)-1]
	if len(got) != 4 || math.Abs(end.X-82) > 0.01 || end.Y != 0 {
		t.Errorf("trimmed path ends at %v, want 82,0 (%v)", end, got)
	}
	short := []graph.Point{{X: 0, Y: 0}, {X: 1, Y: 0}, {X: 2, Y: 0}, {X: 3, Y: 0}}
	if e := trimEnd(short, 8)[3]; math.Abs(e.X-1.5) > 0.01 {
		t.Errorf("short path cut at %v, want its middle", e)
	}
	if p, ok := labelPoint(path); !ok || math.Abs(p.X-45) > 0.01 {
		t.Errorf("label point %v, want 45,0", p)
	}
}
