/**
 * A report of the day you ingested: one self-contained HTML page (inline SVG, no script, no network) with events
 * per hour by eventSource, the top principals, eventNames and source IPs, errors by principal, console logins and
 * their MFA, root-account activity, new regions, and the logs' integrity when it was recorded. Every number
 * comes from an aggregation on the engine, never from the files.
 *
 *   npx tsx scripts/report.ts --date 2024-03-04                     # → work/2024-03-04/report.html
 *   npx tsx scripts/report.ts --from 2024-03-01 --to 2024-03-04 --out march.html
 */
import { ConfigError, daysOf, readConfig, usage, type SettingName } from "../lib/config.ts";
import { renderReport } from "../lib/report/page.ts";
import { readReport, ReportError } from "../lib/report/read.ts";
import { indexPrefixOf, searchFrom } from "./runtime/common.ts";
import { bytes, main, plural } from "./runtime/run.ts";
import { args, env, join, writeBytes } from "./runtime/platform.ts";
import { OUTPUT } from "./runtime/progress.ts";

const SETTINGS: SettingName[] = ["date", "from", "to", "esUrl", "esApiKey", "esUsername", "esPassword", "esAws", "esCaCert", "esGzip", "indexPrefix", "region", "profile", ...OUTPUT];
const FLAGS = { out: { env: "", flag: "--out", help: "the HTML file to write (default work/<DATE>/report.html)" } };
const HELP = `usage: report.ts --date YYYY-MM-DD [--out FILE]   (or --from YYYY-MM-DD --to YYYY-MM-DD)

Writes a report of the day's indexed CloudTrail events as one self-contained HTML page, from aggregations on
the engine: events per hour by eventSource; top principals, eventNames and source IPs; errors by principal;
console logins and their MFA; root-account activity; new regions; integrity when recorded.`;

await main("report", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  const days = daysOf(values);
  const path = extra.out ?? join("work", days.length === 1 ? days[0]! : `${days[0]}_${days.at(-1)}`, "report.html");
  const client = searchFrom(values);
  const started = Date.now();
  const json = values.json === "true" || values.json === "1";
  const seconds = () => (Date.now() - started) / 1000;
  let report;
  try {
    report = await readReport(client, { indexPrefix: indexPrefixOf(values), days });
  } catch (error) {
    if (!(error instanceof ReportError)) throw error;
    if (json) console.log(JSON.stringify({ script: "report", exitCode: 1, ok: false, seconds: seconds(), path: null, error: error.message }));
    else console.error(`report: ${error.message}`);
    return 1;
  }
  const html = new TextEncoder().encode(renderReport(report));
  await writeBytes(path, html);
  if (json) {
    console.log(JSON.stringify({ script: "report", exitCode: 0, ok: true, seconds: seconds(), path, indices: report.indices, target: report.target, events: report.total, bytes: html.length }));
  } else if (values.quiet !== "true" && values.quiet !== "1") {
    console.error(`report: ${plural(report.total, "event")} in ${report.indices} → ${path} (${bytes(html.length)})`);
  }
  return 0;
});
