/**
 * A CloudTrail record as a bulk `create` action: where it goes, under which id (ids.ts), and the document text.
 *
 * - `_index` is `<prefix>-YYYY.MM.DD` from the record's `eventTime` in UTC: a pure function of the record, so a
 *   replay always lands in the same index.
 * - The document is the record as delivered plus `@timestamp`. Nothing in it may make the engine refuse it, so
 *   whatever the mapping (schema.ts) or the engine's field names cannot take is moved to
 *   `trailpost.unindexed["<path>"]` (stored, never parsed for fields; see unindexed.ts) and its path listed in
 *   `trailpost.unindexedPaths`. That is:
 *   - a value of the wrong type for its field: a string where an object is mapped, an object in a keyword, a
 *     number in a boolean, a date the engine cannot read;
 *   - a key the engine rejects or reads as a path: empty or blank, or with a dot, anywhere outside a flat field
 *     (`"a.b"`, `"userIdentity.type"` beside `userIdentity`); inside a flat field, empty or blank, or starting or
 *     ending with a dot or holding `..`;
 *   - inside a flat field, a leaf too long to index, or nesting deeper than FLAT_DEPTH_LIMIT;
 *   - the record's own `@timestamp` and `trailpost`.
 *   Keys that appear twice in one object (the engine answers "Duplicate field") keep their last value, as jq does.
 *   A record nested deeper than MAX_DEPTH levels cannot be sent at all: it is a RecordError (dead-lettered).
 *   When nothing has to move, the record's text goes through untouched (number spellings and all); otherwise it
 *   is rewritten from a lossless parse (lib/json/lossless.ts), so numbers beyond 2^53 keep every digit.
 *
 * ```ts
 * const action = await toAction(record.text, record.value, "cloudtrail", { ids, object: record.object });
 * ```
 */
import { isJsonObject, parseLossless, stringifyLossless, type JsonObject, type JsonValue } from "../json/lossless.ts";
import { eventIdOf, RecordIds } from "./ids.ts";
import { CLOUDTRAIL, FLAT_DEPTH_LIMIT, FLAT_LEAF_LIMIT, UNINDEXED, type Fields, type Leaf } from "./schema.ts";
import { encodePath } from "./unindexed.ts";

export interface IndexAction {
  index: string;
  id: string;
  /** The document, one line of JSON. */
  source: string;
  /** Paths moved to `trailpost.unindexed`. */
  unindexed: string[];
  /**
   * Set when the document is the record's text as given with `@timestamp` put in front: `source` is `head`
   * followed by the text less its `{`. bulk-body.ts then writes the two parts (no copy of the whole document as
   * one string) and reads the record back from the document. A stage that changes `source` must delete it.
   */
  head?: string;
}

export class RecordError extends Error {}

/**
 * The deepest nesting a record may have: the engines' JSON parser (Jackson) refuses more than 1,000 levels, and a
 * moved value gains a few (`trailpost.unindexed`). A deeper record is dead-lettered with that reason.
 */
export const MAX_DEPTH = 900;

export interface ActionOptions {
  /** Occurrence counting for records without an eventID; one per stream of objects. */
  ids?: RecordIds;
  /** The object the record came from (the scope of occurrence counting). */
  object?: string;
  /** An id the record was given before (a dead letter's), kept when it belongs to this content. */
  id?: string;
}

/** The record must be a JSON object with an ISO 8601 `eventTime`; anything else throws RecordError. */
export async function toAction(text: string, value: unknown, indexPrefix: string, options: ActionOptions = {}): Promise<IndexAction> {
  const { time, shape } = placed(text, value);
  const ids = options.ids ?? new RecordIds();
  let id: string;
  try {
    id = eventIdOf(value) ?? (await ids.idOf(text, value, options.object ?? "", options.id));
  } catch (error) {
    throw new RecordError(`cannot read the record to give it an id: ${error instanceof Error ? error.message : String(error)}`);
  }
  return actionOf(text, value as Record<string, unknown>, indexPrefix, time, shape, id);
}

/**
 * toAction without a promise, for a record whose id is its eventID (nearly all): undefined when the id has to be
 * made from the content (ids.ts, asynchronous), for toAction then. Measured: a promise per record cost bulk.ts
 * about 0.1 of its 2.2 CPU seconds.
 */
export function toActionNow(text: string, value: unknown, indexPrefix: string): IndexAction | undefined {
  const { time, shape } = placed(text, value);
  const id = eventIdOf(value);
  return id === undefined ? undefined : actionOf(text, value as Record<string, unknown>, indexPrefix, time, shape, id);
}

/** The checks that come before the id: an object, a valid eventTime, not nested too deep. */
function placed(text: string, value: unknown): { time: { iso: string; day: string }; shape: { keys: number; depth: number } } {
  if (!isPlainObject(value)) throw new RecordError(`not a CloudTrail record: a JSON ${typeName(value)}, not an object`);
  const eventTime = value.eventTime;
  const time = typeof eventTime === "string" ? parseEventTime(eventTime) : undefined;
  if (!time) throw new RecordError(`no valid eventTime (${eventTime === undefined ? "missing" : JSON.stringify(eventTime)?.slice(0, 100)})`);
  const shape = textShape(text);
  if (shape.depth > MAX_DEPTH) {
    throw new RecordError(`nested ${shape.depth} levels deep: more than ${MAX_DEPTH} (the engines refuse JSON nested deeper than 1,000 levels)`);
  }
  return { time, shape };
}

function actionOf(text: string, value: Record<string, unknown>, indexPrefix: string, time: { iso: string; day: string }, shape: { keys: number; depth: number }, id: string): IndexAction {
  const index = indexOf(indexPrefix, time.day);
  const scan = new Scan(text.length * 3 > FLAT_LEAF_LIMIT);
  scan.object(value, CLOUDTRAIL, true);
  // nothing to escape: parseEventTime gives only digits and `-T:.Z+`
  const stamp = `"@timestamp":"${time.iso}"`;
  if (scan.moves.length === 0 && scan.keys === shape.keys) {
    const body = text.trim();
    if (/^\{\s*\}$/.test(body)) return { index, id, source: `{${stamp}}`, unindexed: [] };
    const head = `{${stamp},`;
    const source = head + body.slice(1);
    return body.length === text.length ? { index, id, source, unindexed: [], head } : { index, id, source, unindexed: [] };
  }
  let record: JsonValue;
  try {
    record = parseLossless(text);
  } catch (error) {
    throw new RecordError(`cannot rewrite the record: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (!isJsonObject(record)) throw new RecordError("not a CloudTrail record");
  const unindexed: JsonObject = new Map();
  for (const path of scan.moves) {
    const moved = takePath(record, path);
    if (moved !== undefined) unindexed.set(encodePath(path), moved);
  }
  const doc: JsonObject = new Map([["@timestamp", time.iso]]);
  for (const [key, v] of record) if (key !== "@timestamp") doc.set(key, v);
  const paths = [...unindexed.keys()];
  if (paths.length) doc.set(UNINDEXED, new Map<string, JsonValue>([["unindexed", unindexed], ["unindexedPaths", paths]]));
  return { index, id, source: stringifyLossless(doc), unindexed: paths };
}

/** `<prefix>-YYYY.MM.DD`; the last one is kept (records come in runs of one day). */
function indexOf(prefix: string, day: string): string {
  if (prefix !== last.prefix || day !== last.day) Object.assign(last, { prefix, day, index: `${prefix}-${day.replaceAll("-", ".")}` });
  return last.index;
}

const last = { prefix: "", day: "", index: "" };

/** `2013-12-07T05:03:12Z` and other ISO 8601 date-times; a date-time without an offset is UTC. */
export function parseEventTime(text: string): { iso: string; day: string } | undefined {
  if (text.length === 20 && plainUtc(text)) return { iso: text, day: text.slice(0, 10) };
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const offset = m[8] && m[8] !== "Z" ? m[8].replace(/^([+-]\d{2})(\d{2})$/, "$1:$2") : "Z";
  const normalized = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${m[7] ? m[7].slice(0, 4) : ""}${offset}`;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return undefined;
  if (offset !== "Z" && (Number(offset.slice(1, 3)) > 18 || Number(offset.slice(4, 6)) > 59)) return undefined;
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) return undefined;
  const date = new Date(ms);
  const utcYear = date.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return undefined;
  return { iso: offset === "Z" ? text : date.toISOString(), day: date.toISOString().slice(0, 10) };
}

/**
 * `YYYY-MM-DDTHH:MM:SSZ` (CloudTrail's own form) naming a real UTC date-time in years 1-9999: what the general
 * path above accepts with `iso` the text itself and `day` its first ten characters, without a Date.
 */
function plainUtc(t: string): boolean {
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(10) !== 84 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58 || t.charCodeAt(19) !== 90) return false;
  const year = digits(t, 0, 4);
  const month = digits(t, 5, 2);
  const day = digits(t, 8, 2);
  const hour = digits(t, 11, 2);
  const minute = digits(t, 14, 2);
  const second = digits(t, 17, 2);
  if (year < 1 || month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 ? (leap ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31);
}

/** The number written by `length` ASCII digits at `at`; -1 if any is not a digit. */
function digits(t: string, at: number, length: number): number {
  let n = 0;
  for (let i = at; i < at + length; i++) {
    const d = t.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/**
 * One walk over a record: the paths to move, and how many keys it has (to find keys that appear twice, which
 * JSON.parse silently merges: the text then has more keys than the value). The path to where it is walking is
 * one stack, pushed and popped: a path is copied only for a move (most keys of most records never need one).
 */
class Scan {
  readonly moves: string[][] = [];
  keys = 0;
  readonly path: string[] = [];

  constructor(readonly checkFlatLeaves: boolean) {}

  /** An object with a mapping (`fields`), or unmapped (`undefined`: only its keys are checked). */
  object(value: Record<string, unknown>, fields: Fields | undefined, root = false): void {
    const mapped = fields && fieldsOf(fields);
    // for-in: no array of the keys per object; a parsed value has only its own keys (Object.prototype none enumerable)
    for (const key in value) {
      this.keys++;
      const v = value[key];
      // ours, and the engine's metadata fields (`_id`, `_source`, …), which a document may not hold
      if (root && (key === "@timestamp" || key === UNINDEXED || key.charCodeAt(0) === 95)) {
        this.move(key, v);
        continue;
      }
      if (!safeKey(key)) {
        this.move(key, v);
        continue;
      }
      const spec = mapped?.get(key);
      if (spec === undefined) {
        if (typeof v === "object" && v !== null) this.inside(key, v, undefined);
      } else if (typeof spec === "object") this.inside(key, v, spec);
      else if (spec === "flat") {
        if (v === null) continue;
        if (isPlainObject(v)) {
          this.path.push(key);
          this.flat(v, 1);
          this.path.pop();
        } else this.move(key, v);
      } else if (!leafFits(spec, v)) this.move(key, v);
      else this.count(v);
    }
  }

  /** The value of `key`: a mapped object (`spec`) or unmapped (undefined); moved whole when it does not fit. */
  inside(key: string, v: unknown, spec: Fields | undefined): void {
    this.path.push(key);
    const fits = spec ? this.mappedObject(v, spec) : this.unmapped(v);
    this.path.pop();
    if (!fits) this.move(key, v);
  }

  /** False when the value must move whole (the caller moves it: move() counts its keys, not this walk). */
  mappedObject(v: unknown, spec: Fields): boolean {
    if (v === null) return true;
    if (isPlainObject(v)) {
      this.object(v, spec);
      return true;
    }
    return Array.isArray(v) && v.every(nullOrObject) && this.elements(v, spec);
  }

  /** Not in the mapping (`dynamic: false`): stored, not indexed; but the engine still reads its keys. */
  unmapped(v: unknown): boolean {
    if (isPlainObject(v)) this.object(v, undefined);
    else if (Array.isArray(v)) return this.elements(v, undefined);
    return true;
  }

  /**
   * An array's elements: paths do not index arrays, so one element that needs a move moves the whole array. Its
   * keys are counted here only when it stays (a move counts them again).
   */
  elements(v: unknown[], spec: Fields | undefined): boolean {
    const inner = new Scan(this.checkFlatLeaves);
    inner.path.push(...this.path);
    for (const e of v) {
      if (spec) {
        if (e) inner.object(e as Record<string, unknown>, spec);
      } else if (!inner.unmapped(e)) return false;
    }
    if (inner.moves.length) return false;
    this.keys += inner.keys;
    return true;
  }

  /** Inside a flat field (flattened / flat_object): one field, any inner paths, with limits per leaf and depth. */
  flat(value: Record<string, unknown>, depth: number): void {
    for (const key in value) {
      this.keys++;
      const v = value[key];
      if (!safeFlatKey(key) || depth >= FLAT_DEPTH_LIMIT) this.move(key, v);
      else if (isPlainObject(v)) {
        this.path.push(key);
        this.flat(v, depth + 1);
        this.path.pop();
      } else if (Array.isArray(v)) {
        this.path.push(key);
        const fits = flatArrayFits(v, this.path, depth + 1, this.checkFlatLeaves);
        this.path.pop();
        if (fits) this.count(v);
        else this.move(key, v);
      } else if (this.checkFlatLeaves) {
        this.path.push(key);
        const fits = flatLeafFits(v, this.path, true);
        this.path.pop();
        if (!fits) this.move(key, v);
      }
    }
  }

  /** `key` (under the current path) moves to trailpost.unindexed: counted with everything inside it. */
  move(key: string, v: unknown): void {
    this.count(v); // the key itself was counted by the caller
    this.moves.push([...this.path, key]);
  }

  /** Counts the keys inside a value that is not walked further. */
  count(v: unknown): void {
    if (Array.isArray(v)) for (const e of v) this.count(e);
    else if (isPlainObject(v)) {
      for (const key in v) {
        this.keys++;
        this.count(v[key]);
      }
    }
  }
}

function nullOrObject(e: unknown): boolean {
  return e === null || isPlainObject(e);
}

/** A mapping's fields as a Map, made once per mapping object (a lookup per key of every record). */
function fieldsOf(fields: Fields): Map<string, Leaf | Fields> {
  let map = fieldMaps.get(fields);
  if (!map) fieldMaps.set(fields, (map = new Map(Object.entries(fields))));
  return map;
}

const fieldMaps = new WeakMap<Fields, Map<string, Leaf | Fields>>();

/** Outside flat fields: the engines read a dot as a path separator, and refuse empty or blank names. */
function safeKey(key: string): boolean {
  return key.length > 0 && !key.includes(".") && !isBlank(key);
}

/** Inside flat fields keys may hold dots (they are joined into one path), but no empty path segment. */
function safeFlatKey(key: string): boolean {
  return key.length > 0 && !isBlank(key) && !key.startsWith(".") && !key.endsWith(".") && !key.includes("..");
}

function isBlank(key: string): boolean {
  const first = key.charCodeAt(0);
  if (first > 32 && first < 0x7f) return false;
  return /^[\s\u0000-\u001f\u007f\u0085\u200b\ufeff]*$/u.test(key);
}

function leafFits(leaf: Leaf, v: unknown): boolean {
  switch (leaf) {
    case "boolean":
      return scalars(v, booleanFits);
    case "date":
      return scalars(v, dateFits);
    default: // keyword, text, ip-keyword, lenient-date: any scalar (long or malformed values are ignored, not rejected)
      return scalars(v, anyFits);
  }
}

const booleanFits = (s: unknown) => typeof s === "boolean" || s === "true" || s === "false" || s === "";
const dateFits = (s: unknown) => (typeof s === "string" && parseEventTime(s) !== undefined) || (typeof s === "number" && Number.isSafeInteger(s) && Math.abs(s) <= MAX_EPOCH_MILLIS);
const anyFits = () => true;

/** 9999-12-31T23:59:59.999Z */
const MAX_EPOCH_MILLIS = 253_402_300_799_999;

/** A scalar, or an array (of arrays) of scalars, each passing `ok`. */
function scalars(v: unknown, ok: (s: unknown) => boolean): boolean {
  if (Array.isArray(v)) {
    for (const e of v) if (e !== null && !scalars(e, ok)) return false;
    return true;
  }
  return v === null || ((typeof v === "string" || typeof v === "number" || typeof v === "boolean") && ok(v));
}

/** An array inside a flat field fits (keys, depth, leaves); `at` is the path to it, a stack this pushes and pops. */
function flatArrayFits(v: unknown[], at: string[], depth: number, checkLeaves: boolean): boolean {
  if (depth > FLAT_DEPTH_LIMIT) return false;
  for (const e of v) {
    if (Array.isArray(e)) {
      if (!flatArrayFits(e, at, depth, checkLeaves)) return false;
    } else if (isPlainObject(e)) {
      for (const key in e) {
        if (!safeFlatKey(key) || depth >= FLAT_DEPTH_LIMIT) return false;
        const inner = e[key];
        at.push(key);
        const fits = isPlainObject(inner) ? flatArrayFits([inner], at, depth + 1, checkLeaves) : Array.isArray(inner) ? flatArrayFits(inner, at, depth + 1, checkLeaves) : flatLeafFits(inner, at, checkLeaves);
        at.pop();
        if (!fits) return false;
      }
    } else if (!flatLeafFits(e, at, checkLeaves)) return false;
  }
  return true;
}

/** A leaf is indexed as one term, `<path>\0<value>`: it must stay under Lucene's term limit. */
function flatLeafFits(v: unknown, at: string[], checkLeaves: boolean): boolean {
  if (!checkLeaves || v === null || typeof v === "boolean") return true;
  const text = typeof v === "string" ? v : String(v);
  let pathLength = at.length;
  for (const key of at) pathLength += key.length;
  if (text.length * 3 + pathLength * 3 <= FLAT_LEAF_LIMIT) return true;
  return utf8Length(text) + utf8Length(at.join(".")) + 1 <= FLAT_LEAF_LIMIT;
}

/** Removes the value at `path` from the tree and returns it (undefined when not there). */
function takePath(root: JsonObject, path: string[]): JsonValue | undefined {
  let node: JsonObject = root;
  for (const key of path.slice(0, -1)) {
    const next = node.get(key);
    if (!isJsonObject(next)) return undefined;
    node = next;
  }
  const last = path.at(-1)!;
  const value = node.get(last);
  node.delete(last);
  return value;
}

/**
 * How many keys a JSON text has (each `:` outside a string belongs to one key; compared with the keys of the parsed
 * value, it tells whether a key appears twice in one object), and how deep it nests.
 */
export function textShape(text: string): { keys: number; depth: number } {
  let keys = 0;
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 58) keys++;
    else if (c === 123 || c === 91) {
      if (++depth > deepest) deepest = depth;
    } else if (c === 125 || c === 93) depth--;
    else if (c === 34) {
      for (;;) {
        const q = text.indexOf('"', i + 1);
        if (q < 0) return { keys, depth: deepest };
        let backslashes = 0;
        for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
        i = q;
        if (backslashes % 2 === 0) break;
      }
    }
  }
  return { keys, depth: deepest };
}

export function keysInText(text: string): number {
  return textShape(text).keys;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function typeName(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "array" : typeof v;
}

/** UTF-8 length of a string, without encoding it (no allocation per record). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) n += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 2; // a surrogate pair: 2 code units, 4 bytes
      i++;
    } else n += 2;
  }
  return n;
}
