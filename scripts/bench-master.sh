#!/usr/bin/env bash
# Master benchmark: our master (sshmux -M) vs OpenSSH's (ssh -M) on the same throwaway sshd,
# with the same stock `ssh` as the mux client, measured alternately in one run so background
# load hits both alike. Reports, per master and as sshmux/ssh ratios:
#   latency    median wall time of N sequential `ssh -S ctl x true` sessions
#   down/up    MB/s of a download and an upload through one session (per cipher)
#   parallel   wall time of 20 concurrent sessions each moving M MiB
#   RSS        the master's resident memory idle, after 200 sessions, peak during parallel
#   proxy      stock `ssh -O proxy` through each master: MB/s down and `true` latency
# Usage: scripts/bench-master.sh [sessions=50] [MiB=1024] [parallel MiB each=50]
# Targets (issue #8): latency <= 1.0x, throughput >= 1.0x, parallel <= 1.0x; RSS <= 64 MiB
# idle and <= 5% growth after 200 sessions.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
# Measure what users run: the launcher takes the bundle (scripts/bundle.ts) while it is fresh.
"$(bash "$top/scripts/setup.sh" | tail -1)" run -A "$top/scripts/bundle.ts"
runs=${1:-50}
mib=${2:-1024}
pmib=${3:-50}
sshmux="$top/scripts/sshmux"
dir=$(mktemp -d /tmp/sshmux-bench-master.XXXXXX)
sshd_pid=""
cleanup() {
  for c in "$dir"/ctl-*; do
    [ -S "$c" ] && ssh -F "$dir/ssh_config" -S "$c" -O exit x >/dev/null 2>&1 || true
  done
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
. "$top/scripts/bench-sshd.sh"
echo "MaxSessions 64" >>"$dir/sshd_config"
kill -HUP "$sshd_pid"
sleep 0.5
cfg="$dir/ssh_config"

now() { date +%s.%N; }
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
master_pid() { ssh -F "$cfg" -S "$1" -O check x 2>&1 | sed -n 's/.*pid=\([0-9]*\).*/\1/p'; }

# start_master KIND CIPHER → control path; KIND is ssh or sshmux.
start_master() {
  local kind=$1 cipher=$2 ctl="$dir/ctl-$1-$2"
  local prog=ssh
  [ "$kind" = sshmux ] && prog=$sshmux
  "$prog" -F "$cfg" -o Ciphers="$cipher" -M -N -f -S "$ctl" x </dev/null >/dev/null 2>&1
  for _ in $(seq 200); do
    ssh -F "$cfg" -S "$ctl" -O check x 2>/dev/null && break
    sleep 0.05
  done
  echo "$ctl"
}
stop_master() { ssh -F "$cfg" -S "$1" -O exit x >/dev/null 2>&1 || true; }

one_session() {
  local t0 t1
  t0=$(now)
  ssh -F "$cfg" -S "$1" ${2:-} x true </dev/null
  t1=$(now)
  echo "$t1 - $t0" | bc -l
}
down_mbps() {
  local t0 t1
  t0=$(now)
  ssh -F "$cfg" -S "$1" ${2:-} x "head -c $((mib * 1024 * 1024)) /dev/zero" >/dev/null
  t1=$(now)
  echo "$mib * 1.048576 / ($t1 - $t0)" | bc -l
}
up_mbps() {
  local t0 t1
  t0=$(now)
  head -c $((mib * 1024 * 1024)) /dev/zero | ssh -F "$cfg" -S "$1" x "cat >/dev/null"
  t1=$(now)
  echo "$mib * 1.048576 / ($t1 - $t0)" | bc -l
}
parallel_secs() {
  local t0 t1 pid peak=0 r
  pid=$(master_pid "$1")
  t0=$(now)
  for _ in $(seq 20); do
    ssh -F "$cfg" -S "$1" x "head -c $((pmib * 1024 * 1024)) /dev/zero" >/dev/null &
  done
  while [ "$(jobs -rp | wc -l)" -gt 0 ]; do
    r=$(rss_kib "$pid" 2>/dev/null || echo 0)
    [ "$r" -gt "$peak" ] && peak=$r
    sleep 0.1
  done
  wait
  t1=$(now)
  echo "$(echo "$t1 - $t0" | bc -l) $peak"
}

declare -A res
for cipher in chacha20-poly1305@openssh.com aes128-gcm@openssh.com; do
  for kind in ssh sshmux; do
    ctl=$(start_master "$kind" "$cipher")
    res[$kind.$cipher.down]=$(down_mbps "$ctl")
    res[$kind.$cipher.up]=$(up_mbps "$ctl")
    stop_master "$ctl"
  done
done
# Latency, RSS and the parallel run on the default cipher; masters alternate per session.
ctl_ssh=$(start_master ssh chacha20-poly1305@openssh.com)
ctl_mux=$(start_master sshmux chacha20-poly1305@openssh.com)
pid_ssh=$(master_pid "$ctl_ssh")
pid_mux=$(master_pid "$ctl_mux")
res[ssh.rss_idle]=$(rss_kib "$pid_ssh")
res[sshmux.rss_idle]=$(rss_kib "$pid_mux")
: >"$dir/lat-ssh"
: >"$dir/lat-sshmux"
for _ in $(seq "$runs"); do
  one_session "$ctl_ssh" >>"$dir/lat-ssh"
  one_session "$ctl_mux" >>"$dir/lat-sshmux"
done
res[ssh.lat]=$(median <"$dir/lat-ssh")
res[sshmux.lat]=$(median <"$dir/lat-sshmux")
for ((i = runs; i < 200; i++)); do
  ssh -F "$cfg" -S "$ctl_ssh" x true </dev/null
  ssh -F "$cfg" -S "$ctl_mux" x true </dev/null
done
res[ssh.rss_200]=$(rss_kib "$pid_ssh")
res[sshmux.rss_200]=$(rss_kib "$pid_mux")
read -r res[ssh.par] res[ssh.rss_peak] < <(parallel_secs "$ctl_ssh")
read -r res[sshmux.par] res[sshmux.rss_peak] < <(parallel_secs "$ctl_mux")
# Proxy mode: the client's own SSH messages relayed by the master (issue #9).
res[ssh.pdown]=$(down_mbps "$ctl_ssh" -Oproxy)
res[sshmux.pdown]=$(down_mbps "$ctl_mux" -Oproxy)
: >"$dir/plat-ssh"
: >"$dir/plat-sshmux"
for _ in $(seq 10); do
  one_session "$ctl_ssh" -Oproxy >>"$dir/plat-ssh"
  one_session "$ctl_mux" -Oproxy >>"$dir/plat-sshmux"
done
res[ssh.plat]=$(median <"$dir/plat-ssh")
res[sshmux.plat]=$(median <"$dir/plat-sshmux")
stop_master "$ctl_ssh"
stop_master "$ctl_mux"

ratio() { echo "scale=2; $1 / $2" | bc -l; }
printf '%-34s %12s %12s %8s\n' metric "ssh -M" "sshmux -M" ratio
row() { printf '%-34s %12.3f %12.3f %8s\n' "$1" "$2" "$3" "$(ratio "$3" "$2")"; }
for cipher in chacha20-poly1305@openssh.com aes128-gcm@openssh.com; do
  row "down MB/s ${cipher%%@*} (${mib} MiB)" "${res[ssh.$cipher.down]}" "${res[sshmux.$cipher.down]}"
  row "up MB/s ${cipher%%@*} (${mib} MiB)" "${res[ssh.$cipher.up]}" "${res[sshmux.$cipher.up]}"
done
row "latency s (median of $runs true)" "${res[ssh.lat]}" "${res[sshmux.lat]}"
row "20 parallel x ${pmib} MiB, s" "${res[ssh.par]}" "${res[sshmux.par]}"
row "proxy down MB/s (${mib} MiB)" "${res[ssh.pdown]}" "${res[sshmux.pdown]}"
row "proxy latency s (median of 10)" "${res[ssh.plat]}" "${res[sshmux.plat]}"
row "RSS MiB idle" "$(echo "${res[ssh.rss_idle]} / 1024" | bc -l)" "$(echo "${res[sshmux.rss_idle]} / 1024" | bc -l)"
row "RSS MiB after 200 sessions" "$(echo "${res[ssh.rss_200]} / 1024" | bc -l)" "$(echo "${res[sshmux.rss_200]} / 1024" | bc -l)"
row "RSS MiB peak (20 parallel)" "$(echo "${res[ssh.rss_peak]} / 1024" | bc -l)" "$(echo "${res[sshmux.rss_peak]} / 1024" | bc -l)"
echo "sshmux RSS growth after 200 sessions: $(echo "scale=1; 100 * (${res[sshmux.rss_200]} - ${res[sshmux.rss_idle]}) / ${res[sshmux.rss_idle]}" | bc -l)%"
