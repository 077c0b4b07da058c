/**
 * One notification, start to verdict: parse it (messages.ts), index each object it names (index-object.ts), keep
 * the dead letters, and say whether the message may go. Shared by the queue worker and the edge handler.
 *
 * ```ts
 * const { verdict, outcomes } = await processMessage(body, indexer, { keep: (lines) => appendToFile(lines) });
 * if (verdict.action === "delete") await sqs.delete(queueUrl, receiptHandle);
 * ```
 *
 * - `s3:TestEvent` and events that create nothing (ObjectRemoved, …) are done at once: `delete`.
 * - A message of no known shape is a `retry` with the reason, never a `delete`: after the redrive count it rests
 *   in the dead-letter queue, where someone can look at it.
 * - Objects are done in order; the message is `delete` only when every object is done (indexed or skipped) and
 *   its dead letters are kept (`keep` resolved). Otherwise it is a `retry` naming the first failed object and its
 *   cause, `transient` when every failure was (the engine or S3 unavailable).
 */
import type { Verdict } from "./consumer.ts";
import type { ObjectIndexer, ObjectOutcome } from "./index-object.ts";
import { parseMessage, type ParsedMessage } from "./messages.ts";
import { message } from "../errors.ts";

export interface ProcessOptions {
  /** Keeps dead-letter lines durably (a file, a log); must resolve before the message may be deleted. */
  keep?: (lines: string[]) => Promise<void>;
  /** Called after each object. */
  onOutcome?: (outcome: ObjectOutcome) => void;
  /** Stop before the next object (shutdown): the message is then a transient `retry`. */
  signal?: AbortSignal;
}

export interface ProcessResult {
  parsed: ParsedMessage;
  outcomes: ObjectOutcome[];
  verdict: Verdict;
}

export async function processMessage(body: string, indexer: ObjectIndexer, options: ProcessOptions = {}): Promise<ProcessResult> {
  const parsed = parseMessage(body);
  if (parsed.kind === "unknown") return { parsed, outcomes: [], verdict: { action: "retry", reason: `unrecognised message: ${parsed.reason}` } };
  if (parsed.kind !== "objects") return { parsed, outcomes: [], verdict: { action: "delete" } };
  const outcomes: ObjectOutcome[] = [];
  for (const ref of parsed.objects) {
    if (options.signal?.aborted) return { parsed, outcomes, verdict: { action: "retry", reason: "stopped before every object was done", transient: true } };
    const outcome = await indexer.index(ref);
    if (outcome.status !== "failed" && outcome.deadLetters.length && options.keep) {
      try {
        await options.keep(outcome.deadLetters);
      } catch (error) {
        outcome.status = "failed";
        outcome.reason = `its ${outcome.deadLetters.length} dead letters could not be kept: ${message(error)}`;
      }
    }
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  const failed = outcomes.filter((o) => o.status === "failed");
  if (!failed.length) return { parsed, outcomes, verdict: { action: "delete" } };
  const first = failed[0]!;
  const more = failed.length > 1 ? ` (and ${failed.length - 1} more objects)` : "";
  return { parsed, outcomes, verdict: { action: "retry", reason: `${first.object}: ${first.reason}${more}`, transient: failed.every((o) => o.transient) } };
}
