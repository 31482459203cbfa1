// Package agg aggregates derived calls (derive.Observation) into fixed time
// buckets per edge and operation, and merges those buckets into the nodes and
// edges of a graph.Snapshot for any window.
//
// Storage. Every edge (from, to, kind) holds one series per operation (past
// Config.MaxOperationsPerEdge, new operations share the OtherOperation
// series). A series is a sparse, sorted list of buckets of
// Config.BucketWidth, so a file spanning days costs only the buckets that
// hold calls. A bucket keeps counts (errors, paired, unpaired), the sum of
// known sampling probabilities, the latest call time, the set of sources,
// latency sketches and exemplar candidates. Edge and node figures are not
// stored: an edge merges its operation series, and a node merges its inbound
// edges, when a snapshot is taken, so Add touches one bucket per call.
// Prune drops buckets past Config.Retention and packs buckets older than
// Config.CompactAfter into a compact byte form that readers merge directly
// (lossless: snapshots are identical before and after packing); with
// CompactAfter set, Import stores the buckets it creates packed too, so
// restoring a day of rollups holds a fraction of the memory. Decoded
// Rollups carve their sources, candidates and sketch bins out of a few
// shared chunks.
//
// Latency. Sketches are DDSketches: values (ns) are mapped to bins with the
// cubically interpolated index mapping of github.com/DataDog/sketches-go at
// Config.RelativeAccuracy (1% by default), and quantiles are read as
// ddsketch.DDSketch reads them (the bin of rank q*(n-1)), so each quantile is
// within the relative accuracy of the exact value at that rank; tests check
// equality with ddsketch.DDSketch. Bins live in a compact store (sorted
// sparse pairs that turn dense once dense is at most twice as large); counts per bin
// saturate at 2^32-1 within one bucket or window. Negative values (queue lags
// under clock skew) go to a separate negative store, as in DDSketch. A bucket
// holds three latency sketches: client latency (calls with a client span),
// server latency of paired calls, and server latency of server-only calls.
// Stats.Latency (the caller's view) merges client and server-only;
// Stats.ServerLatency merges paired and server-only. Messaging buckets add a
// queue-lag sketch.
//
// Exemplars. Each bucket keeps the slowest call, the latest error and a
// bottom-k sample (by a hash of trace ID and time) of Config.ExemplarCandidates
// calls. A window picks the slowest and latest error over its buckets and, as
// the typical call, the sampled candidate nearest the window's p50
// (successful calls first). Ties and samples do not depend on the order of
// calls, so snapshots are reproducible.
//
// Trust. Paired and Unpaired count calls; Dropped sums the spans reported by
// AddDropped for the edge's two nodes in the window (drops carry no time:
// they land in the bucket of the latest call time seen); LastSeen is the
// latest call start; SamplingRate is the mean sampling probability of the
// calls that carried one (0 if none did).
//
// Concurrency. An Aggregator is safe for concurrent use: Add, AddDropped,
// Import and Prune take the write lock, readers the read lock (Snapshot per
// chunk of edges), and nothing calls out of the package while holding it.
// Nothing runs in the background: the caller runs Prune.
package agg
