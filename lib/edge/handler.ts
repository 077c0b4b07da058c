/**
 * The edge handler: a fetch handler for an SNS HTTPS subscription that carries S3 event notifications (or
 * CloudTrail's own SNS notifications), indexing the objects they name with the same pipeline as `ingest`.
 *
 * ```ts
 * const handler = snsHandler({ indexer, verifier: new SnsVerifier(), prepare: () => prepareIndex(client, "cloudtrail") });
 * Deno.serve(handler.fetch);                 // or: export default handler (deno serve), see scripts/edge.ts
 * ```
 *
 * - Every message's signature is verified first (sns-signature.ts): anything unsigned, signed by another
 *   certificate or from a topic not accepted is answered 403 and never acted on.
 * - `SubscriptionConfirmation`: the SubscribeURL (an SNS URL, checked) is fetched, which confirms the subscription.
 * - `Notification`: each object is indexed; 200 when every record is accounted for (indexed, duplicate, or
 *   dead-lettered for good), otherwise 500 with the reason, so that SNS delivers it again (its delivery policy
 *   decides how often; give the subscription a dead-letter queue so that nothing is dropped after that).
 *   Deterministic ids make SNS's repeated deliveries harmless.
 * - Dead letters go to `deadLetter` (default: one `dead letter: {…}` line each on the log).
 * - `GET /` answers 200 (a health check); other methods 405; bodies over 256 KiB 413; not JSON 400.
 */
import type { ObjectIndexer } from "../queue/index-object.ts";
import { processMessage } from "../queue/process-message.ts";
import { SnsVerificationError, type SnsVerifier } from "./sns-signature.ts";
import { message as messageOf } from "../errors.ts";

export interface SnsHandlerOptions {
  indexer: ObjectIndexer;
  verifier: SnsVerifier;
  /** Run once before the first object is indexed (install the index template); retried on failure. */
  prepare?: () => Promise<unknown>;
  /** Keeps dead-letter lines; default: logged. */
  deadLetter?: (lines: string[]) => Promise<void> | void;
  log?: (line: string) => void;
  /** For the SubscribeURL. */
  fetch?: typeof fetch;
  maxBodyBytes?: number;
}

export interface FetchHandler {
  fetch(request: Request): Promise<Response>;
}

export function snsHandler(options: SnsHandlerOptions): FetchHandler {
  if (!options.indexer || !options.verifier) throw new TypeError("snsHandler needs an indexer and a verifier");
  const log = options.log ?? ((line: string) => console.error(`edge: ${line}`));
  const deadLetter = options.deadLetter ?? ((lines: string[]) => lines.forEach((l) => log(`dead letter: ${l}`)));
  const doFetch = options.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const maxBody = options.maxBodyBytes ?? 262_144 + 16_384;
  let prepared: Promise<unknown> | undefined;
  const prepare = () => {
    if (!options.prepare) return Promise.resolve();
    prepared ??= options.prepare().catch((error) => {
      prepared = undefined;
      throw error;
    });
    return prepared;
  };

  return {
    async fetch(request: Request): Promise<Response> {
      if (request.method === "GET" || request.method === "HEAD") return text(200, "trailpost: SNS endpoint for S3 event notifications\n");
      if (request.method !== "POST") return text(405, "POST SNS messages here\n", { allow: "GET, HEAD, POST" });
      const body = await readLimited(request, maxBody);
      if (body === undefined) return text(413, `a body over ${maxBody} bytes is no SNS message\n`);
      let message: Record<string, unknown>;
      try {
        const parsed: unknown = JSON.parse(body);
        if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) throw new Error("not an object");
        message = parsed as Record<string, unknown>;
      } catch {
        return text(400, "not an SNS message (JSON object)\n");
      }
      const header = request.headers.get("x-amz-sns-message-type");
      if (header && header !== message.Type) return text(400, `x-amz-sns-message-type ${header} is not the message's Type\n`);
      try {
        await options.verifier.verify(message);
      } catch (error) {
        if (!(error instanceof SnsVerificationError)) throw error;
        log(`refused a message (${error.message})`);
        return text(403, `refused: ${error.message}\n`);
      }
      const topic = String(message.TopicArn);
      if (message.Type === "SubscriptionConfirmation") {
        try {
          const answer = await doFetch(String(message.SubscribeURL), { redirect: "error", signal: AbortSignal.timeout(10_000) });
          await answer.body?.cancel();
          if (!answer.ok) throw new Error(`HTTP ${answer.status}`);
        } catch (error) {
          log(`could not confirm the subscription to ${topic}: ${messageOf(error)}`);
          return text(502, "could not confirm the subscription\n");
        }
        log(`confirmed the subscription to ${topic}`);
        return text(200, "subscription confirmed\n");
      }
      if (message.Type === "UnsubscribeConfirmation") {
        log(`unsubscribed from ${topic}`);
        return text(200, "ok\n");
      }
      try {
        await prepare();
      } catch (error) {
        log(`the engine is not ready: ${messageOf(error)}`);
        return text(503, "the search engine is not ready; deliver again later\n");
      }
      const result = await processMessage(body, options.indexer, { keep: async (lines) => void (await deadLetter(lines)) });
      const records = result.outcomes.reduce((n, o) => n + o.records.read, 0);
      if (result.verdict.action === "delete") {
        const indexed = result.outcomes.filter((o) => o.status === "indexed").length;
        if (result.parsed.kind === "objects") log(`${topic} ${String(message.MessageId)}: ${indexed} objects, ${records} records accounted for`);
        return json(200, { objects: indexed, records, skipped: result.outcomes.filter((o) => o.status === "skipped").length });
      }
      log(`${topic} ${String(message.MessageId)}: FAILED ${result.verdict.reason}`);
      return json(result.verdict.transient ? 503 : 500, { error: result.verdict.reason });
    },
  };
}

/** The body as text, or undefined when it is longer than `limit` bytes. */
async function readLimited(request: Request, limit: number): Promise<string | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > limit) return undefined;
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.length;
  }
  return new TextDecoder().decode(all);
}

function text(status: number, body: string, headers: Record<string, string> = {}): Response {
  return new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8", ...headers } });
}

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body) + "\n", { status, headers: { "content-type": "application/json" } });
}
