/**
 * The blog's preparation step, for continuous ingestion: makes a bucket ready for CloudTrail and for the workers.
 * Creates (or finds) the bucket, a dead-letter queue, the queue with a redrive policy and a policy letting the
 * bucket send to it, CloudTrail's statements in the bucket policy, and the bucket's notification of
 * `s3:ObjectCreated:*` on `[prefix/]AWSLogs/…json.gz`. Idempotent: a second run changes nothing. Existing policy
 * statements and notification configurations are kept. Its last line is `CLOUDTRAIL_QUEUE_URL=<url>`.
 *
 *   npx tsx scripts/setup.ts --bucket my-trail-bucket --queue trail-events [--dry-run]
 */
import { S3 } from "../lib/aws/s3.ts";
import { S3Buckets } from "../lib/aws/s3-bucket.ts";
import type { SQS } from "../lib/aws/sqs.ts";
import { ConfigError, readConfig, usage, type SettingName } from "../lib/config.ts";
import {
  cloudTrailStatements,
  logNotification,
  mergeQueueNotification,
  mergeStatements,
  parseArn,
  queuePolicyStatement,
  redrivePolicy,
  sameRedrive,
} from "../lib/queue/setup.ts";
import { awsFrom, sqsFrom } from "./runtime/common.ts";
import { main } from "./runtime/run.ts";
import { args, env } from "./runtime/platform.ts";

const SETTINGS: SettingName[] = ["bucket", "prefix", "orgId", "region", "profile", "endpoint", "s3Endpoint", "sqsEndpoint"];
const QUEUE_NAME = /^[A-Za-z0-9_-]{1,80}$/;
const FLAGS = {
  queue: { env: "CLOUDTRAIL_QUEUE_NAME", flag: "--queue", help: "name of the queue to create or find (default trailpost-events)", check: (v: string) => (QUEUE_NAME.test(v) ? undefined : `--queue must be 1-80 of A-Z a-z 0-9 _ -, not ${JSON.stringify(v)}`) },
  dlq: { env: "CLOUDTRAIL_DLQ_NAME", flag: "--dlq", help: "name of the dead-letter queue (default <queue>-dlq)", check: (v: string) => (QUEUE_NAME.test(v) ? undefined : `--dlq must be 1-80 of A-Z a-z 0-9 _ -, not ${JSON.stringify(v)}`) },
  maxReceiveCount: { env: "", flag: "--max-receive-count", help: "receives before a message goes to the dead-letter queue (default 5)", check: (v: string) => (/^[1-9]\d{0,2}$/.test(v) && Number(v) <= 1000 ? undefined : `--max-receive-count must be 1-1000, not ${JSON.stringify(v)}`) },
  visibility: { env: "", flag: "--visibility-timeout", help: "the queue's default visibility timeout in seconds (default 120; workers set their own)", check: (v: string) => (/^\d+$/.test(v) && Number(v) <= 43_200 ? undefined : `--visibility-timeout must be 0-43200, not ${JSON.stringify(v)}`) },
  dryRun: { env: "", flag: "--dry-run", help: "read what exists, print each call that would change something, change nothing", boolean: true },
};
const HELP = `usage: setup.ts --bucket BUCKET [--queue NAME] [--dry-run]

Makes a bucket ready for CloudTrail and continuous ingestion: the bucket, CloudTrail's bucket policy statements,
a dead-letter queue, the queue (redrive policy, and a policy allowing the bucket to send), and the bucket's
notification of s3:ObjectCreated:* on [prefix/]AWSLogs/…json.gz keys. Idempotent; prints every AWS call.
The last line is CLOUDTRAIL_QUEUE_URL=<url>, for the workers.`;

const RETENTION = "1209600"; // 14 days, the most SQS keeps: a long outage loses nothing

/** Prints every call; reads are always made, writes only without --dry-run. */
class Calls {
  writes = 0;
  constructor(readonly dryRun: boolean) {}

  async read<T>(service: string, action: string, detail: string, call: () => Promise<T>, show: (result: T) => string): Promise<T> {
    const result = await this.#attempt(service, action, detail, call);
    console.error(`setup: ${service.padEnd(3)} ${action} ${detail} → ${show(result)}`);
    return result;
  }

  async write<T>(service: string, action: string, detail: string, call: () => Promise<T>): Promise<T | undefined> {
    this.writes++;
    if (this.dryRun) {
      console.error(`setup: would call ${service} ${action} ${detail}`);
      return undefined;
    }
    const result = await this.#attempt(service, action, detail, call);
    console.error(`setup: ${service.padEnd(3)} ${action} ${detail} → done`);
    return result;
  }

  unchanged(what: string): void {
    console.error(`setup: unchanged: ${what}`);
  }

  async #attempt<T>(service: string, action: string, detail: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new Error(`${service} ${action} ${detail.split(" ")[0]} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
}

await main("setup", async () => {
  const { values, help, extra, positionals } = readConfig(SETTINGS, args(), env(), FLAGS);
  if (help) return console.log(usage(HELP, SETTINGS, FLAGS)), 0;
  if (positionals.length) throw new ConfigError([`unexpected argument ${JSON.stringify(positionals[0])}`]);
  if (!values.bucket) throw new ConfigError(["no bucket: set CLOUDTRAIL_BUCKET or --bucket"]);
  const bucket = values.bucket;
  const queue = extra.queue ?? "trailpost-events";
  const dlq = extra.dlq ?? `${queue}-dlq`;
  if (dlq === queue) throw new ConfigError(["--dlq must differ from --queue"]);
  const maxReceiveCount = Number(extra.maxReceiveCount ?? 5);
  const dryRun = extra.dryRun === "true";
  const aws = awsFrom(values);
  const s3 = new S3({ credentials: aws.credentials, region: aws.region, endpoint: aws.s3Endpoint });
  const buckets = new S3Buckets({ credentials: aws.credentials, region: aws.region, endpoint: aws.s3Endpoint });
  const sqs = sqsFrom(aws, values);
  const plan = new Calls(dryRun);
  if (dryRun) console.error("setup: dry run: reads what exists, changes nothing");

  // 1. the bucket
  const exists = await plan.read("s3", "HeadBucket", bucket, () => buckets.exists(bucket), (e) => (e ? "exists" : "does not exist"));
  if (!exists) await plan.write("s3", "CreateBucket", `${bucket} (${aws.region})`, () => s3.createBucket(bucket));

  // 2. the dead-letter queue, 3. the queue with its redrive policy
  const dlqQueue = await ensureQueue(plan, sqs, dlq, { MessageRetentionPeriod: RETENTION });
  const dlqArn = dlqQueue.arn ?? `arn:aws:sqs:${aws.region}:<account>:${dlq}`;
  const events = await ensureQueue(plan, sqs, queue, {
    VisibilityTimeout: extra.visibility ?? "120",
    MessageRetentionPeriod: RETENTION,
    ReceiveMessageWaitTimeSeconds: "20",
    RedrivePolicy: redrivePolicy(dlqArn, maxReceiveCount),
  });
  const queueArn = events.arn ?? `arn:aws:sqs:${aws.region}:<account>:${queue}`;
  const arn = events.arn ? parseArn(events.arn) : { partition: "aws", account: "<account>" };

  // the queue policy: the bucket may send its events
  const queuePolicy = mergeStatements(events.attributes.Policy, [queuePolicyStatement({ queueArn, bucket, account: arn.account, partition: arn.partition })]);
  if (queuePolicy.changed) await plan.write("sqs", "SetQueueAttributes", `${queue} Policy=${queuePolicy.policy}`, () => sqs.setAttributes(events.url!, { Policy: queuePolicy.policy }));
  else plan.unchanged(`the policy of ${queue} already lets ${bucket} send`);

  // 4. CloudTrail's statements in the bucket policy
  const existingPolicy = exists ? await plan.read("s3", "GetBucketPolicy", bucket, () => buckets.policy(bucket), (p) => (p ? "a policy" : "no policy")) : undefined;
  const bucketPolicy = mergeStatements(existingPolicy, cloudTrailStatements({ bucket, prefix: values.prefix, account: arn.account, partition: arn.partition, orgId: values.orgId }));
  if (bucketPolicy.changed) await plan.write("s3", "PutBucketPolicy", `${bucket} Policy=${bucketPolicy.policy}`, () => buckets.putPolicy(bucket, bucketPolicy.policy));
  else plan.unchanged(`the policy of ${bucket} already lets CloudTrail write`);

  // 5. the notification of new log objects
  const existingNotification = exists ? await plan.read("s3", "GetBucketNotificationConfiguration", bucket, () => buckets.notification(bucket), (x) => `${(x.match(/<(Queue|Topic|CloudFunction)Configuration>/g) ?? []).length} configurations`) : "";
  const notification = mergeQueueNotification(existingNotification, logNotification(queueArn, values.prefix));
  if (notification.changed) {
    await plan.write("s3", "PutBucketNotificationConfiguration", `${bucket} ${notification.xml}`, () => buckets.putNotification(bucket, notification.xml));
  } else plan.unchanged(`${bucket} already notifies ${queue} of new log objects`);

  console.error(
    dryRun
      ? `setup: dry run: ${plan.writes === 0 ? "nothing to change" : `${plan.writes} call${plan.writes === 1 ? "" : "s"} would change something`}`
      : `setup: ${plan.writes === 0 ? "nothing to change: everything was set up already" : `done: ${plan.writes} change${plan.writes === 1 ? "" : "s"}`}`,
  );
  console.log(`CLOUDTRAIL_QUEUE_URL=${events.url ?? `(created by setup.ts without --dry-run)`}`);
  return 0;
});

/** Finds or creates a queue with these attributes; an existing queue gets what differs (SetQueueAttributes). */
async function ensureQueue(plan: Calls, sqs: SQS, name: string, wanted: Record<string, string>): Promise<{ url: string | undefined; arn: string | undefined; attributes: Record<string, string> }> {
  const url = await plan.read("sqs", "GetQueueUrl", name, () => sqs.queueUrl(name), (u) => u ?? "does not exist");
  if (!url) {
    const created = await plan.write("sqs", "CreateQueue", `${name} ${JSON.stringify(wanted)}`, () => sqs.createQueue(name, wanted));
    if (!created) return { url: undefined, arn: undefined, attributes: {} };
    const arn = await plan.read("sqs", "GetQueueAttributes", `${name} QueueArn`, () => sqs.queueArn(created), (a) => a);
    return { url: created, arn, attributes: {} };
  }
  const attributes = await plan.read("sqs", "GetQueueAttributes", `${name} All`, () => sqs.attributes(url, ["All"]), (a) => a.QueueArn ?? "");
  const differ = Object.fromEntries(Object.entries(wanted).filter(([k, v]) => (k === "RedrivePolicy" ? !sameRedrive(attributes[k], v) : attributes[k] !== v)));
  if (Object.keys(differ).length) await plan.write("sqs", "SetQueueAttributes", `${name} ${JSON.stringify(differ)}`, () => sqs.setAttributes(url, differ));
  else plan.unchanged(`${name} has the wanted attributes`);
  return { url, arn: attributes.QueueArn, attributes };
}
