/**
 * Step 3 of the blog, `jq -c .Records[]`: prints each record of CloudTrail JSON files as one line (NDJSON), or each
 * output of a `--select` program (projections too), with jq's semantics for a subset of its language (see
 * lib/jq/README.md). Files that are not JSON, or have no `Records` array, are errors naming the file; the others go on.
 *
 *   npx tsx scripts/split.ts work/2013-12-07/json > records.ndjson
 *   npx tsx scripts/split.ts work/2013-12-07/json --out work/2013-12-07/records      # one NDJSON per log file
 *   npx tsx scripts/split.ts --select '.Records[] | select(.eventName == "RunInstances")' work/2013-12-07/json
 */
import { ConfigError, readConfig, usage } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { gunzipObject } from "../lib/streams/gunzip.ts";
import { wholeObject } from "../lib/streams/log-object.ts";
import { DEFAULT_PROGRAM, selectEach, type Selected } from "../lib/streams/select.ts";
import { ObjectPool } from "../lib/parallel/pool.ts";
import { OrderedLines, SPLIT_BUNDLE_BYTES } from "../lib/parallel/split-job.ts";
import { main, plural, programOf } from "./runtime/run.ts";
import { LineWriter } from "./runtime/line-writer.ts";
import { outputPaths } from "./runtime/output-paths.ts";
import { args, decompress, env, fileObjects, fileSink, listFiles, Output, stdin } from "./runtime/platform.ts";
import { fileSizes, OUTPUT, runOutput } from "./runtime/progress.ts";
import { spawnWorker, workerCount, WORKERS_FLAG } from "./runtime/workers.ts";

const FLAGS = {
  select: { env: "", flag: "--select", help: `jq program (default ${DEFAULT_PROGRAM})` },
  out: { env: "", flag: "--out", help: "write each file's lines to DIR/<its path>.ndjson instead of stdout (one NDJSON per log file: bulk.ts then gives the ids ingest gives)" },
  workers: WORKERS_FLAG,
};
const HELP = `usage: split.ts [--select PROGRAM] [--out DIR] [--workers N] [FILE|DIR ...]

Prints one JSON record per line (the blog's \`jq -c .Records[]\`), or, with --select, each output of a jq
program on one line: records as delivered, anything else (projections) as jq 1.6's \`jq -c\` prints it.
With no FILE, reads stdin. .json and .json.gz files are both read. With --workers N, N worker threads split
whole files; the output is the same, in the same order (not with --out or stdin: those run in one thread).

Supported jq (jq 1.6's meaning; anything else is rejected with a message naming it):
  . .a .a.b ."a b" .["a"] .[] .a[] .[n] and ? after those, | , ( ) //
  == != < <= > >= and or not, string number boolean null literals, [ ... ], {a, "b c": .x, (.k): .v, $v}
  ... as $x | ...   $__loc__   select empty length keys has in contains startswith endswith
  ascii_downcase ascii_upcase tostring tonumber type IN any all map test match
  (regular expressions: the syntax Oniguruma and JavaScript read alike, flags "g" and "i")

  split.ts --select '.Records[] | {eventTime, eventName, user: .userIdentity.arn}' work/json
  split.ts --select '.Records[] | select(.eventName | test("^(Create|Delete)"))' work/json`;

const CLOSED = new Error("stdout closed");
const encoder = new TextEncoder();

await main("split", async () => {
  const { values, help, extra, positionals } = readConfig(OUTPUT, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, OUTPUT, FLAGS)), 0;
  const program = programOf(extra.select);
  const ledger = new Ledger();
  const fromStdin = positionals.length === 0 || (positionals.length === 1 && positionals[0] === "-");
  if (fromStdin && extra.out) throw new ConfigError(["--out writes one file per input file: give the files or directories to read"]);
  const listed = fromStdin ? [] : await listFiles(positionals, (p) => /\.json(\.gz)?$/.test(p));
  const files = listed.map((f) => f.path);
  // as gunzip and bulk: nothing to read is a mistake to name (a wrong day's folder), not a run that printed nothing
  if (!fromStdin && files.length === 0) throw new ConfigError([`no .json or .json.gz files under ${positionals.join(", ")}`]);
  // with --out one file per input file (its records together: the scope of ids, as in ingest), known before anything is written
  const targets = extra.out ? outputPaths(listed, extra.out, (rel) => `${rel.replace(/\.json(\.gz)?$/, "")}.ndjson`) : new Map<string, string>();
  const objects = fromStdin
    ? new ReadableStream({ start: (c) => (c.enqueue({ name: "stdin", body: stdin() }), c.close()) })
    : fileObjects(files);
  ledger.expected.objects = fromStdin ? 1 : files.length;
  const run = runOutput("split", values, ledger, "records", "stderr");
  run.start();
  const out = new Output();
  // worker threads send back lines of consecutive files in shared pieces: only for one output (stdout)
  const workers = fromStdin || extra.out ? 0 : Math.min(files.length, await workerCount(extra.workers, { bytes: fileSizes(files), objects: files.length }));
  if (workers) {
    // whole files to worker threads; their lines come back and are written in the files' order
    let pool: ObjectPool | undefined = undefined;
    const ordered = new OrderedLines(async (bytes) => {
      await out.bytes(bytes);
      if (out.closed) pool?.stop(); // `| head`: stop reading
    });
    pool = new ObjectPool({
      spawn: spawnWorker,
      workers,
      job: "split",
      config: { program: program.source },
      ledger,
      bundleBytes: SPLIT_BUNDLE_BYTES,
      onResult: (r) => ordered.result(r),
      onDone: (seq) => ordered.done(seq),
    });
    try {
      await pool.run(objects);
      await ordered.settled;
      await out.flush();
    } finally {
      run.stop();
    }
    return run.end(ledger.objects.failed ? 1 : 0, {
      lines: [`split: ${plural(ledger.objects.read, "file")}, ${plural(ledger.records.read, "line")} out; failed ${ledger.objects.failed}`],
      extra: { program: program.source, workers },
    });
  }
  let records = 0;
  const unzipped = objects.pipeThrough(
    // two objects ahead: large ones are inflated on the thread pool while this one is split
    // (.json files too: as if the transport had decoded them)
    new TransformStream({ transform: (o, c) => c.enqueue(gunzipObject(o.bytes ? wholeObject(o.name, o.bytes, true) : { ...o, transportDecoded: true }, decompress)) }, undefined, { highWaterMark: 2 }),
  );
  let current: { object: string; lines: LineWriter; close: () => Promise<void> } | undefined;
  const done: { lines: LineWriter; close: () => Promise<void> }[] = [];
  const writerFor = (object: string): LineWriter => {
    if (!extra.out) return (current ??= { object, lines: new LineWriter(out), close: async () => {} }).lines;
    if (current?.object === object) return current.lines;
    if (current) done.push(current);
    const sink = fileSink(targets.get(object)!);
    current = { object, lines: new LineWriter(sink), close: () => sink.close() };
    return current.lines;
  };
  let full = false;
  const each = (record: Selected) => {
    if (writerFor(record.object).add(record.bytes ?? encoder.encode(record.text))) full = true;
    records++;
    ledger.records.read++;
  };
  const between = async () => {
    for (const finished of done.splice(0)) await finished.lines.flush(), await finished.close();
    if (full) (full = false), await current?.lines.flush();
    if (out.closed) throw CLOSED; // `| head`: stop reading
  };
  try {
    await selectEach(unzipped, program, each, { ledger, between }).catch((error) => {
      if (error !== CLOSED) throw error;
    });
    for (const finished of [...done.splice(0), ...(current ? [current] : [])]) await finished.lines.flush(), await finished.close();
    await out.flush();
  } finally {
    run.stop();
  }
  return run.end(ledger.objects.failed ? 1 : 0, {
    lines: [`split: ${plural(ledger.objects.read, "file")}, ${plural(records, "line")} out; failed ${ledger.objects.failed}`],
    extra: { program: program.source },
  });
});

