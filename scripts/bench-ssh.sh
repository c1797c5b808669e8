#!/usr/bin/env bash
# Plain-mode benchmark: sshmux vs OpenSSH's ssh as the SSH client of the same throwaway sshd on
# 127.0.0.1, same cipher. For chacha20-poly1305 and aes128-gcm, on sshmux's default backend
# (libcrypto) and on its fallback (SSHMUX_CRYPTO=webcrypto), it moves N MiB down and up and
# reports MB/s, the client's CPU seconds (user+sys, incl. its pipeline helper) and the CPU per
# GiB, plus sshmux/ssh ratios (throughput: higher is better; CPU: lower is better).
# The cases run RUNS times, interleaved (ssh, then sshmux, then the next case), so background
# load hits both alike; the table shows medians with [min-max] and the median of the per-run
# ratios. A script, not a test: nothing here asserts a speed.
# Usage: [BENCH_CASES="cipher[+backend] ..."] scripts/bench-ssh.sh [MiB=500] [RUNS=1]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Measure what users run: the launcher takes the bundle (scripts/bundle.ts) while it is fresh.
"$(bash "$top/scripts/setup.sh" | tail -1)" run -A "$top/scripts/bundle.ts"
mib=${1:-500}
runs=${2:-1}
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

# measure CMD...: runs CMD under /usr/bin/time; sets WALL and CPU (user+sys seconds).
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

mbps() { awk -v n="$bytes" -v t="$1" 'BEGIN { if (t == 0) print "inf"; else printf "%.1f", n / 1048576 / t }'; }
# stats: reads numbers, prints "median [min-max]".
stats() { sort -g | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f [%.2f-%.2f]", m, a[1], a[NR]}'; }
median() { sort -g | awk '{a[NR]=$1} END {m = (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2; printf "%.2f", m}'; }

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
# Warm-up: the first sshmux run compiles/caches the TypeScript.
"$sshmux" -F "$dir/ssh_config" x true
ssh -F "$dir/ssh_config" x true

# Start-up: wall time of `true` (also interleaved).
for _ in $(seq "$runs"); do
  measure ssh -F "$dir/ssh_config" x true
  echo "$WALL" >>"$dir/true.ssh"
  echo "$CPU" >>"$dir/true.ssh_cpu"
  measure "$sshmux" -F "$dir/ssh_config" x true
  echo "$WALL" >>"$dir/true.mux"
  echo "$CPU" >>"$dir/true.mux_cpu"
done

# BENCH_CASES (space-separated, e.g. "aes128-gcm@openssh.com") runs only those cases, to save time.
cases=${BENCH_CASES:-"chacha20-poly1305@openssh.com aes128-gcm@openssh.com chacha20-poly1305@openssh.com+webcrypto aes128-gcm@openssh.com+webcrypto"}
for run in $(seq "$runs"); do
  for case in $cases; do
    cipher=${case%%+*}
    env=""
    [ "$case" != "$cipher" ] && env="SSHMUX_CRYPTO=${case##*+}"
    for dirn in down up; do
      key="$case.$dirn"
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
      mux_mb=$(mbps "$WALL") mux_cpu=$CPU
      echo "$ssh_mb" >>"$dir/$key.ssh_mb"
      echo "$mux_mb" >>"$dir/$key.mux_mb"
      echo "$ssh_cpu" >>"$dir/$key.ssh_cpu"
      echo "$mux_cpu" >>"$dir/$key.mux_cpu"
      awk -v a="$mux_mb" -v b="$ssh_mb" 'BEGIN { printf "%.3f\n", a / b }' >>"$dir/$key.ratio_mb"
      awk -v a="$mux_cpu" -v b="$ssh_cpu" 'BEGIN { printf "%.3f\n", (b == 0) ? 0 : a / b }' >>"$dir/$key.ratio_cpu"
      printf 'run %d/%d %-44s ssh %7s MB/s %5ss CPU | sshmux %7s MB/s %5ss CPU\n' "$run" "$runs" \
        "$case $dirn" "$ssh_mb" "$ssh_cpu" "$mux_mb" "$mux_cpu" >&2
    done
  done
done

# CPU per byte without start-up: each transfer's CPU minus the median CPU of a `true` session.
ssh_true_cpu=$(median <"$dir/true.ssh_cpu")
mux_true_cpu=$(median <"$dir/true.mux_cpu")

echo
echo "$runs interleaved run(s) of $mib MiB; medians [min-max]; ratio = median of per-run sshmux/ssh; $(nproc) cores"
echo "load average: $load_before (at the start), $(cut -d' ' -f1-3 /proc/loadavg) (at the end)"
printf "%-36s %-22s %-22s %6s   %-18s %-18s %6s %6s\n" "case" "ssh MB/s" "sshmux MB/s" "ratio" \
  "ssh CPU s" "sshmux CPU s" "ratio" "net"
printf "%-36s %-22s %-22s %6s   %-18s %-18s %6s\n" "wall of 'true' (s)" "$(stats <"$dir/true.ssh")" \
  "$(stats <"$dir/true.mux")" "$(paste "$dir/true.mux" "$dir/true.ssh" | awk '{print $1/$2}' | median)" \
  "$(stats <"$dir/true.ssh_cpu")" "$(stats <"$dir/true.mux_cpu")" \
  "$(paste "$dir/true.mux_cpu" "$dir/true.ssh_cpu" | awk '{print ($2 == 0) ? 0 : $1/$2}' | median)"
for case in $cases; do
  cipher=${case%%+*}
  label=${cipher%%@*}
  if [ "$case" != "$cipher" ]; then label="$label (${case##*+})"; else label="$label (default)"; fi
  for dirn in down up; do
    key="$case.$dirn"
    net=$(paste "$dir/$key.mux_cpu" "$dir/$key.ssh_cpu" | awk -v m="$mux_true_cpu" -v s="$ssh_true_cpu" \
      '{ d = $2 - s; print (d <= 0) ? 0 : ($1 - m) / d }' | median)
    printf "%-36s %-22s %-22s %6s   %-18s %-18s %6s %6s\n" "$label $dirn" \
      "$(stats <"$dir/$key.ssh_mb")" "$(stats <"$dir/$key.mux_mb")" "$(median <"$dir/$key.ratio_mb")" \
      "$(stats <"$dir/$key.ssh_cpu")" "$(stats <"$dir/$key.mux_cpu")" "$(median <"$dir/$key.ratio_cpu")" "$net"
  done
done
echo "(throughput ratio: higher is better; CPU ratio = client CPU per byte vs ssh's, lower is better;"
echo " net = the same with each client's median CPU of a 'true' session (start-up, kex, auth) taken off)"
