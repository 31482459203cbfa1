package jaeger

import (
	"slices"
	"testing"

	"github.com/spanmap/spanmap/graph/span"
)

func TestByTrace(t *testing.T) {
	id := func(b byte) span.TraceID { return span.TraceID{15: b} }
	mk := func(ids ...byte) []span.Span {
		out := make([]span.Span, len(ids))
		for i, b := range ids {
			out[i] = span.Span{TraceID: id(b), SpanID: span.SpanID{7: byte(i + 1)}}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []span.Span
		want [][]byte // per trace: span ID low bytes
	}{
		{"empty", nil, nil},
		{"one trace", mk(1, 1, 1), [][]byte{{1, 2, 3}}},
		{"contiguous", mk(1, 1, 2, 3, 3), [][]byte{{1, 2}, {3}, {4, 5}}},
		{"interleaved", mk(1, 2, 1, 3, 2), [][]byte{{1, 3}, {2, 5}, {4}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := byTrace(tc.in)
			if len(got) != len(tc.want) {
				t.Fatalf("%d traces, want %d", len(got), len(tc.want))
			}
			for i, tr := range got {
				var ids []byte
				for _, s := range tr.Spans {
					if s.TraceID != tr.ID {
						t.Fatalf("trace %d holds a span of %s", i, s.TraceID)
					}
					ids = append(ids, s.SpanID[7])
				}
				if !slices.Equal(ids, tc.want[i]) {
					t.Errorf("trace %d spans %v, want %v", i, ids, tc.want[i])
				}
			}
			if len(got) > 1 {
				got[0].Spans = append(got[0].Spans, span.Span{})
				if got[1].Spans[0].TraceID != got[1].ID {
					t.Fatal("appending to one trace overwrote the next")
				}
			}
		})
	}
}
