package render

import (
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/spanmap/spanmap/graph"
)

// FormatRate formats calls per second: "12.0/s", "0.05/s", "1.2k/s".
func FormatRate(r float64) string {
	switch {
	case r <= 0:
		return "0/s"
	case r < 0.1:
		return strconv.FormatFloat(r, 'g', 2, 64) + "/s"
	case r < 1000:
		return strconv.FormatFloat(r, 'f', 1, 64) + "/s"
	case r < 1e6:
		return strconv.FormatFloat(r/1e3, 'f', 1, 64) + "k/s"
	}
	return strconv.FormatFloat(r/1e6, 'f', 1, 64) + "M/s"
}

// FormatErrorRate formats an error ratio (0..1) as a percentage: "1.2%",
// "0.05%", "100%".
func FormatErrorRate(ratio float64) string {
	p := ratio * 100
	switch {
	case p <= 0:
		return "0%"
	case p < 0.1:
		return strconv.FormatFloat(p, 'g', 1, 64) + "%"
	case p >= 99.95:
		return "100%"
	}
	return strconv.FormatFloat(p, 'f', 1, 64) + "%"
}

// FormatLatency formats milliseconds: "0.4ms", "40ms", "1.2s".
func FormatLatency(ms float64) string {
	switch {
	case ms < 1:
		return strconv.FormatFloat(ms, 'f', 1, 64) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(math.Round(ms), 'f', 0, 64) + "ms"
	}
	return strconv.FormatFloat(ms/1000, 'f', 1, 64) + "s"
}

// StatsLabel is the one-line summary of s used on edges and nodes:
// "12.0/s · 1.2% err · p99 40ms". The error part appears only when there
// are errors, the latency part only when p99 is known.
func StatsLabel(s graph.Stats) string {
	parts := []string{FormatRate(s.Rate)}
	if s.Errors > 0 || s.ErrorRate > 0 {
		parts = append(parts, FormatErrorRate(s.ErrorRate)+" err")
	}
	if s.Latency.P99 > 0 {
		parts = append(parts, "p99 "+FormatLatency(s.Latency.P99))
	}
	return strings.Join(parts, " · ")
}

// hasTraffic reports whether s carries any figure worth printing.
func hasTraffic(s graph.Stats) bool {
	return s.Calls > 0 || s.Rate > 0 || s.Errors > 0 || !s.Latency.IsZero()
}

// TimeRange formats the snapshot window [from, to] (Unix milliseconds) in
// loc, or "" when neither end is set.
func TimeRange(from, to int64, loc *time.Location) string {
	if from == 0 && to == 0 {
		return ""
	}
	if loc == nil {
		loc = time.UTC
	}
	const layout = "2006-01-02 15:04:05"
	f := time.UnixMilli(from).In(loc)
	t := time.UnixMilli(to).In(loc)
	switch {
	case from == 0:
		return "until " + t.Format(layout) + " " + t.Format("MST")
	case to == 0:
		return "since " + f.Format(layout) + " " + f.Format("MST")
	case f.Format("2006-01-02") == t.Format("2006-01-02"):
		return f.Format(layout) + " – " + t.Format("15:04:05") + " " + t.Format("MST")
	}
	return f.Format(layout) + " – " + t.Format(layout) + " " + t.Format("MST")
}

// nodeTooltip is the hover text of a node.
func nodeTooltip(n graph.Node) string {
	var b strings.Builder
	b.WriteString(n.ID)
	if n.Name != "" && n.Name != n.ID {
		b.WriteString(" (" + n.Name + ")")
	}
	b.WriteString("\nkind: " + string(n.Kind))
	if n.Namespace != "" {
		b.WriteString("\nnamespace: " + n.Namespace)
	}
	b.WriteString("\nhealth: " + healthText(n.Health))
	if hasTraffic(n.Stats) {
		b.WriteString("\n" + StatsLabel(n.Stats))
	}
	return b.String()
}

// edgeTooltip is the hover text of an edge.
func edgeTooltip(e graph.Edge) string {
	var b strings.Builder
	b.WriteString(e.From + " → " + e.To)
	if e.Operation != "" {
		b.WriteString("\noperation: " + e.Operation)
	}
	if e.Kind != "" {
		b.WriteString("\nkind: " + string(e.Kind))
	}
	b.WriteString("\nhealth: " + healthText(e.Health))
	b.WriteString("\n" + StatsLabel(e.Stats))
	if e.Latency.P50 > 0 {
		b.WriteString("\np50 " + FormatLatency(e.Latency.P50))
	}
	return b.String()
}

func healthText(h graph.Health) string {
	if h == graph.HealthUnknown {
		return "no data"
	}
	return string(h)
}
