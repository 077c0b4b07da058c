/**
 * The S3 class and the download side of the pipeline against the real LocalStack, compared with the AWS CLI:
 * pagination past 1,000 keys, awkward keys written and read by both clients, a bucket in another region, listings
 * that end early or loop, and downloads through a loopback proxy that cuts connections mid-body or closes idle
 * ones: every record arrives exactly once, or the object is failed by name.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { S3, S3Error } from "../../lib/aws/s3.ts";
import { openObject } from "../../lib/aws/download.ts";
import { s3Objects } from "../../lib/cloudtrail/objects.ts";
import { Ledger } from "../../lib/ledger.ts";
import { gunzip } from "../../lib/streams/gunzip.ts";
import { iterate } from "../../lib/streams/log-object.ts";
import { select } from "../../lib/streams/select.ts";
import { decompress } from "../../scripts/runtime/platform.ts";
import { Rng } from "../../fixtures/common.ts";
import { awsCli } from "../support/botocore.ts";
import { AWKWARD_KEYS, randomKeys } from "../support/keys.ts";
import { httpProxy, type Proxy } from "../support/proxy.ts";
import { runScript } from "../support/run.ts";
import { localStack, uniqueName, type TestStack } from "../support/stack.ts";

let stack: TestStack;
let s3: S3;
const proxies: Proxy[] = [];
const work = mkdtempSync(join(tmpdir(), "trailpost-s3-"));

before(async () => {
  stack = await localStack();
  s3 = new S3({ credentials: stack.credentials, region: stack.region, endpoint: stack.aws });
});
after(async () => {
  await Promise.all(proxies.map((p) => p.close()));
  rmSync(work, { recursive: true, force: true });
});

const port = () => Number(new URL(stack.aws).port);
async function proxy(...args: Parameters<typeof httpProxy> extends [number, ...infer R] ? R : never): Promise<Proxy> {
  const p = await httpProxy(port(), ...args);
  proxies.push(p);
  return p;
}
const through = (p: Proxy, options: Partial<ConstructorParameters<typeof S3>[0]> = {}) => new S3({ credentials: stack.credentials, region: stack.region, endpoint: p.url, backoffMs: 10, ...options });

async function keysOf(client: S3, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const object of client.list(bucket, prefix)) keys.push(object.key);
  return keys;
}

/** `aws s3api list-objects-v2` (the CLI pages and URL-decodes itself): every key under the prefix. */
async function cliKeys(bucket: string, prefix: string): Promise<string[]> {
  const result = await awsCli(["--endpoint-url", stack.aws, "s3api", "list-objects-v2", "--bucket", bucket, "--prefix", prefix, "--output", "json"], cliEnv());
  assert.equal(result.code, 0, result.stderr);
  return ((JSON.parse(result.stdout || "{}") as { Contents?: { Key: string }[] }).Contents ?? []).map((c) => c.Key);
}

const cliEnv = () => ({ AWS_ACCESS_KEY_ID: stack.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.secretAccessKey, AWS_DEFAULT_REGION: stack.region, AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" });

async function inParallel<T>(items: T[], limit: number, each: (item: T) => Promise<unknown>): Promise<void> {
  const queue = [...items];
  await Promise.all(Array.from({ length: limit }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await each(item);
  }));
}

// ---------------------------------------------------------------------------------------------------------------

describe("listing", () => {
  let bucket: string;
  const MANY = 1_234;
  const manyKeys = Array.from({ length: MANY }, (_, i) => `many/${String(i).padStart(5, "0")}${i % 97 === 0 ? " +&é" : ""}.json.gz`);

  before(async () => {
    bucket = uniqueName("list");
    await s3.createBucket(bucket);
    await inParallel(manyKeys, 16, (key) => s3.put(bucket, key, "x"));
  });

  test(`pagination over ${MANY} keys: every key once, in order, exactly as the AWS CLI lists them`, async () => {
    const p = await proxy();
    const ours = await keysOf(through(p), bucket, "many/");
    assert.equal(ours.length, MANY);
    assert.equal(new Set(ours).size, MANY);
    assert.deepEqual(ours, await cliKeys(bucket, "many/"));
    assert.deepEqual(ours, [...manyKeys].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
    assert.equal(p.seen.filter((r) => r.url.includes("continuation-token=")).length, 1, "two pages");
  });

  test("a page that says IsTruncated but has no continuation token: an error naming the listing, after the first page's keys", async () => {
    const p = await proxy((r) => (r.url.includes("list-type=2") && !r.url.includes("continuation-token") ? { rewrite: (xml) => xml.replace(/<NextContinuationToken>[^<]*<\/NextContinuationToken>/, "") } : undefined));
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const o of through(p).list(bucket, "many/")) seen.push(o.key);
      })(),
      (e: unknown) => e instanceof S3Error && e.code === "TruncatedListing" && e.message.startsWith(`s3://${bucket}/many/: `),
    );
    assert.equal(seen.length, 1000);
  });

  test("a second page that hands back the first page's token: an error, not an endless loop", async () => {
    let firstToken = "";
    const p = await proxy((r) => {
      if (!r.url.includes("list-type=2")) return undefined;
      if (!r.url.includes("continuation-token")) return { rewrite: (xml) => ((firstToken = /<NextContinuationToken>([^<]*)</.exec(xml)![1]!), xml) };
      return { rewrite: (xml) => xml.replace("<IsTruncated>false</IsTruncated>", `<IsTruncated>true</IsTruncated><NextContinuationToken>${firstToken}</NextContinuationToken>`) };
    });
    await assert.rejects(keysOf(through(p), bucket, "many/"), (e: unknown) => e instanceof S3Error && e.code === "LoopingListing");
    assert.equal(p.seen.filter((r) => r.url.includes("list-type=2")).length, 2);
  });

  test("a page cut mid-body is asked for again; a page cut into invalid XML is an error", async () => {
    const cut = await proxy((r) => (r.url.includes("list-type=2") && r.attempt <= 2 ? { cutAfter: 5_000 } : undefined));
    assert.equal((await keysOf(through(cut), bucket, "many/")).length, MANY);
    const broken = await proxy((r) => (r.url.includes("list-type=2") ? { rewrite: (xml) => xml.slice(0, 5_000) } : undefined));
    await assert.rejects(keysOf(through(broken), bucket, "many/"), (e: unknown) => e instanceof S3Error && e.code === "InvalidListing" && /incomplete/.test(e.message));
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("awkward keys", () => {
  let bucket: string;
  const keys = [...AWKWARD_KEYS.filter((k) => k !== "." && k !== ".."), ...randomKeys(3, 60)];
  const byCli = ["a/../b", "../outside", "./here", "a//../b", "a+b c&d=e%f?g#h", "é/☃/😀/日本語"];
  const content = (key: string) => `the object ${JSON.stringify(key)}`;

  before(async () => {
    bucket = uniqueName("keys");
    await s3.createBucket(bucket);
    const file = join(work, "body");
    for (const key of byCli) {
      writeFileSync(file, content(key));
      const put = await awsCli(["--endpoint-url", stack.aws, "s3api", "put-object", "--bucket", bucket, "--key", key, "--body", file], cliEnv());
      assert.equal(put.code, 0, put.stderr);
    }
    await inParallel(keys.filter((k) => !byCli.includes(k)), 8, (key) => s3.put(bucket, key, content(key)));
  });

  test("listed exactly as the AWS CLI lists them", async () => {
    const ours = await keysOf(s3, bucket, "");
    assert.deepEqual([...ours].sort(), [...keys].sort());
    assert.deepEqual(ours, await cliKeys(bucket, ""));
  });

  test("each read back as itself, whether we or the AWS CLI wrote it (dot segments, //, +, %, &, unicode)", async () => {
    const wrong: string[] = [];
    await inParallel(keys, 8, async (key) => {
      const text = await (await s3.get(bucket, key)).text();
      if (text !== content(key)) wrong.push(`${JSON.stringify(key)} → ${JSON.stringify(text.slice(0, 80))}`);
    });
    assert.deepEqual(wrong, []);
  });

  test("what we wrote, the AWS CLI reads under the same key", async () => {
    for (const key of ["a/./b", "%2e%2e/encoded-dots", "a//b", "....", "tilde~star*paren()bang!"]) {
      const out = join(work, "cli-get");
      const got = await awsCli(["--endpoint-url", stack.aws, "s3api", "get-object", "--bucket", bucket, "--key", key, out], cliEnv());
      assert.equal(got.code, 0, got.stderr);
      assert.equal(readFileSync(out, "utf8"), content(key), key);
    }
  });

  test("a prefix with awkward characters lists exactly its keys", async () => {
    for (const prefix of ["a/", "../", "é/", "a+b c&d", "%2e"]) {
      assert.deepEqual(await keysOf(s3, bucket, prefix), await cliKeys(bucket, prefix), prefix);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe("a bucket in another region", () => {
  let bucket: string;

  before(async () => {
    bucket = uniqueName("eu");
    const eu = new S3({ credentials: stack.credentials, region: "eu-west-1", endpoint: stack.aws });
    await eu.createBucket(bucket);
    await eu.put(bucket, "AWSLogs/x.json.gz", "eu object");
  });

  test("LocalStack serves it to a client of us-east-1 directly (no redirect), naming its region in x-amz-bucket-region on listings", async () => {
    const p = await proxy();
    const client = through(p);
    assert.equal(await (await client.get(bucket, "AWSLogs/x.json.gz")).text(), "eu object");
    assert.deepEqual(await keysOf(client, bucket, "AWSLogs/"), ["AWSLogs/x.json.gz"]);
    assert.deepEqual(p.seen.map((r) => r.answered?.status), [200, 200]);
    assert.equal(p.seen[1]!.answered?.headers["x-amz-bucket-region"], "eu-west-1");
  });

  test("S3's redirect (301 PermanentRedirect naming eu-west-1) is followed to the same endpoint, signed for eu-west-1", async () => {
    const p = await proxy((r) => (r.attempt === 1 && /Credential=[^/]+\/\d+\/us-east-1\//.test(String(r.headers.authorization))
      ? { answer: { status: 301, headers: { "x-amz-bucket-region": "eu-west-1", "content-type": "application/xml" }, body: "<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint.</Message></Error>" } }
      : undefined));
    assert.equal(await (await through(p).get(bucket, "AWSLogs/x.json.gz")).text(), "eu object");
    assert.equal(p.seen.length, 2);
    assert.match(String(p.seen[1]!.headers.authorization), /\/eu-west-1\/s3\/aws4_request/);
  });

  test("a redirect naming a host instead of a region is refused; nothing more is sent", async () => {
    const p = await proxy(() => ({ answer: { status: 301, headers: { "x-amz-bucket-region": "attacker.example" } } }));
    await assert.rejects(through(p).get(bucket, "AWSLogs/x.json.gz"), (e: unknown) => e instanceof S3Error && e.code === "UnsafeRegionRedirect");
    assert.equal(p.seen.length, 1);
  });
});

// ---------------------------------------------------------------------------------------------------------------

const DAY = "2013-12-07";
const FOLDER = "AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/";
const LOG_KEY = (i: number) => `${FOLDER}111122223333_CloudTrail_us-east-1_20131207T${String(1000 + i)}Z_obj${i}.json.gz`;

/** A gzipped CloudTrail log of `records` records, each padded with `pad` random (incompressible) hex characters. */
function trailLog(seed: number, records: number, pad: number): { body: Uint8Array; ids: string[] } {
  const rng = new Rng(seed);
  const ids: string[] = [];
  const list = Array.from({ length: records }, (_, i) => {
    const id = `${seed}-${i}-${rng.u32().toString(16)}`;
    ids.push(id);
    const noise = Array.from({ length: Math.ceil(pad / 8) }, () => rng.u32().toString(16).padStart(8, "0")).join("").slice(0, pad);
    return { eventVersion: "1.08", eventID: id, eventTime: "2013-12-07T10:00:00Z", eventName: "GetObject", requestParameters: { noise } };
  });
  return { body: new Uint8Array(gzipSync(JSON.stringify({ Records: list }))), ids };
}

async function ingestIds(client: S3, bucket: string, options: Partial<Parameters<typeof s3Objects>[3]> = {}, slowMs = 0) {
  const ledger = new Ledger();
  const ids: string[] = [];
  const objects = s3Objects(client, { bucket, accounts: ["111122223333"], regions: ["us-east-1"] }, [DAY], { ledger, download: { backoffMs: 10 }, ...options });
  const slowed = slowMs
    ? objects.pipeThrough(new TransformStream({ async transform(o, c) { await new Promise((r) => setTimeout(r, slowMs)); c.enqueue(o); } }, undefined, { highWaterMark: 0 }))
    : objects;
  const records = slowed.pipeThrough(gunzip({ decompress })).pipeThrough(select(".Records[]", { ledger }));
  for await (const record of iterate(records)) ids.push((record.value as { eventID: string }).eventID);
  return { ledger, ids };
}

describe("downloads that break", () => {
  let bucket: string;
  const expected: string[] = [];
  const sizes: number[] = [];

  before(async () => {
    bucket = uniqueName("reset");
    await s3.createBucket(bucket);
    for (let i = 0; i < 5; i++) {
      const { body, ids } = trailLog(100 + i, 400, 400);
      expected.push(...ids);
      sizes.push(body.length);
      await s3.put(bucket, LOG_KEY(i), body, { "content-type": "application/json", "content-encoding": "gzip" });
    }
  });

  test("reset mid-body on the first two attempts of every object: resumed with Range and If-Match, every record exactly once", async () => {
    const p = await proxy((r) => {
      if (r.method !== "GET" || r.url.includes("list-type") || r.attempt > 2) return undefined;
      return { cutAfter: r.attempt === 1 ? 40_000 : 25_000 };
    });
    const { ledger, ids } = await ingestIds(through(p), bucket);
    assert.deepEqual(ledger.failures, []);
    assert.equal(ids.length, expected.length);
    assert.deepEqual([...ids].sort(), [...expected].sort());
    const resumes = p.seen.filter((r) => r.headers.range);
    assert.equal(resumes.length, 10, "two resumes per object");
    for (const r of resumes) {
      assert.match(String(r.headers.range), /^bytes=\d+-$/);
      assert.match(String(r.headers["if-match"]), /^"[0-9a-f]+"$/);
    }
  });

  test("an object that breaks on every attempt is failed by name with the cause; the others arrive whole", async () => {
    const p = await proxy((r) => (r.method === "GET" && r.url.includes("obj2.json.gz") ? { cutAfter: 10_000 } : undefined));
    const { ledger, ids } = await ingestIds(through(p, { retries: 1 }), bucket, { download: { retries: 2, backoffMs: 10 } });
    assert.equal(ledger.failures.length, 1);
    assert.equal(ledger.failures[0]!.subject, `s3://${bucket}/${LOG_KEY(2)}`);
    assert.match(ledger.failures[0]!.reason, /download failed 3 times, last at byte \d+ of \d+/);
    assert.equal(ids.length, expected.length - 400);
    assert.equal(new Set(ids).size, ids.length);
  });

  test("a download cancelled while its resume waits for an answer aborts that request", async () => {
    // the first GET answers; the resume after suspend() is held unanswered until the client gives up
    const p = await proxy((r) => (r.method === "GET" && r.attempt > 1 ? { hold: true } : undefined));
    const download = await openObject(through(p), bucket, LOG_KEY(0));
    const reader = download.body.getReader();
    assert.ok(((await reader.read()).value?.length ?? 0) > 0);
    download.suspend();
    const pending = reader.read();
    for (let i = 0; i < 100 && !p.seen.some((r) => r.attempt > 1); i++) await new Promise((r) => setTimeout(r, 20));
    const held = p.seen.find((r) => r.attempt > 1);
    assert.ok(held, "the resume reached the proxy");
    assert.equal(held.clientClosed, undefined);
    await reader.cancel();
    assert.equal((await pending).done, true);
    for (let i = 0; i < 100 && !held.clientClosed; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(held.clientClosed, true, "the held request was not aborted: its connection stays open");
  });

  test("copy.ts through the same resets writes every object byte for byte", async () => {
    const p = await proxy((r) => (r.method === "GET" && !r.url.includes("list-type") && r.attempt === 1 ? { cutAfter: 30_000 } : undefined));
    const out = join(work, "copy");
    const run = await runScript("copy.ts", ["--bucket", bucket, "--date", DAY, "--out", out], {
      AWS_ENDPOINT_URL: p.url, AWS_ACCESS_KEY_ID: stack.accessKeyId, AWS_SECRET_ACCESS_KEY: stack.secretAccessKey, AWS_REGION: stack.region,
      AWS_PROFILE: "", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    });
    assert.equal(run.code, 0, run.stderr);
    for (let i = 0; i < 5; i++) {
      const original = new Uint8Array(await (await s3.get(bucket, LOG_KEY(i))).arrayBuffer());
      assert.deepEqual(new Uint8Array(readFileSync(join(out, LOG_KEY(i)))), original, LOG_KEY(i));
    }
  });
});

describe("a slow consumer behind a server that closes idle connections", () => {
  let bucket: string;
  const expected: string[] = [];

  before(async () => {
    bucket = uniqueName("idle");
    await s3.createBucket(bucket);
    for (let i = 0; i < 3; i++) {
      // ~6 MB of gzip each: more than a connection absorbs unread (undici and the kernel take about 4 MB here)
      const { body, ids } = trailLog(200 + i, 150, 80_000);
      expected.push(...ids);
      await s3.put(bucket, LOG_KEY(i), body);
    }
  });

  test("prefetched objects are read whole at once, so none sits on an idle connection: every record once", async () => {
    const p = await proxy(undefined, { idleCloseMs: 1_000 });
    const { ledger, ids } = await ingestIds(through(p), bucket, {}, 1_500);
    assert.deepEqual(ledger.failures, []);
    assert.deepEqual([...ids].sort(), [...expected].sort());
  });

  test("objects above the whole-object limit stream at the consumer's pace; a closed connection resumes", async () => {
    const p = await proxy(undefined, { idleCloseMs: 1_000 });
    const { ledger, ids } = await ingestIds(through(p), bucket, { wholeObjectBytes: 100_000 }, 1_500);
    assert.deepEqual(ledger.failures, []);
    assert.deepEqual([...ids].sort(), [...expected].sort());
    assert.ok(p.idleClosed >= 1, "the proxy closed idle connections");
    assert.ok(p.seen.some((r) => r.headers.range), "a body was resumed");
  });
});
