// Keywords for connection sharing: ControlMaster, ControlPath, ControlPersist, and sshmux's own
// ControlHeal (stock ssh rejects it unless `IgnoreUnknown ControlHeal` comes first).
import { parseControlMaster, parseControlPersist } from "../control_persist.ts";
import type { KeywordHandler } from "./line.ts";
import { sessionNameProblem } from "../../mux/session_names.ts";

export const controlKeywords: Record<string, KeywordHandler> = {
  controlpath: (l) => l.str("controlPath"),
  controlheal: (l) => l.flag("controlHeal"),
  controlmaster: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return `${l.where}: missing argument.`;
    const v = parseControlMaster(a);
    if (v === undefined) return `${l.where}: unsupported option "${a}".`;
    l.set("controlMaster", v);
    return undefined;
  },
  controlpersist: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return `${l.where}: Missing ControlPersist argument.`;
    const v = parseControlPersist(a);
    if (!v.ok) return `${l.where}: Bad ControlPersist argument.`;
    l.set("controlPersist", v.persist === undefined ? "no" : v.persist);
    return undefined;
  },
  // sshmux only: the name a mux client's session is listed under (-O list) and signalled by.
  sessionname: (l) => {
    const a = l.next();
    if (a === undefined || a === "") return `${l.where}: missing argument.`;
    const problem = sessionNameProblem(a);
    if (problem) return `${l.where}: ${problem}.`;
    l.set("sessionName", a);
    return undefined;
  },
};
