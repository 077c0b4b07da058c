import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseListObjects, transportDecoded } from "../../../lib/aws/s3.ts";

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

describe("parseListObjects", () => {
  test("objects with keys, sizes, ETags (quotes removed) and times", () => {
    const page = parseListObjects(PAGE);
    assert.deepEqual(page.objects[0], {
      key: "AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/111122223333_CloudTrail_us-east-1_20131207T0505Z_a.json.gz",
      size: 1843,
      etag: "d41d8cd98f00b204e9800998ecf8427e",
      lastModified: "2013-12-07T05:10:31.000Z",
    });
    assert.equal(page.objects.length, 3);
    assert.equal(page.objects[1]!.size, 0);
    assert.equal(page.objects[1]!.etag, "0123456789abcdef0123456789abcdef-2");
    assert.equal(page.objects[2]!.size, 5368709120);
  });

  test("XML entities in keys are decoded: named, decimal and hex, astral characters", () => {
    const page = parseListObjects(PAGE);
    assert.equal(page.objects[1]!.key, "odd/Tom & Jerry <1> AB 'q' \"d\" 😀.json.gz");
  });

  test("an entity that spells another entity is decoded once", () => {
    const page = parseListObjects("<ListBucketResult><Contents><Key>a&amp;lt;b</Key><Size>1</Size></Contents></ListBucketResult>");
    assert.equal(page.objects[0]!.key, "a&lt;b");
  });

  test("CommonPrefixes are the folders, decoded", () => {
    assert.deepEqual(parseListObjects(PAGE).prefixes, ["AWSLogs/111122223333/", "AWSLogs/o-exampleorgid/", "a&b/"]);
  });

  test("IsTruncated true gives the NextContinuationToken", () => {
    assert.equal(parseListObjects(PAGE).nextToken, "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=");
  });

  test("the last page has no token, even if one is present", () => {
    const last = PAGE.replace("<IsTruncated>true</IsTruncated>", "<IsTruncated>false</IsTruncated>");
    assert.equal(parseListObjects(last).nextToken, undefined);
  });

  test("an empty listing", () => {
    const empty = `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>x/</Prefix><KeyCount>0</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>false</IsTruncated></ListBucketResult>`;
    assert.deepEqual(parseListObjects(empty), { objects: [], prefixes: [], nextToken: undefined });
  });

  test("a token with entities is decoded", () => {
    const xml = "<ListBucketResult><IsTruncated>true</IsTruncated><NextContinuationToken>a&amp;b&#x3D;</NextContinuationToken></ListBucketResult>";
    assert.equal(parseListObjects(xml).nextToken, "a&b=");
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
