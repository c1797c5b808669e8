import { assertEquals, assertNotEquals } from "@std/assert";
import { queryAlgorithms, queryNames } from "../../lib/ssh/transport/query.ts";
import { resolveAlgorithms } from "../../lib/ssh/transport/algorithms.ts";

Deno.test("-Q: every listed cipher, MAC, kex and signature algorithm is accepted in -o lists", () => {
  const pairs: [string, "ciphers" | "macs" | "kex" | "hostkey"][] = [
    ["cipher", "ciphers"],
    ["mac", "macs"],
    ["kex", "kex"],
    ["sig", "hostkey"],
  ];
  for (const [q, cat] of pairs) {
    const names = queryAlgorithms(q)!;
    assertNotEquals(names.length, 0, q);
    for (const n of names) assertEquals(resolveAlgorithms(cat, n), [n], `${q}: ${n}`);
  }
});

Deno.test("-Q: ssh's keyword spellings answer, unknown queries do not", () => {
  assertEquals(queryAlgorithms("Ciphers"), queryAlgorithms("cipher"));
  assertEquals(queryAlgorithms("KexAlgorithms"), queryAlgorithms("kex"));
  assertEquals(queryAlgorithms("cipher-auth")?.includes("aes128-ctr"), false);
  assertEquals(queryAlgorithms("foo"), undefined);
  assertEquals(queryNames().includes("protocol-version"), true);
});
