#!/usr/bin/env bash
# Builds the lease Lambda's `bootstrap` in release for provided.al2023 on x86_64, checks that
# it needs no glibc newer than 2.34, and zips it. Prints the zip's path on the last line.
# Usage: lambda/scripts/package.sh [--out PATH]
#   default output: $CARGO_TARGET_DIR/lambda/asl-guard-lease.zip (CARGO_TARGET_DIR defaults
#   to the workspace's target/)
set -euo pipefail

lambda_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
workspace=$(cd "$lambda_dir/.." && pwd)
target_dir=${CARGO_TARGET_DIR:-$workspace/target}
triple=x86_64-unknown-linux-gnu
out=""

while [[ $# -gt 0 ]]; do
  case $1 in
    --out) out=${2:?--out needs a path}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    -h|--help) sed -n '2,6p' "$0"; exit 0 ;;
    *) echo "package.sh: unknown argument: $1" >&2; exit 2 ;;
  esac
done
out=${out:-$target_dir/lambda/asl-guard-lease.zip}
[[ $out == /* ]] || out=$PWD/$out  # the zip is written from a staging directory

if [[ $(uname -m) != x86_64 ]]; then
  echo "package.sh: this host is $(uname -m); build on x86_64 (provided.al2023 x86_64)" >&2
  exit 2
fi

echo "package.sh: building bootstrap (release, $triple) into $target_dir" >&2
CARGO_PROFILE_RELEASE_STRIP=symbols CARGO_TARGET_DIR=$target_dir \
  cargo build --manifest-path "$workspace/Cargo.toml" --release --locked \
  -p asl-guard-lease --bin bootstrap --target "$triple" >&2

bin=$target_dir/$triple/release/bootstrap
"$lambda_dir/scripts/check-glibc.sh" "$bin" 2.34 >&2

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$bin" "$stage/bootstrap"
mkdir -p "$(dirname "$out")"
rm -f "$out"
(cd "$stage" && python3 -m zipfile -c "$out.tmp" bootstrap)
python3 - "$out.tmp" <<'PY'
import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = z.namelist()
mode = (z.getinfo("bootstrap").external_attr >> 16) & 0o777 if names == ["bootstrap"] else 0
if names != ["bootstrap"] or mode & 0o111 == 0:
    sys.exit(f"package.sh: bad zip: entries {names}, mode {oct(mode)}; want executable bootstrap")
PY
mv "$out.tmp" "$out"
echo "package.sh: wrote $(du -h "$out" | cut -f1) zip" >&2
echo "$out"
