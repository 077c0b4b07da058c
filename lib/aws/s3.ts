/**
 * The few S3 calls trailpost needs, over fetch and signed by aws4fetch: ListObjectsV2 (paginated, with a
 * delimiter for folder discovery), GetObject (whole, or from a byte with `Range` and `If-Match`: see download.ts
 * for bodies that survive a broken connection), and for demos and tests CreateBucket, PutObject and
 * PutBucketNotificationConfiguration.
 *
 * Endpoints follow the AWS SDKs: `AWS_ENDPOINT_URL_S3`, then `AWS_ENDPOINT_URL`, then
 * `https://s3.<region>.amazonaws.com` (`.amazonaws.com.cn` in China). A custom endpoint (LocalStack, MinIO) is
 * addressed path-style; AWS itself virtual-hosted style when the bucket name allows it.
 *
 * Where a signed request may go: only to the configured endpoint, or to S3 of the configured region's partition.
 * - fetch never follows a redirect (`redirect: "manual"`): the signature, the access key id and the session token
 *   would go wherever a `Location` header points. A 3xx is an error naming where it pointed.
 * - A bucket in another region is followed once, using the region S3 names in `x-amz-bucket-region`, and only if
 *   that is a region name (`^[a-z]{2}(-[a-z]+)+-\d{1,2}$`) of the same partition (a China or GovCloud bucket is
 *   never reached with commercial credentials, nor the other way round). With a custom endpoint the host never
 *   changes; only the signing region does.
 *
 * Keys are requested as the keys they are: every byte outside RFC 3986's unreserved set is percent-encoded, and a
 * key with a `.` or `..` segment has its `/` sent as `%2F`, because URL parsing (WHATWG, in fetch) would otherwise
 * remove those segments and address another object, the bucket, or the account. S3 decodes `%2F` to `/` and signs
 * the decoded key, as aws4fetch does. A key that is only `.` or `..` cannot be addressed through fetch and is an
 * error.
 *
 * Listings ask for `encoding-type=url` (keys with characters XML 1.0 cannot carry arrive intact). A page that says
 * it is truncated but gives no continuation token, a token that repeats, and a page that is not a complete
 * ListBucketResult are errors naming the listing, never a silent end or an endless loop.
 *
 * Requests are retried on network errors, 429 and 5xx (exponential backoff, full jitter).
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
  /** Retries after a network error, 429 or 5xx answer. Default 5. */
  retries?: number;
  /** First backoff, ms, doubling with full jitter up to 5 s. Default 100. */
  backoffMs?: number;
  /** The fetch to send with (tests; a fetch with extra TLS trust). Default the global fetch. */
  fetch?: typeof fetch;
}

export interface S3Object {
  key: string;
  size: number;
  etag: string;
  lastModified: string;
}

export interface GetOptions {
  /** Extra request headers, e.g. `range` and `if-match` (download.ts). */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export class S3Error extends Error {
  /** The code and S3's message, without the resource. */
  readonly reason: string;

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly resource: string,
  ) {
    const reason = `${code}${message ? ` (${message})` : ""}`;
    super(`${resource}: ${reason}`);
    this.reason = reason;
  }
}

/** An AWS region name: `us-east-1`, `us-gov-west-1`, `cn-north-1`, `ap-southeast-5`. */
export const REGION = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The partition of a region and the DNS suffix of its endpoints. */
export function partitionOf(region: string): { partition: string; dnsSuffix: string } {
  if (region.startsWith("cn-")) return { partition: "aws-cn", dnsSuffix: "amazonaws.com.cn" };
  if (region.startsWith("us-gov-")) return { partition: "aws-us-gov", dnsSuffix: "amazonaws.com" };
  if (region.startsWith("us-isob-")) return { partition: "aws-iso-b", dnsSuffix: "sc2s.sgov.gov" };
  if (region.startsWith("us-isof-")) return { partition: "aws-iso-f", dnsSuffix: "csp.hci.ic.gov" };
  if (region.startsWith("us-iso-")) return { partition: "aws-iso", dnsSuffix: "c2s.ic.gov" };
  if (region.startsWith("eu-isoe-")) return { partition: "aws-iso-e", dnsSuffix: "cloud.adc-e.uk" };
  return { partition: "aws", dnsSuffix: "amazonaws.com" };
}

const RETRY_STATUS = new Set([429, 500, 502, 503, 504]);
const REGION_REDIRECT_STATUS = new Set([301, 307, 400]);

interface SendInit {
  method: string;
  body?: string | ArrayBuffer;
  headers?: Record<string, string>;
  query?: Record<string, string>;
  signal?: AbortSignal;
}

export class S3 {
  readonly #client: AwsClient;
  readonly #endpoint: string | undefined;
  readonly #regions = new Map<string, string>();
  readonly #fetch: typeof fetch;
  readonly #retries: number;
  readonly #backoffMs: number;
  readonly region: string;

  constructor(options: S3Options) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("S3 needs credentials");
    if (!options.region) throw new TypeError("S3 needs a region");
    if (options.endpoint) {
      let url: URL;
      try {
        url = new URL(options.endpoint);
      } catch {
        throw new TypeError("the S3 endpoint must be an http(s) URL");
      }
      if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`the S3 endpoint must be http or https, not ${url.protocol}`);
      if (url.search || url.hash) throw new TypeError("the S3 endpoint must have no query or fragment");
      if (!/^[a-z0-9-]{1,64}$/.test(options.region)) throw new TypeError(`not a region name: ${JSON.stringify(options.region)}`);
    } else if (!REGION.test(options.region)) {
      // it becomes part of the host name: s3.<region>.amazonaws.com
      throw new TypeError(`not an AWS region: ${JSON.stringify(options.region)} (like us-east-1)`);
    }
    const retries = options.retries ?? 5;
    if (!Number.isInteger(retries) || retries < 0) throw new TypeError(`retries must be a whole number, not ${retries}`);
    this.region = options.region;
    this.#endpoint = options.endpoint?.replace(/\/+$/, "");
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#retries = retries;
    this.#backoffMs = options.backoffMs ?? 100;
    this.#client = new AwsClient({ ...options.credentials, service: "s3", region: options.region, retries: 0 });
  }

  /** Every object under `prefix`, in key order, page by page (1000 keys per request). */
  async *list(bucket: string, prefix: string, options: { startAfter?: string } = {}): AsyncGenerator<S3Object> {
    const pages = new Pages(`s3://${bucket}/${prefix}`);
    let token: string | undefined;
    do {
      const page = await this.#listPage(bucket, { prefix, token, startAfter: token ? undefined : options.startAfter });
      yield* page.objects;
      token = pages.next(page);
    } while (token);
  }

  /** The "folders" directly under `prefix` (CommonPrefixes with delimiter "/"), e.g. account ids or regions. */
  async folders(bucket: string, prefix: string): Promise<string[]> {
    const pages = new Pages(`s3://${bucket}/${prefix} (folders)`);
    const folders: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.#listPage(bucket, { prefix, token, delimiter: "/" });
      folders.push(...page.prefixes);
      token = pages.next(page);
    } while (token);
    return folders;
  }

  /**
   * GetObject. The body is the object's bytes as stored: CloudTrail stores logs with `Content-Encoding: gzip`,
   * which fetch would undo (leniently: a truncated gzip would pass as shorter JSON), so the request asks S3 to
   * answer `Content-Encoding: identity` (`response-content-encoding`). Should a server ignore that, fetch decodes
   * and `transportDecoded(response)` says so. Resolves with 200 or 206; any other answer is an S3Error.
   */
  async get(bucket: string, key: string, options: GetOptions = {}): Promise<Response> {
    requireKey(bucket, key);
    const response = await this.#send(bucket, key, { method: "GET", query: { "response-content-encoding": "identity" }, headers: options.headers, signal: options.signal });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}/${key}`);
    return response;
  }

  async put(bucket: string, key: string, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<void> {
    requireKey(bucket, key);
    const response = await this.#send(bucket, key, { method: "PUT", body: typeof body === "string" ? body : toArrayBuffer(body), headers });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}/${key}`);
    await response.body?.cancel();
  }

  /** CreateBucket; an existing bucket you own is fine. */
  async createBucket(bucket: string): Promise<void> {
    const body = this.region === "us-east-1"
      ? undefined
      : `<CreateBucketConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><LocationConstraint>${this.region}</LocationConstraint></CreateBucketConfiguration>`;
    const response = await this.#send(bucket, undefined, { method: "PUT", body });
    if (response.ok) return void (await response.body?.cancel());
    const error = await s3Error(response, `s3://${bucket}`);
    if (error.code !== "BucketAlreadyOwnedByYou") throw error;
  }

  /** Sends every ObjectCreated event of the bucket to an SQS queue. */
  async notifyQueue(bucket: string, queueArn: string, events = ["s3:ObjectCreated:*"]): Promise<void> {
    const body = `<NotificationConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><QueueConfiguration><Queue>${xmlEscape(queueArn)}</Queue>` +
      events.map((e) => `<Event>${xmlEscape(e)}</Event>`).join("") + `</QueueConfiguration></NotificationConfiguration>`;
    const response = await this.#send(bucket, undefined, { method: "PUT", body, query: { notification: "" } });
    if (!response.ok) throw await s3Error(response, `s3://${bucket}?notification`);
    await response.body?.cancel();
  }

  /**
   * A presigned GetObject URL (SigV4 in the query string, valid `expiresIn` seconds, default 3600) for the same
   * path a GET would use. For handing an object to another program, and for servers that check signatures only
   * in URLs (LocalStack).
   */
  async presign(bucket: string, key: string, options: { expiresIn?: number } = {}): Promise<string> {
    requireKey(bucket, key);
    const expires = options.expiresIn ?? 3600;
    if (!Number.isInteger(expires) || expires < 1 || expires > 604_800) throw new TypeError(`expiresIn must be 1 to 604800 seconds, not ${expires}`);
    const region = this.#regions.get(bucket) ?? this.region;
    const url = this.#url(bucket, key, region, { "X-Amz-Expires": String(expires) });
    const signed = await this.#client.sign(url, { method: "GET", aws: { region, signQuery: true } } as RequestInit);
    return signed.url;
  }

  /** The URL a request for the object goes to (what is signed; tests compare it with other clients). */
  url(bucket: string, key: string, query?: Record<string, string>): string {
    requireKey(bucket, key);
    return this.#url(bucket, key, this.#regions.get(bucket) ?? this.region, query);
  }

  /** One page; a body that breaks off is asked for again (the page is idempotent), like a failed request. */
  async #listPage(bucket: string, p: { prefix: string; token?: string; startAfter?: string; delimiter?: string }) {
    const query: Record<string, string> = { "list-type": "2", "encoding-type": "url", prefix: p.prefix };
    if (p.token) query["continuation-token"] = p.token;
    if (p.startAfter) query["start-after"] = p.startAfter;
    if (p.delimiter) query.delimiter = p.delimiter;
    const resource = `s3://${bucket}/${p.prefix}`;
    for (let attempt = 0; ; attempt++) {
      const response = await this.#send(bucket, undefined, { method: "GET", query });
      if (!response.ok) throw await s3Error(response, resource);
      let text: string;
      try {
        text = await response.text();
      } catch (error) {
        if (attempt < this.#retries) {
          await sleep(Math.random() * Math.min(5000, this.#backoffMs * 2 ** attempt));
          continue;
        }
        throw new S3Error(response.status, "IncompleteListing", `the answer broke off ${attempt + 1} times: ${networkReason(error)}`, resource);
      }
      try {
        return parseListObjects(text);
      } catch (error) {
        throw new S3Error(response.status, "InvalidListing", error instanceof Error ? error.message : String(error), resource);
      }
    }
  }

  async #send(bucket: string, key: string | undefined, init: SendInit): Promise<Response> {
    const region = this.#regions.get(bucket) ?? this.region;
    const response = await this.#attempts(bucket, key, region, init);
    const resource = `s3://${bucket}${key === undefined ? "" : `/${key}`}`;
    const bucketRegion = response.headers.get("x-amz-bucket-region");
    if (REGION_REDIRECT_STATUS.has(response.status) && bucketRegion && bucketRegion !== region) {
      await response.body?.cancel().catch(() => {});
      const shown = JSON.stringify(bucketRegion.slice(0, 64));
      if (!REGION.test(bucketRegion)) {
        throw new S3Error(response.status, "UnsafeRegionRedirect", `the answer names the bucket's region ${shown}, which is not an AWS region name; not followed`, resource);
      }
      if (!this.#endpoint && partitionOf(bucketRegion).partition !== partitionOf(this.region).partition) {
        throw new S3Error(response.status, "UnsafeRegionRedirect", `the answer names the bucket's region ${shown}, in another partition than ${this.region}; not followed`, resource);
      }
      this.#regions.set(bucket, bucketRegion);
      return this.#finish(await this.#attempts(bucket, key, bucketRegion, init), resource);
    }
    return this.#finish(response, resource);
  }

  /** Redirects are never followed: a signed request goes only where the configuration says. */
  async #finish(response: Response, resource: string): Promise<Response> {
    if (response.type === "opaqueredirect" || (response.status >= 300 && response.status < 400 && response.status !== 304)) {
      const location = response.headers.get("location");
      let where = "";
      try {
        if (location) where = ` to ${new URL(location, "http://unknown.invalid").host}`;
      } catch {
        where = " (to an unparsable Location)";
      }
      await response.body?.cancel().catch(() => {});
      throw new S3Error(response.status, "Redirect", `S3 answered HTTP ${response.status} redirecting${where}; not followed (a signed request goes only to the configured endpoint)`, resource);
    }
    return response;
  }

  async #attempts(bucket: string, key: string | undefined, region: string, init: SendInit): Promise<Response> {
    const url = this.#url(bucket, key, region, init.query);
    for (let attempt = 0; ; attempt++) {
      let response: Response | undefined;
      let failure: unknown;
      try {
        const request = await this.#client.sign(url, { method: init.method, body: init.body, headers: init.headers, signal: init.signal, redirect: "manual", aws: { region } } as RequestInit);
        response = await this.#fetch(request);
      } catch (error) {
        failure = error;
      }
      const retry = (failure !== undefined || RETRY_STATUS.has(response!.status)) && attempt < this.#retries && !init.signal?.aborted;
      if (!retry) {
        if (failure !== undefined) {
          const tries = attempt ? ` after ${attempt + 1} attempts` : "";
          throw new Error(`S3 ${init.method} s3://${bucket}/${key ?? ""} at ${new URL(url).origin} failed${tries}: ${networkReason(failure)}`);
        }
        return response!;
      }
      await response?.body?.cancel().catch(() => {});
      await sleep(Math.random() * Math.min(5000, this.#backoffMs * 2 ** attempt));
    }
  }

  #url(bucket: string, key: string | undefined, region: string, query?: Record<string, string>): string {
    if (!/^[A-Za-z0-9._-]{1,255}$/.test(bucket) || /^\.+$/.test(bucket)) throw new TypeError(`not an S3 bucket name: ${JSON.stringify(bucket)}`);
    const path = key === undefined ? "" : `/${keyPath(bucket, key)}`;
    let url: string;
    if (this.#endpoint) url = `${this.#endpoint}/${bucket}${path}`;
    else {
      const host = `s3.${region}.${partitionOf(region).dnsSuffix}`;
      // virtual-hosted when the bucket is a DNS label (no dots, so that the certificate matches)
      url = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket) ? `https://${bucket}.${host}${path || "/"}` : `https://${host}/${bucket}${path}`;
    }
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

export interface ListPage {
  objects: S3Object[];
  prefixes: string[];
  /** IsTruncated: more pages follow. */
  truncated: boolean;
  nextToken: string | undefined;
}

/**
 * One ListObjectsV2 page. Keys and prefixes are URL-decoded when the page says `EncodingType` url. Throws when the
 * page is not a complete ListBucketResult, lacks IsTruncated, or holds a malformed character reference or key.
 */
export function parseListObjects(xml: string): ListPage {
  if (!/^\s*(<\?xml[^>]*\?>\s*)?<ListBucketResult[\s>]/.test(xml)) throw new Error("the answer is not a ListBucketResult");
  if (!/<\/ListBucketResult>\s*$/.test(xml)) throw new Error("the ListBucketResult is incomplete (no closing tag)");
  const urlEncoded = xmlText(xml.replace(/<(Contents|CommonPrefixes)>[\s\S]*?<\/\1>/g, ""), "EncodingType") === "url";
  const decode = (text: string, what: string) => {
    if (!urlEncoded) return text;
    try {
      return decodeURIComponent(text.replaceAll("+", " "));
    } catch {
      throw new Error(`a ${what} is not valid URL encoding: ${JSON.stringify(text.slice(0, 200))}`);
    }
  };
  const objects: S3Object[] = [];
  for (const block of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
    const body = block[1]!;
    const key = xmlText(body, "Key");
    if (key === undefined) throw new Error("an object in the listing has no Key");
    const size = xmlText(body, "Size") ?? "0";
    if (!/^\d+$/.test(size)) throw new Error(`the object ${JSON.stringify(key)} has the size ${JSON.stringify(size.slice(0, 40))}`);
    objects.push({
      key: decode(key, "key"),
      size: Number(size),
      etag: (xmlText(body, "ETag") ?? "").replaceAll('"', ""),
      lastModified: xmlText(body, "LastModified") ?? "",
    });
  }
  const prefixes = [...xml.matchAll(/<CommonPrefixes>([\s\S]*?)<\/CommonPrefixes>/g)].map((m) => decode(xmlText(m[1]!, "Prefix") ?? "", "prefix"));
  const truncated = xmlText(xml, "IsTruncated");
  if (truncated !== "true" && truncated !== "false") throw new Error(`IsTruncated is ${truncated === undefined ? "missing" : JSON.stringify(truncated.slice(0, 20))}`);
  return { objects, prefixes, truncated: truncated === "true", nextToken: truncated === "true" ? xmlText(xml, "NextContinuationToken") || undefined : undefined };
}

/** The pages of one listing: the next continuation token, or an error for a listing that would end early or loop. */
class Pages {
  readonly #seen = new Set<string>();
  constructor(readonly listing: string) {}

  next(page: ListPage): string | undefined {
    if (!page.truncated) return undefined;
    if (!page.nextToken) {
      throw new S3Error(200, "TruncatedListing", `page ${this.#seen.size + 1} says IsTruncated but gives no NextContinuationToken; the listing would end early`, this.listing);
    }
    if (this.#seen.has(page.nextToken)) {
      throw new S3Error(200, "LoopingListing", `page ${this.#seen.size + 1} repeats an earlier continuation token; the listing would never end`, this.listing);
    }
    this.#seen.add(page.nextToken);
    return page.nextToken;
  }
}

async function s3Error(response: Response, resource: string): Promise<S3Error> {
  const text = await response.text().catch(() => "");
  const safe = (tag: string) => {
    try {
      return xmlText(text, tag);
    } catch {
      return undefined;
    }
  };
  return new S3Error(response.status, safe("Code") ?? `HTTP ${response.status}`, safe("Message") ?? "", resource);
}

function requireKey(bucket: string, key: string): void {
  if (typeof key !== "string" || key === "") throw new TypeError(`s3://${bucket}/: an object needs a key`);
}

/**
 * The key as a URL path that survives WHATWG URL parsing: each segment percent-encoded (RFC 3986), and when a
 * segment is `.` or `..` (which URL parsing would remove) every `/` sent as `%2F`.
 */
function keyPath(bucket: string, key: string): string {
  const segments = key.split("/");
  const dotted = segments.some((s) => s === "." || s === "..");
  if (dotted && segments.length === 1) {
    throw new S3Error(0, "UnaddressableKey", `the key ${JSON.stringify(key)} cannot be requested through fetch: URL parsing removes it`, `s3://${bucket}/${key}`);
  }
  try {
    return segments.map(encodeRfc3986).join(dotted ? "%2F" : "/");
  } catch {
    throw new S3Error(0, "InvalidKey", "the key is not valid Unicode (a lone surrogate)", `s3://${bucket}/${key}`);
  }
}

function xmlText(xml: string, tag: string): string | undefined {
  const match = new RegExp(`<${tag}(?:>([\\s\\S]*?)</${tag}>|\\s*/>)`).exec(xml);
  return match ? xmlUnescape(match[1] ?? "") : undefined;
}

/** XML 1.0's predefined entities and character references; anything else with `&` is malformed. */
function xmlUnescape(text: string): string {
  return text.replace(/&([^;&<>\s]{0,12});?/g, (whole, entity: string) => {
    if (!whole.endsWith(";")) throw new Error(`malformed XML: a bare & in ${JSON.stringify(text.slice(0, 80))}`);
    const numeric = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(entity);
    if (numeric) {
      const code = numeric[1] !== undefined ? parseInt(numeric[1], 16) : parseInt(numeric[2]!, 10);
      if (!xmlChar(code)) throw new Error(`the character reference ${whole} is not an XML character`);
      return String.fromCodePoint(code);
    }
    const named = ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" } as Record<string, string>)[entity];
    if (named === undefined) throw new Error(`the entity ${whole} is not defined in XML`);
    return named;
  });
}

/** XML 1.0's Char production. */
function xmlChar(code: number): boolean {
  return code === 0x9 || code === 0xa || code === 0xd || (code >= 0x20 && code <= 0xd7ff) || (code >= 0xe000 && code <= 0xfffd) || (code >= 0x10000 && code <= 0x10ffff);
}

function xmlEscape(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The bytes as an ArrayBuffer of exactly their length (a Node Buffer is often a view into a larger pool). */
function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  if (bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer) return bytes.buffer;
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return copy.buffer;
}
