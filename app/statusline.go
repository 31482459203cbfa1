package app

import (
	"strconv"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// SourcesSummary words the server status for the status bar: how many
// sources, which are not healthy or stale and why, and dropped spans. It
// returns "" before the first status.
func SourcesSummary(st *graph.Status) string {
	if st == nil {
		return ""
	}
	var parts []string
	n := len(st.Sources)
	switch n {
	case 0:
		parts = append(parts, "no sources configured")
	case 1:
		parts = append(parts, "1 source")
	default:
		parts = append(parts, strconv.Itoa(n)+" sources")
	}
	for _, s := range st.Sources {
		ok := s.State == graph.SourceOK || s.State == ""
		if ok && !s.Stale {
			continue
		}
		var p string
		switch {
		case ok:
			p = s.Name + " stale"
		case s.Stale:
			p = s.Name + " " + string(s.State) + ", stale"
		default:
			p = s.Name + " " + string(s.State)
		}
		if s.LastError != "" {
			p += " (" + s.LastError + ")"
		}
		parts = append(parts, p)
	}
	if st.DroppedSpans > 0 {
		parts = append(parts, strconv.FormatInt(st.DroppedSpans, 10)+" spans dropped")
	}
	return strings.Join(parts, " · ")
}

// StaleMessage words the stale-data banner: which sources are behind or
// down. It returns "" when the data is not stale.
func StaleMessage(st *graph.Status) string {
	if st == nil || !st.Stale {
		return ""
	}
	msg := "The map shows old figures: no source has delivered spans recently."
	var down []string
	for _, s := range st.Sources {
		if s.State == graph.SourceDown {
			d := s.Name
			if s.LastError != "" {
				d += ": " + s.LastError
			}
			down = append(down, d)
		}
	}
	if len(down) > 0 {
		msg += " Down: " + strings.Join(down, "; ") + "."
	}
	return msg
}
