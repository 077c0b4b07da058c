/**
 * The shadow check's parts (lib/integrity/shadow.ts): when the watch holds duplicates (only once a shadow is
 * possible, only of valid files, up to its bound), which looked-up documents are shadows, which are updated (the
 * same rules as pending.ts), and the lookups and updates it sends, batch by batch. A seeded model run checks the
 * whole against a first-writer-wins index.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { IntegrityStatus } from "../../../lib/integrity/digest-index.ts";
import { shouldUpdate } from "../../../lib/integrity/pending.ts";
import { findShadows, mgetBody, MGET_PATH, resolveShadows, shadowReason, shadowUpdates, ShadowWatch, suspectQuery, type Held, type MgetDoc } from "../../../lib/integrity/shadow.ts";
import { IntegrityBook } from "../../../lib/integrity/stage.ts";
import { memoryStore } from "../../../lib/integrity/store.ts";
import { fileKeys, parsePublicKeyList } from "../../../lib/integrity/public-keys.ts";
import { Validation } from "../../../lib/integrity/validation.ts";
import { testPublicKeys } from "../../../fixtures/digests.ts";
import type { SearchClient } from "../../../lib/search/client.ts";

const STATUSES: IntegrityStatus[] = ["valid", "invalid", "pending", "unsigned"];

function bookOf(files: Record<string, IntegrityStatus>): IntegrityBook {
  const book = new IntegrityBook();
  for (const [object, status] of Object.entries(files)) book.set(object, { status });
  return book;
}

const dup = (id: string, object: string, position = 1, index = "ct-2024.03.04"): Held => ({ index, id, object, position });

/** A client that answers `_count`, `_mget` and `_bulk` from a map of documents, and records what it was sent. */
class StubClient {
  readonly sent: { method: string; path: string; body: unknown }[] = [];
  constructor(
    readonly docs: Map<string, { object: string; integrity: IntegrityStatus }>,
    readonly count = 0,
    readonly failIds = new Set<string>(),
  ) {}

  async json<T>(method: string, path: string, body?: unknown): Promise<T> {
    this.sent.push({ method, path, body });
    if (path.includes("/_count")) return { count: this.count } as T;
    if (path.includes("/_search")) return { hits: { hits: [] } } as T; // settlePending: nothing pending
    const asked = (body as { docs: { _index: string; _id: string }[] }).docs;
    return {
      docs: asked.map(({ _index, _id }) => {
        const d = this.docs.get(_id);
        return d ? { _index, _id, found: true, _source: { trailpost: { object: d.object, integrity: d.integrity } } } : { _index, _id, found: false };
      }),
    } as T;
  }

  async request(method: string, path: string, body: string) {
    this.sent.push({ method, path, body });
    const lines = body.trimEnd().split("\n").map((l) => JSON.parse(l));
    const items = [];
    for (let i = 0; i < lines.length; i += 2) {
      const id = lines[i].update._id as string;
      if (this.failIds.has(id)) {
        items.push({ update: { _id: id, status: 403, error: { type: "cluster_block_exception", reason: "index read-only" } } });
        continue;
      }
      const d = this.docs.get(id)!;
      Object.assign(d, { integrity: lines[i + 1].doc.trailpost.integrity });
      items.push({ update: { _id: id, status: 200 } });
    }
    return { status: 200, text: JSON.stringify({ items }) };
  }
}

describe("ShadowWatch", () => {
  test("on a healthy trail (nothing suspect in the indices, every file valid) it holds nothing", async () => {
    const watch = new ShadowWatch(bookOf({ "s3://b/a": "valid", "s3://b/b": "valid" }));
    const client = new StubClient(new Map(), 0);
    await watch.arm(client as unknown as SearchClient, "ct-*");
    for (let i = 0; i < 100; i++) watch.onDuplicate(dup(`id-${i}`, i % 2 ? "s3://b/a" : "s3://b/b"));
    assert.equal(watch.armed, false);
    assert.equal(watch.held.length, 0);
    assert.deepEqual(client.sent[0], { method: "POST", path: "/ct-*/_count?ignore_unavailable=true&allow_no_indices=true", body: suspectQuery() });
    assert.deepEqual(suspectQuery(), { query: { terms: { "trailpost.integrity": ["unsigned", "invalid"] } } });
  });

  test("suspect documents already indexed arm it: duplicates of valid files are held, of other files not", async () => {
    const watch = new ShadowWatch(bookOf({ "s3://b/a": "valid", "s3://b/p": "pending" }));
    assert.equal(await watch.arm(new StubClient(new Map(), 3) as unknown as SearchClient, "ct-*"), 3);
    watch.onDuplicate(dup("x", "s3://b/a", 7));
    watch.onDuplicate(dup("y", "s3://b/p", 1));
    watch.onDuplicate(dup("z", "s3://b/unknown", 1));
    assert.deepEqual(watch.held, [dup("x", "s3://b/a", 7)]);
  });

  test("an unsigned or invalid file met in this run arms it from then on", () => {
    for (const status of ["unsigned", "invalid"] as const) {
      const book = bookOf({ "s3://b/a": "valid" });
      const watch = new ShadowWatch(book);
      watch.onDuplicate(dup("before", "s3://b/a"));
      book.set("s3://b/added", { status });
      watch.onDuplicate(dup("after", "s3://b/a"));
      assert.deepEqual(watch.held.map((h) => h.id), ["after"], status);
    }
  });

  test("it holds at most maxHeld and counts the rest", () => {
    const watch = new ShadowWatch(bookOf({ "s3://b/a": "valid", "s3://b/u": "unsigned" }), 2);
    for (let i = 0; i < 5; i++) watch.onDuplicate(dup(`id-${i}`, "s3://b/a"));
    assert.deepEqual(watch.held.map((h) => h.id), ["id-0", "id-1"]);
    assert.equal(watch.dropped, 3);
    assert.throws(() => new ShadowWatch(new IntegrityBook(), -1), /maxHeld/);
    assert.throws(() => new ShadowWatch(new IntegrityBook(), 1.5), /maxHeld/);
  });
});

describe("findShadows", () => {
  const found = (object: unknown, integrity: unknown): MgetDoc => ({ found: true, _source: { trailpost: { object, integrity } } });

  test("a document of another file that is not valid shadows the record; its own, another valid file's, a pending one (not judged yet), a missing one do not", () => {
    const held = [dup("own", "s3://b/g", 1), dup("twice", "s3://b/g", 2), dup("gone", "s3://b/g", 3), dup("u", "s3://b/g", 4), dup("p", "s3://b/g", 5), dup("i", "s3://b/g", 6), dup("bare", "s3://b/g", 7), dup("odd", "s3://b/g", 8)];
    const docs: MgetDoc[] = [
      found("s3://b/g", "valid"),
      found("s3://b/other", "valid"),
      { found: false },
      found("s3://b/forged", "unsigned"),
      found("s3://b/late", "pending"),
      found("s3://b/edited", "invalid"),
      found("s3://b/plain", undefined), // indexed without --validate: not annotated, but of another file
      { found: true, _source: { trailpost: { object: 12, integrity: "unsigned" } } }, // not a file name: not judged
    ];
    const shadows = findShadows(held, docs);
    assert.deepEqual(shadows.map((s) => [s.id, s.holder, s.integrity, s.genuine, s.position]), [
      ["u", "s3://b/forged", "unsigned", "s3://b/g", 4],
      ["i", "s3://b/edited", "invalid", "s3://b/g", 6],
      ["bare", "s3://b/plain", undefined, "s3://b/g", 7],
    ]);
  });

  test("one shadow per document, across batches; answers of the wrong length are an error", () => {
    const seen = new Set<string>();
    const doc = found("s3://b/forged", "unsigned");
    assert.equal(findShadows([dup("x", "s3://b/g", 1), dup("x", "s3://b/g2", 9)], [doc, doc], seen).length, 1);
    assert.equal(findShadows([dup("x", "s3://b/g", 1)], [doc], seen).length, 0);
    assert.equal(findShadows([dup("x", "s3://b/g", 1, "other-index")], [doc], seen).length, 1, "same id in another index is another document");
    assert.throws(() => findShadows([dup("x", "s3://b/g")], []), /_mget answered 0 documents for 1/);
  });

  test("updates follow pending.ts's rules: pending and unsigned become invalid, an invalid document keeps its reason", () => {
    for (const integrity of [...STATUSES, undefined]) {
      const shadow = { index: "i", id: "x", holder: "s3://b/f", integrity, genuine: "s3://b/g", position: 3 };
      const updates = shadowUpdates([shadow]);
      assert.equal(updates.length === 1, shouldUpdate(integrity, "invalid"), String(integrity));
      if (updates.length) assert.deepEqual(updates[0], { index: "i", id: "x", fields: { integrity: "invalid", integrityReason: shadowReason(shadow) } });
    }
    assert.equal(shadowReason({ genuine: "s3://b/g.json.gz", position: 3 }), "shadows record 3 of s3://b/g.json.gz, a valid file: same eventID, indexed first");
  });
});

describe("resolveShadows", () => {
  test("looks the held ids up in batches of two fields, marks the shadows invalid, reports failed updates", async () => {
    const docs = new Map<string, { object: string; integrity: IntegrityStatus }>([
      ["a", { object: "s3://b/g", integrity: "valid" }],
      ["b", { object: "s3://b/forged", integrity: "unsigned" }],
      ["c", { object: "s3://b/forged", integrity: "unsigned" }],
      ["d", { object: "s3://b/edited", integrity: "invalid" }],
    ]);
    const client = new StubClient(docs, 0, new Set(["c"]));
    const held = ["a", "b", "c", "d", "e"].map((id, i) => dup(id, "s3://b/g", i + 1));
    const result = await resolveShadows(client as unknown as SearchClient, { held }, { batch: 2 });
    const mgets = client.sent.filter((s) => s.path === MGET_PATH);
    assert.deepEqual(mgets.map((s) => s.body), [mgetBody(held.slice(0, 2)), mgetBody(held.slice(2, 4)), mgetBody(held.slice(4))]);
    assert.equal(MGET_PATH, "/_mget?_source_includes=trailpost.object,trailpost.integrity");
    assert.deepEqual(result.shadows.map((s) => s.id), ["b", "c", "d"]);
    assert.equal(result.updated, 1);
    assert.deepEqual(result.failures, [{ id: "c", reason: "403 cluster_block_exception: index read-only" }]);
    assert.equal(docs.get("b")!.integrity, "invalid");
    assert.equal(docs.get("d")!.integrity, "invalid");
    const bulk = client.sent.find((s) => s.path === "/_bulk?refresh=true")!;
    assert.match(String(bulk.body), /"integrityReason":"shadows record 2 of s3:\/\/b\/g, a valid file/);
    await assert.rejects(resolveShadows(client as unknown as SearchClient, { held }, { batch: 0 }), /batch/);
  });

  test("seeded model: files read in random order into a first-writer-wins index; the shadows are exactly the ids a non-valid file took from a valid one", async () => {
    let seed = 20261201;
    const rand = (n: number) => {
      // mulberry32
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return ((t ^ (t >>> 14)) >>> 0) % n;
    };
    let total = 0;
    let held = 0;
    for (let round = 0; round < 200; round++) {
      const files: Record<string, IntegrityStatus> = {};
      const records: [string, string, number][] = []; // object, id, position
      for (let f = 0; f < 1 + rand(5); f++) {
        const object = `s3://b/f${f}`;
        files[object] = STATUSES[rand(4)]!;
        for (let p = 1; p <= 1 + rand(6); p++) records.push([object, `id-${rand(10)}`, p]);
      }
      const book = new IntegrityBook();
      const index = new Map<string, { object: string; integrity: IntegrityStatus }>();
      const watch = new ShadowWatch(book);
      const armed = rand(2) === 1;
      await watch.arm(new StubClient(new Map(), armed ? 1 : 0) as unknown as SearchClient, "ct-*");
      const expected = new Set<string>();
      const order = Object.keys(files).sort(() => rand(3) - 1);
      for (const object of order) {
        book.set(object, { status: files[object]! });
        for (const [o, id, position] of records.filter((r) => r[0] === object)) {
          const holder = index.get(id);
          if (!holder) index.set(id, { object: o, integrity: files[o]! });
          else {
            watch.onDuplicate(dup(id, o, position));
            const possible = armed || Object.values(files).some((s, i) => (s === "unsigned" || s === "invalid") && order.indexOf(`s3://b/f${i}`) <= order.indexOf(o));
            if (files[o] === "valid" && possible && holder.object !== o && holder.integrity !== "valid" && holder.integrity !== "pending") expected.add(id);
          }
        }
      }
      const result = await resolveShadows(new StubClient(index) as unknown as SearchClient, watch, { batch: 1 + rand(4) });
      assert.deepEqual(result.shadows.map((s) => s.id).sort(), [...expected].sort(), `round ${round}: ${JSON.stringify({ files, records, order, armed })}`);
      for (const s of result.shadows) assert.equal(index.get(s.id)!.integrity, "invalid");
      total += expected.size;
      held += watch.held.length;
    }
    assert.ok(total > 30 && held > total, `the model must meet shadows and held non-shadows: ${total} shadows, ${held} held`);
  });
});

describe("Validation's shadow lines", () => {
  test("past the bound a line says how many duplicates were not checked; a shadow is named and makes the run unclean", async () => {
    const validation = await Validation.load({ store: memoryStore([]), keys: fileKeys(parsePublicKeyList(testPublicKeys(), "test keys")), location: { bucket: "b" }, days: ["2024-03-04"], maxHeld: 2 });
    validation.book.set("s3://b/g", { status: "valid" });
    validation.book.set("s3://b/forged", { status: "unsigned" });
    for (const id of ["x", "y", "z"]) validation.onDuplicate(dup(id, "s3://b/g", 4));
    const docs = new Map<string, { object: string; integrity: IntegrityStatus }>([["x", { object: "s3://b/forged", integrity: "unsigned" }], ["y", { object: "s3://b/g", integrity: "valid" }]]);
    assert.equal(validation.clean, true);
    await validation.settle(new StubClient(docs) as unknown as SearchClient, "ct-*");
    const lines = validation.summary("ingest");
    assert.deepEqual(lines.slice(0, 2), [
      "ingest: SHADOWED s3://b/forged (unsigned, now invalid) holds id x in ct-2024.03.04: it shadows record 4 of s3://b/g, a valid file: same eventID, indexed first; the genuine record counted as a duplicate and is not in the index",
      "ingest: the shadow check held the first 2 duplicates of valid files only: 1 more were not checked",
    ]);
    assert.match(lines.at(-1)!, /; 1 shadowed record \(2 duplicates of valid files checked\)$/);
    assert.deepEqual(validation.shadowCounts, { held: 2, dropped: 1, shadowed: 1, updated: 1 });
    assert.equal(validation.clean, false);
  });
});
