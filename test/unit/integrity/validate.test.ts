/**
 * Validation of each fixture scenario, stated outright (the differential test proves the same against the AWS
 * CLI; this one says what the verdicts are): the damaged file is named with its reason, everything else is
 * valid, the counts add up. Also: the report's summary variants, a trail's chains found in a bucket, S3 errors.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { digestDay, scenario, SCENARIOS, testPublicKeys, type ScenarioName } from "../../../fixtures/digests.ts";
import { NoPublicKeysError, type Trail } from "../../../lib/integrity/chain.ts";
import { fileKeys, parsePublicKeyList } from "../../../lib/integrity/public-keys.ts";
import { ValidationReport } from "../../../lib/integrity/report.ts";
import { memoryStore, type ObjectStore } from "../../../lib/integrity/store.ts";
import { findTrails } from "../../../lib/integrity/trails.ts";
import { parseTrailArn, trailArn, validateTrail } from "../../../lib/integrity/validate.ts";

const BUCKET = "trail-bucket";
const keys = fileKeys(parsePublicKeyList(testPublicKeys(), "test keys"));

async function run(name: ScenarioName, store?: ObjectStore) {
  const s = scenario(name, { bucket: BUCKET });
  const d = s.day;
  let stdout = "";
  let stderr = "";
  const report = new ValidationReport({ trailArn: d.trailArn, start: d.start * 1000, end: d.end * 1000, verbose: true, write: (st, t) => (st === "out" ? (stdout += t) : (stderr += t)) });
  report.header();
  const trail: Trail = { bucket: BUCKET, prefix: d.prefix, account: d.account, sourceRegion: d.region, trailName: d.trailName, homeRegion: d.homeRegion };
  await validateTrail({ store: store ?? memoryStore(s.objects.map((o) => ({ bucket: BUCKET, key: o.key, bytes: o.body, metadata: o.metadata }))), keys, trail, start: d.start * 1000, end: d.end * 1000 }, report);
  report.summary();
  const invalid = report.verdicts.filter((v) => v.status !== "valid");
  return { s, report, stdout, stderr, invalid: invalid.map((v) => `${v.kind} ${v.object.replace(`s3://${BUCKET}/`, "")}: ${v.status}`) };
}

describe("each scenario's verdicts", () => {
  const expected: Record<ScenarioName, (s: ReturnType<typeof scenario>) => string[]> = {
    valid: () => [],
    "added-log": () => [], // no digest lists it: validate-logs cannot see it (ingest --validate calls it unsigned)
    gap: () => ["gap : No log files were delivered by CloudTrail between 2024-03-04T11:00:31Z and 2024-03-04T13:00:31Z"],
    "empty-hour": () => [],
    backfill: () => [],
    "modified-log": (s) => [`log ${s.touched[0]}: hash value doesn't match`],
    "deleted-log": (s) => [`log ${s.touched[0]}: not found`],
    "moved-log": (s) => [`log ${s.touched[0]}: not found`],
    "appended-log": (s) => [`log ${s.touched[0]}: unexpected data after end of compressed stream`],
    "truncated-log": (s) => [`log ${s.touched[0]}: hash value doesn't match`],
    "not-gzip-log": (s) => [`log ${s.touched[0]}: invalid format`],
    "tampered-digest": (s) => [`digest ${s.touched[1]}: signature verification failed`],
    "deleted-digest": (s) => [`digest ${s.touched[0]}: not found`],
    "moved-digest": (s) => [`digest ${s.touched[0]}: not found`, `digest ${s.touched[1]}: has been moved from its original location`],
    "unsigned-digest": (s) => [`digest ${s.touched[0]}: signature verification failed`],
    "unknown-key": (s) => [`digest ${s.touched[0]}: public key not found in region us-east-1 for fingerprint 00000000000000000000000000000000`],
    "foreign-signature": (s) => [`digest ${s.touched[0]}: signature verification failed`],
    "corrupt-digest": (s) => [`digest ${s.touched[0]}: invalid format`],
  };

  for (const name of SCENARIOS) {
    test(name, async () => {
      const { s, report, invalid } = await run(name);
      assert.deepEqual(invalid, expected[name](s), s.note);
      const c = report.counts;
      const digests = s.objects.filter((o) => o.kind === "digest" && !o.key.endsWith("_backfill.json.gz")).length;
      const removedDigests = ["deleted-digest", "moved-digest"].includes(name) ? 1 : 0;
      assert.equal(c.digests.valid + c.digests.invalid, digests + removedDigests, "every digest and every missing one counted");
      assert.equal(report.failed, expected[name](s).some((line) => !line.startsWith("gap")));
    });
  }

  test("the logs of an invalid digest are not checked (as the AWS CLI); the others are", async () => {
    const { report } = await run("foreign-signature");
    assert.equal(report.counts.logs.valid, 48);
    assert.equal(report.counts.logs.invalid, 0);
  });
});

describe("the report", () => {
  const lines = (o: { verbose?: boolean; body: (r: ValidationReport) => void }) => {
    let out = "";
    let err = "";
    const r = new ValidationReport({ trailArn: "arn:aws:cloudtrail:us-east-1:123456789012:trail/t", start: Date.UTC(2024, 2, 4), end: Date.UTC(2024, 2, 4, 23, 59, 59), verbose: o.verbose, write: (s, t) => (s === "out" ? (out += t) : (err += t)) });
    r.header();
    o.body(r);
    r.summary();
    return { out, err, failed: r.failed };
  };

  test("no digests at all", () => {
    assert.equal(lines({ body: () => {} }).out, "Validating log files for trail arn:aws:cloudtrail:us-east-1:123456789012:trail/t between 2024-03-04T00:00:00Z and 2024-03-04T23:59:59Z\n\nResults requested for 2024-03-04T00:00:00Z to 2024-03-04T23:59:59Z\nNo digests found\n");
  });

  test("only invalid digests: no valid digests found in range; errors set off by empty lines", () => {
    const r = lines({ body: (x) => (x.digestInvalid("b", "k1", "not found", false), x.digestInvalid("b", "k2", "invalid format", true)) });
    assert.equal(r.err, "Digest file\ts3://b/k1\tINVALID: not found\n\n(backfill) Digest file\ts3://b/k2\tINVALID: invalid format\n\n");
    assert.match(r.out, /No valid digests found in range\n\n0\/1 digest files valid, 1\/1 digest files INVALID\n0\/1 backfill digest files valid, 1\/1 backfill digest files INVALID\n$/);
    assert.equal(r.failed, true);
  });

  test("verbose: valid lines on stdout; an error after them starts with an empty line", () => {
    const r = lines({ verbose: true, body: (x) => (x.digestValid("b", "d", Date.UTC(2024, 2, 3, 23), Date.UTC(2024, 2, 4, 1), false), x.logInvalid("b", "l", "not found")) });
    assert.equal(r.err, "\nLog file\ts3://b/l\tINVALID: not found\n\n");
    assert.match(r.out, /Digest file\ts3:\/\/b\/d\tvalid\nResults requested .*\nResults found for 2024-03-04T00:00:00Z to 2024-03-04T01:00:00Z:\n\n1\/1 digest files valid\n0\/1 log files valid, 1\/1 log files INVALID\n$/);
  });

  test("options are checked", () => {
    assert.throws(() => new ValidationReport({ trailArn: "", start: 0, end: 1, write: () => {} }), TypeError);
    assert.throws(() => new ValidationReport({ trailArn: "a", start: 2, end: 1, write: () => {} }), RangeError);
  });
});

describe("errors", () => {
  test("no public key for the range stops the chain with the AWS CLI's message", async () => {
    const s = scenario("valid", { bucket: BUCKET });
    const store = memoryStore(s.objects.map((o) => ({ bucket: BUCKET, key: o.key, bytes: o.body, metadata: o.metadata })));
    const noKeys = fileKeys(parsePublicKeyList(testPublicKeys({ from: 0, to: 1 }), "k"));
    const report = new ValidationReport({ trailArn: s.day.trailArn, start: s.day.start * 1000, end: s.day.end * 1000, write: () => {} });
    const trail: Trail = { bucket: BUCKET, prefix: "", account: s.day.account, sourceRegion: "us-east-1", trailName: s.day.trailName, homeRegion: "us-east-1" };
    await assert.rejects(
      validateTrail({ store, keys: noKeys, trail, start: s.day.start * 1000, end: s.day.end * 1000 }, report),
      (e) => e instanceof NoPublicKeysError && e.message === "No public keys found between 2024-03-04T00:00:00Z and 2024-03-05T01:59:59Z",
    );
  });

  test("an S3 error other than a missing key is that file's verdict; the others are still checked", async () => {
    const s = scenario("valid", { bucket: BUCKET });
    const inner = memoryStore(s.objects.map((o) => ({ bucket: BUCKET, key: o.key, bytes: o.body, metadata: o.metadata })));
    const denied = s.day.logs[3]!.key;
    const store: ObjectStore = { ...inner, get: async (b, k) => (k === denied ? Promise.reject(new Error(`s3://${b}/${k}: AccessDenied (Access Denied)`)) : inner.get(b, k)) };
    const { invalid, report } = await run("valid", store);
    assert.deepEqual(invalid, [`log ${denied}: s3://${BUCKET}/${denied}: AccessDenied (Access Denied)`]);
    assert.equal(report.counts.logs.valid, 49);
  });
});

describe("trails in a bucket", () => {
  const storeOf = (...days: ReturnType<typeof digestDay>[]) => memoryStore(days.flatMap((d) => d.objects.map((o) => ({ bucket: BUCKET, key: o.key, bytes: o.body, metadata: o.metadata }))));
  const range = [Date.UTC(2024, 2, 4), Date.UTC(2024, 2, 4, 23, 59, 59)] as const;

  test("one chain per trail, account and source region; organization folders and prefixes found", async () => {
    const a = digestDay({ bucket: BUCKET, hours: 3 });
    const b = digestDay({ bucket: BUCKET, hours: 3, trailName: "second_trail" });
    const c = digestDay({ bucket: BUCKET, hours: 3, region: "eu-west-1", homeRegion: "us-east-1" });
    const org = digestDay({ bucket: BUCKET, hours: 3, orgId: "o-aa111bb222", account: "111122223333", trailName: "org" });
    const found = await findTrails(storeOf(a, b, c, org), { bucket: BUCKET }, ...range);
    assert.deepEqual(found.map((t) => `${t.orgId ?? "-"} ${t.account} ${t.sourceRegion} ${t.trailName} ${t.homeRegion}`), [
      "o-aa111bb222 111122223333 us-east-1 org us-east-1",
      "- 123456789012 eu-west-1 trailpost-test us-east-1",
      "- 123456789012 us-east-1 second_trail us-east-1",
      "- 123456789012 us-east-1 trailpost-test us-east-1",
    ]);
    const prefixed = digestDay({ bucket: BUCKET, hours: 3, prefix: "team/logs" });
    assert.deepEqual((await findTrails(storeOf(prefixed), { bucket: BUCKET, prefix: "team/logs" }, ...range)).map((t) => t.prefix), ["team/logs/"]);
    assert.deepEqual(await findTrails(storeOf(prefixed), { bucket: BUCKET }, ...range), [], "without the prefix there is nothing");
  });

  test("regions and a trail can be given; a given trail without digests still gets its chain (to say so)", async () => {
    const a = digestDay({ bucket: BUCKET, hours: 3 });
    const c = digestDay({ bucket: BUCKET, hours: 3, region: "eu-west-1", homeRegion: "us-east-1" });
    assert.deepEqual((await findTrails(storeOf(a, c), { bucket: BUCKET, regions: ["eu-west-1"] }, ...range)).map((t) => t.sourceRegion), ["eu-west-1"]);
    const arn = parseTrailArn("arn:aws:cloudtrail:us-east-1:123456789012:trail/absent")!;
    assert.deepEqual((await findTrails(storeOf(a), { bucket: BUCKET, trail: arn }, ...range)).map((t) => `${t.sourceRegion} ${t.trailName}`), ["us-east-1 absent"]);
    assert.equal(trailArn({ homeRegion: "cn-north-1", account: "123456789012", trailName: "t" }), "arn:aws-cn:cloudtrail:cn-north-1:123456789012:trail/t");
    assert.equal(parseTrailArn("arn:aws:cloudtrail:us-east-1:12345:trail/x"), undefined);
  });
});
