// ssh-agent client: the codec (encodings, caps, malformed replies) and a real OpenSSH ssh-agent
// holding ed25519, ecdsa and rsa keys, whose signatures the transport's verifier checks.

import { assert, assertEquals, assertRejects, assertThrows } from "@std/assert";
import { ProtocolError } from "../../lib/errors.ts";
import { AgentClient, AgentError } from "../../lib/ssh/keys/agent.ts";
import {
  encodeRequestIdentities,
  encodeSignRequest,
  frameLength,
  parseIdentitiesAnswer,
  parseSignResponse,
  SSH_AGENT_RSA_SHA2_256,
  SSH_AGENT_RSA_SHA2_512,
} from "../../lib/ssh/keys/agent_protocol.ts";
import { parsePublicKeyLine } from "../../lib/ssh/keys/private_key.ts";
import { verifySignature } from "../../lib/ssh/keys/public_key.ts";
import { WireReader } from "../../lib/wire/reader.ts";
import { WireWriter } from "../../lib/wire/writer.ts";
import { startAgent } from "../helpers/agent.ts";
import { run } from "../helpers/run.ts";

Deno.test("agent codec: requests are framed as the protocol says", () => {
  assertEquals(encodeRequestIdentities(), Uint8Array.from([0, 0, 0, 1, 11]));
  const blob = Uint8Array.from([1, 2]);
  const data = Uint8Array.from([9]);
  for (
    const [alg, flags] of [
      ["rsa-sha2-256", SSH_AGENT_RSA_SHA2_256],
      ["rsa-sha2-512", SSH_AGENT_RSA_SHA2_512],
      ["ssh-ed25519", 0],
    ] as const
  ) {
    const r = new WireReader(encodeSignRequest(blob, data, alg));
    assertEquals(r.u32(), r.remaining);
    assertEquals(r.u8(), 13);
    assertEquals(r.string(), blob);
    assertEquals(r.string(), data);
    assertEquals(r.u32(), flags);
    assert(r.atEnd());
  }
});

Deno.test("agent codec: replies, failures and caps", () => {
  const answer = new WireWriter().u8(12).u32(2).string("k1").string("c1").string("k2").string("")
    .finish();
  const ids = parseIdentitiesAnswer(answer);
  assertEquals(ids.map((i) => [new TextDecoder().decode(i.blob), i.comment]), [
    ["k1", "c1"],
    ["k2", ""],
  ]);
  assertThrows(() => parseIdentitiesAnswer(Uint8Array.from([5])), ProtocolError);
  assertThrows(
    () => parseIdentitiesAnswer(new WireWriter().u8(12).u32(100000).finish()),
    ProtocolError,
  );
  assertThrows(
    () => parseIdentitiesAnswer(new WireWriter().u8(12).u32(2).string("k").finish()),
    ProtocolError,
  );
  assertEquals(parseSignResponse(Uint8Array.from([5])), null);
  assertEquals(
    parseSignResponse(new WireWriter().u8(14).string("sig").finish()),
    new TextEncoder().encode("sig"),
  );
  assertThrows(() => parseSignResponse(Uint8Array.from([99])), ProtocolError);
  assertThrows(() => frameLength(Uint8Array.from([0, 0x10, 0, 0])), ProtocolError);
  assertThrows(() => frameLength(Uint8Array.from([0, 0, 0, 0])), ProtocolError);
  assertEquals(frameLength(Uint8Array.from([0, 0, 1, 0])), 256);
});

Deno.test("agent codec: fuzz: random replies give typed errors only", () => {
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff);
  const good = new WireWriter().u8(12).u32(1).string("key").string("comment").finish();
  for (let i = 0; i < 3000; i++) {
    const b = i % 2 ? Uint8Array.from(good) : new Uint8Array(rnd() % 40);
    if (i % 2) {
      b[rnd() % b.length] = rnd() & 0xff;
    } else {
      for (let k = 0; k < b.length; k++) b[k] = rnd() & 0xff;
      if (b.length) b[0] = [5, 12, 14][rnd() % 3];
    }
    for (const parse of [parseIdentitiesAnswer, parseSignResponse]) {
      try {
        parse(b);
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
  }
});

Deno.test("agent: no agent configured or IdentityAgent none", () => {
  assertEquals(AgentClient.fromEnvironment("none"), undefined);
  assertEquals(AgentClient.fromEnvironment("/x/sock")?.socketPath, "/x/sock");
});

Deno.test("agent: a missing socket is an AgentError", async () => {
  const a = new AgentClient("/nonexistent/agent.sock");
  await assertRejects(() => a.listIdentities(), AgentError);
});

Deno.test("agent: real ssh-agent lists keys and signs (ed25519, ecdsa, rsa-sha2-256/512)", async () => {
  const dir = Deno.makeTempDirSync({ prefix: "sshmux-agent-" });
  const sock = `${dir}/agent.sock`;
  const agent = await startAgent(sock);
  const client = new AgentClient(sock);
  try {
    const pubs: Uint8Array[] = [];
    for (
      const [name, args] of [["e", ["-t", "ed25519"]], ["p", ["-t", "ecdsa", "-b", "384"]], ["r", [
        "-t",
        "rsa",
        "-b",
        "2048",
      ]]] as const
    ) {
      const path = `${dir}/${name}`;
      assertEquals(
        (await run("ssh-keygen", ["-q", ...args, "-N", "", "-C", `agent-${name}`, "-f", path]))
          .code,
        0,
      );
      const add = await run("ssh-add", ["-q", path], { env: { SSH_AUTH_SOCK: sock } });
      assertEquals(add.code, 0, add.err);
      pubs.push(parsePublicKeyLine(Deno.readTextFileSync(`${path}.pub`)).blob);
    }
    const signers = await client.signers();
    assertEquals(signers.map((s) => s.keyType), ["ssh-ed25519", "ecdsa-sha2-nistp384", "ssh-rsa"]);
    assertEquals(signers.map((s) => s.comment), ["agent-e", "agent-p", "agent-r"]);
    assertEquals(signers.map((s) => s.publicKeyBlob), pubs);
    assertEquals(signers[2].algorithms, ["rsa-sha2-512", "rsa-sha2-256"]);
    const data = new TextEncoder().encode("session id and userauth request");
    // Concurrent requests are serialized on the one connection.
    const jobs = signers.flatMap((s) =>
      s.algorithms.map(async (alg) => {
        const sig = await s.sign(alg, data);
        assertEquals(new WireReader(sig).cstring(), alg);
        assert(
          await verifySignature(s.publicKeyBlob, sig, data),
          `${alg} from agent does not verify`,
        );
      })
    );
    await Promise.all(jobs);
    // A key the agent does not hold: refused, typed.
    const fake = client["signerFor"](
      {
        blob: new WireWriter().string("ssh-ed25519").string(new Uint8Array(32)).finish(),
        comment: "",
      },
      "ssh-ed25519",
      ["ssh-ed25519"],
    );
    await assertRejects(() => fake.sign("ssh-ed25519", data), AgentError, "agent refused");
  } finally {
    client.close();
    await agent.stop();
    Deno.removeSync(dir, { recursive: true });
  }
});
