// `-O list`: the master's JSON listing (schema sshmux-list/1, lib/master/listing.ts) checked
// field by field and printed as aligned text for people. What the master sent is peer input:
// anything missing or of the wrong type is an error, and text fields are escaped (vis) so no
// control byte reaches the terminal.

import { ProtocolError } from "../errors.ts";
import type {
  ListedConnection,
  ListedForward,
  ListedProxy,
  ListedSession,
  MasterListing,
} from "../master/listing.ts";
import { visLog } from "../vis.ts";

type Json = Record<string, unknown>;

function obj(v: unknown, what: string): Json {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new ProtocolError(`malformed listing from master: ${what} is not an object`);
  }
  return v as Json;
}

function arr(v: unknown, what: string): unknown[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw new ProtocolError(`malformed listing from master: ${what}`);
  return v;
}

function num(o: Json, k: string): number {
  const v = o[k];
  if (typeof v !== "number" || !Number.isFinite(v)) {
    throw new ProtocolError(`malformed listing from master: ${k} is not a number`);
  }
  return v;
}

function str(o: Json, k: string): string {
  const v = o[k];
  if (typeof v !== "string") {
    throw new ProtocolError(`malformed listing from master: ${k} is not a string`);
  }
  return v;
}

const optNum = (o: Json, k: string) => o[k] === null || o[k] === undefined ? null : num(o, k);
const optStr = (o: Json, k: string) => o[k] === null || o[k] === undefined ? null : str(o, k);

/** Parses and checks the master's listing; throws ProtocolError when it is not one. */
export function parseListing(text: string): MasterListing {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new ProtocolError("malformed listing from master: not JSON");
  }
  const top = obj(raw, "listing");
  if (top.schema !== "sshmux-list/1") {
    throw new ProtocolError(`unknown listing schema ${JSON.stringify(top.schema)?.slice(0, 40)}`);
  }
  const m = obj(top.master, "master");
  const sessions: ListedSession[] = arr(top.sessions, "sessions").map((v) => {
    const o = obj(v, "session");
    const kind = str(o, "kind");
    return {
      id: num(o, "id"),
      name: optStr(o, "name"),
      kind: kind === "stdio-forward" ? "stdio-forward" : "session",
      clientPid: optNum(o, "clientPid"),
      command: str(o, "command"),
      subsystem: o.subsystem === true,
      tty: o.tty === true,
      ageSeconds: num(o, "ageSeconds"),
      bytesFromServer: num(o, "bytesFromServer"),
      bytesToServer: num(o, "bytesToServer"),
    };
  });
  const proxies: ListedProxy[] = arr(top.proxies, "proxies").map((v) => {
    const o = obj(v, "proxy");
    return {
      client: num(o, "client"),
      name: optStr(o, "name"),
      clientPid: optNum(o, "clientPid"),
      channels: num(o, "channels"),
      ageSeconds: num(o, "ageSeconds"),
      bytesToClient: num(o, "bytesToClient"),
      bytesFromClient: num(o, "bytesFromClient"),
    };
  });
  const forwards: ListedForward[] = arr(top.forwards, "forwards").map((v) => {
    const o = obj(v, "forward");
    const kind = str(o, "kind");
    if (kind !== "local" && kind !== "remote" && kind !== "dynamic") {
      throw new ProtocolError("malformed listing from master: forward kind");
    }
    return { kind, description: str(o, "description"), allocatedPort: optNum(o, "allocatedPort") };
  });
  const connections: ListedConnection[] = arr(top.connections, "connections").map((v) => {
    const o = obj(v, "connection");
    return {
      id: num(o, "id"),
      primary: o.primary === true,
      channels: num(o, "channels"),
      ageSeconds: num(o, "ageSeconds"),
    };
  });
  return {
    schema: "sshmux-list/1",
    master: { pid: num(m, "pid"), host: str(m, "host"), ageSeconds: num(m, "ageSeconds") },
    sessions,
    proxies,
    forwards,
    connections,
  };
}

/** 1536 → "1.5K"; bytes stay exact below 1 KiB. */
export function humanBytes(n: number): string {
  const units = ["K", "M", "G", "T"];
  if (n < 1024) return String(n);
  let v = n;
  let u = -1;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)}${units[u]}`;
}

/** 75 → "1m15s"; 4000 → "1h06m". */
export function humanAge(s: number): string {
  const t = Math.floor(s);
  if (t < 60) return `${t}s`;
  if (t < 3600) return `${Math.floor(t / 60)}m${String(t % 60).padStart(2, "0")}s`;
  if (t < 86400) {
    return `${Math.floor(t / 3600)}h${String(Math.floor(t / 60) % 60).padStart(2, "0")}m`;
  }
  return `${Math.floor(t / 86400)}d${String(Math.floor(t / 3600) % 24).padStart(2, "0")}h`;
}

/** Columns padded to their widest cell; the last column is left ragged. */
function table(rows: string[][]): string[] {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  return rows.map((r) =>
    r.map((c, i) => i === r.length - 1 ? c : c.padEnd(widths[i])).join("  ").trimEnd()
  );
}

/**
 * One table cell from a peer's string: ssh's vis escaping, and the control bytes it leaves
 * (tab, newline, CR, BS, BEL) escaped too, so a cell stays on its line and rings nothing.
 */
const safe = (s: string) =>
  visLog(s).replace(
    // deno-lint-ignore no-control-regex
    /[\x07\x08\t\n\r]/g,
    (c) => "\\" + c.charCodeAt(0).toString(8).padStart(3, "0"),
  );

export function formatListing(l: MasterListing): string {
  const out: string[] = [
    `Master pid ${l.master.pid} for ${safe(l.master.host)}, up ${humanAge(l.master.ageSeconds)}`,
  ];
  if (l.sessions.length === 0) {
    out.push("No sessions.");
  } else {
    const rows = [["ID", "NAME", "PID", "TTY", "AGE", "IN", "OUT", "COMMAND"]];
    for (const s of l.sessions) {
      const command = s.kind === "stdio-forward"
        ? `-W ${s.command}`
        : s.subsystem
        ? `subsystem ${s.command}`
        : s.command === ""
        ? "(shell)"
        : s.command;
      rows.push([
        String(s.id),
        s.name === null ? "-" : safe(s.name),
        s.clientPid === null ? "-" : String(s.clientPid),
        s.tty ? "yes" : "no",
        humanAge(s.ageSeconds),
        humanBytes(s.bytesFromServer),
        humanBytes(s.bytesToServer),
        safe(command),
      ]);
    }
    out.push(...table(rows));
  }
  if (l.proxies.length > 0) {
    out.push("Proxy clients:");
    const rows = [["CLIENT", "NAME", "PID", "CHANNELS", "AGE", "IN", "OUT"]];
    for (const p of l.proxies) {
      rows.push([
        String(p.client),
        p.name === null ? "-" : safe(p.name),
        p.clientPid === null ? "-" : String(p.clientPid),
        String(p.channels),
        humanAge(p.ageSeconds),
        humanBytes(p.bytesToClient),
        humanBytes(p.bytesFromClient),
      ]);
    }
    out.push(...table(rows).map((r) => `  ${r}`));
  }
  if (l.forwards.length > 0) {
    out.push("Forwards:");
    for (const f of l.forwards) {
      const port = f.allocatedPort === null ? "" : ` (allocated port ${f.allocatedPort})`;
      out.push(`  ${f.kind} ${safe(f.description)}${port}`);
    }
  }
  if (l.connections.length > 1) {
    out.push("SSH connections:");
    for (const c of l.connections) {
      out.push(
        `  #${c.id}${c.primary ? " (primary)" : ""}: ${c.channels} channels, up ${
          humanAge(c.ageSeconds)
        }`,
      );
    }
  }
  return out.map((l) => `${l}\n`).join("");
}
