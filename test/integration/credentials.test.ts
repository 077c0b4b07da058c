/**
 * Which credentials the scripts really sign with, as the AWS CLI would choose them: copy.ts runs against LocalStack
 * through a loopback proxy that records the access key id of every request. `--profile` wins over keys in the
 * environment, `AWS_PROFILE` does not; keys indented under a section are read; a shared file the CLI refuses stops
 * the run with exit 2, naming the file and line and never a secret.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { S3 } from "../../lib/aws/s3.ts";
import { httpProxy, type Proxy } from "../support/proxy.ts";
import { runScript } from "../support/run.ts";
import { localStack, uniqueName, type TestStack } from "../support/stack.ts";

// LocalStack maps AKIA-shaped ids to other accounts; these plain ids all use its default account
const ENV_KEYS = { AWS_ACCESS_KEY_ID: "env-key-id", AWS_SECRET_ACCESS_KEY: "env-secret-never-printed", AWS_SESSION_TOKEN: "env-token-never-printed" };
const CREDENTIALS_FILE = [
  "[default]",
  "aws_access_key_id = default-key-id",
  "aws_secret_access_key = default-secret-never-printed",
  "",
  "[audit]",
  "  aws_access_key_id = audit-key-id",
  "  aws_secret_access_key = audit-secret-never-printed",
  "",
].join("\n");

let stack: TestStack;
let proxy: Proxy;
let bucket: string;
const work = mkdtempSync(join(tmpdir(), "trailpost-credentials-"));
const KEY = "AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/111122223333_CloudTrail_us-east-1_20131207T0505Z_a.json.gz";

before(async () => {
  stack = await localStack();
  bucket = uniqueName("creds");
  const s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
  await s3.createBucket(bucket);
  await s3.put(bucket, KEY, new Uint8Array(gzipSync(JSON.stringify({ Records: [{ eventID: "a", eventTime: "2013-12-07T05:03:12Z" }] }))));
  proxy = await httpProxy(Number(new URL(stack.aws).port));
  writeFileSync(join(work, "credentials"), CREDENTIALS_FILE);
  writeFileSync(join(work, "config"), "[profile audit]\nregion = us-east-1\n");
});
after(async () => {
  await proxy.close();
  rmSync(work, { recursive: true, force: true });
});

async function copyWith(env: Record<string, string>, args: string[] = []) {
  const from = proxy.seen.length;
  const run = await runScript("copy.ts", ["--bucket", bucket, "--date", "2013-12-07", "--out", join(work, "out"), ...args], {
    AWS_ENDPOINT_URL: proxy.url, AWS_REGION: "us-east-1", AWS_SHARED_CREDENTIALS_FILE: join(work, "credentials"), AWS_CONFIG_FILE: join(work, "config"),
    AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_SESSION_TOKEN: "", AWS_PROFILE: "", AWS_DEFAULT_PROFILE: "",
    ...env,
  });
  const keyIds = new Set(proxy.seen.slice(from).map((r) => /Credential=([^/]+)\//.exec(String(r.headers.authorization))?.[1]));
  const tokens = new Set(proxy.seen.slice(from).map((r) => r.headers["x-amz-security-token"]));
  return { ...run, keyIds: [...keyIds], tokens: [...tokens] };
}

test("environment keys win over AWS_PROFILE (as in the AWS CLI)", async () => {
  const run = await copyWith({ ...ENV_KEYS, AWS_PROFILE: "audit" });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.keyIds, ["env-key-id"]);
  assert.deepEqual(run.tokens, ["env-token-never-printed"]);
});

test("--profile wins over environment keys, and its keys may be indented under the section", async () => {
  const run = await copyWith(ENV_KEYS, ["--profile", "audit"]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.keyIds, ["audit-key-id"]);
  assert.deepEqual(run.tokens, [undefined], "the environment's session token is not sent with the profile's keys");
});

test("no keys in the environment: AWS_PROFILE, else the default profile", async () => {
  assert.deepEqual((await copyWith({ AWS_PROFILE: "audit" })).keyIds, ["audit-key-id"]);
  assert.deepEqual((await copyWith({})).keyIds, ["default-key-id"]);
});

test("a shared file the CLI refuses, or a missing profile, stops the run with exit 2 before any request, and never prints a secret", async () => {
  writeFileSync(join(work, "broken"), `${CREDENTIALS_FILE}[audit]\naws_secret_access_key = another-secret-never-printed\n`);
  const broken = await copyWith({ AWS_SHARED_CREDENTIALS_FILE: join(work, "broken") }, ["--profile", "audit"]);
  assert.equal(broken.code, 2);
  assert.match(broken.stderr, new RegExp(`${join(work, "broken").replace(/[/.]/g, "\\$&")}, line 8: section \\[audit\\] appears twice`));
  assert.deepEqual(broken.keyIds, []);
  const missing = await copyWith(ENV_KEYS, ["--profile", "nope"]);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /AWS profile "nope" not found/);
  for (const run of [broken, missing]) assert.ok(!/never-printed/.test(run.stdout + run.stderr), "no secret in the output");
});

test("a region from the profile or AWS_DEFAULT_REGION that is not a region name is a configuration error (it would become S3's host)", async () => {
  writeFileSync(join(work, "bad-region"), "[default]\nregion = attacker.example/x\n");
  const run = await runScript("copy.ts", ["--bucket", bucket, "--date", "2013-12-07", "--out", join(work, "out")], {
    AWS_CONFIG_FILE: join(work, "bad-region"), AWS_SHARED_CREDENTIALS_FILE: join(work, "credentials"),
    AWS_ENDPOINT_URL: "", AWS_ENDPOINT_URL_S3: "", AWS_REGION: "", AWS_DEFAULT_REGION: "", AWS_PROFILE: "", ...ENV_KEYS,
  });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /the AWS region "attacker\.example\/x" .* is not a region name/);
});
