package agg

import (
	"testing"
	"time"

	"github.com/spanmap/spanmap/graph/derive"
)

func TestAggregator_EdgeSparkline(t *testing.T) {
	a := newAgg(t, nil)
	obs := []derive.Observation{call("a", "b", 0), call("a", "b", 0), call("c", "b", 0), call("a", "b", 25*time.Second)}
	obs[1].Error = true
	a.Add("src", obs)
	pts := a.EdgeSparkline("a", "b", t0, t0.Add(30*time.Second))
	if len(pts) != 3 {
		t.Fatalf("%d points, want 3 (one per 10s bucket)", len(pts))
	}
	want := []SparkPoint{{t0.UnixMilli(), 2, 1}, {t0.Add(10 * time.Second).UnixMilli(), 0, 0}, {t0.Add(20 * time.Second).UnixMilli(), 1, 0}}
	for i := range want {
		if pts[i] != want[i] {
			t.Errorf("point %d = %+v, want %+v", i, pts[i], want[i])
		}
	}
	if a.EdgeSparkline("b", "a", t0, t0.Add(time.Minute)) != nil {
		t.Error("sparkline of a missing edge")
	}
	// The node sparkline still sums every inbound edge.
	if node := a.Sparkline("b", t0, t0.Add(30*time.Second)); node[0].Calls != 3 {
		t.Errorf("node b first point %+v, want 3 calls", node[0])
	}
}
