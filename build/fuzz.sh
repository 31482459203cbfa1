#!/usr/bin/env bash
# Runs every fuzz target in the module for the given time each (default 10m),
# one after another, and stops at the first crash (the failing input is saved
# under the package's testdata/fuzz by `go test`).
#
# Each finished target appends one line to the record file (FUZZLOG, default
# build/fuzz-record.txt): UTC time, Go version, package, target, time fuzzed,
# executions, new corpus entries and the result (ok or crash).
#
#   bash build/fuzz.sh 10m
#   FUZZLOG=/tmp/fuzz.txt bash build/fuzz.sh 20s
#   FUZZPARALLEL=1 bash build/fuzz.sh 10m   # one worker, leaving the other cores free
#   FUZZMATCH=DecodeMessage bash build/fuzz.sh 10m   # only the targets whose names match
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10m}
record=${FUZZLOG:-build/fuzz-record.txt}
gover=$(go env GOVERSION)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' | grep -E "${FUZZMATCH:-.}" || true); do
		echo "== $pkg $target ($fuzztime)"
		status=ok
		if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" -parallel "${FUZZPARALLEL:-$(nproc)}" "$pkg" 2>&1 | tee "$log"; then
			status=crash
		fi
		# The last progress line: "fuzz: elapsed: 10m0s, execs: 123 (..), new interesting: 4 (total: 9)".
		last=$(grep -E '^fuzz: elapsed: ' "$log" | tail -n 1 || true)
		execs=$(sed -nE 's/.*execs: ([0-9]+).*/\1/p' <<<"$last")
		elapsed=$(sed -nE 's/^fuzz: elapsed: ([^,]+),.*/\1/p' <<<"$last")
		fresh=$(sed -nE 's/.*new interesting: ([0-9]+).*/\1/p' <<<"$last")
		printf '%s %s %s %s fuzztime=%s elapsed=%s execs=%s new=%s %s\n' \
			"$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$gover" "$pkg" "$target" "$fuzztime" \
			"${elapsed:-?}" "${execs:-?}" "${fresh:-?}" "$status" >>"$record"
		if [ "$status" != ok ]; then
			echo "fuzz: $pkg $target crashed; the input is under the package's testdata/fuzz/$target" >&2
			exit 1
		fi
	done
done
