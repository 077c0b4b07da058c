/**
 * CloudTrail's ListPublicKeys over fetch, signed by aws4fetch: the keys that sign digest files, per region.
 *
 * AWS JSON 1.1: `POST /` with `X-Amz-Target: com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.ListPublicKeys`
 * and `{"StartTime": <epoch s>, "EndTime": <epoch s>}`, as botocore sends it. The endpoint follows the AWS SDKs:
 * `AWS_ENDPOINT_URL_CLOUDTRAIL`, then `AWS_ENDPOINT_URL` (given as `endpoint`), else
 * `https://cloudtrail.<region>.amazonaws.com` (`.com.cn` in China).
 *
 * ```ts
 * const cloudtrail = new CloudTrail({ credentials, region: "us-east-1" });
 * const keys = await cloudtrail.listPublicKeys(Date.parse("2024-03-04T00:00:00Z"), Date.parse("2024-03-05T02:00:00Z"));
 * ```
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "./credentials.ts";
import { networkReason } from "../errors.ts";
import { parsePublicKeyList, type PublicKeyRecord } from "../integrity/public-keys.ts";

export interface CloudTrailOptions {
  credentials: Credentials;
  region: string;
  /** Custom endpoint (a VPC endpoint, a test server). */
  endpoint?: string;
  /** Attempts for 5xx and 429 answers (aws4fetch backs off with jitter). Default 5. */
  retries?: number;
}

export class CloudTrailError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const TARGET = "com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101";
const MAX_PAGES = 100;

export class CloudTrail {
  readonly #client: AwsClient;
  readonly #url: string;
  readonly region: string;

  constructor(options: CloudTrailOptions) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("CloudTrail needs credentials");
    if (!options.region) throw new TypeError("CloudTrail needs a region");
    this.region = options.region;
    const domain = options.region.startsWith("cn-") ? "amazonaws.com.cn" : "amazonaws.com";
    this.#url = `${options.endpoint?.replace(/\/+$/, "") ?? `https://cloudtrail.${options.region}.${domain}`}/`;
    this.#client = new AwsClient({ ...options.credentials, service: "cloudtrail", region: options.region, retries: options.retries ?? 5 });
  }

  /** The public keys whose validity overlaps [start, end] (epoch ms), following NextToken should it ever be set. */
  async listPublicKeys(start: number, end: number): Promise<PublicKeyRecord[]> {
    const keys: PublicKeyRecord[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body: Record<string, unknown> = { StartTime: Math.floor(start / 1000), EndTime: Math.floor(end / 1000) };
      if (token) body.NextToken = token;
      const answer = await this.#call("ListPublicKeys", body);
      keys.push(...parsePublicKeyList(answer, `ListPublicKeys in ${this.region}`));
      token = typeof (answer as { NextToken?: unknown }).NextToken === "string" ? (answer as { NextToken: string }).NextToken : undefined;
      if (!token) return keys;
    }
    throw new CloudTrailError(0, "TooManyPages", `ListPublicKeys in ${this.region}: more than ${MAX_PAGES} pages`);
  }

  async #call(operation: string, body: Record<string, unknown>): Promise<unknown> {
    let response: Response;
    try {
      response = await this.#client.fetch(this.#url, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `${TARGET}.${operation}` },
        body: JSON.stringify(body),
      });
    } catch (error) {
      throw new CloudTrailError(0, "NetworkError", `CloudTrail ${operation} at ${new URL(this.#url).origin} failed: ${networkReason(error)}`);
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : {};
    } catch {
      json = undefined;
    }
    if (!response.ok) {
      const error = (json ?? {}) as { __type?: string; message?: string; Message?: string };
      const code = (error.__type ?? `HTTP ${response.status}`).replace(/^.*#/, "");
      const detail = error.message ?? error.Message ?? "";
      throw new CloudTrailError(response.status, code, `CloudTrail ${operation} in ${this.region}: ${code}${detail ? ` (${detail})` : ""}`);
    }
    if (json === undefined) throw new CloudTrailError(response.status, "NotJson", `CloudTrail ${operation} in ${this.region}: the answer is not JSON`);
    return json;
  }
}
