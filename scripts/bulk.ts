/**
 * Step 4 of the blog, `curl -X POST`, done right: NDJSON records (split's output, or a dead-letter file to
 * replay) to `_bulk`, as `create` actions into `<INDEX_PREFIX>-YYYY.MM.DD` with deterministic ids. Every item's
 * result is read: indexed, duplicate (already there), or dead-lettered with its reason.
 *
 *   npx tsx scripts/bulk.ts records.ndjson --es-url http://127.0.0.1:9200
 *   npx tsx scripts/split.ts work/2013-12-07/json | npx tsx scripts/bulk.ts
 *   npx tsx scripts/bulk.ts trailpost-dead-letter.ndjson     # replay, once the cause is fixed
 */
import { readConfig, usage, ConfigError } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { ndjsonRecords } from "../lib/search/ndjson.ts";
import { indexRecords, prepareIndex } from "../lib/search/indexer.ts";
import { countBytes } from "../lib/progress/expected.ts";
import { deadLetterNote, INDEXING, indexingFrom, indexingSummary } from "./runtime/common.ts";
import { main } from "./runtime/run.ts";
import { args, env, fileStream, listFiles, stdin } from "./runtime/platform.ts";
import { fileSizes, OUTPUT, runOutput } from "./runtime/progress.ts";

const SETTINGS = [...INDEXING, ...OUTPUT];

const HELP = `usage: bulk.ts [FILE ...]

Indexes NDJSON CloudTrail records (one per line) through the _bulk API. With no FILE, reads stdin.
A dead-letter file is replayed as it is: each line's "record" is indexed again, under the id it had; what fails
again replaces the file's lines (a replay never reads its own output).`;

await main("bulk", async () => {
  const { values, help, positionals } = readConfig(SETTINGS, args(), env());
  if (help) return console.log(usage(HELP, SETTINGS)), 0;
  const ledger = new Ledger();
  const files = positionals.length && !(positionals.length === 1 && positionals[0] === "-")
    ? (await listFiles(positionals, (p) => /\.(nd)?json(l)?$/.test(p))).map((f) => f.path)
    : [];
  if (positionals.length && !files.length) throw new ConfigError([`no NDJSON files under ${positionals.join(", ")}`]);
  const indexing = indexingFrom("bulk", values, ledger, files.length ? files : "stdin");
  const out = runOutput("bulk", values, ledger, "indexing");
  if (out.quiet) indexing.options.onRetry = () => {};
  if (files.length) Object.assign(ledger.expected, { objects: files.length, bytes: fileSizes(files) });
  out.start();

  let completed = false;
  let engine;
  try {
    engine = await prepareIndex(indexing.client, indexing.options.indexPrefix, indexing.template, indexing.serverless);
    const sources = files.length ? files.map((name) => ({ name, open: () => fileStream(name).pipeThrough(countBytes(ledger)) })) : [{ name: "stdin", open: () => stdin().pipeThrough(countBytes(ledger)) }];
    await indexRecords(ndjsonRecords(sources, ledger, indexing.options.deadLetter), indexing.client, indexing.options);
    completed = true;
  } finally {
    out.stop();
    await indexing.deadLetters.finish(completed);
  }
  const note = deadLetterNote("bulk", ledger, indexing.deadLetters);
  return out.end(ledger.clean ? 0 : 1, {
    lines: [`bulk: ${indexingSummary(ledger, indexing.options.stats)} → ${indexing.options.indexPrefix}-* on ${indexing.client.describe()} (${engine.distribution} ${engine.version})`],
    notes: note ? [note] : [],
    extra: {
      source: files.length ? files : "stdin",
      target: indexing.client.describe(),
      indexPrefix: indexing.options.indexPrefix,
      engine: { distribution: engine.distribution, version: engine.version },
      concurrency: indexing.options.stats,
      deadLetterFile: ledger.records.deadLettered ? indexing.deadLetters.path : null,
    },
  });
});
