// Package hub keeps one graph.Snapshot current per active View and streams
// its diffs to websocket subscribers.
//
// # Views
//
// Subscribers that look at the same View (same View.Encode()) share one
// state. Every Tick the hub recomputes each active View once: aggregate the
// window (ending now, or the View's fixed range), filter by the View, place
// it, diff against the previous snapshot and queue the diff, encoded once, to
// every subscriber when it is not empty. A View thus sends at most one diff
// per Tick. A fixed range stops ticking once it ended SettleDelay ago. A View
// without subscribers is dropped after IdleViewExpiry, or earlier when
// MaxViews distinct Views are watched and a new one is asked for. Versions
// come from one hub-wide counter, so they increase per View and never
// repeat, even when a View is dropped and computed again. Views are stepped
// in parallel, one goroutine per CPU.
//
// # Layout
//
// Metric-only changes never move anything: a View is laid out only when its
// topology key changes, on a bounded pool of workers (LayoutWorkers), at most
// one job per View, with the previous positions passed for stability. While a
// layout runs, the View keeps streaming: metric changes and removals go out at
// once, while nodes and edges the running layout will place are held back
// until it lands. Every node a subscriber sees therefore has its final
// position, and positions only change when a layout lands. The first snapshot
// of a View and REST requests for a View nobody streams are laid out before
// they are returned. When a layout fails, the new nodes are shown unplaced
// rather than held back forever.
//
// # Graphs that can fail
//
// A Graph that also implements ContextGraph (the server's timeline, which
// reads ranges older than memory from the on-disk history) may fail: a REST
// caller gets the error from Snapshot; a subscriber of a new View gets it as
// an error message instead of the snapshot, and the View is dropped so the
// next subscription tries again; a View whose tick fails keeps its snapshot
// and tells its subscribers once, until a tick succeeds again. Place lays
// out snapshots that are not a View's own (the union of two compared time
// ranges) with the same layouter and workers.
//
// # Subscribers
//
// A client sends {"type":"subscribe","view":"<query>"} and gets a snapshot,
// then diffs; each diff names its base and new version. A bad View is
// answered with an error message naming the parameter, and the connection
// stays open for a corrected subscribe. Subscribing again on the same
// connection moves to another View, or, for the same View, asks for a fresh
// snapshot (a client whose base no longer matches does this). A Limit on
// the request's context (WithLimit) restricts a connection: which Views it
// may subscribe to, checked on every subscribe before anything of the View
// is sent, and until when it may stay; past it the connection is closed
// with websocket.StatusPolicyViolation and the reason (the server limits
// connections opened with an embed token to the token's View and expiry).
//
// Each connection has one writer goroutine and a bounded queue; publishing
// never blocks. When a subscriber's queue is full its queued diffs are
// dropped and it is sent a fresh snapshot of the current version instead.
// When the queue fills again within ResyncGrace, or a write times out, the
// connection is closed with websocket.StatusPolicyViolation; the client
// reconnects and starts over with a snapshot. Status messages (sources,
// staleness, dropped spans, from the StatusFunc) go out every
// StatusInterval, and the latest one follows the snapshot of every new
// subscription. Messages are compressed with permessage-deflate when the
// client offers it, each on its own by default (see Config.Compression).
//
// Diff, snapshot and status messages are encoded once and shared by every
// subscriber of a View; only compression is done per connection.
package hub
