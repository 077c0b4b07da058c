/**
 * `make ingest DATE=2013-12-07`: the 2013 blog post, step by step, as it was meant to work.
 *
 * Runs copy, gunzip, split and bulk for the day, one script each, with every step's output under
 * `work/<DATE>/` (s3/, json/, records/) so you can look at it as the blog did. Then the document count
 * per index and the top 10 eventNames, from a real query, and last the day's report (report.ts), whose path
 * it prints: `work/<DATE>/report.html`.
 *
 * With no bucket configured it uses the local stack and the demo bucket `trailpost-demo`, seeded from
 * fixtures/demo-bucket/; with no cluster configured, the local search engine. With CLOUDTRAIL_BUCKET (and AWS
 * credentials) and ES_URL it runs against real AWS and a real cluster.
 */
import process from "node:process";
import { spawnSync } from "node:child_process";
import { readFile, rm } from "node:fs/promises";
import { relative } from "node:path";
import { fileURLToPath } from "node:url";
import { daysOf, readConfig, SETTINGS as ALL_SETTINGS, usage, type SettingName } from "../lib/config.ts";
import { S3 } from "../lib/aws/s3.ts";
import { redactUrl } from "../lib/errors.ts";
import { readStackConfig } from "../emulators/config.ts";
import { up } from "../emulators/stack.ts";
import { INDEXING, indexPrefixOf, searchFrom, warnAboutCredentials } from "./runtime/common.ts";
import { main, plural } from "./runtime/run.ts";
import { args, env, join, listFiles, scriptCommand } from "./runtime/platform.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DEMO_BUCKET = "trailpost-demo";
const SETTINGS: SettingName[] = ["bucket", "prefix", "accounts", "regions", "orgId", "date", "from", "to", "region", "profile", "endpoint", "s3Endpoint", ...INDEXING];
const HELP = `usage: make ingest DATE=YYYY-MM-DD   (or: blog.ts --date YYYY-MM-DD)

The blog's pipeline, one script per step, intermediate files under work/<DATE>/.
Without CLOUDTRAIL_BUCKET it uses the local stack's demo bucket; without ES_URL, the local engine.`;

await main("ingest", async () => {
  const { values, help } = readConfig(SETTINGS, args(), env());
  if (help) return console.log(usage(HELP, SETTINGS)), 0;
  const days = daysOf(values);
  const label = days.length === 1 ? days[0]! : `${days[0]}_${days.at(-1)}`;
  const work = join("work", label);
  warnAboutCredentials(values);
  // The steps get every setting through the environment (flags included: a secret stays out of their `ps` line),
  // and inherit the run's arrangements: ES_CA_CERT trusted (see main), credential warnings given.
  const childEnv: Record<string, string | undefined> = { ...env() };
  for (const name of SETTINGS) if (values[name] !== undefined) childEnv[ALL_SETTINGS[name].env] = values[name];

  if (!values.bucket || !values.esUrl) {
    const stack = await up(readStackConfig(env(), ROOT), (line) => console.error(`  ${line}`));
    if (!values.esUrl) childEnv.ES_URL = stack.search;
    if (!values.bucket) {
      Object.assign(childEnv, {
        CLOUDTRAIL_BUCKET: DEMO_BUCKET,
        AWS_ENDPOINT_URL: stack.aws,
        AWS_ENDPOINT_URL_S3: undefined,
        AWS_ACCESS_KEY_ID: stack.accessKeyId,
        AWS_SECRET_ACCESS_KEY: stack.secretAccessKey,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_REGION: stack.region,
        CLOUDTRAIL_PREFIX: undefined,
        CLOUDTRAIL_ACCOUNTS: undefined,
        CLOUDTRAIL_REGIONS: undefined,
        CLOUDTRAIL_ORG_ID: undefined,
      });
      const seeded = await seedDemoBucket(new S3({ credentials: { accessKeyId: stack.accessKeyId, secretAccessKey: stack.secretAccessKey }, region: stack.region, endpoint: stack.aws }));
      console.error(`  demo bucket s3://${DEMO_BUCKET}: ${plural(seeded, "object")} from fixtures/demo-bucket (LocalStack at ${stack.aws})`);
    }
  }
  for (const name of ["DATE", "FROM", "TO"]) childEnv[name] = undefined;
  const dayArgs = days.length === 1 ? ["--date", days[0]!] : ["--from", days[0]!, "--to", days.at(-1)!];
  await rm(work, { recursive: true, force: true });

  const steps: { title: string; script: string; args: string[]; stdout?: string }[] = [
    { title: `copy     (aws s3 cp --recursive s3://${childEnv.CLOUDTRAIL_BUCKET}/… ${work}/s3)`, script: "copy.ts", args: [...dayArgs, "--out", join(work, "s3")] },
    { title: `gunzip   (gzip -d → ${work}/json)`, script: "gunzip.ts", args: [join(work, "s3"), "--out", join(work, "json")] },
    { title: `split    (jq -c '.Records[]' → ${work}/records/, one NDJSON per log file)`, script: "split.ts", args: [join(work, "json"), "--out", join(work, "records")] },
    { title: `bulk     (POST /_bulk → ${childEnv.ES_URL ? redactUrl(childEnv.ES_URL) : "http://127.0.0.1:9200"})`, script: "bulk.ts", args: [join(work, "records"), "--dead-letter", join(work, "dead-letter.ndjson")] },
  ];
  let worst = 0;
  for (const [i, step] of steps.entries()) {
    console.error(`\n[${i + 1}/5] ${step.title}`);
    const code = await runStep(step.script, step.args, childEnv, step.stdout);
    if (code === 2) return 2;
    worst = Math.max(worst, code);
  }

  console.error("");
  await counts(childEnv, days);
  const page = join(work, "report.html");
  console.error(`\n[5/5] report   (aggregations on the engine → ${page})`);
  const code = await runStep("report.ts", [...dayArgs, "--out", page], childEnv);
  if (code === 2) return 2;
  return Math.max(worst, code);
});

async function runStep(script: string, stepArgs: string[], childEnv: Record<string, string | undefined>, stdoutFile?: string): Promise<number> {
  const [command, prefix] = scriptCommand(join(ROOT, "scripts", script));
  const { openSync, closeSync, mkdirSync } = await import("node:fs");
  let fd: number | undefined;
  if (stdoutFile) {
    mkdirSync(join(stdoutFile, ".."), { recursive: true });
    fd = openSync(stdoutFile, "w");
  }
  const env = Object.fromEntries(Object.entries(childEnv).filter((e): e is [string, string] => e[1] !== undefined));
  const result = spawnSync(command, [...prefix, ...stepArgs], { stdio: ["ignore", fd ?? "inherit", "inherit"], env, cwd: process.cwd() });
  if (fd !== undefined) closeSync(fd);
  if (result.error) throw result.error;
  return result.status ?? 1;
}

/** Uploads fixtures/demo-bucket/ (idempotent: the same keys are overwritten with the same bytes). */
async function seedDemoBucket(s3: S3): Promise<number> {
  await s3.createBucket(DEMO_BUCKET);
  const dir = join(ROOT, "fixtures", "demo-bucket");
  const files = await listFiles([dir], (p) => p.endsWith(".json.gz"));
  for (let i = 0; i < files.length; i += 16) {
    await Promise.all(files.slice(i, i + 16).map(async (f) => {
      const key = relative(dir, f.path).split("\\").join("/");
      await s3.put(DEMO_BUCKET, key, new Uint8Array(await readFile(f.path)), { "content-type": "application/json", "content-encoding": "gzip" });
    }));
  }
  return files.length;
}

/** Documents per index, and the top 10 eventNames of the day's indices, from the engine itself. */
async function counts(childEnv: Record<string, string | undefined>, days: string[]): Promise<void> {
  const values = readConfig(INDEXING, [], childEnv).values;
  const client = searchFrom(values);
  const prefix = indexPrefixOf(values);
  const indices = days.map((d) => `${prefix}-${d.replaceAll("-", ".")}`).join(",");
  const counts = await client.json<{ index: string; "docs.count": string }[]>("GET", `/_cat/indices/${prefix}-*?format=json&h=index,docs.count&s=index`);
  console.error(`documents per index (${client.describe()}):`);
  for (const row of counts) console.error(`  ${row.index.padEnd(32)} ${row["docs.count"].padStart(8)}`);
  const top = await client.json<{ aggregations?: { names: { buckets: { key: string; doc_count: number }[] } } }>(
    "POST", `/${indices}/_search?ignore_unavailable=true&allow_no_indices=true`,
    { size: 0, aggs: { names: { terms: { field: "eventName", size: 10 } } } },
  );
  console.error(`top 10 eventName in ${indices}:`);
  for (const b of top.aggregations?.names.buckets ?? []) console.error(`  ${b.key.padEnd(32)} ${String(b.doc_count).padStart(8)}`);
}

