// Package svgtest parses SVG documents for tests that check what a map
// drawing contains: every element with its attributes, and the groups
// (<g id=...>) by id.
package svgtest

import (
	"encoding/xml"
	"testing"
)

// Elem is an XML element with its attributes, children and text.
type Elem struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Children []Elem     `xml:",any"`
	Text     string     `xml:",chardata"`
}

// Attr returns the value of attribute name (local name), "" when unset.
func (e *Elem) Attr(name string) string {
	for _, a := range e.Attrs {
		if a.Name.Local == name {
			return a.Value
		}
	}
	return ""
}

// Walk calls fn for e and every element under it.
func (e *Elem) Walk(fn func(*Elem)) {
	fn(e)
	for i := range e.Children {
		e.Children[i].Walk(fn)
	}
}

// Child returns the first direct child named name, nil if none.
func (e *Elem) Child(name string) *Elem {
	for i := range e.Children {
		if e.Children[i].XMLName.Local == name {
			return &e.Children[i]
		}
	}
	return nil
}

// Parse parses doc, which must be an <svg> document, and indexes its <g>
// elements by id; it fails the test otherwise.
func Parse(t testing.TB, doc []byte) (*Elem, map[string]*Elem) {
	t.Helper()
	var root Elem
	if err := xml.Unmarshal(doc, &root); err != nil {
		t.Fatalf("SVG does not parse as XML: %v", err)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root element %q, want svg", root.XMLName.Local)
	}
	groups := map[string]*Elem{}
	root.Walk(func(e *Elem) {
		if e.XMLName.Local == "g" && e.Attr("id") != "" {
			groups[e.Attr("id")] = e
		}
	})
	return &root, groups
}
