package app

import (
	"strconv"
	"strings"

	"github.com/maxence-charriere/go-app/v10/pkg/app"
)

// batchDOM is the reconciler's browser DOM. Every call from WebAssembly
// into JavaScript costs far more than the DOM operation it makes, so
// batchDOM writes the operations of one draw into a string and hands it
// to a small JavaScript function that applies them in one call. Elements
// are numbers: indices into a table the function keeps.
type batchDOM struct {
	apply app.Value // the JavaScript side, see batchJS
	ops   strings.Builder
	count int   // operations written since the last flush
	next  int   // the next never-used element number
	free  []int // numbers of removed elements, for reuse
	// parents are the layer elements, registered in the table under
	// parentIDs.
	parents   []app.Value
	parentIDs []int
}

// Record and field separators of the operation string. Neither can occur
// in SVG markup, and clean drops them from values.
const (
	opSep    = "\x01"
	fieldSep = "\x00"
)

// batchJS returns the function that applies an operation string: c
// creates, a and r set and remove an attribute, t sets the text, i
// inserts (before an element, or at the end), x removes a child, f forgets
// an element number, and p registers an element given as the second
// argument.
const batchJS = `const els = [];
return function(ops, el) {
	for (const op of ops.split('` + "\\x01" + `')) {
		if (op === '') continue;
		const f = op.split('` + "\\x00" + `');
		switch (f[0]) {
		case 'c': els[+f[1]] = document.createElementNS('` + svgNS + `', f[2]); break;
		case 'a': els[+f[1]].setAttribute(f[2], f[3]); break;
		case 'r': els[+f[1]].removeAttribute(f[2]); break;
		case 't': {
			// Replacing the data of a lone text node is cheaper than
			// textContent, which makes a new node.
			const e = els[+f[1]], n = e.firstChild;
			if (f[2] !== '' && n && n.nodeType === 3 && !n.nextSibling) n.data = f[2];
			else e.textContent = f[2];
			break;
		}
		case 'i': els[+f[1]].insertBefore(els[+f[2]], f[3] === '' ? null : els[+f[3]]); break;
		case 'x': els[+f[1]].removeChild(els[+f[2]]); break;
		case 'f': els[+f[1]] = undefined; break;
		case 'p': els[+f[1]] = el; break;
		}
	}
};`

// newBatchDOM returns a batchDOM with its JavaScript function, made once
// per canvas. Outside a browser the function is go-app's inert value.
func newBatchDOM() *batchDOM {
	fn := app.Window().Get("Function").New(batchJS).Invoke()
	return &batchDOM{apply: fn}
}

// id returns a free element number.
func (d *batchDOM) id() int {
	if n := len(d.free); n > 0 {
		id := d.free[n-1]
		d.free = d.free[:n-1]
		return id
	}
	d.next++
	return d.next
}

// op appends one operation.
func (d *batchDOM) op(fields ...string) {
	for i, f := range fields {
		if i > 0 {
			d.ops.WriteString(fieldSep)
		}
		d.ops.WriteString(f)
	}
	d.ops.WriteString(opSep)
	d.count++
}

// clean drops the separator characters from s.
func clean(s string) string {
	if !strings.ContainsAny(s, opSep+fieldSep) {
		return s
	}
	return strings.NewReplacer(opSep, "", fieldSep, "").Replace(s)
}

// parent returns the element number of the layer element v, registering
// it when it is new.
func (d *batchDOM) parent(v app.Value) domRef {
	for i, p := range d.parents {
		if p.Equal(v) {
			return d.parentIDs[i]
		}
	}
	id := d.id()
	d.apply.Invoke("p"+fieldSep+strconv.Itoa(id), v)
	d.parents = append(d.parents, v)
	d.parentIDs = append(d.parentIDs, id)
	return id
}

// forget drops the registration of the layer element v, which left the
// page, and the numbers of its drawn children.
func (d *batchDOM) forget(v app.Value, drawn []*drawnElem) {
	for _, e := range drawn {
		d.release(e.node)
	}
	for i, p := range d.parents {
		if p.Equal(v) {
			id := d.parentIDs[i]
			d.op("f", strconv.Itoa(id))
			d.free = append(d.free, id)
			d.parents = append(d.parents[:i], d.parents[i+1:]...)
			d.parentIDs = append(d.parentIDs[:i], d.parentIDs[i+1:]...)
			return
		}
	}
}

// flush applies the operations written since the last flush and returns
// how many there were.
func (d *batchDOM) flush() int {
	n := d.count
	if d.ops.Len() == 0 {
		return n
	}
	d.apply.Invoke(d.ops.String())
	d.ops.Reset()
	d.count = 0
	return n
}

func num(r domRef) string { return strconv.Itoa(r.(int)) }

func (d *batchDOM) create(tag string) domRef {
	id := d.id()
	d.op("c", strconv.Itoa(id), tag)
	return id
}

func (d *batchDOM) setAttr(el domRef, name, value string) {
	d.op("a", num(el), name, clean(value))
}

func (d *batchDOM) removeAttr(el domRef, name string) { d.op("r", num(el), name) }

func (d *batchDOM) setText(el domRef, text string) { d.op("t", num(el), clean(text)) }

func (d *batchDOM) insertBefore(parent, el, next domRef) {
	n := ""
	if next != nil {
		n = num(next)
	}
	d.op("i", num(parent), num(el), n)
}

func (d *batchDOM) remove(parent, el domRef) { d.op("x", num(parent), num(el)) }

// release forgets the element numbers of a removed element and its
// children, for reuse.
func (d *batchDOM) release(n domNode) {
	for _, k := range n.kids {
		d.release(k)
	}
	id := n.el.(int)
	d.op("f", strconv.Itoa(id))
	d.free = append(d.free, id)
}

func (d *batchDOM) same(a, b domRef) bool { return a == b }
