# papdl's entry points. `make demo` is the main job, `make test` the tests.
GO ?= go
BIN := bin
OUT := out

.PHONY: all build demo test test-short lint conformance bench fuzz deps clean predict-check

# staticcheck's release, pinned (checks in staticcheck.conf).
STATICCHECK_VERSION := v0.8.2

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

# go vet, staticcheck and a tidy go.mod (make test runs it first).
lint:
	$(GO) mod tidy -diff
	$(GO) vet ./...
	$(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	"$$($(GO) env GOPATH)/bin/staticcheck" ./...

test-short:
	$(GO) test -short -count=1 ./...

# Predicted vs measured latency of ResNet-18 and VGG-16 plans (the chosen
# one and a forced three-way split) on capped simulated devices; root.
predict-check: build
	bash hack/predict-check.sh

conformance: build
	$(BIN)/papdlctl conformance

bench: build
	$(GO) test -run '^$$' -bench . -benchtime 3x ./inference/...

fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime 30s ./inference/npy/
	$(GO) test -run '^$$' -fuzz FuzzDecode$$ -fuzztime 30s ./inference/onnx/

clean:
	rm -rf $(BIN) $(OUT)

# papdl's engine side by side with PyTorch on torchvision and transformer
# models exported to ONNX (needs python3-torch, python3-torchvision and
# libopenblas0-pthread from Debian; see docs/performance.md).
bench-torch:
	CGO_ENABLED=0 $(GO) build -o $(BIN)/benchengine ./hack/benchengine
	/usr/bin/python3 hack/bench-torch.py --engine $(BIN)/benchengine $(BENCH_TORCH_ARGS)
