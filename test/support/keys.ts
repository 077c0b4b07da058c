/**
 * S3 keys that URL handling gets wrong: dot segments (which WHATWG URL parsing removes, also spelled `%2e`),
 * empty segments, `+` (a space in query strings and in S3's own listing encoding), `%`, `&`, `?`, `#`, spaces,
 * unicode (also astral), and characters XML 1.0 cannot carry. The fixed list, and a seeded generator of more.
 *
 * ```ts
 * for (const key of [...AWKWARD_KEYS, ...randomKeys(42, 100)]) …
 * ```
 */
import { Rng } from "../../fixtures/common.ts";

export const AWKWARD_KEYS: readonly string[] = [
  "a/../b",
  "../outside",
  "./here",
  "a/./b",
  "a/.",
  "a/..",
  "a//b",
  "//leading/slashes",
  "a//../b",
  "trailing/",
  "%2e%2e/encoded-dots",
  ".%2E/mixed",
  "a%2Fb",
  "a+b c&d=e%f?g#h",
  "plus+plus",
  "percent%25%",
  "space at end ",
  "tab\there",
  "é/☃/😀/日本語",
  "quote'\"<>`{}|\\^[]",
  "semi;colon:at@dollar$comma,",
  "tilde~star*paren()bang!",
  "ctl\u0001\u001f\u007f",
  "....",
  ".../x",
  "..a/b..",
];

/** `count` keys built from the awkward pieces, reproducibly from `seed`. */
export function randomKeys(seed: number, count: number): string[] {
  const rng = new Rng(seed);
  const pieces = ["..", ".", "", "a", "b c", "+", "%", "%2e", "%2F", "&", "?", "#", "é", "😀", "\u0001", "~", "*", "'", "=", " ", "x.y"];
  const keys = new Set<string>();
  while (keys.size < count) {
    const segments = Array.from({ length: rng.range(1, 6) }, () => Array.from({ length: rng.range(1, 3) }, () => rng.pick(pieces)).join(""));
    const key = segments.join("/");
    if (key && key !== "." && key !== "..") keys.add(key);
  }
  return [...keys];
}
