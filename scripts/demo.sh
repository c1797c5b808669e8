#!/usr/bin/env bash
# First contact: sshmux as the ControlMaster for stock OpenSSH clients, end to end, on this
# machine. Sets up what it needs (scripts/setup.sh: Deno, OpenSSH), starts a throwaway sshd on
# 127.0.0.1, starts `sshmux -M`, runs stock ssh, scp and sftp through it, shows -O check and how
# long a session through the master takes against a fresh connection, sshmux's own -O list and
# round-trip -O check, then cleans up.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
deno=$(bash "$top/scripts/setup.sh" | tail -1)
export PATH="$(dirname "$deno"):$PATH"
sshmux="$top/scripts/sshmux"
dir=$(mktemp -d /tmp/sshmux-demo.XXXXXX)
sshd_pid=""
cleanup() {
  ssh -F "$dir/ssh_config" -S "$dir/ctl" -O exit demo >/dev/null 2>&1 || true
  [ -n "$sshd_pid" ] && kill "$sshd_pid" 2>/dev/null || true
  rm -rf "$dir"
}
trap cleanup EXIT
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; "$@"; }

. "$top/scripts/bench-sshd.sh"
cfg="$dir/ssh_config"
say "a throwaway sshd on 127.0.0.1:$port; sshmux becomes the master (its own SSH connection)"
show "$sshmux" -F "$cfg" -M -N -f -S "$dir/ctl" demo
show ssh -F "$cfg" -S "$dir/ctl" -O check demo

say "stock OpenSSH clients ride on it"
show ssh -F "$cfg" -S "$dir/ctl" demo 'echo "hello from $(hostname) via the sshmux master"; exit 3' ||
  echo "(exit status $? came back through the master)"
head -c $((20 * 1024 * 1024)) /dev/urandom >"$dir/data.bin"
show scp -q -F "$cfg" -o ControlPath="$dir/ctl" "demo:$dir/data.bin" "$dir/scp-copy.bin"
cmp "$dir/data.bin" "$dir/scp-copy.bin" && echo "scp: 20 MiB byte-exact"
echo "get $dir/data.bin $dir/sftp-copy.bin" |
  sftp -q -F "$cfg" -o ControlPath="$dir/ctl" demo >/dev/null
cmp "$dir/data.bin" "$dir/sftp-copy.bin" && echo "sftp: 20 MiB byte-exact"
show "$sshmux" -F "$cfg" -S "$dir/ctl" demo 'echo "and sshmux itself as the client"'

say "beyond OpenSSH: list the master's sessions (a stock one and a named sshmux one are running)"
ssh -F "$cfg" -S "$dir/ctl" demo 'sleep 3' </dev/null &
"$sshmux" -F "$cfg" -S "$dir/ctl" -o SessionName=backup demo 'sleep 3' </dev/null &
for _ in $(seq 50); do
  [ "$("$sshmux" -F "$cfg" -S "$dir/ctl" -O list-json demo | grep -o '"kind":"session"' | wc -l)" -ge 2 ] && break
  sleep 0.1
done
show "$sshmux" -F "$cfg" -S "$dir/ctl" -O list demo
show "$sshmux" -F "$cfg" -S "$dir/ctl" -O check demo
wait

say "a session through the master vs a fresh connection (stock ssh, 5 each)"
time_it() {
  local t0 t1
  t0=$(date +%s%N)
  for _ in 1 2 3 4 5; do "$@" true </dev/null; done
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 5000000))
}
via_master=$(time_it ssh -F "$cfg" -S "$dir/ctl" demo)
fresh=$(time_it ssh -F "$cfg" -o ControlPath=none demo)
echo "through the sshmux master: ${via_master} ms per session; fresh connection: ${fresh} ms"

say "stop the master"
show ssh -F "$cfg" -S "$dir/ctl" -O exit demo
