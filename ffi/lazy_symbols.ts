// A symbol table whose functions are bound one by one, on first use. Deno.dlopen builds a call
// trampoline for every symbol it is given, measured at ~0.5-1 ms each here: the libc table
// (~42 symbols) cost 15-45 ms of a mux client's start-up although a session uses about a third
// of them. Opening the same library again for each symbol is cheap (the loader only counts
// references), so each property opens its own one-symbol handle the first time it is read and
// then becomes a plain data property.

/** `defs`' symbols of the library at `path`, each dlopen'ed when first read. */
export function lazySymbols<S extends Deno.ForeignLibraryInterface>(
  path: string,
  defs: S,
): Deno.DynamicLibrary<S>["symbols"] {
  const table = {} as Record<string, unknown>;
  for (const [key, def] of Object.entries(defs)) {
    Object.defineProperty(table, key, {
      configurable: true,
      enumerable: true,
      get() {
        // A missing symbol throws here (at first use) unless it is optional, then it is null.
        const value = Deno.dlopen(path, { [key]: def }).symbols[key];
        Object.defineProperty(table, key, { value, enumerable: true });
        return value;
      },
    });
  }
  return table as Deno.DynamicLibrary<S>["symbols"];
}
