/**
 * A GetObject body that survives a broken network: when the connection resets, stalls (no byte for
 * `idleTimeoutMs`) or ends before `Content-Length`, the rest is requested again, a bounded number of times with
 * exponential backoff and full jitter, before the body fails with an ObjectError naming the object, the byte
 * reached and the cause.
 *
 * - The rest is asked for with `Range: bytes=<reached>-` and `If-Match: <ETag of the first answer>`, so a changed
 *   object is never stitched together from two versions (412 fails the object). A server that ignores Range
 *   (200), or a body the transport decoded (`Content-Encoding: gzip` undone by fetch, so byte offsets are not the
 *   stored ones), is read again from the start and the bytes already delivered are skipped.
 * - `suspend()` closes the connection now and resumes from the same byte on the next read: a reader that will not
 *   come back soon leaves no idle socket for a server to reset.
 *
 * ```ts
 * const download = await openObject(s3, "my-trail-bucket", key, { retries: 5 });
 * for await (const chunk of download.body) …
 * ```
 */
import { S3, S3Error, transportDecoded } from "./s3.ts";
import { ObjectError } from "../streams/log-object.ts";
import { networkReason } from "../errors.ts";

export interface DownloadOptions {
  /** Resumes after a broken body (each after backoff). Default 5. */
  retries?: number;
  /** First backoff, ms, doubling with full jitter, capped at 10 s. Default 250. */
  backoffMs?: number;
  /** A read that waits longer than this for bytes aborts the connection and resumes. Default 60 s. */
  idleTimeoutMs?: number;
  /** Told about every resume (for a progress line). */
  onRetry?: (info: { object: string; offset: number; attempt: number; reason: string }) => void;
}

export interface Download {
  /** `s3://bucket/key` */
  name: string;
  body: ReadableStream<Uint8Array>;
  /** fetch undid a stored `Content-Encoding: gzip`. */
  transportDecoded: boolean;
  /** Bytes read so far. */
  readonly offset: number;
  /** Closes the connection; the next read resumes where this one stopped. */
  suspend(): void;
}

/** Starts the GetObject (headers received) and returns its resumable body. Fails like `S3.get`. */
export async function openObject(s3: S3, bucket: string, key: string, options: DownloadOptions = {}): Promise<Download> {
  const retries = options.retries ?? 5;
  if (!Number.isInteger(retries) || retries < 0) throw new TypeError(`retries must be a whole number, not ${retries}`);
  const body = new ResumableBody(s3, bucket, key, { retries, backoffMs: options.backoffMs ?? 250, idleTimeoutMs: options.idleTimeoutMs ?? 60_000, onRetry: options.onRetry });
  await body.start();
  return {
    name: body.name,
    transportDecoded: body.decoded,
    get offset() {
      return body.offset;
    },
    suspend: () => body.suspend(),
    body: new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const chunk = await body.read();
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        },
        cancel: () => body.cancel(),
      },
      { highWaterMark: 0 },
    ),
  };
}

interface Settings {
  retries: number;
  backoffMs: number;
  idleTimeoutMs: number;
  onRetry: DownloadOptions["onRetry"];
}

class ResumableBody {
  readonly name: string;
  decoded = false;
  /** Bytes delivered. */
  offset = 0;
  #etag: string | null = null;
  /** Bytes the object has (as stored), when the answers say so. */
  #total: number | undefined;
  #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  /** Held while its body is read (undici cancels the unlocked body of a collected Response). */
  #response: Response | undefined;
  #abort: AbortController | undefined;
  /** Bytes of the current answer to drop (it started before `offset`). */
  #skip = 0;
  #failures = 0;
  #done = false;

  constructor(
    readonly s3: S3,
    readonly bucket: string,
    readonly key: string,
    readonly settings: Settings,
  ) {
    this.name = `s3://${bucket}/${key}`;
  }

  async start(): Promise<void> {
    const response = await this.#get({});
    this.#etag = response.headers.get("etag");
    this.decoded = transportDecoded(response);
    this.#attach(response);
  }

  async read(): Promise<Uint8Array | undefined> {
    for (;;) {
      if (this.#done) return undefined;
      if (!this.#reader) {
        const reopened = await this.#reopen();
        if (!reopened) continue;
      }
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await this.#readWithin(this.#reader!);
      } catch (error) {
        await this.#failed(networkReason(error));
        continue;
      }
      if (result.done) {
        this.#release();
        if (this.#total !== undefined && this.offset < this.#total) {
          await this.#failed(`the answer ended at byte ${this.offset} of ${this.#total}`);
          continue;
        }
        this.#done = true;
        return undefined;
      }
      let chunk = result.value;
      if (this.#skip) {
        const dropped = Math.min(this.#skip, chunk.length);
        this.#skip -= dropped;
        chunk = chunk.subarray(dropped);
        if (!chunk.length) continue;
      }
      if (this.#total !== undefined && this.offset + chunk.length > this.#total) {
        this.cancel();
        throw this.#fatal(`more bytes than the ${this.#total} the answer announced`);
      }
      this.offset += chunk.length;
      return chunk;
    }
  }

  suspend(): void {
    this.#drop();
  }

  cancel(): void {
    this.#done = true;
    this.#drop();
  }

  /** The first answer, or the rest after a break: `Range` from the byte reached, `If-Match` the first ETag. */
  async #reopen(): Promise<boolean> {
    const headers: Record<string, string> = {};
    if (!this.#etag) throw this.#fatal("the answer had no ETag, so the rest cannot be asked for safely");
    headers["if-match"] = this.#etag;
    if (!this.decoded && this.offset > 0) headers.range = `bytes=${this.offset}-`;
    let response: Response;
    try {
      response = await this.#get(headers);
    } catch (error) {
      if (error instanceof S3Error && error.status === 412) throw this.#fatal(`the object changed while it was read (its ETag is no longer ${this.#etag}); not stitching two versions`);
      if (error instanceof S3Error && error.status === 416 && this.offset === this.#total) return (this.#done = true), false;
      if (error instanceof S3Error && error.status < 500 && error.status !== 429) throw this.#fatal(error.reason);
      await this.#failed(error instanceof Error ? error.message : String(error));
      return false;
    }
    if (response.status === 206) {
      const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get("content-range") ?? "");
      if (!range || Number(range[1]) !== this.offset) {
        await response.body?.cancel().catch(() => {});
        throw this.#fatal(`asked for the bytes from ${this.offset}, the answer gave ${JSON.stringify(response.headers.get("content-range"))}`);
      }
      if (range[3] !== "*") this.#total = Number(range[3]);
      this.#attach(response, 0);
    } else {
      this.#attach(response, this.offset);
    }
    return true;
  }

  #attach(response: Response, skip = 0): void {
    this.#skip = skip;
    if (response.status === 200 && !this.decoded) {
      const length = response.headers.get("content-length");
      if (length && /^\d+$/.test(length)) this.#total = Number(length);
    }
    this.#response = response;
    this.#reader = (response.body ?? new Blob([]).stream()).getReader();
  }

  async #get(headers: Record<string, string>): Promise<Response> {
    this.#abort = new AbortController();
    return this.s3.get(this.bucket, this.key, { headers, signal: this.#abort.signal });
  }

  /** A read that waits at most idleTimeoutMs: then the connection is aborted, and the read fails. */
  async #readWithin(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<ReadableStreamReadResult<Uint8Array>> {
    const abort = this.#abort;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const idle = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const reason = new Error(`no data for ${this.settings.idleTimeoutMs / 1000} s`);
        abort?.abort(reason);
        reject(reason);
      }, this.settings.idleTimeoutMs);
    });
    try {
      return await Promise.race([reader.read(), idle]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** A break: after backoff the next read resumes, unless the retries are spent. */
  async #failed(reason: string): Promise<void> {
    this.#drop();
    if (this.#done) throw this.#fatal(`cancelled (${reason})`);
    this.#failures++;
    if (this.#failures > this.settings.retries) {
      this.#done = true;
      throw this.#fatal(`download failed ${this.#failures} times, last at byte ${this.offset}${this.#total !== undefined ? ` of ${this.#total}` : ""}: ${reason}`);
    }
    this.settings.onRetry?.({ object: this.name, offset: this.offset, attempt: this.#failures, reason });
    const delay = Math.random() * Math.min(10_000, this.settings.backoffMs * 2 ** (this.#failures - 1));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }

  #drop(): void {
    const reader = this.#reader;
    const abort = this.#abort;
    this.#release();
    abort?.abort(new Error("suspended"));
    void reader?.cancel().catch(() => {});
  }

  /** The answer was read to its end: nothing to abort or cancel (that cost a stack trace and an event per object). */
  #release(): void {
    this.#reader = undefined;
    this.#response = undefined;
    this.#abort = undefined;
  }

  #fatal(reason: string): ObjectError {
    return new ObjectError(this.name, reason);
  }
}
