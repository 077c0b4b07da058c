/**
 * JSON text as a tree that keeps what `JSON.parse` loses: every number's spelling (`1.10`, `12345678901234567891`,
 * `1e400`), and each object's keys in document order (JavaScript objects move integer-like keys first). Duplicate
 * keys are resolved as jq resolves them: the last value wins, at the position of the first.
 *
 * ```ts
 * const tree = parseLossless('{"n":12345678901234567891,"a":1,"a":2}');
 * stringifyLossless(tree); // '{"n":12345678901234567891,"a":2}'
 * ```
 *
 * It is slower than `JSON.parse`: the search side uses it only for records it must rewrite, and for ids.
 */

/** A JSON number, as spelled in the text. */
export class JsonNumber {
  constructor(readonly raw: string) {}
}

export type JsonValue = null | boolean | string | JsonNumber | JsonValue[] | JsonObject;
/** Keys in document order; a Map keeps a replaced key at its first position, as jq does. */
export type JsonObject = Map<string, JsonValue>;

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return v instanceof Map;
}

/** Parses JSON text (one value, surrounding whitespace allowed); throws a SyntaxError naming the offset. */
export function parseLossless(text: string): JsonValue {
  const parser = new Parser(text);
  parser.ws();
  const value = parser.value(0);
  parser.ws();
  if (parser.i !== text.length) parser.fail("unexpected text after the value");
  return value;
}

/** Compact JSON: keys in tree order, numbers as spelled, strings in JSON.stringify's escaping. */
export function stringifyLossless(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof JsonNumber) return value.raw;
  if (Array.isArray(value)) return `[${value.map(stringifyLossless).join(",")}]`;
  let out = "{";
  for (const [key, v] of value) out += `${out.length > 1 ? "," : ""}${JSON.stringify(key)}:${stringifyLossless(v)}`;
  return out + "}";
}

/** The JavaScript value `JSON.parse` would give (numbers become doubles; for comparisons and tests). */
export function toPlain(value: JsonValue): unknown {
  if (value instanceof JsonNumber) return Number(value.raw);
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) Object.defineProperty(out, k, { value: toPlain(v), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

/** Deepest nesting the parser follows; deeper text is refused rather than overflowing the stack. */
export const MAX_DEPTH = 1000;

class Parser {
  i = 0;
  constructor(readonly text: string) {}

  fail(what: string): never {
    throw new SyntaxError(`${what} at offset ${this.i}`);
  }

  ws(): void {
    const t = this.text;
    for (;;) {
      const c = t.charCodeAt(this.i);
      if (c === 32 || c === 10 || c === 13 || c === 9) this.i++;
      else return;
    }
  }

  value(depth: number): JsonValue {
    const t = this.text;
    const c = t.charCodeAt(this.i);
    if (c === 123 /* { */) return this.object(depth + 1);
    if (c === 91 /* [ */) return this.array(depth + 1);
    if (c === 34 /* " */) return this.string();
    if (t.startsWith("true", this.i)) return (this.i += 4), true;
    if (t.startsWith("false", this.i)) return (this.i += 5), false;
    if (t.startsWith("null", this.i)) return (this.i += 4), null;
    NUMBER.lastIndex = this.i;
    const m = NUMBER.exec(t);
    if (!m) this.fail(Number.isNaN(c) ? "unexpected end of JSON" : `unexpected ${JSON.stringify(t[this.i])}`);
    this.i += m[0].length;
    return new JsonNumber(m[0]);
  }

  object(depth: number): JsonObject {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const t = this.text;
    const out: JsonObject = new Map();
    this.i++;
    this.ws();
    if (t.charCodeAt(this.i) === 125 /* } */) return this.i++, out;
    for (;;) {
      this.ws();
      if (t.charCodeAt(this.i) !== 34) this.fail("expected a string key");
      const key = this.string();
      this.ws();
      if (t.charCodeAt(this.i) !== 58 /* : */) this.fail('expected ":"');
      this.i++;
      this.ws();
      out.set(key, this.value(depth));
      this.ws();
      const c = t.charCodeAt(this.i++);
      if (c === 44 /* , */) continue;
      if (c === 125 /* } */) return out;
      this.i--;
      this.fail('expected "," or "}"');
    }
  }

  array(depth: number): JsonValue[] {
    if (depth > MAX_DEPTH) this.fail(`nesting deeper than ${MAX_DEPTH}`);
    const t = this.text;
    const out: JsonValue[] = [];
    this.i++;
    this.ws();
    if (t.charCodeAt(this.i) === 93 /* ] */) return this.i++, out;
    for (;;) {
      this.ws();
      out.push(this.value(depth));
      this.ws();
      const c = t.charCodeAt(this.i++);
      if (c === 44) continue;
      if (c === 93) return out;
      this.i--;
      this.fail('expected "," or "]"');
    }
  }

  string(): string {
    const t = this.text;
    const start = this.i;
    let from = start + 1;
    for (;;) {
      const q = t.indexOf('"', from);
      if (q < 0) this.fail("unterminated string");
      let backslashes = 0;
      for (let k = q - 1; t.charCodeAt(k) === 92; k--) backslashes++;
      if (backslashes % 2 === 0) {
        this.i = q + 1;
        const raw = t.slice(start + 1, q);
        if (!NEEDS_DECODING.test(raw)) return raw;
        if (CONTROL.test(raw)) this.fail("raw control character in a string");
        try {
          return JSON.parse(t.slice(start, q + 1)) as string;
        } catch {
          this.i = start;
          return this.fail("invalid escape in a string");
        }
      }
      from = q + 1;
    }
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const NEEDS_DECODING = /[\\\u0000-\u001f]/;
const CONTROL = /[\u0000-\u001f]/;
