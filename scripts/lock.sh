#!/usr/bin/env bash
# Pin every dependency with its hashes, from pyproject.toml, for pip to install with
# --require-hashes (nothing but pip is needed to install from the lock files):
#   requirements/service.lock  what the service runs with (`make install`), PostgreSQL driver included
#   requirements/dev.lock      that plus the developer tools (`make install-dev`, test, check, demo)
# The dev lock is resolved within the service lock, so both pin the same versions.
#
#   scripts/lock.sh                      re-lock after editing pyproject.toml (keeps other pins)
#   scripts/lock.sh --upgrade            move every pin to the newest allowed release
#   scripts/lock.sh --upgrade-package X  just X
#   scripts/lock.sh --check              fail if the lock files do not match pyproject.toml
#
# Uses uv (a dev dependency): $UV, else .venv/bin/uv, else uv on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
UV=${UV:-.venv/bin/uv}
[[ -x $UV ]] || UV=$(command -v uv) || { echo "lock.sh: uv not found (make install-dev)" >&2; exit 2; }

OPTIONS=(--universal --python-version 3.11 --generate-hashes --custom-compile-command "make lock" --quiet)

service() {  # service OUTPUT [uv options...]
  local out=$1
  shift
  "$UV" pip compile pyproject.toml --extra postgres "${OPTIONS[@]}" "$@" --output-file "$out"
}
dev() {  # dev OUTPUT [uv options...]: within the pins of requirements/service.lock
  local out=$1
  shift
  "$UV" pip compile pyproject.toml --extra postgres --extra dev "${OPTIONS[@]}" "$@" \
    --constraint requirements/service.lock --output-file "$out"
}

if [[ ${1:-} == --check ]]; then
  # Re-lock into scratch copies (uv keeps the pins it finds there) and compare.
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' EXIT
  cp requirements/service.lock requirements/dev.lock "$scratch/"
  stale() {
    echo "lock.sh: requirements/$1 does not match pyproject.toml: run \`make lock\`, commit" >&2
    exit 1
  }
  service "$scratch/service.lock"
  diff -u requirements/service.lock "$scratch/service.lock" || stale service.lock
  dev "$scratch/dev.lock"
  diff -u requirements/dev.lock "$scratch/dev.lock" || stale dev.lock
  echo "lock files match pyproject.toml"
else
  service requirements/service.lock "$@"
  dev requirements/dev.lock "$@"
fi
