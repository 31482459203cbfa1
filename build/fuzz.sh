#!/usr/bin/env bash
# Runs every fuzz target in the module for the given time each (default 10m),
# one after another, and stops at the first crash (the failing input is saved
# under the package's testdata/fuzz by `go test`).
#
#   bash build/fuzz.sh 10m
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-10m}
for pkg in $(go list ./...); do
	for target in $(go test -list '^Fuzz' "$pkg" 2>/dev/null | grep '^Fuzz' || true); do
		echo "== $pkg $target ($fuzztime)"
		go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
	done
done
