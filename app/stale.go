package app

import (
	"sort"
	"strings"

	"github.com/spanmap/spanmap/graph"
)

// StaleSet is the sources whose data is stale (graph.SourceStatus.Stale),
// each with why, for marking what only they saw: those nodes and edges
// keep figures that no longer move.
type StaleSet struct {
	// Key names the set: its sources' names, sorted and joined, "" when
	// empty. Two sets with the same key mark the same elements.
	Key string
	// Why is each stale source's reason, by source name.
	Why map[string]string
}

// StaleSources returns the stale sources of st. A View anchored in the
// past (live false) has none: its figures are meant to stay.
func StaleSources(st *graph.Status, live bool) StaleSet {
	if st == nil || !live {
		return StaleSet{}
	}
	var set StaleSet
	var names []string
	for _, s := range st.Sources {
		if !s.Stale {
			continue
		}
		if set.Why == nil {
			set.Why = map[string]string{}
		}
		why := s.Name + ": nothing new"
		if s.LastSuccess > 0 && st.Time > s.LastSuccess {
			why += " for " + strings.TrimSuffix(FormatAge(float64(st.Time-s.LastSuccess)/1000), " ago")
		}
		if s.State == graph.SourceDown {
			why += ", down"
		}
		if s.LastError != "" {
			why += " (" + s.LastError + ")"
		}
		set.Why[s.Name] = why
		names = append(names, s.Name)
	}
	sort.Strings(names)
	set.Key = strings.Join(names, "\x00")
	return set
}

// Marks reports whether an element seen by srcs is stale: it was seen by
// at least one source and every one of them is stale.
func (s StaleSet) Marks(srcs []string) bool { return graph.OnlyStaleSaw(srcs, s.Why) }

// Reason words why an element seen by srcs shows old figures, "" when it
// does not.
func (s StaleSet) Reason(srcs []string) string {
	if !s.Marks(srcs) {
		return ""
	}
	why := make([]string, len(srcs))
	for i, name := range srcs {
		why[i] = s.Why[name]
	}
	return "Old figures: every source that saw this is stale. " + strings.Join(why, "; ") + "."
}

// classStale marks a stale node or edge (spanmap.css).
const classStale = "stale"
