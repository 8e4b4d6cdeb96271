#!/usr/bin/env bash
# Runs every test gatelint has, on a fresh machine too:
#  1. builds the corpus of real nginx configs (../shared/corpus/build.sh) when
#     it is missing, so the crossplane comparison runs instead of skipping;
#  2. installs the editors whose setups README documents (vim, emacs, neovim),
#     so tests/editors.rs runs them instead of skipping, and nginx (with
#     python3 and openssl for the test backends), which tests/e2e_nginx.rs
#     starts on 127.0.0.1 to prove each rule's claim;
#  3. runs `cargo test --locked`.
set -euo pipefail
cd "$(dirname "$0")/.."

install_missing() { # package:command ...
  local missing=()
  for pair in "$@"; do
    command -v "${pair#*:}" >/dev/null 2>&1 || missing+=("${pair%%:*}")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-all: cannot install ${missing[*]} (needs root and apt-get); those tests will skip" >&2
    return 0
  fi
  echo "test-all: installing ${missing[*]}" >&2
  # A machine's package lists may be missing or stale: refresh them first.
  timeout 300 apt-get update -q >/dev/null 2>&1 || true
  DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -q "${missing[@]}" >/dev/null 2>&1 \
    || echo "test-all: installing ${missing[*]} failed; those tests will skip" >&2
}

install_missing vim:vim emacs-nox:emacs neovim:nvim nodejs:node nginx:nginx apache2:apache2 openssl:openssl python3:python3
if command -v vim >/dev/null && command -v emacs >/dev/null && command -v nvim >/dev/null && command -v node >/dev/null; then
  export GATELINT_REQUIRE_EDITORS=1
fi
if [ -x /usr/sbin/nginx ] && command -v openssl >/dev/null && command -v python3 >/dev/null; then
  export GATELINT_REQUIRE_E2E=1
fi

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
