# govkiosk — the two commands a newcomer needs are `make run` and `make test`.
# Both install the Debian packages they need when they are missing (see scripts/install-deps).

SHELL := /bin/bash
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1

GO      ?= go
BIN     := bin
PKGS    := ./...

.PHONY: all help run test deps-build deps-run deps-test build vet fmt-check guards lint bench fuzz package clean

all: build

# Every target with a "## " comment, one line each.
help: ## list the targets
	@awk 'BEGIN {FS = ":[^#]*## "} /^[a-z][a-z-]*:[^#]*## / {printf "  %-11s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

deps-build: ## install the Debian packages a build needs, if missing
	@scripts/install-deps build
deps-run: ## install the Debian packages `make run` needs, if missing
	@scripts/install-deps run
deps-test: ## install the Debian packages `make test` needs, if missing
	@scripts/install-deps test

build: deps-build ## build every command into bin/
	$(GO) build -o $(BIN)/ ./cmd/...

# The kiosk on the embedded default: simulated ID-card reader, printer and scanners on
# pseudo-terminals, a local hub on loopback, data under the user's cache directory. Without
# an X display it starts a virtual one (Xvfb) and says so.
run: deps-run build ## the kiosk on simulated devices and a local hub
	@scripts/run-kiosk $(BIN)

fmt-check: ## fail on Go files gofmt would change
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: deps-build ## go vet
	$(GO) vet $(PKGS)

# The architecture as tests (internal/archtest): the dependency rules between layers and one
# package doc per directory. Fast and needs no Debian packages, so it also runs before a
# change lands.
guards: ## dependency guards and the one-package-doc rule
	$(GO) test -count=1 ./internal/archtest/

# Static analysis: staticcheck with the checks staticcheck.conf turns on (each exception
# commented there), then go vet again with the extra analyzers of internal/vetx. Zero findings.
lint: deps-build ## staticcheck (staticcheck.conf) and go vet's extra analyzers (internal/vetx)
	$(GO) tool staticcheck $(PKGS)
	$(GO) build -o $(BIN)/vetx ./internal/vetx
	$(GO) vet -vettool=$(CURDIR)/$(BIN)/vetx $(PKGS)

# The timeout only catches a hung test binary. The ui package under -race is the longest:
# 18 min on a quiet 2-core machine and over 30 min on a loaded one (it timed out there).
test: deps-test fmt-check vet guards lint ## everything: gofmt, vet, guards, lint and every test with the race detector
	GOVKIOSK_E2E=required $(GO) test -race -timeout 60m $(PKGS)

# Benchmarks, reported in the issue notes and docs/PERFORMANCE.md.
bench: deps-build ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

# A short run of every fuzz target (FUZZTIME each).
FUZZTIME ?= 20s
fuzz: deps-build ## a short run of every fuzz target (FUZZTIME each)
	@scripts/fuzz-all $(FUZZTIME)

# .deb packages for amd64 and arm64 (govkiosk and govkiosk-hub) under dist/, built with nfpm
# (a Go tool dependency). ARCHS=amd64 limits it to one architecture.
ARCHS ?= amd64 arm64
package: deps-build ## the .deb packages under dist/ (ARCHS=amd64 for one)
	@packaging/build-deb $(ARCHS)

clean: ## remove bin/ and dist/
	rm -rf $(BIN) dist
