/**
 * SQS over its JSON protocol (`X-Amz-Target: AmazonSQS.<Action>`), signed by aws4fetch.
 *
 * ```ts
 * const sqs = new SQS({ credentials, region: "us-east-1", endpoint: "http://127.0.0.1:4566" });
 * const url = await sqs.createQueue("trail-events");
 * for (const message of await sqs.receive(url, { waitSeconds: 5 })) await sqs.delete(url, message.receiptHandle);
 * ```
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "./credentials.ts";

export interface SQSOptions {
  credentials: Credentials;
  region: string;
  /** Custom endpoint (LocalStack); default `https://sqs.<region>.amazonaws.com`. */
  endpoint?: string;
  retries?: number;
}

export interface Message {
  messageId: string;
  receiptHandle: string;
  body: string;
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

export class SQS {
  readonly #client: AwsClient;
  readonly #endpoint: string;

  constructor(options: SQSOptions) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("SQS needs credentials");
    if (!options.region) throw new TypeError("SQS needs a region");
    this.#endpoint = (options.endpoint ?? `https://sqs.${options.region}.amazonaws.com`).replace(/\/+$/, "");
    this.#client = new AwsClient({ ...options.credentials, service: "sqs", region: options.region, retries: options.retries ?? 5 });
  }

  async createQueue(name: string, attributes: Record<string, string> = {}): Promise<string> {
    const out = await this.#call("CreateQueue", { QueueName: name, Attributes: attributes });
    return out.QueueUrl as string;
  }

  async queueArn(queueUrl: string): Promise<string> {
    const out = await this.#call("GetQueueAttributes", { QueueUrl: queueUrl, AttributeNames: ["QueueArn"] });
    return (out.Attributes as Record<string, string>).QueueArn!;
  }

  async receive(queueUrl: string, options: { max?: number; waitSeconds?: number; visibilitySeconds?: number } = {}): Promise<Message[]> {
    const out = await this.#call("ReceiveMessage", {
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max ?? 10,
      WaitTimeSeconds: options.waitSeconds ?? 0,
      ...(options.visibilitySeconds !== undefined ? { VisibilityTimeout: options.visibilitySeconds } : {}),
    });
    const messages = (out.Messages ?? []) as { MessageId: string; ReceiptHandle: string; Body: string }[];
    return messages.map((m) => ({ messageId: m.MessageId, receiptHandle: m.ReceiptHandle, body: m.Body }));
  }

  async delete(queueUrl: string, receiptHandle: string): Promise<void> {
    await this.#call("DeleteMessage", { QueueUrl: queueUrl, ReceiptHandle: receiptHandle });
  }

  async #call(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>> {
    const response = await this.#client.fetch(`${this.#endpoint}/`, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.0", "x-amz-target": `AmazonSQS.${action}` },
      body: JSON.stringify(input),
    });
    const text = await response.text();
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!response.ok) {
      const code = String(body.__type ?? `HTTP ${response.status}`).split("#").pop()!;
      throw new SQSError(response.status, code, String(body.message ?? body.Message ?? ""));
    }
    return body;
  }
}
