// Package ingest turns batches of spans from every source into the shared
// aggregate: a bounded queue, one derivation pairing store per source (so a
// trace pulled from one backend never pairs with spans pushed by another),
// and one aggregator that merges every source by node ID, so a service seen
// in two sources is one node. A single worker owns the derivers; receivers
// and pullers only enqueue.
package ingest
