/**
 * SQS over its JSON protocol (`POST /`, `X-Amz-Target: AmazonSQS.<Action>`, `application/x-amz-json-1.0`), signed
 * by aws4fetch: what a queue consumer and its set-up need, and nothing else.
 *
 * ```ts
 * const sqs = new SQS({ credentials, region: "us-east-1", endpoint: "http://127.0.0.1:4566" });
 * const url = await sqs.createQueue("trail-events");
 * for (const message of await sqs.receive(url, { waitSeconds: 20, visibilitySeconds: 60 })) {
 *   await sqs.delete(url, message.receiptHandle);
 * }
 * ```
 *
 * - 5xx and 429 answers are retried by aws4fetch (with jitter); other errors throw an `SQSError` with the
 *   service's code (`QueueDoesNotExist`, `ReceiptHandleIsInvalid`, …); a network failure throws an Error naming
 *   the action and the endpoint.
 * - The batch calls answer 200 with per-entry failures: they are returned, never thrown, so that the caller decides
 *   what to do with each entry.
 * - The region of an AWS queue URL (`https://sqs.eu-west-1.amazonaws.com/…`) is the region its requests are sent
 *   to and signed for (`queueRegion`), whatever the default region.
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "./credentials.ts";
import { networkReason } from "../errors.ts";

export interface SQSOptions {
  credentials: Credentials;
  region: string;
  /** Custom endpoint (LocalStack, ElasticMQ, a VPC endpoint); default `https://sqs.<region>.amazonaws.com`. */
  endpoint?: string;
  /** Attempts for 5xx and 429 answers. Default 5. */
  retries?: number;
}

export interface Message {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** How many times SQS handed the message out, this time included (ApproximateReceiveCount). */
  receiveCount: number;
  /** When the message was sent, ms since the epoch (SentTimestamp); 0 when not given. */
  sentAt: number;
}

export interface ReceiveOptions {
  /** 1-10, default 10. */
  max?: number;
  /** Long poll, 0-20 s. Default 0. */
  waitSeconds?: number;
  /** Visibility timeout of the received messages; default: the queue's. */
  visibilitySeconds?: number;
  /** Aborts the (long) poll. */
  signal?: AbortSignal;
}

/** One entry of a batch call that failed, by the caller's id. */
export interface BatchFailure {
  id: string;
  code: string;
  message: string;
  /** The caller's fault (true) or the service's (false: worth another try). */
  senderFault: boolean;
}

export class SQSError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`SQS ${code}${message ? `: ${message}` : ""}`);
  }
}

/** Queue attributes as SQS names them (VisibilityTimeout, RedrivePolicy, Policy, …), all strings. */
export type QueueAttributes = Record<string, string>;

export class SQS {
  readonly #client: AwsClient;
  readonly #endpoint: string | undefined;
  readonly region: string;

  constructor(options: SQSOptions) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("SQS needs credentials");
    if (!options.region) throw new TypeError("SQS needs a region");
    this.region = options.region;
    this.#endpoint = options.endpoint?.replace(/\/+$/, "");
    this.#client = new AwsClient({ ...options.credentials, service: "sqs", region: options.region, retries: options.retries ?? 5 });
  }

  /** The endpoint requests go to (for messages). */
  endpointFor(queueUrl?: string): string {
    return this.#endpoint ?? `https://sqs.${(queueUrl && queueRegion(queueUrl)) || this.region}.amazonaws.com`;
  }

  /** CreateQueue: the queue's URL. An existing queue with the same attributes is returned as it is. */
  async createQueue(name: string, attributes: QueueAttributes = {}): Promise<string> {
    const out = await this.#call("CreateQueue", { QueueName: name, Attributes: attributes });
    return out.QueueUrl as string;
  }

  /** GetQueueUrl: the URL, or undefined when there is no such queue. */
  async queueUrl(name: string): Promise<string | undefined> {
    try {
      const out = await this.#call("GetQueueUrl", { QueueName: name });
      return out.QueueUrl as string;
    } catch (error) {
      if (error instanceof SQSError && /QueueDoesNotExist|NonExistentQueue/.test(error.code)) return undefined;
      throw error;
    }
  }

  async attributes(queueUrl: string, names: string[] = ["All"]): Promise<QueueAttributes> {
    const out = await this.#call("GetQueueAttributes", { QueueUrl: queueUrl, AttributeNames: names }, queueUrl);
    return (out.Attributes ?? {}) as QueueAttributes;
  }

  async setAttributes(queueUrl: string, attributes: QueueAttributes): Promise<void> {
    await this.#call("SetQueueAttributes", { QueueUrl: queueUrl, Attributes: attributes }, queueUrl);
  }

  async queueArn(queueUrl: string): Promise<string> {
    const arn = (await this.attributes(queueUrl, ["QueueArn"])).QueueArn;
    if (!arn) throw new SQSError(200, "NoQueueArn", `GetQueueAttributes gave no QueueArn for ${queueUrl}`);
    return arn;
  }

  /** Messages visible now (and after), in flight (received, not deleted), and delayed: all approximate. */
  async depth(queueUrl: string): Promise<{ visible: number; inFlight: number; delayed: number }> {
    const a = await this.attributes(queueUrl, ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible", "ApproximateNumberOfMessagesDelayed"]);
    return {
      visible: Number(a.ApproximateNumberOfMessages ?? 0),
      inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
      delayed: Number(a.ApproximateNumberOfMessagesDelayed ?? 0),
    };
  }

  async receive(queueUrl: string, options: ReceiveOptions = {}): Promise<Message[]> {
    const out = await this.#call(
      "ReceiveMessage",
      {
        QueueUrl: queueUrl,
        MaxNumberOfMessages: options.max ?? 10,
        WaitTimeSeconds: options.waitSeconds ?? 0,
        // the newer name and the older one: services that know only one of them read it
        MessageSystemAttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
        AttributeNames: ["ApproximateReceiveCount", "SentTimestamp"],
        ...(options.visibilitySeconds !== undefined ? { VisibilityTimeout: options.visibilitySeconds } : {}),
      },
      queueUrl,
      options.signal,
    );
    const messages = (out.Messages ?? []) as { MessageId: string; ReceiptHandle: string; Body: string; Attributes?: Record<string, string> }[];
    return messages.map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? 1) || 1,
      sentAt: Number(m.Attributes?.SentTimestamp ?? 0) || 0,
    }));
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.#call("DeleteMessage", { QueueUrl: queueUrl, ReceiptHandle: receiptHandle }, queueUrl);
  }

  /** DeleteMessageBatch (up to 10): the entries that failed. */
  async deleteBatch(queueUrl: string, entries: { id: string; receiptHandle: string }[]): Promise<BatchFailure[]> {
    return this.#batch("DeleteMessageBatch", queueUrl, entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle })));
  }

  /** ChangeMessageVisibility: the message becomes visible again after `seconds` from now (0: at once). */
  async changeVisibility(queueUrl: string, receiptHandle: string, seconds: number): Promise<void> {
    await this.#call("ChangeMessageVisibility", { QueueUrl: queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: seconds }, queueUrl);
  }

  /** ChangeMessageVisibilityBatch (up to 10): the entries that failed. */
  async changeVisibilityBatch(queueUrl: string, entries: { id: string; receiptHandle: string; seconds: number }[]): Promise<BatchFailure[]> {
    return this.#batch(
      "ChangeMessageVisibilityBatch",
      queueUrl,
      entries.map((e) => ({ Id: e.id, ReceiptHandle: e.receiptHandle, VisibilityTimeout: e.seconds })),
    );
  }

  async send(queueUrl: string, body: string): Promise<string> {
    const out = await this.#call("SendMessage", { QueueUrl: queueUrl, MessageBody: body }, queueUrl);
    return out.MessageId as string;
  }

  /** SendMessageBatch (up to 10 entries, 256 KiB in all): the entries that failed. */
  async sendBatch(queueUrl: string, entries: { id: string; body: string }[]): Promise<BatchFailure[]> {
    return this.#batch("SendMessageBatch", queueUrl, entries.map((e) => ({ Id: e.id, MessageBody: e.body })));
  }

  async purge(queueUrl: string): Promise<void> {
    await this.#call("PurgeQueue", { QueueUrl: queueUrl }, queueUrl);
  }

  async deleteQueue(queueUrl: string): Promise<void> {
    await this.#call("DeleteQueue", { QueueUrl: queueUrl }, queueUrl);
  }

  async #batch(action: string, queueUrl: string, entries: Record<string, unknown>[]): Promise<BatchFailure[]> {
    if (entries.length === 0) return [];
    if (entries.length > 10) throw new RangeError(`${action} takes at most 10 entries, not ${entries.length}`);
    const out = await this.#call(action, { QueueUrl: queueUrl, Entries: entries }, queueUrl);
    const failed = (out.Failed ?? []) as { Id: string; Code?: string; Message?: string; SenderFault?: boolean }[];
    return failed.map((f) => ({ id: f.Id, code: f.Code ?? "Unknown", message: f.Message ?? "", senderFault: f.SenderFault === true }));
  }

  async #call(action: string, input: Record<string, unknown>, queueUrl?: string, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const endpoint = this.endpointFor(queueUrl);
    const region = (!this.#endpoint && queueUrl && queueRegion(queueUrl)) || this.region;
    let response: Response;
    try {
      response = await this.#client.fetch(`${endpoint}/`, {
        method: "POST",
        headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AmazonSQS.${action}` },
        body: JSON.stringify(input),
        signal,
        aws: { region },
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new Error(`SQS ${action} at ${new URL(endpoint).origin} failed: ${networkReason(error)}`);
    }
    const text = await response.text();
    let body: Record<string, unknown> = {};
    try {
      body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      if (response.ok) throw new SQSError(response.status, "InvalidResponse", `${action} did not answer JSON: ${text.slice(0, 120)}`);
    }
    if (!response.ok) {
      const queryCode = response.headers.get("x-amzn-query-error")?.split(";")[0];
      const code = typeof body.__type === "string" ? body.__type.split("#").pop()! : queryCode || `HTTP ${response.status}`;
      throw new SQSError(response.status, code, String(body.message ?? body.Message ?? (text && !text.startsWith("{") ? text.slice(0, 200) : "")));
    }
    return body;
  }
}

/** The region of an AWS queue URL (`https://sqs.<region>.amazonaws.com/…`, or the legacy `<region>.queue.amazonaws.com`). */
export function queueRegion(queueUrl: string): string | undefined {
  let host: string;
  try {
    host = new URL(queueUrl).hostname;
  } catch {
    return undefined;
  }
  const m = /^sqs(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?$/.exec(host) ?? /^([a-z0-9-]+)\.queue\.amazonaws\.com(?:\.cn)?$/.exec(host);
  return m ? m[1] : undefined;
}

/** The queue's name, the last path segment of its URL. */
export function queueName(queueUrl: string): string {
  return new URL(queueUrl).pathname.split("/").filter(Boolean).pop() ?? "";
}
