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
// positions keep a re-layout stable: neato and fdp start from them, and with
// Options.Pin every engine keeps them. Neato and fdp pin the nodes in place;
// dot, which always ranks the whole graph again, lays the new topology out,
// then keeps every known node where it was, moves each new node with its
// known neighbours and clear of the others, and has graphviz route the edges
// around the fixed nodes ("nop2", curved splines). Without Pin, every engine
// moves its result as a whole to sit where the previous drawing was.
// Displacement measures how far existing nodes moved. Adding one edge to a
// 200-node map moves the existing nodes by a median of about 4% of the
// drawing width with unpinned neato and 10-20% with unpinned dot, and not
// at all with Pin, whatever the engine (TestLayouter_Layout_stability).
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
