// Package history keeps the aggregated map on disk, so a restarted spanmap
// shows complete windows at once and past minutes stay available for days.
//
// A Store is one bbolt file, <data dir>/spanmap.db. Its "minutes" bucket holds
// one key per minute: the minute start in Unix seconds as 8 big-endian bytes,
// so keys sort by time and a time range is one cursor seek and a forward
// scan. The value is the agg.Rollups binary of that minute, exported at a
// one-minute width: counts, latency sketches, exemplar candidates and
// dropped-span counts of every edge operation seen in the minute. Minutes
// older than Options.HourlyAfter are merged into one key per hour in the
// "hours" bucket; both are deleted past Options.Retention. The "events"
// bucket holds the topology-change events (graph.Event as JSON) keyed by
// their time in Unix milliseconds and a sequence number, listed newest first
// by ListEvents and deleted past the same retention. The "meta" bucket
// records the schema version; a store written by a newer spanmap is refused
// rather than misread. Adding a bucket keeps the schema version: older
// stores get the bucket when opened, and older spanmaps ignore it.
//
// bbolt rather than pebble: the store is a single file (easy to back up, move
// or delete), pure Go (no cgo, cross-compiles like the rest of spanmap),
// transactional with one fsync per commit, so a crash leaves the last complete
// flush and never a torn one, and holds an exclusive file lock, so two
// spanmap processes cannot share one data directory. The write volume is
// small (a few minute rollups every few seconds, written in one
// transaction), which does not need an LSM tree's write throughput, and every
// read is a range scan by time key, which a B+tree does directly.
//
// Writing: Run flushes every Options.FlushInterval. A flush rewrites the
// last Options.FlushMinutes minutes (default 3: the open minute and the two
// before it) from the aggregator, so calls that complete late (the pairing
// store settles unpaired calls one TTL after their spans arrived) still reach
// the disk. Calls landing in a minute older than that after it was last
// written are kept in memory only. On shutdown the server flushes once more
// after the ingest pipeline has drained.
//
// Stats counts flushes, their failures and duration, minute rollups and
// events written, and reads the file's size, for /metrics.
//
// Restoring: Restore imports the stored minutes of a time range into an
// aggregator, normally the aggregator's retention before now, before the
// server starts serving. A restored minute lands whole in the aggregator
// bucket holding its start, so windows aligned to minutes are exact and a
// window starting inside a restored minute counts that minute whole or not
// at all, depending on whether the minute's start falls inside it. Counts,
// latency quantiles, trust, the slowest and latest-error exemplars are
// exact; the typical exemplar is picked among fewer candidates (one bucket's
// sample per minute instead of one per live bucket), so it may be another
// call close to the median.
package history
