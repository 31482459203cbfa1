package app

import (
	"reflect"
	"strings"
	"testing"

	"github.com/spanmap/spanmap/graph"
)

// sameMatchesEqual checks that a memo key's same is == for a: true for a
// copy whose strings have their own bytes, false when any one field
// (found by reflection, so that a field added later is covered) differs.
func sameMatchesEqual[K memoKey[K]](t *testing.T, a K) {
	t.Helper()
	b := a
	vb := reflect.ValueOf(&b).Elem()
	for i := range vb.NumField() {
		if f := vb.Field(i); f.Kind() == reflect.String {
			setField(f, strings.Clone(f.String() + "x")[:f.Len()])
		}
	}
	if b != a || !a.same(b) {
		t.Fatalf("%T: a copy with its own strings is not the same: %+v", a, b)
	}
	for i := range vb.NumField() {
		c := a
		f := reflect.ValueOf(&c).Elem().Field(i)
		changeField(t, f)
		if c == a {
			t.Fatalf("%T.%s: the changed copy is still ==", a, vb.Type().Field(i).Name)
		}
		if a.same(c) || c.same(a) {
			t.Errorf("%T.same misses a change of %s", a, vb.Type().Field(i).Name)
		}
	}
}

// setField sets an unexported string field.
func setField(f reflect.Value, s string) {
	reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem().SetString(s)
}

// changeField gives an unexported field of a supported kind another value.
func changeField(t *testing.T, f reflect.Value) {
	t.Helper()
	w := reflect.NewAt(f.Type(), f.Addr().UnsafePointer()).Elem()
	switch w.Kind() {
	case reflect.String:
		w.SetString(w.String() + "'")
	case reflect.Bool:
		w.SetBool(!w.Bool())
	case reflect.Float64:
		w.SetFloat(w.Float() + 1)
	case reflect.Int64, reflect.Int:
		w.SetInt(w.Int() + 1)
	case reflect.Struct:
		changeField(t, w.Field(0))
	default:
		t.Fatalf("no way to change a %s field", w.Kind())
	}
}

func TestMemoKey_sameIsEqual(t *testing.T) {
	sameMatchesEqual(t, edgeIn{id: "a->b", op: "GET", path: "M0,0 L1,1", fromID: "a", fromLabel: "A", toLabel: "B",
		kind: graph.EdgeRPC, health: graph.HealthOK, width: 2, hl: "hl-new", selected: true})
	sameMatchesEqual(t, nodeIn{id: "a", name: "A", namespace: "ns", kind: graph.NodeService, health: graph.HealthFailing,
		pos: graph.Point{X: 1, Y: 2}, w: 3, h: 4, calls: 5, rate: 6, errRate: 0.5, hl: "hl-new", collapsible: true})
	sameMatchesEqual(t, labelIn{mode: LabelP99, figure: 12.5, at: graph.Point{X: 1, Y: 2}, health: graph.HealthFailing})
	sameMatchesEqual(t, miniDotIn{pos: graph.Point{X: 1, Y: 2}, health: graph.HealthOK, scale: 0.5, ox: 1, oy: 2,
		bounds: Rect{X: 1, Y: 2, W: 3, H: 4}})
}
