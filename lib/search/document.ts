/**
 * A CloudTrail record as a bulk `create` action: where it goes, under which id, and the document text.
 *
 * - `_index` is `<prefix>-YYYY.MM.DD` from the record's `eventTime` in UTC: a pure function of the record, so a
 *   replay always lands in the same index.
 * - `_id` is the `eventID`. Records without one (eventVersion 1.0, 2013's logs) get the SHA-256 of their
 *   canonical content (keys sorted), so re-running never duplicates and distinct records never collide.
 * - The document is the record as delivered plus `@timestamp`. A value the mapping (schema.ts) cannot take, such
 *   as a string where an object is mapped or a 40 KB leaf in a flat field, is moved to
 *   `trailpost.unindexed["<path>"]` (stored, not indexed) and its path listed in `trailpost.unindexedPaths`,
 *   so the record still lands, whole.
 */
import { CLOUDTRAIL, FLAT_DEPTH_LIMIT, FLAT_LEAF_LIMIT, UNINDEXED, type Fields, type Leaf } from "./schema.ts";

export interface IndexAction {
  index: string;
  id: string;
  /** The document, one line of JSON. */
  source: string;
  /** Paths moved to `trailpost.unindexed`. */
  unindexed: string[];
}

export class RecordError extends Error {}

/** The record must be a JSON object with an ISO 8601 `eventTime`; anything else throws RecordError. */
export async function toAction(text: string, value: unknown, indexPrefix: string): Promise<IndexAction> {
  if (!isPlainObject(value)) throw new RecordError(`not a CloudTrail record: a JSON ${typeName(value)}, not an object`);
  const eventTime = value.eventTime;
  const time = typeof eventTime === "string" ? parseEventTime(eventTime) : undefined;
  if (!time) throw new RecordError(`no valid eventTime (${eventTime === undefined ? "missing" : JSON.stringify(eventTime)})`);
  const index = `${indexPrefix}-${time.day.replaceAll("-", ".")}`;
  const eventID = value.eventID;
  const id = typeof eventID === "string" && eventID.length > 0 && utf8Length(eventID) <= 512 ? eventID : await contentHash(value);

  const misfits: Misfit[] = [];
  findMisfits(value, CLOUDTRAIL, "", misfits, text.length * 3 > FLAT_LEAF_LIMIT);
  const stamp = `"@timestamp":${JSON.stringify(time.iso)}`;
  if (misfits.length === 0 && !Object.hasOwn(value, "@timestamp") && !Object.hasOwn(value, UNINDEXED)) {
    const body = text.trimStart();
    const empty = /^\{\s*\}$/.test(text.trim());
    return { index, id, source: empty ? `{${stamp}}` : `{${stamp},${body.slice(1)}`, unindexed: [] };
  }
  const doc: Record<string, unknown> = { "@timestamp": time.iso, ...value };
  doc["@timestamp"] = time.iso; // the record's own @timestamp, if any, is kept aside below
  const unindexed: Record<string, unknown> = Object.create(null);
  if (Object.hasOwn(value, "@timestamp")) unindexed["@timestamp"] = value["@timestamp"];
  if (Object.hasOwn(value, UNINDEXED)) unindexed[UNINDEXED] = value[UNINDEXED];
  for (const misfit of misfits) {
    if (misfit.path === "@timestamp") continue; // ours is eventTime; the record's own is kept aside above
    unindexed[misfit.path] = misfit.value;
    removePath(doc, misfit.path.split("."));
  }
  const paths = Object.keys(unindexed);
  doc[UNINDEXED] = { unindexed, unindexedPaths: paths };
  return { index, id, source: JSON.stringify(doc), unindexed: paths };
}

/** `2013-12-07T05:03:12Z` and other ISO 8601 date-times; a date-time without an offset is UTC. */
export function parseEventTime(text: string): { iso: string; day: string } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const offset = m[8] && m[8] !== "Z" ? m[8].replace(/^([+-]\d{2})(\d{2})$/, "$1:$2") : "Z";
  const normalized = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${m[7] ? m[7].slice(0, 4) : ""}${offset}`;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return undefined;
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) return undefined;
  const date = new Date(ms);
  return { iso: offset === "Z" ? text : date.toISOString(), day: date.toISOString().slice(0, 10) };
}

/** SHA-256 (hex) of the record's canonical JSON: keys sorted at every level, no whitespace. */
export async function contentHash(value: unknown): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(value)));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}

interface Misfit {
  path: string;
  value: unknown;
}

function findMisfits(value: Record<string, unknown>, fields: Fields, base: string, out: Misfit[], checkFlatLeaves: boolean): void {
  for (const name of Object.keys(fields)) {
    if (!Object.hasOwn(value, name)) continue;
    const v = value[name];
    const spec = fields[name]!;
    const path = base + name;
    if (v === null) continue;
    if (typeof spec === "object") {
      if (isPlainObject(v)) findMisfits(v, spec, `${path}.`, out, checkFlatLeaves);
      else if (Array.isArray(v) && v.every((e) => e === null || isPlainObject(e))) {
        const inner: Misfit[] = [];
        for (const e of v) if (e) findMisfits(e as Record<string, unknown>, spec, `${path}.`, inner, checkFlatLeaves);
        if (inner.length) out.push({ path, value: v });
      } else out.push({ path, value: v });
    } else if (!leafFits(spec, v, path, checkFlatLeaves)) {
      out.push({ path, value: v });
    }
  }
}

function leafFits(leaf: Leaf, v: unknown, path: string, checkFlatLeaves: boolean): boolean {
  switch (leaf) {
    case "flat":
      return isPlainObject(v) && flatFits(v, path, 1, checkFlatLeaves);
    case "boolean":
      return scalars(v, (s) => typeof s === "boolean" || s === "true" || s === "false" || s === "");
    case "date":
      return scalars(v, (s) => (typeof s === "string" && parseEventTime(s) !== undefined) || (typeof s === "number" && Number.isInteger(s)));
    default: // keyword, text, ip-keyword, lenient-date: any scalar (long or malformed values are ignored, not rejected)
      return scalars(v, () => true);
  }
}

/** A scalar, or an array (of arrays) of scalars, each passing `ok`. */
function scalars(v: unknown, ok: (s: unknown) => boolean): boolean {
  if (Array.isArray(v)) return v.every((e) => e === null || scalars(e, ok));
  return v === null || ((typeof v === "string" || typeof v === "number" || typeof v === "boolean") && ok(v));
}

function flatFits(v: unknown, path: string, depth: number, checkLeaves: boolean): boolean {
  if (depth > FLAT_DEPTH_LIMIT) return false;
  if (Array.isArray(v)) return v.every((e) => flatFits(e, path, depth, checkLeaves));
  if (isPlainObject(v)) {
    for (const key of Object.keys(v)) {
      if (key === "" || !flatFits(v[key], `${path}.${key}`, depth + 1, checkLeaves)) return false;
    }
    return true;
  }
  if (checkLeaves && typeof v === "string" && v.length * 3 + path.length > FLAT_LEAF_LIMIT) {
    return utf8Length(v) + utf8Length(path) + 1 <= FLAT_LEAF_LIMIT;
  }
  return true;
}

function removePath(doc: Record<string, unknown>, path: string[]): void {
  let node: Record<string, unknown> = doc;
  for (let i = 0; i < path.length - 1; i++) {
    const next = node[path[i]!];
    if (!isPlainObject(next)) return;
    const copy = { ...next };
    node[path[i]!] = copy;
    node = copy;
  }
  delete node[path[path.length - 1]!];
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
