// Package render writes a graph.Snapshot as DOT, Mermaid, SVG or PNG.
//
// DOT and Mermaid are plain text and need no layout. SVG and PNG are drawn
// by graphviz (through a layout.Layouter) at the snapshot's laid-out
// positions, laying the snapshot out first when it has none.
//
// Every format shows the same things: node shapes by kind (service box,
// database cylinder, messaging queue, external hexagon, user ellipse), health
// by colour and, so that colour is never the only cue, by line style as well
// (dashed when degraded, bold when failing, dotted when there is no data),
// edge width by call rate, and edge labels with calls per second, error
// percentage and p99 latency. The colours come from DefaultPalette, one
// definition meant to be copied by the browser app.
//
// SVG output is self-contained (no scripts, external fonts or stylesheets):
// every node is a <g id="node-…"> and every edge a <g id="edge-…"> (see
// NodeElementID and EdgeElementID) whose <title> carries the hover text.
package render
