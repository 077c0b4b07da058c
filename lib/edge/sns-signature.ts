/**
 * Verifies that an SNS message (pushed over HTTP(S)) comes from Amazon SNS, as the SNS developer guide
 * ("Verifying the signatures of Amazon SNS messages") describes, with WebCrypto only:
 *
 * 1. `SigningCertURL` must be `https://sns.<region>.amazonaws.com/….pem` (or `….amazonaws.com.cn`). Nothing else
 *    is ever fetched, unless its origin is explicitly trusted (`trustedCertOrigins`: LocalStack's
 *    `http://127.0.0.1:4566`, for the local stack only).
 * 2. The string to sign is rebuilt from the message's fields (Notification: Message, MessageId, Subject if present,
 *    Timestamp, TopicArn, Type; SubscriptionConfirmation and UnsubscribeConfirmation: Message, MessageId,
 *    SubscribeURL, Timestamp, Token, TopicArn, Type), each as `name\nvalue\n`.
 * 3. `Signature` must verify with the certificate's RSA key: SHA1withRSA for `SignatureVersion` 1, SHA256withRSA
 *    for 2.
 *
 * ```ts
 * const verifier = new SnsVerifier({ topicArns: ["arn:aws:sns:us-east-1:123456789012:trail-events"] });
 * await verifier.verify(JSON.parse(body)); // throws SnsVerificationError saying why
 * ```
 *
 * Certificates are cached by URL (a few); `topicArns`, when given, is the list of topics accepted.
 */
import { pemToDer, subjectPublicKeyInfo } from "./der.ts";
import { message as messageOf } from "../errors.ts";

export class SnsVerificationError extends Error {}

export interface SnsVerifierOptions {
  /** Extra origins (`scheme://host:port`) whose certificates and SubscribeURLs are trusted: LocalStack only. */
  trustedCertOrigins?: string[];
  /** Only these topics are accepted (default: any topic whose message verifies). */
  topicArns?: string[];
  fetch?: typeof fetch;
  /** Timeout of a certificate download, ms. Default 10 s. */
  timeoutMs?: number;
}

export type SnsMessage = Record<string, unknown>;

const FIELDS: Record<string, string[]> = {
  Notification: ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
  SubscriptionConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
  UnsubscribeConfirmation: ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"],
};
const HASHES: Record<string, string> = { "1": "SHA-1", "2": "SHA-256" };
const MAX_CERTIFICATE_BYTES = 65_536;
const CACHE_SIZE = 16;

export class SnsVerifier {
  readonly #origins: Set<string>;
  readonly #topics: Set<string> | undefined;
  readonly #fetch: typeof fetch;
  readonly #timeoutMs: number;
  readonly #keys = new Map<string, Promise<CryptoKey>>();

  constructor(options: SnsVerifierOptions = {}) {
    this.#origins = new Set((options.trustedCertOrigins ?? []).map(originOf));
    this.#topics = options.topicArns?.length ? new Set(options.topicArns) : undefined;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Whether a URL is SNS's own (https, sns.<region>.amazonaws.com[.cn], default port) or of a trusted origin. */
  trusted(url: unknown): boolean {
    if (typeof url !== "string") return false;
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return false;
    }
    if (u.username || u.password) return false;
    if (this.#origins.has(u.origin)) return true;
    return u.protocol === "https:" && u.port === "" && /^sns\.[a-z]{2}(-[a-z]+)+-\d{1,2}\.amazonaws\.com(\.cn)?$/.test(u.hostname);
  }

  async verify(message: SnsMessage): Promise<void> {
    const type = message.Type;
    if (typeof type !== "string" || !FIELDS[type]) throw new SnsVerificationError(`not an SNS message type: ${JSON.stringify(type)}`);
    if (typeof message.TopicArn !== "string" || !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[\w.-]{1,256}$/.test(message.TopicArn)) {
      throw new SnsVerificationError(`not a topic ARN: ${JSON.stringify(message.TopicArn)}`);
    }
    if (this.#topics && !this.#topics.has(message.TopicArn)) throw new SnsVerificationError(`topic ${message.TopicArn} is not one this endpoint accepts`);
    const hash = HASHES[String(message.SignatureVersion)];
    if (!hash) throw new SnsVerificationError(`unknown SignatureVersion ${JSON.stringify(message.SignatureVersion)}`);
    const certUrl = message.SigningCertURL ?? message.SigningCertUrl;
    if (!this.trusted(certUrl) || !new URL(certUrl as string).pathname.endsWith(".pem")) {
      throw new SnsVerificationError(`SigningCertURL ${JSON.stringify(certUrl)} is not an Amazon SNS certificate URL (https://sns.<region>.amazonaws.com/….pem)`);
    }
    if ((type !== "Notification") && !this.trusted(message.SubscribeURL)) {
      throw new SnsVerificationError(`SubscribeURL ${JSON.stringify(message.SubscribeURL)} is not an Amazon SNS URL`);
    }
    if (typeof message.Signature !== "string") throw new SnsVerificationError("no Signature");
    let signature: Uint8Array;
    try {
      signature = base64Bytes(message.Signature);
    } catch {
      throw new SnsVerificationError("Signature is not base64");
    }
    const text = stringToSign(message);
    const key = await this.#key(certUrl as string, hash);
    const ok = await crypto.subtle.verify("RSASSA-PKCS1-v1_5", key, signature as Uint8Array<ArrayBuffer>, new TextEncoder().encode(text));
    if (!ok) throw new SnsVerificationError(`the signature does not match the message (SignatureVersion ${String(message.SignatureVersion)})`);
  }

  #key(url: string, hash: string): Promise<CryptoKey> {
    const cacheKey = `${hash} ${url}`;
    let key = this.#keys.get(cacheKey);
    if (!key) {
      key = this.#load(url, hash);
      key.catch(() => this.#keys.delete(cacheKey));
      if (this.#keys.size >= CACHE_SIZE) this.#keys.delete(this.#keys.keys().next().value!);
      this.#keys.set(cacheKey, key);
    }
    return key;
  }

  async #load(url: string, hash: string): Promise<CryptoKey> {
    let pem: string;
    try {
      const response = await this.#fetch(url, { redirect: "error", signal: AbortSignal.timeout(this.#timeoutMs) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = new Uint8Array(await response.arrayBuffer());
      if (bytes.length > MAX_CERTIFICATE_BYTES) throw new Error(`${bytes.length} bytes: too big for a certificate`);
      pem = new TextDecoder().decode(bytes);
    } catch (error) {
      throw new SnsVerificationError(`cannot fetch the signing certificate ${url}: ${messageOf(error)}`);
    }
    try {
      const spki = subjectPublicKeyInfo(pemToDer(pem));
      return await crypto.subtle.importKey("spki", spki as Uint8Array<ArrayBuffer>, { name: "RSASSA-PKCS1-v1_5", hash }, false, ["verify"]);
    } catch (error) {
      throw new SnsVerificationError(`the signing certificate ${url} has no usable RSA key: ${messageOf(error)}`);
    }
  }
}

/** The string SNS signs for a message: each field present, in order, as `name\nvalue\n`. */
export function stringToSign(message: SnsMessage): string {
  const fields = FIELDS[String(message.Type)];
  if (!fields) throw new SnsVerificationError(`not an SNS message type: ${JSON.stringify(message.Type)}`);
  let out = "";
  for (const field of fields) {
    const value = message[field];
    if (value === undefined || value === null) {
      if (field === "Subject") continue;
      throw new SnsVerificationError(`no ${field}`);
    }
    if (typeof value !== "string") throw new SnsVerificationError(`${field} is not a string`);
    out += `${field}\n${value}\n`;
  }
  return out;
}

function originOf(origin: string): string {
  try {
    return new URL(origin).origin;
  } catch {
    throw new TypeError(`a trusted certificate origin must be a URL like http://127.0.0.1:4566, not ${JSON.stringify(origin)}`);
  }
}

function base64Bytes(text: string): Uint8Array {
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
