/**
 * Backfill through the same queue: lists the days' log objects (as `copy` does) and sends one S3-event-shaped
 * message per object with SendMessageBatch, so that any number of workers share a backfill of months.
 * Re-running is harmless (a record indexed twice is a duplicate, not a second document); with `--checkpoint FILE`
 * it also skips the day folders a previous run finished. A folder is marked finished only once its day is over
 * (an hour after midnight UTC: CloudTrail delivers late), so today's objects are enqueued again next time.
 *
 *   CLOUDTRAIL_QUEUE_URL=… npx tsx scripts/enqueue.ts --bucket my-trail-bucket --from 2024-01-01 --to 2024-03-31 --checkpoint backfill.done
 */
import { ConfigError, daysOf, readConfig, usage, type SettingName } from "../lib/config.ts";
import { listDayObjects } from "../lib/cloudtrail/objects.ts";
import { folderIsFinal } from "../lib/queue/checkpoint.ts";
import { s3EventMessage } from "../lib/queue/s3-event.ts";
import { awsFrom, locationFrom, s3From, sqsFrom } from "./runtime/common.ts";
import { main, plural } from "./runtime/run.ts";
import { args, env, existsSync, fileStream, openAppend } from "./runtime/platform.ts";

const SETTINGS: SettingName[] = ["queueUrl", "bucket", "prefix", "accounts", "regions", "orgId", "date", "from", "to", "region", "profile", "endpoint", "s3Endpoint", "sqsEndpoint"];
const FLAGS = {
  checkpoint: { env: "ENQUEUE_CHECKPOINT", flag: "--checkpoint", help: "file of the day folders already enqueued: skipped, and added to as folders finish" },
};
const HELP = `usage: enqueue.ts --queue-url URL --bucket BUCKET --date YYYY-MM-DD | --from YYYY-MM-DD --to YYYY-MM-DD

Sends one S3 event notification per log object of the days to the queue, for the workers (backfill).
Digest and Insight files are skipped, as copy skips them. Re-running is harmless.`;

const RETRIES = 6;

await main("enqueue", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  if (!values.queueUrl) throw new ConfigError(["no queue: set CLOUDTRAIL_QUEUE_URL or --queue-url (setup.ts prints it)"]);
  const queueUrl = values.queueUrl;
  const location = locationFrom(values);
  const days = daysOf(values);
  const aws = awsFrom(values);
  const s3 = s3From(aws);
  const sqs = sqsFrom(aws, values);
  const done = extra.checkpoint && existsSync(extra.checkpoint) ? new Set((await new Response(fileStream(extra.checkpoint)).text()).split("\n").filter(Boolean)) : new Set<string>();
  const checkpoint = extra.checkpoint ? await openAppend(extra.checkpoint) : undefined;
  const counts = { sent: 0, batches: 0, failed: 0, skippedFolders: 0, openFolders: 0, digest: 0, insight: 0, other: 0 };
  const failures: string[] = [];
  let batch: { id: string; body: string; key: string }[] = [];
  let folder: string | undefined;
  let folderSkipped = false;

  const flush = async () => {
    let pending = batch;
    batch = [];
    if (pending.length) counts.batches++;
    for (let attempt = 0; pending.length; attempt++) {
      let failed: { id: string; code: string; message: string }[];
      try {
        failed = await sqs.sendBatch(queueUrl, pending.map(({ id, body }) => ({ id, body })));
      } catch (error) {
        failed = pending.map((p) => ({ id: p.id, code: "RequestFailed", message: error instanceof Error ? error.message : String(error) }));
      }
      const again = new Set(failed.map((f) => f.id));
      counts.sent += pending.length - again.size;
      if (!again.size) break;
      if (attempt >= RETRIES) {
        for (const f of failed) {
          counts.failed++;
          failures.push(`s3://${location.bucket}/${pending.find((p) => p.id === f.id)?.key}: ${f.code} ${f.message}`);
        }
        break;
      }
      pending = pending.filter((p) => again.has(p.id));
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(20_000, 200 * 2 ** attempt)));
    }
  };
  /** A folder is done once all its messages are sent (and none failed). */
  const finishFolder = async () => {
    if (folder === undefined || folderSkipped) return;
    await flush();
    if (!checkpoint || counts.failed) return;
    if (folderIsFinal(folder, Date.now())) await checkpoint.write(`${folder}\n`);
    else counts.openFolders++;
  };

  for await (const object of listDayObjects(s3, location, days)) {
    const objectFolder = object.key.slice(0, object.key.lastIndexOf("/") + 1);
    if (objectFolder !== folder) {
      await finishFolder();
      folder = objectFolder;
      folderSkipped = done.has(folder);
      if (folderSkipped) counts.skippedFolders++;
    }
    if (object.kind !== "log") {
      counts[object.kind]++;
      continue;
    }
    if (folderSkipped) continue;
    batch.push({ id: String(batch.length), body: s3EventMessage({ bucket: location.bucket, key: object.key, size: object.size, etag: object.etag, region: s3.region }), key: object.key });
    if (batch.length === 10) await flush();
  }
  await finishFolder();
  await checkpoint?.close();

  for (const f of failures.slice(0, 50)) console.error(`enqueue: FAILED ${f}`);
  console.error(
    `enqueue: ${plural(counts.sent, "log object")} → ${queueUrl} in ${plural(counts.batches, "batch", "batches")}; ` +
      `skipped ${counts.digest} digest, ${counts.insight} insight, ${counts.other} other` +
      `${extra.checkpoint ? `; ${plural(counts.skippedFolders, "folder")} done before (${extra.checkpoint})` : ""}` +
      `${counts.openFolders ? `; ${plural(counts.openFolders, "folder")} not marked done: ${counts.openFolders === 1 ? "its day is" : "their days are"} not over (until 01:00 UTC the next day)` : ""}; failed ${counts.failed}`,
  );
  return counts.failed ? 1 : 0;
});
