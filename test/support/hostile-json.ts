/**
 * Seeded generator of hostile JSON text, spelled the ways real and broken producers spell it: duplicate keys
 * (also spelled differently: "a" and "\u0061"), integer-like keys, escapes of every kind, lone low surrogate
 * escapes, numbers beyond 2^53 and beyond the double range, numbers only jq reads (01, .5, NaN, Infinity),
 * whitespace anywhere, deep nesting (within jq 1.6's parser limit: 256 stack levels, an object counting twice).
 *
 *   const rng = new Rng(7);
 *   hostileValue(rng, { lenient: true })    // e.g. '{"b":1, "\u0061":[01,"x\u00e9"],"b":NaN}'
 */

export class Rng {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0 || 1;
  }
  /** [0, 1), mulberry32. */
  next(): number {
    let t = (this.#state = (this.#state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

export interface HostileOptions {
  /** Numbers only jq reads (01, .5, +1, NaN, Infinity) and other non-JSON jq accepts. Default false. */
  lenient?: boolean;
  /** Only numbers jq prints as written (so `jq -c` output can be compared byte for byte). Default false. */
  canonicalNumbers?: boolean;
  /** Only escapes jq prints as written (\" \\ \n \t \r \b \f and \u00XX for control characters). Default false. */
  canonicalStrings?: boolean;
  /** Whitespace between tokens; newlines only if allowed. Default true / true. */
  space?: boolean;
  newlines?: boolean;
  /** Nesting bound (default 6). */
  depth?: number;
}

const KEYS = ["a", "b", "c", "eventName", "eventID", "0", "1", "10", "01", "4294967294", "4294967295", "-1", "", " ", "a.b", "é", "😀", "\u0000", "\\", '"', "Records", "x\ny"];
const CANONICAL_NUMBERS = ["0", "-0", "1", "-1", "7", "42", "1000000", "123456789012345", "-98765", "1.5", "-2.25", "0.5", "0.125", "3.14159", "1e+300", "-1e-300", "1e+100"];
const HOSTILE_NUMBERS = ["1.10", "1E2", "1e2", "1.0", "100e-2", "0.1e1", "12345678901234567890", "-9223372036854775809", "18446744073709551616", "1e400", "-1e400", "1e-400", "0.1", "1.7976931348623157e308", "5e-324", "123456789.123456789"];
const LENIENT_NUMBERS = ["01", "-01", "00.5", ".5", "-.5", "1.", "+1", "+.5e1", "1.e3", "NaN", "-nan", "+nan", "Nan", "Infinity", "-Infinity", "inf", "-INF", "infinity"];
const STRING_CHARS = ["a", "b", " ", "é", "中", "😀", "/", "\u007f", "\u2028", "\ufffd", "Records", "<", ">", "&", "'"];

export function hostileValue(rng: Rng, options: HostileOptions = {}, depth = 0): string {
  const maxDepth = options.depth ?? 6;
  const roll = rng.next();
  if (depth < maxDepth && roll < 0.3) return hostileObject(rng, options, depth);
  if (depth < maxDepth && roll < 0.45) {
    const n = rng.int(5);
    const items: string[] = [];
    for (let i = 0; i < n; i++) items.push(hostileValue(rng, options, depth + 1));
    return `[${ws(rng, options)}${items.join(`${ws(rng, options)},${ws(rng, options)}`)}${ws(rng, options)}]`;
  }
  if (roll < 0.7) return hostileString(rng, options, rng.pick(STRING_CHARS) + rng.pick(STRING_CHARS) + (rng.chance(0.3) ? "\n\t\u0001\"\\" : ""));
  if (roll < 0.92) return hostileNumber(rng, options);
  return rng.pick(["true", "false", "null"]);
}

export function hostileObject(rng: Rng, options: HostileOptions = {}, depth = 0, members: [string, string][] = []): string {
  const n = rng.int(6);
  const all: [string, string][] = [...members];
  for (let i = 0; i < n; i++) {
    // a small pool of keys: repeats (duplicates) are common
    const key = rng.chance(0.8) ? rng.pick(KEYS.slice(0, 8)) : rng.pick(KEYS);
    all.splice(rng.int(all.length + 1), 0, [hostileString(rng, options, key), hostileValue(rng, options, depth + 1)]);
  }
  const parts = all.map(([k, v]) => `${k}${ws(rng, options)}:${ws(rng, options)}${v}`);
  return `{${ws(rng, options)}${parts.join(`${ws(rng, options)},${ws(rng, options)}`)}${ws(rng, options)}}`;
}

/** A string literal for `text`, each character spelled raw or escaped at random (controls always escaped). */
export function hostileString(rng: Rng, options: HostileOptions, text: string): string {
  let out = '"';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    const simple: Record<string, string> = { '"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f" };
    if (simple[ch]) out += simple[ch];
    else if (code < 0x20 || (code === 0x7f && options.canonicalStrings)) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else if (!options.canonicalStrings && ch === "/" && rng.chance(0.5)) out += "\\/";
    else if (!options.canonicalStrings && rng.chance(0.25)) {
      for (const unit of units(ch)) out += `\\u${rng.chance(0.5) ? unit.toString(16).padStart(4, "0") : unit.toString(16).padStart(4, "0").toUpperCase()}`;
    } else out += ch;
  }
  // a lone low surrogate escape, which jq reads as U+FFFD
  if (!options.canonicalStrings && options.lenient && rng.chance(0.05)) out += rng.pick(["\\udc00", "\\uDFFF", "\\ude00"]);
  return out + '"';
}

export function hostileNumber(rng: Rng, options: HostileOptions): string {
  if (options.canonicalNumbers) return rng.pick(CANONICAL_NUMBERS);
  if (options.lenient && rng.chance(0.2)) return rng.pick(LENIENT_NUMBERS);
  return rng.chance(0.5) ? rng.pick(CANONICAL_NUMBERS) : rng.pick(HOSTILE_NUMBERS);
}

/** A run of whitespace, usually empty. */
export function ws(rng: Rng, options: HostileOptions): string {
  if (options.space === false || !rng.chance(0.15)) return "";
  const chars = options.newlines === false ? [" ", "\t", "\r"] : [" ", "\t", "\r", "\n"];
  let out = "";
  for (let i = 1 + rng.int(3); i > 0; i--) out += rng.pick(chars);
  return out;
}

/** `count` log files (seeded): one in three spelled as jq spells numbers and escapes (`canonical`). */
export function hostileCorpus(seed: number, count: number): { text: string; canonical: boolean }[] {
  const rng = new Rng(seed);
  return Array.from({ length: count }, (_, i) => {
    const canonical = i % 3 === 0;
    const options: HostileOptions = canonical ? { canonicalNumbers: true, canonicalStrings: true, space: false, depth: 5 } : { lenient: rng.chance(0.5), depth: 5 };
    return { text: hostileLogFile(rng, options), canonical };
  });
}

/** A log file: usually one object with Records among other members; sometimes several values, or broken. */
export function hostileLogFile(rng: Rng, options: HostileOptions): string {
  const values: string[] = [];
  for (let v = rng.chance(0.1) ? 2 + rng.int(2) : 1; v > 0; v--) {
    const records: string[] = [];
    for (let r = rng.int(6); r > 0; r--) {
      const base: [string, string][] = [
        [hostileString(rng, options, "eventID"), hostileString(rng, options, `${rng.int(1e6)}`)],
        [hostileString(rng, options, "eventName"), hostileString(rng, options, rng.pick(["a", "b", "c"]))],
      ];
      records.push(rng.chance(0.9) ? hostileObject(rng, options, 1, base) : hostileValue(rng, options, 1));
    }
    const members: [string, string][] = [[hostileString(rng, options, "Records"), `[${ws(rng, options)}${records.join(`,${ws(rng, options)}`)}]`]];
    if (rng.chance(0.05)) members.push([hostileString(rng, options, "Records"), rng.pick(["[]", "null", '{"x":{"eventID":"o"}}', '"s"', "[1,2]"])]);
    if (rng.chance(0.03)) members[0] = [hostileString(rng, options, "records"), members[0]![1]];
    values.push(rng.chance(0.03) ? hostileValue(rng, options) : hostileObject(rng, options, 4, members));
  }
  let text = values.join(rng.pick(["\n", " ", ""]));
  if (rng.chance(0.06)) text = text.slice(0, rng.int(text.length)); // truncated
  else if (rng.chance(0.04)) text += rng.pick([" x", ",", "]", '{"a":', " nope"]); // garbage after
  return text;
}

function units(ch: string): number[] {
  const out: number[] = [];
  for (let i = 0; i < ch.length; i++) out.push(ch.charCodeAt(i));
  return out;
}
