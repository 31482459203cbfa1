// Package server is spanmap's HTTP server: the REST API over the live graph,
// the websocket stream, the go-app UI, health and Prometheus metrics, access
// control, and the wiring of receivers, pullers and the demo system into the
// ingest pipeline. Backends live in server/source/...; the streaming hub in
// server/hub; the pipeline in server/ingest.
package server
