#!/usr/bin/env bash
# The test suite, as `make test` runs it on a fresh Debian machine (as root):
# installs the ONNX test data and numpy, installs and starts a Docker engine,
# brings up the multi-node swarm test bed (the manager plus three capped
# worker engines, hack/swarm-up.sh), runs every Go test with the swarm
# integration tests enabled, and tears the test bed down again.
#
# PAPDL_SKIP_SWARM=1 runs without the swarm (its integration tests skip).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/go/bin:$PATH"

bash hack/install-deps.sh
if [ "${PAPDL_SKIP_SWARM:-0}" != 1 ]; then
  bash hack/install-docker.sh
  bash hack/swarm-up.sh 3
  trap 'bash hack/swarm-down.sh >/dev/null 2>&1 || true' EXIT
  export PAPDL_SWARM_TESTS=1
fi
go test -count=1 -timeout 75m ./...
