/**
 * Digest files: keys (against the AWS CLI's own key builder), the JSON (strictly), and the signing string (the
 * aws-cli unit test's vector). Vectors: aws/aws-cli tests/unit/customizations/cloudtrail/test_validation.py
 * (string to sign) and tests/functional/cloudtrail/test_validation.py (hash of the log "{}"), Apache-2.0.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { gzipSync } from "node:zlib";
import { describe, test } from "node:test";
import { asDigest, digestKeyAt, digestTime, displayTime, keyStamp, logFilesOf, parseDigest, parseDigestKey, stringToSign, DigestFormatError } from "../../../lib/cloudtrail/digest.ts";
import { sha256Hex } from "../../../lib/integrity/bytes.ts";
import { checkLogBytes } from "../../../lib/integrity/log-file.ts";
import { awscliPython } from "../../support/awscli.ts";

const utf8 = (s: string) => new TextEncoder().encode(s);
const REQUIRED = { digestPublicKeyFingerprint: "f", digestS3Bucket: "b", digestS3Object: "c", previousDigestSignature: null, digestEndTime: "a", digestStartTime: "s" };

describe("the signing string", () => {
  test("aws-cli's vector: end a, bucket b, object c, body abc, no previous signature", async () => {
    const digest = asDigest({ ...REQUIRED });
    assert.equal(stringToSign(digest, await sha256Hex(utf8("abc"))), "a\nb/c\nba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\nnull");
  });

  test("a previous signature goes in as it is, with no trailing newline", () => {
    const digest = asDigest({ ...REQUIRED, previousDigestSignature: "00ff" });
    assert.equal(stringToSign(digest, "h"), "a\nb/c\nh\n00ff");
  });
});

describe("the log hash", () => {
  test("aws-cli's vector: the SHA-256 of the uncompressed log {}", async () => {
    const verdict = await checkLogBytes(gzipSync("{}"), "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    assert.deepEqual(verdict, { valid: true, sha256: "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a" });
  });

  test("the hash is over the uncompressed bytes, not the gzip", async () => {
    const gz = gzipSync("{}");
    const verdict = await checkLogBytes(gz, await sha256Hex(gz));
    assert.equal(verdict.valid, false);
  });
});

describe("digest keys", () => {
  const key = "logs/AWSLogs/o-aa111bb222/111122223333/CloudTrail-Digest/eu-west-1/2024/03/04/111122223333_CloudTrail-Digest_eu-west-1_org_trail_us-east-1_20240304T110031Z.json.gz";

  test("parse: prefix, organization, account, regions, a trail name with underscores, stamp", () => {
    assert.deepEqual(parseDigestKey(key), {
      key,
      prefix: "logs/",
      orgId: "o-aa111bb222",
      account: "111122223333",
      sourceRegion: "eu-west-1",
      trailName: "org_trail",
      homeRegion: "us-east-1",
      stamp: "20240304T110031Z",
      backfill: false,
    });
    assert.equal(parseDigestKey(key.replace(".json.gz", "_backfill.json.gz"))?.backfill, true);
    assert.equal(parseDigestKey(key.replace("CloudTrail-Digest/", "CloudTrail/")), undefined);
    assert.equal(parseDigestKey(key.replace("111122223333_CloudTrail", "999999999999_CloudTrail")), undefined, "the account in the name must be the folder's");
    assert.equal(keyStamp(key), "20240304T110031Z");
    assert.equal(keyStamp(key.replace(".json.gz", "_backfill.json.gz")), "20240304T110031Z");
  });

  test("the key a digest would have at a time is the AWS CLI's (its listing marker)", () => {
    const { python } = awscliPython();
    const cases = [
      { account: "123456789012", sourceRegion: "us-east-1", trailName: "main", homeRegion: "us-east-1", prefix: "", orgId: undefined, at: Date.UTC(2024, 2, 4, 0, 0, 0) },
      { account: "111122223333", sourceRegion: "eu-west-1", trailName: "org-trail", homeRegion: "us-east-1", prefix: "a/b/", orgId: "o-aa111bb222", at: Date.UTC(2015, 7, 17, 15, 1, 31) },
    ];
    for (const c of cases) {
      const script = [
        "import sys, datetime",
        "from awscli.customizations.cloudtrail.validation import DigestProvider",
        `p = DigestProvider(None, ${JSON.stringify(c.account)}, ${JSON.stringify(c.trailName)}, ${JSON.stringify(c.homeRegion)}, ${JSON.stringify(c.sourceRegion)}, ${c.orgId ? JSON.stringify(c.orgId) : "None"})`,
        `print(p._create_digest_key(datetime.datetime.fromtimestamp(${c.at / 1000}, datetime.timezone.utc), ${c.prefix ? JSON.stringify(c.prefix.replace(/\/$/, "")) : "None"}))`,
      ].join("\n");
      const theirs = execFileSync(python, ["-c", script], { encoding: "utf8" }).trim();
      assert.equal(digestKeyAt(c, c.at - 60_000), theirs);
    }
  });
});

describe("digest JSON", () => {
  test("a JSON object with the six required fields", () => {
    const digest = parseDigest(utf8(JSON.stringify({ ...REQUIRED, logFiles: [] })));
    assert.equal(digest.digestS3Bucket, "b");
    assert.deepEqual(logFilesOf(digest), []);
  });

  test("refused, with what is wrong: not UTF-8, a BOM, not JSON, not an object, fields missing", () => {
    assert.throws(() => parseDigest(new Uint8Array([0x7b, 0xff, 0x7d])), DigestFormatError);
    assert.throws(() => parseDigest(utf8(`\ufeff${JSON.stringify(REQUIRED)}`)), DigestFormatError);
    assert.throws(() => parseDigest(utf8("{")), DigestFormatError);
    assert.throws(() => parseDigest(utf8("[]")), /not a JSON object/);
    const { digestEndTime: _, previousDigestSignature: __, ...partial } = REQUIRED;
    assert.throws(() => parseDigest(utf8(JSON.stringify(partial))), /missing previousDigestSignature, digestEndTime/);
  });

  test("logFiles must be well-formed once trusted", () => {
    assert.throws(() => logFilesOf(asDigest({ ...REQUIRED })), /logFiles is not an array/);
    assert.throws(() => logFilesOf(asDigest({ ...REQUIRED, logFiles: [{ s3Bucket: "b", s3Object: "k" }] })), /logFiles\[0\] lacks/);
  });

  test("times: CloudTrail's format; the clock read as UTC, as the AWS CLI reads it; anything else NaN", () => {
    assert.equal(digestTime("2024-03-04T11:00:31Z"), Date.UTC(2024, 2, 4, 11, 0, 31));
    assert.equal(digestTime("2024-03-04T11:00:31+02:00"), Date.UTC(2024, 2, 4, 11, 0, 31));
    assert.ok(Number.isNaN(digestTime("2024-02-30T11:00:31Z")));
    assert.ok(Number.isNaN(digestTime(null)));
    assert.equal(displayTime(Date.UTC(2024, 2, 4, 11, 0, 31, 999)), "2024-03-04T11:00:31Z");
  });
});
