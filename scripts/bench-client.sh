#!/usr/bin/env bash
# Client benchmark (deno task bench): one throwaway sshd and one stock OpenSSH master; sshmux vs
# ssh as the mux client (and sshmux from source, SSHMUX_NO_BUNDLE=1, in the same rounds).
# Reports the medians of N sequential `true` sessions (wall time, the client's CPU time and its
# peak RSS) and the MiB/s (median of 3) of a large download through a
# session into a file, plus sshmux/ssh ratios and the load average. The two clients run
# alternately so background load affects both alike.
# Usage: scripts/bench-client.sh [sessions=30] [MiB=500]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Measure what users run: the launcher takes the bundle (scripts/bundle.ts) while it is fresh.
"$(bash "$top/scripts/setup.sh" | tail -1)" run -A "$top/scripts/bundle.ts"
runs=${1:-30}
mib=${2:-500}
sshmux="$top/scripts/sshmux"
dir=$(mktemp -d /tmp/sshmux-bench.XXXXXX)
master_pid=""
sshd_pid=""
cleanup() {
  [ -n "$master_pid" ] && ssh -F "$dir/ssh_config" -S "$dir/ctl" -O exit x >/dev/null 2>&1 || true
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT

. "$top/scripts/bench-sshd.sh"
ssh -F "$dir/ssh_config" -M -N -n -S "$dir/ctl" x </dev/null >/dev/null 2>"$dir/master.log" &
master_pid=$!
for _ in $(seq 200); do
  ssh -F "$dir/ssh_config" -S "$dir/ctl" -O check x 2>/dev/null && break
  sleep 0.05
done

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
# one_session CLIENT: "wall-seconds cpu-seconds max-rss-KiB" of one `CLIENT -S ctl x true`.
# Wall and CPU from python (/usr/bin/time rounds to 10 ms, a third of ssh's whole session);
# the RSS from /usr/bin/time (python's own fork would count in its children's peak).
one_session() {
  python3 - "$1" "$dir" <<'PY'
import resource, subprocess, sys, time
client, d = sys.argv[1:3]
r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
t0 = time.monotonic()
subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f"{d}/rss.out", client, "-F", f"{d}/ssh_config",
                "-S", f"{d}/ctl", "x", "true"], stdin=subprocess.DEVNULL, check=True)
wall = time.monotonic() - t0
r = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = r.ru_utime + r.ru_stime - r0.ru_utime - r0.ru_stime
print(f"{wall:.4f} {cpu:.4f} {open(f'{d}/rss.out').read().split()[-1]}")
PY
}
# download_mbps CLIENT: MiB/s of `cat` of the data file through a session into a file.
download_mbps() {
  local t0 t1
  t0=$(now)
  "$1" -F "$dir/ssh_config" -S "$dir/ctl" x "cat $dir/data" </dev/null >"$dir/copy"
  t1=$(now)
  cmp -s "$dir/data" "$dir/copy" || { echo "download through $1 was not byte-exact" >&2; exit 1; }
  rm -f "$dir/copy"
  echo "$mib / ($t1 - $t0)" | bc -l
}

head -c $((mib * 1024 * 1024)) /dev/urandom >"$dir/data"
# Warm-up: Deno's module cache and the master's first session.
"$sshmux" -F "$dir/ssh_config" -S "$dir/ctl" x true </dev/null
SSHMUX_NO_BUNDLE=1 "$sshmux" -F "$dir/ssh_config" -S "$dir/ctl" x true </dev/null
ssh -F "$dir/ssh_config" -S "$dir/ctl" x true </dev/null

# The two clients alternate, so load from anything else on the machine hits both alike.
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
: >"$dir/ssh.sessions"
: >"$dir/mux.sessions"
: >"$dir/src.sessions"
for _ in $(seq "$runs"); do
  one_session ssh >>"$dir/ssh.sessions"
  one_session "$sshmux" >>"$dir/mux.sessions"
  # The same launcher running main.ts instead of the bundle: what the bundle saves.
  SSHMUX_NO_BUNDLE=1 one_session "$sshmux" >>"$dir/src.sessions"
done
col() { awk -v c="$1" '{ print $c }' "$2" | median; }
ssh_med=$(col 1 "$dir/ssh.sessions") mux_med=$(col 1 "$dir/mux.sessions")
ssh_cpu=$(col 2 "$dir/ssh.sessions") mux_cpu=$(col 2 "$dir/mux.sessions")
ssh_rss=$(col 3 "$dir/ssh.sessions") mux_rss=$(col 3 "$dir/mux.sessions")
src_med=$(col 1 "$dir/src.sessions") src_cpu=$(col 2 "$dir/src.sessions")
src_rss=$(col 3 "$dir/src.sessions")
ssh_bws=() mux_bws=()
for _ in 1 2 3; do
  ssh_bws+=("$(download_mbps ssh)")
  mux_bws+=("$(download_mbps "$sshmux")")
done
ssh_bw=$(printf '%s\n' "${ssh_bws[@]}" | median)
mux_bw=$(printf '%s\n' "${mux_bws[@]}" | median)

printf 'sessions: median of %d sequential `true`: ssh %.1f ms, sshmux %.1f ms, sshmux/ssh = %.2f\n' \
  "$runs" "$(echo "$ssh_med * 1000" | bc -l)" "$(echo "$mux_med * 1000" | bc -l)" \
  "$(echo "$mux_med / $ssh_med" | bc -l)"
printf 'from source (SSHMUX_NO_BUNDLE=1): %.1f ms (%.2f x ssh), CPU %.0f ms, peak RSS %.1f MiB\n' \
  "$(echo "$src_med * 1000" | bc -l)" "$(echo "$src_med / $ssh_med" | bc -l)" \
  "$(echo "$src_cpu * 1000" | bc -l)" "$(echo "$src_rss / 1024" | bc -l)"
printf 'client CPU per session (user+sys, median): ssh %.0f ms, sshmux %.0f ms\n' \
  "$(echo "$ssh_cpu * 1000" | bc -l)" "$(echo "$mux_cpu * 1000" | bc -l)"
printf 'client peak RSS (median): ssh %.1f MiB, sshmux %.1f MiB\n' \
  "$(echo "$ssh_rss / 1024" | bc -l)" "$(echo "$mux_rss / 1024" | bc -l)"
printf 'download (median of 3): %d MiB through a session to a file: ssh %.1f MiB/s, sshmux %.1f MiB/s, sshmux/ssh = %.2f\n' \
  "$mib" "$ssh_bw" "$mux_bw" "$(echo "$mux_bw / $ssh_bw" | bc -l)"
echo "load average: $load_before (before the sessions), $(cut -d' ' -f1-3 /proc/loadavg) (at the end); $(nproc) cores"
