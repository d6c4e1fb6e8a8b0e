# govkiosk — the two commands a newcomer needs are `make run` and `make test`.
# Both install the Debian packages they need when they are missing (see scripts/install-deps).

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1

GO      ?= go
BIN     := bin
PKGS    := ./...

.PHONY: all run test deps-build deps-run deps-test build vet fmt-check bench fuzz package clean

all: build

deps-build:
	@scripts/install-deps build
deps-run:
	@scripts/install-deps run
deps-test:
	@scripts/install-deps test

build: deps-build
	$(GO) build -o $(BIN)/ ./cmd/...

# The kiosk on the embedded default: simulated ID-card reader, printer and scanners on
# pseudo-terminals, a local hub on loopback, data under the user's cache directory. Without
# an X display it starts a virtual one (Xvfb) and says so.
run: deps-run build
	@scripts/run-kiosk $(BIN)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: deps-build
	$(GO) vet $(PKGS)

test: deps-test fmt-check vet
	GOVKIOSK_E2E=required $(GO) test -race -timeout 30m $(PKGS)

# Benchmarks, reported in the issue notes and docs/PERFORMANCE.md.
bench: deps-build
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# A short run of every fuzz target (FUZZTIME each).
FUZZTIME ?= 20s
fuzz: deps-build
	@scripts/fuzz-all $(FUZZTIME)

# .deb packages for amd64 and arm64 (govkiosk and govkiosk-hub) under dist/, built with nfpm
# (a Go tool dependency). ARCHS=amd64 limits it to one architecture.
ARCHS ?= amd64 arm64
package: deps-build
	@packaging/build-deb $(ARCHS)

clean:
	rm -rf $(BIN) dist
