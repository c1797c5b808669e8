// The keys publickey auth will offer, in ssh's order (sshconnect2.c pubkey_prepare):
// agent keys that are also configured IdentityFiles, then the agent's other keys (unless
// IdentitiesOnly), then keys only in files; an IdentityFile's user certificate
// (`<file>-cert.pub`, as ssh loads it) right after its key. File keys are opened lazily: the public half is
// offered first and the private key (maybe with a passphrase) is loaded only after PK_OK.

import type { AuthConfig } from "./config.ts";
import { log } from "../../log.ts";
import { AgentClient } from "../keys/agent.ts";
import { IncorrectPassphraseError, KeyFormatError } from "../keys/key_errors.ts";
import {
  inspectPrivateKey,
  loadPrivateKey,
  parsePublicKeyLine,
  readKeyFile,
} from "../keys/private_key.ts";
import { parseCertificate, SSH2_CERT_TYPE_USER } from "../keys/certificate.ts";
import { certificateSigner, keyTypeOfBlob, sameBytes, type Signer } from "../keys/signer.ts";
import type { Prompter } from "./prompter.ts";

export interface Identity {
  readonly publicKeyBlob: Uint8Array;
  readonly keyType: string;
  /** For messages: the file path, or the agent's comment. */
  readonly label: string;
  /**
   * A key file with no public key to offer (garbage, truncated, a directory): nothing is sent,
   * but signer() names it with ssh's `Load key "PATH": REASON` when its turn comes.
   */
  readonly unusable?: boolean;
  /** Held by ssh-agent: signed straight away, no PK_OK query first (as ssh does). */
  readonly fromAgent: boolean;
  /** The signer; for encrypted files this may prompt. null = unusable (skip it). */
  signer(): Promise<Signer | null>;
}

interface FileKey {
  path: string;
  blob?: Uint8Array;
  text?: string;
  /** Why the file holds no usable key, for `Load key "PATH": REASON`. */
  failure?: string;
}

export interface IdentitySources {
  agent?: AgentClient;
  prompter: Prompter;
}

/** ssh ignores private key files others can read (when we own them), loudly. */
async function tooOpen(path: string): Promise<boolean> {
  try {
    const st = await Deno.stat(path);
    const mode = st.mode ?? 0;
    if (st.uid === Deno.uid() && (mode & 0o077) !== 0) {
      const bar = "@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@";
      log.error(bar);
      log.error("@         WARNING: UNPROTECTED PRIVATE KEY FILE!          @");
      log.error(bar);
      log.error(
        `Permissions 0${(mode & 0o777).toString(8)} for '${path}' are too open.`,
      );
      log.error("It is required that your private key files are NOT accessible by others.");
      log.error("This private key will be ignored.");
      return true;
    }
  } catch { /* stat failed: reading will fail too */ }
  return false;
}

/** The public half of a key file: from `path.pub`, else from the private file itself. */
async function readFileKey(path: string): Promise<FileKey | undefined> {
  let text: string | undefined;
  try {
    text = await readKeyFile(path);
  } catch (e) {
    // There but not a key file (a directory, too large): ssh names it when it tries it.
    if (e instanceof KeyFormatError) {
      return { path, failure: isDirectory(path) ? "Is a directory" : e.message };
    }
    log.debug(`no such identity: ${path}: ${(e as Error).message}`);
    return undefined;
  }
  try {
    const pub = parsePublicKeyLine(await readKeyFile(`${path}.pub`));
    return { path, blob: pub.blob, text };
  } catch { /* no usable .pub: try the private file's own copy */ }
  try {
    const info = inspectPrivateKey(text);
    if (info.publicKeyBlob) return { path, blob: info.publicKeyBlob, text };
    if (!info.encrypted) {
      return { path, blob: (await loadPrivateKey(text, undefined, path)).publicKeyBlob, text };
    }
  } catch (e) {
    log.debug(`identity ${path}: ${(e as Error).message}`);
    return { path, failure: "invalid format" };
  }
  log.debug(`identity ${path}: encrypted PEM without a .pub file is not supported`);
  return undefined;
}

function isDirectory(path: string): boolean {
  try {
    return Deno.statSync(path).isDirectory;
  } catch {
    return false;
  }
}

/** A file that cannot be loaded: offered nothing, reported like ssh's load_identity_file(). */
function unusableIdentity(f: FileKey): Identity {
  let reported: Promise<null> | undefined;
  return {
    publicKeyBlob: new Uint8Array(0),
    keyType: "",
    label: f.path,
    fromAgent: false,
    unusable: true,
    signer: () =>
      reported ??= (async () => {
        const reason = await tooOpen(f.path) ? "bad permissions" : f.failure;
        log.error(`Load key "${f.path}": ${reason}`);
        return null;
      })(),
  };
}

/**
 * Two identities with one public key (`-i copy -i key`): offered once, signed by the first
 * whose private key loads — ssh tries the second file after the first one fails to load.
 */
function withFallback(first: Identity, second: Identity): Identity {
  return {
    ...first,
    signer: async () => (await first.signer()) ?? (await second.signer()),
  };
}

/** Loads a file key, prompting for its passphrase like ssh's load_identity_file(). */
async function loadWithPassphrase(
  f: FileKey,
  opts: AuthConfig,
  prompter: Prompter,
): Promise<Signer | null> {
  if (await tooOpen(f.path)) {
    log.error(`Load key "${f.path}": bad permissions`);
    return null;
  }
  const text = f.text ?? await readKeyFile(f.path);
  try {
    return await loadPrivateKey(text, undefined, f.path);
  } catch (e) {
    if (!(e instanceof KeyFormatError) || !inspectPrivateKey(text).encrypted) {
      log.error(`Load key "${f.path}": ${(e as Error).message}`);
      return null;
    }
  }
  if (opts.batchMode) {
    log.debug(`key ${f.path} is encrypted and BatchMode is set: skipped`);
    return null;
  }
  const prompt = `Enter passphrase for key '${f.path}': `;
  for (let i = 0; i < Math.max(1, opts.numberOfPasswordPrompts); i++) {
    const pass = await prompter.ask(prompt, false);
    if (pass === null || pass === "") {
      log.debug2("no passphrase given, try next key");
      return null;
    }
    try {
      return await loadPrivateKey(text, pass, f.path);
    } catch (e) {
      if (e instanceof IncorrectPassphraseError) {
        log.debug2("bad passphrase given, try again...");
        continue;
      }
      log.error(`Load key "${f.path}": ${(e as Error).message}`);
      return null;
    }
  }
  return null;
}

function fileIdentity(f: FileKey & { blob: Uint8Array }, opts: AuthConfig, p: Prompter): Identity {
  let loaded: Promise<Signer | null> | undefined;
  return {
    publicKeyBlob: f.blob,
    keyType: keyTypeOfBlob(f.blob),
    label: f.path,
    fromAgent: false,
    signer: () => (loaded ??= loadWithPassphrase(f, opts, p)),
  };
}

function agentIdentity(s: Signer, label: string): Identity {
  return {
    publicKeyBlob: s.publicKeyBlob,
    keyType: s.keyType,
    label,
    fromAgent: true,
    signer: () => Promise.resolve(s),
  };
}

/**
 * A user certificate file (`<key>-cert.pub`, or a CertificateFile; ssh also tries the name
 * plus ".pub"): its blob, or undefined (none, unreadable, or a host certificate: skipped).
 */
async function readUserCertificate(path: string): Promise<Uint8Array | undefined> {
  let line: string | undefined;
  for (const p of [path, `${path}.pub`]) {
    try {
      line = await readKeyFile(p);
      break;
    } catch { /* next name */ }
  }
  if (line === undefined) return undefined;
  try {
    const pub = parsePublicKeyLine(line);
    const cert = parseCertificate(pub.blob);
    if (cert.type !== SSH2_CERT_TYPE_USER) {
      log.debug(`ignoring certificate ${path}: not a user certificate`);
      return undefined;
    }
    // One for another key is still offered, as ssh does; signing then fails (see below).
    return pub.blob;
  } catch (e) {
    log.debug(`certificate ${path}: ${(e as Error).message}`);
    return undefined;
  }
}

/**
 * The certificate as an identity of its own, offered right after its key (ssh's order): the
 * server sees the certificate, the signature comes from the key's own signer.
 */
function certificateIdentity(key: Identity, certBlob: Uint8Array): Identity {
  return {
    publicKeyBlob: certBlob,
    keyType: keyTypeOfBlob(certBlob),
    label: key.label,
    fromAgent: false,
    signer: async () => {
      const s = await key.signer();
      if (!s) return null;
      if (!sameBytes(parseCertificate(certBlob).keyBlob, s.publicKeyBlob)) {
        log.error(`identity_sign: private key ${key.label} contents do not match public`);
        return null;
      }
      return certificateSigner(s, certBlob);
    },
  };
}

/** Builds the ordered identity list. The agent is asked once; a dead agent is just skipped. */
export async function collectIdentities(
  opts: AuthConfig,
  src: IdentitySources,
): Promise<Identity[]> {
  const files: (FileKey & { blob: Uint8Array })[] = [];
  /** Unusable files by the number of usable ones before them: they keep their turn. */
  const unusableAt = new Map<number, Identity[]>();
  for (const path of opts.identityFiles) {
    // Options.identityFiles arrive tilde- and %-expanded from lib/config.
    const f = await readFileKey(path);
    if (f?.blob) files.push(f as FileKey & { blob: Uint8Array });
    else if (f?.failure !== undefined) {
      unusableAt.set(files.length, [...unusableAt.get(files.length) ?? [], unusableIdentity(f)]);
    }
  }
  let agentSigners: Signer[] = [];
  if (src.agent) {
    try {
      agentSigners = await src.agent.signers();
    } catch (e) {
      log.debug(`agent: ${(e as Error).message}`);
    }
  }
  // ssh loads `<key>-cert.pub` beside each key only when no CertificateFile is given.
  const certs = await Promise.all(
    files.map((f) =>
      opts.certificateFiles.length === 0 ? readUserCertificate(`${f.path}-cert.pub`) : undefined
    ),
  );
  /** A file's identity, then its certificate's when it has one. */
  const withCert = (id: Identity, i: number) =>
    certs[i] ? [id, certificateIdentity(id, certs[i]!)] : [id];
  const inConfig: Identity[] = [];
  const otherAgent: Identity[] = [];
  const usedFiles = new Set<number>();
  for (const s of agentSigners) {
    const i = files.findIndex((f) => sameBytes(f.blob, s.publicKeyBlob));
    if (i >= 0) {
      usedFiles.add(i);
      inConfig.push(...withCert(agentIdentity(s, files[i].path), i));
    } else if (!opts.identitiesOnly) {
      otherAgent.push(agentIdentity(s, s.comment || "agent key"));
    }
  }
  const fileOnly = files.flatMap((f, i) => [
    ...unusableAt.get(i) ?? [],
    ...usedFiles.has(i) ? [] : withCert(fileIdentity(f, opts, src.prompter), i),
  ]);
  const all = [...inConfig, ...otherAgent, ...fileOnly, ...unusableAt.get(files.length) ?? []];
  // A certificate both beside its key and in the agent (ssh-add loads both) is offered once:
  // every offer counts against the server's MaxAuthTries.
  const listed: Identity[] = [];
  for (const id of [...await explicitCertificates(opts, all), ...all]) {
    const k = id.unusable
      ? -1
      : listed.findIndex((l) => sameBytes(l.publicKeyBlob, id.publicKeyBlob));
    if (k < 0) listed.push(id);
    else listed[k] = withFallback(listed[k], id);
  }
  return listed;
}

/**
 * CertificateFile entries, offered before everything else (ssh's "preferred" list), each
 * signed for by the identity holding the key it certifies; with no such key it is skipped.
 */
async function explicitCertificates(opts: AuthConfig, keys: Identity[]): Promise<Identity[]> {
  const out: Identity[] = [];
  for (const path of opts.certificateFiles) {
    const blob = await readUserCertificate(path);
    if (!blob) continue;
    const certified = parseCertificate(blob).keyBlob;
    const key = keys.find((k) => sameBytes(k.publicKeyBlob, certified));
    if (!key) {
      log.debug(`certificate ${path}: no identity holds its private key`);
      continue;
    }
    out.push(certificateIdentity(key, blob));
  }
  return out;
}

/** The agent to use for these options, if any (IdentityAgent none disables it). */
export function agentFor(opts: AuthConfig): AgentClient | undefined {
  return AgentClient.fromEnvironment(opts.identityAgent);
}
