#!/usr/bin/env bash
# Plain-mode benchmark: sshmux vs OpenSSH's ssh as the SSH client, against the same throwaway
# sshd on 127.0.0.1, same cipher, one run each. Reports the wall time of `true`, the MB/s of a
# download and an upload of N MiB for chacha20-poly1305 and aes128-gcm (WebCrypto, and libcrypto
# with SSHMUX_CRYPTO=libcrypto), the client's CPU seconds
# (user+sys), and sshmux/ssh ratios (throughput: higher is better; time/CPU: lower is better).
# Usage: scripts/bench-ssh.sh [MiB=500]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
mib=${1:-500}
bytes=$((mib * 1024 * 1024))
sshmux="$top/scripts/sshmux"
dir=$(mktemp -d /tmp/sshmux-bench-ssh.XXXXXX)
sshd_pid=""
cleanup() {
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

. "$top/scripts/bench-sshd.sh"

# measure NAME CMD...: runs CMD under /usr/bin/time; sets WALL and CPU (client user+sys seconds).
measure() {
  local out="$dir/time.out"
  if ! /usr/bin/time -f "%e %U %S" -o "$out" "$@"; then
    echo "FAILED: $*" >&2
    cat "$out" >&2
    exit 1
  fi
  read -r WALL user sys <"$out"
  CPU=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b == 0) print "n/a"; else printf "%.2f", a / b }'; }
mbps() { awk -v n="$bytes" -v t="$1" 'BEGIN { if (t == 0) print "inf"; else printf "%.1f", n / 1048576 / t }'; }

printf '%-44s %10s %10s %8s %9s %9s\n' "test" "ssh" "sshmux" "ratio" "ssh CPU" "mux CPU"

# Warm-up: the first sshmux run compiles/caches the TypeScript.
"$sshmux" -F "$dir/ssh_config" x true
ssh -F "$dir/ssh_config" x true

measure ssh -F "$dir/ssh_config" x true
ssh_wall=$WALL ssh_cpu=$CPU
measure "$sshmux" -F "$dir/ssh_config" x true
printf '%-44s %9ss %9ss %8s %8ss %8ss\n' "wall time of 'true' (lower is better)" "$ssh_wall" "$WALL" \
  "$(ratio "$WALL" "$ssh_wall")" "$ssh_cpu" "$CPU"

# Each case is "cipher[+libcrypto]": +libcrypto runs sshmux with SSHMUX_CRYPTO=libcrypto (AES-GCM
# on the system's OpenSSL through FFI, opt-in) against the same ssh numbers.
for case in chacha20-poly1305@openssh.com aes128-gcm@openssh.com aes128-gcm@openssh.com+libcrypto; do
  cipher=${case%%+*}
  short=${cipher%%@*}
  env=""
  if [ "$case" != "$cipher" ]; then
    env="SSHMUX_CRYPTO=${case##*+}"
    short="$short (${case##*+})"
  fi
  for dirn in down up; do
    if [ "$dirn" = down ]; then
      cmd_ssh=(bash -c "ssh -F '$dir/ssh_config' -o Ciphers=$cipher x 'head -c $bytes /dev/zero' >/dev/null")
      cmd_mux=(bash -c "$env '$sshmux' -F '$dir/ssh_config' -o Ciphers=$cipher x 'head -c $bytes /dev/zero' >/dev/null")
    else
      cmd_ssh=(bash -c "head -c $bytes /dev/zero | ssh -F '$dir/ssh_config' -o Ciphers=$cipher x 'cat >/dev/null'")
      cmd_mux=(bash -c "head -c $bytes /dev/zero | $env '$sshmux' -F '$dir/ssh_config' -o Ciphers=$cipher x 'cat >/dev/null'")
    fi
    measure "${cmd_ssh[@]}"
    ssh_mb=$(mbps "$WALL") ssh_cpu=$CPU
    measure "${cmd_mux[@]}"
    mux_mb=$(mbps "$WALL")
    printf '%-44s %7s MB/s %5s MB/s %7s %8ss %8ss\n' "$short $dirn ${mib} MiB (MB/s, higher is better)" \
      "$ssh_mb" "$mux_mb" "$(ratio "$mux_mb" "$ssh_mb")" "$ssh_cpu" "$CPU"
  done
done
echo "(CPU = user+sys seconds of the client command incl. its pipeline helpers; one run each; $(nproc) cores)"
