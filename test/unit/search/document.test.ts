import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { keysInText, parseEventTime, RecordError, toAction, utf8Length } from "../../../lib/search/document.ts";
import { contentHash } from "../../../lib/search/ids.ts";
import { parseLossless, stringifyLossless } from "../../../lib/json/lossless.ts";
import { originalRecord } from "../../../lib/search/unindexed.ts";
import { Rng } from "../../support/hostile-json.ts";

const PREFIX = "cloudtrail";
const action = (text: string, prefix = PREFIX) => toAction(text, JSON.parse(text), prefix);
const sourceOf = async (text: string) => JSON.parse((await action(text)).source) as Record<string, unknown>;

describe("toAction: index and id", () => {
  test("index is <prefix>-YYYY.MM.DD of eventTime, id is eventID", async () => {
    const a = await action('{"eventTime":"2013-12-07T05:03:12Z","eventID":"3ce1b4d0-8c93-4fa8-8d37-9d1f6c9d0a11"}');
    assert.equal(a.index, "cloudtrail-2013.12.07");
    assert.equal(a.id, "3ce1b4d0-8c93-4fa8-8d37-9d1f6c9d0a11");
    assert.deepEqual(a.unindexed, []);
  });

  test("the prefix is used as given", async () => {
    assert.equal((await action('{"eventTime":"2013-12-07T05:03:12Z","eventID":"x"}', "ct.prod")).index, "ct.prod-2013.12.07");
  });

  test("an offset that crosses midnight moves the record to the UTC day", async () => {
    const forward = await action('{"eventTime":"2013-12-07T23:30:00-02:00","eventID":"a"}');
    assert.equal(forward.index, "cloudtrail-2013.12.08");
    assert.equal((JSON.parse(forward.source) as Record<string, unknown>)["@timestamp"], "2013-12-08T01:30:00.000Z");
    const back = await action('{"eventTime":"2014-01-01T01:30:00+02:00","eventID":"b"}');
    assert.equal(back.index, "cloudtrail-2013.12.31");
    assert.equal((JSON.parse(back.source) as Record<string, unknown>)["@timestamp"], "2013-12-31T23:30:00.000Z");
    const compact = await action('{"eventTime":"2013-12-08T01:30:00+0200","eventID":"c"}');
    assert.equal(compact.index, "cloudtrail-2013.12.07");
  });

  test("an eventTime without an offset is UTC", async () => {
    assert.equal((await action('{"eventTime":"2013-12-07T23:59:59","eventID":"a"}')).index, "cloudtrail-2013.12.07");
    assert.equal((await action('{"eventTime":"2013-12-08T00:00:00.000","eventID":"a"}')).index, "cloudtrail-2013.12.08");
    assert.equal(parseEventTime("2013-12-07T23:59:59")?.day, "2013-12-07");
  });

  test("records without an eventID get a 64-hex SHA-256 of their content, independent of key order", async () => {
    const a = await action('{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","userIdentity":{"type":"Root","arn":"x"}}');
    const b = await action('{"userIdentity":{"arn":"x","type":"Root"},"eventName":"A","eventTime":"2013-12-07T05:03:12Z"}');
    const pretty = await action('{\n  "eventName": "A",\n  "eventTime": "2013-12-07T05:03:12Z",\n  "userIdentity": {"type": "Root", "arn": "x"}\n}');
    assert.match(a.id, /^[0-9a-f]{64}$/);
    assert.equal(a.id, b.id);
    assert.equal(a.id, pretty.id);
    assert.equal(a.id, await contentHash('{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","userIdentity":{"type":"Root","arn":"x"}}'));
  });

  test("distinct records without eventID get distinct ids", async () => {
    const texts = [
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"A"}',
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"B"}',
      '{"eventTime":"2013-12-07T05:03:13Z","eventName":"A"}',
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","x":null}',
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","x":[1,2]}',
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","x":[2,1]}',
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","x":"1"}',
      '{"eventTime":"2013-12-07T05:03:12Z","eventName":"A","x":1}',
    ];
    const ids = await Promise.all(texts.map(async (t) => (await action(t)).id));
    assert.equal(new Set(ids).size, texts.length);
    for (const id of ids) assert.match(id, /^[0-9a-f]{64}$/);
  });

  test("an empty or non-string eventID is replaced by the content hash", async () => {
    assert.match((await action('{"eventTime":"2013-12-07T05:03:12Z","eventID":""}')).id, /^[0-9a-f]{64}$/);
    assert.match((await action('{"eventTime":"2013-12-07T05:03:12Z","eventID":42}')).id, /^[0-9a-f]{64}$/);
  });
});

describe("toAction: records that cannot be placed", () => {
  for (const [what, text] of [
    ["an array", "[1,2]"],
    ["a string", '"2013-12-07T05:03:12Z"'],
    ["a number", "42"],
    ["null", "null"],
  ] as const) {
    test(`${what} is a RecordError`, async () => {
      await assert.rejects(action(text), (e: unknown) => e instanceof RecordError && /not a CloudTrail record: a JSON/.test(e.message));
    });
  }

  for (const [what, text, says] of [
    ["missing eventTime", '{"eventID":"a"}', /no valid eventTime \(missing\)/],
    ["eventTime null", '{"eventTime":null}', /no valid eventTime \(null\)/],
    ["eventTime a number", '{"eventTime":1386392592000}', /no valid eventTime/],
    ["eventTime not a date", '{"eventTime":"yesterday"}', /no valid eventTime \("yesterday"\)/],
    ["eventTime only a day", '{"eventTime":"2013-12-07"}', /no valid eventTime/],
    ["eventTime with month 13", '{"eventTime":"2013-13-07T05:03:12Z"}', /no valid eventTime/],
    ["eventTime on 30 February (UTC)", '{"eventTime":"2013-02-30T05:03:12Z"}', /no valid eventTime/],
    ["eventTime on 30 February with an offset", '{"eventTime":"2013-02-30T05:03:12+02:00"}', /no valid eventTime/],
    ["eventTime at hour 25", '{"eventTime":"2013-12-07T25:03:12Z"}', /no valid eventTime/],
  ] as const) {
    test(`${what} is a RecordError`, async () => {
      await assert.rejects(action(text), (e: unknown) => e instanceof RecordError && says.test(e.message));
    });
  }
});

describe("toAction: the document", () => {
  test("@timestamp is injected into the raw text, the rest kept byte for byte", async () => {
    const text = '{"eventVersion":"1.10","eventTime":"2013-12-07T05:03:12Z","eventID":"a","n":1.10,"big":12345678901234567890}';
    const a = await action(text);
    assert.equal(a.source, `{"@timestamp":"2013-12-07T05:03:12Z",${text.slice(1)}`);
    assert.equal(a.source.includes('"n":1.10'), true);
    assert.equal(a.source.includes('"big":12345678901234567890'), true);
    assert.deepEqual(JSON.parse(a.source), { "@timestamp": "2013-12-07T05:03:12Z", ...JSON.parse(text) });
  });

  test("the source parses to the record plus @timestamp, also with leading whitespace", async () => {
    const text = '  \n{ "eventTime" : "2013-12-07T05:03:12Z", "x": [1, {"y": "}"}] }';
    const a = await action(text);
    assert.deepEqual(JSON.parse(a.source), { "@timestamp": "2013-12-07T05:03:12Z", eventTime: "2013-12-07T05:03:12Z", x: [1, { y: "}" }] });
  });

  test("an empty object still gets @timestamp (and is only placeable with an eventTime, so it is a RecordError)", async () => {
    await assert.rejects(action("{}"), RecordError);
    await assert.rejects(action("{ }"), RecordError);
  });

  test("a record whose own @timestamp is a valid date still gets @timestamp = eventTime; the original is kept aside", async () => {
    const doc = await sourceOf('{"eventTime":"2013-12-07T05:03:12Z","eventID":"a","@timestamp":"2020-01-01T00:00:00Z"}');
    assert.equal(doc["@timestamp"], "2013-12-07T05:03:12Z");
    const kept = doc.trailpost as { unindexed: Record<string, unknown>; unindexedPaths: string[] };
    assert.equal(kept.unindexed["@timestamp"], "2020-01-01T00:00:00Z");
    assert.equal(kept.unindexedPaths.includes("@timestamp"), true);
  });

  test("a record whose own @timestamp is not a date still gets @timestamp = eventTime; the original is kept aside", async () => {
    const doc = await sourceOf('{"eventTime":"2013-12-07T05:03:12Z","eventID":"a","@timestamp":"garbage"}');
    assert.equal(doc["@timestamp"], "2013-12-07T05:03:12Z");
    const kept = doc.trailpost as { unindexed: Record<string, unknown>; unindexedPaths: string[] };
    assert.equal(kept.unindexed["@timestamp"], "garbage");
  });

  test("a record that already has a trailpost member keeps it aside, not as the bookkeeping", async () => {
    const doc = await sourceOf('{"eventTime":"2013-12-07T05:03:12Z","eventID":"a","trailpost":{"unindexedPaths":"forged"}}');
    const kept = doc.trailpost as { unindexed: Record<string, unknown>; unindexedPaths: string[] };
    assert.deepEqual(kept.unindexed.trailpost, { unindexedPaths: "forged" });
    assert.deepEqual(kept.unindexedPaths, ["trailpost"]);
  });
});

describe("toAction: misfits move to trailpost.unindexed", () => {
  const base = { eventVersion: "1.08", eventTime: "2013-12-07T05:03:12Z", eventID: "e1", eventName: "PutObject", awsRegion: "us-east-1", userIdentity: { type: "IAMUser", arn: "arn:aws:iam::111122223333:user/a" } };

  async function moved(extra: Record<string, unknown>, path: string) {
    const record = { ...base, ...extra };
    const a = await toAction(JSON.stringify(record), record, PREFIX);
    const doc = JSON.parse(a.source) as Record<string, unknown>;
    const kept = doc.trailpost as { unindexed: Record<string, unknown>; unindexedPaths: string[] };
    assert.deepEqual(a.unindexed, [path]);
    assert.deepEqual(kept.unindexedPaths, [path]);
    return { record, doc, kept };
  }

  test("requestParameters as a string", async () => {
    const { doc, kept } = await moved({ requestParameters: "a string, not an object" }, "requestParameters");
    assert.equal(kept.unindexed.requestParameters, "a string, not an object");
    assert.equal(Object.hasOwn(doc, "requestParameters"), false);
    const { trailpost: _, ...rest } = doc;
    assert.deepEqual(rest, { "@timestamp": base.eventTime, ...base });
  });

  test("a flat leaf over 32000 UTF-8 bytes (multi-byte characters counted as bytes) moves alone; its siblings stay searchable", async () => {
    const policy = "é".repeat(16_500); // 16,500 characters, 33,000 bytes
    const { doc, kept } = await moved({ requestParameters: { bucketName: "b", policy } }, "requestParameters.policy");
    assert.equal(kept.unindexed["requestParameters.policy"], policy);
    assert.deepEqual(doc.requestParameters, { bucketName: "b" });
    assert.equal(doc.eventName, "PutObject");
  });

  test("a long ASCII flat leaf within the limit stays", async () => {
    const record = { ...base, requestParameters: { policy: "x".repeat(20_000) } };
    const a = await toAction(JSON.stringify(record), record, PREFIX);
    assert.deepEqual(a.unindexed, []);
    assert.deepEqual((JSON.parse(a.source) as Record<string, unknown>).requestParameters, record.requestParameters);
  });

  test("a keyword field holding an object (errorCode: {})", async () => {
    const { kept, doc } = await moved({ errorCode: {} }, "errorCode");
    assert.deepEqual(kept.unindexed.errorCode, {});
    assert.equal(Object.hasOwn(doc, "errorCode"), false);
  });

  test("readOnly: \"maybe\"", async () => {
    const { kept, doc } = await moved({ readOnly: "maybe" }, "readOnly");
    assert.equal(kept.unindexed.readOnly, "maybe");
    assert.equal(Object.hasOwn(doc, "readOnly"), false);
  });

  test("readOnly as true, \"true\" and false stays", async () => {
    for (const readOnly of [true, "true", false, "false"]) {
      const record = { ...base, readOnly };
      assert.deepEqual((await toAction(JSON.stringify(record), record, PREFIX)).unindexed, []);
    }
  });

  test("resources with a scalar element", async () => {
    const resources = [{ ARN: "arn:aws:s3:::b", type: "AWS::S3::Bucket" }, "arn:aws:s3:::c"];
    const { kept, doc } = await moved({ resources }, "resources");
    assert.deepEqual(kept.unindexed.resources, resources);
    assert.equal(Object.hasOwn(doc, "resources"), false);
  });

  test("nested depth over 100 in a flat field: the part below depth 100 moves", async () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 150; i++) deep = { a: deep };
    const path = ["responseElements", ...Array(100).fill("a")].join(".");
    const { kept, doc } = await moved({ responseElements: deep }, path);
    let below: unknown = deep;
    for (let i = 0; i < 100; i++) below = (below as { a: unknown }).a;
    assert.deepEqual(kept.unindexed[path], below);
    let depth = 0;
    for (let node = doc.responseElements as Record<string, unknown>; node && typeof node === "object" && "a" in node; node = node.a as Record<string, unknown>) depth++;
    assert.equal(depth, 99);
  });

  test("moderate nesting in a flat field stays", async () => {
    let deep: unknown = "leaf";
    for (let i = 0; i < 20; i++) deep = { a: deep };
    const record = { ...base, responseElements: deep };
    assert.deepEqual((await toAction(JSON.stringify(record), record, PREFIX)).unindexed, []);
  });

  test("a nested keyword misfit moves only that leaf; its siblings stay", async () => {
    const record = { ...base, userIdentity: { type: "IAMUser", arn: { not: "a string" }, accountId: "111122223333" } };
    const a = await toAction(JSON.stringify(record), record, PREFIX);
    assert.deepEqual(a.unindexed, ["userIdentity.arn"]);
    const doc = JSON.parse(a.source) as { userIdentity: Record<string, unknown>; trailpost: { unindexed: Record<string, unknown> } };
    assert.deepEqual(doc.userIdentity, { type: "IAMUser", accountId: "111122223333" });
    assert.deepEqual(doc.trailpost.unindexed["userIdentity.arn"], { not: "a string" });
    // the value handed in is not modified
    assert.deepEqual(record.userIdentity.arn, { not: "a string" });
  });

  test("several misfits at once, the rest of the record unchanged", async () => {
    const record = { ...base, requestParameters: "s", readOnly: "maybe", errorCode: [1, { x: 1 }], sourceIPAddress: "ec2.amazonaws.com", unknownField: { anything: [1] } };
    const a = await toAction(JSON.stringify(record), record, PREFIX);
    assert.deepEqual([...a.unindexed].sort(), ["errorCode", "readOnly", "requestParameters"]);
    const doc = JSON.parse(a.source) as Record<string, unknown>;
    const { trailpost: _, ...rest } = doc;
    assert.deepEqual(rest, { "@timestamp": base.eventTime, ...base, sourceIPAddress: "ec2.amazonaws.com", unknownField: { anything: [1] } });
  });
});


describe("utf8Length", () => {
  test("agrees with TextEncoder on ASCII, 2-, 3- and 4-byte characters", () => {
    for (const text of ["", "abc", "é", "ü€", "日本語", "😀", "a😀b🎉c", "\u007f\u0080\u07ff\u0800\uffff", '{"s":"é😀"}']) {
      assert.equal(utf8Length(text), new TextEncoder().encode(text).length, JSON.stringify(text));
    }
  });
});

describe("toAction: nesting", () => {
  test("a record nested deeper than the engines take is a RecordError naming the depth, never a stack overflow", async () => {
    for (const [n, where] of [[901, "foo"], [4000, "foo"], [20_000, "requestParameters"], [20_000, "foo"]] as const) {
      for (const id of [`,"eventID":"deep"`, ""]) {
        const text = `{"eventTime":"2013-12-07T05:03:12Z"${id},"${where}":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`;
        await assert.rejects(toAction(text, JSON.parse(text), PREFIX), (e: unknown) => e instanceof RecordError && new RegExp(`nested ${n + 1} levels deep: more than 900`).test((e as Error).message), `${n} in ${where}${id}`);
      }
    }
  });

  test("up to 900 levels land: unmapped as they are, inside a flat field the part below depth 100 moved", async () => {
    const text = `{"eventTime":"2013-12-07T05:03:12Z","eventID":"d","foo":${'{"a":'.repeat(899)}1${"}".repeat(899)},"requestParameters":${'{"a":'.repeat(899)}1${"}".repeat(899)}}`;
    const a = await toAction(text, JSON.parse(text), PREFIX);
    assert.equal(a.unindexed.length, 1);
    assert.match(a.unindexed[0]!, /^requestParameters(\.a){100}$/);
  });
});

/** parseEventTime as it was before its fast path for `YYYY-MM-DDTHH:MM:SSZ`: the reference the fast path must match. */
function generalEventTime(text: string): { iso: string; day: string } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(text);
  if (!m) return undefined;
  const offset = m[8] && m[8] !== "Z" ? m[8].replace(/^([+-]\d{2})(\d{2})$/, "$1:$2") : "Z";
  const normalized = `${m[1]}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6] ?? "00"}${m[7] ? m[7].slice(0, 4) : ""}${offset}`;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || Number(m[4]) > 23 || Number(m[5]) > 59 || Number(m[6] ?? 0) > 59) return undefined;
  if (offset !== "Z" && (Number(offset.slice(1, 3)) > 18 || Number(offset.slice(4, 6)) > 59)) return undefined;
  const ms = Date.parse(normalized);
  if (Number.isNaN(ms)) return undefined;
  const date = new Date(ms);
  const utcYear = date.getUTCFullYear();
  if (utcYear < 1 || utcYear > 9999) return undefined;
  return { iso: offset === "Z" ? text : date.toISOString(), day: date.toISOString().slice(0, 10) };
}

describe("parseEventTime: the fast path for CloudTrail's own form", () => {
  test("accepts and refuses exactly what the general path does (seeded, edges weighted)", () => {
    const rng = new Rng(20261201);
    const two = (max: number) => String(rng.chance(0.3) ? rng.pick([0, 1, max - 1, max, max + 1, 99]) : rng.int(max + 2)).padStart(2, "0");
    const year = () => String(rng.chance(0.4) ? rng.pick([0, 1, 4, 99, 100, 400, 1900, 2000, 2023, 2024, 2100, 9999]) : rng.int(10000)).padStart(4, "0");
    const noise = "0123456789-T:Z+ .\u0660x";
    let accepted = 0;
    for (let i = 0; i < 200_000; i++) {
      let text = `${year()}-${two(12)}-${two(31)}T${two(23)}:${two(59)}:${two(59)}Z`;
      if (rng.chance(0.1)) {
        const at = rng.int(text.length);
        text = text.slice(0, at) + rng.pick([...noise]) + text.slice(at + 1);
      }
      const expected = generalEventTime(text);
      if (expected) accepted++;
      assert.deepEqual(parseEventTime(text), expected, text);
    }
    assert.ok(accepted > 50_000 && accepted < 190_000, `${accepted} accepted: both sides of the rule are exercised`);
  });

  test("leap days, month ends and the year range", () => {
    for (const [text, ok] of [
      ["2024-02-29T00:00:00Z", true], ["2023-02-29T00:00:00Z", false], ["1900-02-29T00:00:00Z", false], ["2000-02-29T00:00:00Z", true],
      ["0004-02-29T12:00:00Z", true], ["0100-02-29T12:00:00Z", false], ["0000-01-01T00:00:00Z", false], ["9999-12-31T23:59:59Z", true],
      ["2024-04-31T00:00:00Z", false], ["2024-12-31T24:00:00Z", false], ["2024-12-31T23:60:00Z", false], ["2024-12-31T23:59:60Z", false],
      ["2024-1a-01T00:00:00Z", false], ["2024-01-01t00:00:00Z", false], ["2024-01-01T00:00:00z", false],
    ] as const) {
      assert.equal(parseEventTime(text) !== undefined, ok, text);
      assert.deepEqual(parseEventTime(text), generalEventTime(text), text);
    }
  });
});
