/**
 * Document ids: what makes re-running, replaying and at-least-once delivery safe. `create` with the same `_id`
 * twice lands once (the second is a 409, counted as a duplicate), so the id must be a pure function of the record
 * and of where it was delivered, never of the run.
 *
 * - A record with an `eventID` (a string of 1 to 512 bytes, as CloudTrail writes since eventVersion 1.01) has it
 *   as its id. CloudTrail delivering the same event twice, in one file or two, therefore lands once.
 * - A record without one (eventVersion 1.0, the blog's 2013 logs) gets the SHA-256 of its canonical content:
 *   keys sorted at every level, no whitespace, strings in one escaping, and numbers by value, never through a
 *   double that would round them (12345678901234567890 and …891 differ).
 * - Identical records without an eventID inside one object (the same call in the same second: pollers do this)
 *   are distinct events: the k-th occurrence of the same content in an object gets `<hash>-<k>` (the first keeps
 *   `<hash>`). Re-reading the same object gives the same ids again. The scope is the object the records came
 *   from: a log file for copy/ingest/worker, the input file for `bulk.ts` (a dead-letter line keeps the id it
 *   was given).
 *
 * ```ts
 * const ids = new RecordIds();
 * await ids.idOf(record.text, record.value, record.object); // "eventID", "<sha256>" or "<sha256>-2"
 * ```
 *
 * These ids are pinned by golden vectors (test/unit/search/ids.test.ts): changing them would duplicate every
 * record without an eventID on the next re-ingest.
 */
import { isJsonObject, JsonNumber, parseLossless, type JsonValue } from "../json/lossless.ts";

/** The longest `_id` the engines accept, in UTF-8 bytes. */
export const MAX_ID_BYTES = 512;

export class RecordIds {
  #object: string | undefined;
  #seen = new Map<string, number>();

  /**
   * The id of a record read from `object`. Records of one object must come together (as the pipeline delivers
   * them). `given` is an id the record already had (a dead letter's): kept when it belongs to this content.
   */
  async idOf(text: string, value: unknown, object: string, given?: string): Promise<string> {
    const eventID = eventIdOf(value);
    if (eventID !== undefined) return eventID;
    const hash = await contentHash(text);
    if (given !== undefined && (given === hash || (given.startsWith(`${hash}-`) && /^[1-9]\d*$/.test(given.slice(hash.length + 1))))) return given;
    if (object !== this.#object) {
      this.#object = object;
      this.#seen.clear();
    }
    const k = (this.#seen.get(hash) ?? 0) + 1;
    this.#seen.set(hash, k);
    return k === 1 ? hash : `${hash}-${k}`;
  }
}

/** The record's eventID when it can be an id; undefined otherwise. */
export function eventIdOf(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null) return undefined;
  const eventID = (value as { eventID?: unknown }).eventID;
  if (typeof eventID !== "string" || eventID.length === 0 || eventID.length > MAX_ID_BYTES) return undefined;
  // a UTF-16 code unit is at most 3 bytes of UTF-8 (a lone surrogate is encoded as U+FFFD): short ones fit unencoded
  if (eventID.length * 3 <= MAX_ID_BYTES) return eventID;
  return new TextEncoder().encode(eventID).length <= MAX_ID_BYTES ? eventID : undefined;
}

/** SHA-256 (hex) of the canonical form of a record's JSON text. */
export async function contentHash(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalJson(parseLossless(text))));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Keys sorted (UTF-16 order) at every level, no whitespace, strings as JSON.stringify writes them. A number that
 * a double holds exactly is written as JavaScript writes that double (so `1.10` is `1.1`, as ids were first
 * made); any other is written by value as `[-]0.<digits>e<exponent>`, a form JavaScript never writes.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "string") return JSON.stringify(value);
  if (value instanceof JsonNumber) return canonicalNumber(value.raw);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (!isJsonObject(value)) throw new TypeError("not a JSON value");
  const keys = [...value.keys()].sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value.get(k)!)}`).join(",")}}`;
}

export function canonicalNumber(raw: string): string {
  const n = Number(raw);
  const exact = decimal(raw);
  if (Number.isFinite(n)) {
    const js = JSON.stringify(n);
    const back = decimal(js);
    if (back.digits === exact.digits && back.exponent === exact.exponent && (back.negative === exact.negative || exact.digits === "")) return js;
  }
  return exact.digits === "" ? "0" : `${exact.negative ? "-" : ""}0.${exact.digits}e${exact.exponent}`;
}

/** A decimal number as sign, significant digits (no leading or trailing zeros) and exponent: 0.<digits> × 10^exponent. */
function decimal(text: string): { negative: boolean; digits: string; exponent: number } {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(text);
  if (!m) throw new TypeError(`not a JSON number: ${text}`);
  const all = m[2]! + (m[3] ?? "");
  const lead = all.length - all.replace(/^0+/, "").length;
  const digits = all.slice(lead).replace(/0+$/, "");
  // value = 0.<all> × 10^(intLength + e); dropping `lead` leading zeros lowers the exponent by as much
  const exponent = digits === "" ? 0 : m[2]!.length + Number(m[4] ?? 0) - lead;
  return { negative: m[1] === "-", digits, exponent };
}
