/**
 * SigV4 as trailpost signs it, checked against references that are not aws4fetch:
 *
 * 1. AWS's published vectors for the signer itself: the SigV4 test suite (get-vanilla,
 *    get-vanilla-query-order-key-case, post-vanilla; AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service")
 *    and the S3 API reference's examples (AKIAIOSFODNN7EXAMPLE, 20130524T000000Z: GET Object with Range, GET
 *    Bucket list with query parameters).
 * 2. botocore, the AWS CLI's own signer, signing offline (test/reference/botocore/sigv4.py) the same requests that
 *    lib/aws/s3.ts and lib/search/client.ts actually send (captured before they leave, with a fetch that records):
 *    S3 GET, PUT and list requests with awkward keys, prefixes, continuation tokens and If-Match, in several
 *    regions and addressing styles; Amazon OpenSearch Service (es) and Serverless (aoss) requests, with session
 *    tokens, odd paths and query strings, and gzipped bodies. botocore builds the S3 URL from the bucket and key
 *    itself, so the test also proves both address the same key.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { describe, test } from "node:test";
import { AwsV4Signer } from "aws4fetch";
import { S3 } from "../../../lib/aws/s3.ts";
import { SearchClient } from "../../../lib/search/client.ts";
import { botocore } from "../../support/botocore.ts";
import { AWKWARD_KEYS, randomKeys } from "../../support/keys.ts";

const SUITE = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service", datetime: "20150830T123600Z" };
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

describe("aws4fetch against AWS's published vectors", () => {
  const vectors = [
    { name: "get-vanilla", method: "GET", url: "https://example.amazonaws.com/", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
    { name: "get-vanilla-query-order-key-case", method: "GET", url: "https://example.amazonaws.com/?Param2=value2&Param1=value1", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
    { name: "post-vanilla", method: "POST", url: "https://example.amazonaws.com/", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
  ];
  for (const v of vectors) {
    test(`SigV4 test suite: ${v.name}`, async () => {
      const { headers } = await new AwsV4Signer({ ...SUITE, method: v.method, url: v.url }).sign();
      assert.equal(headers.get("authorization"), `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${v.signature}`);
    });
  }

  const S3_EXAMPLE = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "s3", datetime: "20130524T000000Z" };

  test("S3 API reference: GET Object with Range", async () => {
    const { headers } = await new AwsV4Signer({
      ...S3_EXAMPLE, method: "GET", url: "https://examplebucket.s3.amazonaws.com/test.txt", headers: { range: "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256 },
      allHeaders: true, // aws4fetch leaves Range unsigned unless asked; the reference signs it
    }).sign();
    assert.equal(headers.get("authorization"), "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  });

  test("S3 API reference: GET Bucket (List Objects) with query parameters", async () => {
    const { headers } = await new AwsV4Signer({ ...S3_EXAMPLE, method: "GET", url: "https://examplebucket.s3.amazonaws.com/?max-keys=2&prefix=J", headers: { "x-amz-content-sha256": EMPTY_SHA256 } }).sign();
    assert.equal(headers.get("authorization"), "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
  });
});

// ---------------------------------------------------------------------------------------------------------------

interface Signed {
  url: string;
  authorization: string;
  headers: Record<string, string>;
}

const CREDENTIALS = { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY" };
const WITH_TOKEN = { ...CREDENTIALS, sessionToken: "FwoGZXIvYXdzEXAMPLE//////////wEaDEXAMPLE+token/with=odd&chars" };

/** Headers we signed, other than those both signers add themselves. */
function signedExtras(request: Request): Record<string, string> {
  const names = /SignedHeaders=([^,]+)/.exec(request.headers.get("authorization") ?? "")![1]!.split(";");
  const own = new Set(["host", "x-amz-date", "x-amz-security-token", "x-amz-content-sha256"]);
  return Object.fromEntries(names.filter((n) => !own.has(n)).map((n) => [n, request.headers.get(n) ?? ""]));
}

/** The path as sent, not as URL parsing would resolve it, percent-decoded: the key S3 reads from it. */
const decodedPath = (url: string) => decodeURIComponent(/^[a-z]+:\/\/[^/]+([^?]*)/.exec(url)![1]!);
const params = (url: string) => [...new URL(url).searchParams].map(([k, v]) => `${k}=${v}`).sort();

interface S3Case {
  label: string;
  request: Request;
  bucket: string;
  key: string | null;
  params: [string, string][];
  endpoint: string | null;
  region: string;
  credentials: typeof WITH_TOKEN | typeof CREDENTIALS;
  body?: string;
}

async function sentByS3(options: { region: string; endpoint?: string; credentials: typeof CREDENTIALS }, act: (s3: S3) => Promise<unknown>, answer?: (n: number) => Response): Promise<Request[]> {
  const requests: Request[] = [];
  const fetch = (async (input: RequestInfo | URL) => {
    requests.push(input as Request);
    return answer?.(requests.length) ?? new Response("ok", { headers: { etag: '"e"' } });
  }) as typeof globalThis.fetch;
  await act(new S3({ ...options, fetch }));
  return requests;
}

async function compareS3(cases: S3Case[]): Promise<string[]> {
  const answers = await botocore<Signed[]>("sigv4.py", cases.map((c) => ({
    kind: "s3", method: c.request.method, bucket: c.bucket, key: c.key, params: c.params, endpoint: c.endpoint, region: c.region,
    headers: signedExtras(c.request), body: c.body ?? null, credentials: c.credentials, amzDate: c.request.headers.get("x-amz-date"),
  })));
  const problems: string[] = [];
  cases.forEach((c, i) => {
    const boto = answers[i]!;
    const ours = c.request;
    const label = `${c.label} (${JSON.stringify(c.key)})`;
    if (ours.headers.get("authorization") !== boto.authorization) problems.push(`${label}: Authorization differs from botocore's`);
    if (new URL(ours.url).host !== new URL(boto.url).host) problems.push(`${label}: host ${new URL(ours.url).host}, botocore ${new URL(boto.url).host}`);
    if (decodedPath(ours.url) !== decodedPath(boto.url)) problems.push(`${label}: another key than botocore's: ${decodedPath(ours.url)} / ${decodedPath(boto.url)}`);
    if (params(ours.url).join("&") !== params(boto.url).join("&")) problems.push(`${label}: query ${params(ours.url)} / ${params(boto.url)}`);
    if (ours.headers.get("x-amz-security-token") !== (boto.headers["x-amz-security-token"] ?? null)) problems.push(`${label}: session token header`);
    if (ours.headers.get("x-amz-content-sha256") !== boto.headers["x-amz-content-sha256"]) problems.push(`${label}: x-amz-content-sha256`);
  });
  return problems;
}

const GET_PARAMS: [string, string][] = [["response-content-encoding", "identity"]];

describe("lib/aws/s3.ts signs as botocore does", () => {
  test("GetObject of the awkward keys and 150 random ones: virtual-hosted, path-style, China, GovCloud, with and without a session token", async () => {
    const keys = [...AWKWARD_KEYS.filter((k) => k !== "." && k !== ".."), ...randomKeys(11, 150)];
    const setups = [
      { label: "us-east-1 virtual-hosted", region: "us-east-1", endpoint: undefined, bucket: "trail-bucket", credentials: WITH_TOKEN },
      { label: "eu-west-1 path-style (dotted bucket)", region: "eu-west-1", endpoint: undefined, bucket: "trail.bucket.example", credentials: CREDENTIALS },
      { label: "cn-north-1", region: "cn-north-1", endpoint: undefined, bucket: "trail-bucket", credentials: WITH_TOKEN },
      { label: "us-gov-west-1", region: "us-gov-west-1", endpoint: undefined, bucket: "trail-bucket", credentials: CREDENTIALS },
      { label: "custom endpoint", region: "us-east-1", endpoint: "http://127.0.0.1:4566", bucket: "trail-bucket", credentials: WITH_TOKEN },
    ];
    const cases: S3Case[] = [];
    for (const setup of setups) {
      const requests = await sentByS3(setup, async (s3) => {
        for (const key of keys) await s3.get(setup.bucket, key);
      });
      requests.forEach((request, i) => cases.push({ label: setup.label, request, bucket: setup.bucket, key: keys[i]!, params: GET_PARAMS, endpoint: setup.endpoint ?? null, region: setup.region, credentials: setup.credentials }));
    }
    assert.equal(cases.length, keys.length * setups.length);
    assert.deepEqual(await compareS3(cases), []);
  });

  test("a resumed GET: If-Match is signed (Range is sent unsigned, which S3 allows)", async () => {
    const requests = await sentByS3({ region: "us-east-1", credentials: WITH_TOKEN }, (s3) => s3.get("trail-bucket", "a/../b c", { headers: { range: "bytes=100-", "if-match": '"0123456789abcdef"' } }));
    assert.match(requests[0]!.headers.get("authorization")!, /SignedHeaders=host;if-match;x-amz-content-sha256;x-amz-date;x-amz-security-token,/);
    assert.equal(requests[0]!.headers.get("range"), "bytes=100-");
    assert.deepEqual(await compareS3([{ label: "resume", request: requests[0]!, bucket: "trail-bucket", key: "a/../b c", params: GET_PARAMS, endpoint: null, region: "us-east-1", credentials: WITH_TOKEN }]), []);
  });

  test("ListObjectsV2 pages: awkward prefixes, start-after, continuation tokens with / + = and &, delimiters", async () => {
    const prefixes = ["AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/", "", "a b/+%&=?#/é😀/", "../x/./", "o-exampleorgid/"];
    const token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J+wm36Hy4vbOwM=&x y";
    const cases: S3Case[] = [];
    for (const prefix of prefixes) {
      const page = (n: number) => new Response(`<ListBucketResult><IsTruncated>${n === 1 ? "true" : "false"}</IsTruncated>${n === 1 ? `<NextContinuationToken>${token.replace("&", "&amp;")}</NextContinuationToken>` : ""}</ListBucketResult>`);
      const listed = await sentByS3({ region: "us-east-1", credentials: WITH_TOKEN }, async (s3) => {
        for await (const _ of s3.list("trail-bucket", prefix, { startAfter: `${prefix}after+me` })) void _;
      }, page);
      const base: [string, string][] = [["list-type", "2"], ["encoding-type", "url"], ["prefix", prefix]];
      cases.push({ label: "list page 1", request: listed[0]!, bucket: "trail-bucket", key: null, params: [...base, ["start-after", `${prefix}after+me`]], endpoint: null, region: "us-east-1", credentials: WITH_TOKEN });
      cases.push({ label: "list page 2", request: listed[1]!, bucket: "trail-bucket", key: null, params: [...base, ["continuation-token", token]], endpoint: null, region: "us-east-1", credentials: WITH_TOKEN });
      const folders = await sentByS3({ region: "eu-central-1", endpoint: "http://localhost:4566", credentials: CREDENTIALS }, (s3) => s3.folders("trail-bucket", prefix), () => new Response("<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>"));
      cases.push({ label: "folders", request: folders[0]!, bucket: "trail-bucket", key: null, params: [...base, ["delimiter", "/"]], endpoint: "http://localhost:4566", region: "eu-central-1", credentials: CREDENTIALS });
    }
    assert.deepEqual(await compareS3(cases), []);
  });

  test("PutObject and CreateBucket", async () => {
    const put = await sentByS3({ region: "eu-west-1", credentials: WITH_TOKEN }, (s3) => s3.put("trail-bucket", "x/../y z.json.gz", "body text"));
    const create = await sentByS3({ region: "eu-west-1", endpoint: "http://127.0.0.1:4566", credentials: CREDENTIALS }, (s3) => s3.createBucket("trail-bucket"));
    const createBody = '<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>';
    assert.deepEqual(await compareS3([
      { label: "put", request: put[0]!, bucket: "trail-bucket", key: "x/../y z.json.gz", params: [], endpoint: null, region: "eu-west-1", credentials: WITH_TOKEN, body: "body text" },
      { label: "create bucket", request: create[0]!, bucket: "trail-bucket", key: null, params: [], endpoint: "http://127.0.0.1:4566", region: "eu-west-1", credentials: CREDENTIALS, body: createBody },
    ]), []);
  });
});

// ---------------------------------------------------------------------------------------------------------------

async function sentBySearch(service: "es" | "aoss", credentials: typeof CREDENTIALS, gzipAbove: number | undefined, act: (client: SearchClient) => Promise<unknown>): Promise<Request[]> {
  const requests: Request[] = [];
  const client = new SearchClient({
    url: service === "es" ? "https://search-trail-abc.us-west-2.es.amazonaws.com" : "https://abc123.us-west-2.aoss.amazonaws.com",
    aws: { credentials, region: "us-west-2", service },
    gzipAbove,
    fetch: (async (request: Request) => {
      requests.push(request);
      return new Response("{}", { status: 200 });
    }) as typeof fetch,
  });
  await act(client);
  return requests;
}

describe("lib/search/client.ts signs as botocore does, for Amazon OpenSearch Service (es) and Serverless (aoss)", () => {
  const bulk = '{"create":{"_index":"cloudtrail-2024.03.04","_id":"a/b=c"}}\n{"eventName":"RunInstances","x":"é😀"}\n';
  const calls: [string, (c: SearchClient) => Promise<unknown>][] = [
    ["POST /_bulk", (c) => c.request("POST", "/_bulk", bulk, "application/x-ndjson")],
    ["GET /", (c) => c.request("GET", "/")],
    ["PUT /_index_template/cloudtrail", (c) => c.request("PUT", "/_index_template/cloudtrail", JSON.stringify({ index_patterns: ["cloudtrail-*"] }))],
    ["GET _cat with a query", (c) => c.request("GET", "/_cat/indices/cloudtrail-*?format=json&h=index,docs.count&s=index:desc")],
    ["GET a document with an awkward id", (c) => c.request("GET", `/cloudtrail-2013.12.07/_doc/${encodeURIComponent("a/b c+d=é")}`)],
    ["POST _search with a body", (c) => c.request("POST", "/cloudtrail-*/_search?size=0", JSON.stringify({ aggs: { n: { terms: { field: "eventName" } } } }))],
  ];

  for (const service of ["es", "aoss"] as const) {
    for (const [gzip, gzipAbove] of [["", undefined], [", gzipped bodies", 10]] as const) {
      test(`${service}${gzip}: Authorization equals botocore's for every call; aoss's payload hash is of the bytes sent`, async () => {
        const requests: { label: string; request: Request; body: Uint8Array; credentials: typeof CREDENTIALS }[] = [];
        for (const credentials of [WITH_TOKEN, CREDENTIALS]) {
          for (const [label, call] of calls) {
            const [request] = await sentBySearch(service, credentials, gzipAbove, call);
            requests.push({ label, request: request!, body: new Uint8Array(await request!.clone().arrayBuffer()), credentials });
          }
        }
        const answers = await botocore<Signed[]>("sigv4.py", requests.map(({ request, body, credentials }) => ({
          kind: "raw", service, method: request.method, url: request.url.split("?")[0], params: [...new URL(request.url).searchParams], headers: { ...signedExtras(request), ...(service === "aoss" ? { "x-amz-content-sha256": request.headers.get("x-amz-content-sha256") } : {}) },
          bodyBase64: Buffer.from(body).toString("base64"), region: "us-west-2", credentials, amzDate: request.headers.get("x-amz-date"),
        })));
        const problems: string[] = [];
        requests.forEach(({ label, request, body }, i) => {
          if (request.headers.get("authorization") !== answers[i]!.authorization) problems.push(`${label}: Authorization differs from botocore's`);
          const hash = createHash("sha256").update(body).digest("hex");
          if (service === "aoss" && request.headers.get("x-amz-content-sha256") !== hash) problems.push(`${label}: x-amz-content-sha256 is not the SHA-256 of the bytes sent`);
          if (service === "aoss" && !/SignedHeaders=[^,]*x-amz-content-sha256/.test(request.headers.get("authorization")!)) problems.push(`${label}: x-amz-content-sha256 unsigned`);
          if (gzipAbove && body.length >= 10 && request.method !== "GET" && request.headers.get("content-encoding") !== "gzip") problems.push(`${label}: not gzipped`);
          if (request.headers.get("content-encoding") && !/SignedHeaders=[^,]*content-encoding/.test(request.headers.get("authorization")!)) problems.push(`${label}: content-encoding unsigned`);
        });
        assert.deepEqual(problems, []);
      });
    }
  }
});
