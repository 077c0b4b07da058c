/**
 * The few S3 calls trailpost needs, over fetch and signed by aws4fetch: ListObjectsV2 (paginated, with a
 * delimiter for folder discovery), GetObject, and for demos and tests CreateBucket, PutObject and
 * PutBucketNotificationConfiguration.
 *
 * Endpoints follow the AWS SDKs: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then
 * `https://s3.<region>.amazonaws.com`. A custom endpoint (LocalStack, MinIO) is addressed path-style; AWS itself
 * virtual-hosted style when the bucket name allows it. A bucket in another region is followed once, using the
 * region S3 names in `x-amz-bucket-region`.
 *
 * ```ts
 * const s3 = new S3({ credentials, region: "us-east-1" });
 * for await (const object of s3.list("my-trail-bucket", "AWSLogs/123456789012/CloudTrail/us-east-1/2013/12/07/")) {
 *   const response = await s3.get("my-trail-bucket", object.key);
 * }
 * ```
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "./credentials.ts";
import { networkReason } from "../errors.ts";

export interface S3Options {
  credentials: Credentials;
  region: string;
  /** Custom endpoint (LocalStack, MinIO, a VPC endpoint); path-style addressing is used with it. */
  endpoint?: string;
  /** Attempts for 5xx and 429 answers (aws4fetch backs off with jitter). Default 5. */
  retries?: number;
}

export interface S3Object {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
}

export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource: string,
  ) {
    super(`${resource}: ${code}${message ? ` (${message})` : ""}`);
  }
}

export class S3 {
  readonly #client: AwsClient;
  readonly #endpoint: string | undefined;
  readonly #regions = new Map<string, string>();
  readonly region: string;

  constructor(options: S3Options) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("S3 needs credentials");
    if (!options.region) throw new TypeError("S3 needs a region");
    this.region = options.region;
    this.#endpoint = options.endpoint?.replace(/\/+$/, "");
    this.#client = new AwsClient({ ...options.credentials, service: "s3", region: options.region, retries: options.retries ?? 5 });
  }

  /** Every object under `prefix`, in key order, page by page (1000 keys per request). */
  async *list(bucket: string, prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<S3Object> {
    let token: string | undefined;
    do {
      const page = await this.#listPage(bucket, { prefix, token, startAfter: token ? undefined : options.startAfter });
      yield* page.objects;
      token = page.nextToken;
    } while (token);
  }

  /** The "folders" directly under `prefix` (CommonPrefixes with delimiter "/"), e.g. account ids or regions. */
  async folders(bucket: string, prefix: string): Promise<string[]> {
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#listPage(bucket, { prefix, token, delimiter: "/" });
      folders.push(...page.prefixes);
      token = page.nextToken;
    } while (token);
    return folders;
  }

  /**
   * GetObject. The body is the object's bytes as stored: CloudTrail stores logs with `Content-Encoding: gzip`,
   * which fetch would undo (leniently: a truncated gzip would pass as shorter JSON), so the request asks S3 to
   * answer `Content-Encoding: identity` (`response-content-encoding`). Should a server ignore that, fetch decodes
   * and `transportDecoded(response)` says so.
   */
  async get(bucket: string, key: string): Promise<Response> {
    const response = await this.#send(bucket, key, { method: "GET", query: { "response-content-encoding": "identity" } });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}/${key}`);
    return response;
  }

  async put(bucket: string, key: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<void> {
    const response = await this.#send(bucket, key, { method: "PUT", body: typeof body === "string" ? body : toArrayBuffer(body), headers });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}/${key}`);
    await response.body?.cancel();
  }

  /** CreateBucket; an existing bucket you own is fine. */
  async createBucket(bucket: string): Promise<void> {
    const body = this.region === "us-east-1"
      ? undefined
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${this.region}</LocationConstraint></CreateBucketConfiguration>`;
    const response = await this.#send(bucket, "", { method: "PUT", body });
    if (response.ok) return void (await response.body?.cancel());
    const error = await s3Error(response, `s3://${bucket}`);
    if (error.code !== "BucketAlreadyOwnedByYou") throw error;
  }

  /** Sends every ObjectCreated event of the bucket to an SQS queue. */
  async notifyQueue(bucket: string, queueArn: string, events = ["s3:ObjectCreated:*"]): Promise<void> {
    const body = `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><QueueConfiguration><Queue>${xmlEscape(queueArn)}</Queue>` +
      events.map((e) => `<Event>${xmlEscape(e)}</Event>`).join("") + `</QueueConfiguration></NotificationConfiguration>`;
    const response = await this.#send(bucket, "", { method: "PUT", body, query: { notification: "" } });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}?notification`);
    await response.body?.cancel();
  }

  async #listPage(bucket: string, p: { prefix: string; token?: string; startAfter?: string; delimiter?: string }) {
    const query: Record<string, string> = { "list-type": "2", prefix: p.prefix };
    if (p.token) query["continuation-token"] = p.token;
    if (p.startAfter) query["start-after"] = p.startAfter;
    if (p.delimiter) query.delimiter = p.delimiter;
    const response = await this.#send(bucket, "", { method: "GET", query });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}/${p.prefix}`);
    return parseListObjects(await response.text());
  }

  async #send(bucket: string, key: string, init: { method: string; body?: string | ArrayBuffer; headers?: Record<string, string>; query?: Record<string, string> }): Promise<Response> {
    const attempt = async (region: string) => {
      const url = this.#url(bucket, key, region, init.query);
      try {
        return await this.#client.fetch(url, { method: init.method, body: init.body, headers: init.headers, aws: { region } });
      } catch (error) {
        throw new Error(`S3 ${init.method} s3://${bucket}/${key} at ${new URL(url).origin} failed: ${networkReason(error)}`);
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

  #url(bucket: string, key: string, region: string, query?: Record<string, string>): string {
    const path = key.split("/").map(encodeRfc3986).join("/");
    let url: string;
    if (this.#endpoint) url = `${this.#endpoint}/${bucket}${key ? `/${path}` : ""}`;
    else if (/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) url = `https://${bucket}.s3.${region}.amazonaws.com/${path}`;
    else url = `https://s3.${region}.amazonaws.com/${bucket}${key ? `/${path}` : ""}`;
    if (query) {
      const params = Object.entries(query).map(([k, v]) => (v === "" ? encodeRfc3986(k) : `${encodeRfc3986(k)}=${encodeRfc3986(v)}`));
      url += `?${params.join("&")}`;
    }
    return url;
  }
}

/** Whether fetch already undid a `Content-Encoding: gzip` that S3 stored with the object (CloudTrail sets it). */
export function transportDecoded(response: Response): boolean {
  return /\bgzip\b/i.test(response.headers.get("content-encoding") ?? "");
}

export function parseListObjects(xml: string): { objects: S3Object[]; prefixes: string[]; nextToken: string | undefined } {
  const objects: S3Object[] = [];
  for (const block of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const body = block[1]!;
    objects.push({
      key: xmlText(body, "Key") ?? "",
      size: Number(xmlText(body, "Size") ?? 0),
      etag: (xmlText(body, "ETag") ?? "").replaceAll('"', ""),
      lastModified: xmlText(body, "LastModified") ?? "",
    });
  }
  const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].map((m) => xmlText(m[1]!, "Prefix") ?? "");
  const truncated = xmlText(xml, "IsTruncated") === "true";
  return { objects, prefixes, nextToken: truncated ? xmlText(xml, "NextContinuationToken") : undefined };
}

async function s3Error(response: Response, resource: string): Promise<S3Error> {
  const text = await response.text().catch(() => "");
  const code = xmlText(text, "Code") ?? `HTTP ${response.status}`;
  return new S3Error(response.status, code, xmlText(text, "Message") ?? "", resource);
}

function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(xml);
  return match ? xmlUnescape(match[1]!) : undefined;
}

function xmlUnescape(text: string): string {
  return text.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_, entity: string) => {
    if (entity[0] === "#") return String.fromCodePoint(entity[1] === "x" ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10));
    return ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[entity]!;
  });
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The bytes as an ArrayBuffer of exactly their length (a Node Buffer is often a view into a larger pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
