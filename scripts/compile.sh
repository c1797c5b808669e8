#!/usr/bin/env bash
# Builds the single sshmux binary with `deno compile`. Needs Deno's `denort` base binary: set
# DENORT_BIN to a local copy where Deno's download host is unreachable (as on our build machines).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=$(bash scripts/setup.sh | tail -1)
out=${1:-dist/sshmux}
mkdir -p "$(dirname "$out")"
# Modules imported through lazyModule() (lib/lazy_module.ts) are invisible to compile's module
# graph: embed each one, found by its call sites so the list cannot drift from the code.
includes() {
  local f spec dir
  grep -rlE --include='*.ts' --exclude=lazy_module.ts 'lazyModule\("' main.ts lib | while read -r f; do
    dir=$(dirname "$f")
    grep -oE 'lazyModule\("[^"]+"\)' "$f" | sed -E 's/lazyModule\("([^"]+)"\)/\1/' |
      while read -r spec; do echo "--include $(realpath --relative-to=. "$dir/$spec")"; done
  done | sort -u
}
# Same permissions and V8 flags as scripts/sshmux, baked into the binary.
exec "$deno" compile --output "$out" \
  --allow-ffi --allow-read --allow-write --allow-net --allow-run --allow-env --allow-sys \
  --v8-flags=--max-semi-space-size=1 \
  $(includes) main.ts
