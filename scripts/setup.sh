#!/usr/bin/env bash
# Everything a fresh machine needs, idempotent and quick when done before:
# 1. a virtual environment with the pinned dependencies,
# 2. a Docker engine (reused when one answers; installed and started as root on Debian),
# 3. the stack's images (pulled, or built locally without a registry).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\033[1;36msetup\033[0m %s\n' "$*" >&2; }

python=${PYTHON:-python3}
stamp=.venv/.installed-$(sha256sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  step "virtual environment .venv with pinned dependencies"
  [ -x .venv/bin/python ] || "$python" -m venv .venv
  .venv/bin/pip install --quiet --disable-pip-version-check -e '.[stack,dev]'
  rm -f .venv/.installed-*
  touch "$stamp"
else
  step "virtual environment .venv is up to date"
fi
# The mail stack's own tests run HAProxy on the host (the stack runs it in containers).
if ! command -v haproxy >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    step "installing haproxy for the mail stack's loopback tests"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null 2>&1 \
      || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq haproxy >/dev/null; }
  else
    step "haproxy is not installed: the tests that need it on the host will be skipped"
  fi
fi
export TESTCONTAINERS_RYUK_DISABLED=true
exec .venv/bin/python -m harness.runtime.setup "$@"
