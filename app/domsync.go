package app

import (
	"slices"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// The map's layers hold thousands of elements. Rebuilding them as go-app
// elements on every update makes go-app compare the whole tree, so the
// layers are drawn by a keyed reconciler instead: go-app renders each layer
// as an empty <g>, and layerSync fills it through the DOM directly,
// touching only the elements whose description changed.

// velem describes one element: a pure value, compared with the previous
// description of the same key to find what to change in the DOM.
type velem struct {
	// Tag is the SVG tag name.
	Tag string
	// Attrs are the attributes, class included, in a fixed order.
	Attrs []vattr
	// Text is the text content of an element without children.
	Text string
	// Kids are the child elements, matched by position.
	Kids []velem
}

// vattr is one attribute of a velem.
type vattr struct{ Name, Value string }

// keyed is a top-level element of a layer and its key, unique in the layer.
type keyed struct {
	Key string
	El  velem
}

// attr returns the value of the attribute name, and whether it is set.
func (v *velem) attr(name string) (string, bool) {
	for _, a := range v.Attrs {
		if a.Name == name {
			return a.Value, true
		}
	}
	return "", false
}

// equal reports whether v and o describe the same element.
func (v *velem) equal(o *velem) bool {
	if v.Tag == o.Tag && v.Text == o.Text && sameArray(v.Attrs, o.Attrs) && sameArray(v.Kids, o.Kids) {
		return true // the same description, reused from a cache
	}
	if v.Tag != o.Tag || v.Text != o.Text || !slices.Equal(v.Attrs, o.Attrs) || len(v.Kids) != len(o.Kids) {
		return false
	}
	for i := range v.Kids {
		if !v.Kids[i].equal(&o.Kids[i]) {
			return false
		}
	}
	return true
}

// ui returns v as a go-app element.
func (v *velem) ui() app.UI {
	e := svgElem(v.Tag)
	for _, a := range v.Attrs {
		e = e.Attr(a.Name, a.Value)
	}
	if len(v.Kids) == 0 {
		if v.Text != "" {
			e = e.Text(v.Text)
		}
		return e
	}
	kids := make([]app.UI, len(v.Kids))
	for i := range v.Kids {
		kids[i] = v.Kids[i].ui()
	}
	return e.Body(kids...)
}

// sameArray reports whether a and b are the same slice of one array.
func sameArray[T any](a, b []T) bool {
	return len(a) == len(b) && (len(a) == 0 || &a[0] == &b[0])
}

// domRef is an element of the DOM a domOps writes to.
type domRef any

// domOps are the DOM operations the reconciler needs. jsDOM is the
// browser's; tests use an in-memory one.
type domOps interface {
	create(tag string) domRef
	setAttr(el domRef, name, value string)
	removeAttr(el domRef, name string)
	setText(el domRef, text string)
	// insertBefore inserts or moves el under parent before next, at the
	// end when next is nil.
	insertBefore(parent, el, next domRef)
	remove(parent, el domRef)
	// same reports whether a and b are the same element.
	same(a, b domRef) bool
}

// domReleaser is a domOps that is told when drawn elements are dropped.
type domReleaser interface {
	release(n domNode)
}

// release tells dom, when it wants to know, that n was dropped.
func release(dom domOps, n domNode) {
	if r, ok := dom.(domReleaser); ok {
		r.release(n)
	}
}

// domNode is a drawn element and its drawn children.
type domNode struct {
	el   domRef
	kids []domNode
}

// syncStats counts what one layerSync.sync did.
type syncStats struct {
	Created, Updated, Removed, Moved int
}

// layerSync keeps the children of one layer element equal to a list of
// keyed descriptions, remembering what it drew. It reuses its buffers, so
// a draw that changes little allocates little.
type layerSync struct {
	parent domRef
	drawn  map[string]*drawnElem
	order  []*drawnElem // in DOM order
	gen    uint32       // the current sync
	// buffers reused between syncs
	refs  []*drawnElem
	spare []*drawnElem
}

type drawnElem struct {
	key   string
	desc  velem
	node  domNode
	gen   uint32 // the last sync that wanted it
	fresh bool   // not drawn yet
}

// sync makes parent's children match want, in order; of elements with the
// same key, the first is drawn. When parent is not the element drawn into
// before (the layer was mounted anew), it starts from an empty layer.
func (l *layerSync) sync(dom domOps, parent domRef, want []keyed) syncStats {
	var st syncStats
	if l.drawn == nil || l.parent == nil || !dom.same(l.parent, parent) {
		for _, e := range l.order {
			release(dom, e.node)
		}
		l.parent, l.drawn, l.order = parent, map[string]*drawnElem{}, nil
	}
	l.gen++
	if l.sameKeys(want) {
		return l.update(dom, want)
	}
	refs := l.refs[:0]
	for i := range want {
		k := want[i].Key
		e := l.drawn[k]
		switch {
		case e == nil:
			e = &drawnElem{key: k, fresh: true}
			l.drawn[k] = e
		case e.gen == l.gen:
			e = nil // a duplicate key
		}
		if e != nil {
			e.gen = l.gen
		}
		refs = append(refs, e)
	}
	l.refs = refs
	// Remove what is no longer wanted, and check whether the elements
	// that stay keep their relative order (lists sorted by ID do): then
	// only new ones are inserted; otherwise every element is moved.
	j, inOrder := 0, true
	for _, e := range l.order {
		if e.gen != l.gen {
			dom.remove(parent, e.node.el)
			release(dom, e.node)
			delete(l.drawn, e.key)
			st.Removed++
			continue
		}
		for j < len(refs) && (refs[j] == nil || refs[j].fresh) {
			j++
		}
		if j == len(refs) || refs[j] != e {
			inOrder = false
		}
		j++
	}
	order := l.spare[:0]
	var next domRef
	for i := len(want) - 1; i >= 0; i-- {
		e := refs[i]
		if e == nil {
			continue
		}
		w := &want[i]
		switch {
		case e.fresh:
			e.desc, e.node, e.fresh = w.El, build(dom, &w.El), false
			dom.insertBefore(parent, e.node.el, next)
			st.Created++
		case e.desc.Tag != w.El.Tag: // another kind of element: replace it
			dom.remove(parent, e.node.el)
			release(dom, e.node)
			e.desc, e.node = w.El, build(dom, &w.El)
			dom.insertBefore(parent, e.node.el, next)
			st.Updated++
		default:
			if !e.desc.equal(&w.El) {
				e.node = patch(dom, e.node, &e.desc, &w.El)
				e.desc = w.El
				st.Updated++
			}
			if !inOrder {
				dom.insertBefore(parent, e.node.el, next)
				st.Moved++
			}
		}
		next = e.node.el
		order = append(order, e)
	}
	slices.Reverse(order)
	clear(refs)
	clear(l.order)
	l.order, l.spare = order, l.order[:0]
	return st
}

// sameKeys reports whether want has the keys drawn, in the drawn order:
// what a live update that changes figures asks for.
func (l *layerSync) sameKeys(want []keyed) bool {
	if len(want) != len(l.order) {
		return false
	}
	for i := range want {
		if want[i].Key != l.order[i].key {
			return false
		}
	}
	return true
}

// update brings the drawn elements, which have want's keys in order, up
// to date with no lookups, moves or removals.
func (l *layerSync) update(dom domOps, want []keyed) syncStats {
	var st syncStats
	for i := range want {
		e, w := l.order[i], &want[i]
		e.gen = l.gen
		switch {
		case e.desc.Tag != w.El.Tag: // another kind of element: replace it
			var next domRef
			if i+1 < len(l.order) {
				next = l.order[i+1].node.el
			}
			dom.remove(l.parent, e.node.el)
			release(dom, e.node)
			e.desc, e.node = w.El, build(dom, &w.El)
			dom.insertBefore(l.parent, e.node.el, next)
			st.Updated++
		case !e.desc.equal(&w.El):
			e.node = patch(dom, e.node, &e.desc, &w.El)
			e.desc = w.El
			st.Updated++
		}
	}
	return st
}

// build creates the element v describes, with its children.
func build(dom domOps, v *velem) domNode {
	n := domNode{el: dom.create(v.Tag)}
	for _, a := range v.Attrs {
		dom.setAttr(n.el, a.Name, a.Value)
	}
	return fill(dom, n, v)
}

// fill gives the empty drawn element n the text or children of v.
func fill(dom domOps, n domNode, v *velem) domNode {
	if len(v.Kids) == 0 {
		if v.Text != "" {
			dom.setText(n.el, v.Text)
		}
		return n
	}
	n.kids = make([]domNode, len(v.Kids))
	for i := range v.Kids {
		n.kids[i] = build(dom, &v.Kids[i])
		dom.insertBefore(n.el, n.kids[i].el, nil)
	}
	return n
}

// patch changes the drawn element n from old to v, which have the same
// tag. Children are matched by position, and rebuilt when their number or
// tags changed.
func patch(dom domOps, n domNode, old, v *velem) domNode {
	for _, a := range v.Attrs {
		if was, ok := old.attr(a.Name); !ok || was != a.Value {
			dom.setAttr(n.el, a.Name, a.Value)
		}
	}
	for _, a := range old.Attrs {
		if _, ok := v.attr(a.Name); !ok {
			dom.removeAttr(n.el, a.Name)
		}
	}
	if sameShape(old.Kids, v.Kids) {
		for i := range v.Kids {
			if !old.Kids[i].equal(&v.Kids[i]) {
				n.kids[i] = patch(dom, n.kids[i], &old.Kids[i], &v.Kids[i])
			}
		}
		if len(v.Kids) == 0 && old.Text != v.Text {
			dom.setText(n.el, v.Text)
		}
		return n
	}
	for _, k := range n.kids {
		dom.remove(n.el, k.el)
		release(dom, k)
	}
	if len(old.Kids) == 0 && old.Text != "" {
		dom.setText(n.el, "")
	}
	n.kids = nil
	return fill(dom, n, v)
}

// sameShape reports whether two child lists have the same tags in order.
func sameShape(a, b []velem) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Tag != b[i].Tag {
			return false
		}
	}
	return true
}
