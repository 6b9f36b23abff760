#!/usr/bin/env bash
# rename-host-internals.sh - gives the Lua host's internal functions, types and tables the
# prefix lh_ ("Lua host") instead of the public rmt_: every name declared in src/lua/core.h or
# src/lua/host.h and not in src/lua/host_api.h (what the CLI may call) or include/remotes.h.
# It must never touch a name it did not find declared there, nor a file outside the host, its
# tests, tools, fuzzers, benchmarks, generators and docs.
#
# Why lh_: rmt_ is the library's public prefix and rmt__ its private one (src/common.h); the
# host is a separate static library above it, and a call that crosses from host code into
# the engine should read as one. host_ is taken by static helpers in several files
# (host_of, host_done) and reads as the public noun.
#
# Idempotent and derived from the headers at the time it runs: after merging branches that
# add or use host functions under the old names, run it again and it renames those too.
# Usage: scripts/rename-host-internals.sh [--dry-run]   (prints the mapping either way)
set -euo pipefail
cd "$(dirname "$0")/.."

headers=(src/lua/core.h src/lua/host.h)
public=(src/lua/host_api.h include/remotes.h)

declared() {
  # functions (the name before the first parenthesis of a declaration line), function
  # pointer types, struct/enum typedefs, and extern tables
  grep -hoE '^[a-z][a-z_ ]*[ *](rmt_[a-z0-9_]+)\(' "$@" | grep -oE 'rmt_[a-z0-9_]+\($' | tr -d '('
  grep -hoE '\(\*rmt_[a-z0-9_]+\)' "$@" | tr -d '()*'
  grep -hoE '^typedef (struct|enum) rmt_[a-z0-9_]+' "$@" | awk '{print $3}'
  grep -hoE '^\} rmt_[a-z0-9_]+;' "$@" | tr -d '}; '
  grep -hoE '^extern [a-z *]*\b(rmt_[a-z0-9_]+)\[' "$@" | grep -oE 'rmt_[a-z0-9_]+' | tail -n +1
}

mapfile -t internal < <(declared "${headers[@]}" | sort -u)
mapfile -t exported < <(grep -hoE '\brmt_[a-z0-9_]+\b' "${public[@]}" | sort -u)

sedscript=$(mktemp)
trap 'rm -f "$sedscript"' EXIT
declare -A target_of=()
for name in "${internal[@]}"; do
  if printf '%s\n' "${exported[@]}" | grep -qx "$name"; then continue; fi
  case "$name" in
    rmt_host_*) new="lh_${name#rmt_host_}" ;;
    rmt_*) new="lh_${name#rmt_}" ;;
  esac
  if [[ -n "${target_of[$new]:-}" ]]; then
    echo "rename-host-internals: $name and ${target_of[$new]} would both become $new" >&2
    exit 1
  fi
  target_of[$new]=$name
  printf '%-28s -> %s\n' "$name" "$new"
  printf 's/\\b%s\\b/%s/g\n' "$name" "$new" >>"$sedscript"
done

if [[ ! -s "$sedscript" ]]; then
  echo "rename-host-internals: nothing to rename (already done?)"
  exit 0
fi
[[ "${1:-}" == "--dry-run" ]] && exit 0

# the host, the programs and tests that use its internals, the generators that write its
# tables (facts.c, prelude.c) and the docs that name them
mapfile -t files < <(git ls-files -- 'src/lua/*.c' 'src/lua/*.h' 'src/lua/*.py' 'tests/*.c' \
  'tests/*.h' 'tests/*.py' 'tools/*.c' 'fuzz/*.c' 'bench/*.c' 'scripts/*.py' 'docs/*.md' \
  'README.md')
for f in "${files[@]}"; do
  if grep -qE 'rmt_[a-z0-9_]+' "$f" && ! cmp -s <(sed -f "$sedscript" "$f") "$f"; then
    sed -i -f "$sedscript" "$f"
    echo "  edited $f"
  fi
done
