# aogo — run `make run` for a node and demo, `make test` for the whole suite.
GO       ?= go
BIN      := bin/aogo
DATA_DIR ?= .aogo
LISTEN   ?= 127.0.0.1:4400
FUZZTIME ?= 30s

.PHONY: all build builtin-modules lua-module run test test-go lint bench fuzz proto clean

all: build

build: builtin-modules
	$(GO) build -o $(BIN) ./cmd/aogo

# The built-in modules a node publishes on start (internal/builtin embeds
# every .wasm of $(BUILTIN_DIR)). counter.wasm is built from source when it
# changes, not committed. aogo-lua.wasm (the Lua process module) is
# committed, so a plain `go build` has it; `make lua-module` rebuilds it
# after a change to internal/builtin/lua, vm/guest or go.mod (its test,
# TestModuleUpToDate, fails until then).
BUILTIN_DIR := internal/builtin/modules
BUILTIN_SRC := $(shell find examples/counter vm/guest -name '*.go' -not -name '*_test.go' 2>/dev/null) go.mod
builtin-modules: $(BUILTIN_DIR)/counter.wasm

$(BUILTIN_DIR)/counter.wasm: $(BUILTIN_SRC)
	GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 $(GO) build -buildmode=c-shared -trimpath -o $@ ./examples/counter

lua-module:
	$(GO) generate ./internal/builtin/lua

# The main job: a node (gateway, SU, CU, MU) on embedded defaults and a short
# demo story with its built-in counter module (scripts/run-demo.sh).
run: build
	./scripts/run-demo.sh $(BIN) $(DATA_DIR) $(LISTEN)

# Everything CI runs: tools, npm peers and modules built first, then vet,
# format and every Go test (interop with arbundles, arlocal integration
# included; the node's tests need the built-in modules).
test: js-deps test-modules builtin-modules lint test-go

test-go: builtin-modules
	$(GO) test -count=1 ./...

lint:
	$(GO) vet ./...
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './test/js/*')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

# Benchmarks whose numbers go to docs/benchmarks.md: codec figures per core
# (-cpu 1), store figures on the whole machine. Each has a baseline in the run
# (the vm's is @permaweb/ao-loader 0.0.49 on the same modules).
bench: js-deps test-modules builtin-modules
	$(GO) test -run '^$$' -bench . -benchtime 2s -cpu 1 ./arweave/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./arweave/embedded/
	$(GO) test -run '^$$' -bench '^Benchmark(Handle|LoadCached|Instantiate|Snapshot|Restore|SHA256Baseline)$$' -benchtime 2s ./vm/
	$(GO) test -run '^$$' -bench '^BenchmarkAOLoaderHandle$$' -benchtime 300x ./vm/
	$(GO) test -run '^$$' -bench . -benchtime 2s ./vm/internal/wasmbin/
	$(GO) test -run '^$$' -bench '^BenchmarkAppendBaseline$$' -benchtime 20000x ./scheduler/
	$(GO) test -run '^$$' -bench '^BenchmarkAppend$$/^(go|http)$$/^su=ed25519$$/^msg=ed25519$$' -benchtime 20000x ./scheduler/
	$(GO) test -run '^$$' -bench '^BenchmarkAppend$$/^(go|http)$$/^su=ed25519$$/^msg=rsa$$' -benchtime 2000x ./scheduler/
	$(GO) test -run '^$$' -bench '^BenchmarkAppend$$/^go$$/^su=rsa$$' -benchtime 500x ./scheduler/
	$(GO) test -run '^$$' -bench '^BenchmarkReplay$$' -benchtime 5000x ./runtime/cu/
	$(GO) test -run '^$$' -bench '^BenchmarkReactivate$$' -benchtime 30x ./runtime/cu/
	$(GO) test -run '^$$' -bench '^BenchmarkDryRun$$' -benchtime 100x ./runtime/cu/
	$(GO) test -run '^TestCURestart$$' -count 1 -v ./runtime/cu/
	$(GO) test -run '^$$' -bench '^Benchmark(AOConnectRoundTrip|RoundTripGoClient)$$' -benchtime 300x ./runtime/
	$(GO) test -run '^$$' -bench '^Benchmark(Eval|Handler|HandlerNoReply)(Native)?$$' -benchtime 2s ./internal/builtin/lua/

# Short fuzzing runs of every parser (seed corpora live in testdata/fuzz).
FUZZ = $(GO) test -run '^$$' -fuzztime $(FUZZTIME) -fuzzminimizetime 5s
fuzz:
	$(FUZZ) ./arweave/ -fuzz '^FuzzParseDataItem$$'
	$(FUZZ) ./arweave/ -fuzz '^FuzzDecodeTags$$'
	$(FUZZ) ./arweave/ -fuzz '^FuzzDecodeBundle$$'
	$(FUZZ) ./vm/ -fuzz '^FuzzUnmarshalState$$'
	$(FUZZ) ./vm/internal/wasmbin/ -fuzz '^FuzzDecode$$'
	$(FUZZ) ./vm/weavedrive/ -fuzz '^FuzzParsePath$$'
	$(FUZZ) ./vm/guest/ -fuzz '^FuzzDecodeMessage$$'
	$(FUZZ) ./vm/guest/ -fuzz '^FuzzDecodeEnv$$'
	$(FUZZ) ./vm/guest/ -fuzz '^FuzzEncodeResponse$$'
	$(FUZZ) ./internal/jsonstr/ -fuzz '^FuzzLossy$$'
	$(FUZZ) ./internal/jsonstr/ -fuzz '^FuzzAppend$$'
	$(FUZZ) ./internal/jsonstr/ -fuzz '^FuzzAppendGo$$'
	$(FUZZ) ./messenger/ -fuzz '^FuzzOutbox$$'

# Regenerate the protobuf code of internal records (committed). Needs protoc
# (Debian's protobuf-compiler, installed if missing) and protoc-gen-go at the
# version go.mod pins for google.golang.org/protobuf.
PROTOS := $(shell git ls-files '*.proto' 2>/dev/null)
proto:
	@command -v protoc >/dev/null || { apt-get update -qq && apt-get install -y -qq protobuf-compiler; }
	GOBIN=$(CURDIR)/bin $(GO) install google.golang.org/protobuf/cmd/protoc-gen-go
	PATH=$(CURDIR)/bin:$$PATH protoc --go_out=. --go_opt=module=github.com/aogo-dev/aogo $(PROTOS)

clean:
	rm -rf bin
	rm -f $(BUILTIN_DIR)/counter.wasm

include test/js/js.mk
include vm/testdata/modules.mk
