# papdl's entry points. `make demo` is the main job, `make test` the tests.
GO ?= go
BIN := bin
OUT := out

.PHONY: all build demo test test-short conformance bench fuzz deps clean

all: build

build:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/papdlctl ./cmd/papdlctl
	CGO_ENABLED=0 $(GO) build -o $(BIN)/papdl-node ./cmd/papdl-node

# Installs the Debian packages the tests use: ONNX test data, numpy.
deps:
	bash hack/install-deps.sh

# The main job, end to end on this machine.
demo: build
	bash hack/demo.sh

# Everything: installs the test data, the Docker engine and the multi-node
# swarm test bed first (root), then runs every test (hack/test.sh).
test:
	bash hack/test.sh

test-short:
	$(GO) test -short -count=1 ./...

conformance: build
	$(BIN)/papdlctl conformance

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./inference/...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./inference/npy/
	$(GO) test -run '^$$' -fuzz FuzzDecode$$ -fuzztime 30s ./inference/onnx/

clean:
	rm -rf $(BIN) $(OUT)
