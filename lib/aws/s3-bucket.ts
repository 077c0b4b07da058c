/**
 * A bucket's configuration, as `setup` needs it: the bucket policy and the event notification configuration, read
 * and written whole (S3 has no partial update of either: merging is the caller's job, see queue/setup.ts).
 * Over fetch, signed by aws4fetch; path-style with a custom endpoint, virtual-hosted on AWS; a bucket in another
 * region is followed once (`x-amz-bucket-region`).
 *
 * ```ts
 * const buckets = new S3Buckets({ credentials, region: "us-east-1" });
 * const policy = await buckets.policy("my-trail-bucket"); // undefined when the bucket has none
 * await buckets.putNotification("my-trail-bucket", xml);
 * ```
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "./credentials.ts";
import { S3Error } from "./s3.ts";
import { networkReason } from "../errors.ts";

export interface S3BucketsOptions {
  credentials: Credentials;
  region: string;
  endpoint?: string;
}

export class S3Buckets {
  readonly #client: AwsClient;
  readonly #endpoint: string | undefined;
  readonly #regions = new Map<string, string>();
  readonly region: string;

  constructor(options: S3BucketsOptions) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("S3Buckets needs credentials");
    if (!options.region) throw new TypeError("S3Buckets needs a region");
    this.region = options.region;
    this.#endpoint = options.endpoint?.replace(/\/+$/, "");
    this.#client = new AwsClient({ ...options.credentials, service: "s3", region: options.region, retries: 5 });
  }

  /** HeadBucket: whether the bucket exists (and is reachable with these credentials). */
  async exists(bucket: string): Promise<boolean> {
    const response = await this.#send(bucket, "HEAD", "");
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw new S3Error(response.status, `HTTP ${response.status}`, "HeadBucket", `s3://${bucket}`);
    return true;
  }

  /** GetBucketPolicy: the policy document, or undefined when the bucket has none. */
  async policy(bucket: string): Promise<string | undefined> {
    const response = await this.#send(bucket, "GET", "policy");
    if (response.status === 404) {
      const error = await s3Error(response, `s3://${bucket}?policy`);
      if (error.code === "NoSuchBucketPolicy") return undefined;
      throw error;
    }
    if (!response.ok) throw await s3Error(response, `s3://${bucket}?policy`);
    return response.text();
  }

  async putPolicy(bucket: string, policy: string): Promise<void> {
    const response = await this.#send(bucket, "PUT", "policy", policy);
    if (!response.ok) throw await s3Error(response, `s3://${bucket}?policy`);
    await response.body?.cancel();
  }

  /** GetBucketNotificationConfiguration, as XML. */
  async notification(bucket: string): Promise<string> {
    const response = await this.#send(bucket, "GET", "notification");
    if (!response.ok) throw await s3Error(response, `s3://${bucket}?notification`);
    return response.text();
  }

  /** PutBucketNotificationConfiguration: replaces the whole configuration. S3 then sends an s3:TestEvent to new destinations. */
  async putNotification(bucket: string, xml: string): Promise<void> {
    const response = await this.#send(bucket, "PUT", "notification", xml);
    if (!response.ok) throw await s3Error(response, `s3://${bucket}?notification`);
    await response.body?.cancel();
  }

  async #send(bucket: string, method: string, subresource: string, body?: string): Promise<Response> {
    const attempt = async (region: string) => {
      const url = this.#url(bucket, region, subresource);
      try {
        return await this.#client.fetch(url, { method, body, aws: { region } });
      } catch (error) {
        throw new Error(`S3 ${method} s3://${bucket}${subresource ? `?${subresource}` : ""} at ${new URL(url).origin} failed: ${networkReason(error)}`);
      }
    };
    const region = this.#regions.get(bucket) ?? this.region;
    const response = await attempt(region);
    const bucketRegion = response.headers.get("x-amz-bucket-region");
    if ((response.status === 301 || response.status === 400) && bucketRegion && bucketRegion !== region) {
      await response.body?.cancel();
      this.#regions.set(bucket, bucketRegion);
      return attempt(bucketRegion);
    }
    return response;
  }

  #url(bucket: string, region: string, subresource: string): string {
    const query = subresource ? `?${subresource}` : "";
    if (this.#endpoint) return `${this.#endpoint}/${bucket}${query}`;
    if (/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) return `https://${bucket}.s3.${region}.amazonaws.com/${query}`;
    return `https://s3.${region}.amazonaws.com/${bucket}${query}`;
  }
}

async function s3Error(response: Response, resource: string): Promise<S3Error> {
  const text = await response.text().catch(() => "");
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? `HTTP ${response.status}`;
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? "";
  return new S3Error(response.status, code, message, resource);
}
