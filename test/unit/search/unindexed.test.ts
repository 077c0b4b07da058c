import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../../fixtures/common.ts";
import { HOSTILE_KEYS } from "../../../fixtures/hostile.ts";
import { parseLossless, stringifyLossless, type JsonObject } from "../../../lib/json/lossless.ts";
import { decodePath, encodePath, originalRecord } from "../../../lib/search/unindexed.ts";

describe("unindexed paths", () => {
  test("ordinary keys are dotted, as before; others are JSON strings in brackets", () => {
    assert.equal(encodePath(["requestParameters"]), "requestParameters");
    assert.equal(encodePath(["userIdentity", "sessionContext"]), "userIdentity.sessionContext");
    assert.equal(encodePath(["requestParameters", "a.b"]), 'requestParameters["a.b"]');
    assert.equal(encodePath([""]), '[""]');
    assert.equal(encodePath(["userIdentity.type"]), '["userIdentity.type"]');
    assert.equal(encodePath(["a", "", "b"]), 'a[""].b');
    assert.equal(encodePath(["@timestamp"]), "@timestamp");
  });

  test("generative: every list of keys reads back to itself, and distinct lists never share a path", () => {
    const rng = new Rng("paths");
    const seen = new Map<string, string>();
    for (let i = 0; i < 20_000; i++) {
      const keys = Array.from({ length: 1 + rng.int(4) }, () => (rng.chance(0.5) ? rng.pick(HOSTILE_KEYS) : rng.pick(["a", "b", "requestParameters", "x-y", "_z"])));
      const path = encodePath(keys);
      assert.deepEqual(decodePath(path), keys, path);
      const before = seen.get(path);
      if (before !== undefined) assert.equal(before, JSON.stringify(keys));
      seen.set(path, JSON.stringify(keys));
    }
  });

  test("a path that is not one is refused", () => {
    for (const bad of ["a..b", ".a", "a.", 'a["b"', 'a["b"]c', "a[b]", '["a"]x']) assert.throws(() => decodePath(bad), SyntaxError, bad);
  });

  test("originalRecord puts every moved value back, the record's own @timestamp and trailpost included", () => {
    const doc = parseLossless('{"@timestamp":"2013-12-07T05:03:12Z","eventTime":"2013-12-07T05:03:12Z","requestParameters":{"ok":1},"trailpost":{"unindexed":{"requestParameters[\\"a.b\\"]":2,"[\\"\\"]":3,"@timestamp":"mine","trailpost":{"x":1},"userIdentity.arn":{"n":12345678901234567891}},"unindexedPaths":["requestParameters[\\"a.b\\"]","[\\"\\"]","@timestamp","trailpost","userIdentity.arn"]}}') as JsonObject;
    assert.equal(
      stringifyLossless(originalRecord(doc)),
      '{"eventTime":"2013-12-07T05:03:12Z","requestParameters":{"ok":1,"a.b":2},"":3,"@timestamp":"mine","trailpost":{"x":1},"userIdentity":{"arn":{"n":12345678901234567891}}}',
    );
  });
});
