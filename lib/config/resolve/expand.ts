// The options whose values take ~ and %-tokens, expanded in the order ssh.c main() does it
// (a bad token in an earlier one is the error reported).
import { ConfigError } from "../errors.ts";
import type { Options } from "../options.ts";
import type { ConfigState } from "../state.ts";
import { expandTokens, tildeExpand } from "../tokens.ts";

const DEFAULT_IDENTITIES = [
  "~/.ssh/id_rsa",
  "~/.ssh/id_ecdsa",
  "~/.ssh/id_ecdsa_sk",
  "~/.ssh/id_ed25519",
  "~/.ssh/id_ed25519_sk",
];

export interface Expansion {
  home: string;
  lookup: (name: string) => string | undefined;
  /** clientTokens() of the final destination. */
  tokens: Record<string, string>;
  /** -W given: ClearAllForwardings and ExitOnForwardFailure default to on. */
  stdioForward: boolean;
}

/** UserKnownHostsFile / GlobalKnownHostsFile: the defaults, or none for a lone "none". */
function knownHostsList(list: string[] | undefined, defaults: string[], what: string): string[] {
  const l = list ?? defaults;
  if (l.length > 0 && l[0].toLowerCase() === "none") {
    if (l.length > 1) {
      throw new ConfigError(`Invalid ${what}: "none" appears with other entries`);
    }
    return [];
  }
  return l;
}

export type ExpandedOptions = Pick<
  Options,
  | "remoteCommand"
  | "controlPath"
  | "identityAgent"
  | "userKnownHostsFiles"
  | "globalKnownHostsFiles"
  | "identityFiles"
  | "certificateFiles"
  | "setEnv"
  | "clearAllForwardings"
  | "exitOnForwardFailure"
  | "localForwards"
  | "remoteForwards"
>;

export function expandedOptions(
  st: ConfigState,
  remoteCommandRaw: string | undefined,
  x: Expansion,
): ExpandedOptions {
  const { tokens, lookup } = x;
  const expandPathish = (v: string) => expandTokens(tildeExpand(v, x.home), tokens, lookup);

  let remoteCommand: string | undefined;
  if (remoteCommandRaw !== undefined) remoteCommand = expandTokens(remoteCommandRaw, tokens);

  const controlPathRaw = st.controlPath?.toLowerCase() === "none" ? undefined : st.controlPath;
  const controlPath = controlPathRaw === undefined ? undefined : expandPathish(controlPathRaw);

  let identityAgent: string | undefined;
  const agentSpec = st.identityAgent;
  if (agentSpec === undefined || agentSpec === "SSH_AUTH_SOCK") {
    identityAgent = lookup("SSH_AUTH_SOCK");
  } else if (agentSpec.toLowerCase() === "none") {
    identityAgent = "none";
  } else if (agentSpec.startsWith("$")) {
    // An unset variable means no agent (ssh does not fall back to SSH_AUTH_SOCK then).
    identityAgent = lookup(agentSpec.slice(1)) ?? "none";
  } else identityAgent = expandPathish(agentSpec);

  const userKnownHostsFiles = knownHostsList(st.userKnownHostsFiles, [
    "~/.ssh/known_hosts",
    "~/.ssh/known_hosts2",
  ], "UserKnownHostsFiles").map(expandPathish);
  const globalKnownHostsFiles = knownHostsList(st.globalKnownHostsFiles, [
    "/etc/ssh/ssh_known_hosts",
    "/etc/ssh/ssh_known_hosts2",
  ], "GlobalKnownHostsFiles");

  const identityFiles = (st.identityFiles.length > 0 ? st.identityFiles : DEFAULT_IDENTITIES)
    .map(expandPathish);
  const certificateFiles = st.certificateFiles.map(expandPathish);

  const setEnv = (st.setEnv ?? []).map((kv) => {
    const eq = kv.indexOf("=");
    return `${kv.slice(0, eq)}=${expandTokens(kv.slice(eq + 1), tokens, lookup)}`;
  });

  // -W turns ClearAllForwardings and ExitOnForwardFailure on unless set explicitly.
  const clearAllForwardings = st.clearAllForwardings ?? x.stdioForward;
  const exitOnForwardFailure = st.exitOnForwardFailure ?? x.stdioForward;
  const expandFwdPaths = <T extends { listenPath?: string; connectPath?: string }>(f: T): T => ({
    ...f,
    ...(f.listenPath !== undefined ? { listenPath: expandTokens(f.listenPath, tokens) } : {}),
    ...(f.connectPath !== undefined ? { connectPath: expandTokens(f.connectPath, tokens) } : {}),
  });
  const localForwards = clearAllForwardings ? [] : st.localForwards.map(expandFwdPaths);
  const remoteForwards = clearAllForwardings ? [] : st.remoteForwards.map(expandFwdPaths);

  return {
    remoteCommand,
    controlPath,
    identityAgent,
    userKnownHostsFiles,
    globalKnownHostsFiles,
    identityFiles,
    certificateFiles,
    setEnv,
    clearAllForwardings,
    exitOnForwardFailure,
    localForwards,
    remoteForwards,
  };
}
