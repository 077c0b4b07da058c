/**
 * The blog's four steps in one streaming process, with no temporary files: list and fetch the day's log
 * objects from S3, gunzip, split the records, and bulk-index them. Its index contents are the same as the four
 * scripts chained.
 *
 *   CLOUDTRAIL_BUCKET=my-trail-bucket ES_URL=https://search.example.com:9200 npx tsx scripts/ingest.ts --date 2024-03-04
 */
import { ConfigError, daysOf, readConfig, usage, type SettingName } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { listDayObjects, s3Objects } from "../lib/cloudtrail/objects.ts";
import { s3Store } from "../lib/integrity/store.ts";
import { Validation } from "../lib/integrity/validation.ts";
import { countListing } from "../lib/parallel/listed.ts";
import { indexObjects, indexRecords, prepareIndex } from "../lib/search/indexer.ts";
import { gunzip } from "../lib/streams/gunzip.ts";
import { DEFAULT_PROGRAM, selectRuns } from "../lib/streams/select.ts";
import { awsFrom, deadLetterNote, INDEXING, indexingFrom, indexingSummary, locationFrom, s3From } from "./runtime/common.ts";
import { bytes, main, plural, programOf } from "./runtime/run.ts";
import { args, decompress, env } from "./runtime/platform.ts";
import { OUTPUT, runOutput } from "./runtime/progress.ts";
import { KEY_FLAGS, publicKeysFrom } from "./runtime/public-keys.ts";
import { AUTO_MIN_BYTES, spawnWorker, workerCount, WORKERS_FLAG } from "./runtime/workers.ts";

const SETTINGS: SettingName[] = ["bucket", "prefix", "accounts", "regions", "orgId", "date", "from", "to", "region", "profile", "endpoint", "s3Endpoint", ...INDEXING, ...OUTPUT];
const FLAGS = {
  select: { env: "", flag: "--select", help: `jq program choosing the records (default ${DEFAULT_PROGRAM})` },
  validate: { env: "CLOUDTRAIL_VALIDATE", flag: "--validate", help: "check each log file against the signed digests; documents get trailpost.integrity", boolean: true, check: (v: string) => (/^(true|false|1|0)$/.test(v) ? undefined : `CLOUDTRAIL_VALIDATE must be true or false, not ${JSON.stringify(v)}`) },
  ...KEY_FLAGS,
  workers: WORKERS_FLAG,
};
const HELP = `usage: ingest.ts --bucket BUCKET --date YYYY-MM-DD [--es-url URL] [--validate]

Copies, gunzips, splits and bulk-indexes a day's (or FROM..TO's) CloudTrail logs in one streaming process.
With --validate, each log file is checked against CloudTrail's signed digests and every document says so in
trailpost.integrity (valid, invalid, pending, unsigned); an invalid file or digest makes the exit code 1.
With --workers N, N worker threads gunzip and split the objects and make the documents, and this one sends
them (--validate runs in one thread).`;

await main("ingest", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const location = locationFrom(values);
  const days = daysOf(values);
  const program = programOf(extra.select, { records: true });
  const aws = awsFrom(values);
  const s3 = s3From(aws);
  const ledger = new Ledger();
  const indexing = indexingFrom("ingest", values, ledger);
  const out = runOutput("ingest", values, ledger, "indexing");
  if (out.quiet) indexing.options.onRetry = () => {};
  const started = Date.now();
  out.start();
  const counting = new AbortController();
  // the listing beside the pipeline: the total for progress, and (WORKERS=auto) whether worker threads pay
  const listed = countListing(listDayObjects(s3, location, days), ledger, counting.signal);

  let completed = false;
  let engine, validation;
  let workers = 0;
  try {
    engine = await prepareIndex(indexing.client, indexing.options.indexPrefix, indexing.template, indexing.serverless);
    if (extra.validate === "true" || extra.validate === "1") {
      validation = await Validation.load({ store: s3Store(s3), keys: await publicKeysFrom(extra, aws, values), location, days });
      await validation.prepare(indexing.client, `${indexing.options.indexPrefix}-*`);
    }
    // worker threads split whole objects and make their documents; this thread sends them (not with --validate)
    workers = validation ? 0 : await workerCount(extra.workers, () => listed.enough(AUTO_MIN_BYTES));
    if (workers) {
      await indexObjects(s3Objects(s3, location, days, { ledger }), indexing.client, indexing.options, { spawn: spawnWorker, workers, program: program.source });
    } else {
      const objects = s3Objects(s3, location, days, { ledger }).pipeThrough(gunzip({ decompress }));
      const records = (validation ? validation.stage(objects) : objects).pipeThrough(selectRuns(program, { ledger }));
      await indexRecords(records, indexing.client, { ...indexing.options, batches: validation?.batches(), onDuplicate: validation?.onDuplicate });
    }
    completed = true;
    await validation?.settle(indexing.client, `${indexing.options.indexPrefix}-*`);
  } finally {
    out.stop();
    counting.abort();
    await indexing.deadLetters.finish(completed);
  }

  const o = ledger.objects;
  const seconds = (Date.now() - started) / 1000;
  const note = deadLetterNote("ingest", ledger, indexing.deadLetters);
  return out.end(ledger.clean && (validation?.clean ?? true) ? 0 : 1, {
    lines: [
      `ingest: ${plural(o.read, "log object")} read (${bytes(ledger.bytes.read)} of JSON) from s3://${location.bucket}/${location.prefix ?? ""}; ` +
        `skipped ${o.skipped.digest} digest, ${o.skipped.insight} insight, ${o.skipped.other} other; failed ${o.failed}`,
      `ingest: ${indexingSummary(ledger, indexing.options.stats)} → ${indexing.options.indexPrefix}-* on ${indexing.client.describe()} (${engine.distribution} ${engine.version}) in ${seconds.toFixed(1)} s${workers ? ` (${plural(workers, "worker thread")})` : ""}`,
      ...(validation?.summary("ingest") ?? []),
    ],
    notes: note ? [note] : [],
    extra: {
      source: `s3://${location.bucket}/${location.prefix ?? ""}`,
      target: indexing.client.describe(),
      indexPrefix: indexing.options.indexPrefix,
      engine: { distribution: engine.distribution, version: engine.version },
      concurrency: indexing.options.stats,
      workers,
      deadLetterFile: ledger.records.deadLettered ? indexing.deadLetters.path : null,
      integrity: validation ? { objects: validation.book.objects, records: validation.book.records, digests: validation.digests.counts, shadows: validation.shadowCounts } : undefined,
    },
  });
});
