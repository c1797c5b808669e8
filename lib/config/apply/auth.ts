// Keywords for user authentication: identities, certificates, the agent, methods, prompts.
import { FLAG, multistate, PUBKEY_AUTH } from "../values.ts";
import type { KeywordHandler, LineResult, OptionLine } from "./line.ts";

const SSH_MAX_IDENTITY_FILES = 100;
/** ssh's SSH_MAX_CERTIFICATE_FILES. */
const SSH_MAX_CERTIFICATE_FILES = 100;

/** IdentityFile / CertificateFile: appended from every matching block, duplicates dropped. */
function appendFile(
  l: OptionLine,
  list: string[],
  max: number,
  what: "identity" | "certificate",
): LineResult {
  const a = l.next();
  if (a === undefined || a === "") return l.missing;
  if (l.on) {
    if (list.length >= max) {
      return `${l.where}: Too many ${what} files specified (max ${max}).`;
    }
    if (!list.includes(a)) list.push(a);
  }
  return undefined;
}

export const authKeywords: Record<string, KeywordHandler> = {
  identityfile: (l) => appendFile(l, l.st.identityFiles, SSH_MAX_IDENTITY_FILES, "identity"),
  certificatefile: (l) =>
    appendFile(l, l.st.certificateFiles, SSH_MAX_CERTIFICATE_FILES, "certificate"),
  identitiesonly: (l) => l.flag("identitiesOnly"),
  identityagent: (l) => l.str("identityAgent"),
  forwardagent: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return `${l.where}: missing argument.`;
    const v = multistate(FLAG, a);
    if (v !== undefined) l.set("forwardAgent", v);
    else if (l.on && l.st.forwardAgent === undefined) {
      // Not yes/no: a socket path (or $VAR) to forward instead of SSH_AUTH_SOCK.
      l.st.forwardAgent = true;
      l.st.forwardAgentPath = a;
    }
    return undefined;
  },
  batchmode: (l) => l.flag("batchMode"),
  preferredauthentications: (l) => l.str("preferredAuthentications"),
  passwordauthentication: (l) => l.flag("passwordAuthentication"),
  kbdinteractiveauthentication: (l) => l.flag("kbdInteractiveAuthentication"),
  pubkeyauthentication: (l) => l.flag("pubkeyAuthentication", PUBKEY_AUTH),
  numberofpasswordprompts: (l) => l.int("numberOfPasswordPrompts"),
};
