/**
 * What `setup` writes, as pure functions: the CloudTrail statements of the bucket policy, the queue policy that
 * lets the bucket send, the redrive policy, and the bucket's notification for new log objects, each merged into
 * what is already there. Nothing else in an existing policy or notification configuration is touched, and a
 * merge that changes nothing says so, which is what makes setup idempotent.
 *
 * ```ts
 * const { policy, changed } = mergeStatements(existingPolicy, cloudTrailStatements({ bucket, account, partition: "aws" }));
 * const notification = mergeQueueNotification(existingXml, { id: "trailpost", queueArn, prefix: "AWSLogs/", suffix: ".json.gz" });
 * ```
 */
import { normalizePrefix } from "../cloudtrail/layout.ts";

export interface Statement {
  Sid?: string;
  Effect: string;
  Principal: unknown;
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: string;
  Id?: string;
  Statement: Statement[];
}

/** `arn:<partition>:sqs:<region>:<account>:<name>` → its parts. */
export function parseArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } {
  const m = /^arn:([a-z-]+):([a-z0-9-]+):([a-z0-9-]*):(\d{12}|):(.+)$/.exec(arn);
  if (!m) throw new Error(`not an ARN: ${JSON.stringify(arn)}`);
  return { partition: m[1]!, service: m[2]!, region: m[3]!, account: m[4]!, resource: m[5]! };
}

/**
 * CloudTrail's own bucket policy (AWS CloudTrail User Guide, "Amazon S3 bucket policy for CloudTrail"): it may read
 * the bucket ACL and write `[prefix/]AWSLogs/<account>/*` (and `AWSLogs/<org-id>/*` for an organization trail)
 * with `bucket-owner-full-control`, only for trails of `account`.
 */
export function cloudTrailStatements(o: { bucket: string; prefix?: string; account: string; partition: string; orgId?: string }): Statement[] {
  const bucketArn = `arn:${o.partition}:s3:::${o.bucket}`;
  const root = `${bucketArn}/${normalizePrefix(o.prefix)}AWSLogs`;
  const resources = [`${root}/${o.account}/*`, ...(o.orgId ? [`${root}/${o.orgId}/*`] : [])];
  const principal = { Service: "cloudtrail.amazonaws.com" };
  return [
    { Sid: "TrailpostCloudTrailAclCheck", Effect: "Allow", Principal: principal, Action: "s3:GetBucketAcl", Resource: bucketArn, Condition: { StringEquals: { "aws:SourceAccount": o.account } } },
    {
      Sid: "TrailpostCloudTrailWrite",
      Effect: "Allow",
      Principal: principal,
      Action: "s3:PutObject",
      Resource: resources.length === 1 ? resources[0]! : resources,
      Condition: { StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceAccount": o.account } },
    },
  ];
}

/** The queue policy statement letting S3 send this bucket's events (and only this bucket's, of this account). */
export function queuePolicyStatement(o: { queueArn: string; bucket: string; account: string; partition: string }): Statement {
  return {
    Sid: "TrailpostS3Notifications",
    Effect: "Allow",
    Principal: { Service: "s3.amazonaws.com" },
    Action: "sqs:SendMessage",
    Resource: o.queueArn,
    Condition: { ArnLike: { "aws:SourceArn": `arn:${o.partition}:s3:::${o.bucket}` }, StringEquals: { "aws:SourceAccount": o.account } },
  };
}

/**
 * The statements put into an existing policy (or a new one): a statement with the same Sid is replaced, all others
 * are kept as they are. A CloudTrail statement is left out when the policy already grants CloudTrail that action
 * (a console-made trail bucket has its own). `changed` is false when the policy already says all of it.
 */
export function mergeStatements(existing: string | undefined, wanted: Statement[]): { policy: string; changed: boolean } {
  let document: PolicyDocument;
  if (existing && existing.trim()) {
    const parsed = JSON.parse(existing) as Partial<PolicyDocument> & { Statement?: Statement | Statement[] };
    const statements = Array.isArray(parsed.Statement) ? parsed.Statement : parsed.Statement ? [parsed.Statement] : [];
    document = { ...parsed, Version: parsed.Version ?? "2012-10-17", Statement: statements };
  } else document = { Version: "2012-10-17", Statement: [] };
  let changed = false;
  for (const statement of wanted) {
    const same = document.Statement.findIndex((s) => s.Sid !== undefined && s.Sid === statement.Sid);
    if (same >= 0) {
      if (canonical(document.Statement[same]) !== canonical(statement)) {
        document.Statement[same] = statement;
        changed = true;
      }
      continue;
    }
    if (grantsAlready(document.Statement, statement)) continue;
    document.Statement.push(statement);
    changed = true;
  }
  return { policy: JSON.stringify(document), changed };
}

/** Another statement already allows this principal service this action (and the resource, if it names it). */
function grantsAlready(statements: Statement[], wanted: Statement): boolean {
  const service = (wanted.Principal as { Service?: string }).Service;
  if (service !== "cloudtrail.amazonaws.com") return false;
  const actions = list(wanted.Action);
  return statements.some((s) => {
    if (s.Effect !== "Allow") return false;
    const services = list((s.Principal as { Service?: string | string[] } | undefined)?.Service);
    return services.includes(service) && actions.every((a) => list(s.Action).some((b) => b === a || b === "s3:*" || b === "*"));
  });
}

export interface QueueNotification {
  id: string;
  queueArn: string;
  /** Key prefix of the notification, e.g. `AWSLogs/` or `trails/AWSLogs/`. */
  prefix: string;
  suffix: string;
  events?: string[];
}

/** The notification for new log objects: every ObjectCreated event on `[prefix/]AWSLogs/…json.gz`. */
export function logNotification(queueArn: string, trailPrefix?: string): QueueNotification {
  return { id: "trailpost", queueArn, prefix: `${normalizePrefix(trailPrefix)}AWSLogs/`, suffix: ".json.gz", events: ["s3:ObjectCreated:*"] };
}

/**
 * The notification configuration with `wanted` in it: a QueueConfiguration with the same Id is replaced; any other
 * configuration (queues, topics, Lambda functions, EventBridge) is kept byte for byte. Unchanged when a
 * configuration with the same queue, events and filter is there already, under any Id.
 */
export function mergeQueueNotification(existingXml: string, wanted: QueueNotification): { xml: string; changed: boolean } {
  const events = wanted.events ?? ["s3:ObjectCreated:*"];
  const blocks = [...existingXml.matchAll(/<QueueConfiguration>([\s\S]*?)<\/QueueConfiguration>/g)];
  const describe = (body: string) => ({
    id: tag(body, "Id"),
    queue: tag(body, "Queue"),
    events: [...body.matchAll(/<Event>([\s\S]*?)<\/Event>/g)].map((m) => m[1]!.trim()).sort(),
    rules: Object.fromEntries([...body.matchAll(/<FilterRule>([\s\S]*?)<\/FilterRule>/g)].map((m) => [(tag(m[1]!, "Name") ?? "").toLowerCase(), tag(m[1]!, "Value") ?? ""])),
  });
  const matches = (d: ReturnType<typeof describe>) =>
    d.queue === wanted.queueArn && d.events.join() === [...events].sort().join() && d.rules.prefix === wanted.prefix && d.rules.suffix === wanted.suffix && Object.keys(d.rules).length === 2;
  if (blocks.some((b) => matches(describe(b[1]!)))) return { xml: existingXml, changed: false };

  const ours =
    `<QueueConfiguration><Id>${xmlEscape(wanted.id)}</Id><Queue>${xmlEscape(wanted.queueArn)}</Queue>` +
    events.map((e) => `<Event>${xmlEscape(e)}</Event>`).join("") +
    `<Filter><S3Key><FilterRule><Name>prefix</Name><Value>${xmlEscape(wanted.prefix)}</Value></FilterRule>` +
    `<FilterRule><Name>suffix</Name><Value>${xmlEscape(wanted.suffix)}</Value></FilterRule></S3Key></Filter></QueueConfiguration>`;
  let body = /<NotificationConfiguration[^>]*\/>/.test(existingXml) ? "" : (/<NotificationConfiguration[^>]*>([\s\S]*)<\/NotificationConfiguration>/.exec(existingXml)?.[1] ?? "");
  for (const block of blocks) if (describe(block[1]!).id === wanted.id) body = body.replace(block[0], "");
  return { xml: `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${body.trim()}${ours}</NotificationConfiguration>`, changed: true };
}

/** `{"deadLetterTargetArn":…,"maxReceiveCount":N}`, as SQS stores it. */
export function redrivePolicy(dlqArn: string, maxReceiveCount: number): string {
  return JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount });
}

/** Whether two redrive policies say the same (SQS may give the count back as a string). */
export function sameRedrive(a: string | undefined, b: string): boolean {
  if (!a) return false;
  try {
    const x = JSON.parse(a) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
    const y = JSON.parse(b) as { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
    return x.deadLetterTargetArn === y.deadLetterTargetArn && Number(x.maxReceiveCount) === Number(y.maxReceiveCount);
  } catch {
    return false;
  }
}

/** JSON with keys sorted at every level, for comparing policies whatever their key order. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

function list(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : value === undefined ? [] : [String(value)];
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? xmlUnescape(m[1]!.trim()) : undefined;
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, e: string) =>
    e[0] === "#" ? String.fromCodePoint(e[1] === "x" ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)) : ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[e]!,
  );
}
