/**
 * SigV4 as trailpost signs (aws4fetch's AwsV4Signer, through SearchClient for Amazon OpenSearch), checked against
 * AWS's published vectors: the SigV4 test suite (get-vanilla, get-vanilla-query-order-key-case, post-vanilla;
 * credentials AKIDEXAMPLE, 20150830T123600Z, us-east-1, service "service") and the S3 API reference's
 * "GET Object" example (AKIAIOSFODNN7EXAMPLE, 20130524T000000Z, Range: bytes=0-9).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { AwsV4Signer } from "aws4fetch";
import { SearchClient } from "../../../lib/search/client.ts";

const SUITE = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", region: "us-east-1", service: "service", datetime: "20150830T123600Z" };
const EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

const vectors = [
  { name: "get-vanilla", method: "GET", url: "https://example.amazonaws.com/", signature: "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31" },
  { name: "get-vanilla-query-order-key-case", method: "GET", url: "https://example.amazonaws.com/?Param2=value2&Param1=value1", signature: "b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500" },
  { name: "post-vanilla", method: "POST", url: "https://example.amazonaws.com/", signature: "5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b" },
];

for (const v of vectors) {
  test(`SigV4 test suite: ${v.name}`, async () => {
    const signer = new AwsV4Signer({ ...SUITE, method: v.method, url: v.url });
    const { headers } = await signer.sign();
    assert.equal(
      headers.get("authorization"),
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=${v.signature}`,
    );
    assert.equal(headers.get("x-amz-date"), "20150830T123600Z");
  });
}

test("S3 API reference, GET Object with Range", async () => {
  const signer = new AwsV4Signer({
    method: "GET",
    url: "https://examplebucket.s3.amazonaws.com/test.txt",
    headers: { range: "bytes=0-9", "x-amz-content-sha256": EMPTY_SHA256 },
    accessKeyId: "AKIAIOSFODNN7EXAMPLE",
    secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    region: "us-east-1",
    service: "s3",
    datetime: "20130524T000000Z",
    allHeaders: true, // aws4fetch leaves Range unsigned unless asked; the reference signs it
  });
  const { headers } = await signer.sign();
  assert.equal(
    headers.get("authorization"),
    "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
  );
});

/** Captures what SearchClient sends, and checks its signature by signing the same request again independently. */
async function signedBy(service: "es" | "aoss", gzipAbove?: number) {
  let sent: Request | undefined;
  const client = new SearchClient({
    url: "https://search-trail.us-west-2.es.amazonaws.com",
    aws: { credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: SUITE.secretAccessKey, sessionToken: "session-token-example" }, region: "us-west-2", service },
    gzipAbove,
    fetch: (async (request: Request) => {
      sent = request;
      return new Response("{}", { status: 200 });
    }) as typeof fetch,
  });
  const body = '{"create":{"_index":"cloudtrail-2024.03.04","_id":"a"}}\n{"eventName":"RunInstances"}\n';
  await client.request("POST", "/_bulk", body, "application/x-ndjson");
  assert.ok(sent, "a request was sent");
  const bytes = new Uint8Array(await sent.clone().arrayBuffer());
  return { sent, bytes, body };
}

for (const service of ["es", "aoss"] as const) {
  test(`SearchClient signs for Amazon OpenSearch ${service === "es" ? "Service (es)" : "Serverless (aoss)"}: service, region, payload hash`, async () => {
    const { sent, bytes } = await signedBy(service);
    const authorization = sent.headers.get("authorization")!;
    const date = sent.headers.get("x-amz-date")!;
    assert.match(authorization, new RegExp(`^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/${date.slice(0, 8)}/us-west-2/${service}/aws4_request, SignedHeaders=`));
    assert.equal(sent.headers.get("x-amz-security-token"), "session-token-example");
    const hash = createHash("sha256").update(bytes).digest("hex");
    if (service === "aoss") assert.equal(sent.headers.get("x-amz-content-sha256"), hash, "aoss needs the payload hash header");
    else assert.equal(sent.headers.get("x-amz-content-sha256"), null);
    // an independent signature of the same request, same instant, must agree
    const headers = Object.fromEntries([...sent.headers].filter(([k]) => k !== "authorization" && k !== "x-amz-date" && k !== "x-amz-security-token"));
    const again = await new AwsV4Signer({
      method: "POST", url: sent.url, headers, body: bytes, accessKeyId: "AKIDEXAMPLE", secretAccessKey: SUITE.secretAccessKey,
      sessionToken: "session-token-example", region: "us-west-2", service, datetime: date,
    }).sign();
    assert.equal(authorization, again.headers.get("authorization"));
  });
}

test("gzip bodies are signed as sent: the aoss payload hash is of the gzipped bytes", async () => {
  const { sent, bytes, body } = await signedBy("aoss", 10);
  assert.equal(sent.headers.get("content-encoding"), "gzip");
  assert.equal(bytes[0], 0x1f);
  assert.notEqual(bytes.length, body.length);
  assert.equal(sent.headers.get("x-amz-content-sha256"), createHash("sha256").update(bytes).digest("hex"));
  assert.match(sent.headers.get("authorization")!, /SignedHeaders=[^,]*content-encoding/);
});
