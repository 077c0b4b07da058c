/**
 * JSON as jq 1.6 reads it, scanned as UTF-8 bytes without building values: where each value ends, whether it is
 * valid, and what a plain copy of its bytes would get wrong (the flags below). It is what lets records pass
 * through as delivered, without ever being decoded to text.
 *
 * ```ts
 * const scanner = new JsonScanner();
 * scanner.setBytes(new TextEncoder().encode('{"b":1,"a":2,"b":3} 7'));
 * const end = scanner.value(0, false);           // 19 (or MORE when the bytes stop inside the value)
 * if (scanner.flags & REWRITE) …                  // canonical.ts writes it as jq -c does: {"b":3,"a":2}
 * ```
 *
 * What jq accepts beyond JSON, accepted here too (and flagged NOT_JSON, so the text is rewritten before anyone
 * parses it): numbers such as `01`, `.5`, `1.`, `+1`, `NaN`, `-nan`, `Infinity` (any token C's strtod reads
 * whole), and a `\uDC00`-style lone low surrogate escape (jq reads U+FFFD). What jq refuses is refused, in jq's
 * words: raw control characters in strings, a high surrogate escape without its low half, bad escapes, and the
 * rest of JSON's grammar. Where jq versions disagree, JSON decides: a raw U+001F is refused (jq 1.6 and 1.7 take
 * it), and nesting is refused past 10,000 levels of jq's parser stack (jq 1.8's limit; 1.6 and 1.7 stop at 256,
 * where an object level counts twice).
 *
 * Bytes from 0x80 up are left to the caller (flag NON_ASCII): it checks them as UTF-8, and puts U+FFFD where they
 * are not, as jq does.
 */

/** Whitespace between tokens (a compact copy must drop it). */
export const SPACE = 1;
/** An object repeats a key (decoded: "a" and "\u0061" are one key). */
export const DUPLICATE_KEY = 2;
/** A key starts with a digit: JavaScript objects may put it first, so parse with the document's key order. */
export const INTEGER_KEY = 4;
/** jq reads it, JSON.parse does not, or reads it differently: a lenient number or a lone low surrogate escape. */
export const NOT_JSON = 8;
/** A string holds bytes from 0x80 up: valid UTF-8, or not. */
export const NON_ASCII = 16;
/** Flags under which the delivered text is not what `jq -c` prints (see canonical.ts). */
export const REWRITE = SPACE | DUPLICATE_KEY | NOT_JSON;

/** Returned when the bytes end before the value does. */
export const MORE = -1;

/** jq's parser stack limit (jq 1.8): arrays count 1, objects 2 (the object and its pending key). */
export const MAX_DEPTH = 10_000;

/** Invalid JSON; `index` is the byte where jq would notice. */
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
  /** Flags of the last string scanned (NOT_JSON, NON_ASCII), and whether it has escapes. */
  stringFlags = 0;
  #escaped = false;
  #bytes: Uint8Array = new Uint8Array(0);
  #length = 0;
  #containers = new Uint8Array(64); // 1 object, 0 array
  #keyBase = new Int32Array(64);
  #filters = new Int32Array(64);
  #keyHashes = new Int32Array(256);
  #keyStarts = new Int32Array(256);
  #keyEnds = new Int32Array(256); // negative: compare decoded (escapes, or bytes from 0x80 up)
  #keySets: (Set<number> | undefined)[] = [];
  #memberFlags = 0;
  #lenient = false;
  #loneLow = false;

  /** The bytes the next scans read. Positions are indexes into them. */
  setBytes(bytes: Uint8Array): void {
    this.#bytes = bytes;
    this.#length = bytes.length;
  }

  /**
   * Scans the value that starts at `i` (no whitespace before it). Returns the index after it, or MORE when the
   * bytes end first. `final`: no more bytes will follow, so a number or literal running to the end is complete.
   * `stack`: jq's parser stack below this value (2 inside a top-level object's member, 3 in its array).
   */
  value(i: number, final: boolean, stack = 0): number {
    const b = this.#bytes;
    const n = this.#length;
    let flags = 0;
    let depth = 0;
    let sp = stack;
    let keys = 0; // top of #keyHashes
    let c: number;
    for (;;) {
      // --- a value starts at i
      c = i < n ? b[i]! : END;
      if (c === QUOTE) {
        i = this.#string(i);
        if (i < 0) return MORE;
        flags |= this.stringFlags;
      } else if (c === OPEN_BRACE || c === OPEN_BRACKET) {
        if (sp >= MAX_DEPTH) throw new JsonSyntaxError("Exceeds depth limit for parsing", i);
        if (depth === this.#containers.length) this.#grow();
        const object = c === OPEN_BRACE;
        this.#containers[depth] = object ? 1 : 0;
        this.#keyBase[depth] = keys;
        this.#filters[depth] = 0;
        depth++;
        sp += object ? 2 : 1;
        c = ++i < n ? b[i]! : END;
        if (c <= 32 && isSpace(c)) (flags |= SPACE), (i = skipSpace(b, i)), (c = i < n ? b[i]! : END);
        if (c === (object ? CLOSE_BRACE : CLOSE_BRACKET)) {
          depth--;
          sp -= object ? 2 : 1;
          i++;
        } else if (object) {
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
        c = i < n ? b[i]! : END;
        if (c <= 32 && isSpace(c)) (flags |= SPACE), (i = skipSpace(b, i)), (c = i < n ? b[i]! : END);
        const object = this.#containers[depth - 1] === 1;
        if (c === COMMA) {
          c = ++i < n ? b[i]! : END;
          if (c <= 32 && isSpace(c)) (flags |= SPACE), (i = skipSpace(b, i)), (c = i < n ? b[i]! : END);
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

  /** Scans the string that starts at `i` (a quote): the index after its closing quote, or MORE. Sets stringFlags. */
  string(i: number): number {
    return this.#string(i);
  }

  #string(i: number): number {
    const b = this.#bytes;
    const n = this.#length;
    let j = i + 1;
    let flags = 0;
    let high = 0;
    this.#escaped = false;
    for (;;) {
      let c = 0;
      // four plain bytes at a time, then one by one
      while (j + 4 <= n) {
        const c0 = b[j]!, c1 = b[j + 1]!, c2 = b[j + 2]!, c3 = b[j + 3]!;
        if (PLAIN[c0]! & PLAIN[c1]! & PLAIN[c2]! & PLAIN[c3]!) {
          high |= c0 | c1 | c2 | c3;
          j += 4;
        } else break;
      }
      while (j < n) {
        c = b[j]!;
        if (c === QUOTE || c === BACKSLASH || c < 32) break;
        high |= c;
        j++;
      }
      if (j >= n) return MORE;
      if (c === QUOTE) {
        this.stringFlags = high & 0x80 ? flags | NON_ASCII : flags;
        return j + 1;
      }
      if (c !== BACKSLASH) throw controlError(j);
      const after = this.#escape(j);
      if (after < 0) return MORE;
      if (this.#loneLow) flags = NOT_JSON;
      this.#escaped = true;
      j = after;
    }
  }

  /** A member: key, colon, and the start of its value. Returns the value's start, or MORE. */
  #member(i: number, depth: number, keys: number): number {
    const b = this.#bytes;
    const n = this.#length;
    if ((i < n ? b[i]! : END) !== QUOTE) {
      if (i >= n) return MORE;
      throw new JsonSyntaxError("Object keys must be strings", i);
    }
    const end = this.#string(i);
    if (end < 0) return MORE;
    let flags = this.stringFlags;
    // a cheap hash of the key as jq reads it; equal hashes are compared exactly
    const plain = !this.#escaped && !(flags & NON_ASCII);
    let h: number;
    let first: number;
    if (plain) {
      h = weakHash(b, i + 1, end - 1);
      first = b[i + 1]!;
    } else {
      const key = decodeKey(b, i, end);
      h = weakHashOf(key);
      first = key.charCodeAt(0);
    }
    if (first >= 48 && first <= 57) flags |= INTEGER_KEY;
    const base = this.#keyBase[depth - 1]!;
    const hashes = this.#keyHashes;
    if (keys - base < 32) {
      // a 32-bit filter of the object's key hashes: keys are compared only when it says "maybe"
      const bit = 1 << (h & 31);
      const filter = this.#filters[depth - 1]!;
      if (filter & bit) for (let k = base; k < keys; k++) if (hashes[k] === h && this.#sameKey(k, i, end, plain)) flags |= DUPLICATE_KEY;
      this.#filters[depth - 1] = filter | bit;
    } else {
      let set = this.#keySets[depth - 1];
      if (!set) this.#keySets[depth - 1] = set = new Set(hashes.subarray(base, keys));
      if (set.has(h)) for (let k = base; k < keys; k++) if (hashes[k] === h && this.#sameKey(k, i, end, plain)) flags |= DUPLICATE_KEY;
      set.add(h);
    }
    if (keys === this.#keyHashes.length) {
      this.#keyHashes = grown(this.#keyHashes);
      this.#keyStarts = grown(this.#keyStarts);
      this.#keyEnds = grown(this.#keyEnds);
    }
    this.#keyHashes[keys] = h;
    this.#keyStarts[keys] = i;
    this.#keyEnds[keys] = plain ? end : -end;
    // the colon, and the start of the value
    let j = end;
    let c = j < n ? b[j]! : END;
    if (c <= 32 && isSpace(c)) (flags |= SPACE), (j = skipSpace(b, j)), (c = j < n ? b[j]! : END);
    if (c !== COLON) {
      if (j >= n) return MORE;
      throw new JsonSyntaxError("Objects must consist of key:value pairs", j);
    }
    c = ++j < n ? b[j]! : END;
    if (c <= 32 && isSpace(c)) (flags |= SPACE), (j = skipSpace(b, j)), (c = j < n ? b[j]! : END);
    if (j >= n) return MORE;
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON) {
      throw new JsonSyntaxError(c === COMMA ? "Expected value before ','" : c === COLON ? "Expected value before ':'" : "Objects must consist of key:value pairs", j);
    }
    this.#memberFlags = flags;
    return j;
  }

  /** Whether key number `k` of the current scan and the key literal at [start, end) are the same key. */
  #sameKey(k: number, start: number, end: number, plain: boolean): boolean {
    const b = this.#bytes;
    const otherStart = this.#keyStarts[k]!;
    const otherEnd = this.#keyEnds[k]!;
    if (otherEnd > 0 && plain) {
      if (otherEnd - otherStart !== end - start) return false;
      for (let x = otherStart, y = start; y < end; x++, y++) if (b[x] !== b[y]) return false;
      return true;
    }
    return decodeKey(b, otherStart, Math.abs(otherEnd)) === decodeKey(b, start, end);
  }

  /** A number or literal token at `i`: returns its end, or MORE when it runs to the end of the bytes. */
  #token(i: number, final: boolean): number {
    const b = this.#bytes;
    const n = this.#length;
    this.#lenient = false;
    let c = i < n ? b[i]! : END;
    let j = i;
    if (c === 116 /* t */ || c === 102 /* f */ || c === 110 /* n */) {
      j = tokenEnd(b, i, n);
      if (j >= n && !final) return MORE;
      if (!isLiteral(b, i, j)) throw new JsonSyntaxError("Invalid literal", j);
      return j;
    }
    // JSON's number grammar, the fast path: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
    let ok = true;
    if (c === 45 /* - */) c = ++j < n ? b[j]! : END;
    if (c === 48) c = ++j < n ? b[j]! : END;
    else if (c >= 49 && c <= 57) {
      do c = ++j < n ? b[j]! : END;
      while (c >= 48 && c <= 57);
    } else ok = false;
    if (ok && c === 46 /* . */) {
      c = ++j < n ? b[j]! : END;
      if (c >= 48 && c <= 57) {
        do c = ++j < n ? b[j]! : END;
        while (c >= 48 && c <= 57);
      } else ok = false;
    }
    if (ok && (c === 101 || c === 69) /* e E */) {
      c = ++j < n ? b[j]! : END;
      if (c === 43 || c === 45) c = ++j < n ? b[j]! : END;
      if (c >= 48 && c <= 57) {
        do c = ++j < n ? b[j]! : END;
        while (c >= 48 && c <= 57);
      } else ok = false;
    }
    if (ok && j < n && isDelimiter(c)) return j;
    // anything else up to the next delimiter: what strtod reads whole, jq takes
    const strict = ok ? j : -1;
    j = tokenEnd(b, j, n);
    if (j >= n && !final) return MORE;
    if (j === strict) return j; // a JSON number that ends with the bytes
    if (i === j) throw new JsonSyntaxError(unexpected(c), i);
    if (!LENIENT_NUMBER.test(ascii(b, i, j))) throw new JsonSyntaxError("Invalid numeric literal", j);
    this.#lenient = true;
    return j;
  }

  /** Checks the escape at `e` (a backslash) as jq does; returns the index after it, or MORE. */
  #escape(e: number): number {
    const b = this.#bytes;
    const n = this.#length;
    this.#loneLow = false;
    if (e + 1 >= n) return MORE;
    const c = b[e + 1]!;
    if (c !== 117 /* u */) {
      if (c === QUOTE || c === BACKSLASH || c === 47 || c === 98 || c === 102 || c === 110 || c === 114 || c === 116) return e + 2;
      throw new JsonSyntaxError("Invalid escape", e + 1);
    }
    if (e + 6 > n) return MORE;
    const unit = hex4(b, e + 2);
    if (unit < 0) throw new JsonSyntaxError(b.subarray(e + 2, e + 6).includes(QUOTE) ? "Invalid \\uXXXX escape" : "Invalid characters in \\uXXXX escape", e);
    if (unit >= 0xd800 && unit <= 0xdbff) {
      if (e + 12 > n) {
        // not enough bytes to see the low half: more may come, unless the string ends first
        if (!b.subarray(e + 6).includes(QUOTE)) return MORE;
        throw new JsonSyntaxError("Invalid \\uXXXX\\uXXXX surrogate pair escape", e);
      }
      const low = b[e + 6] === BACKSLASH && b[e + 7] === 117 ? hex4(b, e + 8) : -1;
      if (low < 0xdc00 || low > 0xdfff) throw new JsonSyntaxError("Invalid \\uXXXX\\uXXXX surrogate pair escape", e);
      return e + 12;
    }
    if (unit >= 0xdc00 && unit <= 0xdfff) this.#loneLow = true; // jq reads U+FFFD
    return e + 6;
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

/** A string literal's value as jq reads it: like JSON.parse, with a lone low surrogate escape as U+FFFD. */
export function decodeString(literal: string): string {
  const value = JSON.parse(literal) as string;
  return literal.includes("\\u") ? value.replace(LONE_LOW, "\ufffd") : value;
}

export function skipSpace(b: Uint8Array, i: number): number {
  const n = b.length;
  while (i < n) {
    const c = b[i]!;
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else break;
  }
  return i;
}

/** 1 for the bytes a string holds as they are: not a quote, a backslash or a control character. */
const PLAIN = new Uint8Array(256).map((_, c) => (c >= 32 && c !== 34 && c !== 92 ? 1 : 0));

/** Past the last byte: compares unequal to every character, and is neither a control character nor a delimiter. */
const END = 0x100;
const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58;
const OPEN_BRACKET = 91, CLOSE_BRACKET = 93, OPEN_BRACE = 123, CLOSE_BRACE = 125;

// the text has no raw lone surrogates (it was decoded from UTF-8), and the scanner checked every high surrogate escape
const LONE_LOW = /(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const utf8 = new TextDecoder();

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** jq ends a number or literal token at whitespace, a quote or a structural character. */
function isDelimiter(c: number): boolean {
  return c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c === COLON || c === 32 || c === 10 || c === 13 || c === 9 || c === QUOTE || c === OPEN_BRACKET || c === OPEN_BRACE;
}

function tokenEnd(b: Uint8Array, i: number, n: number): number {
  while (i < n && !isDelimiter(b[i]!)) i++;
  return i;
}

function isLiteral(b: Uint8Array, i: number, j: number): boolean {
  const length = j - i;
  if (length === 4) {
    return (b[i] === 116 && b[i + 1] === 114 && b[i + 2] === 117 && b[i + 3] === 101) || (b[i] === 110 && b[i + 1] === 117 && b[i + 2] === 108 && b[i + 3] === 108);
  }
  return length === 5 && b[i] === 102 && b[i + 1] === 97 && b[i + 2] === 108 && b[i + 3] === 115 && b[i + 4] === 101;
}

/** The bytes [i, j) as text, one character a byte (tokens; a byte from 0x80 up makes a token invalid anyway). */
function ascii(b: Uint8Array, i: number, j: number): string {
  let s = "";
  for (let k = i; k < j; k++) s += String.fromCharCode(b[k]!);
  return s;
}

function hex4(b: Uint8Array, i: number): number {
  let v = 0;
  for (let k = i; k < i + 4; k++) {
    const c = b[k]!;
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/** Length and five characters of the key: equal keys hash equal, most different keys of an object do not. */
function weakHash(b: Uint8Array, start: number, end: number): number {
  const length = end - start;
  if (length === 0) return 0;
  let h = length;
  h = (Math.imul(h, 31) + b[start]!) | 0;
  h = (Math.imul(h, 31) + b[end - 1]!) | 0;
  h = (Math.imul(h, 31) + b[start + (length >> 1)]!) | 0;
  if (length > 3) {
    h = (Math.imul(h, 31) + b[start + 1]!) | 0;
    h = (Math.imul(h, 31) + b[end - 2]!) | 0;
  }
  return h;
}

/** weakHash of a decoded key's UTF-16 code units (the same as over its bytes when they are all ASCII). */
function weakHashOf(s: string): number {
  const length = s.length;
  if (length === 0) return 0;
  let h = length;
  h = (Math.imul(h, 31) + s.charCodeAt(0)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(length - 1)) | 0;
  h = (Math.imul(h, 31) + s.charCodeAt(length >> 1)) | 0;
  if (length > 3) {
    h = (Math.imul(h, 31) + s.charCodeAt(1)) | 0;
    h = (Math.imul(h, 31) + s.charCodeAt(length - 2)) | 0;
  }
  return h;
}

/** The key literal at [start, end) as jq reads it: UTF-8 (U+FFFD where it is not), escapes resolved. */
function decodeKey(b: Uint8Array, start: number, end: number): string {
  return decodeString(utf8.decode(b.subarray(start, end)));
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
