/**
 * Step 1 of the blog, `aws s3 cp --recursive`: downloads a day's (or a range's) CloudTrail log objects under a
 * local directory, keeping the key layout. Only `CloudTrail/` logs are copied; digest, Insights and other objects
 * are counted and skipped; a key that would land outside the directory is refused.
 *
 *   npx tsx scripts/copy.ts --bucket my-trail-bucket --date 2013-12-07 --out work/2013-12-07/s3
 */
import { Ledger } from "../lib/ledger.ts";
import { ConfigError, daysOf, readConfig, usage, type SettingName } from "../lib/config.ts";
import { S3Error } from "../lib/aws/s3.ts";
import { listDayObjects, s3Objects } from "../lib/cloudtrail/objects.ts";
import { expectObjects } from "../lib/progress/expected.ts";
import { parseKey, safeRelativePath } from "../lib/cloudtrail/layout.ts";
import { gzip } from "../lib/streams/gunzip.ts";
import { iterate } from "../lib/streams/log-object.ts";
import { awsFrom, locationFrom, s3From } from "./runtime/common.ts";
import { bytes, main, plural } from "./runtime/run.ts";
import { args, env, join, writeBytes } from "./runtime/platform.ts";
import { OUTPUT, runOutput } from "./runtime/progress.ts";

const SETTINGS: SettingName[] = ["bucket", "prefix", "accounts", "regions", "orgId", "date", "from", "to", "region", "profile", "endpoint", "s3Endpoint", ...OUTPUT];
const OUT = { out: { env: "", flag: "--out", help: "directory to copy into (default work/<DATE>/s3)" } };
const HELP = `usage: copy.ts --bucket BUCKET --date YYYY-MM-DD [--out DIR]

Downloads the day's CloudTrail log objects (the blog's \`aws s3 cp --recursive\`), keeping the key layout.`;

await main("copy", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), OUT);
  if (help) return console.log(usage(HELP, SETTINGS, OUT)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const location = locationFrom(values);
  const days = daysOf(values);
  const dir = extra.out ?? join("work", days.length === 1 ? days[0]! : `${days[0]}_${days.at(-1)}`, "s3");
  const s3 = s3From(awsFrom(values));
  const bucket = location.bucket;
  const ledger = new Ledger();
  const accounts = new Set<string>();
  const regions = new Set<string>();
  let written = 0;
  let size = 0;
  const out = runOutput("copy", values, ledger, "objects");
  out.start();
  const counting = new AbortController();
  void expectObjects(listDayObjects(s3, location, days), ledger, counting.signal);
  try {
    for await (const object of iterate(s3Objects(s3, location, days, { ledger }))) {
      const key = object.name.slice(`s3://${bucket}/`.length);
      const safe = safeRelativePath(key);
      if ("refused" in safe) {
        await object.body.cancel();
        ledger.objects.skipped.refused++;
        ledger.objectFailed(object.name, `refused: ${safe.refused}; nothing written`);
        continue;
      }
      try {
        let data: Uint8Array = new Uint8Array(await new Response(object.body).arrayBuffer());
        // fetch undoes a stored Content-Encoding: gzip; keep the .json.gz files gzip, as `aws s3 cp` does
        if (object.transportDecoded && !(data[0] === 0x1f && data[1] === 0x8b)) data = await gzip(data);
        await writeBytes(join(dir, safe.path), data);
        written++;
        size += data.length;
        ledger.objects.read++;
        ledger.bytes.read += data.length;
        const parsed = parseKey(key);
        if (parsed) {
          accounts.add(parsed.account);
          regions.add(parsed.region);
        }
      } catch (error) {
        ledger.objectFailed(object.name, error instanceof Error ? error.message : String(error));
      }
    }
  } catch (error) {
    if (error instanceof S3Error) throw new Error(`listing s3://${bucket}: ${error.message}`);
    throw error;
  } finally {
    out.stop();
    counting.abort();
  }
  const skipped = ledger.objects.skipped;
  return out.end(ledger.objects.failed ? 1 : 0, {
    lines: [
      `copy: ${plural(written, "log object")} (${bytes(size)}) from s3://${bucket}/${location.prefix ?? ""} → ${dir}` +
        ` [${plural(accounts.size, "account")}, ${plural(regions.size, "region")}, ${plural(days.length, "day")}];` +
        ` skipped ${skipped.digest} digest, ${skipped.insight} insight, ${skipped.other} other; refused ${skipped.refused}; failed ${ledger.objects.failed}`,
    ],
    notes: written === 0 && ledger.objects.failed === 0
      ? [`copy: no log objects for ${days.join(", ")} in s3://${bucket}: check CLOUDTRAIL_PREFIX, CLOUDTRAIL_ACCOUNTS and CLOUDTRAIL_REGIONS`]
      : [],
    extra: { source: `s3://${bucket}/${location.prefix ?? ""}`, out: dir, accounts: accounts.size, regions: regions.size, days },
  });
});
