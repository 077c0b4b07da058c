import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dayFolder, kindOf, logsRoot, normalizePrefix, parseKey, safeRelativePath } from "../../../lib/cloudtrail/layout.ts";

const LOG = "AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/111122223333_CloudTrail_us-east-1_20131207T0505Z_cGRz4SvYw4b3Q0tY.json.gz";

describe("parseKey", () => {
  test("a log key without a prefix", () => {
    assert.deepEqual(parseKey(LOG), { kind: "log", prefix: "", orgId: undefined, account: "111122223333", region: "us-east-1", day: "2013-12-07" });
  });

  test("a log key under a key prefix keeps the prefix with its trailing slash", () => {
    const key = `my/trail/prefix/${LOG}`;
    assert.deepEqual(parseKey(key), { kind: "log", prefix: "my/trail/prefix/", orgId: undefined, account: "111122223333", region: "us-east-1", day: "2013-12-07" });
  });

  test("an organization trail key carries the organization id", () => {
    const key = "AWSLogs/o-exampleorgid/111122223333/CloudTrail/eu-west-3/2024/02/29/111122223333_CloudTrail_eu-west-3_20240229T2355Z_abc.json.gz";
    assert.deepEqual(parseKey(key), { kind: "log", prefix: "", orgId: "o-exampleorgid", account: "111122223333", region: "eu-west-3", day: "2024-02-29" });
  });

  test("an organization trail key under a prefix", () => {
    const key = "org/AWSLogs/o-exampleorgid/111122223333/CloudTrail/us-gov-west-1/2013/01/31/x.json";
    const parsed = parseKey(key);
    assert.equal(parsed?.prefix, "org/");
    assert.equal(parsed?.orgId, "o-exampleorgid");
    assert.equal(parsed?.region, "us-gov-west-1");
    assert.equal(parsed?.day, "2013-01-31");
    assert.equal(parsed?.kind, "log", "a plain .json (not gzipped) is still a log");
  });

  test("digest and insight keys", () => {
    const digest = "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2013/12/07/111122223333_CloudTrail-Digest_us-east-1_trail_us-east-1_20131207T060000Z.json.gz";
    const insight = "p/AWSLogs/111122223333/CloudTrail-Insight/us-east-1/2013/12/08/111122223333_CloudTrail-Insight_us-east-1_20131208T0000Z_x.json.gz";
    assert.equal(parseKey(digest)?.kind, "digest");
    assert.equal(parseKey(digest)?.day, "2013-12-07");
    assert.equal(parseKey(insight)?.kind, "insight");
    assert.equal(parseKey(insight)?.prefix, "p/");
    assert.equal(parseKey(insight)?.day, "2013-12-08");
    assert.equal(kindOf(digest), "digest");
    assert.equal(kindOf(insight), "insight");
  });

  test("other objects: a non-JSON file in a log folder, keys outside AWSLogs, folders and malformed trees", () => {
    assert.equal(parseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/notes.txt")?.kind, "other");
    assert.equal(kindOf("AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/notes.txt"), "other");
    assert.equal(parseKey("something/else.json.gz"), undefined);
    assert.equal(kindOf("something/else.json.gz"), "other");
    // a "folder" key, a short account id, a missing day level, a file nested one level too deep
    assert.equal(parseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/"), undefined);
    assert.equal(parseKey("AWSLogs/11112222333/CloudTrail/us-east-1/2013/12/07/x.json.gz"), undefined);
    assert.equal(parseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/x.json.gz"), undefined);
    assert.equal(parseKey("AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/extra/x.json.gz"), undefined);
    assert.equal(kindOf("AWSLogs/111122223333/CloudTrail/us-east-1/2013/12/07/extra/x.json.gz"), "other");
    assert.equal(parseKey("AWSLogs/111122223333/Config/us-east-1/2013/12/07/x.json.gz"), undefined);
  });
});

describe("normalizePrefix, logsRoot, dayFolder", () => {
  test("normalizePrefix adds exactly one trailing slash and strips leading/trailing ones", () => {
    assert.equal(normalizePrefix(undefined), "");
    assert.equal(normalizePrefix(""), "");
    assert.equal(normalizePrefix("/"), "");
    assert.equal(normalizePrefix("my/prefix"), "my/prefix/");
    assert.equal(normalizePrefix("my/prefix/"), "my/prefix/");
    assert.equal(normalizePrefix("//my/prefix//"), "my/prefix/");
  });

  test("logsRoot with and without prefix and organization", () => {
    assert.equal(logsRoot(""), "AWSLogs/");
    assert.equal(logsRoot("trails"), "trails/AWSLogs/");
    assert.equal(logsRoot("trails/", "o-exampleorgid"), "trails/AWSLogs/o-exampleorgid/");
    assert.equal(logsRoot("", "o-exampleorgid"), "AWSLogs/o-exampleorgid/");
  });

  test("dayFolder builds the folder a parsed key lives in", () => {
    const root = logsRoot("p", "o-exampleorgid");
    const folder = dayFolder(root, "111122223333", "us-east-1", "2013-12-07");
    assert.equal(folder, "p/AWSLogs/o-exampleorgid/111122223333/CloudTrail/us-east-1/2013/12/07/");
    assert.equal(dayFolder("AWSLogs/", "111122223333", "us-east-1", "2013-12-07", "CloudTrail-Digest"), "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/2013/12/07/");
    const key = `${folder}111122223333_CloudTrail_us-east-1_20131207T0505Z_x.json.gz`;
    const parsed = parseKey(key)!;
    assert.equal(dayFolder(logsRoot(parsed.prefix, parsed.orgId), parsed.account, parsed.region, parsed.day), folder);
  });
});

describe("safeRelativePath", () => {
  const refused = (key: string) => {
    const r = safeRelativePath(key);
    assert.ok("refused" in r, `${JSON.stringify(key)} should be refused, got ${JSON.stringify(r)}`);
    return r.refused;
  };

  test("accepts normal keys unchanged", () => {
    assert.deepEqual(safeRelativePath(LOG), { path: LOG });
    assert.deepEqual(safeRelativePath("prefix/with spaces/and.dots/file..json.gz"), { path: "prefix/with spaces/and.dots/file..json.gz" });
    assert.deepEqual(safeRelativePath("a"), { path: "a" });
  });

  test("refuses '..' segments anywhere", () => {
    assert.match(refused(".."), /\.\./);
    assert.match(refused("../etc/passwd"), /\.\./);
    assert.match(refused("AWSLogs/../../etc/passwd"), /\.\./);
    assert.match(refused("AWSLogs/.."), /\.\./);
  });

  test("refuses absolute paths, backslashes, NUL", () => {
    assert.match(refused("/etc/passwd"), /absolute/);
    assert.match(refused("AWSLogs\\..\\..\\x"), /backslash/);
    assert.match(refused("a\\b"), /backslash/);
    assert.match(refused("AWSLogs/x\0.json"), /NUL/);
    assert.match(refused("C:/Windows/x"), /drive/);
  });

  test("refuses empty and '.' segments, and the empty key", () => {
    refused("");
    refused("AWSLogs//x.json");
    refused("AWSLogs/./x.json");
    refused(".");
    refused("AWSLogs/folder/");
  });
});
