#!/usr/bin/env bash
# Installs what Launchpad's runtimes and tests need on Debian 12, once.
# Debian's python3 with pandas (not a pyenv shim) and scikit-learn (the
# conformance kit fits an estimator), R, bit64, the minisign tool.
set -euo pipefail
need=()
[ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pandas' 2>/dev/null || need+=(python3-pandas)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn)
[ -x /usr/bin/Rscript ] || need+=(r-base-core)
[ -d /usr/lib/R/site-library/bit64 ] || [ -d /usr/lib/R/library/bit64 ] || need+=(r-cran-bit64)
command -v minisign >/dev/null || need+=(minisign)
command -v protoc >/dev/null || need+=(protobuf-compiler)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing ${need[*]}; run as root or: apt-get install --no-install-recommends ${need[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
