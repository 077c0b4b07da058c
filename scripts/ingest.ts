/**
 * The blog's four steps in one streaming process, with no temporary files: list and fetch the day's log
 * objects from S3, gunzip, split the records, and bulk-index them. Its index contents are the same as the four
 * scripts chained.
 *
 *   CLOUDTRAIL_BUCKET=my-trail-bucket ES_URL=https://search.example.com:9200 npx tsx scripts/ingest.ts --date 2024-03-04
 */
import { ConfigError, daysOf, readConfig, usage, type SettingName } from "../lib/config.ts";
import { Ledger } from "../lib/ledger.ts";
import { s3Objects } from "../lib/cloudtrail/objects.ts";
import { indexRecords, prepareIndex } from "../lib/search/indexer.ts";
import { gunzip } from "../lib/streams/gunzip.ts";
import { DEFAULT_PROGRAM, select } from "../lib/streams/select.ts";
import { awsFrom, bytes, deadLetterNote, INDEXING, indexingFrom, indexingSummary, locationFrom, main, plural, printFailures, programOf, s3From } from "./common.ts";
import { args, decompress, env } from "./platform.ts";

const SETTINGS: SettingName[] = ["bucket", "prefix", "accounts", "regions", "orgId", "date", "from", "to", "region", "profile", "endpoint", "s3Endpoint", ...INDEXING];
const FLAGS = { select: { env: "", flag: "--select", help: `jq program choosing the records (default ${DEFAULT_PROGRAM})` } };
const HELP = `usage: ingest.ts --bucket BUCKET --date YYYY-MM-DD [--es-url URL]

Copies, gunzips, splits and bulk-indexes a day's (or FROM..TO's) CloudTrail logs in one streaming process.`;

await main("ingest", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const location = locationFrom(values);
  const days = daysOf(values);
  const program = programOf(extra.select);
  const s3 = s3From(awsFrom(values));
  const ledger = new Ledger();
  const indexing = indexingFrom("ingest", values, ledger);
  const started = Date.now();

  let completed = false;
  let engine;
  try {
    engine = await prepareIndex(indexing.client, indexing.options.indexPrefix, indexing.template, indexing.serverless);
    const records = s3Objects(s3, location, days, { ledger })
      .pipeThrough(gunzip({ decompress }))
      .pipeThrough(select(program, { ledger }));
    await indexRecords(records, indexing.client, indexing.options);
    completed = true;
  } finally {
    await indexing.deadLetters.finish(completed);
  }

  const o = ledger.objects;
  const seconds = (Date.now() - started) / 1000;
  printFailures("ingest", ledger);
  console.error(
    `ingest: ${plural(o.read, "log object")} read (${bytes(ledger.bytes.read)} of JSON) from s3://${location.bucket}/${location.prefix ?? ""}; ` +
      `skipped ${o.skipped.digest} digest, ${o.skipped.insight} insight, ${o.skipped.other} other; failed ${o.failed}`,
  );
  console.error(`ingest: ${indexingSummary(ledger, indexing.options.stats)} → ${indexing.options.indexPrefix}-* on ${indexing.client.describe()} (${engine.distribution} ${engine.version}) in ${seconds.toFixed(1)} s`);
  const note = deadLetterNote("ingest", ledger, indexing.deadLetters);
  if (note) console.error(note);
  return ledger.clean ? 0 : 1;
});
