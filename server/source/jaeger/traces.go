package jaeger

import (
	"errors"

	"github.com/spanmap/spanmap/graph/span"
	"github.com/spanmap/spanmap/server/poll"
)

// errNoField reports a response object without a field it must have.
func errNoField(name string) error { return errors.New("no " + name + " field") }

// byTrace groups spans by trace ID, traces in order of first appearance,
// spans in input order. When each trace's spans are already contiguous (as
// Jaeger sends them) the traces are sub-slices of spans; otherwise they
// share one new backing array.
func byTrace(spans []span.Span) []poll.Trace {
	if len(spans) == 0 {
		return nil
	}
	index := map[span.TraceID]int{}
	var counts []int
	contiguous, cur := true, -1
	for i := range spans {
		t, ok := index[spans[i].TraceID]
		if !ok {
			t = len(counts)
			index[spans[i].TraceID] = t
			counts = append(counts, 0)
		} else if t != cur {
			contiguous = false
		}
		cur = t
		counts[t]++
	}
	out := make([]poll.Trace, len(counts))
	if contiguous {
		off := 0
		for t, n := range counts {
			out[t] = poll.Trace{ID: spans[off].TraceID, Spans: spans[off : off+n : off+n]}
			off += n
		}
		return out
	}
	backing := make([]span.Span, len(spans))
	off := 0
	for t, n := range counts {
		out[t].Spans = backing[off : off : off+n]
		off += n
	}
	for i := range spans {
		t := index[spans[i].TraceID]
		out[t].ID = spans[i].TraceID
		out[t].Spans = append(out[t].Spans, spans[i])
	}
	return out
}
