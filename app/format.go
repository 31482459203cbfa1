package app

import (
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// LabelMode selects the figure drawn on edge labels.
type LabelMode string

// Edge label modes.
const (
	LabelNone   LabelMode = "none"
	LabelRate   LabelMode = "rate"
	LabelErrors LabelMode = "errors"
	LabelP50    LabelMode = "p50"
	LabelP99    LabelMode = "p99"
)

// LabelModes lists the label modes in the order the switcher shows them.
func LabelModes() []LabelMode {
	return []LabelMode{LabelRate, LabelErrors, LabelP50, LabelP99, LabelNone}
}

// ParseLabelMode returns the label mode named s, or LabelRate when s is not
// a known mode.
func ParseLabelMode(s string) LabelMode {
	for _, m := range LabelModes() {
		if string(m) == s {
			return m
		}
	}
	return LabelRate
}

// Title is the short human name of the label mode.
func (m LabelMode) Title() string {
	switch m {
	case LabelRate:
		return "calls/s"
	case LabelErrors:
		return "error %"
	case LabelP50:
		return "p50"
	case LabelP99:
		return "p99"
	default:
		return "no labels"
	}
}

// EdgeLabel formats the figure of e selected by mode. It returns "" for
// LabelNone.
func EdgeLabel(e graph.Edge, mode LabelMode) string {
	v := edgeFigure(&e, mode)
	switch mode {
	case LabelRate:
		return FormatRate(v)
	case LabelErrors:
		return FormatPercent(v)
	case LabelP50, LabelP99:
		return FormatMillis(v)
	default:
		return ""
	}
}

// FormatRate formats a per-second rate compactly: "0/s", "<0.01/s",
// "0.42/s", "12.3/s", "123/s", "1.2k/s", "3.4M/s".
func FormatRate(r float64) string {
	switch {
	case r <= 0:
		return "0/s"
	case r < 0.01:
		return "<0.01/s"
	case r < 1:
		return trimFloat(r, 2) + "/s"
	case r < 100:
		return trimFloat(r, 1) + "/s"
	case r < 1000:
		return strconv.FormatFloat(r, 'f', 0, 64) + "/s"
	case r < 1e6:
		return trimFloat(r/1e3, 1) + "k/s"
	default:
		return trimFloat(r/1e6, 1) + "M/s"
	}
}

// FormatPercent formats a fraction in [0,1] as a percentage: "0%",
// "<0.1%", "2.5%", "37%".
func FormatPercent(f float64) string {
	switch {
	case f <= 0:
		return "0%"
	case f < 0.001:
		return "<0.1%"
	case f < 0.1:
		return trimFloat(f*100, 1) + "%"
	case f >= 1:
		return "100%"
	default:
		return strconv.FormatFloat(f*100, 'f', 0, 64) + "%"
	}
}

// FormatMillis formats a latency in milliseconds: "–" when unknown (0),
// "350µs", "4.2ms", "120ms", "1.25s", "12.5s", "2.1min".
func FormatMillis(ms float64) string {
	switch {
	case ms <= 0:
		return "–"
	case ms < 1:
		return strconv.FormatFloat(ms*1000, 'f', 0, 64) + "µs"
	case ms < 10:
		return trimFloat(ms, 1) + "ms"
	case ms < 1000:
		return strconv.FormatFloat(ms, 'f', 0, 64) + "ms"
	case ms < 10000:
		return trimFloat(ms/1000, 2) + "s"
	case ms < 60000:
		return trimFloat(ms/1000, 1) + "s"
	default:
		return trimFloat(ms/60000, 1) + "min"
	}
}

// FormatAge formats how long ago something happened, in whole seconds up to
// a minute, then minutes, then hours: "just now", "5 s ago", "3 min ago",
// "2 h ago".
func FormatAge(seconds float64) string {
	switch {
	case seconds < 1:
		return "just now"
	case seconds < 60:
		return strconv.Itoa(int(seconds)) + " s ago"
	case seconds < 3600:
		return strconv.Itoa(int(seconds/60)) + " min ago"
	default:
		return strconv.Itoa(int(seconds/3600)) + " h ago"
	}
}

// trimFloat formats f with at most prec decimals and no trailing zeros.
func trimFloat(f float64, prec int) string {
	s := strconv.FormatFloat(f, 'f', prec, 64)
	if strings.Contains(s, ".") {
		s = strings.TrimRight(s, "0")
		s = strings.TrimSuffix(s, ".")
	}
	return s
}
