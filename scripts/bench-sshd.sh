# Sourced by the bench scripts: starts a throwaway sshd on 127.0.0.1 in $dir (which the caller
# made) with an ed25519 host and client key, and writes $dir/ssh_config for ssh and sshmux.
# Sets sshd_pid; the caller's EXIT trap stops it.
mkdir -p /run/sshd 2>/dev/null || true
ssh-keygen -q -t ed25519 -N '' -f "$dir/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$dir/id_client"
cp "$dir/id_client.pub" "$dir/authorized_keys"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$dir/sshd_config" <<CFG
ListenAddress 127.0.0.1
Port $port
HostKey $dir/host_key
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
PidFile $dir/sshd.pid
PermitRootLogin yes
Subsystem sftp /usr/lib/openssh/sftp-server
# bash run by sshd at shell level 1 sources ~/.bashrc for every command; an rc file (pyenv,
# conda ...) would cost more than the mux path being measured, the same for every client.
SetEnv SHLVL=1
CFG
echo "bench-host $(cut -d' ' -f1,2 "$dir/host_key.pub")" >"$dir/known_hosts"
cat >"$dir/ssh_config" <<CFG
Host *
  HostName 127.0.0.1
  Port $port
  User ${USER:-root}
  IdentityFile $dir/id_client
  IdentitiesOnly yes
  HostKeyAlias bench-host
  UserKnownHostsFile $dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  LogLevel ERROR
CFG
/usr/sbin/sshd -f "$dir/sshd_config" -E "$dir/sshd.log"
for _ in $(seq 100); do [ -s "$dir/sshd.pid" ] && break; sleep 0.05; done
sshd_pid=$(cat "$dir/sshd.pid")
