/**
 * jq's total order and equality of JSON values (jv_cmp / jv_equal):
 *
 *   null < false < true < numbers < strings < arrays < objects
 *
 * numbers compare as doubles; strings by Unicode code point (jq compares
 * UTF-8 bytes, which orders the same); arrays lexicographically (a proper
 * prefix sorts first); objects first by their sorted key lists, compared as
 * arrays of strings, then by their values taken in sorted key order.
 */
import { JqRuntimeError } from "./errors.ts";

/** jq's kinds, numbered in jq's sort order. */
export const Kind = {
  Null: 0,
  False: 1,
  True: 2,
  Number: 3,
  String: 4,
  Array: 5,
  Object: 6,
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

const KIND_NAMES = ["null", "boolean", "boolean", "number", "string", "array", "object"] as const;

/** The kind of a value as `JSON.parse` produces it. */
export function kindOf(value: unknown): Kind {
  switch (typeof value) {
    case "string": return Kind.String;
    case "number": return Kind.Number;
    case "boolean": return value ? Kind.True : Kind.False;
    case "object":
      if (value === null) return Kind.Null;
      return Array.isArray(value) ? Kind.Array : Kind.Object;
    default:
      throw new JqRuntimeError(`not a JSON value: ${typeof value}`);
  }
}

/** jq's name for a kind, as used in its error messages ("boolean" for true and false). */
export function kindName(value: unknown): string {
  return KIND_NAMES[kindOf(value)];
}

/** jq's truthiness: everything except `null` and `false`. */
export function isTruthy(value: unknown): boolean {
  return value !== null && value !== false;
}

/**
 * Maps a UTF-16 code unit so that comparing mapped units orders strings by code
 * point: units from U+E000 up move below the surrogates, which encode U+10000 and above.
 */
function codePointOrderOf(unit: number): number {
  if (unit < 0xd800) return unit;
  return unit >= 0xe000 ? unit - 0x800 : unit + 0x2000;
}

/** Orders two strings by Unicode code point (not by UTF-16 code unit, as JavaScript's `<` does). */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0;
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointOrderOf(x) < codePointOrderOf(y) ? -1 : 1;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

/** Own keys of a JSON object, sorted the way jq's `keys` sorts them. */
function sortedKeys(object: object): string[] {
  return Object.keys(object).sort(compareStrings);
}

/** jq's total order: negative, zero or positive as `a` sorts before, with, or after `b`. */
export function compareValues(a: unknown, b: unknown): number {
  const kindA = kindOf(a);
  const kindB = kindOf(b);
  if (kindA !== kindB) return kindA < kindB ? -1 : 1;
  switch (kindA) {
    case Kind.Number: {
      const x = a as number;
      const y = b as number;
      return x < y ? -1 : x === y ? 0 : 1;
    }
    case Kind.String:
      return compareStrings(a as string, b as string);
    case Kind.Array:
      return compareArrays(a as readonly unknown[], b as readonly unknown[]);
    case Kind.Object:
      return compareObjects(a as Record<string, unknown>, b as Record<string, unknown>);
    default:
      return 0;
  }
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  const length = Math.min(a.length, b.length);
  for (let i = 0; i < length; i++) {
    const order = compareValues(a[i], b[i]);
    if (order !== 0) return order;
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0;
}

function compareObjects(a: Record<string, unknown>, b: Record<string, unknown>): number {
  const keysA = sortedKeys(a);
  const keysB = sortedKeys(b);
  const byKeys = compareArrays(keysA, keysB);
  if (byKeys !== 0) return byKeys;
  for (const key of keysA) {
    const order = compareValues(a[key], b[key]);
    if (order !== 0) return order;
  }
  return 0;
}

/** jq's `==`: deep equality, numbers by value (so `1 == 1.0`), object key order irrelevant. */
export function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const isArray = Array.isArray(a);
  if (isArray !== Array.isArray(b)) return false;
  if (isArray) {
    const x = a as readonly unknown[];
    const y = b as readonly unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!valuesEqual(x[i], y[i])) return false;
    return true;
  }
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  for (const key of keys) {
    if (!Object.hasOwn(y, key) || !valuesEqual(x[key], y[key])) return false;
  }
  return true;
}
