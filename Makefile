# Launchpad — build, demo, test, bench. `make demo` and `make test` do all the
# set-up on a fresh Debian 12 machine as root (scripts/install-deps.sh).
GO      ?= $(shell command -v go 2>/dev/null || echo /usr/local/go/bin/go)
BIN     := bin
PLUGINS := $(BIN)/plugins

.PHONY: all build deps demo test test-short bench proto fuzz package clean

all: build

deps:
	scripts/install-deps.sh

# The caller's command, sandbox-init and the launchers are built without
# cgo: a static binary starts 3-4 ms sooner here (no dynamic loader, no
# relocations), and every job starts all three.
build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/launchpad ./cmd/launchpad
	$(GO) build -o $(BIN)/launchpad-host ./cmd/launchpad-host
	CGO_ENABLED=0 $(GO) build -o $(BIN)/launchpad-sandbox-init ./cmd/launchpad-sandbox-init
	CGO_ENABLED=0 $(GO) build -o $(PLUGINS)/launchpad-python ./plugins/python
	CGO_ENABLED=0 $(GO) build -o $(PLUGINS)/launchpad-r ./plugins/r

demo: deps build
	scripts/demo.sh

# The whole suite, end-to-end tests included (they start the real binary,
# launchers, python3 and Rscript; the sandbox tests need root).
test: deps build
	$(GO) vet ./...
	$(GO) test -count=1 -timeout 30m ./...
	LAUNCHPAD_TEST_START=cold $(GO) test -count=1 -timeout 30m -run '$(HOSTILE_BOTH_WAYS)' ./e2e
	LAUNCHPAD_TEST_START=warm $(GO) test -count=1 -timeout 30m -run '$(HOSTILE_BOTH_WAYS)' ./e2e

# The attacks a script makes from inside its sandbox on the main test host,
# run again with every job started cold, then warm: a warm sandbox must have
# exactly the properties of a cold one (docs/isolation.md, "Warm starts").
HOSTILE_BOTH_WAYS = ^(TestHostile_ScriptsAreBlocked|TestHostile_CannotTouchAnotherRunningJob|TestHostile_SetuidBinaryGainsNothing|TestHostile_LauncherIsNotTraceable|TestHostile_SeccompDeniesKernelAttackSurface|TestHostileMemory_HugeErrorMessageIsCut|TestHostileMemory_SchemaFieldBombIsALauncherFault|TestHostileMemory_OutputParamBeyondTheOutputLimit|TestHostileMemory_ForgedLauncherLogFloodIsBoundedAndAttributed|TestHostileRequest_InputQueryCannotTouchHostFiles|TestHostileRequest_TerminalEscapesAreShownNotObeyed|TestHostile2_.*)$$

# The packages whose tests run code concurrently, again under the race
# detector: the BXL stream, the SDK's client/server pair, the satellite's log
# pipe, the job runner and the API (fake sandbox and launcher), the sandbox
# and its worker pool, the resource pools' queues, the CLI's exec and the Python runtime's launcher.
test-race: deps build
	$(GO) test -count=1 -race -timeout 30m ./sdk/bxl/... ./sdk/launcher/... ./host/satellite/... \
		./host/job/... ./host/api/... ./host/sandbox/... ./host/history/... ./host/telemetry/... ./host/pool/... ./cmd/... ./plugins/python/...

bench: deps build
	$(GO) run ./cmd/launchpad-bench -cases launchpad,numpy,csv,sqlite,r,partitions,warm

# Every fuzz target in the repository (every `func Fuzz…` in a _test.go
# file, found afresh so a new or moved target is never left out). The
# decoders of what a launcher sends also assert that one input never
# allocates more than the decoder's limits allow.
FUZZTIME ?= 30s
fuzz:
	set -e; for file in $$(grep -rl --include='*_test.go' '^func Fuzz' cmd host internal plugins sdk signing); do \
		for f in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$file); do \
			$(GO) test ./$$(dirname $$file) -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME); \
		done; done

proto:
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
	GOBIN=$(CURDIR)/$(BIN)/tools $(GO) install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.5.1
	PATH=$(CURDIR)/$(BIN)/tools:$$PATH protoc --go_out=. --go_opt=paths=source_relative \
		--go-grpc_out=. --go-grpc_opt=paths=source_relative \
		sdk/launcher/proto/launcher.proto host/api/proto/launchpad.proto
	protoc -I host/api/proto --python_out=clients/python/launchpad launchpad.proto

# The Debian package (packaging/nfpm.yaml), built with nfpm from the module
# proxy: $(BIN)/launchpad_$(VERSION)_amd64.deb.
NFPM    ?= github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.45.2
VERSION ?= 0.1.0
package: build
	LAUNCHPAD_BIN=$(abspath $(BIN)) LAUNCHPAD_VERSION=$(VERSION) $(GO) run $(NFPM) pkg \
		--packager deb --config packaging/nfpm.yaml --target $(BIN)/launchpad_$(VERSION)_amd64.deb

clean:
	rm -rf $(BIN)
