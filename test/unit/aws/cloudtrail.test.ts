/**
 * ListPublicKeys over fetch: the request is the one botocore sends (the real `aws cloudtrail list-public-keys`
 * is pointed at the same local server, and both requests are compared), signed with SigV4 for cloudtrail; the
 * answer parses to the same keys as the CLI's own output file; errors are CloudTrail's code and message, 5xx is
 * retried, NextToken followed, and the secret key never appears.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { CloudTrail, CloudTrailError } from "../../../lib/aws/cloudtrail.ts";
import { fileKeys, parsePublicKeyList, cachedKeys, PublicKeyListError } from "../../../lib/integrity/public-keys.ts";
import { awscliPython } from "../../support/awscli.ts";
import { TEST_SECRETS } from "../../support/secrets.ts";

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage["headers"];
  body: string;
}

const KEYS = {
  PublicKeyList: [
    { Value: "MIIBCgKCAQEAlSS3cl92HDyc", ValidityStartTime: 1709510400.0, ValidityEndTime: 1712102400.0, Fingerprint: "7f3f401420072e50a65a141430817ab3" },
    { Value: "MIIBCgKCAQEAzzzz", ValidityStartTime: 1712102400, ValidityEndTime: 1714694400, Fingerprint: "8eba5db5bea9b640d1c96a77256fe7f2" },
  ],
};

let server: Server;
let endpoint: string;
const seen: Seen[] = [];
let answers: { status: number; body: unknown }[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (d: Buffer) => (body += d));
    req.on("end", () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body });
      const answer = answers.shift() ?? { status: 200, body: KEYS };
      res.writeHead(answer.status, { "content-type": "application/x-amz-json-1.1" });
      res.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: TEST_SECRETS.awsSecretAccessKey };
const start = Date.UTC(2024, 2, 4);
const end = Date.UTC(2024, 2, 5, 2);

describe("ListPublicKeys", () => {
  test("sends what the AWS CLI sends, and reads the same keys the CLI prints", async () => {
    const { python } = awscliPython();
    seen.length = 0;
    const { stdout } = await promisify(execFile)(python, ["-m", "awscli", "cloudtrail", "list-public-keys", "--start-time", "2024-03-04T00:00:00Z", "--end-time", "2024-03-05T02:00:00Z", "--endpoint-url", endpoint, "--region", "eu-west-1", "--output", "json"], {
      env: { ...process.env, AWS_ACCESS_KEY_ID: credentials.accessKeyId, AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
    });
    const cli = seen.pop()!;
    const keys = await new CloudTrail({ credentials, region: "eu-west-1", endpoint }).listPublicKeys(start, end);
    const ours = seen.pop()!;

    assert.equal(ours.method, cli.method);
    assert.equal(ours.url, cli.url);
    assert.equal(ours.headers["x-amz-target"], cli.headers["x-amz-target"]);
    assert.equal(ours.headers["x-amz-target"], "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys");
    assert.equal(ours.headers["content-type"], cli.headers["content-type"]);
    assert.deepEqual(JSON.parse(ours.body), JSON.parse(cli.body));
    assert.match(String(ours.headers.authorization), /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/cloudtrail\/aws4_request, SignedHeaders=[^,]*x-amz-target[^,]*, Signature=[0-9a-f]{64}$/);
    assert.match(String(cli.headers.authorization), /\/eu-west-1\/cloudtrail\/aws4_request/);

    // the CLI's output file is what --public-keys reads: the same keys
    assert.deepEqual(parsePublicKeyList(JSON.parse(stdout), "cli output"), keys);
    assert.deepEqual(keys[0], { fingerprint: "7f3f401420072e50a65a141430817ab3", value: "MIIBCgKCAQEAlSS3cl92HDyc", validityStart: 1709510400000, validityEnd: 1712102400000 });
  });

  test("CloudTrail's errors keep their code and message, and never the secret key", async () => {
    answers = [{ status: 400, body: { __type: "com.amazonaws.cloudtrail.v20131101#InvalidTimeRangeException", message: "Start time must be before end time" } }];
    const error = await new CloudTrail({ credentials, region: "us-east-1", endpoint, retries: 0 }).listPublicKeys(end, start).catch((e: unknown) => e);
    assert.ok(error instanceof CloudTrailError);
    assert.equal(error.code, "InvalidTimeRangeException");
    assert.equal(error.message, "CloudTrail ListPublicKeys in us-east-1: InvalidTimeRangeException (Start time must be before end time)");
    assert.ok(!error.message.includes(TEST_SECRETS.awsSecretAccessKey));
  });

  test("a 503 is retried; NextToken is followed", async () => {
    seen.length = 0;
    answers = [
      { status: 503, body: { __type: "ServiceUnavailable" } },
      { status: 200, body: { PublicKeyList: [KEYS.PublicKeyList[0]], NextToken: "t1" } },
      { status: 200, body: { PublicKeyList: [KEYS.PublicKeyList[1]] } },
    ];
    const keys = await new CloudTrail({ credentials, region: "us-east-1", endpoint, retries: 2 }).listPublicKeys(start, end);
    assert.deepEqual(keys.map((k) => k.fingerprint), KEYS.PublicKeyList.map((k) => k.Fingerprint));
    assert.equal(seen.length, 3);
    assert.equal(JSON.parse(seen[2]!.body).NextToken, "t1");
  });

  test("a server that is not there is named", async () => {
    const error = await new CloudTrail({ credentials, region: "us-east-1", endpoint: "http://127.0.0.1:1", retries: 0 }).listPublicKeys(start, end).catch((e: unknown) => e);
    assert.ok(error instanceof CloudTrailError);
    assert.match(error.message, /^CloudTrail ListPublicKeys at http:\/\/127\.0\.0\.1:1 failed: /);
  });
});

describe("public key lists", () => {
  test("AWS CLI v1 (epoch seconds) and v2 (ISO 8601) output both parse", () => {
    const v2 = { PublicKeyList: [{ Value: "QUJD", ValidityStartTime: "2024-03-04T00:00:00+00:00", ValidityEndTime: "2024-04-03T00:00:00+00:00", Fingerprint: "ab" }] };
    assert.deepEqual(parsePublicKeyList(v2, "v2.json"), [{ fingerprint: "ab", value: "QUJD", validityStart: Date.UTC(2024, 2, 4), validityEnd: Date.UTC(2024, 3, 3) }]);
  });

  test("a bad file is refused naming the file and the entry", () => {
    assert.throws(() => parsePublicKeyList([], "keys.json"), { message: 'keys.json: expected {"PublicKeyList": [...]}, as aws cloudtrail list-public-keys prints' });
    assert.throws(() => parsePublicKeyList({ PublicKeyList: [{ Fingerprint: "ab" }] }, "keys.json"), { message: "keys.json: PublicKeyList[0] (ab) has no Value" });
    assert.throws(() => parsePublicKeyList({ PublicKeyList: [{ Fingerprint: "ab", Value: "x", ValidityStartTime: "yesterday", ValidityEndTime: 1 }] }, "k"), PublicKeyListError);
  });

  test("keys from a file are filtered by validity as ListPublicKeys filters them", async () => {
    const keys = fileKeys(parsePublicKeyList(KEYS, "k"));
    assert.deepEqual((await keys.list("us-east-1", Date.UTC(2024, 2, 10), Date.UTC(2024, 2, 11))).map((k) => k.fingerprint), ["7f3f401420072e50a65a141430817ab3"]);
    assert.equal((await keys.list("us-east-1", Date.UTC(2024, 3, 3), Date.UTC(2024, 3, 3))).length, 2, "both valid at the rotation");
    assert.equal((await keys.list("us-east-1", Date.UTC(2030, 0, 1), Date.UTC(2030, 0, 2))).length, 0);
  });

  test("a cache asks once per region and range, and does not remember a failure", async () => {
    let calls = 0;
    let fail = true;
    const cached = cachedKeys({
      async list() {
        calls++;
        if (fail) throw new Error("throttled");
        return [];
      },
    });
    await assert.rejects(cached.list("us-east-1", 1, 2), /throttled/);
    fail = false;
    await cached.list("us-east-1", 1, 2);
    await cached.list("us-east-1", 1, 2);
    await cached.list("eu-west-1", 1, 2);
    assert.equal(calls, 3);
  });
});
