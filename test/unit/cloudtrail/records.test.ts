import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { splitRecords, topLevelSpans } from "../../../lib/cloudtrail/records.ts";

const texts = (input: string) => {
  const records = splitRecords(input);
  assert.ok(records, `expected the fast path to take ${JSON.stringify(input.slice(0, 80))}`);
  return records.map((r) => r.text);
};

describe("splitRecords: the fast path", () => {
  test("each record's text is exactly as delivered, number spellings included", () => {
    const r1 = '{"eventVersion":"1.10","n":1.10,"small":9.82222E-5,"big":12345678901234567890,"neg":-0,"exp":1e+2}';
    const r2 = '{"eventID":"b","nested":{"a":[1,2.50,{"b":null}]},"t":true,"f":false}';
    const input = `{"Records":[${r1},${r2}]}`;
    const records = splitRecords(input)!;
    assert.deepEqual(records.map((r) => r.text), [r1, r2]);
    assert.equal(records[0]!.text.includes('"n":1.10'), true);
    assert.equal(records[0]!.text.includes('"small":9.82222E-5'), true);
    assert.equal(records[0]!.text.includes('"big":12345678901234567890'), true);
    assert.deepEqual(records[0]!.value, JSON.parse(r1));
    assert.deepEqual(records[1]!.value, JSON.parse(r2));
  });

  test("an empty Records array gives no records (not the fallback)", () => {
    assert.deepEqual(splitRecords('{"Records":[]}'), []);
    assert.deepEqual(splitRecords('{ "Records" : [ \n ] }'), []);
  });

  test("Records need not be the only or the first member; the others are not handed on", () => {
    assert.deepEqual(texts('{"other":{"x":[1,2]},"Records":[{"a":1}],"after":"x"}'), ['{"a":1}']);
  });

  test("pretty-printed input: newlines, CRs and tabs go, the value stays equal", () => {
    const pretty = JSON.stringify({ Records: [{ a: 1, b: { c: [1, 2, "x y"] } }, { d: "e" }] }, null, "\t").replace(/\n/g, "\r\n");
    const records = splitRecords(pretty)!;
    assert.equal(records.length, 2);
    for (const r of records) {
      assert.doesNotMatch(r.text, /[\r\n\t]/);
      assert.deepEqual(JSON.parse(r.text), r.value);
    }
    assert.deepEqual(records[0]!.value, { a: 1, b: { c: [1, 2, "x y"] } });
    assert.deepEqual(records[1]!.value, { d: "e" });
    // spaces (outside strings) are kept as delivered, inside strings untouched
    assert.equal(records[0]!.text.includes('"x y"'), true);
  });

  test("escaped keys: \\u006f spells Records", () => {
    assert.deepEqual(texts('{"Rec\\u006frds":[{"a":1}]}'), ['{"a":1}']);
  });

  test("strings holding ] } \\\" and \\\\ do not confuse the scanner", () => {
    const r1 = '{"s":"]}],{[","q":"say \\"hi\\" ]","b":"C:\\\\dir\\\\","e":"\\\\"}';
    const r2 = '{"k]}":"v\\\\\\"}"}';
    const input = `{"Records":[${r1},${r2}],"x":"\\"Records\\":[1]"}`;
    const records = splitRecords(input)!;
    assert.deepEqual(records.map((r) => r.text), [r1, r2]);
    assert.deepEqual(records.map((r) => r.value), [JSON.parse(r1), JSON.parse(r2)]);
    assert.equal((records[0]!.value as { e: string }).e, "\\");
  });

  test("non-object records are handed on too (they are not the splitter's business)", () => {
    const records = splitRecords('{"Records":[1, "two", null, [3], {"x":4}]}')!;
    assert.deepEqual(records.map((r) => r.text), ["1", '"two"', "null", "[3]", '{"x":4}']);
    assert.deepEqual(records.map((r) => r.value), [1, "two", null, [3], { x: 4 }]);
  });

  test("duplicate Records keys: the last wins, as with JSON.parse", () => {
    const input = '{"Records":[{"first":1}],"Records":[{"last":2}]}';
    assert.deepEqual(splitRecords(input)!.map((r) => r.value), (JSON.parse(input) as { Records: unknown[] }).Records);
    assert.deepEqual(texts(input), ['{"last":2}']);
  });

  test("whitespace around the whole document is fine", () => {
    assert.deepEqual(texts(' \n\t{"Records":[{"a":1}]}\r\n '), ['{"a":1}']);
  });
});

describe("splitRecords: everything else falls back (undefined)", () => {
  const fallbacks: [string, string][] = [
    ["no Records key", '{"CloudTrailDigest":true,"logFiles":[]}'],
    ["an empty object", "{}"],
    ["Records is null", '{"Records":null}'],
    ["Records is an object", '{"Records":{"a":1}}'],
    ["Records is a string", '{"Records":"[1]"}'],
    ["several top-level values", '{"Records":[{"a":1}]}\n{"Records":[{"b":2}]}'],
    ["a value after the object", '{"Records":[{"a":1}]} 1'],
    ["top level is an array", '[{"Records":[{"a":1}]}]'],
    ["top level is a string", '"Records"'],
    ["top level is a number", "42"],
    ["empty text", ""],
    ["only whitespace", "  \n "],
    ["invalid JSON in a record", '{"Records":[{"a":1},{"b":}]}'],
    ["an unquoted value in a record", '{"Records":[{"a":tru}]}'],
    ["trailing comma in Records", '{"Records":[{"a":1},]}'],
    ["missing comma between records", '{"Records":[{"a":1} {"b":2}]}'],
    ["truncated file", '{"Records":[{"a":1},{"b":2'],
    ["truncated string", '{"Records":[{"a":"unterminated'],
    ["missing closing brace", '{"Records":[{"a":1}]'],
    ["invalid JSON in a non-Records member before", '{"x":[1,,2],"Records":[{"a":1}]}'],
    ["invalid JSON in a non-Records member after", '{"Records":[{"a":1}],"x":{"y":nope}}'],
    ["an invalid number in a non-Records member", '{"n":01,"Records":[{"a":1}]}'],
    ["unquoted key", '{Records:[{"a":1}]}'],
    ["trailing comma in the object", '{"Records":[{"a":1}],}'],
    ["invalid JSON in the first of duplicate Records", '{"Records":[{"a":1},nope],"Records":[{"b":2}]}'],
    ["a raw newline inside a key", '{"a\nb":1,"Records":[{"a":1}]}'],
  ];
  for (const [what, input] of fallbacks) {
    test(what, () => {
      assert.equal(splitRecords(input), undefined);
    });
  }

  test("every fallback case is one JSON.parse would reject or that has no plain Records array", () => {
    for (const [what, input] of fallbacks) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(input);
      } catch {
        continue;
      }
      const records = (parsed as { Records?: unknown } | null)?.Records;
      assert.ok(typeof parsed !== "object" || parsed === null || Array.isArray(parsed) || !Array.isArray(records), `${what} parses with a Records array`);
    }
  });
});

describe("topLevelSpans", () => {
  test("finds each value of concatenated JSON", () => {
    const text = '{"a":"}"} [1,[2]]\n"x\\"y" 3 true null\n{"b":{}}';
    const spans = topLevelSpans(text);
    assert.deepEqual(spans.map(([s, e]) => text.slice(s, e)), ['{"a":"}"}', "[1,[2]]", '"x\\"y"', "3", "true", "null", '{"b":{}}']);
  });

  test("concatenated objects without whitespace between them", () => {
    const text = '{"Records":[{"a":1}]}{"Records":[]}';
    assert.deepEqual(topLevelSpans(text), [[0, 21], [21, 35]]);
  });

  test("empty or blank text has no spans", () => {
    assert.deepEqual(topLevelSpans(""), []);
    assert.deepEqual(topLevelSpans(" \n\t"), []);
  });

  test("an unterminated value throws", () => {
    assert.throws(() => topLevelSpans('{"a":1'));
    assert.throws(() => topLevelSpans('"abc'));
  });
});
