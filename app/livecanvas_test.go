package app

import (
	"reflect"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

// TestMapCanvas_take_everyField checks, by reflection, that a live draw
// gives the mounted canvas every exported field of the one its page would
// render (but Handle, which reaches it), so that a field added later is
// not left behind.
func TestMapCanvas_take_everyField(t *testing.T) {
	want := newMapCanvas()
	want.Snapshot = graph.Snapshot{Version: 3, Nodes: []graph.Node{{ID: "a"}}}
	want.Selected = Selection{Kind: KindNode, ID: "a"}
	want.Labels = LabelP99
	want.Highlights = Changes{Gen: 2, Nodes: map[string]string{"a": ClassNew}}
	want.FitKey = "window=5m"
	want.Compact = true
	want.Health = &graph.HealthRules{ErrorRateDegraded: 0.01, ErrorRateFailing: 0.05}
	want.Stale = StaleSet{Key: "jaeger", Why: map[string]string{"jaeger": "jaeger: nothing new for 2 min"}}
	want.Handle = &canvasHandle{}
	v := reflect.ValueOf(want).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if f.IsExported() && f.Name != "Compo" && f.Name != "Handle" && v.Field(i).IsZero() {
			t.Fatalf("the test sets no %s: set it", f.Name)
		}
	}
	c := newMapCanvas()
	c.take(want)
	got := reflect.ValueOf(c).Elem()
	for i := range v.NumField() {
		f := v.Type().Field(i)
		if !f.IsExported() || f.Name == "Compo" || f.Name == "Handle" {
			continue
		}
		if !reflect.DeepEqual(got.Field(i).Interface(), v.Field(i).Interface()) {
			t.Errorf("take leaves %s behind", f.Name)
		}
	}
}
