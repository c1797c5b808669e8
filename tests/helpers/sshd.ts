// A throwaway OpenSSH sshd on 127.0.0.1 for interop tests, with keys made by ssh-keygen, and a
// matching client ssh_config (HostKeyAlias + known_hosts line, BatchMode) that both the stock
// `ssh` and sshmux read. Throws (never skips) when OpenSSH is not installed.

import { run, waitFor } from "./run.ts";

export interface SshdOptions {
  /** Extra sshd_config lines (e.g. "Ciphers aes128-ctr", "RekeyLimit 1M"). */
  sshdConfig?: string[];
  /** Extra client ssh_config lines, added under `Host *`. */
  clientConfig?: string[];
  /** Host key type(s) for ssh-keygen -t (default ["ed25519"]). */
  hostKeyTypes?: string[];
  /** Client key type for ssh-keygen -t (default "ed25519"). */
  clientKeyType?: string;
  /** Run sshd with PAM (password/keyboard-interactive via PAM). sshd keeps the first UsePAM line. */
  usePam?: boolean;
}

export interface Sshd {
  dir: string;
  port: number;
  /** The ssh_config path: pass as `-F` to ssh, scp, sftp and sshmux. */
  config: string;
  /** The client's private key path. */
  clientKey: string;
  knownHosts: string;
  /** The HostKeyAlias the known_hosts line is written for. */
  alias: string;
  logFile: string;
  pid: number;
  /** Stops sshd and removes the directory. */
  stop(): Promise<void>;
}

export const SSHD = "/usr/sbin/sshd";
export const HOST_ALIAS = "sshmux-test-host";

/** Logins the sshd accepted so far: one per SSH connection made to it. */
export function logins(sshd: Sshd): number {
  return Deno.readTextFileSync(sshd.logFile).split("\n")
    .filter((l) => l.includes("Accepted publickey")).length;
}

export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

async function keygen(type: string, path: string): Promise<void> {
  const r = await run("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", "sshmux-test", "-f", path]);
  if (r.code !== 0) throw new Error(`ssh-keygen -t ${type} failed: ${r.err}`);
}

export async function startSshd(opts: SshdOptions = {}): Promise<Sshd> {
  try {
    Deno.statSync(SSHD);
  } catch {
    throw new Error(`OpenSSH server not installed (${SSHD} missing): run scripts/setup.sh`);
  }
  try {
    Deno.mkdirSync("/run/sshd", { recursive: true });
  } catch { /* not root: sshd will say so */ }
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-sshd-" });
  const hostKeys: string[] = [];
  for (const t of opts.hostKeyTypes ?? ["ed25519"]) {
    const p = `${dir}/host_${t}`;
    await keygen(t, p);
    hostKeys.push(p);
  }
  const clientKey = `${dir}/id_client`;
  await keygen(opts.clientKeyType ?? "ed25519", clientKey);
  Deno.copyFileSync(`${clientKey}.pub`, `${dir}/authorized_keys`);

  const port = freePort();
  const logFile = `${dir}/sshd.log`;
  const pidFile = `${dir}/sshd.pid`;
  const sshdConfig = [
    "ListenAddress 127.0.0.1",
    `Port ${port}`,
    ...hostKeys.map((k) => `HostKey ${k}`),
    `AuthorizedKeysFile ${dir}/authorized_keys`,
    "StrictModes no",
    `UsePAM ${opts.usePam ? "yes" : "no"}`,
    `PidFile ${pidFile}`,
    "AcceptEnv _XXX_TEST _XXX_TEST_* LANG LC_*",
    "Subsystem sftp /usr/lib/openssh/sftp-server",
    "AllowTcpForwarding yes",
    "AllowStreamLocalForwarding yes",
    "StreamLocalBindUnlink yes",
    "PermitRootLogin yes",
    "LogLevel VERBOSE",
    ...(opts.sshdConfig ?? []),
    // Last, since sshd keeps the first SetEnv line: bash run by sshd at shell level 1 sources
    // ~/.bashrc for every command (on this kind of machine root's runs `pyenv init`: ~2 s).
    "SetEnv SHLVL=1",
  ];
  Deno.writeTextFileSync(`${dir}/sshd_config`, sshdConfig.join("\n") + "\n");

  const knownHosts = `${dir}/known_hosts`;
  const lines = hostKeys.map((k) => {
    const pub = Deno.readTextFileSync(`${k}.pub`).trim().split(/\s+/).slice(0, 2).join(" ");
    return `${HOST_ALIAS} ${pub}`;
  });
  Deno.writeTextFileSync(knownHosts, lines.join("\n") + "\n");

  const user = Deno.env.get("USER") ?? "root";
  const config = `${dir}/ssh_config`;
  Deno.writeTextFileSync(
    config,
    [
      "Host *",
      "  HostName 127.0.0.1",
      `  Port ${port}`,
      `  User ${user}`,
      `  IdentityFile ${clientKey}`,
      "  IdentitiesOnly yes",
      `  HostKeyAlias ${HOST_ALIAS}`,
      `  UserKnownHostsFile ${knownHosts}`,
      "  GlobalKnownHostsFile /dev/null",
      "  StrictHostKeyChecking yes",
      "  BatchMode yes",
      "  LogLevel ERROR",
      ...(opts.clientConfig ?? []).map((l) => `  ${l}`),
    ].join("\n") + "\n",
  );

  const r = await run(SSHD, ["-f", `${dir}/sshd_config`, "-E", logFile]);
  if (r.code !== 0) {
    let log = "";
    try {
      log = Deno.readTextFileSync(logFile);
    } catch { /* none */ }
    throw new Error(`sshd failed to start (exit ${r.code}): ${r.err}${log}`);
  }
  let pid = 0;
  await waitFor("sshd pid file", () => {
    try {
      pid = parseInt(Deno.readTextFileSync(pidFile).trim(), 10);
      return pid > 0;
    } catch {
      return false;
    }
  });

  return {
    dir,
    port,
    config,
    clientKey,
    knownHosts,
    alias: HOST_ALIAS,
    logFile,
    pid,
    async stop() {
      try {
        Deno.kill(pid, "SIGTERM");
      } catch { /* already gone */ }
      await waitFor("sshd exit", () => {
        try {
          Deno.statSync(`/proc/${pid}`);
          return false;
        } catch {
          return true;
        }
      }, 5000).catch(() => {});
      Deno.removeSync(dir, { recursive: true });
    },
  };
}
