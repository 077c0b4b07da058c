/**
 * Generative: thousands of hostile CloudTrail-shaped records (fixtures/hostile.ts) through the document builder.
 * Each document must be one the engine takes (no key it rejects or reads as a path, no duplicate key, every
 * mapped field of a type it fits), and must give back the record exactly (originalRecord), number spellings
 * included. The same corpus goes to the real engine in test/integration/mapping-fuzz.test.ts.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { hostileRecords } from "../../../fixtures/hostile.ts";
import { parseLossless } from "../../../lib/json/lossless.ts";
import { toAction } from "../../../lib/search/document.ts";
import { RecordIds } from "../../../lib/search/ids.ts";
import { originalRecord } from "../../../lib/search/unindexed.ts";
import { asObject, documentProblems, exactJson } from "../../support/documents.ts";

const SEED = process.env.SEED ?? "unit-1";
const COUNT = Number(process.env.N ?? 3000);

test(`${COUNT} hostile records (seed ${SEED}): every document is one the engine takes, and gives the record back exactly`, async () => {
  const ids = new RecordIds();
  let rewritten = 0;
  for (const [i, record] of hostileRecords({ seed: SEED, count: COUNT }).entries()) {
    const action = await toAction(record.text, JSON.parse(record.text), "cloudtrail", { ids, object: record.object });
    const problems = documentProblems(action.source);
    assert.deepEqual(problems, [], `record ${i}: ${record.text.slice(0, 300)}`);
    const back = originalRecord(asObject(parseLossless(action.source)));
    assert.equal(exactJson(back), exactJson(parseLossless(record.text)), `record ${i} does not come back as it was: ${record.text.slice(0, 300)}`);
    if (action.unindexed.length) rewritten++;
  }
  assert.ok(rewritten > COUNT / 4, `the corpus must exercise the moves (only ${rewritten} of ${COUNT} records had any)`);
});
