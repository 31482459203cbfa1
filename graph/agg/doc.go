// Package agg aggregates derived calls (derive.Observation) into fixed time
// buckets per edge and operation, and merges those buckets into the nodes and
// edges of a graph.Snapshot for any window.
//
// Storage model. Every edge (from, to, kind) holds one series per operation
// (the callee's operation; past Config.MaxOperationsPerEdge new operations
// share the OtherOperation series). A series is a sparse, sorted list of
// buckets of Config.BucketWidth, so a file spanning days costs only the
// buckets that hold calls. A bucket keeps counts (errors, paired, unpaired),
// the sum of known sampling probabilities, the latest call time, the set of
// sources, latency sketches and exemplar candidates. Edge and node figures
// are not stored separately: an edge merges its operation series and a node
// merges its inbound edges when a snapshot is taken, so Add touches exactly
// one bucket per call.
//
// Latency sketches are DDSketches: values are mapped to bins with the
// cubically interpolated index mapping of github.com/DataDog/sketches-go at
// Config.RelativeAccuracy (1% by default), and quantiles are read the way
// ddsketch.DDSketch reads them, so every quantile is within the relative
// accuracy of the exact value at rank q*(n-1). Bins are held in a compact
// store (sparse sorted pairs that turn dense once dense is no larger), which
// keeps a lightly used bucket to a few dozen bytes. Counts per bin saturate
// at 2^32-1 within one bucket or window. Negative values (queue lags under
// clock skew) go to a separate negative store, as in DDSketch.
//
// Each bucket stores three latency sketches instead of four: client latency
// (calls with a client span), server latency of paired calls, and server
// latency of server-only calls. The caller-view latency (Stats.Latency) is
// client plus server-only, the server latency is paired plus server-only.
// Messaging buckets add a queue-lag sketch.
//
// Concurrency: an Aggregator is safe for concurrent use; Add, AddDropped,
// Import and Prune take a write lock, Snapshot and the other readers a read
// lock, and nothing calls out of the package while holding it. Nothing runs
// in the background: the caller runs Prune.
package agg
