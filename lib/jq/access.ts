/**
 * The primitive operations of the subset — indexing, iterating, negating —
 * with jq's rules for each kind of value and jq 1.6/1.7's error messages.
 */
import { dumpTruncated, utf8Length } from "./dump.ts";
import { JqRuntimeError } from "./errors.ts";
import { kindName } from "./order.ts";
import { documentKeyOrder } from "./json.ts";

/** Returned by `lookup` where jq would raise an error instead of producing a value. */
export const NO_VALUE: unique symbol = Symbol("no value");

/**
 * `.[key]` without raising: `null` for missing keys, out-of-range indices and a
 * null target; `NO_VALUE` where jq raises (wrong kind of target for the key).
 * Only own properties count, so `.constructor` or `.__proto__` behave as plain keys.
 */
export function lookup(target: unknown, key: string | number): unknown {
  if (target === null) return null;
  if (typeof target !== "object") return NO_VALUE;
  if (typeof key === "string") {
    if (Array.isArray(target)) return NO_VALUE;
    return Object.hasOwn(target, key) ? (target as Record<string, unknown>)[key] : null;
  }
  if (!Array.isArray(target)) return NO_VALUE;
  const position = key < 0 ? key + target.length : key;
  return position >= 0 && position < target.length ? target[position] : null;
}

/** `.[key]`: the value, or jq's error ("Cannot index number with string \"a\""). */
export function index(target: unknown, key: string | number): unknown {
  const value = lookup(target, key);
  if (value === NO_VALUE) throw indexError(target, key);
  return value;
}

/** jq (jv_get) quotes a string key only when it is shorter than 30 UTF-8 bytes, up to its first NUL. */
export function indexError(target: unknown, key: string | number): JqRuntimeError {
  const kind = kindName(target);
  if (typeof key === "number") return new JqRuntimeError(`Cannot index ${kind} with number`);
  if (utf8Length(key) >= 30) return new JqRuntimeError(`Cannot index ${kind} with string`);
  const nul = key.indexOf("\0");
  return new JqRuntimeError(`Cannot index ${kind} with string "${nul < 0 ? key : key.slice(0, nul)}"`);
}

/**
 * `.[]`: emits the elements of an array, or the values of an object in its
 * document key order (see json.ts). Returns false (emitting nothing) for anything else.
 */
export function iterate(container: unknown, emit: (value: unknown) => void): boolean {
  if (typeof container !== "object" || container === null) return false;
  if (Array.isArray(container)) {
    for (let i = 0; i < container.length; i++) emit(container[i]);
    return true;
  }
  const object = container as Record<string, unknown>;
  const order = documentKeyOrder.get(object);
  if (order) {
    for (const key of order) emit(object[key]);
    return true;
  }
  for (const key in object) {
    if (Object.hasOwn(object, key)) emit(object[key]);
  }
  return true;
}

/** jq's error for `.[]` on a scalar: "Cannot iterate over number (123)". */
export function iterationError(container: unknown): JqRuntimeError {
  return new JqRuntimeError(`Cannot iterate over ${kindName(container)} (${dumpTruncated(container)})`);
}

/** Unary minus: numbers only, otherwise jq's "string (\"a\") cannot be negated". */
export function negate(value: unknown): number {
  if (typeof value === "number") return -value;
  throw new JqRuntimeError(`${kindName(value)} (${dumpTruncated(value)}) cannot be negated`);
}
