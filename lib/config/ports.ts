// Port numbers as ssh's a2port reads them: 0..65535 in decimal, or a tcp service name.

let services: Map<string, number> | undefined;

function serviceTable(): Map<string, number> {
  if (services) return services;
  services = new Map();
  try {
    // getservbyname(3) reads /etc/services; do the same so `-p ssh` works as in ssh.
    for (const line of Deno.readTextFileSync("/etc/services").split("\n")) {
      const fields = line.replace(/#.*/, "").trim().split(/\s+/);
      const m = /^(\d+)\/tcp$/.exec(fields[1] ?? "");
      if (!m) continue;
      for (const name of [fields[0], ...fields.slice(2)]) {
        if (name && !services.has(name)) services.set(name, Number(m[1]));
      }
    }
  } catch {
    // No /etc/services (or no read permission): only numeric ports work, as on a bare system.
  }
  return services;
}

/** ssh's a2port: the port, or -1 if invalid. 0 is valid here (callers decide). */
export function a2port(s: string): number {
  // strtonum: optional leading blanks and sign, decimal digits, nothing after.
  if (/^[ \t\n\v\f\r]*[+-]?\d+$/.test(s)) {
    const n = Number(s.trim());
    return n >= 0 && n <= 65535 ? n : -1;
  }
  return serviceTable().get(s) ?? -1;
}
