// Package layout places the nodes and edges of a graph.Snapshot with
// graphviz (github.com/goccy/go-graphviz, graphviz compiled to WebAssembly).
//
// A Layouter fills Node.Pos (the node centre), Node.Width and Node.Height,
// Edge.Path (cubic Bezier control points from the caller's boundary to the
// callee's boundary) and Snapshot.Width/Height. Every coordinate is in
// points with the origin at the top-left corner of the drawing.
//
// The layout input depends only on the topology (node IDs, kinds, names and
// groups, and edge IDs and endpoints), never on metrics, so a metric-only
// change can never move anything. TopologyKey fingerprints that input so that
// callers can skip a layout whose topology did not change, and the Layouter
// keeps a small cache keyed by it.
//
// Engines: "dot-lr" and "dot-tb" (layered, ranks left to right or top to
// bottom), "neato" (stress majorisation) and "fdp" (force directed). Previous
// positions keep a re-layout stable: neato and fdp start from them (or pin
// them with Options.Pin), dot keeps a stable input order. Displacement
// measures how far existing nodes moved.
//
// go-graphviz runs a single WebAssembly instance per process that must never
// be entered by two goroutines at once. Every Layouter therefore shares one
// process-wide lock; code that needs graphviz for anything else (rendering
// SVG or PNG) should go through Layouter.Draw so that it takes the same lock.
package layout
