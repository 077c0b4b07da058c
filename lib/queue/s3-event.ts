/**
 * An S3 event notification for one object, shaped as S3 sends it to SQS (`eventVersion` 2.1, `ObjectCreated:Put`,
 * the key form-URL-encoded): what `enqueue` sends for each object of a backfill, so that workers read backfills
 * and live events the same way.
 *
 * ```ts
 * const body = s3EventMessage({ bucket: "my-trail-bucket", key: "AWSLogs/…json.gz", size: 1843, region: "us-east-1" });
 * parseMessage(body); // { kind: "objects", objects: [{ bucket, key, size, … }] }
 * ```
 */
import { encodeKey } from "./keys.ts";

export interface EventObject {
  bucket: string;
  key: string;
  size?: number;
  etag?: string;
  /** The bucket's region (default us-east-1). */
  region?: string;
  /** Default: now. */
  time?: Date;
}

export function s3EventMessage(o: EventObject): string {
  const record = {
    eventVersion: "2.1",
    eventSource: "aws:s3",
    awsRegion: o.region ?? "us-east-1",
    eventTime: (o.time ?? new Date()).toISOString(),
    eventName: "ObjectCreated:Put",
    userIdentity: { principalId: "trailpost-enqueue" },
    requestParameters: { sourceIPAddress: "127.0.0.1" },
    responseElements: {},
    s3: {
      s3SchemaVersion: "1.0",
      configurationId: "trailpost-enqueue",
      bucket: { name: o.bucket, arn: `arn:aws:s3:::${o.bucket}` },
      object: { key: encodeKey(o.key), ...(o.size !== undefined ? { size: o.size } : {}), ...(o.etag ? { eTag: o.etag } : {}) },
    },
  };
  return JSON.stringify({ Records: [record] });
}
