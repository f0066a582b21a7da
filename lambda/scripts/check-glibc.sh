#!/usr/bin/env bash
# Fails unless BINARY is an x86-64 ELF whose dynamic symbols need no glibc symbol version
# newer than MAX (default 2.34, the glibc of Lambda's provided.al2023 runtime).
# Usage: check-glibc.sh BINARY [MAX]
set -euo pipefail

bin=${1:?usage: check-glibc.sh BINARY [MAX]}
max=${2:-2.34}

command -v objdump >/dev/null || { echo "check-glibc: objdump not found (install binutils)" >&2; exit 2; }
[[ -f $bin ]] || { echo "check-glibc: no such file: $bin" >&2; exit 2; }

format=$(objdump -f "$bin" | sed -n 's/.*file format //p')
if [[ $format != elf64-x86-64 ]]; then
  echo "check-glibc: $bin is '$format', expected elf64-x86-64 for provided.al2023 x86_64" >&2
  exit 1
fi

symbols=$(objdump -T "$bin" | grep -o 'GLIBC_[0-9][0-9.]*[0-9]' || true)
if [[ -z $symbols ]]; then
  echo "check-glibc: $bin needs no versioned glibc symbols (static or musl)"
  exit 0
fi
newest=$(printf '%s\n' "$symbols" | sed 's/^GLIBC_//' | sort -uV | tail -1)
if [[ $(printf '%s\n%s\n' "$newest" "$max" | sort -V | tail -1) != "$max" ]]; then
  echo "check-glibc: FAIL: $bin needs GLIBC_$newest, newer than GLIBC_$max. Offending symbols:" >&2
  objdump -T "$bin" | awk -v max="$max" '
    match($0, /GLIBC_[0-9][0-9.]*/) {
      v = substr($0, RSTART + 6, RLENGTH - 6)
      cmd = "printf \"%s\\n%s\\n\" " v " " max " | sort -V | tail -1"
      cmd | getline top; close(cmd)
      if (top != max) print "  " $0
    }' >&2
  exit 1
fi
echo "check-glibc: ok: $bin needs at most GLIBC_$newest (limit GLIBC_$max)"
