/**
 * HTTP to an Elasticsearch-API engine with plain fetch: Elasticsearch 7.x–9.x, OpenSearch 1.x–3.x, Amazon
 * OpenSearch Service and Serverless. No product check and no vendor media types, so one code path serves all.
 *
 * Auth: an API key (`Authorization: ApiKey …`), basic auth (also taken from `https://user:pass@host` and then
 * removed from the URL), or SigV4 through aws4fetch (service `es`, or `aoss` with `x-amz-content-sha256`).
 * Bodies can be gzipped (`Content-Encoding: gzip`). Errors and `describe()` never contain a secret.
 *
 * ```ts
 * const search = new SearchClient({ url: "http://127.0.0.1:9200" });
 * const root = await search.json("GET", "/");
 * ```
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "../aws/credentials.ts";
import { gzip } from "../streams/gunzip.ts";
import { networkReason, redactUrl } from "../errors.ts";

export interface SearchTarget {
  url: string;
  apiKey?: string;
  username?: string;
  password?: string;
  /** Sign requests with SigV4 (Amazon OpenSearch Service `es`, Serverless `aoss`). */
  aws?: { credentials: Credentials; region: string; service: "es" | "aoss" };
  /** gzip request bodies of at least this many bytes (undefined: never). */
  gzipAbove?: number;
  /** A fetch with extra TLS trust (a custom CA), supplied by the platform adapter. */
  fetch?: typeof fetch;
  /** Per-request timeout, ms (default 120 s). */
  timeoutMs?: number;
}

export class SearchError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface SearchResponse {
  status: number;
  headers: Headers;
  text: string;
}

export class SearchClient {
  readonly base: URL;
  readonly #headers: Record<string, string> = {};
  readonly #signer: AwsClient | undefined;
  readonly #service: "es" | "aoss" | undefined;
  readonly #fetch: typeof fetch;
  readonly #gzipAbove: number | undefined;
  readonly #timeoutMs: number;

  constructor(target: SearchTarget) {
    let base: URL;
    try {
      base = new URL(target.url);
    } catch {
      throw new TypeError(`ES_URL must be an http(s) URL, not ${JSON.stringify(redactUrl(target.url))}`);
    }
    if (base.protocol !== "http:" && base.protocol !== "https:") throw new TypeError(`ES_URL must be http or https, not ${base.protocol}`);
    let { username, password } = target;
    if (base.username || base.password) {
      try {
        username ??= decodeURIComponent(base.username);
        password ??= decodeURIComponent(base.password);
      } catch {
        throw new TypeError(`ES_URL: the user name or password in ${JSON.stringify(redactUrl(target.url))} is not valid percent-encoding (a % must start %XX)`);
      }
      base.username = "";
      base.password = "";
    }
    if (!base.pathname.endsWith("/")) base.pathname += "/";
    this.base = base;
    if (target.apiKey) this.#headers.authorization = `ApiKey ${target.apiKey}`;
    else if (username !== undefined && password !== undefined && (username || password)) {
      this.#headers.authorization = `Basic ${base64(`${username}:${password}`)}`;
    }
    if (target.aws) {
      this.#signer = new AwsClient({ ...target.aws.credentials, service: target.aws.service, region: target.aws.region, retries: 0 });
      this.#service = target.aws.service;
    }
    this.#fetch = target.fetch ?? fetch;
    this.#gzipAbove = target.gzipAbove;
    this.#timeoutMs = target.timeoutMs ?? 120_000;
  }

  /** The target for messages: scheme, host, port and path, never credentials. */
  describe(): string {
    return redactUrl(this.base.href).replace(/\/$/, "");
  }

  /**
   * One request; any HTTP status resolves (callers decide), network failures reject. A body is text or UTF-8 bytes.
   * `plainAnswer` asks for the answer uncompressed (`accept-encoding: identity`), for requests whose answers are small
   * beside their bodies (`_bulk`): unzipping them costs more CPU on both sides than it saves on the wire. A signed
   * request (SigV4) is sent as before: no header is added that a proxy could change after signing.
   */
  async request(method: string, path: string, body?: string | Uint8Array, contentType = "application/json", plainAnswer = false): Promise<SearchResponse> {
    const url = new URL(path.replace(/^\//, ""), this.base).href;
    const headers: Record<string, string> = { ...this.#headers, accept: "application/json" };
    if (plainAnswer && !this.#signer) headers["accept-encoding"] = "identity";
    let payload: string | Uint8Array | undefined = body;
    if (body !== undefined) {
      headers["content-type"] = contentType;
      if (this.#gzipAbove !== undefined && body.length >= this.#gzipAbove) {
        payload = await gzip(body);
        headers["content-encoding"] = "gzip";
      }
    }
    // never follow a redirect: credentials, signatures and session tokens must not leave for a host not configured
    const init: RequestInit = { method, headers, body: payload as BodyInit | undefined, signal: AbortSignal.timeout(this.#timeoutMs), redirect: "manual" };
    let request: Request;
    if (this.#signer) {
      if (this.#service === "aoss") headers["x-amz-content-sha256"] = await sha256Hex(payload ?? "");
      request = await this.#signer.sign(url, { ...init, headers });
    } else {
      // bytes go as a stream of themselves: a Request copies a Uint8Array body (a body more per bulk request, garbage
      // as soon as it is sent), while a stream's chunk is written as it is
      if (payload instanceof Uint8Array) Object.assign(init, { body: bytesStream(payload), duplex: "half" });
      request = new Request(url, init);
    }
    let response: Response;
    try {
      response = await this.#fetch(request);
    } catch (error) {
      throw new Error(`${method} ${path.split("?")[0]} on ${this.describe()} failed: ${networkReason(error)}`);
    }
    if (response.status >= 300 && response.status < 400) {
      await response.body?.cancel();
      const location = response.headers.get("location");
      throw new Error(`${method} ${path.split("?")[0]} on ${this.describe()} answered HTTP ${response.status}${location ? ` (to ${redactUrl(location)})` : ""}: trailpost does not follow redirects with credentials; set ES_URL to the address it points to`);
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  }

  /** A request that must succeed (2xx); the parsed JSON answer. */
  async json<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.request(method, path, body === undefined ? undefined : JSON.stringify(body));
    if (response.status < 200 || response.status > 299) {
      throw new SearchError(response.status, `${method} ${path} on ${this.describe()}: HTTP ${response.status} ${errorReason(response.text)}`);
    }
    return (response.text ? JSON.parse(response.text) : undefined) as T;
  }
}

/** The engine's own words for a failed request: `error.type: error.reason`, or the start of the body. */
export function errorReason(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { type?: string; reason?: string } | string; message?: string };
    if (typeof body.error === "object" && body.error) return [body.error.type, body.error.reason].filter(Boolean).join(": ");
    if (typeof body.error === "string") return body.error;
    if (body.message) return body.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200);
}

export { redactUrl };

function base64(text: string): string {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}
