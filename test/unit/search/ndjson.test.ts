import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Ledger } from "../../../lib/ledger.ts";
import { deadLetterLine, type DeadLetter, type Indexable } from "../../../lib/search/bulk.ts";
import { deadLetterRecord, ndjsonRecords } from "../../../lib/search/ndjson.ts";
import { lines } from "../../../lib/streams/lines.ts";
import { Rng } from "../../support/hostile-json.ts";

const bytes = (text: string) => new Blob([text]).stream() as ReadableStream<Uint8Array>;

async function read(files: Record<string, string>) {
  const ledger = new Ledger();
  const deadLetters: DeadLetter[] = [];
  const out: Indexable[] = [];
  const sources = Object.entries(files).map(([name, text]) => ({ name, open: () => bytes(text) }));
  for await (const run of ndjsonRecords(sources, ledger, (d) => void deadLetters.push(d)) as unknown as AsyncIterable<Indexable[]>) out.push(...run);
  return { out, ledger, deadLetters };
}

describe("ndjsonRecords", () => {
  test("each non-empty line is a record; its object is the file, its position the line", async () => {
    const { out } = await read({ "a.ndjson": '{"x":1}\n\n  {"x":2}  \r\n', "b.ndjson": '{"x":3}' });
    assert.deepEqual(out.map((r) => [r.text, r.object, r.position]), [['{"x":1}', "a.ndjson", 1], ['{"x":2}', "a.ndjson", 3], ['{"x":3}', "b.ndjson", 1]]);
  });

  test("records come in runs: at most 256 lines of one chunk each, in order, nothing left out", async () => {
    const text = Array.from({ length: 1000 }, (_, i) => `{"i":${i}}`).join("\n");
    const runs: Indexable[][] = [];
    // one chunk of 1,000 lines, then the same cut in two files
    for await (const run of ndjsonRecords([{ name: "one", open: () => bytes(text) }, { name: "two", open: () => bytes("{\"i\":0}\n{\"i\":1}") }], new Ledger(), () => {}) as unknown as AsyncIterable<Indexable[]>) runs.push(run);
    assert.ok(runs.every((run) => Array.isArray(run) && run.length > 0 && run.length <= 256), `run sizes ${runs.map((r) => r.length)}`);
    assert.deepEqual(runs.flat().map((r) => `${r.object}:${r.position}:${(r.value as { i: number }).i}`), [...Array.from({ length: 1000 }, (_, i) => `one:${i + 1}:${i}`), "two:1:0", "two:2:1"]);
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

  test("lines are cut as lib/streams/lines.ts cuts them, whatever the chunks (seeded: CRLF, blank lines, multi-byte characters split)", async () => {
    const rng = new Rng(4242);
    const pieces = ['{"a":"é日😀"}', '  {"b":[1,2]}  ', "", "\r", "not json", '{"c":"\\r"}', " ", '{"d":{}}'];
    for (let round = 0; round < 200; round++) {
      let text = "";
      for (let i = rng.int(12); i > 0; i--) text += rng.pick(pieces) + rng.pick(["\n", "\r\n", "\n\n", "\r"]);
      if (rng.chance(0.5)) text += rng.pick(pieces);
      // a tenth of the rounds: a text of 150 KB in chunks of up to 200 KB, which ndjson decodes 64 KiB
      // at a time (so characters and CRLFs are cut there too)
      const big = round % 10 === 9;
      if (big) while (text.length < 150_000) text += rng.pick(pieces) + rng.pick(["\n", "\r\n", "\n\n", "\r"]);
      const bytes = new TextEncoder().encode(text);
      const chunked = () => {
        const chunks: Uint8Array[] = [];
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + (big ? rng.int(200_000) : rng.int(rng.chance(0.5) ? 3 : 40));
          chunks.push(bytes.slice(at, at + size));
          at += size;
        }
        return new ReadableStream<Uint8Array>({ start(c) { for (const chunk of chunks) c.enqueue(chunk); c.close(); } });
      };
      const got: [string, number][] = [];
      const dead: string[] = [];
      for await (const run of ndjsonRecords([{ name: "f", open: chunked }], new Ledger(), (d) => void dead.push(`${d.reason.split(": ")[0]} ${d.record.text}`)) as unknown as AsyncIterable<Indexable[]>) for (const r of run) got.push([r.text, r.position]);
      // the reference: lines() over the same text, each non-empty trimmed line a record or a dead letter
      const expected: [string, number][] = [];
      const expectedDead: string[] = [];
      let n = 0;
      for await (const line of chunked().pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>).pipeThrough(lines()) as unknown as AsyncIterable<string>) {
        n++;
        const t = line.trim();
        if (!t) continue;
        try {
          JSON.parse(t);
          expected.push([t, n]);
        } catch {
          expectedDead.push(`f:${n} ${JSON.stringify(line)}`);
        }
      }
      assert.deepEqual(got, expected, JSON.stringify(text.slice(0, 2000)));
      assert.deepEqual(dead, expectedDead, JSON.stringify(text.slice(0, 2000)));
    }
  });
});

