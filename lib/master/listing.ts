// `-O list` (MUX_C_EXT_INFO "list@sshmux"): the master's sessions, -W forwards, proxy clients
// and forwards as one JSON document, schema "sshmux-list/1" (documented in the README). The
// client prints it as is (-O list-json) or as aligned text (list_text.ts).

import type { ActiveForward } from "../ssh/forward/manager.ts";
import type { ControlClient } from "./control_client.ts";
import type { ConnectionSummary } from "./connection_pool.ts";

export const LIST_SCHEMA = "sshmux-list/1";

export interface ListedSession {
  id: number;
  name: string | null;
  kind: "session" | "stdio-forward";
  clientPid: number | null;
  command: string;
  subsystem: boolean;
  tty: boolean;
  ageSeconds: number;
  bytesFromServer: number;
  bytesToServer: number;
}

export interface ListedProxy {
  client: number;
  name: string | null;
  clientPid: number | null;
  channels: number;
  ageSeconds: number;
  bytesToClient: number;
  bytesFromClient: number;
}

export interface ListedForward {
  kind: "local" | "remote" | "dynamic";
  description: string;
  allocatedPort: number | null;
}

export interface ListedConnection {
  id: number;
  primary: boolean;
  channels: number;
  ageSeconds: number;
}

export interface MasterListing {
  schema: typeof LIST_SCHEMA;
  master: { pid: number; host: string; ageSeconds: number };
  sessions: ListedSession[];
  proxies: ListedProxy[];
  forwards: ListedForward[];
  connections: ListedConnection[];
}

export interface ListingInput {
  pid: number;
  host: string;
  startedAt: number;
  clients: Iterable<ControlClient>;
  forwards: ActiveForward[];
  connections?: ConnectionSummary[];
  now?: number;
}

const age = (since: number, now: number) => Math.max(0, Math.round((now - since) / 100) / 10);

export function buildListing(i: ListingInput): MasterListing {
  const now = i.now ?? Date.now();
  const sessions: ListedSession[] = [];
  const proxies: ListedProxy[] = [];
  for (const c of i.clients) {
    if (c.closed) continue;
    const clientPid = c.peer.pid ?? null;
    const name = c.name ?? null;
    if (c.session) {
      const f = c.session.facts();
      sessions.push({
        id: f.id,
        name,
        kind: f.kind,
        clientPid,
        command: f.command,
        subsystem: f.subsystem,
        tty: f.tty,
        ageSeconds: age(f.startedAt, now),
        bytesFromServer: f.bytesIn,
        bytesToServer: f.bytesOut,
      });
    } else if (c.proxy) {
      proxies.push({
        client: c.id,
        name,
        clientPid,
        channels: c.proxy.channelCount,
        ageSeconds: age(c.connectedAt, now),
        bytesToClient: c.proxy.bytesToClient,
        bytesFromClient: c.proxy.bytesFromClient,
      });
    }
  }
  sessions.sort((a, b) => a.id - b.id);
  return {
    schema: LIST_SCHEMA,
    master: { pid: i.pid, host: i.host, ageSeconds: age(i.startedAt, now) },
    sessions,
    proxies,
    forwards: i.forwards.map((f) => ({
      kind: f.kind,
      description: f.description,
      allocatedPort: f.allocatedPort ?? null,
    })),
    connections: (i.connections ?? []).map((c) => ({
      id: c.id,
      primary: c.primary,
      channels: c.channels,
      ageSeconds: age(c.since, now),
    })),
  };
}
