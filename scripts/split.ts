/**
 * Step 3 of the blog, `jq -c .Records[]`: prints each record of CloudTrail JSON files as one line (NDJSON), with
 * jq's semantics for a subset of its language (see lib/jq/mod.ts). Files that are not JSON, or have no `Records`
 * array, are errors naming the file; the others go on.
 *
 *   npx tsx scripts/split.ts work/2013-12-07/json > records.ndjson
 *   npx tsx scripts/split.ts --select '.Records[] | select(.eventName == "RunInstances")' work/2013-12-07/json
 */
import { readConfig, usage } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { gunzipBody } from "../lib/streams/gunzip.ts";
import { DEFAULT_PROGRAM, selectEach, type Selected } from "../lib/streams/select.ts";
import { main, plural, printFailures, programOf } from "./common.ts";
import { streamedFileObjects } from "./file-stream.ts";
import { LineWriter } from "./line-writer.ts";
import { args, env, listFiles, Output, stdin } from "./platform.ts";
import { zlibStream } from "./zlib-stream.ts";

const FLAGS = { select: { env: "", flag: "--select", help: `jq program (default ${DEFAULT_PROGRAM})` } };
const HELP = `usage: split.ts [--select PROGRAM] [FILE|DIR ...]

Prints one JSON record per line (the blog's \`jq -c .Records[]\`). With no FILE, reads stdin.
Supported jq: . .a .a.b ."a b" .["a"] .[] .a[] .[n] ? | , ( ) select() == != < <= > >= and or not
empty, and string, number, boolean and null literals. .json and .json.gz files are both read.`;

const CLOSED = new Error("stdout closed");
const encoder = new TextEncoder();

await main("split", async () => {
  const { help, extra, positionals } = readConfig([], args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, [], FLAGS)), 0;
  const program = programOf(extra.select);
  const ledger = new Ledger();
  const objects = positionals.length === 0 || (positionals.length === 1 && positionals[0] === "-")
    ? new ReadableStream({ start: (c) => (c.enqueue({ name: "stdin", body: stdin() }), c.close()) })
    : streamedFileObjects((await listFiles(positionals, (p) => /\.json(\.gz)?$/.test(p))).map((f) => f.path));
  const out = new Output();
  let records = 0;
  const unzipped = objects.pipeThrough(
    // two objects ahead: large ones are inflated on the thread pool while this one is split
    new TransformStream({ transform: (o, c) => c.enqueue({ name: o.name, body: gunzipBody({ ...o, transportDecoded: true }, zlibStream) }) }, undefined, { highWaterMark: 2 }),
  );
  const lines = new LineWriter(out);
  let full = false;
  const each = (record: Selected) => {
    if (lines.add(record.bytes ?? encoder.encode(record.text))) full = true;
    records++;
  };
  const between = async () => {
    if (full) (full = false), await lines.flush();
    if (out.closed) throw CLOSED; // `| head`: stop reading
  };
  await selectEach(unzipped, program, each, { ledger, between }).catch((error) => {
    if (error !== CLOSED) throw error;
  });
  await lines.flush();
  await out.flush();
  printFailures("split", ledger);
  console.error(`split: ${plural(ledger.objects.read, "file")}, ${plural(records, "line")} out; failed ${ledger.objects.failed}`);
  return ledger.objects.failed ? 1 : 0;
});

