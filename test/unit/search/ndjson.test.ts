import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "../../../lib/ledger.ts";
import { deadLetterLine, type DeadLetter, type Indexable } from "../../../lib/search/bulk.ts";
import { deadLetterRecord, ndjsonRecords } from "../../../lib/search/ndjson.ts";

const bytes = (text: string) => new Blob([text]).stream() as ReadableStream<Uint8Array>;

async function read(files: Record<string, string>) {
  const ledger = new Ledger();
  const deadLetters: DeadLetter[] = [];
  const out: Indexable[] = [];
  const sources = Object.entries(files).map(([name, text]) => ({ name, open: () => bytes(text) }));
  for await (const r of ndjsonRecords(sources, ledger, (d) => void deadLetters.push(d)) as unknown as AsyncIterable<Indexable>) out.push(r);
  return { out, ledger, deadLetters };
}

describe("ndjsonRecords", () => {
  test("each non-empty line is a record; its object is the file, its position the line", async () => {
    const { out } = await read({ "a.ndjson": '{"x":1}\n\n  {"x":2}  \r\n', "b.ndjson": '{"x":3}' });
    assert.deepEqual(out.map((r) => [r.text, r.object, r.position]), [['{"x":1}', "a.ndjson", 1], ['{"x":2}', "a.ndjson", 3], ['{"x":3}', "b.ndjson", 1]]);
  });

  test("a line that is not JSON is read, dead-lettered with file and line, and the rest goes on", async () => {
    const { out, ledger, deadLetters } = await read({ "a.ndjson": '{"x":1}\nnot json\n{"x":2}\n' });
    assert.equal(out.length, 2);
    assert.equal(ledger.records.read, 1);
    assert.equal(ledger.records.deadLettered, 1);
    assert.match(deadLetters[0]!.reason, /^a\.ndjson:2: not JSON/);
    assert.equal(deadLetters[0]!.record.text, '"not json"');
  });

  test("a dead-letter line gives back its record as delivered, with its object, position and id", async () => {
    const record = '{"eventTime":"2013-12-07T05:03:12Z","n":12345678901234567891,"s":"\\"record\\":{}"}';
    const line = deadLetterLine({ record: { text: record, object: "s3://b/k.json.gz", position: 7 }, index: "cloudtrail-2013.12.07", id: "abc-2", status: 429, reason: 'tricky "record":{"x":1} reason}' });
    const { out } = await read({ "dl.ndjson": line + "\n" });
    assert.equal(out.length, 1);
    assert.equal(out[0]!.text, record);
    assert.equal(out[0]!.object, "s3://b/k.json.gz");
    assert.equal(out[0]!.position, 7);
    assert.equal(out[0]!.id, "abc-2");
  });

  test("lines that only look like dead letters are records", () => {
    for (const text of ['{"deadLetter":1,"record":{}}', '{"record":{},"deadLetter":{}}', '{"deadLetter":{},"record":{},"x":1}']) {
      assert.equal(deadLetterRecord(text, JSON.parse(text)), undefined, text);
    }
  });
});
