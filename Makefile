# Launchpad — build, demo, test, bench. `make demo` and `make test` do all the
# set-up on a fresh Debian 12 machine as root (scripts/install-deps.sh).
GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN     := bin
PLUGINS := $(BIN)/plugins

.PHONY: all build deps demo test test-short bench proto fuzz package clean

all: build

deps:
	scripts/install-deps.sh

build:
	$(GO) build -o $(BIN)/launchpad ./cmd/launchpad
	$(GO) build -o $(PLUGINS)/launchpad-python ./plugins/python
	$(GO) build -o $(PLUGINS)/launchpad-r ./plugins/r

demo: deps build
	scripts/demo.sh

# The whole suite, end-to-end tests included (they start the real binary,
# launchers, python3 and Rscript; the sandbox tests need root).
test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...

# The concurrent packages again under the race detector.
test-race: deps build
	$(GO) test -count=1 -race -timeout 30m ./sdk/bxl/... ./sdk/launcher/... ./host/satellite/... \
		./host/datasource/... ./host/sandbox/... ./host/history/... ./host/telemetry/... ./cmd/launchpad/...

bench: deps build
	$(GO) run ./cmd/launchpad-bench

# Every decoder of bytes a launcher sends; each target also asserts that one
# input never allocates more than the decoder's limits allow.
FUZZTIME ?= 30s
fuzz:
	for f in FuzzReader FuzzDecodeSchema FuzzDecodeBatch FuzzDecodeParams FuzzDecodeDict FuzzDecodeError; do \
		$(GO) test ./sdk/bxl -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; done
	$(GO) test ./host/satellite -run '^$$' -fuzz '^FuzzLauncherLog$$' -fuzztime $(FUZZTIME)
	$(GO) test ./host/tsql -run '^$$' -fuzz '^FuzzParse$$' -fuzztime $(FUZZTIME)
	for f in FuzzParseParams FuzzParseColumns; do \
		$(GO) test ./host/sqltype -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) || exit 1; done

proto:
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
	PATH=$(CURDIR)/$(BIN)/tools:$$PATH protoc --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		sdk/launcher/proto/launcher.proto host/api/proto/launchpad.proto

# The Debian package (packaging/nfpm.yaml), built with nfpm from the module
# proxy: $(BIN)/launchpad_$(VERSION)_amd64.deb.
NFPM    ?= github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
VERSION ?= 0.1.0
package: build
	LAUNCHPAD_BIN=$(abspath $(BIN)) LAUNCHPAD_VERSION=$(VERSION) $(GO) run $(NFPM) pkg \
		--packager deb --config packaging/nfpm.yaml --target $(BIN)/launchpad_$(VERSION)_amd64.deb

clean:
	rm -rf $(BIN)
