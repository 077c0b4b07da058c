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
  return containsValue(input, other);
}

/** jv_contains: kinds differ → false; objects by key, arrays "every b in some a", strings by substring. */
function containsValue(a: unknown, b: unknown): boolean {
  const kind = kindOf(a);
  if (kind !== kindOf(b)) return false;
  switch (kind) {
    case Kind.Object: {
      const objectA = a as Record<string, unknown>;
      const objectB = b as Record<string, unknown>;
      return Object.keys(objectB).every((key) => Object.hasOwn(objectA, key) && containsValue(objectA[key], objectB[key]));
    }
    case Kind.Array:
      return (b as unknown[]).every((itemB) => (a as unknown[]).some((itemA) => containsValue(itemA, itemB)));
    case Kind.String: {
      const whole = (a as string).includes(b as string);
      if (!(a as string).includes("\u0000") && !(b as string).includes("\u0000")) return whole;
      // jq 1.6 compares with strstr, where both strings end at their first NUL; jq 1.7+ compares them whole
      if (beforeNul(a as string).includes(beforeNul(b as string)) === whole) return whole;
      throw new JqVersionError(
        `contains: ${dumpTruncated(a)} and ${dumpTruncated(b)} hold a NUL character, where jq 1.6 (which stops at it) ` +
          `and jq 1.7+ disagree; trailpost does not pick one`,
      );
    }
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
 * `tonumber`: numbers as they are; strings holding a JSON number. jq 1.6 parses the string as JSON text,
 * so it also takes surrounding whitespace, leading zeros and "+" or a bare "." (" 1", "01", "1.", ".5"),
 * where jq 1.8 differs; those are refused here (JqVersionError), rather than answered for one version.
 */
export function toNumber(input: unknown): number {
  if (typeof input === "number") return input;
  if (typeof input !== "string") throw typeError(input, "cannot be parsed as a number");
  if (JSON_NUMBER.test(input)) return Number(input);
  if (LOOSE_NUMBER.test(input)) {
    throw new JqVersionError(
      `tonumber: ${dumpValue(input)} is not a plain JSON number, and jq versions read it differently ` +
        `(jq 1.6 accepts spaces, leading zeros, "+" and a bare ".", jq 1.8 does not)`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(input);
  } catch {
    parsed = undefined;
  }
  if (parsed !== undefined) throw typeError(input, "cannot be parsed as a number");
  if (/^[ \t\r\n]*$/.test(input)) throw new JqRuntimeError(`Expected JSON value (while parsing '${input}')`);
  if (/^[^ \t\r\n"[\]{},:\u0000-\u001f\u007f]+$/.test(input)) {
    // one token that is not a number: jq 1.6's JSON parser names it
    const problem = /^[tfn]/.test(input) ? "Invalid literal" : "Invalid numeric literal";
    throw new JqRuntimeError(`${problem} at EOF at line 1, column ${utf8Bytes(input)} (while parsing '${input}')`);
  }
  throw new JqRuntimeError(`tonumber: ${dumpValue(input)} cannot be parsed as a number (jq 1.6 reports a JSON parse error here)`);
}

/** `type`: jq's kind name. */
export function typeOf(input: unknown): string {
  return kindName(input);
}

/** jq's type_error: `number (1) has no keys`. */
export function typeError(value: unknown, problem: string): JqRuntimeError {
  return new JqRuntimeError(`${kindName(value)} (${dumpTruncated(value)}) ${problem}`);
}

const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/;
const LOOSE_NUMBER = /^[ \t\r\n]*[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\r\n]*$/;

const encoder = new TextEncoder();
const utf8Bytes = (text: string): number => encoder.encode(text).length;

function codepoints(text: string): number {
  let count = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0xdc00 || unit > 0xdfff) count++;
  }
  return count;
}

function beforeNul(text: string): string {
  const nul = text.indexOf("\u0000");
  return nul < 0 ? text : text.slice(0, nul);
}
