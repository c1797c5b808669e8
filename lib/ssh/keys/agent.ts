// ssh-agent client over its unix socket (SSH_AUTH_SOCK / IdentityAgent): lists identities and
// has the agent sign. Each identity becomes a Signer, so auth treats agent and file keys alike.
// One connection, requests strictly one at a time (the protocol has no request ids).

import { ProtocolError } from "../../errors.ts";
import { WireReader } from "../../wire/reader.ts";
import {
  type AgentIdentity,
  encodeRequestIdentities,
  encodeSignRequest,
  frameLength,
  parseIdentitiesAnswer,
  parseSignResponse,
} from "./agent_protocol.ts";
import { keyTypeOfBlob, signatureAlgorithmsFor, type Signer } from "./signer.ts";
import { certAlgorithm, certBaseType, isCertType } from "./certificate.ts";

export class AgentError extends Error {
  override name = "AgentError";
}

export class AgentClient {
  private conn?: Deno.UnixConn;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(readonly socketPath: string) {}

  /** The agent named by IdentityAgent (or SSH_AUTH_SOCK); undefined when there is none. */
  static fromEnvironment(identityAgent?: string): AgentClient | undefined {
    if (identityAgent === "none") return undefined;
    let path = identityAgent === undefined || identityAgent === "SSH_AUTH_SOCK"
      ? Deno.env.get("SSH_AUTH_SOCK")
      : identityAgent;
    // ssh allows IdentityAgent to name an environment variable with a leading "$".
    if (path?.startsWith("$")) path = Deno.env.get(path.slice(1));
    const home = Deno.env.get("HOME");
    if (path?.startsWith("~/") && home) path = home + path.slice(1);
    return path ? new AgentClient(path) : undefined;
  }

  async listIdentities(): Promise<AgentIdentity[]> {
    return parseIdentitiesAnswer(await this.request(encodeRequestIdentities()));
  }

  /** Signers for the identities whose key types we know how to name signature algorithms for. */
  async signers(): Promise<Signer[]> {
    const out: Signer[] = [];
    for (const id of await this.listIdentities()) {
      let keyType: string;
      try {
        keyType = keyTypeOfBlob(id.blob);
      } catch {
        continue;
      }
      // A certificate (ssh-add loads `<key>-cert.pub` too) signs like its key, under the
      // "-cert-v01" names of its algorithms.
      const cert = isCertType(keyType);
      const algorithms = signatureAlgorithmsFor(certBaseType(keyType))
        .filter((a) => a !== "ssh-rsa")
        .map((a) => cert ? certAlgorithm(a) : a);
      const usable = algorithms.length ? algorithms : keyType.startsWith("sk-") ? [keyType] : [];
      if (usable.length === 0) continue; // other types: not offered
      out.push(this.signerFor(id, keyType, usable));
    }
    return out;
  }

  private signerFor(id: AgentIdentity, keyType: string, algorithms: string[]): Signer {
    return {
      publicKeyBlob: id.blob,
      keyType,
      algorithms,
      comment: id.comment,
      source: "agent",
      sign: async (alg, data) => {
        // For a certificate the signature is its key's: flags and name of the plain algorithm.
        const plain = certBaseType(alg);
        const sig = parseSignResponse(await this.request(encodeSignRequest(id.blob, data, plain)));
        if (!sig) throw new AgentError("agent refused operation");
        // An old agent may ignore the RSA flags and answer with SHA-1: never send that as SHA-2.
        const got = new WireReader(sig).cstring();
        if (got !== plain) {
          throw new AgentError(`agent returned a ${got} signature, wanted ${plain}`);
        }
        return sig;
      },
    };
  }

  /** Sends one framed request and reads one reply body; requests are serialized. */
  private request(frame: Uint8Array): Promise<Uint8Array> {
    const p = this.queue.then(() => this.roundTrip(frame));
    this.queue = p.catch(() => {});
    return p;
  }

  private async roundTrip(frame: Uint8Array): Promise<Uint8Array> {
    try {
      this.conn ??= await Deno.connect({ transport: "unix", path: this.socketPath });
    } catch (e) {
      throw new AgentError(`Error connecting to agent: ${(e as Error).message}`);
    }
    const conn = this.conn;
    try {
      let off = 0;
      while (off < frame.length) off += await conn.write(frame.subarray(off));
      const header = await readExact(conn, 4);
      return await readExact(conn, frameLength(header));
    } catch (e) {
      // The stream is out of step after any failure: drop the connection.
      this.close();
      if (e instanceof ProtocolError || e instanceof AgentError) throw e;
      throw new AgentError(`agent communication failed: ${(e as Error).message}`);
    }
  }

  close(): void {
    const c = this.conn;
    this.conn = undefined;
    try {
      c?.close();
    } catch { /* already closed */ }
  }
}

async function readExact(conn: Deno.Conn, n: number): Promise<Uint8Array> {
  const buf = new Uint8Array(n);
  let off = 0;
  while (off < n) {
    const got = await conn.read(buf.subarray(off));
    if (got === null) throw new AgentError("agent closed the connection");
    off += got;
  }
  return buf;
}
