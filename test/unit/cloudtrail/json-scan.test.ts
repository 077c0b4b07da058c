/**
 * The scanner accepts and refuses exactly what jq 1.6 does (jq's own parser, `fromjson`, is the oracle), for a
 * hand-written corpus and for thousands of seeded inputs: token soup, mutations of hostile JSON, and hostile JSON
 * itself. Its flags are checked against an independent tokenizer; canonical.ts's rewrite against `jq -c`.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { canonicalJson } from "../../../lib/cloudtrail/canonical.ts";
import { DUPLICATE_KEY, INTEGER_KEY, JsonScanner, MAX_DEPTH, MORE, NOT_JSON, SPACE, skipSpace } from "../../../lib/cloudtrail/json-scan.ts";
import { hostileValue, Rng } from "../../support/hostile-json.ts";
import { jqParse } from "../../support/jq-oracle.ts";
import { assertSameJsonLine, keySequences } from "../../support/json-keys.ts";

const encoder = new TextEncoder();

type Scan = { end: number; flags: number; error?: undefined } | { error: string; end?: undefined; flags?: undefined };

/** The input as one JSON text, as jq's fromjson reads it. */
function scanWhole(input: string): Scan {
  const scanner = new JsonScanner();
  const bytes = encoder.encode(input);
  scanner.setBytes(bytes);
  const start = skipSpace(bytes, 0);
  if (start >= bytes.length) return { error: "Expected JSON value" };
  try {
    const end = scanner.value(start, true, 0);
    if (end === MORE) return { error: "Unfinished JSON term at EOF" };
    if (skipSpace(bytes, end) !== bytes.length) return { error: "Unexpected extra JSON values" };
    return { end, flags: scanner.flags };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** Ours against jq's, input by input: both accept (the same value and keys) or both refuse. */
function compareWithJq(inputs: string[]): number {
  const theirs = jqParse(inputs);
  let accepted = 0;
  inputs.forEach((input, i) => {
    const ours = scanWhole(input);
    const jq = theirs[i]!;
    const what = `input ${i} ${JSON.stringify(input).slice(0, 200)}`;
    if (jq.error !== undefined) {
      assert.ok(ours.error !== undefined, `${what}: jq refuses it (${jq.error}), the scanner accepts it`);
      return;
    }
    assert.ok(ours.error === undefined, `${what}: jq reads it as ${jq.text}, the scanner refuses it: ${ours.error}`);
    accepted++;
    assertSameJsonLine(canonicalJson(input.trim()), jq.text, what);
  });
  return accepted;
}

const HAND = [
  // numbers: JSON's, and what jq 1.6 reads beyond it (C's strtod)
  "0", "-0", "1", "-1", "1.5", "1e5", "1E+5", "1e-5", "1.5e3", "12345678901234567890", "1e400", "-1e400", "1e-400",
  "01", "-01", "00", ".5", "-.5", "+.5", "1.", "1.e5", "+1", "+0", "-", "+", ".", "1e", "1e+", "1e5.", "--1", "1-", "0.0.0", "1ee5", "0x10", "1_000",
  "NaN", "nan", "-nan", "+nan", "Nan", "nAN", "NaN(12)", "Infinity", "-Infinity", "infinity", "inf", "INF", "Inf", "infinit", "-inf", "+Infinity",
  // literals
  "true", "false", "null", "tru", "truex", "nul", "null1", "True", "t", "f", "n",
  // strings and escapes
  '""', '"a"', '"\\""', '"\\\\"', '"\\/"', '"\\b\\f\\n\\r\\t"', '"\\u0041"', '"\\u00e9"', '"\\uD83D\\uDE00"', '"\\ud83d\\ude00"',
  '"\\ud800"', '"\\ud800x"', '"\\ud800\\u0041"', '"\\ud800\\udbff"', '"\\udc00"', '"\\ude00x"', '"\\udc00\\ud800"', '"\\ud83d\\ude00\\ude00"',
  '"\\u12g4"', '"\\u00"', '"\\u"', '"\\x"', '"\\U0041"', '"\\\'"', '"a\tb"', '"a\u0001b"', '"a\u001db"', '"a\u007fb"', '"unterminated', '"\\',
  // structure
  "[]", "{}", "[1,2]", "[1,]", "[,1]", "[1 2]", "[1,,2]", "[1]]", "[1", "[", "]", "{", "}", '{"a":1}', '{"a":1,}', '{"a" 1}', '{"a":}', '{"a"}',
  '{1:2}', "{'a':1}", '{"a":1 "b":2}', '{,"a":1}', '{"a":1,,"b":2}', '{"a"::1}', ":", ",", "1 2", "[1]x", '{"a":[1,{"b":null}],"c":"d"}',
  '[1"a"]', '["a"1]', '{"a":1}{"b":2}', "[true false]", "[truefalse]", "[1}", '{"a":1]', " [ 1 , 2 ] ", "\t{\r\"a\" : 1 }\t",
  // duplicate keys, every spelling
  '{"b":1,"a":2,"b":3}', '{"a":1,"\\u0061":2}', '{"\\u0061":1,"a":2}', '{"1":1,"0":2,"1":3}', '{"a":{"x":1,"x":{"y":1,"y":2}},"b":[{"c":1,"c":2}]}',
  '{"\\ud83d\\ude00":1,"😀":2}', '{"\\udc00":1,"\\ude00":2,"\ufffd":3}', '{"":1,"":2}', '{"a":1,"a":{"b":2}}',
];

describe("JsonScanner: what jq accepts", () => {
  test("a hand-written corpus: numbers, literals, strings, escapes, structure, duplicate keys", () => {
    const accepted = compareWithJq(HAND);
    assert.ok(accepted > 60 && accepted < HAND.length - 50, `both accepted and refused inputs are covered (${accepted} of ${HAND.length} accepted)`);
  });

  test("3,000 seeded token soups", () => {
    const rng = new Rng(101);
    const alphabet = [..."{}[],:\" \\u0123456789abcdefABCDEF.eE+-ntrulsINFinfaNy\t\r/x"];
    const inputs: string[] = [];
    for (let i = 0; i < 3000; i++) {
      let s = "";
      for (let n = 1 + rng.int(10); n > 0; n--) s += rng.pick(alphabet);
      inputs.push(s);
    }
    const accepted = compareWithJq(inputs);
    assert.ok(accepted > 50, `some soups are JSON (${accepted})`);
  });

  test("2,000 seeded mutations of hostile JSON (a character deleted, inserted, replaced or doubled)", () => {
    const rng = new Rng(202);
    const alphabet = [..."{}[],:\"\\u0e.-+1aNI \t"];
    const inputs: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const chars = [...hostileValue(rng, { lenient: true, newlines: false, depth: 4 })];
      for (let m = 1 + rng.int(2); m > 0; m--) {
        const at = rng.int(chars.length + 1);
        const kind = rng.int(4);
        if (kind === 0) chars.splice(at, 1);
        else if (kind === 1) chars.splice(at, 0, rng.pick(alphabet));
        else if (kind === 2) chars.splice(at, 1, rng.pick(alphabet));
        else chars.splice(at, 0, chars[at] ?? "x");
      }
      inputs.push(chars.join(""));
    }
    const accepted = compareWithJq(inputs);
    assert.ok(accepted > 200 && accepted < 1800, `mutations both survive and break (${accepted} of 2000 accepted)`);
  });

  test("1,000 seeded hostile values, lenient numbers and lone surrogates included: all accepted, rewritten as jq prints them", () => {
    const rng = new Rng(303);
    const inputs = Array.from({ length: 1000 }, () => hostileValue(rng, { lenient: true, newlines: false }));
    assert.equal(compareWithJq(inputs), 1000);
  });

  test("rewritten values equal jq -c byte for byte when their numbers and escapes are spelled as jq spells them", () => {
    const rng = new Rng(404);
    const inputs = Array.from({ length: 1000 }, () => hostileValue(rng, { canonicalNumbers: true, canonicalStrings: true, newlines: false }));
    const theirs = jqParse(inputs);
    inputs.forEach((input, i) => assert.equal(canonicalJson(input.trim()), theirs[i]!.text, `input ${i} ${input}`));
  });

  test("where jq disagrees with itself, JSON decides: a raw U+001F, U+001E or U+0000 in a string is refused", () => {
    // jq 1.6 reads a file up to a raw NUL ("Unfinished string"), but its fromjson accepts one
    // jq 1.6 and 1.7 accept a raw U+001F (an off-by-one, jq issue 2909) and read U+001E as a record separator
    assert.equal(jqParse(['"a\u001fb"'])[0]!.text, '"a\\u001fb"');
    assert.match(scanWhole('"a\u001fb"').error ?? "", /control characters/);
    assert.match(scanWhole('"a\u001eb"').error ?? "", /control characters/);
    assert.match(scanWhole('"a\u0000b"').error ?? "", /control characters/);
  });

  test("nesting: jq 1.8's limit of 10,000 parser levels (arrays count 1, objects 2), deeper is refused", () => {
    const arrays = (n: number) => "[".repeat(n) + "]".repeat(n);
    const objects = (n: number) => '{"a":'.repeat(n) + "1" + "}".repeat(n);
    assert.equal(scanWhole(arrays(MAX_DEPTH)).error, undefined);
    assert.equal(scanWhole(arrays(MAX_DEPTH + 1)).error, "Exceeds depth limit for parsing");
    assert.equal(scanWhole(objects(MAX_DEPTH / 2)).error, undefined);
    assert.equal(scanWhole(objects(MAX_DEPTH / 2 + 1)).error, "Exceeds depth limit for parsing");
    // jq 1.6 (the oracle here) stops at 256: the differential corpus stays below it
    assert.match(jqParse([arrays(257)])[0]!.error ?? "", /depth limit/);
  });
});

describe("JsonScanner: streaming", () => {
  test("no prefix of a valid text is an error: every one asks for more, also cut inside a UTF-8 character", () => {
    const rng = new Rng(505);
    for (let n = 0; n < 150; n++) {
      const text = encoder.encode(hostileValue(rng, { lenient: true }));
      const scanner = new JsonScanner();
      for (let cut = 1; cut < text.length; cut++) {
        scanner.setBytes(text.subarray(0, cut));
        let end: number;
        try {
          end = scanner.value(0, false, 0);
        } catch (error) {
          assert.fail(`${JSON.stringify(new TextDecoder().decode(text))} cut at ${cut}: ${(error as Error).message}`);
        }
        assert.equal(end, MORE, `${JSON.stringify(new TextDecoder().decode(text))} cut at ${cut}`);
      }
      scanner.setBytes(text);
      assert.equal(scanner.value(0, true, 0), text.length, new TextDecoder().decode(text));
    }
  });

  test("a value followed by more text ends where the value does", () => {
    const scanner = new JsonScanner();
    for (const [text, end] of [['{"a":1} {"b":2}', 7], ["[1,2]3", 5], ['"a\\"b""c"', 6], ["12 34", 2], ["true,", 4], ['1"x"', 1]] as const) {
      scanner.setBytes(encoder.encode(text));
      assert.equal(scanner.value(0, false, 0), end, text);
    }
  });
});

describe("JsonScanner: flags", () => {
  test("DUPLICATE_KEY, INTEGER_KEY, SPACE and NOT_JSON say exactly what an independent tokenizer and JSON.parse find", () => {
    const rng = new Rng(606);
    const seen = { duplicate: 0, integer: 0, space: 0, notJson: 0 };
    for (let n = 0; n < 3000; n++) {
      const text = hostileValue(rng, { lenient: true });
      const scan = scanWhole(text);
      assert.equal(scan.error, undefined, text);
      const flags = scan.flags!;
      const keys = keySequences(text);
      const duplicate = keys.some((k) => new Set(k).size !== k.length);
      const integer = keys.some((k) => k.some((key) => /^[0-9]/.test(key)));
      let notJson = /\\u[dD][c-fC-F]/.test(text) && jqReadsLoneLow(text);
      try {
        JSON.parse(text);
      } catch {
        notJson = true;
      }
      const space = spaceBetweenTokens(text);
      assert.equal(Boolean(flags & DUPLICATE_KEY), duplicate, `DUPLICATE_KEY of ${text}`);
      assert.equal(Boolean(flags & INTEGER_KEY), integer, `INTEGER_KEY of ${text}`);
      assert.equal(Boolean(flags & SPACE), space, `SPACE of ${text}`);
      assert.equal(Boolean(flags & NOT_JSON), notJson, `NOT_JSON of ${text}`);
      seen.duplicate += +duplicate;
      seen.integer += +integer;
      seen.space += +space;
      seen.notJson += +notJson;
    }
    for (const [flag, count] of Object.entries(seen)) assert.ok(count > 100, `${flag} is exercised (${count} times)`);
  });

  test("keys that differ only past the characters the quick hash reads are not duplicates", () => {
    for (const text of ['{"eventTime":1,"eventType":2,"eventName":3}', '{"abcXdef":1,"abcYdef":2}', '{"a":1,"A":2}', '{"aXb":1,"aYb":2,"aZb":3}']) {
      assert.equal(scanWhole(text).flags! & DUPLICATE_KEY, 0, text);
    }
    assert.equal(scanWhole('{"abcXdef":1,"q":{"abcXdef":2},"abcXdef":3}').flags! & DUPLICATE_KEY, DUPLICATE_KEY);
  });

  test("an object with thousands of keys: a duplicate is found at any distance", () => {
    const keys = Array.from({ length: 5000 }, (_, i) => `"k${i}":${i}`);
    assert.equal(scanWhole(`{${keys.join(",")}}`).flags! & DUPLICATE_KEY, 0);
    assert.equal(scanWhole(`{${keys.join(",")},"k1":0}`).flags! & DUPLICATE_KEY, DUPLICATE_KEY);
    assert.equal(scanWhole(`{${keys.join(",")},"\\u006b4999":0}`).flags! & DUPLICATE_KEY, DUPLICATE_KEY);
  });
});

/** Whether a \uDCxx-\uDFxx escape in the text is not the low half of a pair (jq reads it as U+FFFD). */
function jqReadsLoneLow(text: string): boolean {
  return /(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}/.test(text);
}

/** Whitespace outside strings, after the first token and before the last. */
function spaceBetweenTokens(text: string): boolean {
  const trimmed = text.trim();
  let inString = false;
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed[i]!;
    if (inString) {
      if (c === "\\") i++;
      else if (c === '"') inString = false;
    } else if (c === '"') inString = true;
    else if (c === " " || c === "\t" || c === "\n" || c === "\r") return true;
  }
  return false;
}
