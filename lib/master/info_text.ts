// The texts of `ssh -O conninfo` and `-O channels` (MUX_C_EXT_INFO, OpenSSH 10.3+), in the
// shape of packet.c connection_info_message and channels.c channel_open_message: CRLF lines.

import type { ChannelInfo } from "../ssh/connection/channel.ts";
import type { Negotiated } from "../ssh/transport/kexinit.ts";

export interface ConnectionFacts {
  host: string;
  pid: number;
  local?: { host: string; port: number };
  remote?: { host: string; port: number };
  startedAt: number;
  algorithms?: Negotiated;
}

export function connectionInfoText(f: ConnectionFacts, now = Date.now()): string {
  const lines = [`Connection information for ${f.host} pid ${f.pid}`];
  if (f.local && f.remote) {
    lines.push(`  tcp ${f.local.host}:${f.local.port} -> ${f.remote.host}:${f.remote.port}`);
  }
  lines.push(`  duration ${((now - f.startedAt) / 1000).toFixed(1)}s`);
  const a = f.algorithms;
  if (a) {
    lines.push(`  kexalgorithm ${a.kex}`);
    lines.push(`  hostkeyalgorithm ${a.hostKey}`);
    const both = (x: string, y: string) => x === y ? x : `${x} / ${y}`;
    lines.push(`  cipher ${both(a.cipherCS, a.cipherSC)}`);
    const mac = both(a.macCS || "<implicit>", a.macSC || "<implicit>");
    lines.push(`  mac ${mac}`);
  }
  lines.push("  compression none");
  return lines.map((l) => `${l}\r\n`).join("");
}

export function channelsText(channels: ChannelInfo[]): string {
  const lines = ["The following connections are open:"];
  for (const c of channels) {
    lines.push(`  #${c.localId} ${c.type} (remote ${c.remoteId}, ${c.state})`);
  }
  return lines.map((l) => `${l}\r\n`).join("");
}
