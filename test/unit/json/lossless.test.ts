import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { JsonNumber, parseLossless, stringifyLossless, toPlain } from "../../../lib/json/lossless.ts";
import { Rng } from "../../../fixtures/common.ts";

describe("parseLossless", () => {
  test("keeps number spellings and document key order", () => {
    const text = '{"2":1,"b":12345678901234567891,"1":1.10,"a":[1e400,-0,0.5E-3]}';
    assert.equal(stringifyLossless(parseLossless(text)), text);
  });

  test("duplicate keys: the last value, at the first key's position (as jq 1.6)", () => {
    assert.equal(stringifyLossless(parseLossless('{"b":1,"a":2,"b":3}')), '{"b":3,"a":2}');
    assert.equal(stringifyLossless(parseLossless('{"a":{"x":1},"\\u0061":{"y":2}}')), '{"a":{"y":2}}');
  });

  test("strings are decoded and written in JSON.stringify's escaping", () => {
    assert.equal(stringifyLossless(parseLossless('["\\u00e9\\/\\b\\ud83d\\ude00"]')), JSON.stringify(["é/\b😀"]));
  });

  test("refuses what JSON.parse refuses, naming the offset", () => {
    for (const bad of ["", "{", "[1,]", '{"a" 1}', "01", "1.", "-", "+1", "NaN", '"\u0001"', '"\\x"', "[1] 2", "{'a':1}", "tru", '{"a":1,}', "\u00a0{}"]) {
      assert.throws(() => JSON.parse(bad), SyntaxError, `JSON.parse should refuse ${JSON.stringify(bad)}`);
      assert.throws(() => parseLossless(bad), /at offset \d+/, JSON.stringify(bad));
    }
  });

  test("nesting beyond 1000 levels is refused, not a stack overflow", () => {
    assert.throws(() => parseLossless("[".repeat(5000) + "]".repeat(5000)), /nesting deeper than 1000/);
    assert.doesNotThrow(() => parseLossless("[".repeat(900) + "]".repeat(900)));
  });

  test("generative: the same values as JSON.parse (seeded)", () => {
    const rng = new Rng("lossless");
    const value = (depth: number): unknown => {
      switch (rng.int(depth > 0 ? 7 : 5)) {
        case 0: return null;
        case 1: return rng.chance(0.5);
        case 2: return rng.pick([0, -1, 1.5, 1e21, 5e-324, 123456789, -0.25]);
        case 3: return String.fromCodePoint(...Array.from({ length: rng.int(6) }, () => rng.pick([0x41, 0x22, 0x5c, 0x0a, 0x01, 0xe9, 0x1f600, 0x2028])));
        case 4: return rng.pick(["", "x", "0"]);
        case 5: return Array.from({ length: rng.int(4) }, () => value(depth - 1));
        default: return Object.fromEntries(Array.from({ length: rng.int(4) }, () => [rng.pick(["a", "b", "", "0", "é", "a.b"]), value(depth - 1)]));
      }
    };
    for (let i = 0; i < 2000; i++) {
      const v = value(4);
      const text = JSON.stringify(v, null, rng.chance(0.3) ? 2 : undefined);
      assert.deepEqual(toPlain(parseLossless(text)), JSON.parse(text), text);
      assert.deepEqual(JSON.parse(stringifyLossless(parseLossless(text))), JSON.parse(text), text);
    }
  });

  test("numbers are JsonNumber with their raw text", () => {
    const tree = parseLossless("[12345678901234567891]") as JsonNumber[];
    assert.ok(tree[0] instanceof JsonNumber);
    assert.equal(tree[0].raw, "12345678901234567891");
  });
});
