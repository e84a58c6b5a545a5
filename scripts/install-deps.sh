#!/usr/bin/env bash
# Installs what Launchpad's runtimes and tests need on Debian 12, once.
# Debian's python3 with pandas (not a pyenv shim), R, bit64, the minisign tool,
# and what the conformance kit and the corpus's published scripts import
# (e2e/testdata/corpus): scikit-learn and SciPy for Python, rpart and e1071
# (and randomForest) for R; gRPC, protobuf and pip for the Python client
# (clients/python) and its tests.
set -euo pipefail
need=()
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pandas' 2>/dev/null || need+=(python3-pandas)
[ -x /usr/bin/Rscript ] || need+=(r-base-core)
[ -d /usr/lib/R/site-library/bit64 ] || [ -d /usr/lib/R/library/bit64 ] || need+=(r-cran-bit64)
command -v minisign >/dev/null || need+=(minisign)
command -v protoc >/dev/null || need+=(protobuf-compiler)
/usr/bin/python3 -c 'import sklearn, scipy' 2>/dev/null || need+=(python3-sklearn python3-scipy)
/usr/bin/python3 -c 'import grpc' 2>/dev/null || need+=(python3-grpcio)
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null || need+=(python3-protobuf)
/usr/bin/python3 -m pip --version >/dev/null 2>&1 || need+=(python3-pip)
for pkg in rpart e1071 randomForest; do
  [ -d /usr/lib/R/site-library/$pkg ] || [ -d /usr/lib/R/library/$pkg ] || need+=("r-cran-${pkg,,}")
done
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing ${need[*]}; run as root or: apt-get install --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
