/**
 * scripts/validate.ts on a real LocalStack: every fixture scenario is uploaded with CloudTrail's layout, headers
 * and signature metadata to its own bucket; the script's output and exit code must be those of the AWS CLI's own
 * validate-logs code reading the same buckets through botocore. Also: the day form (--date, trails discovered)
 * equals the ARN form, Deno prints the same, public keys come from a ListPublicKeys endpoint when no file is
 * given, usage errors exit 2, and the secret key never shows.
 */
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { putHeaders, scenario, SCENARIOS, testPublicKeys, type Scenario } from "../../fixtures/digests.ts";
import { S3 } from "../../lib/aws/s3.ts";
import { assertAgree, cliRejectsAppendedData, referenceValidateLogs } from "../support/awscli.ts";
import { runScript } from "../support/run.ts";
import { TEST_SECRETS } from "../support/secrets.ts";
import { localStack, uniqueName, uploadAll, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let env: Record<string, string>;
const work = mkdtempSync(join(tmpdir(), "trailpost-validate-"));
const keysFile = join(work, "keys.json");
const uploaded = new Map<string, { s: Scenario; bucket: string }>();
let keyServer: Server;
let keyEndpoint: string;
let keyRequests = 0;

before(async () => {
  stack = await localStack();
  writeFileSync(keysFile, JSON.stringify(testPublicKeys()));
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  for (const name of SCENARIOS) {
    const bucket = uniqueName(`dg-${name}`).slice(0, 63);
    const s = scenario(name, { bucket });
    await uploadAll(s3, bucket, s.objects.map((o) => ({ key: o.key, body: o.body, headers: putHeaders(o) })));
    uploaded.set(name, { s, bucket });
  }
  env = {
    AWS_ENDPOINT_URL: stack.aws,
    AWS_ACCESS_KEY_ID: stack.accessKeyId,
    AWS_SECRET_ACCESS_KEY: TEST_SECRETS.awsSecretAccessKey,
    AWS_REGION: stack.region,
  };
  // ListPublicKeys for the runs without --public-keys (LocalStack's free edition has no CloudTrail)
  keyServer = createServer((req, res) => {
    keyRequests++;
    req.resume();
    req.on("end", () => res.writeHead(200, { "content-type": "application/x-amz-json-1.1" }).end(JSON.stringify(testPublicKeys())));
  });
  await new Promise<void>((resolve) => keyServer.listen(0, "127.0.0.1", resolve));
  keyEndpoint = `http://127.0.0.1:${(keyServer.address() as AddressInfo).port}`;
});

after(async () => {
  rmSync(work, { recursive: true, force: true });
  await new Promise<void>((resolve) => keyServer.close(() => resolve()));
});

const iso = (seconds: number) => new Date(seconds * 1000).toISOString().replace(/\.000Z$/, "Z");

function arnArgs(s: Scenario): string[] {
  return ["--trail-arn", s.day.trailArn, "--start-time", iso(s.day.start), "--end-time", iso(s.day.end), "--verbose"];
}

describe("validate.ts and the AWS CLI on LocalStack", () => {
  test("every scenario: the same lines and exit code as the AWS CLI's validate-logs reading the same bucket", async () => {
    const rejectsAppended = cliRejectsAppendedData();
    const runs = SCENARIOS.map((name) => {
      const { s, bucket } = uploaded.get(name)!;
      return { trailArn: s.day.trailArn, start: s.day.start * 1000, end: s.day.end * 1000, bucket, region: s.day.region, publicKeys: testPublicKeys(), s3Endpoint: stack.aws, verbose: true };
    });
    const references = await referenceValidateLogs(runs, { AWS_ACCESS_KEY_ID: stack.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.secretAccessKey, AWS_DEFAULT_REGION: stack.region });
    for (const [i, name] of SCENARIOS.entries()) {
      const { s, bucket } = uploaded.get(name)!;
      const ours = await runScript("validate.ts", [...arnArgs(s), "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket });
      const appended = name === "appended-log" ? s.touched.map((k) => `s3://${bucket}/${k}`) : [];
      assertAgree({ code: ours.code ?? -1, stdout: ours.stdout, stderr: ours.stderr }, references[i]!, appended, rejectsAppended, name);
      assert.ok(!`${ours.stdout}${ours.stderr}`.includes(TEST_SECRETS.awsSecretAccessKey), `${name}: the secret key is printed`);
    }
  });

  test("--date finds the trail itself and prints the same as the ARN form; exit 0 valid, 1 not", async () => {
    for (const name of ["valid", "modified-log"] as const) {
      const { s, bucket } = uploaded.get(name)!;
      const byArn = await runScript("validate.ts", [...arnArgs(s), "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket });
      const byDay = await runScript("validate.ts", ["--date", s.day.date, "--verbose", "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket });
      assert.equal(byDay.stdout, byArn.stdout, name);
      assert.equal(byDay.stderr, byArn.stderr, name);
      assert.equal(byDay.code, name === "valid" ? 0 : 1, `${name}: ${byDay.stderr}`);
    }
    const { s, bucket } = uploaded.get("modified-log")!;
    const quiet = await runScript("validate.ts", ["--date", s.day.date, "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket });
    assert.equal(quiet.stderr, `Log file\ts3://${bucket}/${s.touched[0]}\tINVALID: hash value doesn't match\n\n`);
    assert.ok(!quiet.stdout.includes("\tvalid"), "valid files only with --verbose");
    assert.match(quiet.stdout, /\n25\/25 digest files valid\n49\/50 log files valid, 1\/50 log files INVALID\n$/);
  });

  test("under Deno: the same output", async () => {
    const { s, bucket } = uploaded.get("moved-digest")!;
    const node = await runScript("validate.ts", [...arnArgs(s), "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket });
    const deno = await runScript("validate.ts", [...arnArgs(s), "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket }, { runtime: "deno" });
    assert.deepEqual({ code: deno.code, stdout: deno.stdout, stderr: deno.stderr }, { code: node.code, stdout: node.stdout, stderr: node.stderr });
    assert.equal(node.code, 1);
    assert.match(node.stderr, /^\nDigest file\ts3:\/\/.*\tINVALID: not found\n\nDigest file\ts3:\/\/.*\tINVALID: has been moved from its original location\n\n$/);
  });

  test("without --public-keys, the keys come from ListPublicKeys (asked once per region and range)", async () => {
    const { s, bucket } = uploaded.get("valid")!;
    keyRequests = 0;
    const result = await runScript("validate.ts", ["--date", s.day.date], { ...env, CLOUDTRAIL_BUCKET: bucket, AWS_ENDPOINT_URL_CLOUDTRAIL: keyEndpoint });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /25\/25 digest files valid\n50\/50 log files valid\n$/);
    assert.equal(keyRequests, 1);
  });
});

describe("validate.ts refuses what it cannot do", () => {
  test("usage and configuration errors exit 2 before anything runs", async () => {
    const { bucket } = uploaded.get("valid")!;
    const cases: [string[], Record<string, string>, RegExp][] = [
      [["--date", "2024-03-04"], {}, /no bucket: set CLOUDTRAIL_BUCKET/],
      [["--start-time", "yesterday"], { CLOUDTRAIL_BUCKET: bucket }, /--start-time must be a UTC time like 2024-03-04T05:00:00Z, not "yesterday"/],
      [["--start-time", "2024-03-05T00:00:00Z", "--end-time", "2024-03-04T00:00:00Z"], { CLOUDTRAIL_BUCKET: bucket }, /start-time must occur before end-time/],
      [["--date", "2024-03-04", "--trail-arn", "main"], { CLOUDTRAIL_BUCKET: bucket }, /--trail-arn must be a trail ARN/],
      [["--date", "2024-03-04", "--public-keys", join(work, "absent.json")], { CLOUDTRAIL_BUCKET: bucket }, /--public-keys: .*absent\.json: no such file/],
      [["--date", "2024-03-04", "--public-keys", join(work, "keys.txt")], { CLOUDTRAIL_BUCKET: bucket }, /--public-keys: .*keys\.txt: expected \{"PublicKeyList": \[\.\.\.\]\}/],
    ];
    writeFileSync(join(work, "keys.txt"), "[]");
    for (const [args, extra, message] of cases) {
      const result = await runScript("validate.ts", args, { ...env, ...extra });
      assert.equal(result.code, 2, `${args.join(" ")}: ${result.stderr}`);
      assert.match(result.stderr, message);
    }
  });

  test("a day without digests is an error that says where it looked", async () => {
    const { bucket } = uploaded.get("valid")!;
    const result = await runScript("validate.ts", ["--date", "2013-12-07", "--public-keys", keysFile], { ...env, CLOUDTRAIL_BUCKET: bucket });
    assert.equal(result.code, 1);
    assert.match(result.stderr, new RegExp(`validate: no digest files in s3://${bucket}/ for 2013-12-07T00:00:00.000Z to 2013-12-07T23:59:59.000Z`));
  });

  test("a --trail-arn with no digests in the range (a wrong trail name) is exit 1 with a line naming the trail, not 0", async () => {
    const { s, bucket } = uploaded.get("valid")!;
    const wrong = s.day.trailArn.replace(/trail\/.*$/, "trail/no-such-trail");
    assert.notEqual(wrong, s.day.trailArn);
    const args = ["--trail-arn", wrong, "--start-time", iso(s.day.start), "--end-time", iso(s.day.end), "--public-keys", keysFile];
    for (const runtime of ["node", "deno"] as const) {
      const result = await runScript("validate.ts", args, { ...env, CLOUDTRAIL_BUCKET: bucket }, { runtime });
      assert.equal(result.code, 1, `${runtime}: ${result.stdout}${result.stderr}`);
      assert.match(result.stdout, /No digests found/);
      assert.match(result.stderr, new RegExp(`validate: no digest files of trail ${wrong.replace(/[/.]/g, "\\$&")} \\(account \\d{12}, region [a-z0-9-]+\\) for .*: is --trail-arn right\\?`));
    }
  });

  test("a CloudTrail endpoint that fails: exit 1 naming it, the secret key not shown", async () => {
    const { bucket, s } = uploaded.get("valid")!;
    const result = await runScript("validate.ts", ["--date", s.day.date], { ...env, CLOUDTRAIL_BUCKET: bucket, AWS_ENDPOINT_URL_CLOUDTRAIL: "http://127.0.0.1:1" });
    assert.equal(result.code, 1);
    assert.match(result.stderr, /stopped: CloudTrail ListPublicKeys at http:\/\/127\.0\.0\.1:1 failed/);
    assert.ok(!result.stderr.includes(TEST_SECRETS.awsSecretAccessKey));
  });
});
