/**
 * The few SNS calls an HTTPS push set-up needs (CreateTopic, SetTopicAttributes, Subscribe, Publish,
 * ListSubscriptionsByTopic, GetSubscriptionAttributes), over the query protocol (form POST, XML answers), signed by aws4fetch.
 *
 * ```ts
 * const sns = new SNS({ credentials, region: "us-east-1" });
 * const topicArn = await sns.createTopic("trail-events");
 * await sns.subscribe(topicArn, "https", "https://trail.example.deno.net/");
 * ```
 */
import { AwsClient } from "aws4fetch";
import type { Credentials } from "./credentials.ts";
import { networkReason } from "../errors.ts";

export interface SNSOptions {
  credentials: Credentials;
  region: string;
  /** Custom endpoint (LocalStack); default `https://sns.<region>.amazonaws.com`. */
  endpoint?: string;
}

export class SNSError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(`SNS ${code}${message ? `: ${message}` : ""}`);
  }
}

export interface Subscription {
  arn: string;
  protocol: string;
  endpoint: string;
}

export class SNS {
  readonly #client: AwsClient;
  readonly #endpoint: string;

  constructor(options: SNSOptions) {
    if (!options.credentials?.accessKeyId || !options.credentials.secretAccessKey) throw new TypeError("SNS needs credentials");
    if (!options.region) throw new TypeError("SNS needs a region");
    this.#endpoint = (options.endpoint ?? `https://sns.${options.region}.amazonaws.com`).replace(/\/+$/, "");
    this.#client = new AwsClient({ ...options.credentials, service: "sns", region: options.region, retries: 5 });
  }

  /** CreateTopic (idempotent for the same name): the topic's ARN. */
  async createTopic(name: string): Promise<string> {
    return tag(await this.#call("CreateTopic", { Name: name }), "TopicArn")!;
  }

  async setTopicAttribute(topicArn: string, name: string, value: string): Promise<void> {
    await this.#call("SetTopicAttributes", { TopicArn: topicArn, AttributeName: name, AttributeValue: value });
  }

  /** Subscribe: the subscription ARN (`pending confirmation` until an HTTP(S) endpoint confirms). */
  async subscribe(topicArn: string, protocol: string, endpoint: string): Promise<string> {
    return tag(await this.#call("Subscribe", { TopicArn: topicArn, Protocol: protocol, Endpoint: endpoint, ReturnSubscriptionArn: "true" }), "SubscriptionArn")!;
  }

  async subscriptions(topicArn: string): Promise<Subscription[]> {
    const xml = await this.#call("ListSubscriptionsByTopic", { TopicArn: topicArn });
    return [...xml.matchAll(/<member>([\s\S]*?)<\/member>/g)].map((m) => ({
      arn: tag(m[1]!, "SubscriptionArn") ?? "",
      protocol: tag(m[1]!, "Protocol") ?? "",
      endpoint: tag(m[1]!, "Endpoint") ?? "",
    }));
  }

  /** GetSubscriptionAttributes, e.g. `PendingConfirmation: "true"` until an HTTP(S) endpoint confirms. */
  async subscriptionAttributes(subscriptionArn: string): Promise<Record<string, string>> {
    const xml = await this.#call("GetSubscriptionAttributes", { SubscriptionArn: subscriptionArn });
    return Object.fromEntries([...xml.matchAll(/<entry>([\s\S]*?)<\/entry>/g)].map((m) => [tag(m[1]!, "key") ?? "", tag(m[1]!, "value") ?? ""]));
  }

  async publish(topicArn: string, message: string, subject?: string): Promise<string> {
    return tag(await this.#call("Publish", { TopicArn: topicArn, Message: message, ...(subject ? { Subject: subject } : {}) }), "MessageId")!;
  }

  async deleteTopic(topicArn: string): Promise<void> {
    await this.#call("DeleteTopic", { TopicArn: topicArn });
  }

  async #call(action: string, params: Record<string, string>): Promise<string> {
    const body = new URLSearchParams({ Action: action, Version: "2010-03-31", ...params }).toString();
    let response: Response;
    try {
      response = await this.#client.fetch(`${this.#endpoint}/`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8" }, body });
    } catch (error) {
      throw new Error(`SNS ${action} at ${new URL(this.#endpoint).origin} failed: ${networkReason(error)}`);
    }
    const text = await response.text();
    if (!response.ok) throw new SNSError(response.status, tag(text, "Code") ?? `HTTP ${response.status}`, tag(text, "Message") ?? "");
    return text;
  }
}

function tag(xml: string, name: string): string | undefined {
  const m = new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(xml);
  return m ? m[1]!.replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" })[e as "amp"]) : undefined;
}
