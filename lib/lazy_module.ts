// Specifiers for modules loaded only on the path that needs them.
//
// Before main() runs, Deno's module loader fetches and parses every import() whose argument
// is a string literal, lazy ones included: a mux client loaded the SSH client, the master and
// all of their crypto (~220 modules) although it evaluates ~80. Measured on the mux-client
// path: ~16 ms of a ~145 ms session (scripts/bench-client.sh). An import() whose argument is
// computed at run time is resolved only when it runs, relative to the file that calls it.
//
// `deno compile` cannot see such imports either: scripts/compile.sh finds every call of
// lazyModule("...") and embeds its module with --include, so keep the argument a literal.

/**
 * Returns `specifier` unchanged, as a value Deno's loader cannot see ahead of time. Use it
 * only inside `import()`, with the module's type written out:
 * `const m: typeof import("./x.ts") = await import(lazyModule("./x.ts"));`
 */
export function lazyModule(specifier: string): string {
  return specifier;
}
