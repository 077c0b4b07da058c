/**
 * Our S3 signatures checked by a server: a second LocalStack, started for this file on a free port with
 * `S3_SKIP_SIGNATURE_VALIDATION=0` (with the helpers of emulators/, which pass the environment on). LocalStack
 * checks signatures only in presigned URLs, so the objects are read with `S3.presign`, which signs the same path a
 * GET uses: keys with dot segments (sent with `%2F`), `//`, `+`, `%`, `&`, spaces and unicode must be canonicalized
 * by the server exactly as we signed them. Controls: a wrong secret, and a signature moved to another key, are
 * refused, so the validation is really on. (Header signatures are compared with botocore's in
 * test/unit/signing/sigv4.test.ts.)
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import { rmSync } from "node:fs";
import { join } from "node:path";
import process from "node:process";
import { readStackConfig, type StackConfig } from "../../emulators/config.ts";
import { startLocalStack, stopHostService } from "../../emulators/host.ts";
import { S3 } from "../../lib/aws/s3.ts";
import { AWKWARD_KEYS, randomKeys } from "../support/keys.ts";
import { repoRoot, uniqueName } from "../support/stack.ts";

const credentials = { accessKeyId: "test", secretAccessKey: "test" }; // LocalStack's presigning identity
let config: StackConfig;
let port: number;
let endpoint: string;
const log = (line: string) => process.stderr.write(`signing LocalStack: ${line}\n`);

before(async () => {
  port = await freePort();
  config = readStackConfig({ ...process.env, LOCALSTACK_PORT: String(port) }, repoRoot);
  const previous = process.env.S3_SKIP_SIGNATURE_VALIDATION;
  process.env.S3_SKIP_SIGNATURE_VALIDATION = "0";
  try {
    endpoint = (await startLocalStack(config, log)).url;
  } finally {
    if (previous === undefined) delete process.env.S3_SKIP_SIGNATURE_VALIDATION;
    else process.env.S3_SKIP_SIGNATURE_VALIDATION = previous;
  }
});

after(async () => {
  if (config) await stopHostService(config, "localstack", port, log);
  if (config) {
    rmSync(join(config.dir, "data", `localstack-${port}`), { recursive: true, force: true });
    rmSync(join(config.dir, "logs", `localstack-${port}.log`), { force: true });
  }
});

test("presigned GETs of awkward keys are accepted by LocalStack's signature check and return their objects", async () => {
  const s3 = new S3({ credentials, region: "us-east-1", endpoint });
  const bucket = uniqueName("sig");
  await s3.createBucket(bucket);
  const keys = [...AWKWARD_KEYS.filter((k) => k !== "." && k !== ".."), ...randomKeys(5, 40)];
  for (const key of keys) await s3.put(bucket, key, `object ${JSON.stringify(key)}`);
  const problems: string[] = [];
  for (const key of keys) {
    const response = await fetch(await s3.presign(bucket, key));
    const text = await response.text();
    if (response.status !== 200) problems.push(`${JSON.stringify(key)}: HTTP ${response.status} ${/<Code>([^<]*)/.exec(text)?.[1]}`);
    else if (text !== `object ${JSON.stringify(key)}`) problems.push(`${JSON.stringify(key)}: another object`);
  }
  assert.deepEqual(problems, []);
});

test("controls: a wrong secret, and a signature moved to another key, are refused (the check is on)", async () => {
  const s3 = new S3({ credentials, region: "us-east-1", endpoint });
  const bucket = uniqueName("sig");
  await s3.createBucket(bucket);
  await s3.put(bucket, "a/../b", "one");
  await s3.put(bucket, "b", "two");
  const wrong = new S3({ credentials: { accessKeyId: "test", secretAccessKey: "not-the-secret" }, region: "us-east-1", endpoint });
  const refused = await fetch(await wrong.presign(bucket, "a/../b"));
  assert.equal(refused.status, 403);
  assert.match(await refused.text(), /SignatureDoesNotMatch/);
  const moved = (await s3.presign(bucket, "a/../b")).replace("/a%2F..%2Fb?", "/b?");
  assert.notEqual(moved, await s3.presign(bucket, "a/../b"));
  const movedResponse = await fetch(moved);
  assert.equal(movedResponse.status, 403);
  await movedResponse.body?.cancel();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
