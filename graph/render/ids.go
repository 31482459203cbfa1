package render

import (
	"fmt"
	"strings"
)

// NodeElementID returns the SVG element ID of the node with graph ID id:
// "node-" followed by EscapeID(id).
func NodeElementID(id string) string { return "node-" + EscapeID(id) }

// EdgeElementID returns the SVG element ID of the edge with graph ID id:
// "edge-" followed by EscapeID(id).
func EdgeElementID(id string) string { return "edge-" + EscapeID(id) }

// EscapeID turns any string into a valid, unique XML and CSS identifier
// tail: ASCII letters, digits and '-' are kept, every other byte becomes
// "_xx" (two lower-case hex digits). "db:orders" becomes "db_3aorders". The
// mapping is reversible, so different IDs never collide.
func EscapeID(id string) string {
	var b strings.Builder
	for i := 0; i < len(id); i++ {
		c := id[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "_%02x", c)
	}
	return b.String()
}
