package app

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// fakeEl is an element of fakeDOM.
type fakeEl struct {
	tag    string
	attrs  []vattr
	text   string
	kids   []*fakeEl
	parent *fakeEl
}

// fakeDOM is an in-memory DOM that counts the operations made on it.
type fakeDOM struct {
	ops map[string]int
}

func newFakeDOM() *fakeDOM { return &fakeDOM{ops: map[string]int{}} }

func (d *fakeDOM) create(tag string) domRef {
	d.ops["create"]++
	return &fakeEl{tag: tag}
}

func (d *fakeDOM) setAttr(el domRef, name, value string) {
	d.ops["setAttr"]++
	e := el.(*fakeEl)
	for i := range e.attrs {
		if e.attrs[i].Name == name {
			e.attrs[i].Value = value
			return
		}
	}
	e.attrs = append(e.attrs, vattr{name, value})
}

func (d *fakeDOM) removeAttr(el domRef, name string) {
	d.ops["removeAttr"]++
	e := el.(*fakeEl)
	e.attrs = slices.DeleteFunc(e.attrs, func(a vattr) bool { return a.Name == name })
}

func (d *fakeDOM) setText(el domRef, text string) {
	d.ops["setText"]++
	e := el.(*fakeEl)
	for _, k := range e.kids {
		k.parent = nil
	}
	e.kids, e.text = nil, text
}

func (d *fakeDOM) insertBefore(parent, el, next domRef) {
	d.ops["insert"]++
	p, e := parent.(*fakeEl), el.(*fakeEl)
	if e.parent != nil {
		e.parent.kids = slices.DeleteFunc(e.parent.kids, func(k *fakeEl) bool { return k == e })
	}
	e.parent = p
	if next == nil {
		p.kids = append(p.kids, e)
		return
	}
	i := slices.Index(p.kids, next.(*fakeEl))
	if i < 0 {
		panic("insertBefore: next is not a child of parent")
	}
	p.kids = slices.Insert(p.kids, i, e)
}

func (d *fakeDOM) remove(parent, el domRef) {
	d.ops["remove"]++
	p, e := parent.(*fakeEl), el.(*fakeEl)
	i := slices.Index(p.kids, e)
	if i < 0 {
		panic("remove: not a child")
	}
	p.kids = slices.Delete(p.kids, i, i+1)
	e.parent = nil
}

func (d *fakeDOM) same(a, b domRef) bool { return a == b }

// total is the number of operations made.
func (d *fakeDOM) total() int {
	n := 0
	for _, v := range d.ops {
		n += v
	}
	return n
}

// markupEscaper escapes text and attribute values as go-app's HTMLString
// does (> is left as it is, as in IDs "FROM->TO").
var markupEscaper = strings.NewReplacer("&", "&amp;", `"`, "&#34;", "<", "&lt;")

// html writes e as markup, attributes in the order set.
func (e *fakeEl) html(b *strings.Builder) {
	b.WriteString("<" + e.tag)
	for _, a := range e.attrs {
		fmt.Fprintf(b, ` %s="%s"`, a.Name, markupEscaper.Replace(a.Value))
	}
	b.WriteString(">")
	b.WriteString(markupEscaper.Replace(e.text))
	for _, k := range e.kids {
		k.html(b)
	}
	b.WriteString("</" + e.tag + ">")
}

func (e *fakeEl) String() string {
	var b strings.Builder
	e.html(&b)
	return b.String()
}

// toFake builds the element v describes directly, for comparing with
// what the reconciler made.
func toFake(v velem) string {
	d := newFakeDOM()
	return build(d, &v).el.(*fakeEl).String()
}

func item(key, class, text string, kids ...velem) keyed {
	return keyed{Key: key, El: elem("g", attr("class", class), attr("data-node-id", key)).with(kids...).withText(text)}
}

func layerHTML(parent *fakeEl) string {
	var b strings.Builder
	for _, k := range parent.kids {
		k.html(&b)
	}
	return b.String()
}

func wantHTML(want []keyed) string {
	var b strings.Builder
	for _, w := range want {
		b.WriteString(toFake(w.El))
	}
	return b.String()
}

func TestLayerSync_sync(t *testing.T) {
	title := func(s string) velem { return elem("title").withText(s) }
	shape := func(d string) velem { return elem("path", attr("class", "node-shape"), attr("d", d)) }
	steps := []struct {
		name string
		want []keyed
		// ops are the expected operation counts of this step.
		ops   map[string]int
		stats syncStats
	}{
		{"first draw", []keyed{
			item("a", "node", "", title("a"), shape("M 0 0")),
			item("b", "node", "", title("b"), shape("M 1 1")),
		}, map[string]int{"create": 6, "setAttr": 8, "setText": 2, "insert": 6}, syncStats{Created: 2}},
		{"nothing changed", []keyed{
			item("a", "node", "", title("a"), shape("M 0 0")),
			item("b", "node", "", title("b"), shape("M 1 1")),
		}, map[string]int{}, syncStats{}},
		{"one class and one title change", []keyed{
			item("a", "node selected", "", title("a"), shape("M 0 0")),
			item("b", "node", "", title("b: 3/s"), shape("M 1 1")),
		}, map[string]int{"setAttr": 1, "setText": 1}, syncStats{Updated: 2}},
		{"insert in the middle, remove at the end", []keyed{
			item("a", "node selected", "", title("a"), shape("M 0 0")),
			item("ab", "node", "", title("ab"), shape("M 2 2")),
		}, map[string]int{"create": 3, "setAttr": 4, "setText": 1, "insert": 3, "remove": 1}, syncStats{Created: 1, Removed: 1}},
		{"children change shape", []keyed{
			item("a", "node selected", "", title("a"), shape("M 0 0"), elem("path", attr("class", "node-detail"))),
			item("ab", "node", "", title("ab")),
		}, map[string]int{"create": 4, "setAttr": 3, "setText": 2, "insert": 4, "remove": 4}, syncStats{Updated: 2}},
		{"attribute removed, text instead of children", []keyed{
			{Key: "a", El: elem("g", attr("data-node-id", "a")).withText("plain")},
			item("ab", "node", "", title("ab")),
		}, map[string]int{"removeAttr": 1, "remove": 3, "setText": 1}, syncStats{Updated: 1}},
		{"reordered", []keyed{
			item("ab", "node", "", title("ab")),
			{Key: "a", El: elem("g", attr("data-node-id", "a")).withText("plain")},
		}, map[string]int{"insert": 2}, syncStats{Moved: 2}},
		{"tag changed", []keyed{
			{Key: "ab", El: elem("text", attr("class", "label")).withText("ab")},
			{Key: "a", El: elem("g", attr("data-node-id", "a")).withText("plain")},
		}, map[string]int{"remove": 1, "create": 1, "setAttr": 1, "setText": 1, "insert": 1}, syncStats{Updated: 1}},
		{"emptied", nil, map[string]int{"remove": 2}, syncStats{Removed: 2}},
	}
	var l layerSync
	parent := &fakeEl{tag: "g"}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			dom := newFakeDOM()
			st := l.sync(dom, parent, s.want)
			if got, want := layerHTML(parent), wantHTML(s.want); got != want {
				t.Fatalf("layer\n got %s\nwant %s", got, want)
			}
			if st != s.stats {
				t.Errorf("stats %+v, want %+v", st, s.stats)
			}
			for op, n := range s.ops {
				if dom.ops[op] != n {
					t.Errorf("%d %s operations, want %d (all: %v)", dom.ops[op], op, n, dom.ops)
				}
			}
			if dom.total() != sumOps(s.ops) {
				t.Errorf("operations %v, want %v", dom.ops, s.ops)
			}
		})
	}
}

func sumOps(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

func TestLayerSync_sync_newParentRedraws(t *testing.T) {
	var l layerSync
	want := []keyed{item("a", "node", "x")}
	first := &fakeEl{tag: "g"}
	l.sync(newFakeDOM(), first, want)
	second := &fakeEl{tag: "g"}
	if st := l.sync(newFakeDOM(), second, want); st.Created != 1 {
		t.Fatalf("drawing into a new layer element: %+v, want 1 created", st)
	}
	if layerHTML(second) != wantHTML(want) {
		t.Errorf("new layer element holds %s", layerHTML(second))
	}
}

func TestLayerSync_sync_duplicateKeys(t *testing.T) {
	var l layerSync
	parent := &fakeEl{tag: "g"}
	l.sync(newFakeDOM(), parent, []keyed{item("a", "first", ""), item("a", "second", ""), item("b", "b", "")})
	if got := layerHTML(parent); got != wantHTML([]keyed{item("a", "second", ""), item("b", "b", "")}) &&
		got != wantHTML([]keyed{item("a", "first", ""), item("b", "b", "")}) {
		t.Fatalf("duplicate key drawn as %s", got)
	}
	if n := len(parent.kids); n != 2 {
		t.Errorf("%d elements for 2 keys", n)
	}
}

func TestBatchDOM_ops(t *testing.T) {
	d := &batchDOM{}
	layer := 7
	d.next = layer
	g := d.create("g")
	d.setAttr(g, "class", "node\x00bad")
	title := d.create("title")
	d.setText(title, "a\nb\x01")
	d.insertBefore(g, title, nil)
	d.insertBefore(layer, g, nil)
	d.removeAttr(g, "class")
	d.remove(layer, g)
	d.release(domNode{el: g, kids: []domNode{{el: title}}})
	want := strings.Join([]string{
		"c\x008\x00g", "a\x008\x00class\x00nodebad", "c\x009\x00title", "t\x009\x00a\nb",
		"i\x008\x009\x00", "i\x007\x008\x00", "r\x008\x00class", "x\x007\x008", "f\x009", "f\x008", "",
	}, "\x01")
	if got := d.ops.String(); got != want {
		t.Errorf("operations\n got %q\nwant %q", got, want)
	}
	// Released numbers are reused.
	if a, b := d.create("g"), d.create("g"); a != 8 || b != 9 {
		t.Errorf("new elements got %v and %v, want the released 8 and 9", a, b)
	}
	if c := d.create("g"); c != 10 {
		t.Errorf("next new element got %v, want 10", c)
	}
	d.ops.Reset()
	d.flush() // nothing to apply: no call
}

func TestLayerSync_sync_releasesRemoved(t *testing.T) {
	d := &batchDOM{}
	var l layerSync
	parent := domRef(0)
	l.sync(d, parent, []keyed{item("a", "node", "", elem("title").withText("a")), item("b", "node", "x")})
	if d.next != 3 {
		t.Fatalf("%d elements numbered, want 3", d.next)
	}
	d.ops.Reset()
	l.sync(d, parent, []keyed{item("b", "node", "x")})
	if len(d.free) != 2 {
		t.Errorf("removing a drawn element and its child freed %v", d.free)
	}
	if !strings.Contains(d.ops.String(), "x\x000\x002") { // built last to first: a is 2
		t.Errorf("operations %q do not remove element 2", d.ops.String())
	}
}
