package app

import (
	"math"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

func TestEdgeWidth_Scale_logarithmic(t *testing.T) {
	tests := []struct {
		name string
		rate float64
		want float64
	}{
		{"zero", 0, MinEdgeWidth},
		{"negative", -3, MinEdgeWidth},
		{"NaN", math.NaN(), MinEdgeWidth},
		{"full", EdgeWidthFullRate, MaxEdgeWidth},
		{"above full", 1e7, MaxEdgeWidth},
		{"about 100/s is half way", 99.5, MinEdgeWidth + (MaxEdgeWidth-MinEdgeWidth)*math.Log10(100.5)/math.Log10(10001)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EdgeWidth(tt.rate); math.Abs(got-tt.want) > 1e-9 {
				t.Errorf("EdgeWidth(%v) = %v, want %v", tt.rate, got, tt.want)
			}
		})
	}
	prev := 0.0
	for _, r := range []float64{0, 0.1, 1, 10, 100, 1000, 10000} {
		w := EdgeWidth(r)
		if w <= prev && r > 0 {
			t.Errorf("EdgeWidth(%v) = %v, not above %v", r, w, prev)
		}
		prev = w
	}
	// A decade of traffic must stay visible: 10/s vs 100/s differ by > 1 pt.
	if d := EdgeWidth(100) - EdgeWidth(10); d < 1 {
		t.Errorf("EdgeWidth(100)-EdgeWidth(10) = %v, want >= 1", d)
	}
}

func TestHealthStyle_Of_notOnlyHue(t *testing.T) {
	seen := map[string]graph.Health{}
	for _, h := range LegendHealths() {
		s := HealthStyleOf(h)
		if s.Class == "" || s.Label == "" {
			t.Errorf("HealthStyleOf(%q) = %+v, missing class or label", h, s)
		}
		// Every state must be told apart without colour: dash pattern
		// plus extra width must be unique.
		key := s.Dash + "|" + fmtNum(s.ExtraWidth)
		if other, dup := seen[key]; dup {
			t.Errorf("health %q and %q share dash/width %q", h, other, key)
		}
		seen[key] = h
	}
	if got := HealthStyleOf(graph.HealthFailing).Symbol; got == "" {
		t.Error("failing nodes need a symbol")
	}
	if got := HealthStyleOf("bogus").Class; got != "health-unknown" {
		t.Errorf("unknown health class = %q", got)
	}
}

func TestHealth_Worse_order(t *testing.T) {
	tests := []struct {
		a, b, want graph.Health
	}{
		{graph.HealthOK, graph.HealthFailing, graph.HealthFailing},
		{graph.HealthFailing, graph.HealthDegraded, graph.HealthFailing},
		{graph.HealthUnknown, graph.HealthOK, graph.HealthOK},
		{graph.HealthDegraded, graph.HealthUnknown, graph.HealthDegraded},
	}
	for _, tt := range tests {
		t.Run(string(tt.a)+"/"+string(tt.b), func(t *testing.T) {
			if got := worseHealth(tt.a, tt.b); got != tt.want {
				t.Errorf("worseHealth = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestHealthStyle_css checks that the stylesheet draws each health state
// as HealthStyleOf says: the edge's arrow head and dash pattern, and the
// node badge only for the states with a symbol.
func TestHealthStyle_css(t *testing.T) {
	b, err := os.ReadFile("../web/spanmap.css")
	if err != nil {
		t.Fatal(err)
	}
	css := string(b)
	rule := func(selector string) (string, bool) {
		m := regexp.MustCompile(regexp.QuoteMeta(selector) + `\s*\{([^}]*)\}`).FindStringSubmatch(css)
		if m == nil {
			return "", false
		}
		return m[1], true
	}
	for _, h := range LegendHealths() {
		st := HealthStyleOf(h)
		body, ok := rule(".edge." + st.Class + " .edge-line")
		if !ok {
			t.Errorf("no edge rule for %s", st.Class)
			continue
		}
		if want := "marker-end: url(#arrow-" + st.Class + ");"; !strings.Contains(body, want) {
			t.Errorf("%s edges: %q, want %q", st.Class, body, want)
		}
		dash := regexp.MustCompile(`stroke-dasharray:\s*([^;]*);`).FindStringSubmatch(body)
		switch {
		case st.Dash == "" && dash != nil:
			t.Errorf("%s edges are dashed (%s), want solid", st.Class, dash[1])
		case st.Dash != "" && (dash == nil || dash[1] != st.Dash):
			t.Errorf("%s edges: dashes %v, want %q", st.Class, dash, st.Dash)
		}
		hidden := regexp.MustCompile(`\.node\.`+st.Class+` \.node-badge[,\s][^{]*\{\s*display: none;`).MatchString(css) ||
			regexp.MustCompile(`\.node\.`+st.Class+` \.node-badge\s*\{\s*display: none;`).MatchString(css)
		if hidden != (st.Symbol == "") {
			t.Errorf("%s node badge hidden %v, symbol %q", st.Class, hidden, st.Symbol)
		}
	}
}
