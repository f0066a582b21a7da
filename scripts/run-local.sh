#!/usr/bin/env bash
# Runs your own ASL definition, wrapped by asl-guard, against the real lease Lambda on this
# machine (moto's ASL interpreter, the lease Lambda's `bootstrap` and the dynalite emulator,
# all on 127.0.0.1; nothing reaches AWS), then prints each execution's result, its history
# summary and the lease calls. Business Tasks are answered by stubs. See harness/README.md.
#
#   scripts/run-local.sh WORKFLOW.asl.json --around STATE [wrap options, e.g. --limit 5]
#       [--input FILE|-] [--stub NAME=fail:ERROR|NAME=sleep:SECONDS] [--executions N]
#       [--original] [--scale F] [--timeout S]
#
# Exit status: 0 when every execution succeeded, 1 otherwise, 2 on usage errors.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/asl-guard-target}"
export AWS_EC2_METADATA_DISABLED=true
VENV="${ASL_GUARD_VENV:-/var/tmp/asl-guard-venv}"

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import moto, jsonata' 2>/dev/null; then
  bash "$ROOT/scripts/setup.sh" >&2
  "$VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r "$ROOT/scripts/requirements-test.txt" >&2
fi
(cd "$ROOT" && cargo build --quiet -p asl-guard -p asl-guard-lease >&2)
PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" exec "$VENV/bin/python" -m harness.run_local "$@"
