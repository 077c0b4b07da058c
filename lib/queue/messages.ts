/**
 * What a queue message (or an SNS push) says: which S3 objects were created. Every shape that occurs:
 *
 * - an S3 event notification, `{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{…}}]}`,
 *   keys form-URL-encoded (see keys.ts);
 * - the same wrapped by SNS, `{"Type":"Notification","Message":"<the S3 event as a string>",…}` (raw delivery
 *   off), also SNS-wrapped CloudTrail and EventBridge messages;
 * - CloudTrail's own SNS notification, `{"s3Bucket":"…","s3ObjectKey":["AWSLogs/…json.gz",…]}`;
 * - EventBridge "Object Created", `{"source":"aws.s3","detail-type":"Object Created","detail":{"bucket":{…},"object":{…}}}`
 *   (also without `detail-type`, as Security Lake sends it);
 * - `s3:TestEvent`, sent once when a notification is configured: `test`, to be deleted.
 *
 * ```ts
 * const parsed = parseMessage(body);
 * if (parsed.kind === "objects") for (const o of parsed.objects) await s3.get(o.bucket, o.key);
 * ```
 *
 * Valid S3 events that are not ObjectCreated (ObjectRemoved, …) are `ignored`. Anything else is `unknown`, with
 * the reason: a consumer leaves such a message for the dead-letter queue rather than deleting it, so that nothing
 * is dropped silently. How EventBridge and CloudTrail's SNS encode keys is not settled (EventBridge has been seen
 * both ways), so those objects carry the other spelling as `alternateKey`, to try when the first is not found.
 */
import { decodeKey, KeyError } from "./keys.ts";

export interface ObjectRef {
  bucket: string;
  /** The key to read, decoded. */
  key: string;
  /** The other reading of the key in the message, to try should `key` not exist. */
  alternateKey?: string;
  /** Bytes, when the message says. */
  size?: number;
  /** When S3 saw the object created (the event's time), when the message says. */
  eventTime?: string;
}

export type ParsedMessage =
  | { kind: "objects"; shape: string; objects: ObjectRef[]; ignored: number }
  | { kind: "test"; shape: string }
  | { kind: "ignored"; shape: string; reason: string }
  | { kind: "unknown"; reason: string };

export function parseMessage(body: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    return { kind: "unknown", reason: `not JSON: ${preview(body)}` };
  }
  return parseValue(value, "");
}

function parseValue(value: unknown, via: string): ParsedMessage {
  if (!isObject(value)) return { kind: "unknown", reason: `not a JSON object: ${preview(JSON.stringify(value))}` };
  if (typeof value.Type === "string" && "Message" in value && "TopicArn" in value) return fromSns(value, via);
  if (value.Event === "s3:TestEvent") return { kind: "test", shape: `${via}s3:TestEvent` };
  if (Array.isArray(value.Records)) return fromS3Event(value.Records, via);
  if ("s3ObjectKey" in value || "s3Bucket" in value) return fromCloudTrail(value, via);
  if (value.source === "aws.s3" && isObject(value.detail)) return fromEventBridge(value, via);
  return { kind: "unknown", reason: `not an S3, SNS, CloudTrail or EventBridge notification (keys: ${Object.keys(value).slice(0, 8).join(", ")})` };
}

function fromSns(envelope: Record<string, unknown>, via: string): ParsedMessage {
  if (via) return { kind: "unknown", reason: "an SNS envelope inside an SNS envelope" };
  if (envelope.Type !== "Notification") {
    return { kind: "unknown", reason: `SNS ${String(envelope.Type)} for ${String(envelope.TopicArn)}, not a Notification${envelope.Type === "SubscriptionConfirmation" ? " (confirm the subscription with its SubscribeURL if it is wanted)" : ""}` };
  }
  if (typeof envelope.Message !== "string") return { kind: "unknown", reason: "SNS Notification without a Message string" };
  let inner: unknown;
  try {
    inner = JSON.parse(envelope.Message);
  } catch {
    return { kind: "unknown", reason: `SNS Notification from ${String(envelope.TopicArn)} whose Message is not JSON: ${preview(envelope.Message)}` };
  }
  return parseValue(inner, "sns/");
}

function fromS3Event(records: unknown[], via: string): ParsedMessage {
  const shape = `${via}s3`;
  const objects: ObjectRef[] = [];
  let ignored = 0;
  if (records.length === 0) return { kind: "unknown", reason: "an empty Records array" };
  for (const [i, record] of records.entries()) {
    if (!isObject(record) || record.eventSource !== "aws:s3" || !isObject(record.s3)) {
      return { kind: "unknown", reason: `Records[${i}] is not an S3 event (eventSource ${JSON.stringify(isObject(record) ? record.eventSource : record)})` };
    }
    const major = String(record.eventVersion ?? "").split(".")[0];
    if (major !== "2") return { kind: "unknown", reason: `Records[${i}]: S3 event version ${JSON.stringify(record.eventVersion)} (only 2.x is known)` };
    if (typeof record.eventName !== "string" || !/^(s3:)?ObjectCreated:/.test(record.eventName)) {
      ignored++;
      continue;
    }
    const bucket = isObject(record.s3.bucket) ? record.s3.bucket.name : undefined;
    const object = isObject(record.s3.object) ? record.s3.object : undefined;
    if (!isBucketName(bucket) || typeof object?.key !== "string" || object.key === "") {
      return { kind: "unknown", reason: `Records[${i}]: no valid s3.bucket.name and s3.object.key` };
    }
    let key: string;
    try {
      key = decodeKey(object.key);
    } catch (error) {
      return { kind: "unknown", reason: `Records[${i}]: ${(error as KeyError).message}` };
    }
    objects.push(ref(bucket, key, object.key, object.size, record.eventTime));
  }
  if (objects.length === 0) return { kind: "ignored", shape, reason: `no ObjectCreated event (${records.length === 1 ? String((records[0] as Record<string, unknown>).eventName) : `${records.length} other events`})` };
  return { kind: "objects", shape, objects, ignored };
}

function fromCloudTrail(value: Record<string, unknown>, via: string): ParsedMessage {
  const keys = value.s3ObjectKey;
  if (!isBucketName(value.s3Bucket) || !Array.isArray(keys) || keys.length === 0 || !keys.every((k) => typeof k === "string" && k !== "")) {
    return { kind: "unknown", reason: "a CloudTrail notification without a valid s3Bucket and a non-empty s3ObjectKey list" };
  }
  const bucket = value.s3Bucket;
  // CloudTrail writes the keys as JSON strings; should they ever come URL-encoded, the decoded form is the alternative
  const objects = (keys as string[]).map((key) => {
    let decoded: string | undefined;
    try {
      decoded = decodeKey(key);
    } catch {
      decoded = undefined;
    }
    return { bucket, key, ...(decoded !== undefined && decoded !== key ? { alternateKey: decoded } : {}) };
  });
  return { kind: "objects", shape: `${via}cloudtrail`, objects, ignored: 0 };
}

function fromEventBridge(value: Record<string, unknown>, via: string): ParsedMessage {
  const shape = `${via}eventbridge`;
  const detailType = value["detail-type"];
  if (detailType !== undefined && detailType !== "Object Created") return { kind: "ignored", shape, reason: `EventBridge ${JSON.stringify(detailType)}` };
  const detail = value.detail as Record<string, unknown>;
  const bucket = isObject(detail.bucket) ? detail.bucket.name : undefined;
  const object = isObject(detail.object) ? detail.object : undefined;
  if (!isBucketName(bucket) || typeof object?.key !== "string" || object.key === "") {
    return { kind: "unknown", reason: "an EventBridge S3 event without a valid detail.bucket.name and detail.object.key" };
  }
  let key: string;
  try {
    key = decodeKey(object.key);
  } catch {
    key = object.key; // not URL-encoded after all
  }
  return { kind: "objects", shape, objects: [ref(bucket, key, object.key, object.size, value.time)], ignored: 0 };
}

function ref(bucket: string, key: string, raw: string, size: unknown, eventTime: unknown): ObjectRef {
  const out: ObjectRef = { bucket, key };
  if (raw !== key) out.alternateKey = raw;
  if (typeof size === "number" && Number.isSafeInteger(size) && size >= 0) out.size = size;
  if (typeof eventTime === "string") out.eventTime = eventTime;
  return out;
}

/** S3 bucket names (3-63 characters of a-z 0-9 . -, also the older names with capitals and underscores). */
function isBucketName(name: unknown): name is string {
  return typeof name === "string" && /^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/.test(name);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function preview(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
