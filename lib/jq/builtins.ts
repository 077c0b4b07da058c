/**
 * jq 1.6's builtin functions on values — `length`, `keys`, `has`, `contains`, `startswith`, `endswith`,
 * `ascii_downcase`, `ascii_upcase`, `tostring`, `tonumber`, `type` — with jq's results and error messages
 * (src/builtin.c, src/jv.c, src/builtin.jq of jq 1.6). Each takes the input (and the argument's value).
 *
 *   length("😀é")            // 2: codepoints, as jq counts
 *   has([1, 2], 1.5)         // true: jq truncates the index
 *   contains({a: [1, 2]}, {a: [1]})   // true
 *
 * Where jq versions give different values for the same data, this follows jq 1.6 (the reference); the
 * cases are listed in README.md ("Where later versions differ on data").
 */
import { dumpTruncated, dumpValue } from "./dump.ts";
import { JqRuntimeError, JqVersionError } from "./errors.ts";
import { compareStrings, Kind, kindName, kindOf, valuesEqual } from "./order.ts";

/** `length`: codepoints of a string, elements, keys, |number|, 0 for null; booleans have none. */
export function length(input: unknown): number {
  switch (kindOf(input)) {
    case Kind.Null: return 0;
    case Kind.Number: return Math.abs(input as number);
    case Kind.String: return codepoints(input as string);
    case Kind.Array: return (input as unknown[]).length;
    case Kind.Object: return Object.keys(input as object).length;
    default: throw typeError(input, "has no length");
  }
}

/** `keys`: an object's keys sorted by codepoint, or an array's indices. */
export function keys(input: unknown): unknown[] {
  const kind = kindOf(input);
  if (kind === Kind.Array) return Array.from({ length: (input as unknown[]).length }, (_, i) => i);
  if (kind === Kind.Object) return Object.keys(input as object).sort(compareStrings);
  throw typeError(input, "has no keys");
}

/** `has(key)`: objects with string keys, arrays with numbers (truncated to an int, as jq's C cast does). */
export function has(input: unknown, key: unknown): boolean {
  const kind = kindOf(input);
  const keyKind = kindOf(key);
  if (kind === Kind.Null) return false;
  if (kind === Kind.Object && keyKind === Kind.String) return Object.hasOwn(input as object, key as string);
  if (kind === Kind.Array && keyKind === Kind.Number) {
    const index = key as number;
    // (int) of NaN or of a double outside int's range is INT_MIN on x86-64: never a valid index
    if (!(index > -2147483649 && index < 2147483648)) return false;
    const truncated = Math.trunc(index);
    return truncated >= 0 && truncated < (input as unknown[]).length;
  }
  throw new JqRuntimeError(`Cannot check whether ${kindName(input)} has a ${kindName(key)} key`);
}

/** `contains(b)`: same kind required at the top; then jq's recursive containment. */
export function contains(input: unknown, other: unknown): boolean {
  if (kindOf(input) !== kindOf(other)) {
    throw new JqRuntimeError(
      `${kindName(input)} (${dumpTruncated(input)}) and ${kindName(other)} (${dumpTruncated(other)}) cannot have their containment checked`,
    );
  }
  const answer = containsValue(input, other, false);
  if (!hasNul(input) && !hasNul(other)) return answer;
  if (containsValue(input, other, true) === answer) return answer;
  throw new JqVersionError(
    `contains: ${dumpTruncated(input)} and ${dumpTruncated(other)} hold NUL characters, where jq 1.6 (whose strings ` +
      `end at a NUL here) and jq 1.7+ answer differently; trailpost does not pick one`,
  );
}

/**
 * jv_contains: kinds differ → false; objects by key, arrays "every b in some a", strings by substring
 * (`nulEnds`: as jq 1.6's strstr, where both strings end at their first NUL).
 */
function containsValue(a: unknown, b: unknown, nulEnds: boolean): boolean {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  switch (kind) {
    case Kind.Object: {
      const objectA = a as Record<string, unknown>;
      const objectB = b as Record<string, unknown>;
      return Object.keys(objectB).every((key) => Object.hasOwn(objectA, key) && containsValue(objectA[key], objectB[key], nulEnds));
    }
    case Kind.Array:
      return (b as unknown[]).every((itemB) => (a as unknown[]).some((itemA) => containsValue(itemA, itemB, nulEnds)));
    case Kind.String:
      return nulEnds ? beforeNul(a as string).includes(beforeNul(b as string)) : (a as string).includes(b as string);
    default:
      return valuesEqual(a, b);
  }
}

/** `startswith(s)` / `endswith(s)`: strings only. */
export function startsWith(input: unknown, prefix: unknown): boolean {
  if (typeof input !== "string" || typeof prefix !== "string") throw new JqRuntimeError("startswith() requires string inputs");
  return input.startsWith(prefix);
}

export function endsWith(input: unknown, suffix: unknown): boolean {
  if (typeof input !== "string" || typeof suffix !== "string") throw new JqRuntimeError("endswith() requires string inputs");
  return input.endsWith(suffix);
}

/** `ascii_downcase` / `ascii_upcase`: only A-Z / a-z change (jq defines them with explode). */
export function asciiDowncase(input: unknown): string {
  if (typeof input !== "string") throw new JqRuntimeError("explode input must be a string");
  return input.replace(/[A-Z]+/g, (run) => run.toLowerCase());
}

export function asciiUpcase(input: unknown): string {
  if (typeof input !== "string") throw new JqRuntimeError("explode input must be a string");
  return input.replace(/[a-z]+/g, (run) => run.toUpperCase());
}

/** `tostring`: strings as they are, anything else as compact JSON (jq 1.6's number formatting). */
export function toString(input: unknown): string {
  return typeof input === "string" ? input : dumpValue(input);
}

/**
 * `tonumber`: numbers as they are; a string is read as JSON text, as jq 1.6 does (jv_parse), so "01", "+1",
 * ".5", "Infinity" are numbers and a bad string gets jq 1.6's parser message. Surrounding whitespace
 * (" 1") is refused: jq 1.6 and 1.7 accept it, jq 1.8 does not.
 */
export function toNumber(input: unknown): number {
  if (typeof input === "number") return input;
  if (typeof input !== "string") throw typeError(input, "cannot be parsed as a number");
  if (JSON_NUMBER.test(input)) return Number(input);
  const parsed = parseLikeJq16(input);
  if (typeof parsed === "string") throw new JqRuntimeError(`${parsed} (while parsing '${input}')`);
  if (parsed === NOT_A_NUMBER) throw typeError(input, "cannot be parsed as a number");
  if (parsed === UNKNOWN) {
    if (isJson(input)) throw typeError(input, "cannot be parsed as a number");
    throw new JqVersionError(
      `tonumber: ${dumpTruncated(input)} is not a number; jq 1.6 reports a JSON parse error here, ` +
        `which trailpost does not reproduce for text with quotes or brackets`,
    );
  }
  if (/^[ \t\r\n]|[ \t\r\n]$/.test(input)) {
    throw new JqVersionError(
      `tonumber: ${dumpTruncated(input)} has spaces around the number: jq 1.6 and 1.7 accept them, jq 1.8 does not`,
    );
  }
  return parsed;
}

const NOT_A_NUMBER = Symbol("a JSON value that is not a number");
const UNKNOWN = Symbol("JSON text this emulation does not follow");

/**
 * jq 1.6's jv_parse for text made of whitespace and bare tokens: the one number it holds, NOT_A_NUMBER
 * (true, false, null), jq's error message, or UNKNOWN once a quote or bracket appears.
 */
function parseLikeJq16(text: string): number | string | typeof NOT_A_NUMBER | typeof UNKNOWN {
  const bytes = encoder.encode(text);
  let line = 1;
  let column = 0;
  let token = "";
  let tokenBytes: number[] = [];
  const values: Array<number | typeof NOT_A_NUMBER> = [];
  const finish = (where: string): string | undefined => {
    if (tokenBytes.length === 0) return undefined;
    token = decoder.decode(new Uint8Array(tokenBytes));
    tokenBytes = [];
    const literal = /^[tfn]/.test(token);
    if (literal) {
      if (token !== "true" && token !== "false" && token !== "null") return `Invalid literal ${where}`;
      values.push(NOT_A_NUMBER);
      return undefined;
    }
    if (STRTOD.test(token)) values.push(Number(token.replace(/inf(inity)?$/i, "Infinity").replace(/^\+/, "")));
    else return `Invalid numeric literal ${where}`;
    return undefined;
  };
  for (const byte of bytes) {
    column++;
    if (byte === 0x0a) {
      line++;
      column = 0;
    }
    const whitespace = byte === 0x20 || byte === 0x09 || byte === 0x0d || byte === 0x0a;
    const other = byte === 0x22 || byte === 0x5b || byte === 0x5d || byte === 0x7b || byte === 0x7d || byte === 0x2c || byte === 0x3a;
    if (!whitespace && !other) {
      tokenBytes.push(byte);
      continue;
    }
    const problem = finish(`at line ${line}, column ${column}`);
    if (problem !== undefined) return problem;
    if (other) return UNKNOWN;
  }
  const problem = finish(`at EOF at line ${line}, column ${column}`);
  if (problem !== undefined) return problem;
  if (values.length === 0) return "Expected JSON value";
  if (values.length > 1) return "Unexpected extra JSON values";
  return values[0]!;
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/** David Gay's strtod, as jq 1.6 builds it: decimal numbers, and inf/infinity/nan in any case. */
const STRTOD = /^[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)$/i;

/** `type`: jq's kind name. */
export function typeOf(input: unknown): string {
  return kindName(input);
}

/** jq's type_error: `number (1) has no keys`. */
export function typeError(value: unknown, problem: string): JqRuntimeError {
  return new JqRuntimeError(`${kindName(value)} (${dumpTruncated(value)}) ${problem}`);
}

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function codepoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

/** Whether a string in the value (not an object key: containment compares keys whole) holds a NUL. */
function hasNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\u0000");
  if (Array.isArray(value)) return value.some(hasNul);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasNul);
  return false;
}

function beforeNul(text: string): string {
  const nul = text.indexOf("\u0000");
  return nul < 0 ? text : text.slice(0, nul);
}
