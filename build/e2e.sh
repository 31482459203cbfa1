#!/usr/bin/env bash
# Integration tests against a real Jaeger v2 (`make e2e`).
#
# Builds Jaeger and HotROD into $CACHE, or reuses them (build/jaeger.sh),
# starts Jaeger with build/jaeger-e2e.yaml (in-memory storage, every listener
# on 127.0.0.1, free ports), runs the Go tests tagged e2e with the addresses
# in E2E_* variables, and stops what it started by PID on exit.
#
#   CACHE=~/.cache/spanmap bash build/e2e.sh [extra go test flags]
set -euo pipefail
cd "$(dirname "$0")/.."
CACHE=${CACHE:-$HOME/.cache/spanmap}
export CACHE

bin=$(bash build/jaeger.sh)
work=$(mktemp -d)
jaeger_pid=""

cleanup() {
	if [ -n "$jaeger_pid" ] && kill -0 "$jaeger_pid" 2>/dev/null; then
		kill "$jaeger_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$jaeger_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -9 "$jaeger_pid" 2>/dev/null || true
		wait "$jaeger_pid" 2>/dev/null || true
	fi
	rm -rf "$work"
}
trap cleanup EXIT

# listening reports whether something accepts connections on 127.0.0.1:$1.
listening() {
	(exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# pick_ports sets PORTS to five distinct loopback ports nobody listens on.
pick_ports() {
	PORTS=()
	while [ "${#PORTS[@]}" -lt 5 ]; do
		p=$((20000 + RANDOM % 30000))
		if [[ " ${PORTS[*]} " == *" $p "* ]] || listening "$p"; then
			continue
		fi
		PORTS+=("$p")
	done
}

# start_jaeger starts Jaeger on fresh ports, with its self-tracing off (it
# would export to 127.0.0.1:4317, which may be anyone's OTLP receiver), and
# waits until its query API
# answers; it fails when Jaeger exits or does not answer within 60 s.
start_jaeger() {
	pick_ports
	export JAEGER_QUERY_HTTP_PORT=${PORTS[0]} JAEGER_QUERY_GRPC_PORT=${PORTS[1]}
	export JAEGER_OTLP_GRPC_PORT=${PORTS[2]} JAEGER_OTLP_HTTP_PORT=${PORTS[3]} JAEGER_ZIPKIN_PORT=${PORTS[4]}
	"$bin/jaeger" --config "$PWD/build/jaeger-e2e.yaml" --set extensions.jaeger_query.enable_tracing=false >"$work/jaeger.log" 2>&1 &
	jaeger_pid=$!
	for _ in $(seq 600); do
		if ! kill -0 "$jaeger_pid" 2>/dev/null; then
			wait "$jaeger_pid" 2>/dev/null || true
			jaeger_pid=""
			return 1
		fi
		if curl -fsS -o /dev/null "http://127.0.0.1:$JAEGER_QUERY_HTTP_PORT/api/services" 2>/dev/null &&
			listening "$JAEGER_OTLP_GRPC_PORT" && listening "$JAEGER_OTLP_HTTP_PORT" && listening "$JAEGER_ZIPKIN_PORT" &&
			listening "$JAEGER_QUERY_GRPC_PORT"; then
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# A port picked above can be taken before Jaeger binds it: try three times.
started=""
for attempt in 1 2 3; do
	if start_jaeger; then
		started=1
		break
	fi
	echo "e2e.sh: Jaeger did not start (attempt $attempt):" >&2
	tail -n 20 "$work/jaeger.log" >&2 || true
	if [ -n "$jaeger_pid" ]; then
		kill "$jaeger_pid" 2>/dev/null || true
		wait "$jaeger_pid" 2>/dev/null || true
		jaeger_pid=""
	fi
done
if [ -z "$started" ]; then
	echo "e2e.sh: giving up on Jaeger" >&2
	exit 1
fi
echo "e2e.sh: Jaeger ($bin) pid $jaeger_pid, query http 127.0.0.1:$JAEGER_QUERY_HTTP_PORT grpc 127.0.0.1:$JAEGER_QUERY_GRPC_PORT"

export E2E_JAEGER_QUERY_HTTP=127.0.0.1:$JAEGER_QUERY_HTTP_PORT
export E2E_JAEGER_QUERY_GRPC=127.0.0.1:$JAEGER_QUERY_GRPC_PORT
export E2E_JAEGER_OTLP_GRPC=127.0.0.1:$JAEGER_OTLP_GRPC_PORT
export E2E_JAEGER_OTLP_HTTP=127.0.0.1:$JAEGER_OTLP_HTTP_PORT
export E2E_JAEGER_ZIPKIN=127.0.0.1:$JAEGER_ZIPKIN_PORT
export E2E_HOTROD=$bin/hotrod

status=0
# ./e2e/ only: the browser tests in ./e2e/browser run in `make test`.
go test -tags e2e -count=1 -v -timeout 10m "$@" ./e2e/ || status=$?
if [ "$status" -ne 0 ]; then
	echo "e2e.sh: tests failed; the last of Jaeger's log:" >&2
	tail -n 50 "$work/jaeger.log" >&2 || true
fi
exit "$status"
