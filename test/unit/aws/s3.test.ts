import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseListObjects, partitionOf, REGION, S3, S3Error, transportDecoded } from "../../../lib/aws/s3.ts";
import { AWKWARD_KEYS, randomKeys } from "../../support/keys.ts";

const PAGE = `<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>my-trail-bucket</Name>
  <Prefix>AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/</Prefix>
  <KeyCount>3</KeyCount>
  <MaxKeys>1000</MaxKeys>
  <IsTruncated>true</IsTruncated>
  <NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>
  <Contents>
    <Key>AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/111122223333_CloudTrail_us-east-1_20131207T0505Z_a.json.gz</Key>
    <LastModified>2013-12-07T05:10:31.000Z</LastModified>
    <ETag>&quot;d41d8cd98f00b204e9800998ecf8427e&quot;</ETag>
    <ChecksumAlgorithm>CRC32</ChecksumAlgorithm>
    <Size>1843</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>odd/Tom &amp; Jerry &lt;1&gt; &#x41;&#66; &apos;q&apos; &quot;d&quot; &#x1F600;.json.gz</Key>
    <LastModified>2013-12-07T06:00:00.000Z</LastModified>
    <ETag>"0123456789abcdef0123456789abcdef-2"</ETag>
    <Size>0</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents>
    <Key>plain.json</Key>
    <LastModified>2013-12-07T07:00:00.000Z</LastModified>
    <ETag>"e"</ETag>
    <Size>5368709120</Size>
    <StorageClass>GLACIER</StorageClass>
  </Contents>
  <CommonPrefixes>
    <Prefix>AWSLogs/111122223333/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes>
    <Prefix>AWSLogs/o-exampleorgid/</Prefix>
  </CommonPrefixes>
  <CommonPrefixes><Prefix>a&amp;b/</Prefix></CommonPrefixes>
</ListBucketResult>`;

const page = (inner: string, truncated = "false") => `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><IsTruncated>${truncated}</IsTruncated>${inner}</ListBucketResult>`;

describe("parseListObjects", () => {
  test("objects with keys, sizes, ETags (quotes removed) and times", () => {
    const parsed = parseListObjects(PAGE);
    assert.deepEqual(parsed.objects[0], {
      key: "AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/111122223333_CloudTrail_us-east-1_20131207T0505Z_a.json.gz",
      size: 1843,
      etag: "d41d8cd98f00b204e9800998ecf8427e",
      lastModified: "2013-12-07T05:10:31.000Z",
    });
    assert.equal(parsed.objects.length, 3);
    assert.equal(parsed.objects[1]!.size, 0);
    assert.equal(parsed.objects[1]!.etag, "0123456789abcdef0123456789abcdef-2");
    assert.equal(parsed.objects[2]!.size, 5368709120);
  });

  test("XML entities in keys are decoded: named, decimal and hex, astral characters", () => {
    assert.equal(parseListObjects(PAGE).objects[1]!.key, "odd/Tom & Jerry <1> AB 'q' \"d\" 😀.json.gz");
  });

  test("an entity that spells another entity is decoded once", () => {
    assert.equal(parseListObjects(page("<Contents><Key>a&amp;lt;b</Key><Size>1</Size></Contents>")).objects[0]!.key, "a&lt;b");
  });

  test("CommonPrefixes are the folders, decoded", () => {
    assert.deepEqual(parseListObjects(PAGE).prefixes, ["AWSLogs/111122223333/", "AWSLogs/o-exampleorgid/", "a&b/"]);
  });

  test("IsTruncated true gives the NextContinuationToken", () => {
    const parsed = parseListObjects(PAGE);
    assert.equal(parsed.truncated, true);
    assert.equal(parsed.nextToken, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  });

  test("the last page has no token, even if one is present", () => {
    const last = parseListObjects(PAGE.replace("<IsTruncated>true</IsTruncated>", "<IsTruncated>false</IsTruncated>"));
    assert.equal(last.truncated, false);
    assert.equal(last.nextToken, undefined);
  });

  test("an empty listing, with self-closing tags as LocalStack writes them", () => {
    const empty = `<?xml version='1.0' encoding='utf-8'?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><IsTruncated>false</IsTruncated><Name>b</Name><Prefix /><MaxKeys>1000</MaxKeys><KeyCount>0</KeyCount></ListBucketResult>`;
    assert.deepEqual(parseListObjects(empty), { objects: [], prefixes: [], truncated: false, nextToken: undefined });
  });

  test("a token with entities is decoded", () => {
    assert.equal(parseListObjects(page("<NextContinuationToken>a&amp;b&#x3D;</NextContinuationToken>", "true")).nextToken, "a&b=");
  });

  test("with EncodingType url, keys and prefixes are URL-decoded (+ is a space, as botocore reads it)", () => {
    const xml = page("<EncodingType>url</EncodingType><Contents><Key>a+b%2Bc%25d%26e/%C3%A9%01</Key><Size>1</Size></Contents><CommonPrefixes><Prefix>x%20y/</Prefix></CommonPrefixes>");
    const parsed = parseListObjects(xml);
    assert.equal(parsed.objects[0]!.key, "a b+c%d&e/é\u0001");
    assert.deepEqual(parsed.prefixes, ["x y/"]);
  });

  test("without EncodingType url, a key is taken as it is (a server that ignored the request)", () => {
    assert.equal(parseListObjects(page("<Contents><Key>a+b%2Bc</Key><Size>1</Size></Contents>")).objects[0]!.key, "a+b%2Bc");
  });

  test("character references outside XML's characters are an error naming them, not a RangeError", () => {
    for (const ref of ["&#1114112;", "&#x110000;", "&#xD800;", "&#xDFFF;", "&#0;", "&#x1;", "&#xFFFE;", "&#99999999999999;"]) {
      assert.throws(
        () => parseListObjects(page(`<Contents><Key>a${ref}b</Key><Size>1</Size></Contents>`)),
        (e: unknown) => e instanceof Error && !(e instanceof RangeError) && e.message.includes(ref),
        ref,
      );
    }
  });

  test("undefined entities and bare & are malformed XML", () => {
    assert.throws(() => parseListObjects(page("<Contents><Key>a&nbsp;b</Key><Size>1</Size></Contents>")), /&nbsp; is not defined in XML/);
    assert.throws(() => parseListObjects(page("<Contents><Key>a & b</Key><Size>1</Size></Contents>")), /bare &/);
  });

  test("what is not a complete ListBucketResult is an error: another document, a cut body, no IsTruncated, odd sizes, bad URL encoding", () => {
    const cases: [string, RegExp][] = [
      ["<Error><Code>x</Code></Error>", /not a ListBucketResult/],
      ["<html>503</html>", /not a ListBucketResult/],
      [PAGE.slice(0, PAGE.length - 30), /incomplete/],
      ["<ListBucketResult><Contents><Key>a</Key></Contents></ListBucketResult>", /IsTruncated is missing/],
      [page("<Contents><Key>a</Key><Size>-1</Size></Contents>"), /size "-1"/],
      [page("<Contents><Size>1</Size></Contents>"), /no Key/],
      [page("<EncodingType>url</EncodingType><Contents><Key>%E0%A4</Key><Size>1</Size></Contents>"), /not valid URL encoding/],
    ];
    for (const [xml, expected] of cases) assert.throws(() => parseListObjects(xml), expected, xml.slice(0, 60));
  });
});

describe("transportDecoded", () => {
  test("true only when the response says gzip", () => {
    assert.equal(transportDecoded(new Response("x", { headers: { "content-encoding": "gzip" } })), true);
    assert.equal(transportDecoded(new Response("x", { headers: { "content-encoding": "GZIP" } })), true);
    assert.equal(transportDecoded(new Response("x", { headers: { "content-encoding": "identity" } })), false);
    assert.equal(transportDecoded(new Response("x")), false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The S3 class, with a fetch that records what would be sent (no network)

const credentials = { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-example" };

function recording(answer: (request: Request, n: number) => Response | Promise<Response>) {
  const requests: Request[] = [];
  const fetch = (async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(input, init);
    requests.push(request);
    return answer(request, requests.length);
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const listing = (keys: string[], token?: string) =>
  page(keys.map((k) => `<Contents><Key>${k}</Key><Size>1</Size><ETag>"e"</ETag></Contents>`).join("") + (token ? `<NextContinuationToken>${token}</NextContinuationToken>` : ""), token ? "true" : "false");

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe("S3: where a signed request may go", () => {
  test("every request is sent with redirect: manual (fetch never follows a Location with our signature)", async () => {
    const { fetch, requests } = recording(() => new Response("data"));
    const s3 = new S3({ credentials, region: "us-east-1", fetch });
    await s3.get("bucket", "key");
    await collect(s3.list("bucket", "p/")).catch(() => {});
    assert.ok(requests.length >= 2);
    for (const r of requests) assert.equal(r.redirect, "manual");
  });

  test("a 3xx with a Location is an error naming the host it pointed to; nothing is sent there", async () => {
    for (const status of [301, 302, 303, 307, 308]) {
      const { fetch, requests } = recording(() => new Response(null, { status, headers: { location: "https://attacker.example/steal" } }));
      const s3 = new S3({ credentials, region: "us-east-1", fetch });
      await assert.rejects(s3.get("bucket", "key"), (e: unknown) => e instanceof S3Error && e.code === "Redirect" && /attacker\.example.*not followed/.test(e.message));
      assert.deepEqual(requests.map((r) => new URL(r.url).host), ["bucket.s3.us-east-1.amazonaws.com"]);
    }
  });

  test("x-amz-bucket-region that is not a region name is refused: no second request", async () => {
    const hostile = ["attacker.example", "us-east-1.attacker.example/x", "eu-west-1@evil", "us-east-1/../..", "EU-WEST-1", "eu-west-1\tx", "eu-west-123", "x", "a".repeat(500)];
    for (const region of hostile) {
      for (const status of [301, 307, 400]) {
        const { fetch, requests } = recording(() => new Response("<Error><Code>PermanentRedirect</Code></Error>", { status, headers: { "x-amz-bucket-region": region } }));
        const s3 = new S3({ credentials, region: "us-east-1", fetch });
        await assert.rejects(s3.get("bucket", "key"), (e: unknown) => e instanceof S3Error && e.code === "UnsafeRegionRedirect" && /not an AWS region name/.test(e.message), region);
        assert.equal(requests.length, 1, region);
        assert.equal(new URL(requests[0]!.url).host, "bucket.s3.us-east-1.amazonaws.com");
      }
    }
  });

  test("a region of another partition is refused (commercial credentials never go to China or GovCloud)", async () => {
    for (const [mine, theirs] of [["us-east-1", "cn-north-1"], ["us-east-1", "us-gov-west-1"], ["cn-north-1", "us-east-1"], ["us-gov-east-1", "eu-west-1"]] as const) {
      const { fetch, requests } = recording(() => new Response(null, { status: 301, headers: { "x-amz-bucket-region": theirs } }));
      const s3 = new S3({ credentials, region: mine, fetch });
      await assert.rejects(s3.get("bucket", "key"), (e: unknown) => e instanceof S3Error && /another partition/.test(e.message), `${mine} → ${theirs}`);
      assert.equal(requests.length, 1);
    }
  });

  test("a valid region redirect is followed once, to S3 of that region, signed for it, and remembered", async () => {
    const { fetch, requests } = recording((r) => (r.url.includes(".eu-west-1.") ? new Response("ok") : new Response(null, { status: 301, headers: { "x-amz-bucket-region": "eu-west-1" } })));
    const s3 = new S3({ credentials, region: "us-east-1", fetch });
    assert.equal(await (await s3.get("bucket", "key")).text(), "ok");
    await s3.get("bucket", "other");
    assert.deepEqual(requests.map((r) => new URL(r.url).host), ["bucket.s3.us-east-1.amazonaws.com", "bucket.s3.eu-west-1.amazonaws.com", "bucket.s3.eu-west-1.amazonaws.com"]);
    assert.match(requests[1]!.headers.get("authorization")!, /Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/s3\/aws4_request/);
  });

  test("China regions live under amazonaws.com.cn; GovCloud under amazonaws.com", async () => {
    for (const [region, host] of [["cn-north-1", "bucket.s3.cn-north-1.amazonaws.com.cn"], ["cn-northwest-1", "bucket.s3.cn-northwest-1.amazonaws.com.cn"], ["us-gov-west-1", "bucket.s3.us-gov-west-1.amazonaws.com"]] as const) {
      const { fetch, requests } = recording(() => new Response("ok"));
      await new S3({ credentials, region, fetch }).get("bucket", "k");
      assert.equal(new URL(requests[0]!.url).host, host);
    }
    assert.equal(partitionOf("cn-north-1").partition, "aws-cn");
  });

  test("with a custom endpoint, a region redirect changes the signing region, never the host", async () => {
    const { fetch, requests } = recording((r, n) => (n === 1 ? new Response(null, { status: 400, headers: { "x-amz-bucket-region": "cn-north-1" } }) : new Response("ok")));
    const s3 = new S3({ credentials, region: "us-east-1", endpoint: "http://127.0.0.1:4566", fetch });
    await s3.get("bucket", "key");
    assert.deepEqual(requests.map((r) => new URL(r.url).origin), ["http://127.0.0.1:4566", "http://127.0.0.1:4566"]);
    assert.match(requests[1]!.headers.get("authorization")!, /\/cn-north-1\/s3\//);
  });

  test("the configured region must be a region name: it becomes part of the host", () => {
    for (const region of ["evil.com/", "us-east-1.attacker.example", "", "US-EAST-1"]) {
      assert.throws(() => new S3({ credentials, region }), TypeError, region);
    }
    assert.ok(REGION.test("ap-southeast-5") && REGION.test("us-gov-west-1") && REGION.test("cn-northwest-1"));
  });

  test("bucket names that would change the path are refused before anything is sent", async () => {
    const { fetch, requests } = recording(() => new Response("ok"));
    const s3 = new S3({ credentials, region: "us-east-1", endpoint: "http://127.0.0.1:4566", fetch });
    for (const bucket of ["..", ".", "a/b", "a?b", "a#b", "", "a b"]) await assert.rejects(s3.get(bucket, "k"), TypeError, bucket);
    assert.equal(requests.length, 0);
  });
});

describe("S3: keys are requested as the keys they are", () => {
  /** What S3 takes as the key of a request: the path after the bucket, percent-decoded (%2F too). */
  const keyOf = (url: string, style: "path" | "virtual") => {
    const path = new URL(url).pathname; // parsed as fetch parses it: dot segments are resolved here
    const rest = style === "path" ? path.replace(/^\/bucket\//, "") : path.slice(1);
    return decodeURIComponent(rest);
  };

  for (const [style, endpoint] of [["path", "http://127.0.0.1:4566"], ["virtual", undefined]] as const) {
    test(`${style}-style: the fixed awkward keys and 500 random ones survive URL parsing`, async () => {
      const { fetch, requests } = recording(() => new Response("ok"));
      const s3 = new S3({ credentials, region: "us-east-1", endpoint, fetch });
      const keys = [...AWKWARD_KEYS, ...randomKeys(7, 500)];
      for (const key of keys) await s3.get("bucket", key);
      assert.equal(requests.length, keys.length);
      requests.forEach((r, i) => assert.equal(keyOf(r.url, style), keys[i], JSON.stringify(keys[i])));
    });
  }

  test("a key without dot segments keeps its slashes (the common case is unchanged)", () => {
    const s3 = new S3({ credentials, region: "us-east-1" });
    assert.equal(s3.url("bucket", "AWSLogs/1/CloudTrail/x y+z.json.gz"), "https://bucket.s3.us-east-1.amazonaws.com/AWSLogs/1/CloudTrail/x%20y%2Bz.json.gz");
    assert.equal(s3.url("bucket", "a/../b"), "https://bucket.s3.us-east-1.amazonaws.com/a%2F..%2Fb");
  });

  test("a key that is only . or .. is an error naming it; nothing is sent (it would address the bucket or the account)", async () => {
    const { fetch, requests } = recording(() => new Response("ok"));
    const s3 = new S3({ credentials, region: "us-east-1", fetch });
    for (const key of [".", ".."]) {
      await assert.rejects(s3.get("bucket", key), (e: unknown) => e instanceof S3Error && e.code === "UnaddressableKey" && e.message.includes(`s3://bucket/${key}`));
    }
    await assert.rejects(s3.get("bucket", ""), TypeError);
    assert.equal(requests.length, 0);
  });

  test("a lone surrogate is an error, not a URIError", async () => {
    const s3 = new S3({ credentials, region: "us-east-1", fetch: recording(() => new Response("ok")).fetch });
    await assert.rejects(s3.get("bucket", "a\uD800b"), (e: unknown) => e instanceof S3Error && e.code === "InvalidKey");
  });
});

describe("S3: listings that end early or never end", () => {
  test("IsTruncated with no NextContinuationToken is an error naming the listing, after the keys before it", async () => {
    const { fetch } = recording((_, n) => new Response(n === 1 ? listing(["a", "b"], "t1") : page("<Contents><Key>c</Key><Size>1</Size></Contents>", "true")));
    const s3 = new S3({ credentials, region: "us-east-1", fetch });
    const seen: string[] = [];
    await assert.rejects(
      (async () => {
        for await (const o of s3.list("bucket", "AWSLogs/")) seen.push(o.key);
      })(),
      (e: unknown) => e instanceof S3Error && e.code === "TruncatedListing" && e.message.startsWith("s3://bucket/AWSLogs/: ") && /page 2/.test(e.message),
    );
    assert.deepEqual(seen, ["a", "b", "c"]);
  });

  test("a continuation token that repeats is an error, not an endless loop", async () => {
    const { fetch, requests } = recording((_, n) => new Response(listing([`k${n}`], n % 2 ? "A" : "B")));
    const s3 = new S3({ credentials, region: "us-east-1", fetch });
    await assert.rejects(collect(s3.list("bucket", "p/")), (e: unknown) => e instanceof S3Error && e.code === "LoopingListing");
    assert.equal(requests.length, 3);
    await assert.rejects(s3.folders("bucket", "p/"), (e: unknown) => e instanceof S3Error && e.code === "LoopingListing" && /\(folders\)/.test(e.message));
  });

  test("a page with an out-of-range character reference is an S3Error naming the listing", async () => {
    const { fetch } = recording(() => new Response(page("<Contents><Key>a&#1114112;</Key><Size>1</Size></Contents>")));
    await assert.rejects(collect(new S3({ credentials, region: "us-east-1", fetch }).list("bucket", "p/")), (e: unknown) => e instanceof S3Error && e.code === "InvalidListing" && e.message.startsWith("s3://bucket/p/: "));
  });

  test("pages follow their tokens; the listing asks for encoding-type=url and passes the token back exactly", async () => {
    const token = "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J+wm36Hy4vbOwM= &x";
    const { fetch, requests } = recording((_, n) => new Response(n === 1 ? listing(["a"], token.replace("&", "&amp;")) : listing(["b"])));
    const keys = (await collect(new S3({ credentials, region: "us-east-1", fetch }).list("bucket", "p/"))).map((o) => o.key);
    assert.deepEqual(keys, ["a", "b"]);
    const second = new URL(requests[1]!.url);
    assert.equal(second.searchParams.get("continuation-token"), token);
    assert.equal(second.searchParams.get("encoding-type"), "url");
    assert.equal(second.searchParams.get("list-type"), "2");
  });
});

describe("S3: retries", () => {
  test("network errors and 429/5xx are retried, then the answer is used", async () => {
    const { fetch, requests } = recording((_, n) => {
      if (n === 1) throw new TypeError("fetch failed", { cause: new Error("ECONNRESET") });
      if (n === 2) return new Response("slow down", { status: 503 });
      if (n === 3) return new Response("", { status: 429 });
      return new Response("ok");
    });
    const s3 = new S3({ credentials, region: "us-east-1", fetch, backoffMs: 1 });
    assert.equal(await (await s3.get("bucket", "k")).text(), "ok");
    assert.equal(requests.length, 4);
    assert.notEqual(requests[0], requests[3], "each attempt is signed afresh");
  });

  test("when retries are spent: a network error names the object, the endpoint, the attempts and the cause", async () => {
    const { fetch, requests } = recording(() => {
      throw new TypeError("fetch failed", { cause: new Error("connect ECONNREFUSED 127.0.0.1:1") });
    });
    const s3 = new S3({ credentials, region: "us-east-1", endpoint: "http://127.0.0.1:1", fetch, retries: 2, backoffMs: 1 });
    await assert.rejects(s3.get("bucket", "k"), /S3 GET s3:\/\/bucket\/k at http:\/\/127\.0\.0\.1:1 failed after 3 attempts: fetch failed \(connect ECONNREFUSED/);
    assert.equal(requests.length, 3);
  });

  test("4xx answers are not retried", async () => {
    const { fetch, requests } = recording(() => new Response("<Error><Code>NoSuchKey</Code><Message>gone</Message></Error>", { status: 404 }));
    await assert.rejects(new S3({ credentials, region: "us-east-1", fetch, backoffMs: 1 }).get("bucket", "k"), (e: unknown) => e instanceof S3Error && e.code === "NoSuchKey" && e.reason === "NoSuchKey (gone)");
    assert.equal(requests.length, 1);
  });
});
