// Package graph is the WASM-safe core shared by the spanmap server and the
// browser app: nodes, edges, their statistics, snapshots, views and the
// diffs streamed between them. It imports only the standard library, so it
// compiles for GOOS=js GOARCH=wasm without pulling in grpc, protobuf,
// graphviz or echo (a test asserts this with go list -deps).
//
// # Views and snapshots
//
// A View (view.go) is what a user looks at: a window or time range, a
// focus with hops up and down, grouping and filters, and the layout. Views
// travel as query strings; ParseView checks every parameter and Encode
// writes the canonical form that keys the snapshot shared by all
// subscribers of one View. Filter (filter.go) cuts a full Snapshot down to
// what a View shows.
//
// # Diffs
//
// Compute(a, b) returns the Diff from a to b and Apply(a, d) replays it, so
// Apply(a, Compute(a, b)) equals b. Both run in one merge pass over lists
// sorted by ID. A node or edge whose figures changed is sent as a patch of
// the changed fields (NodePatch, EdgePatch), so an unchanged edge path or
// exemplar list is not resent every tick. Snapshots are treated as
// immutable values: Apply and Filter never write to their inputs, and
// results may share slices and pointers with them, so Clone a snapshot
// before changing it in place.
//
// # Nil and empty
//
// A nil slice and an empty one mean the same thing everywhere in this
// package: JSON with omitempty cannot tell them apart, so Equal treats them
// alike and a Diff never carries a change from one to the other. Apply
// returns non-nil Nodes and Edges so that snapshots encode them as [].
//
// # Stream
//
// Message (message.go) is one websocket message: subscribe from the
// client; snapshot, diff, status and error from the server.
package graph
