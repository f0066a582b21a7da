#!/usr/bin/env bash
# Runs every test of the repository: formatting and lints, the Rust workspace tests (the CLI,
# and the lease Lambda against a DynamoDB emulator on 127.0.0.1), the Lambda packaging check,
# and the Terraform module's tests. Installs missing test tools first (scripts/setup.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/var/tmp/asl-guard-target}"
export ASL_GUARD_VENV="${ASL_GUARD_VENV:-/var/tmp/asl-guard-venv}"
export AWS_EC2_METADATA_DISABLED=true

bash scripts/setup.sh

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (all targets, -D warnings)"
cargo clippy --workspace --all-targets --quiet -- -D warnings

echo "== DynamoDB emulator (dynalite) on 127.0.0.1"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
node tools/dynalite-server.js "$PORT" > "${TMPDIR:-/tmp}/asl-guard-dynalite.log" 2>&1 &
DYNALITE_PID=$!
trap 'kill "$DYNALITE_PID" 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1', $PORT), 0.2)" 2>/dev/null; then
    break
  fi
  sleep 0.2
done
export ASL_GUARD_DYNAMODB_ENDPOINT="http://127.0.0.1:$PORT"
export ASL_GUARD_ASL_VALIDATOR="$ROOT/tools/node_modules/.bin/asl-validator"
export ASL_GUARD_PRE_COMMIT="$ASL_GUARD_VENV/bin/pre-commit"

echo "== cargo test --workspace"
cargo test --workspace

if [ -f lambda/scripts/package.sh ]; then
  echo "== lease Lambda: release build, glibc check, zip"
  bash lambda/scripts/package.sh
fi

if [ -f terraform/scripts/test.sh ]; then
  echo "== Terraform module"
  CHECKOV="$ASL_GUARD_VENV/bin/checkov" bash terraform/scripts/test.sh
fi

# --- BEGIN execution harness (harness/, issue 5) ---------------------------------------------
# Wrapped workflows run in moto's ASL interpreter with the real lease Lambda (debug build)
# behind a Runtime API stand-in and its own dynalite, all on 127.0.0.1. See harness/README.md.
echo "== execution harness: wrapped workflows run locally with the real lease Lambda"
cargo build -p asl-guard -p asl-guard-lease
if ! "$ASL_GUARD_VENV/bin/python" -c 'import moto, jsonata, pytest, flask' 2>/dev/null; then
  "$ASL_GUARD_VENV/bin/pip" install --quiet --disable-pip-version-check \
    -r scripts/requirements-test.txt
fi
HARNESS_STATUS=0
"$ASL_GUARD_VENV/bin/python" -m pytest -q -rxs harness/tests || HARNESS_STATUS=$?
if [ "$HARNESS_STATUS" -eq 5 ]; then
  echo "execution harness: pytest collected no tests" >&2
fi
if [ "$HARNESS_STATUS" -ne 0 ]; then
  exit "$HARNESS_STATUS"
fi
# --- END execution harness ---------------------------------------------------------------------

echo "== all tests passed"
