// The "publickey" method (RFC 4252 §7, RFC 8332): offer each identity in turn. File keys are
// offered without a signature first and only opened (maybe with a passphrase) after PK_OK;
// agent keys are signed directly, as ssh does. RSA uses rsa-sha2-512/256 per server-sig-algs.

import { ProtocolError } from "../../errors.ts";
import { log } from "../../log.ts";
import { sameBytes } from "../keys/signer.ts";
import {
  CERT_SIGNATURE_ALGORITHMS,
  certAlgorithm,
  certBaseType,
  isCertType,
} from "../keys/certificate.ts";
import { fingerprintSha256 } from "../keys/public_key.ts";
import { matchPattern } from "../../match.ts";
import type { Identity } from "./identities.ts";
import {
  encodePublickeyQuery,
  encodePublickeyRequest,
  parsePkOk,
  publickeySignedData,
  SSH_MSG_USERAUTH_PK_OK,
} from "./messages.ts";
import type { AuthSession, Outcome } from "./session.ts";

/** ssh 9.x's default PubkeyAcceptedAlgorithms. */
export const DEFAULT_PUBKEY_ALGORITHMS = [
  ...CERT_SIGNATURE_ALGORITHMS,
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "sk-ssh-ed25519@openssh.com",
  "sk-ecdsa-sha2-nistp256@openssh.com",
  "rsa-sha2-512",
  "rsa-sha2-256",
];

function matchesAny(alg: string, patterns: string[]): boolean {
  return patterns.some((p) => matchPattern(alg, p));
}

/** Applies a PubkeyAcceptedAlgorithms value: a list, or +append / -remove / ^prepend. */
export function acceptedAlgorithms(value: string | undefined): string[] {
  if (!value) return DEFAULT_PUBKEY_ALGORITHMS;
  const list = value.slice(/^[-+^]/.test(value) ? 1 : 0).split(",").filter((x) => x);
  if (value.startsWith("+")) return [...DEFAULT_PUBKEY_ALGORITHMS, ...list];
  if (value.startsWith("^")) return [...list, ...DEFAULT_PUBKEY_ALGORITHMS];
  if (value.startsWith("-")) return DEFAULT_PUBKEY_ALGORITHMS.filter((a) => !matchesAny(a, list));
  return list;
}

/** The signature algorithm to use for a key type, or undefined if none is acceptable. */
export function chooseAlgorithm(
  keyType: string,
  serverSigAlgs: readonly string[] | undefined,
  accepted: string[],
): string | undefined {
  if (isCertType(keyType)) {
    // A certificate signs like its key; the accepted list names the certificate forms.
    const base = chooseAlgorithm(
      certBaseType(keyType),
      serverSigAlgs,
      accepted.filter(isCertType).map(certBaseType),
    );
    return base && certAlgorithm(base);
  }
  const ok = (a: string) => matchesAny(a, accepted);
  if (keyType === "ssh-rsa") {
    const sha2 = ["rsa-sha2-512", "rsa-sha2-256"].filter(ok);
    // Without server-sig-algs (no ext-info), assume a server from this decade: SHA-2.
    if (!serverSigAlgs) return sha2[0] ?? (ok("ssh-rsa") ? "ssh-rsa" : undefined);
    const best = sha2.find((a) => serverSigAlgs.includes(a));
    if (best) return best;
    return ok("ssh-rsa") && serverSigAlgs.includes("ssh-rsa") ? "ssh-rsa" : undefined;
  }
  return ok(keyType) ? keyType : undefined;
}

export async function tryPublickey(
  s: AuthSession,
  identities: readonly Identity[],
): Promise<Outcome> {
  let outcome: Outcome = { kind: "unavailable" };
  const accepted = acceptedAlgorithms(s.opts.pubkeyAcceptedAlgorithms);
  for (const id of identities) {
    if (id.unusable) {
      log.debug(`Trying private key: ${id.label}`);
      await id.signer(); // says why it cannot be loaded
      continue;
    }
    const alg = chooseAlgorithm(id.keyType, s.transport.serverSigAlgs, accepted);
    if (!alg) {
      log.debug(`Skipping ${id.keyType} key ${id.label}: no acceptable signature algorithm`);
      continue;
    }
    log.debug(
      `Offering public key: ${id.label} ${id.keyType} ${fingerprintSha256(id.publicKeyBlob)}`,
    );
    if (!id.fromAgent) {
      await s.send(encodePublickeyQuery(s.user, alg, id.publicKeyBlob));
      const reply = await s.next();
      if (reply[0] !== SSH_MSG_USERAUTH_PK_OK) {
        outcome = s.endOfAttempt(reply, "publickey authentication");
        if (outcome.kind === "success") return outcome;
        if (stop(outcome)) return outcome;
        continue;
      }
      const ok = parsePkOk(reply);
      if (ok.alg !== alg || !sameBytes(ok.blob, id.publicKeyBlob)) {
        throw new ProtocolError("server sent PK_OK for a different key or algorithm");
      }
      log.debug(`Server accepts key: ${id.label}`);
    }
    const signer = await id.signer();
    if (!signer) continue;
    if (!sameBytes(signer.publicKeyBlob, id.publicKeyBlob)) {
      // A stale .pub next to a replaced private key: ssh refuses to sign with the mismatch too.
      log.error(`identity_sign: private key ${id.label} contents do not match public`);
      continue;
    }
    let signature: Uint8Array;
    try {
      signature = await signer.sign(
        alg,
        publickeySignedData(s.transport.sessionId, s.user, alg, id.publicKeyBlob),
      );
    } catch (e) {
      log.debug(`signing with ${id.label} failed: ${(e as Error).message}`);
      continue;
    }
    await s.send(encodePublickeyRequest(s.user, alg, id.publicKeyBlob, signature));
    outcome = s.endOfAttempt(await s.next(), "publickey authentication");
    if (outcome.kind === "success" || stop(outcome)) return outcome;
  }
  return outcome;
}

/** After a failure: stop offering keys on partial success or when publickey is no longer listed. */
function stop(o: Outcome): boolean {
  return o.kind === "failure" &&
    (o.failure.partialSuccess || !o.failure.methods.includes("publickey"));
}
