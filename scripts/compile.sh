#!/usr/bin/env bash
# Builds the single sshmux binary with `deno compile`. Needs Deno's `denort` base binary: set
# DENORT_BIN to a local copy where Deno's download host is unreachable (as on our build machines).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=$(bash scripts/setup.sh | tail -1)
out=${1:-dist/sshmux}
mkdir -p "$(dirname "$out")"
# Same permissions as scripts/sshmux, baked into the binary.
exec "$deno" compile --output "$out" \
  --allow-ffi --allow-read --allow-write --allow-net --allow-run --allow-env --allow-sys \
  main.ts
