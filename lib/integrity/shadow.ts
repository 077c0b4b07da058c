/**
 * Shadowed records: a file no digest proves (`unsigned`, `invalid`) that repeats a genuine record's eventID holds
 * that id when it is indexed first, and the genuine record from a `valid` file then comes back 409, counted as a
 * mere duplicate. The watch remembers the 409s of `valid` files, only once a shadow is possible (the indices
 * already hold `unsigned` or `invalid` documents, or this run met such a file: on a healthy trail it holds
 * nothing), up to a bound. After indexing, `resolveShadows` looks those ids up (`_mget`, two fields): a document
 * of another file that is `unsigned`, `invalid` or not annotated shadows the record (a `pending` one waits for its
 * verdict: a later run settles it first). An `unsigned` one is updated to `invalid`, with the valid file and the
 * record's position as the reason (pending.ts's rules; an `invalid` one keeps what it says), and each shadow is
 * reported. The genuine record stays counted as a duplicate.
 *
 * ```ts
 * const watch = new ShadowWatch(book);
 * await watch.arm(client, "cloudtrail-*");                  // one _count
 * await indexRecords(records, client, { ...options, onDuplicate: watch.onDuplicate });
 * const result = await resolveShadows(client, watch);       // { shadows: [{ id, holder, genuine, position, … }], … }
 * ```
 */
import type { DuplicateItem } from "../search/bulk.ts";
import type { SearchClient } from "../search/client.ts";
import { errorReason } from "../search/client.ts";
import type { IntegrityStatus } from "./digest-index.ts";
import { shouldUpdate, updateLines } from "./pending.ts";
import type { IntegrityBook } from "./stage.ts";

/** Duplicates of valid files remembered at most: about 120 bytes each (eventIDs of 36 characters, measured under Node 20). */
export const DEFAULT_MAX_HELD = 1_000_000;

/** A record of a valid file that came back 409: where its id is. */
export type Held = DuplicateItem;

/** A document that holds the id of a valid file's record. */
export interface Shadow {
  index: string;
  id: string;
  /** The file the document came from (`s3://…`). */
  holder: string;
  /** What the document said before. */
  integrity: IntegrityStatus | undefined;
  /** The valid file whose record it shadows, and the record's 1-based position in it. */
  genuine: string;
  position: number;
}

export interface ShadowResult {
  shadows: Shadow[];
  /** Documents updated to `invalid`. */
  updated: number;
  failures: { id: string; reason: string }[];
}

/** Remembers the duplicates of valid files, once a shadow is possible (see the file's comment). */
export class ShadowWatch {
  readonly held: Held[] = [];
  /** Duplicates of valid files not remembered: past `maxHeld`. */
  dropped = 0;
  #armed = false;

  constructor(
    readonly book: IntegrityBook,
    readonly maxHeld = DEFAULT_MAX_HELD,
  ) {
    if (!(Number.isInteger(maxHeld) && maxHeld >= 0)) throw new RangeError(`ShadowWatch: maxHeld must be a whole number >= 0, not ${maxHeld}`);
  }

  /** Counts the `unsigned` and `invalid` documents already in the indices; any arms the watch. */
  async arm(client: SearchClient, indexPattern: string): Promise<number> {
    const path = `/${indexPattern}/_count?ignore_unavailable=true&allow_no_indices=true`;
    const { count } = await client.json<{ count: number }>("POST", path, suspectQuery());
    if (count > 0) this.#armed = true;
    return count;
  }

  /** A shadow is possible: suspect documents were there, or this run met a file no digest proves. */
  get armed(): boolean {
    return this.#armed || this.book.objects.unsigned + this.book.objects.invalid > 0;
  }

  /** For bulkWriter's `onDuplicate`. */
  readonly onDuplicate = (item: DuplicateItem): void => {
    if (this.book.get(item.object)?.status !== "valid" || !this.armed) return;
    if (this.held.length >= this.maxHeld) this.dropped++;
    else this.held.push({ index: item.index, id: item.id, object: item.object, position: item.position });
  };
}

/** `_count` body: documents whose file no digest proves. */
export function suspectQuery(): Record<string, unknown> {
  return { query: { terms: { "trailpost.integrity": ["unsigned", "invalid"] } } };
}

/** `_mget` body for these duplicates (the path asks for two fields of `_source`). */
export function mgetBody(held: Held[]): { docs: { _index: string; _id: string }[] } {
  return { docs: held.map((h) => ({ _index: h.index, _id: h.id })) };
}

export const MGET_PATH = "/_mget?_source_includes=trailpost.object,trailpost.integrity";

/** One `_mget` answer's doc. */
export interface MgetDoc {
  _index?: string;
  _id?: string;
  found?: boolean;
  _source?: { trailpost?: { object?: unknown; integrity?: unknown } };
  error?: unknown;
}

/**
 * The shadows among `held` (the `_mget` answer, in the same order): a found document of another file that is
 * neither `valid` nor `pending`. One per document (`seen` carries what earlier batches named). A document of the same file is the
 * record itself (a re-run); one of another valid file is CloudTrail delivering the event twice.
 */
export function findShadows(held: Held[], docs: MgetDoc[], seen = new Set<string>()): Shadow[] {
  if (docs.length !== held.length) throw new Error(`_mget answered ${docs.length} documents for ${held.length} asked`);
  const shadows: Shadow[] = [];
  for (let i = 0; i < held.length; i++) {
    const h = held[i]!;
    const doc = docs[i]!;
    const t = doc._source?.trailpost;
    const holder = typeof t?.object === "string" ? t.object : undefined;
    const integrity = typeof t?.integrity === "string" ? (t.integrity as IntegrityStatus) : undefined;
    // a `pending` holder is not judged yet: its file may prove valid (CloudTrail delivering the event twice); a later
    // run settles its verdict first (pending.ts), then judges it here
    if (!doc.found || holder === undefined || holder === h.object || integrity === "valid" || integrity === "pending") continue;
    const key = `${h.index}\n${h.id}`;
    if (seen.has(key)) continue;
    seen.add(key);
    shadows.push({ index: h.index, id: h.id, holder, integrity, genuine: h.object, position: h.position });
  }
  return shadows;
}

/** The reason a shadowing document gets. */
export function shadowReason(shadow: Pick<Shadow, "genuine" | "position">): string {
  return `shadows record ${shadow.position} of ${shadow.genuine}, a valid file: same eventID, indexed first`;
}

/** The updates for these shadows: to `invalid` where pending.ts's rules allow it (`unsigned`). */
export function shadowUpdates(shadows: Shadow[]): { index: string; id: string; fields: Record<string, string> }[] {
  return shadows.filter((s) => shouldUpdate(s.integrity, "invalid")).map((s) => ({ index: s.index, id: s.id, fields: { integrity: "invalid", integrityReason: shadowReason(s) } }));
}

/** Looks the watch's duplicates up in batches, marks the shadows `invalid`, and names them. */
export async function resolveShadows(client: SearchClient, watch: Pick<ShadowWatch, "held">, options: { batch?: number } = {}): Promise<ShadowResult> {
  const size = options.batch ?? 1000;
  if (!(Number.isInteger(size) && size >= 1)) throw new RangeError(`resolveShadows: batch must be a whole number >= 1, not ${size}`);
  const result: ShadowResult = { shadows: [], updated: 0, failures: [] };
  const seen = new Set<string>();
  for (let i = 0; i < watch.held.length; i += size) {
    const held = watch.held.slice(i, i + size);
    const { docs } = await client.json<{ docs: MgetDoc[] }>("POST", MGET_PATH, mgetBody(held));
    for (const [j, doc] of docs.entries()) {
      if (doc.error) result.failures.push({ id: held[j]?.id ?? String(doc._id), reason: `looking it up: ${describe(doc.error)}` });
    }
    const shadows = findShadows(held, docs, seen);
    result.shadows.push(...shadows);
    const updates = shadowUpdates(shadows);
    if (!updates.length) continue;
    const response = await client.request("POST", "/_bulk?refresh=true", updateLines(updates), "application/x-ndjson");
    if (response.status >= 300) throw new Error(`marking shadowing documents invalid: HTTP ${response.status} ${errorReason(response.text)}`);
    const items = (JSON.parse(response.text) as { items: { update: { _id: string; status: number; error?: unknown } }[] }).items;
    for (const { update } of items) {
      if (update.status < 300) result.updated++;
      else result.failures.push({ id: update._id, reason: `${update.status} ${describe(update.error)}` });
    }
  }
  return result;
}

function describe(error: unknown): string {
  if (!error || typeof error !== "object") return String(error);
  const e = error as { type?: string; reason?: string };
  return [e.type, e.reason].filter(Boolean).join(": ") || JSON.stringify(error);
}
