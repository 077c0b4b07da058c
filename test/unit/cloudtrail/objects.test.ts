/**
 * s3Objects' prefetch: small objects are read whole ahead of a slow consumer (no body left open for a server to
 * reset), within a byte budget; big objects start only when the consumer reaches them and stream at its pace.
 * S3 here is a scripted fetch that records when each body is read.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { S3 } from "../../../lib/aws/s3.ts";
import { s3Objects } from "../../../lib/cloudtrail/objects.ts";
import { Ledger } from "../../../lib/ledger.ts";
import type { LogObject } from "../../../lib/streams/log-object.ts";

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" };
const FOLDER = "AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/";
const LOCATION = { bucket: "trail", accounts: ["111122223333"], regions: ["us-east-1"] };
const key = (i: number) => `${FOLDER}111122223333_CloudTrail_us-east-1_20131207T${String(i).padStart(4, "0")}Z_x${i}.json.gz`;

interface Served {
  key: string;
  /** GET received */
  requested: boolean;
  /** bytes the server has handed to the transport */
  sent: number;
  /** the body was read to its end */
  complete: boolean;
}

/** A bucket of objects of the given sizes; a GET's body is produced only as fast as it is read (like a socket). */
function bucket(sizes: number[], options: { missing?: number[] } = {}) {
  const served: Served[] = sizes.map((_, i) => ({ key: key(i), requested: false, sent: 0, complete: false }));
  const content = (i: number) => new Uint8Array(sizes[i]!).fill(i % 251);
  const fetch = (async (input: RequestInfo | URL) => {
    const url = new URL((input as Request).url);
    if (url.searchParams.get("list-type")) {
      const prefix = url.searchParams.get("prefix");
      const contents = !url.searchParams.get("delimiter") && prefix === FOLDER
        ? served.map((s, i) => `<Contents><Key>${s.key}</Key><Size>${sizes[i]}</Size><ETag>"e${i}"</ETag></Contents>`).join("")
        : "";
      return new Response(`<ListBucketResult><IsTruncated>false</IsTruncated>${contents}</ListBucketResult>`);
    }
    const i = served.findIndex((s) => url.pathname === `/${s.key}`);
    assert.ok(i >= 0, url.pathname);
    served[i]!.requested = true;
    if (options.missing?.includes(i)) return new Response("<Error><Code>NoSuchKey</Code></Error>", { status: 404 });
    const data = content(i);
    const body = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          const s = served[i]!;
          if (s.sent >= data.length) {
            s.complete = true;
            return controller.close();
          }
          const chunk = data.subarray(s.sent, s.sent + 16_384);
          s.sent += chunk.length;
          controller.enqueue(chunk);
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { headers: { etag: `"e${i}"`, "content-length": String(data.length) } });
  }) as typeof globalThis.fetch;
  return { s3: new S3({ credentials, region: "us-east-1", fetch }), served, content };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

async function bodyOf(object: LogObject): Promise<Uint8Array> {
  return new Uint8Array(await new Response(object.body).arrayBuffer());
}

describe("s3Objects: prefetch", () => {
  test("small objects are read whole ahead of a consumer that has not read yet: no body is left half-read", async () => {
    const { s3, served } = bucket(Array(12).fill(50_000));
    const ledger = new Ledger();
    const reader = s3Objects(s3, LOCATION, ["2013-12-07"], { ledger, prefetch: 8 }).getReader();
    const first = await reader.read(); // the consumer takes one object and then stalls
    await settle();
    const requested = served.filter((s) => s.requested);
    assert.equal(requested.length, 8, "eight objects fetched ahead");
    for (const s of requested) assert.ok(s.complete, `${s.key} read to its end while waiting (${s.sent} bytes)`);
    await first.value!.body.cancel();
    await reader.cancel();
  });

  test("the byte budget bounds what is held: with 150 KB allowed, three 50 KB objects wait, not eight", async () => {
    const { s3, served } = bucket(Array(12).fill(50_000));
    const reader = s3Objects(s3, LOCATION, ["2013-12-07"], { ledger: new Ledger(), prefetch: 8, prefetchBytes: 150_000 }).getReader();
    const first = await reader.read();
    await settle();
    assert.equal(served.filter((s) => s.requested).length, 3);
    await bodyOf(first.value!); // read it: its bytes leave the budget, the next object may start
    await reader.read();
    await settle();
    assert.equal(served.filter((s) => s.requested).length, 4);
    await reader.cancel();
  });

  test("a big object is not requested until the consumer reaches it, then streams at the consumer's pace", async () => {
    const sizes = [1_000, 3_000_000, 1_000, 1_000];
    const { s3, served, content } = bucket(sizes);
    const reader = s3Objects(s3, LOCATION, ["2013-12-07"], { ledger: new Ledger(), wholeObjectBytes: 1_000_000 }).getReader();
    const first = await reader.read();
    await settle();
    assert.equal(served[1]!.requested, false, "the big object waits for the consumer");
    assert.ok(served[2]!.complete && served[3]!.complete, "the small ones after it are prefetched");
    assert.deepEqual(await bodyOf(first.value!), content(0));
    const big = await reader.read();
    assert.equal(served[1]!.requested, true);
    const bigReader = big.value!.body.getReader();
    await bigReader.read();
    await settle();
    assert.ok(served[1]!.sent < 200_000, `only what was read has been sent (${served[1]!.sent} bytes)`);
    let total = 16_384;
    for (let r = await bigReader.read(); !r.done; r = await bigReader.read()) total += r.value.length;
    assert.equal(total, sizes[1]);
    await reader.cancel();
  });

  test("every object once, in listing order, with its exact bytes; a missing one is failed in the ledger and the rest go on", async () => {
    const sizes = [10, 0, 70_000, 5, 2_000_000, 1, 300];
    const { s3, content } = bucket(sizes, { missing: [3] });
    const ledger = new Ledger();
    const out: [string, Uint8Array][] = [];
    const reader = s3Objects(s3, LOCATION, ["2013-12-07"], { ledger, prefetch: 3, prefetchBytes: 100_000, wholeObjectBytes: 80_000 }).getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) out.push([r.value.name, await bodyOf(r.value)]);
    assert.deepEqual(out.map(([n]) => n), sizes.map((_, i) => `s3://trail/${key(i)}`).filter((_, i) => i !== 3));
    out.forEach(([name, data]) => {
      const i = Number(/_x(\d+)\.json\.gz$/.exec(name)![1]);
      assert.deepEqual(data, content(i), name);
    });
    assert.equal(ledger.objects.listed, sizes.length);
    assert.deepEqual(ledger.failures, [{ subject: `s3://trail/${key(3)}`, reason: "NoSuchKey" }]);
  });
});
