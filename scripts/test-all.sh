#!/usr/bin/env bash
# Runs every test gatelint has, on a fresh machine too:
#  1. builds the corpus of real nginx configs (../shared/corpus/build.sh) when
#     it is missing, so the crossplane comparison runs instead of skipping;
#  2. runs `cargo test --locked`.
# The end-to-end tests against real nginx/apache2 will install those servers
# here when they arrive (apt-get install -y nginx apache2).
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=${GATELINT_CORPUS:-/tmp/corpus}
builder=../shared/corpus/build.sh
if [ ! -d "$corpus/nginx" ]; then
  if [ -f "$builder" ]; then
    echo "test-all: building the corpus in $corpus (a few minutes, once)" >&2
    timeout 1200 bash "$builder" "$corpus" >"$corpus.build.log" 2>&1 \
      || echo "test-all: corpus build failed; see $corpus.build.log" >&2
  else
    echo "test-all: $builder not found; the corpus test will be skipped" >&2
  fi
fi
export GATELINT_CORPUS=$corpus
if [ -d "$corpus/nginx" ]; then
  export GATELINT_REQUIRE_CORPUS=1
fi

cargo test --locked
