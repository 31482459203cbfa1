# spanmap: `make run` starts the server with live demo traffic; `make test`
# runs every check. See README.md.

GO       ?= go
BIN      := bin/spanmap
WASM     := web/app.wasm
PKGS     := ./...
# Cache outside the repository for the real Jaeger binary used by `make e2e`.
CACHE    ?= $(HOME)/.cache/spanmap
BENCHTIME ?= 1s

.PHONY: all run build wasm test lint bench e2e fuzz clean deps-check

all: build

## wasm: compile the browser app to web/app.wasm (and a gzip copy).
wasm:
	GOOS=js GOARCH=wasm $(GO) build -trimpath -ldflags='-s -w' -o $(WASM) .
	gzip -9 -k -f $(WASM)

## build: one self-contained binary with the web assets (app.wasm included).
build: wasm
	$(GO) build -trimpath -o $(BIN) .

## run: build and start spanmap with live demo traffic.
run: build
	@echo "spanmap: open http://127.0.0.1:7700/"
	./$(BIN) serve --demo

## lint: gofmt and go vet, for the server and the browser build.
lint:
	@out=$$(gofmt -l . 2>&1); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	GOOS=js GOARCH=wasm $(GO) vet ./graph ./app

## test: lint, the browser build, and every test under the race detector.
test: lint wasm
	$(GO) test -race -timeout 20m $(PKGS)

## bench: Go benchmarks with the figures quoted in README.md (the 5,000-node
## dot layout alone takes about ten minutes).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 90m ./graph/... ./server/... ./app/ ./cli/
	# `spanmap derive` streaming a 1 GiB OTLP/JSON file: peak heap stays bounded
	SPANMAP_BENCH_DERIVE_BYTES=1073741824 $(GO) test -run '^$$' -bench 'Derive_streamBoundedMemory' -benchtime 1x ./cli/
	# the browser's hot path compiled to WebAssembly, run by Node
	GOOS=js GOARCH=wasm $(GO) test -exec="$$($(GO) env GOROOT)/lib/wasm/go_js_wasm_exec" -run '^$$' \
		-bench 'MapCanvas_liveUpdate|DecodeMessage/DecodeMessage|Apply' -benchmem ./app/ ./graph/
	# the browser figures: first drawn map and live diffs in headless Chromium
	SPANMAP_BROWSER_BENCH=1 $(GO) test -count=1 -timeout 30m -run 'TestBrowser_figures' -v ./e2e/browser/

## e2e: integration tests against real backends (a real Jaeger v2 built from the module proxy).
e2e: build
	CACHE=$(CACHE) bash build/e2e.sh

## fuzz: run every fuzz target for FUZZTIME each (default 10m).
FUZZTIME ?= 10m
fuzz:
	bash build/fuzz.sh $(FUZZTIME)

clean:
	rm -rf bin $(WASM) $(WASM).gz
