import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { DUPLICATE_KEY, INTEGER_KEY, JsonScanner, JsonSyntaxError } from "../../../lib/cloudtrail/json-scan.ts";
import { RecordsSplitter, type RecordsSink } from "../../../lib/cloudtrail/records.ts";
import { hostileObject, hostileValue, Rng } from "../../support/hostile-json.ts";

type Event = [string, ...unknown[]];

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** Everything the splitter tells its sink (bytes as text, checked to be UTF-8), and how it ended. */
function events(chunks: (string | Uint8Array)[], records = true): { events: Event[]; error?: string } {
  const log: Event[] = [];
  const text = (bytes: Uint8Array, known: string | undefined) => {
    const decoded = decoder.decode(bytes);
    if (known !== undefined) assert.equal(known, decoded, "the text handed on is the bytes'");
    return decoded;
  };
  const sink: RecordsSink = {
    record: (bytes, flags, known) => log.push(["record", text(bytes, known), flags & (DUPLICATE_KEY | INTEGER_KEY)]),
    recordsMember: () => log.push(["recordsMember"]),
    recordsValue: (bytes, _, known) => log.push(["recordsValue", text(bytes, known)]),
    objectEnd: () => log.push(["objectEnd"]),
    value: (bytes, _, known) => log.push(["value", text(bytes, known)]),
  };
  const splitter = new RecordsSplitter(sink, { records });
  try {
    for (const chunk of chunks) splitter.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
    splitter.end();
  } catch (error) {
    assert.ok(error instanceof JsonSyntaxError, `a JsonSyntaxError, not ${String(error)}`);
    return { events: log, error: error.message };
  }
  return { events: log };
}

const records = (text: string) => events([text]).events.filter((e) => e[0] === "record").map((e) => e[1]);

describe("RecordsSplitter: records as jq -c prints them", () => {
  test("each record's text is exactly as delivered, number spellings included", () => {
    const r1 = '{"eventVersion":"1.10","n":1.10,"small":9.82222E-5,"big":12345678901234567890,"neg":-0,"exp":1e+2}';
    const r2 = '{"eventID":"b","nested":{"a":[1,2.50,{"b":null}]},"t":true,"f":false,"s":"\\u003c\\/\\u00e9"}';
    assert.deepEqual(events([`{"Records":[${r1},${r2}]}`]).events, [["recordsMember"], ["record", r1, 0], ["record", r2, 0], ["objectEnd"]]);
  });

  test("whitespace between tokens goes, strings are quoted as jq quotes them", () => {
    const pretty = JSON.stringify({ Records: [{ a: 1, b: { c: [1, 2, "x y"] } }, { d: "e\u00e9" }] }, null, "\t").replace(/\n/g, "\r\n");
    assert.deepEqual(records(pretty), ['{"a":1,"b":{"c":[1,2,"x y"]}}', '{"d":"eé"}']);
    assert.deepEqual(records('{"Records":[ {"s" : "\\u003c a  b" , "n" : 1.50} ]}'), ['{"s":"< a  b","n":1.50}']);
  });

  test("duplicate keys at any depth: once, where they first were, with their last value, as jq does", () => {
    assert.deepEqual(records('{"Records":[{"b":1,"a":2,"b":3}]}'), ['{"b":3,"a":2}']);
    assert.deepEqual(records('{"Records":[{"a":1,"\\u0061":2},{"\\u0061":1,"a":{"x":1,"x":[{"y":1,"y":2.50}]}}]}'), ['{"a":2}', '{"a":{"x":[{"y":2.50}]}}']);
    assert.deepEqual(records('{"Records":[{"1":1,"0":2,"1":3}]}'), ['{"1":3,"0":2}']);
    assert.deepEqual(events(['{"Records":[{"1":1,"0":2}]}']).events[1], ["record", '{"1":1,"0":2}', INTEGER_KEY]);
  });

  test("numbers only jq reads, and lone low surrogate escapes, are written as jq writes them", () => {
    assert.deepEqual(records('{"Records":[[01,.5,1.,+1,NaN,-Infinity,1.50],"\\udc00x"]}'), ["[1,0.5,1,1,null,-1.7976931348623157e+308,1.50]", '"\ufffdx"']);
  });

  test("Records need not be the only or the first member; the others are validated, not handed on", () => {
    assert.deepEqual(events(['{"other":{"x":[1,2]},"Records":[{"a":1}],"after":"x"}']).events, [["recordsMember"], ["record", '{"a":1}', 0], ["objectEnd"]]);
    assert.match(events(['{"Records":[{"a":1}],"after":{"x":nope}}']).error!, /^Invalid literal at line 1, column 39$/);
  });

  test("escaped keys: \\u0052ecords is Records; a nested Records is not", () => {
    assert.deepEqual(records('{"\\u0052ecords":[{"a":1}]}'), ['{"a":1}']);
    assert.deepEqual(records('{"x":{"Records":[1]},"Records":[2]}'), ["2"]);
  });

  test("the top-level shapes it does not take apart are handed on whole", () => {
    assert.deepEqual(events(['{"Records":{"a":1}} [1,2] "x" 3 {} {"a":1}']).events, [
      ["recordsMember"], ["recordsValue", '{"a":1}'], ["objectEnd"], ["value", "[1,2]"], ["value", '"x"'], ["value", "3"], ["objectEnd"], ["objectEnd"],
    ]);
    assert.deepEqual(events(['{"Records":[1]} 2'], false).events, [["value", '{"Records":[1]}'], ["value", "2"]]);
    assert.deepEqual(events(['{"Records":[1],"Records":[2]}']).events, [["recordsMember"], ["record", "1", 0], ["recordsMember"], ["record", "2", 0], ["objectEnd"]]);
  });

  test("errors say what and where, in jq's words (line, column)", () => {
    const cases: [string, RegExp][] = [
      ['{"Records":[{"a":1},]}', /^Expected another array element at line 1, column 21$/],
      ['{"Records":[{"a":1} {"b":2}]}', /^Expected separator between values at line 1, column 21$/],
      ['{"Records":[{"a":1}', /^Unfinished JSON term at EOF at line 1, column \d+$/],
      ['{"Records":[1,2]\n\n  }  ]', /^Unmatched '\]' at line 3, column 6$/],
      ['{\n"Records":[{"a":"x\ty"}]}', /^Invalid string: control characters .* at line 2, column 19$/],
      ["{Records:[]}", /^Object keys must be strings at line 1, column 2$/],
      ['{"Records":[],}', /^Expected another key-value pair at line 1, column 15$/],
      ['{"Records" []}', /^Objects must consist of key:value pairs/],
      ['{"Records":["\\ud800"]}', /^Invalid \\uXXXX\\uXXXX surrogate pair escape/],
    ];
    for (const [text, error] of cases) assert.match(events([text]).error ?? "(none)", error, text);
  });
});

describe("RecordsSplitter: bytes", () => {
  test("bytes that are not UTF-8 become U+FFFD, as jq reads them; a byte order mark at the start is skipped", () => {
    const bad = new Uint8Array([...encoder.encode('\ufeff{"Records":[{"s":"'), 0xff, 0xfe, 0x61, 0xc3, ...encoder.encode('"},{"é":"ok"}]}')]);
    assert.deepEqual(events([bad]).events, [["recordsMember"], ["record", '{"s":"\ufffd\ufffda\ufffd"}', 0], ["record", '{"é":"ok"}', 0], ["objectEnd"]]);
    assert.equal(events([encoder.encode(' \ufeff{"Records":[]}')]).error, "Invalid numeric literal at line 1, column 5"); // jq's words and place
  });

  test("a record that is valid UTF-8 is handed on as the very bytes delivered", () => {
    const input = encoder.encode('{"Records":[{"a":"é😀\\u00e9"}]}');
    let seen: Uint8Array | undefined;
    new RecordsSplitter({ record: (b) => (seen = b), recordsMember() {}, recordsValue() {}, objectEnd() {}, value() {} }).push(input);
    assert.equal(seen!.buffer, input.buffer, "a view into the input");
    assert.equal(decoder.decode(seen!), '{"a":"é😀\\u00e9"}');
  });
});

describe("RecordsSplitter: streaming", () => {
  const corpus = (() => {
    const rng = new Rng(11);
    const out = [
      '{"Records":[{"a":1},{"b":[1,2,{"c":"d\\"e"}]}]}',
      ' {"x":1, "Records" : [ 1 , "two" , null ] , "y":[{}]} \n{"Records":[]} [3] "s" 4 ',
      '{"Records":[{"a":"\\ud83d\\ude00"},{"\\u0061":1,"a":2}]}{"Records":{"k":[1]}}',
      '{"Records":[{"a":1},{"b":2},]}',
      '{"Records":[{"a":1}]} {"Records":[{"b":2}',
    ];
    for (let i = 0; i < 40; i++) {
      const members: [string, string][] = [['"Records"', `[${Array.from({ length: 1 + rng.int(4) }, () => hostileObject(rng, { lenient: true }, 1)).join(",")}]`]];
      out.push(hostileObject(rng, { lenient: true }, 1, members) + (rng.chance(0.3) ? " " + hostileValue(rng, { lenient: true }) : ""));
    }
    return out;
  })();

  test("the same events and the same error whatever the chunks: cuts in two (inside UTF-8 characters too), and random chunkings", () => {
    const rng = new Rng(12);
    for (const source of corpus) {
      const text = encoder.encode(source);
      const whole = events([text]);
      // every cut of short inputs; 300 seeded cuts of longer ones
      const cuts = text.length <= 300 ? Array.from({ length: text.length + 1 }, (_, k) => k) : Array.from({ length: 300 }, () => rng.int(text.length + 1));
      for (const cut of cuts) assert.deepEqual(events([text.subarray(0, cut), text.subarray(cut)]), whole, `${JSON.stringify(source)} cut at byte ${cut}`);
      for (let n = 0; n < 5; n++) {
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < text.length; ) {
          const size = 1 + rng.int(8);
          chunks.push(text.subarray(at, at + size));
          at += size;
        }
        assert.deepEqual(events(chunks), whole, `${JSON.stringify(source)} in ${chunks.length} chunks`);
      }
    }
  });

  test("records go out as their bytes arrive: an object that never ends still yields its records", () => {
    const seen: string[] = [];
    const sink = { record: (b: Uint8Array) => seen.push(decoder.decode(b)), recordsMember() {}, recordsValue() {}, objectEnd() {}, value() {} };
    const splitter = new RecordsSplitter(sink);
    splitter.push(encoder.encode('{"Records":['));
    for (let i = 0; i < 10_000; i++) splitter.push(encoder.encode(`{"eventID":"${i}","n":${i}},`));
    assert.equal(seen.length, 10_000);
    assert.equal(seen[9_999], '{"eventID":"9999","n":9999}');
  });

  test("a record longer than a chunk is not scanned again for every chunk", () => {
    const scan = JsonScanner.prototype.value;
    let calls = 0;
    JsonScanner.prototype.value = function (...args: Parameters<typeof scan>) {
      calls++;
      return scan.apply(this, args);
    };
    try {
      const big = `{"a":[${Array.from({ length: 100_000 }, (_, i) => `"${i}"`).join(",")}]}`;
      const seen: string[] = [];
      const splitter = new RecordsSplitter({ record: (b) => seen.push(decoder.decode(b)), recordsMember() {}, recordsValue() {}, objectEnd() {}, value() {} });
      const text = encoder.encode(`{"Records":[${big},{"b":1}]}`);
      for (let at = 0; at < text.length; at += 1000) splitter.push(text.subarray(at, at + 1000));
      splitter.end();
      assert.deepEqual(seen, [big, '{"b":1}']);
      assert.ok(calls < 30, `${calls} scans for ${Math.ceil(text.length / 1000)} chunks`);
    } finally {
      JsonScanner.prototype.value = scan;
    }
  });

  test("push after end is refused; end twice is harmless", () => {
    const splitter = new RecordsSplitter({ record() {}, recordsMember() {}, recordsValue() {}, objectEnd() {}, value() {} });
    splitter.push(encoder.encode("{}"));
    splitter.end();
    splitter.end();
    assert.throws(() => splitter.push(encoder.encode("1")), /push after end/);
    assert.equal(splitter.values, 1);
  });
});
