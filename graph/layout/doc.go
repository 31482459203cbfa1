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
// them with Options.Pin), dot keeps a stable input order; every engine then
// moves the result as a whole to sit where the previous drawing was.
// Displacement measures how far existing nodes moved. Adding one edge to a
// 200-node map moves the existing nodes by a median of about 2-4% of the
// drawing width with neato, 0 with neato or fdp and Pin, and 10-40% with dot
// or unpinned fdp (see TestLayouter_Layout_stability), so neato is the
// engine for live maps that must not jump.
//
// Limits of the graphviz build: overlap removal is Voronoi based (prism
// needs a triangulation library the WebAssembly build lacks), and fdp is not
// deterministic: the same topology can get a different fdp layout on a cache
// miss. Dot, dot-tb and neato always give the same layout for the same
// topology.
//
// go-graphviz runs a single WebAssembly instance per process that must never
// be entered by two goroutines at once. Every Layouter therefore shares one
// process-wide lock; code that needs graphviz for anything else (rendering
// SVG or PNG) should go through Layouter.Draw so that it takes the same lock.
package layout
