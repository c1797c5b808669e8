#!/usr/bin/env bash
# Idempotent set-up: the pinned Deno (from the npm package `deno`) into .tools/ when no
# deno 2.9.x is on PATH, and the OpenSSH client and server from Debian when missing.
# Prints the path of the deno binary to use as its last line.
set -euo pipefail
DENO_VERSION=2.9.6
top=$(cd "$(dirname "$0")/.." && pwd)
tools="$top/.tools"

log() { printf 'setup: %s\n' "$*" >&2; }

find_deno() {
  if [ -x "$tools/deno" ]; then echo "$tools/deno"; return 0; fi
  if command -v deno >/dev/null 2>&1 && deno --version 2>/dev/null | head -1 | grep -q '^deno 2\.9\.'; then
    command -v deno; return 0
  fi
  return 1
}

if ! deno_bin=$(find_deno); then
  log "installing deno@$DENO_VERSION from npm into .tools/"
  mkdir -p "$tools"
  (cd "$tools" && npm install --no-audit --no-fund --silent "deno@$DENO_VERSION" >&2)
  # The npm package ships the native binary in a per-platform package; link it directly so
  # no node wrapper sits between the launcher and the program (exec keeps the pid).
  native=$(ls "$tools"/node_modules/@deno/*/deno 2>/dev/null | head -1 || true)
  [ -n "$native" ] || native="$tools/node_modules/.bin/deno"
  ln -sf "$native" "$tools/deno"
  deno_bin="$tools/deno"
fi

need_apt=()
command -v ssh >/dev/null 2>&1 || need_apt+=(openssh-client)
[ -x /usr/sbin/sshd ] || need_apt+=(openssh-server)
command -v script >/dev/null 2>&1 || need_apt+=(bsdutils)
# Tests also use openssl (key format cross-checks), useradd/chpasswd (PAM users) and python3.
command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
command -v useradd >/dev/null 2>&1 || need_apt+=(passwd)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
# Real programs the master's interop tests drive through a ControlPath (tests/interop/master_*).
command -v rsync >/dev/null 2>&1 || need_apt+=(rsync)
command -v git >/dev/null 2>&1 || need_apt+=(git)
command -v tmux >/dev/null 2>&1 || need_apt+=(tmux)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v ansible-playbook >/dev/null 2>&1 || need_apt+=(ansible-core)
/usr/bin/perl -MNet::OpenSSH -e1 >/dev/null 2>&1 || need_apt+=(libnet-openssh-perl)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    log "installing ${need_apt[*]} with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq "${need_apt[@]}" >&2
  else
    log "missing ${need_apt[*]}; install them (apt-get install ${need_apt[*]})"
  fi
fi
mkdir -p /run/sshd 2>/dev/null || true
echo "$deno_bin"
