// Package prometheus reads the service-graph metrics that an OpenTelemetry
// Collector servicegraph connector, Grafana Alloy or Tempo's
// metrics-generator already computes, through the Prometheus HTTP API, and
// turns them into edge figures for the aggregator. This lets spanmap draw a
// map of traffic it never sees as spans: the collector fleet does the
// per-span work.
//
// Every Config.Interval the Source evaluates instant queries
// (GET /api/v1/query) at the end of the last whole interval that trails now
// by Config.Settle:
//
//	sum by (client, server, connection_type, virtual_node, client_<ns>, server_<ns>) (increase(<prefix>_request_total[<interval>]))
//	sum by (client, server, connection_type) (increase(<prefix>_request_failed_total[<interval>]))
//	histogram_quantile(<q>, sum by (le, client, server, connection_type) (rate(<prefix>_request_client_seconds_bucket[<interval>])))
//	histogram_quantile(<q>, sum by (le, client, server, connection_type) (rate(<prefix>_request_server_seconds_bucket[<interval>])))
//
// for q in 0.5, 0.9, 0.95 and 0.99 (and, with Config.QueueLag, the
// messaging_system histogram). Each (client, server, connection_type)
// becomes one agg.ExternalEdge for that interval: connection_type database
// points at a database node, messaging_system makes a messaging edge between
// two services, virtual_node has an uninstrumented side (the client when the
// virtual_node label says so or the client is Config.UserClient, a user
// node; otherwise the server, an external node). Only the instrumented
// side's latency is used for virtual and database edges. Node IDs are the
// plain client and server names, as for calls derived from spans, so a
// service seen in spans and in metrics is one node.
//
// A failed interval is retried (with capped exponential backoff) until it
// falls out of Config.Lookback; a Source behind by several intervals catches
// up Config.MaxCatchUp intervals per poll. Status reports state, last
// success and error, lag and intervals behind in the poller's terms.
package prometheus
