/**
 * ingest --validate on a real LocalStack and search engine:
 * - a tampered day (one log file edited after delivery): every record is indexed, every document carries the
 *   right trailpost.integrity, a search for `trailpost.integrity:invalid` finds exactly the edited file's records,
 *   and the run exits 1 naming the file; the same under Deno;
 * - a day whose last digests have not arrived yet: those hours' documents are `pending`; once the digests are
 *   there, the next run turns them `valid` (bulk updates of the duplicates it meets), and nothing else changes.
 */
import assert from "node:assert/strict";
import { before, describe, test } from "node:test";
import { digestDay, Mutator, scenario, type Scenario } from "../../fixtures/digests.ts";
import { digestRuns } from "../support/digest-runs.ts";
import { allDocuments, runScript } from "../support/run.ts";
import { uniqueName } from "../support/stack.ts";

const runs = digestRuns("ingest-validate");
const { keysFile, upload, envFor } = runs;

async function search(prefix: string, q: string): Promise<Set<string>> {
  const response = await fetch(`${runs.stack.search}/${prefix}-*/_search?q=${encodeURIComponent(q)}&size=10000&_source=false`);
  const body = (await response.json()) as { hits: { hits: { _id: string }[] } };
  return new Set(body.hits.hits.map((h) => h._id));
}

describe("ingest --validate, a tampered day", () => {
  let tampered: Scenario;
  let bucket: string;
  let modified: string;

  before(async () => {
    bucket = uniqueName("iv-tampered");
    tampered = scenario("modified-log", { bucket });
    modified = tampered.touched[0]!;
    await upload(bucket, tampered.objects);
  });

  for (const runtime of ["node", "deno"] as const) {
    test(`${runtime}: every record indexed and marked; trailpost.integrity:invalid finds exactly the edited file's records; exit 1 naming it`, async () => {
      const prefix = uniqueName(`iv-${runtime}`);
      const result = await runScript("ingest.ts", ["--date", tampered.day.date, "--validate", "--public-keys", keysFile], envFor(bucket, prefix), { runtime });
      assert.equal(result.code, 1, result.stderr);
      const digest = tampered.day.digests.find((d) => d.logKeys.includes(modified))!;
      assert.ok(result.stderr.includes(`ingest: INVALID s3://${bucket}/${modified}: hash value doesn't match (s3://${bucket}/${digest.key})`), result.stderr);

      const dayLogs = tampered.day.logs.filter((l) => l.key.includes("/2024/03/04/"));
      const recordsOf = (key: string) => tampered.day.logs.find((l) => l.key === key)!.records.map((r) => String(r.eventID));
      const all = dayLogs.flatMap((l) => recordsOf(l.key));
      assert.match(result.stderr, new RegExp(`ingest: integrity: ${dayLogs.length} log files: ${dayLogs.length - 1} valid, 1 invalid, 0 pending, 0 unsigned; records: ${all.length - recordsOf(modified).length} valid, ${recordsOf(modified).length} invalid, 0 pending, 0 unsigned; digests: 25 valid, 0 invalid, 0 missing`));

      const invalid = await search(prefix, "trailpost.integrity:invalid");
      assert.deepEqual([...invalid].sort(), recordsOf(modified).sort(), "exactly the edited file's records");
      const docs = await allDocuments(runs.stack.search, `${prefix}-*`);
      assert.equal(docs.size, all.length, "every record is indexed: the records are the evidence");
      for (const [id, doc] of docs) {
        const t = doc.source.trailpost as Record<string, string>;
        const object = dayLogs.find((l) => recordsOf(l.key).includes(id))!.key;
        assert.equal(t.object, `s3://${bucket}/${object}`, id);
        assert.equal(t.integrity, object === modified ? "invalid" : "valid", id);
        assert.equal(t.integrityDigest?.startsWith(`s3://${bucket}/AWSLogs/`), true, id);
      }
      // the edited record is in the index as it now reads, marked
      const edited = docs.get(recordsOf(modified)[0]!)!;
      assert.equal((edited.source.trailpost as Record<string, string>).integrityReason, "hash value doesn't match");
    });
  }
});

describe("ingest --validate, digests still to come", () => {
  test("pending documents become valid when a later run sees their digests", async () => {
    const now = Date.now();
    const date = new Date(now - 6 * 3_600_000).toISOString().slice(0, 10);
    const firstStart = Date.parse(`${date}T00:00:31Z`) - 3_600_000;
    const hours = Math.ceil((now + 3_600_000 - firstStart) / 3_600_000);
    const bucket = uniqueName("iv-pending");
    const real = digestDay({ bucket, date, hours });
    // CloudTrail has not delivered the digests of the last hour yet
    const late = real.digests.filter((d) => d.start * 1000 >= now - 3_600_000);
    assert.ok(late.length >= 1);
    const m = new Mutator(real);
    for (const d of late) m.remove(d.key);
    await upload(bucket, m.objects);
    const to = new Date(now + 2 * 3_600_000).toISOString().slice(0, 10);
    const prefix = uniqueName("iv-pend");
    const env = envFor(bucket, prefix);
    const args = ["--from", date, "--to", to, "--validate", "--public-keys", keysFile];

    const first = await runScript("ingest.ts", args, env);
    assert.equal(first.code, 0, first.stderr);
    const lateLogs = new Set(late.flatMap((d) => d.logKeys));
    const ingested = real.logs.filter((l) => l.key.includes(`/${date.replaceAll("-", "/")}/`) || l.key.includes(`/${to.replaceAll("-", "/")}/`));
    const pendingIds = ingested.filter((l) => lateLogs.has(l.key)).flatMap((l) => l.records.map((r) => String(r.eventID)));
    assert.ok(pendingIds.length > 0);
    assert.deepEqual([...(await search(prefix, "trailpost.integrity:pending"))].sort(), pendingIds.sort());
    assert.match(first.stderr, /0 documents updated from pending or unsigned/);

    // the digests arrive
    await upload(bucket, real.objects.filter((o) => late.some((d) => d.key === o.key)));
    const second = await runScript("ingest.ts", args, env);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stderr, new RegExp(`${pendingIds.length.toLocaleString("en-US")} documents? updated from pending or unsigned`));
    assert.equal((await search(prefix, "trailpost.integrity:pending")).size, 0);
    const valid = await search(prefix, "trailpost.integrity:valid");
    assert.equal(valid.size, ingested.flatMap((l) => l.records).length, "every document valid now");
    for (const id of pendingIds) assert.ok(valid.has(id), id);
  });
});
