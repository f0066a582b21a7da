#!/usr/bin/env bash
# Installs what the tests need, idempotently: the npm test tools (dynalite, asl-validator) and
# a Python venv with the tools in scripts/requirements-test.txt (pre-commit, checkov, and moto,
# jsonata-python and pytest for the execution harness). Nothing is installed system-wide.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV="${ASL_GUARD_VENV:-/var/tmp/asl-guard-venv}"

echo "== setup: npm test tools (tools/)"
if [ ! -x tools/node_modules/.bin/asl-validator ] || [ ! -d tools/node_modules/dynalite ] \
   || [ tools/package-lock.json -nt tools/node_modules/.package-lock.json ]; then
  (cd tools && npm ci --no-audit --no-fund)
fi

echo "== setup: Python venv ($VENV)"
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
if ! "$VENV/bin/python" -c 'import pre_commit, moto, jsonata, pytest, flask' 2>/dev/null \
   || [ ! -x "$VENV/bin/checkov" ]; then
  "$VENV/bin/pip" install --quiet --disable-pip-version-check -r scripts/requirements-test.txt
fi
echo "== setup: done"
