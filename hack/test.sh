#!/usr/bin/env bash
# The test suite, as `make test` runs it on a fresh Debian machine (as root):
#  1. installs the ONNX test data and numpy, runs go vet and staticcheck
#     (make lint), then every Go test (the swarm integration tests skip
#     themselves here);
#  2. installs and starts a Docker engine, brings up the multi-node swarm test
#     bed (the manager plus three capped worker engines, hack/swarm-up.sh),
#     runs the swarm integration tests one package at a time (they share the
#     test bed and inject node failures), the end-to-end test once with
#     ResNet18 and once with VGG16, and tears the test bed down.
#
# PAPDL_SKIP_SWARM=1 skips step 2.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

bash hack/install-deps.sh
make lint
go test -count=1 -timeout 60m ./...

if [ "${PAPDL_SKIP_SWARM:-0}" != 1 ]; then
  bash hack/install-docker.sh
  bash hack/swarm-up.sh 3
  trap 'bash hack/swarm-down.sh >/dev/null 2>&1 || true' EXIT
  # -v for the measured times the tests log; the filter keeps the verdicts
  # (pipefail passes go test's status through).
  PAPDL_SWARM_TESTS=1 go test -count=1 -p 1 -timeout 45m -v \
    ./reconcilers/runtime/swarm/ $(ls -d reconcilers/e2e/swarm 2>/dev/null | sed 's#^#./#') 2>&1 |
    grep -E '^(=== RUN|\s*--- |PASS|FAIL|ok |panic|\s+\S+_test\.go:[0-9]+:)'
  # The same end-to-end run with VGG16 (553 MB of weights), the weakest node
  # (1 GiB) as the source.
  PAPDL_SWARM_TESTS=1 PAPDL_SWARM_MODEL=vgg16 go test -count=1 -timeout 30m -v -run TestSwarmEndToEnd \
    ./reconcilers/e2e/swarm/ 2>&1 |
    grep -E '^(=== RUN|\s*--- |PASS|FAIL|ok |panic|\s+\S+_test\.go:[0-9]+:)'
fi
