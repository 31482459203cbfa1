package graph

import (
	"reflect"
	"testing"
)

// perturb changes v, a settable value, so that it no longer equals what it
// was: numbers grow, strings get longer, booleans flip, nil pointers and
// slices get a value, set ones have their first element changed.
func perturb(t *testing.T, v reflect.Value) {
	t.Helper()
	switch v.Kind() {
	case reflect.String:
		v.SetString(v.String() + "x")
	case reflect.Int, reflect.Int64:
		v.SetInt(v.Int() + 1)
	case reflect.Uint64:
		v.SetUint(v.Uint() + 1)
	case reflect.Float64:
		v.SetFloat(v.Float() + 1)
	case reflect.Bool:
		v.SetBool(!v.Bool())
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
			return
		}
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(v.Elem())
		perturb(t, c.Elem())
		v.Set(c)
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.Append(v, reflect.Zero(v.Type().Elem())))
			return
		}
		c := reflect.MakeSlice(v.Type(), v.Len(), v.Len())
		reflect.Copy(c, v)
		perturb(t, c.Index(0))
		v.Set(c)
	case reflect.Struct:
		perturb(t, v.Field(0))
	default:
		t.Fatalf("perturb: unhandled kind %s", v.Kind())
	}
}

// fieldPaths lists the index paths of every leaf field of typ, descending
// into structs (embedded ones too), so a field added later is covered.
func fieldPaths(typ reflect.Type, prefix []int) [][]int {
	var out [][]int
	for i := range typ.NumField() {
		p := append(append([]int(nil), prefix...), i)
		if f := typ.Field(i); f.Type.Kind() == reflect.Struct {
			out = append(out, fieldPaths(f.Type, p)...)
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkEveryField asserts that changing any one leaf field of base makes
// equal report false, and that an untouched copy is equal.
func checkEveryField[T any](t *testing.T, base T, equal func(a, b *T) bool) {
	t.Helper()
	same := base
	if !equal(&base, &same) {
		t.Fatalf("%T: copy not Equal", base)
	}
	typ := reflect.TypeOf(base)
	for _, path := range fieldPaths(typ, nil) {
		changed := base
		f := reflect.ValueOf(&changed).Elem().FieldByIndex(path)
		perturb(t, f)
		if equal(&base, &changed) || equal(&changed, &base) {
			t.Errorf("%T: change of field %s not seen by Equal", base, typ.FieldByIndex(path).Name)
		}
	}
}

func TestNode_Equal_everyField(t *testing.T) {
	g := newGen(1)
	for range 50 {
		checkEveryField(t, g.node(g.r.IntN(g.pool)), (*Node).Equal)
	}
}

func TestEdge_Equal_everyField(t *testing.T) {
	g := newGen(2)
	for range 50 {
		checkEveryField(t, g.edge("a", "b"), (*Edge).Equal)
	}
}

func TestSnapshot_Equal_everyField(t *testing.T) {
	g := newGen(3)
	for range 50 {
		s := g.snapshot(1)
		checkEveryField(t, s, (*Snapshot).Equal)
	}
}

func TestNode_Equal_nilVersusEmpty(t *testing.T) {
	a := Node{ID: "a", Operations: nil, Sources: []string{}}
	b := Node{ID: "a", Operations: []string{}, Sources: nil}
	if !a.Equal(&b) {
		t.Error("nil and empty slices: not Equal")
	}
	pa, pb := a, b
	pa.Pos, pb.Pos = &Point{X: 1}, &Point{X: 1}
	if !pa.Equal(&pb) {
		t.Error("equal positions behind different pointers: not Equal")
	}
	pb.Pos = nil
	if pa.Equal(&pb) {
		t.Error("set versus nil position: Equal")
	}
}

// TestEqual_matchesNormalizedDeepEqual checks Equal against
// reflect.DeepEqual after normalize, over random pairs that share IDs.
func TestEqual_matchesNormalizedDeepEqual(t *testing.T) {
	g := newGen(4)
	agree := 0
	for range 2000 {
		a, b := g.node(3), g.node(3)
		if g.chance(0.5) {
			b = a.Clone()
			if g.chance(0.5) {
				b.Sources = swapEmpty(b.Sources)
			}
		}
		want := reflect.DeepEqual(normalizeNode(a), normalizeNode(b))
		if got := a.Equal(&b); got != want {
			t.Fatalf("Node.Equal = %v, normalised DeepEqual = %v\n%+v\n%+v", got, want, a, b)
		}
		ea, eb := g.edge("x", "y"), g.edge("x", "y")
		if g.chance(0.5) {
			eb = ea.Clone()
			eb.Path = nilIfEmpty(eb.Path)
		}
		want = reflect.DeepEqual(normalizeEdge(ea), normalizeEdge(eb))
		if got := ea.Equal(&eb); got != want {
			t.Fatalf("Edge.Equal = %v, normalised DeepEqual = %v", got, want)
		}
		if want {
			agree++
		}
	}
	if agree == 0 {
		t.Fatal("no equal pairs generated: the test compared only different values")
	}
}

func TestSnapshot_Clone_sharesNothing(t *testing.T) {
	g := newGen(5)
	for range 100 {
		s := g.snapshot(1)
		orig, c := s.Clone(), s.Clone()
		if !reflect.DeepEqual(s, c) {
			t.Fatal("Clone differs from original")
		}
		for i := range c.Nodes {
			perturb(t, reflect.ValueOf(&c.Nodes[i]).Elem())
			if c.Nodes[i].Pos != nil {
				c.Nodes[i].Pos.X++
			}
			for j := range c.Nodes[i].Sources {
				c.Nodes[i].Sources[j] += "!"
			}
		}
		for i := range c.Edges {
			if c.Edges[i].ClientLatency != nil {
				c.Edges[i].ClientLatency.P99++
			}
			for j := range c.Edges[i].Path {
				c.Edges[i].Path[j].X++
			}
			for j := range c.Edges[i].Exemplars {
				c.Edges[i].Exemplars[j].TraceID = "changed"
			}
		}
		if !reflect.DeepEqual(s, orig) {
			t.Fatal("changing the clone changed the original")
		}
	}
}
