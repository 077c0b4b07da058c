/**
 * `aws cloudtrail validate-logs` for a day or a range: checks every digest chain of the bucket (one per trail,
 * account and source region) and the log files they list, and prints the AWS CLI's lines: invalid files and
 * gaps on stderr, `valid` files with --verbose, a summary per chain. Exit 0 when everything is valid, 1 when
 * anything is not (or could not be checked), 2 for a usage or configuration error.
 *
 *   CLOUDTRAIL_BUCKET=my-trail-bucket npx tsx scripts/validate.ts --date 2024-03-04
 *   npx tsx scripts/validate.ts --trail-arn arn:aws:cloudtrail:us-east-1:123456789012:trail/main \
 *     --start-time 2024-03-04T05:00:00Z --end-time 2024-03-04T09:00:00Z --public-keys keys.json --verbose
 */
import { digestTime } from "../lib/cloudtrail/digest.ts";
import { ConfigError, daysOf, readConfig, usage, type Setting, type SettingName } from "../lib/config.ts";
import { NoPublicKeysError } from "../lib/integrity/chain.ts";
import { ValidationReport, type Stream } from "../lib/integrity/report.ts";
import { s3Store } from "../lib/integrity/store.ts";
import { findTrails } from "../lib/integrity/trails.ts";
import { parseTrailArn, trailArn, validateTrail } from "../lib/integrity/validate.ts";
import { awsFrom, locationFrom, s3From } from "./runtime/common.ts";
import { main, plural } from "./runtime/run.ts";
import { args, env } from "./runtime/platform.ts";
import { KEY_FLAGS, publicKeysFrom } from "./runtime/public-keys.ts";

const SETTINGS: SettingName[] = ["bucket", "prefix", "accounts", "regions", "orgId", "date", "from", "to", "region", "profile", "endpoint", "s3Endpoint"];
const time = (name: string) => (v: string) => (Number.isNaN(digestTime(v)) ? `${name} must be a UTC time like 2024-03-04T05:00:00Z, not ${JSON.stringify(v)}` : undefined);
const FLAGS: Record<string, Setting> = {
  trailArn: { env: "CLOUDTRAIL_TRAIL_ARN", flag: "--trail-arn", help: "validate this trail only (default: every trail with digests in the bucket)", check: (v) => (parseTrailArn(v) ? undefined : `--trail-arn must be a trail ARN like arn:aws:cloudtrail:us-east-1:123456789012:trail/main, not ${JSON.stringify(v)}`) },
  startTime: { env: "", flag: "--start-time", help: "validate from this UTC time instead of --date (as the AWS CLI's --start-time)", check: time("--start-time") },
  endTime: { env: "", flag: "--end-time", help: "until this UTC time (default: now)", check: time("--end-time") },
  ...KEY_FLAGS,
  verbose: { env: "", flag: "--verbose", help: "also print the valid files", boolean: true },
};
const HELP = `usage: validate.ts --bucket BUCKET --date YYYY-MM-DD [--verbose] [--public-keys FILE]

Validates CloudTrail log files with their signed digest files, as \`aws cloudtrail validate-logs\` does: modified,
deleted and moved files, broken digest chains, and gaps. One report per trail, account and source region.`;

await main("validate", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const location = locationFrom(values);
  const { start, end } = rangeOf(values, extra);
  const aws = awsFrom(values);
  const store = s3Store(s3From(aws));
  const keys = await publicKeysFrom(extra, aws, values);
  const given = extra.trailArn ? parseTrailArn(extra.trailArn) : undefined;

  const trails = await findTrails(store, { ...location, trail: given }, start, end);
  if (!trails.length) {
    console.error(`validate: no digest files in s3://${location.bucket}/${location.prefix ?? ""} for ${new Date(start).toISOString()} to ${new Date(end).toISOString()}: is log file validation on, and are CLOUDTRAIL_PREFIX, CLOUDTRAIL_ACCOUNTS and CLOUDTRAIL_REGIONS right?`);
    return 1;
  }
  let failed = false;
  for (const trail of trails) {
    const out = lineWriter();
    const arn = given && extra.trailArn && trail.account === given.account ? extra.trailArn : trailArn(trail);
    const report = new ValidationReport({ trailArn: arn, start, end, verbose: extra.verbose === "true", write: (stream, text) => out.write(stream, text) });
    report.header();
    try {
      await validateTrail({ store, keys, trail, start, end }, report);
    } catch (error) {
      failed = true;
      const why = error instanceof NoPublicKeysError ? error.message : `stopped: ${error instanceof Error ? error.message : String(error)}`;
      out.write("err", `${arn} (${trail.account}, ${trail.sourceRegion}): ${why}\n\n`);
    }
    report.summary();
    out.end();
    failed ||= report.failed;
    const c = report.counts;
    if (c.digests.valid + c.digests.invalid + c.backfillDigests.valid + c.backfillDigests.invalid === 0) {
      // nothing was validated: not a success (a wrong --trail-arn, or validation off for this chain)
      failed = true;
      console.error(`validate: no digest files of trail ${arn} (account ${trail.account}, region ${trail.sourceRegion}) for ${new Date(start).toISOString()} to ${new Date(end).toISOString()}${given ? ": is --trail-arn right?" : ""}`);
    }
  }
  if (trails.length > 1) console.error(`validate: ${plural(trails.length, "digest chain")} checked; ${failed ? "some files are INVALID (see above)" : "all valid"}`);
  return failed ? 1 : 0;
});

/** --start-time/--end-time as the AWS CLI takes them, or whole days: 00:00:00 of the first to 23:59:59 of the last. */
function rangeOf(values: Partial<Record<SettingName, string>>, extra: Record<string, string>): { start: number; end: number } {
  let start: number;
  let end: number;
  if (extra.startTime) {
    if (values.date || values.from || values.to) throw new ConfigError(["give --start-time, or --date (or --from and --to), not both"]);
    start = digestTime(extra.startTime);
    end = extra.endTime ? digestTime(extra.endTime) : Math.floor(Date.now() / 1000) * 1000;
  } else {
    if (extra.endTime) throw new ConfigError(["--end-time goes with --start-time"]);
    const days = daysOf(values);
    start = Date.parse(`${days[0]}T00:00:00Z`);
    end = Date.parse(`${days.at(-1)}T23:59:59Z`);
  }
  if (start > end) throw new ConfigError(["Invalid time range specified: start-time must occur before end-time"]);
  return { start, end };
}

/** Exact text to stdout and stderr, whole lines at a time (console.log adds back the newline it is not given). */
function lineWriter() {
  const pending: Record<Stream, string> = { out: "", err: "" };
  const write = (stream: Stream, text: string): void => {
    const all = pending[stream] + text;
    const cut = all.lastIndexOf("\n");
    pending[stream] = cut < 0 ? all : all.slice(cut + 1);
    if (cut >= 0) (stream === "out" ? console.log : console.error)("%s", all.slice(0, cut));
  };
  const end = (): void => {
    for (const stream of ["out", "err"] as const) if (pending[stream]) write(stream, "\n");
  };
  return { write, end };
}
