#!/usr/bin/env bash
# Builds a real Jaeger v2 (and its HotROD demo app) from the Go module proxy
# into a cache directory outside the repository, and prints the directory.
# Reuses the cached binaries when they exist.
#
#   CACHE=~/.cache/spanmap bash build/jaeger.sh
set -euo pipefail
JAEGER_MODULE=github.com/jaegertracing/jaeger
JAEGER_VERSION=${JAEGER_VERSION:-v1.76.0} # Jaeger v2.13.0
CACHE=${CACHE:-$HOME/.cache/spanmap}
out="$CACHE/jaeger-$JAEGER_VERSION"
if [ -x "$out/jaeger" ] && [ -x "$out/hotrod" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$out"
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT
dir=$(cd "$work" && go mod download -json "$JAEGER_MODULE@$JAEGER_VERSION" | sed -n 's/.*"Dir": "\(.*\)",/\1/p')
if [ -z "$dir" ]; then
	echo "jaeger.sh: could not download $JAEGER_MODULE@$JAEGER_VERSION" >&2
	exit 1
fi
cp -r "$dir" "$work/src"
chmod -R u+w "$work/src"
(
	cd "$work/src"
	GOFLAGS=-mod=mod go build -trimpath -o "$out/jaeger.tmp" ./cmd/jaeger >&2
	GOFLAGS=-mod=mod go build -trimpath -o "$out/hotrod.tmp" ./examples/hotrod >&2
)
mv "$out/jaeger.tmp" "$out/jaeger"
mv "$out/hotrod.tmp" "$out/hotrod"
echo "$out"
