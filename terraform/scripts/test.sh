#!/usr/bin/env bash
# Checks the Terraform module offline. CI calls it from the repository root:
#
#   bash terraform/scripts/test.sh
#
# Steps: fmt, init against the provider mirror (terraform/.terraformrc),
# validate (module, the examples that need only the aws provider, and
# examples/complete with its external data source stubbed),
# `terraform test` on mocks (module and examples/hand-merged), the README
# tables, the complete example's `asl-guard external` call, the role's
# DynamoDB and Step Functions actions, the sweep action and the environment
# against lambda/src, the hand merged (poll and callback)
# fragments against `asl-guard wrap` / `check` and asl-validator (each when
# found; the binary under $CARGO_TARGET_DIR or target/), and checkov when it
# is installed (on PATH, or at the path in $CHECKOV).
#
# Every step and every `terraform test` run counts as one check; the last line
# is `terraform: N passed, M failed[, K skipped]`. Exits 1 if anything failed.
# Without terraform it warns loudly and exits 0, so machines without it can
# still run the rest of CI.

set -uo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
tf_dir="$root/terraform"
cd "$root" || exit 1

banner() {
  printf '\n%s\n' "################################################################"
  printf '%s\n' "$@"
  printf '%s\n\n' "################################################################"
}

if ! command -v terraform >/dev/null 2>&1; then
  banner "WARNING: terraform is not installed: the Terraform module was NOT tested." \
    "Install Terraform >= 1.5 and run: bash terraform/scripts/test.sh"
  exit 0
fi

export TF_CLI_CONFIG_FILE="$tf_dir/.terraformrc"
export TF_IN_AUTOMATION=1
export TF_INPUT=0
export CHECKPOINT_DISABLE=1

passed=0
failed=0
skipped=0
failures=()
log="$(mktemp -d)"
trap 'rm -rf "$log"' EXIT

pass() { passed=$((passed + 1)); echo "ok   $1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); echo "FAIL $1"; }
skip() { skipped=$((skipped + 1)); echo "skip $1"; }

# step NAME CMD...: runs CMD, shows its output only on failure.
step() {
  local name="$1"
  shift
  if "$@" >"$log/out" 2>&1; then
    pass "$name"
  else
    cat "$log/out"
    fail "$name"
  fi
}

# tf_test DIR: runs `terraform test` in DIR and counts its runs.
tf_test() {
  local dir="$1" rel="${1#"$root"/}" line p f
  (cd "$dir" && terraform test -no-color) >"$log/test" 2>&1
  local rc=$?
  line="$(grep -E '^(Success|Failure)! [0-9]+ passed, [0-9]+ failed' "$log/test" | tail -n 1)"
  if [[ -z "$line" ]]; then
    cat "$log/test"
    fail "terraform test in $rel (no summary)"
    return
  fi
  p="$(sed -E 's/^.*! ([0-9]+) passed.*/\1/' <<<"$line")"
  f="$(sed -E 's/^.* ([0-9]+) failed.*/\1/' <<<"$line")"
  grep -E '^  run "' "$log/test" | sed 's/^/     /'
  passed=$((passed + p))
  failed=$((failed + f))
  if [[ $rc -ne 0 || $f -ne 0 ]]; then
    cat "$log/test"
    failures+=("terraform test in $rel")
    if [[ $f -eq 0 ]]; then
      failed=$((failed + 1))
    fi
  fi
  echo "     terraform test in $rel: $p passed, $f failed"
}

# py_checks NAME SCRIPT ARGS...: runs a Python check script and counts one
# check per line of its `<name>: N passed, M failed` summary.
py_checks() {
  local name="$1" line p f rc
  shift
  python3 "$@" >"$log/py" 2>&1
  rc=$?
  sed 's/^/     /' "$log/py"
  line="$(grep -E '^[a-z-]+: [0-9]+ passed, [0-9]+ failed$' "$log/py" | tail -n 1)"
  p=0
  f=0
  if [[ -n "$line" ]]; then
    p="$(sed -E 's/^.*: ([0-9]+) passed.*/\1/' <<<"$line")"
    f="$(sed -E 's/^.* ([0-9]+) failed$/\1/' <<<"$line")"
  fi
  passed=$((passed + p))
  failed=$((failed + f))
  skipped=$((skipped + $(grep -c '^skip ' "$log/py")))
  if [[ $rc -ne 0 || -z "$line" ]]; then
    failures+=("$name")
    if [[ $f -eq 0 ]]; then
      failed=$((failed + 1))
    fi
  fi
}

terraform version | head -n 1

if [[ ! -d /opt/tf-plugins/registry.terraform.io/hashicorp/aws ]]; then
  banner "WARNING: no provider mirror at /opt/tf-plugins; terraform init will try the registry."
fi

step "terraform fmt -check -recursive terraform" terraform fmt -check -recursive -diff terraform

# The module and the examples that need only the aws provider. examples/complete
# needs hashicorp/external, which is not in the mirror: it is checked by
# scripts/check_external_example.py instead.
for dir in "$tf_dir" "$tf_dir/examples/existing-table" "$tf_dir/examples/hand-merged"; do
  rel="${dir#"$root"/}"
  if (cd "$dir" && terraform init -backend=false -input=false -no-color) >"$log/init" 2>&1; then
    pass "terraform init in $rel"
    step "terraform validate in $rel" bash -c "cd '$dir' && terraform validate -no-color"
  else
    cat "$log/init"
    fail "terraform init in $rel"
  fi
done
# examples/complete with its external data source replaced by a stand-in, so
# everything else in it is validated too.
stub_name="terraform validate in terraform/examples/complete (external data source stubbed)"
if command -v python3 >/dev/null 2>&1 &&
  python3 "$tf_dir/scripts/stub_external_example.py" "$log/complete" >"$log/stub" 2>&1; then
  if (cd "$log/complete" && terraform init -backend=false -input=false -no-color) >"$log/init" 2>&1; then
    step "$stub_name" bash -c "cd '$log/complete' && terraform validate -no-color"
  else
    cat "$log/init"
    fail "$stub_name"
  fi
elif command -v python3 >/dev/null 2>&1; then
  cat "$log/stub"
  fail "$stub_name"
else
  skip "$stub_name (no python3)"
fi

tf_test "$tf_dir"
tf_test "$tf_dir/examples/hand-merged"

if command -v python3 >/dev/null 2>&1; then
  step "README inputs/outputs tables in sync" python3 "$tf_dir/scripts/readme_tables.py" --check
  py_checks "examples/complete: asl-guard external program and query" \
    "$tf_dir/scripts/check_external_example.py"
  py_checks "role and environment against lambda/src" \
    "$tf_dir/scripts/check_against_lambda.py"
  # The hand merged definition, as applied on mocks, against the CLI.
  (cd "$tf_dir/examples/hand-merged" && terraform test -json -verbose) >"$log/hand-merged.jsonl" 2>&1
  py_checks "fragments against asl-guard wrap, check and asl-validator" \
    "$tf_dir/scripts/check_fragments_against_cli.py" "$log/hand-merged.jsonl"
else
  banner "WARNING: python3 not found: README table sync, external example and CLI checks NOT run."
  skip "README inputs/outputs tables in sync"
  skip "examples/complete: asl-guard external program and query"
  skip "fragments against asl-guard wrap, check and asl-validator"
  skip "role and environment against lambda/src"
fi

checkov_bin="${CHECKOV:-}"
if [[ -z "$checkov_bin" ]] && command -v checkov >/dev/null 2>&1; then
  checkov_bin="$(command -v checkov)"
fi
if [[ -n "$checkov_bin" && -x "$checkov_bin" ]]; then
  echo "checkov $("$checkov_bin" --version 2>/dev/null)"
  # --skip-download: no calls to the vendor platform, the scan stays offline.
  step "checkov (no failed check without an inline skip)" \
    "$checkov_bin" --directory terraform --framework terraform --compact --quiet --skip-download \
    --skip-path '\.terraform' --download-external-modules false
else
  banner "WARNING: checkov not found (not on PATH, \$CHECKOV unset or not executable):" \
    "the security scan of terraform/ was NOT run."
  skip "checkov"
fi

if [[ ${#failures[@]} -gt 0 ]]; then
  echo
  echo "Failed:"
  printf '  %s\n' "${failures[@]}"
fi
echo
if [[ $skipped -gt 0 ]]; then
  echo "terraform: $passed passed, $failed failed, $skipped skipped"
else
  echo "terraform: $passed passed, $failed failed"
fi
[[ $failed -eq 0 ]]
