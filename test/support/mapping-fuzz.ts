/**
 * The mapping fuzz: hostile CloudTrail-shaped records (fixtures/hostile.ts), one NDJSON file per object, through
 * `bulk.ts` into a real engine. Nothing may be refused for a mapping reason, and every document must give back
 * its record exactly. Used by test/integration/mapping-fuzz.test.ts (`make test`, `make fuzz SEED=… N=…`) and by
 * the engine matrix.
 */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { hostileRecords } from "../../fixtures/hostile.ts";
import { isJsonObject, parseLossless, stringifyLossless, type JsonValue } from "../../lib/json/lossless.ts";
import { RecordIds } from "../../lib/search/ids.ts";
import { originalRecord } from "../../lib/search/unindexed.ts";
import { asObject, documentProblems, exactJson } from "./documents.ts";
import { runScript } from "./run.ts";
import { uniqueName } from "./stack.ts";

export interface FuzzResult {
  records: number;
  documents: number;
  moved: number;
  seconds: number;
}

export async function mappingFuzz(searchUrl: string, options: { seed: string | number; count: number }): Promise<FuzzResult> {
  const started = Date.now();
  const prefix = uniqueName("fuzz");
  const dir = mkdtempSync(join(tmpdir(), "trailpost-fuzz-"));
  try {
    const records = hostileRecords({ seed: options.seed, count: options.count });
    const byObject = new Map<string, string[]>();
    for (const r of records) byObject.set(r.object, [...(byObject.get(r.object) ?? []), r.text]);
    for (const [object, texts] of byObject) writeFileSync(join(dir, `${object}.ndjson`), texts.join("\n") + "\n");

    // what should be there: each record under its id (the first record to take an id is the one that lands)
    const ids = new RecordIds();
    const expected = new Map<string, string>();
    for (const [object, texts] of [...byObject].sort(([a], [b]) => (join(dir, `${a}.ndjson`) < join(dir, `${b}.ndjson`) ? -1 : 1))) {
      for (const text of texts) {
        const id = await ids.idOf(text, JSON.parse(text), join(dir, `${object}.ndjson`));
        if (!expected.has(id)) expected.set(id, text);
      }
    }

    const deadLetters = join(dir, "dead-letters.ndjson");
    const result = await runScript("bulk.ts", [dir], { ES_URL: searchUrl, INDEX_PREFIX: prefix, DEAD_LETTER_FILE: deadLetters, BULK_MAX_BYTES: "2000000" });
    const summary = new RegExp(`${options.count.toLocaleString("en-US")} records? read: ${expected.size.toLocaleString("en-US")} indexed, ${(options.count - expected.size).toLocaleString("en-US")} duplicates?, 0 dead-lettered`);
    assert.match(result.stderr, summary, `seed ${options.seed}: ${result.stderr.slice(0, 3000)}`);
    assert.equal(result.code, 0, result.stderr.slice(0, 3000));

    // every document, read back exactly (numbers as spelled: the response is parsed losslessly)
    let moved = 0;
    const wanted = [...expected.keys()];
    for (let i = 0; i < wanted.length; i += 200) {
      const chunk = wanted.slice(i, i + 200);
      const response = await fetch(`${searchUrl}/${prefix}-*/_search?size=${chunk.length}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ query: { ids: { values: chunk } } }),
      });
      assert.equal(response.status, 200);
      const body = asObject(parseLossless(await response.text()));
      const hits = asObject(body.get("hits")!).get("hits") as JsonValue[];
      assert.equal(hits.length, chunk.length, "every expected document is in the index");
      for (const hit of hits) {
        const h = asObject(hit);
        const id = h.get("_id") as string;
        const source = h.get("_source")!;
        const text = expected.get(id);
        assert.ok(text !== undefined, `unexpected document ${id}`);
        const doc = asObject(source);
        if (isJsonObject(doc.get("trailpost"))) moved++;
        assert.deepEqual(documentProblems(stringifyLossless(doc)), [], `${id}`);
        assert.equal(exactJson(originalRecord(doc)), exactJson(parseLossless(text)), `seed ${options.seed}, document ${id} does not give its record back: ${text.slice(0, 300)}`);
      }
    }
    const count = await fetch(`${searchUrl}/${prefix}-*/_count`).then((r) => r.json() as Promise<{ count: number }>);
    assert.equal(count.count, expected.size, "no other document");
    return { records: options.count, documents: expected.size, moved, seconds: (Date.now() - started) / 1000 };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
