/**
 * JSON as jq 1.6 reads it, scanned without building values: where each value ends, whether it is valid, and what
 * a plain copy of its text would get wrong (the flags below). It is what lets records pass through as delivered.
 *
 * ```ts
 * const scanner = new JsonScanner();
 * scanner.setText('{"b":1,"a":2,"b":3} 7');
 * const end = scanner.value(0, false);           // 19 (or MORE when the text stops inside the value)
 * if (scanner.flags & REWRITE) text = canonicalJson(text.slice(0, end)); // jq -c: {"b":3,"a":2}
 * ```
 *
 * What jq accepts beyond JSON, accepted here too (and flagged NOT_JSON, so the text is rewritten before anyone
 * parses it): numbers such as `01`, `.5`, `1.`, `+1`, `NaN`, `-nan`, `Infinity` (any token C's strtod reads
 * whole), and a `\uDC00`-style lone low surrogate escape (jq reads U+FFFD). What jq refuses is refused, with jq's
 * words: raw control characters in strings, a high surrogate escape without its low half, bad escapes, and the
 * rest of JSON's grammar. Nesting is refused past 10,000 levels of jq's parser stack (jq 1.8's limit; 1.6 and 1.7
 * stop at 256, where an object level counts twice).
 *
 * Invalid UTF-8 is not its business: the text comes from a TextDecoder, which has put U+FFFD there, as jq does.
 */

/** Whitespace between tokens (a compact copy must drop it). */
export const SPACE = 1;
/** An object may repeat a key (a 32-bit hash of the decoded key matched: rarely a collision). */
export const DUPLICATE_KEY = 2;
/** A key starts with a digit: JavaScript objects may put it first, so parse with the document's key order. */
export const INTEGER_KEY = 4;
/** jq reads it, JSON.parse does not, or reads it differently: a lenient number or a lone low surrogate escape. */
export const NOT_JSON = 8;
/** Flags under which the delivered text is not what `jq -c` prints (see canonical.ts). */
export const REWRITE = SPACE | DUPLICATE_KEY | NOT_JSON;

/** Returned when the text ends before the value does. */
export const MORE = -1;

/** jq's parser stack limit (jq 1.8): arrays count 1, objects 2 (the object and its pending key). */
export const MAX_DEPTH = 10_000;

/** Invalid JSON; `index` is where in the scanned text jq would notice. */
export class JsonSyntaxError extends SyntaxError {
  constructor(
    message: string,
    readonly index: number,
  ) {
    super(message);
  }
}

export class JsonScanner {
  /** Flags of the last complete `value` scan. */
  flags = 0;
  #text = "";
  #length = 0;
  /** Next backslash and next control character at or after the last search (-1: not searched yet). */
  #backslash = -1;
  #control = -1;
  #containers = new Uint8Array(64); // 1 object, 0 array
  #keyBase = new Int32Array(64);
  #filters = new Int32Array(64);
  #keyHashes = new Int32Array(256);
  #keyStarts = new Int32Array(256);
  #keyEnds = new Int32Array(256); // negative: the key has escapes
  #keySets: (Set<number> | undefined)[] = [];

  /** The text the next scans read. Positions are indexes into it. */
  setText(text: string): void {
    this.#text = text;
    this.#length = text.length;
    this.#backslash = -1;
    this.#control = -1;
  }

  get text(): string {
    return this.#text;
  }

  /**
   * Scans the value that starts at `i` (no whitespace before it). Returns the index after it, or MORE when the
   * text ends first. `final`: no more text will follow, so a number or literal running to the end is complete.
   * `stack`: jq's parser stack below this value (2 inside a top-level object's member, 3 in its array).
   */
  value(i: number, final: boolean, stack = 0): number {
    const s = this.#text;
    const n = this.#length;
    let flags = 0;
    let depth = 0;
    let sp = stack;
    let keys = 0; // top of #keyHashes
    let c: number;
    for (;;) {
      // --- a value starts at i
      c = s.charCodeAt(i);
      if (c === QUOTE) {
        // the next quote ends it when the caches say no backslash or control character comes first
        const q = s.indexOf('"', i + 1);
        if (q > i && this.#backslash > q && this.#control > q) i = q + 1;
        else {
          i = this.#string(i);
          if (i < 0) return MORE;
          flags |= this.stringFlags;
        }
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (sp >= MAX_DEPTH) throw new JsonSyntaxError("Exceeds depth limit for parsing", i);
        if (depth === this.#containers.length) this.#grow();
        const object = c === OPEN_BRACE;
        this.#containers[depth] = object ? 1 : 0;
        this.#keyBase[depth] = keys;
        this.#filters[depth] = 0;
        depth++;
        sp += object ? 2 : 1;
        c = s.charCodeAt(++i);
        if (c <= 32 && isSpace(c)) (flags |= SPACE), (i = skipSpace(s, i)), (c = s.charCodeAt(i));
        if (c === (object ? CLOSE_BRACE : CLOSE_BRACKET)) {
          depth--;
          sp -= object ? 2 : 1;
          i++;
        } else if (object) {
          // first key
          const after = this.#member(i, depth, keys);
          if (after < 0) return MORE;
          flags |= this.#memberFlags;
          keys++;
          i = after;
          continue;
        } else {
          if (i >= n) return MORE;
          if (c === COMMA) throw new JsonSyntaxError("Expected value before ','", i);
          continue;
        }
      } else {
        const end = this.#token(i, final && depth === 0);
        if (end < 0) return MORE;
        if (this.#lenient) flags |= NOT_JSON;
        i = end;
      }
      // --- after a value: close containers, or go on to the next element or member
      for (;;) {
        if (depth === 0) {
          this.flags = flags;
          return i;
        }
        c = s.charCodeAt(i);
        if (c <= 32 && isSpace(c)) (flags |= SPACE), (i = skipSpace(s, i)), (c = s.charCodeAt(i));
        const object = this.#containers[depth - 1] === 1;
        if (c === COMMA) {
          c = s.charCodeAt(++i);
          if (c <= 32 && isSpace(c)) (flags |= SPACE), (i = skipSpace(s, i)), (c = s.charCodeAt(i));
          if (object) {
            if (c === CLOSE_BRACE) throw new JsonSyntaxError("Expected another key-value pair", i);
            const after = this.#member(i, depth, keys);
            if (after < 0) return MORE;
            flags |= this.#memberFlags;
            keys++;
            i = after;
          } else {
            if (c === CLOSE_BRACKET) throw new JsonSyntaxError("Expected another array element", i);
            if (c === COMMA) throw new JsonSyntaxError("Expected value before ','", i);
          }
          break;
        }
        if (c === (object ? CLOSE_BRACE : CLOSE_BRACKET)) {
          depth--;
          sp -= object ? 2 : 1;
          keys = this.#keyBase[depth]!;
          this.#keySets[depth] = undefined;
          i++;
          continue;
        }
        if (i >= n) return MORE;
        if (c === CLOSE_BRACE || c === CLOSE_BRACKET) throw new JsonSyntaxError(`Unmatched '${String.fromCharCode(c)}'`, i);
        if (c === COLON) throw new JsonSyntaxError(object ? "Expected separator between values" : "':' not as part of an object", i);
        throw new JsonSyntaxError("Expected separator between values", i);
      }
      if (i >= n) return MORE;
    }
  }

  /** Scans the string that starts at `i` (a quote): the index after its closing quote, or MORE. */
  string(i: number): number {
    return this.#string(i);
  }

  /** NOT_JSON when the last string scanned holds a lone low surrogate escape, else 0. */
  stringFlags = 0;
  /** Whether the last string scanned has escapes. */
  #escaped = false;

  #string(i: number): number {
    const s = this.#text;
    const n = this.#length;
    let j = i + 1;
    let flags = 0;
    this.#escaped = false;
    for (;;) {
      const q = s.indexOf('"', j);
      if (q < 0) return MORE;
      if (this.#control < j) this.#control = nextControl(s, j);
      if (this.#backslash < j) {
        const b = s.indexOf("\\", j);
        this.#backslash = b < 0 ? n : b;
      }
      const b = this.#backslash;
      if (this.#control < q && this.#control < b) throw controlError(this.#control);
      if (b > q) {
        this.stringFlags = flags;
        return q + 1;
      }
      const after = this.#escape(b);
      if (after < 0) return MORE;
      if (this.#loneLow) flags = NOT_JSON;
      this.#escaped = true;
      j = after;
    }
  }

  /** A member: key, colon, and the start of its value. Returns the value's start, or MORE. */
  #memberFlags = 0;
  #member(i: number, depth: number, keys: number): number {
    const s = this.#text;
    const n = this.#length;
    if (s.charCodeAt(i) !== QUOTE) {
      if (i >= n) return MORE;
      throw new JsonSyntaxError("Object keys must be strings", i);
    }
    // the key's end: the next quote, when no backslash or control character comes before it (known from the caches)
    let end = s.indexOf('"', i + 1);
    let flags = 0;
    if (end > i && this.#backslash > end && this.#control > end) {
      end++;
      this.#escaped = false;
    } else {
      end = this.#string(i);
      if (end < 0) return MORE;
      flags = this.stringFlags;
    }
    // a cheap hash of the key as jq reads it ("a" and "\u0061" are one key); equal hashes are compared exactly
    let h: number;
    let first: number;
    if (this.#escaped) {
      const key = decodeString(s.slice(i, end));
      h = weakHash(key, 0, key.length);
      first = key.charCodeAt(0);
    } else {
      h = weakHash(s, i + 1, end - 1);
      first = s.charCodeAt(i + 1);
    }
    if (first >= 48 && first <= 57) flags |= INTEGER_KEY;
    const base = this.#keyBase[depth - 1]!;
    const hashes = this.#keyHashes;
    if (keys - base < 32) {
      // a 32-bit filter of the object's key hashes: the keys are compared only when it says "maybe"
      const bit = 1 << (h & 31);
      const filter = this.#filters[depth - 1]!;
      if (filter & bit) for (let k = base; k < keys; k++) if (hashes[k] === h && this.#sameKey(k, i, end)) flags |= DUPLICATE_KEY;
      this.#filters[depth - 1] = filter | bit;
    } else {
      let set = this.#keySets[depth - 1];
      if (!set) this.#keySets[depth - 1] = set = new Set(hashes.subarray(base, keys));
      if (set.has(h)) for (let k = base; k < keys; k++) if (hashes[k] === h && this.#sameKey(k, i, end)) flags |= DUPLICATE_KEY;
      set.add(h);
    }
    if (keys === this.#keyHashes.length) {
      this.#keyHashes = grown(this.#keyHashes);
      this.#keyStarts = grown(this.#keyStarts);
      this.#keyEnds = grown(this.#keyEnds);
    }
    this.#keyHashes[keys] = h;
    this.#keyStarts[keys] = i;
    this.#keyEnds[keys] = this.#escaped ? -end : end;
    // the colon
    let j = end;
    let c = s.charCodeAt(j);
    if (c <= 32 && isSpace(c)) (flags |= SPACE), (j = skipSpace(s, j)), (c = s.charCodeAt(j));
    if (c !== COLON) {
      if (j >= n) return MORE;
      throw new JsonSyntaxError("Objects must consist of key:value pairs", j);
    }
    c = s.charCodeAt(++j);
    if (c <= 32 && isSpace(c)) (flags |= SPACE), (j = skipSpace(s, j)), (c = s.charCodeAt(j));
    if (j >= n) return MORE;
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON) {
      throw new JsonSyntaxError(c === COMMA ? "Expected value before ','" : c === COLON ? "Expected value before ':'" : "Objects must consist of key:value pairs", j);
    }
    this.#memberFlags = flags;
    return j;
  }

  /** Whether key number `k` of the current scan and the key literal at [start, end) are the same key. */
  #sameKey(k: number, start: number, end: number): boolean {
    const s = this.#text;
    const otherStart = this.#keyStarts[k]!;
    const otherEnd = this.#keyEnds[k]!;
    if (otherEnd > 0 && !this.#escaped) return s.slice(otherStart, otherEnd) === s.slice(start, end);
    return decodeString(s.slice(otherStart, Math.abs(otherEnd))) === decodeString(s.slice(start, end));
  }

  /** Whether the last token read was a number JSON does not allow (see NOT_JSON). */
  #lenient = false;
  /** A number or literal token at `i`: returns its end, or MORE when it runs to the end of the text. */
  #token(i: number, final: boolean): number {
    const s = this.#text;
    const n = this.#length;
    this.#lenient = false;
    let c = s.charCodeAt(i);
    let j = i;
    if (c === 116 /* t */ || c === 102 /* f */ || c === 110 /* n */) {
      j = tokenEnd(s, i, n);
      if (j >= n && !final) return MORE;
      const token = s.slice(i, j);
      if (token !== "true" && token !== "false" && token !== "null") throw new JsonSyntaxError("Invalid literal", j);
      return j;
    }
    // JSON's number grammar, the fast path: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
    let ok = true;
    if (c === 45 /* - */) c = s.charCodeAt(++j);
    if (c === 48) c = s.charCodeAt(++j);
    else if (c >= 49 && c <= 57) {
      do c = s.charCodeAt(++j);
      while (c >= 48 && c <= 57);
    } else ok = false;
    if (ok && c === 46 /* . */) {
      c = s.charCodeAt(++j);
      if (c >= 48 && c <= 57) {
        do c = s.charCodeAt(++j);
        while (c >= 48 && c <= 57);
      } else ok = false;
    }
    if (ok && (c === 101 || c === 69) /* e E */) {
      c = s.charCodeAt(++j);
      if (c === 43 || c === 45) c = s.charCodeAt(++j);
      if (c >= 48 && c <= 57) {
        do c = s.charCodeAt(++j);
        while (c >= 48 && c <= 57);
      } else ok = false;
    }
    if (ok && j < n && isDelimiter(c)) return j;
    // anything else up to the next delimiter: what strtod reads whole, jq takes
    const strict = ok ? j : -1;
    j = tokenEnd(s, j, n);
    if (j >= n && !final) return MORE;
    if (j === strict) return j; // a JSON number that ends with the text
    if (i === j) throw new JsonSyntaxError(unexpected(s.charCodeAt(i)), i);
    if (!LENIENT_NUMBER.test(s.slice(i, j))) throw new JsonSyntaxError("Invalid numeric literal", j);
    this.#lenient = true;
    return j;
  }

  #loneLow = false;
  /** Checks the escape at `b` (a backslash) as jq does; returns the index after it, or MORE. */
  #escape(b: number): number {
    const s = this.#text;
    const n = this.#length;
    this.#loneLow = false;
    if (b + 1 >= n) return MORE;
    const e = s.charCodeAt(b + 1);
    if (e !== 117 /* u */) {
      if (SIMPLE_ESCAPES.includes(String.fromCharCode(e))) return b + 2;
      throw new JsonSyntaxError("Invalid escape", b + 1);
    }
    if (b + 6 > n) return MORE;
    const unit = hex4(s, b + 2);
    if (unit < 0) throw new JsonSyntaxError(s.lastIndexOf('"', b + 5) > b ? "Invalid \\uXXXX escape" : "Invalid characters in \\uXXXX escape", b);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (b + 12 > n) {
        // not enough text to see the low half: more may come, unless the string ends first
        if (s.indexOf('"', b + 6) < 0) return MORE;
        throw new JsonSyntaxError("Invalid \\uXXXX\\uXXXX surrogate pair escape", b);
      }
      const low = s.charCodeAt(b + 6) === BACKSLASH && s.charCodeAt(b + 7) === 117 ? hex4(s, b + 8) : -1;
      if (low < 0xdc00 || low > 0xdfff) throw new JsonSyntaxError("Invalid \\uXXXX\\uXXXX surrogate pair escape", b);
      return b + 12;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) this.#loneLow = true; // jq reads U+FFFD
    return b + 6;
  }

  #grow(): void {
    const containers = new Uint8Array(this.#containers.length * 2);
    containers.set(this.#containers);
    this.#containers = containers;
    this.#keyBase = grown(this.#keyBase);
    this.#filters = grown(this.#filters);
  }
}

/** What C's strtod reads whole (jq 1.6 takes any such token as a number); checked against jq in the tests. */
export const LENIENT_NUMBER = /^[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)$/i;

/** The number jq reads for a token LENIENT_NUMBER accepts. */
export function lenientNumber(token: string): number {
  const t = token.toLowerCase();
  const sign = t.startsWith("-") ? -1 : 1;
  const body = t.replace(/^[+-]/, "");
  if (body === "nan") return NaN;
  if (body === "inf" || body === "infinity") return sign * Infinity;
  return Number(token);
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_BRACKET = 91, CLOSE_BRACKET = 93, OPEN_BRACE = 123, CLOSE_BRACE = 125;

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

export function skipSpace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** jq ends a number or literal token at whitespace, a quote or a structural character. */
function isDelimiter(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON || c === 32 || c === 10 || c === 13 || c === 9 || c === QUOTE || c === OPEN_BRACKET || c === OPEN_BRACE;
}

function tokenEnd(s: string, i: number, n: number): number {
  while (i < n && !isDelimiter(s.charCodeAt(i))) i++;
  return i;
}

/** Length and five characters of the key: equal keys hash equal, most different keys of an object do not. */
function weakHash(s: string, start: number, end: number): number {
  const length = end - start;
  if (length === 0) return 0;
  let h = length;
  h = (Math.imul(h, 31) + s.charCodeAt(start)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(end - 1)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(start + (length >> 1))) | 0;
  if (length > 3) {
    h = (Math.imul(h, 31) + s.charCodeAt(start + 1)) | 0;
    h = (Math.imul(h, 31) + s.charCodeAt(end - 2)) | 0;
  }
  return h;
}

/** A string literal's value as jq reads it: like JSON.parse, with a lone low surrogate escape as U+FFFD. */
export function decodeString(literal: string): string {
  const value = JSON.parse(literal) as string;
  return literal.includes("\\u") ? value.replace(LONE_LOW, "\ufffd") : value;
}

// the text has no raw lone surrogates (it was decoded from UTF-8), and the scanner checked every high surrogate escape
const LONE_LOW = /(?<![\ud800-\udbff])[\udc00-\udfff]/g;

const SIMPLE_ESCAPES = '"\\/bfnrt';

function hex4(s: string, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = s.charCodeAt(k);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

const CONTROL = /[\u0000-\u001f]/g;

function nextControl(s: string, from: number): number {
  CONTROL.lastIndex = from;
  return CONTROL.exec(s) ? CONTROL.lastIndex - 1 : s.length;
}

function controlError(i: number): JsonSyntaxError {
  return new JsonSyntaxError("Invalid string: control characters from U+0000 through U+001F must be escaped", i);
}

function unexpected(c: number): string {
  if (c === COMMA) return "Expected value before ','";
  if (c === COLON) return "Expected string key before ':'";
  if (c === CLOSE_BRACE || c === CLOSE_BRACKET) return `Unmatched '${String.fromCharCode(c)}'`;
  return "Invalid literal";
}

function grown(a: Int32Array): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
}
