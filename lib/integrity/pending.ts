/**
 * `pending` documents are updated when a later run sees their digest: after indexing, the documents of every
 * log file with a final verdict in this run that still say `pending` (or `unsigned`, when a digest now proves the
 * file valid or invalid) are found by `trailpost.object` and updated with bulk `update` actions and a partial
 * document, by _id (no scripts: painless is not everywhere). A verdict once final is kept: `valid` and `invalid`
 * documents are never rewritten, so what was proven when a record was indexed stays on it.
 *
 * ```ts
 * const settled = await settlePending(client, "cloudtrail-*", book); // { updated: 12, failures: [] }
 * ```
 */
import type { SearchClient } from "../search/client.ts";
import { errorReason } from "../search/client.ts";
import { integrityFields } from "./annotate.ts";
import type { IntegrityStatus } from "./digest-index.ts";
import type { IntegrityBook } from "./stage.ts";

/** Whether a document that says `stored` is updated to what this run `seen`. */
export function shouldUpdate(stored: IntegrityStatus | undefined, seen: IntegrityStatus): boolean {
  if (stored === "pending") return seen !== "pending";
  if (stored === "unsigned") return seen === "valid" || seen === "invalid";
  return false;
}

/** The stored states a document of a file now seen as `seen` can be updated from. */
export function updatableFrom(seen: IntegrityStatus): IntegrityStatus[] {
  return (["pending", "unsigned"] as const).filter((stored) => shouldUpdate(stored, seen));
}

/** Search body: documents of these objects in these states, with just what the update needs. */
export function pendingQuery(objects: string[], states: IntegrityStatus[], size: number): Record<string, unknown> {
  return {
    size,
    _source: ["trailpost.object", "trailpost.integrity"],
    query: { bool: { filter: [{ terms: { "trailpost.object": objects } }, { terms: { "trailpost.integrity": states } }] } },
  };
}

/** NDJSON bulk body: one partial-document update per hit. */
export function updateLines(updates: { index: string; id: string; fields: Record<string, string> }[]): string {
  return updates.map((u) => `${JSON.stringify({ update: { _index: u.index, _id: u.id } })}\n${JSON.stringify({ doc: { trailpost: u.fields } })}\n`).join("");
}

export interface SettleResult {
  updated: number;
  failures: { id: string; reason: string }[];
}

interface Hit {
  _index: string;
  _id: string;
  _source?: { trailpost?: { object?: string; integrity?: IntegrityStatus } };
}

/** Updates the documents of this run's files whose verdict moved on (see the file's comment). */
export async function settlePending(client: SearchClient, indexPattern: string, book: IntegrityBook, options: { objectsPerQuery?: number; size?: number; maxRounds?: number } = {}): Promise<SettleResult> {
  const result: SettleResult = { updated: 0, failures: [] };
  const perQuery = options.objectsPerQuery ?? 200;
  const size = options.size ?? 1000;
  const groups = new Map<string, string[]>();
  for (const [object, integrity] of book.withStatus("valid", "invalid", "unsigned")) {
    const states = updatableFrom(integrity.status).join(",");
    if (!groups.has(states)) groups.set(states, []);
    groups.get(states)!.push(object);
  }
  const path = `/${indexPattern}/_search?ignore_unavailable=true&allow_no_indices=true`;
  for (const [states, objects] of groups) {
    for (let i = 0; i < objects.length; i += perQuery) {
      const batch = objects.slice(i, i + perQuery);
      for (let round = 0; round < (options.maxRounds ?? 1000); round++) {
        const found = await client.json<{ hits: { hits: Hit[] } }>("POST", path, pendingQuery(batch, states.split(",") as IntegrityStatus[], size));
        const updates = found.hits.hits.flatMap((hit) => {
          const object = hit._source?.trailpost?.object;
          const seen = object ? book.get(object) : undefined;
          return object && seen && shouldUpdate(hit._source?.trailpost?.integrity, seen.status) ? [{ index: hit._index, id: hit._id, fields: integrityFields(object, seen) }] : [];
        });
        if (!updates.length) break;
        const response = await client.request("POST", "/_bulk?refresh=true", updateLines(updates), "application/x-ndjson");
        if (response.status >= 300) throw new Error(`updating pending documents: HTTP ${response.status} ${errorReason(response.text)}`);
        const items = (JSON.parse(response.text) as { items: { update: { _id: string; status: number; error?: { type?: string; reason?: string } } }[] }).items;
        let progress = 0;
        for (const { update } of items) {
          if (update.status < 300) progress++;
          else result.failures.push({ id: update._id, reason: `${update.status} ${[update.error?.type, update.error?.reason].filter(Boolean).join(": ")}` });
        }
        result.updated += progress;
        if (progress === 0 || found.hits.hits.length < size) break;
      }
    }
  }
  return result;
}
