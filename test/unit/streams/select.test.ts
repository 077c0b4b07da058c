import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseProgram } from "../../../lib/jq/mod.ts";
import { Ledger } from "../../../lib/ledger.ts";
import { iterate, ObjectError, wholeObject, type LogObject } from "../../../lib/streams/log-object.ts";
import { select, selectFromText, selectRuns, type Selected } from "../../../lib/streams/select.ts";
import { streamOf } from "../../support/streams.ts";
import { jqFile } from "../../support/jq-oracle.ts";
import { keySequences } from "../../support/json-keys.ts";
import { Rng } from "../../support/hostile-json.ts";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** `jq -c PROGRAM` on the text, through a file. */
function jqOn(program: string, text: string) {
  const dir = mkdtempSync(join(tmpdir(), "trailpost-select-"));
  try {
    writeFileSync(join(dir, "x.json"), text);
    return jqFile(program, join(dir, "x.json"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}



function run(program: string, text: string): { outputs: { text: string; value: unknown }[]; error?: unknown } {
  const outputs: { text: string; value: unknown }[] = [];
  try {
    selectFromText(text, parseProgram(program), (t, value) => outputs.push({ text: t, value }));
  } catch (error) {
    return { outputs, error };
  }
  return { outputs };
}

const R1 = '{"eventVersion":"1.10","eventName":"X","n":1.10,"big":12345678901234567890,"s":"]}"}';
const R2 = '{"eventName":"Y","small":9.82222E-5}';
const LOG = `{"Records":[${R1},\n  ${R2}]}`;

describe("selectFromText", () => {
  test(".Records[] hands on each record's raw text and its value", () => {
    const { outputs, error } = run(".Records[]", LOG);
    assert.equal(error, undefined);
    assert.deepEqual(outputs.map((o) => o.text), [R1, R2]);
    assert.deepEqual(outputs.map((o) => o.value), [JSON.parse(R1), JSON.parse(R2)]);
  });

  test(".Records[] | select(...) hands on the raw text of the records it keeps", () => {
    const { outputs, error } = run('.Records[] | select(.eventName == "X")', LOG);
    assert.equal(error, undefined);
    assert.deepEqual(outputs, [{ text: R1, value: JSON.parse(R1) }]);
  });

  test(".Records[] | select(...) with no match outputs nothing", () => {
    assert.deepEqual(run('.Records[] | select(.eventName == "nope")', LOG), { outputs: [] });
  });

  test(".Records[].eventName outputs jq-formatted JSON strings", () => {
    const { outputs, error } = run(".Records[].eventName", '{"Records":[{"eventName":"A\\u00e9\\"q"},{"eventName":"B"},{"other":1}]}');
    assert.equal(error, undefined);
    assert.deepEqual(outputs.map((o) => o.text), ['"Aé\\"q"', '"B"', "null"]);
    assert.deepEqual(outputs.map((o) => o.value), ['Aé"q', "B", null]);
  });

  test("a derived value is printed by jq's rules, not as delivered", () => {
    const { outputs } = run(".Records[] | .n", LOG);
    assert.deepEqual(outputs.map((o) => o.text), ["1.1", "null"]);
  });

  test("several top-level values (the general path): each file's records in order", () => {
    const { outputs, error } = run(".Records[]", '{"Records":[{"a":1}]}\n{"Records":[{"b":2},{"c":3}]}');
    assert.equal(error, undefined);
    assert.deepEqual(outputs.map((o) => o.value), [{ a: 1 }, { b: 2 }, { c: 3 }]);
    assert.deepEqual(outputs.map((o) => o.text), ['{"a":1}', '{"b":2}', '{"c":3}']);
  });

  test("other programs take the general path: . outputs the whole file compactly", () => {
    const { outputs } = run(".", '{ "Records" : [ {"a" : 1} ] }');
    assert.deepEqual(outputs.map((o) => o.text), ['{"Records":[{"a":1}]}']);
  });

  test("text that is not JSON is a SyntaxError", () => {
    for (const text of ["nope", '{"Records":[{"a":1},]}', '{"Records":[{"a":1}', "\u001f\u008b\u0008"]) {
      const { outputs, error } = run(".Records[]", text);
      assert.ok(error instanceof SyntaxError, `${JSON.stringify(text)}: ${String(error)}`);
      assert.deepEqual(outputs, []);
    }
  });

  test("empty text is a SyntaxError too", () => {
    const { error } = run(".Records[]", "");
    assert.ok(error instanceof SyntaxError, `expected SyntaxError, got ${String(error)}`);
  });

  test("a digest-like object: Cannot iterate over null", () => {
    const { outputs, error } = run(".Records[]", '{"awsAccountId":"111122223333","digestStartTime":"2013-12-07T05:00:00Z","logFiles":[]}');
    assert.deepEqual(outputs, []);
    assert.ok(error instanceof Error, `expected Error, got ${String(error)}`);
    assert.match(error.message, /^Cannot iterate over null/);
  });

  test("a runtime error stops its value only: the next values still run, as in jq", () => {
    const text = '{"Records":[{"a":1},{"b":2}]}\n{"NoRecords":true}\n{"Records":[{"c":3}]}';
    const { outputs, error } = run(".Records[]", text);
    assert.deepEqual(outputs.map((o) => o.value), [{ a: 1 }, { b: 2 }, { c: 3 }]);
    assert.match((error as Error).message, /Cannot iterate over null/);
    const jq = jqOn(".Records[]", text);
    assert.deepEqual(outputs.map((o) => o.text), jq.lines);
    assert.match(jq.stderr, /Cannot iterate over null/);
  });

  test("a runtime error part way through the records of one file, after the good ones", () => {
    const { outputs, error } = run(".Records[] | .a", '{"Records":[{"a":1},2,{"a":3}]}');
    assert.deepEqual(outputs.map((o) => o.text), ["1"]);
    assert.match((error as Error).message, /Cannot index number with string "a"/);
  });

  test("invalid JSON in a shadowed duplicate Records member is still invalid JSON (jq refuses the file)", () => {
    const { outputs, error } = run(".Records[]", '{"Records":[{"a":1},nope],"Records":[{"b":2}]}');
    assert.ok(error instanceof SyntaxError, `expected a SyntaxError, got outputs ${JSON.stringify(outputs)}`);
    assert.deepEqual(outputs, []);
  });
});

function objectOf(name: string, text: string): LogObject {
  return { name, body: new Blob([text]).stream() };
}

async function collect(objects: LogObject[], program?: string, ledger?: Ledger, holdBytes?: number): Promise<Selected[]> {
  const out: Selected[] = [];
  for await (const s of iterate(streamOf(objects).pipeThrough(select(program, { ledger, holdBytes })))) out.push(s);
  return out;
}

describe("select() TransformStream", () => {
  test("good objects flow; bad ones are recorded in the ledger with a reason; positions are 1-based per object", async () => {
    const ledger = new Ledger();
    const selected = await collect(
      [
        objectOf("s3://b/one.json.gz", `{"Records":[${R1},${R2}]}`),
        objectOf("s3://b/digest.json.gz", '{"awsAccountId":"111122223333","logFiles":[]}'),
        objectOf("s3://b/broken.json.gz", '{"Records":[{"a":1}'),
        objectOf("s3://b/two.json.gz", '{"Records":[{"c":3},{"d":4},{"e":5}]}'),
        objectOf("s3://b/empty.json.gz", '{"Records":[]}'),
      ],
      undefined,
      ledger,
    );
    assert.deepEqual(
      selected.map((s) => [s.object, s.position, s.text]),
      [
        ["s3://b/one.json.gz", 1, R1],
        ["s3://b/one.json.gz", 2, R2],
        ["s3://b/two.json.gz", 1, '{"c":3}'],
        ["s3://b/two.json.gz", 2, '{"d":4}'],
        ["s3://b/two.json.gz", 3, '{"e":5}'],
      ],
    );
    assert.deepEqual(selected[2]!.value, { c: 3 });
    assert.equal(ledger.objects.read, 5);
    assert.equal(ledger.objects.failed, 2);
    assert.equal(ledger.failures.length, 2);
    const [digest, broken] = ledger.failures;
    assert.equal(digest!.subject, "s3://b/digest.json.gz");
    assert.match(digest!.reason, /no "Records" array/);
    assert.match(digest!.reason, /Cannot iterate over null/);
    assert.equal(broken!.subject, "s3://b/broken.json.gz");
    assert.match(broken!.reason, /^not valid JSON/);
    assert.equal(ledger.bytes.read > 0, true);
  });

  test("an object that fails to read is recorded with the read error's reason", async () => {
    const ledger = new Ledger();
    const failing: LogObject = {
      name: "s3://b/gone.json.gz",
      body: new ReadableStream({
        pull(c) {
          c.error(new ObjectError("s3://b/gone.json.gz", "corrupt or truncated gzip (unexpected end of file)"));
        },
      }),
    };
    const selected = await collect([failing, objectOf("s3://b/ok.json.gz", '{"Records":[{"a":1}]}')], undefined, ledger);
    assert.deepEqual(selected.map((s) => s.text), ['{"a":1}']);
    assert.deepEqual(ledger.failures, [{ subject: "s3://b/gone.json.gz", reason: "corrupt or truncated gzip (unexpected end of file)" }]);
    assert.equal(ledger.objects.failed, 1);
    assert.equal(ledger.objects.read, 1);
  });

  test("outputs before a runtime error still flow, then the object is recorded as failed", async () => {
    const ledger = new Ledger();
    const selected = await collect([objectOf("multi.json", '{"Records":[{"a":1}]} {"x":1}')], undefined, ledger);
    assert.deepEqual(selected.map((s) => [s.position, s.text]), [[1, '{"a":1}']]);
    assert.equal(ledger.objects.failed, 1);
    assert.match(ledger.failures[0]!.reason, /no "Records" array/);
  });

  test("another program: failures are jq errors, not 'no Records'", async () => {
    const ledger = new Ledger();
    const selected = await collect([objectOf("x.json", '{"Records":[{"eventName":"A"},3]}')], ".Records[] | .eventName", ledger);
    assert.deepEqual(selected.map((s) => s.text), ['"A"']);
    assert.match(ledger.failures[0]!.reason, /^jq: error: Cannot index number with string "eventName"/);
  });

  test("without a ledger a bad object errors the stream with an ObjectError naming it", async () => {
    await assert.rejects(collect([objectOf("s3://b/bad.json", "not json")]), (e: unknown) => {
      assert.ok(e instanceof ObjectError, `expected ObjectError, got ${String(e)}`);
      assert.equal(e.object, "s3://b/bad.json");
      assert.match(e.reason, /not valid JSON/);
      return true;
    });
  });
});

describe("jq's semantics on the edges of a log file", () => {
  const cases: [string, string][] = [
    ["a value that is not JSON outputs nothing, even after its good records", '{"Records":[{"a":1},{"b":2},{"c":3}],"x":nope}'],
    ["an earlier value's outputs still go out before the broken one", '{"Records":[{"a":1}]} {"Records":[{"b":2},]}'],
    ["duplicate Records: only the last one's records", '{"Records":[{"first":1}],"x":0,"Records":[{"last":2},{"last":3}]}'],
    ["a runtime error in a shadowed Records does not count", '{"Records":[1,{"a":1}],"Records":[{"a":2}]}'],
    ["Records that is an object: its values", '{"Records":{"k1":{"a":1},"0":{"b":2}}}'],
    ["Records that is a string", '{"Records":"[1]"}'],
    ["Records that is null, then an array", '{"Records":null,"Records":[{"a":1}]}'],
    ["an array, then null", '{"Records":[{"a":1}],"Records":null}'],
    ["no Records at all", '{"records":[{"a":1}]}'],
    ["a top-level array", '[{"Records":[1]}]'],
    ["scalars", '1 "x" null true'],
    ["integer-like keys keep the document's order", '{"Records":[{"b":1,"10":2,"2":3,"a":{"1":[],"0":{"3":1,"2":2}}}]}'],
  ];
  for (const program of [".Records[]", ".Records[] | .a", ".Records[] | select(.a != 1)", ".Records[] | .[]?", "."]) {
    test(`${program}: outputs and errors equal jq's on ${cases.length} files`, () => {
      for (const [what, text] of cases) {
        const ours = run(program, text);
        const jq = jqOn(program, text);
        assert.deepEqual(ours.outputs.map((o) => JSON.stringify(o.value)), jq.lines.map((l) => JSON.stringify(JSON.parse(l))), `${what}: values`);
        assert.deepEqual(ours.outputs.map((o) => keysOf(o.text)), jq.lines.map(keysOf), `${what}: key order`);
        assert.equal(ours.error !== undefined, jq.status !== 0, `${what}: fails as jq does (ours: ${String(ours.error)}, jq: ${jq.stderr.trim()})`);
        if (jq.stderr.includes("parse error")) assert.ok(ours.error instanceof SyntaxError, `${what}: a syntax error`);
        else if (ours.error) assert.ok(jq.stderr.includes((ours.error as Error).message), `${what}: jq says ${jq.stderr.trim()}, we say ${(ours.error as Error).message}`);
      }
    });
  }
});

describe("select(): streaming", () => {
  /** A body that never ends: `{"Records":[` and then records forever, counting the chunks pulled. */
  function endless(): { object: LogObject; pulled: () => number; cancelled: () => boolean } {
    let n = 0;
    let cancelled = false;
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>(
      {
        pull(c) {
          const records = Array.from({ length: 100 }, (_, i) => `{"eventID":"${n * 100 + i}","eventTime":"2024-03-04T00:00:00Z"},`).join("");
          c.enqueue(encoder.encode((n++ === 0 ? '{"Records":[' : "") + records));
        },
        cancel() {
          cancelled = true;
        },
      },
      { highWaterMark: 0 },
    );
    return { object: { name: "s3://b/endless.json.gz", body }, pulled: () => n, cancelled: () => cancelled };
  }

  test("records flow while the object is still arriving; reading stays just ahead of the consumer", async () => {
    const source = endless();
    const reader = streamOf([source.object]).pipeThrough(select(".Records[]", { holdBytes: 0 })).getReader();
    for (let i = 0; i < 5000; i++) {
      const { value } = await reader.read();
      assert.equal(JSON.parse(value!.text).eventID, String(i));
    }
    assert.ok(source.pulled() <= 50 + 5, `${source.pulled()} chunks of 100 records read for 5,000 records consumed`);
    await reader.cancel();
    assert.ok(source.cancelled(), "cancelling the records cancels the object's body");
  });

  test("past holdBytes outputs stream, and an error later in the value fails the object after them", async () => {
    const ledger = new Ledger();
    const text = `{"Records":[${Array.from({ length: 50 }, (_, i) => `{"i":${i}}`).join(",")}],"x":nope}`;
    const selected = await collect([objectOf("s3://b/late.json.gz", text), objectOf("s3://b/ok.json.gz", '{"Records":[{"ok":1}]}')], undefined, ledger, 100);
    assert.equal(selected.length, 50 + 1, "the broken object's 50 records went out before the error, then the next object's");
    assert.deepEqual(selected.at(-1)!.text, '{"ok":1}');
    assert.equal(ledger.failures[0]!.subject, "s3://b/late.json.gz");
    assert.match(ledger.failures[0]!.reason, /^not valid JSON \(Invalid literal at line 1, column \d+\)$/);
  });

  test("duplicate Records past holdBytes: the object fails, saying jq would keep only the last", async () => {
    const ledger = new Ledger();
    const first = Array.from({ length: 50 }, (_, i) => `{"i":${i}}`).join(",");
    await collect([objectOf("dup.json", `{"Records":[${first}],"Records":[{"last":1}]}`)], undefined, ledger, 100);
    assert.match(ledger.failures[0]!.reason, /second "Records" member, after 50 outputs .* jq would output only the last one's/);
  });

  test("a record's value is parsed when first read, as JSON.parse or in document key order", async () => {
    const [a, b] = await collect([objectOf("x.json", '{"Records":[{"b":1,"a":[1.50,{"c":null}]},{"1":"x","0":"y","1":"z"}]}')]);
    assert.deepEqual(a!.value, { b: 1, a: [1.5, { c: null }] });
    assert.equal(a!.value, a!.value, "parsed once");
    assert.equal(b!.text, '{"1":"z","0":"y"}');
    assert.deepEqual(Object.keys(b!.value as object).sort(), ["0", "1"]);
  });

  test("objects are counted as read and their characters in bytes.read", async () => {
    const ledger = new Ledger();
    await collect([objectOf("a.json", '{"Records":[{"a":1}]}'), objectOf("b.json", '{"Records":[]}')], undefined, ledger);
    assert.equal(ledger.objects.read, 2);
    assert.equal(ledger.bytes.read, 21 + 14);
  });
});

function keysOf(text: string): string[][] {
  return keySequences(text);
}

describe("selectRuns()", () => {
  /** An object whose body arrives in chunks of random sizes. */
  function chunked(name: string, text: string, rng: Rng): LogObject {
    const bytes = new TextEncoder().encode(text);
    const chunks: Uint8Array[] = [];
    for (let at = 0; at < bytes.length; ) {
      const size = 1 + rng.int(rng.chance(0.3) ? 20 : 400);
      chunks.push(bytes.slice(at, at + size));
      at += size;
    }
    return { name, body: streamOf(chunks) };
  }

  test("the same outputs, positions and ledger as select(), in runs of one chunk's outputs, none empty", async () => {
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const rng = new Rng(seed);
      const texts = Array.from({ length: 12 }, (_, o) => {
        const roll = rng.int(8);
        if (roll === 0) return '{"Records":[{"a":1},nope]}';
        if (roll === 1) return '{"logFiles":[]}';
        if (roll === 2) return "";
        return `{"Records":[${Array.from({ length: rng.int(60) }, (_, i) => `{"eventID":"${o}-${i}","pad":"${"x".repeat(rng.int(200))}"}`).join(",")}]}`;
      });
      const objects = (r: Rng) => texts.map((t, o) => chunked(`s3://b/${o}.json.gz`, t, r));
      for (const program of [".Records[]", '.Records[] | select(.pad | length > 50)']) {
        const ledgerOne = new Ledger();
        const one: Selected[] = [];
        for await (const x of iterate(streamOf(objects(new Rng(seed))).pipeThrough(select(program, { ledger: ledgerOne, holdBytes: 100 })))) one.push(x);
        const ledgerRuns = new Ledger();
        const runs: Selected[][] = [];
        for await (const run of iterate(streamOf(objects(new Rng(seed))).pipeThrough(selectRuns(program, { ledger: ledgerRuns, holdBytes: 100 })))) runs.push(run);
        assert.ok(runs.every((run) => Array.isArray(run) && run.length > 0), `seed ${seed}: every run holds outputs`);
        assert.ok(runs.length < one.length, `seed ${seed}: fewer runs (${runs.length}) than outputs (${one.length})`);
        const rows = (xs: Selected[]) => xs.map((x) => [x.object, x.position, x.text]);
        assert.deepEqual(rows(runs.flat()), rows(one), `seed ${seed} ${program}`);
        assert.deepEqual(ledgerRuns.failures, ledgerOne.failures, `seed ${seed}`);
        assert.deepEqual([ledgerRuns.objects, ledgerRuns.bytes], [ledgerOne.objects, ledgerOne.bytes], `seed ${seed}`);
      }
    }
  });

  test("an object whose body is in memory goes through in steps: no run holds more than 256 KB of input's records", async () => {
    // 2 MB of the smallest records there are: before, one step emitted all 700,000 at once
    const count = 700_000;
    const text = `{"Records":[${Array.from({ length: count }, () => "{}").join(",")}]}`;
    let largest = 0;
    let total = 0;
    for await (const run of iterate(streamOf([wholeObject("s3://b/tiny.json.gz", new TextEncoder().encode(text))]).pipeThrough(selectRuns(".Records[]", { ledger: new Ledger() })))) {
      largest = Math.max(largest, run.length);
      total += run.length;
    }
    assert.equal(total, count);
    assert.ok(largest <= (1 << 18) / 3 + 1, `a run of ${largest} records`);
  });
});
