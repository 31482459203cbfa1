// Package graph is the WASM-safe core shared by the spanmap server and the
// browser app: nodes, edges, their statistics, snapshots, views and the
// diffs streamed between them. It imports only the standard library, so it
// compiles for GOOS=js GOARCH=wasm without pulling in grpc, protobuf,
// graphviz or echo.
package graph
