#!/usr/bin/env bash
# The whole test suite, set-up included: unit tests and interop tests against real OpenSSH.
# Usage: scripts/test.sh [deno test filter args...]   Ends with a line "N passed, M failed".
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
deno=$(bash scripts/setup.sh | tail -1) || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
export PATH="$(dirname "$deno"):$PATH"
# The launcher runs .bundle/ while it is fresh (scripts/bundle.ts): build it first, so the suite
# runs what users run. Without it the launcher runs main.ts and the bundle tests fail.
"$deno" run -A scripts/bundle.ts || echo "test.sh: building the bundle failed; the launcher runs main.ts"
log=$(mktemp)
# -A: tests start sshd, ssh, the launcher and FFI. Interop tests fail (never skip) without OpenSSH.
NO_COLOR=1 DENO_JOBS=${DENO_JOBS:-2} "$deno" test -A --parallel --no-check=remote "${@:-tests/}" 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -1)
passed=$(sed -E 's/^[A-Z a-z]+\| ([0-9]+) passed.*/\1/' <<<"$summary")
failed=$(sed -E 's/.*\| ([0-9]+) failed.*/\1/' <<<"$summary")
rm -f "$log"
if [ -z "$summary" ]; then passed=0; failed=1; rc=1; fi
[ "$rc" -ne 0 ] && [ "${failed:-0}" = 0 ] && failed=1
echo "${passed} passed, ${failed} failed"
exit "$rc"
