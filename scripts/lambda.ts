/**
 * The worker as an AWS Lambda function: an SQS event source mapping on the trail's queue invokes `handler` with a
 * batch of messages; each is processed as worker.ts processes it, and the messages that are not done are
 * returned as `batchItemFailures`, so that only they come back (turn on ReportBatchItemFailures). Settings are the
 * function's environment variables, as for the worker. Dead letters go to the function's log, one
 * `dead letter: {…}` line each.
 *
 *   esbuild scripts/lambda.ts --bundle --platform=node --format=esm --outfile=dist/lambda/index.mjs   # handler: index.handler
 */
import { usage } from "../lib/config.ts";
import { processMessage } from "../lib/queue/process-message.ts";
import { INDEXER_SETTINGS, indexerFromSettings, type SettingsIndexer } from "../lib/queue/settings.ts";
import { args, decompress, env, exit } from "./runtime/platform.ts";

export interface SQSEvent {
  Records?: { messageId: string; body: string }[];
}

let built: SettingsIndexer | undefined;
let prepared: Promise<unknown> | undefined;

export async function handler(event: SQSEvent): Promise<{ batchItemFailures: { itemIdentifier: string }[] }> {
  built ??= indexerFromSettings(env(), { decompress });
  const { indexer, prepare } = built;
  // the engine not ready fails the whole batch: every message comes back
  prepared ??= prepare().catch((error) => {
    prepared = undefined;
    throw error;
  });
  await prepared;
  const batchItemFailures: { itemIdentifier: string }[] = [];
  for (const record of event.Records ?? []) {
    const result = await processMessage(record.body, indexer, { keep: async (lines) => lines.forEach((line) => console.error(`dead letter: ${line}`)) });
    if (result.verdict.action === "delete") continue;
    console.error(`lambda: message ${record.messageId} failed: ${result.verdict.reason}`);
    batchItemFailures.push({ itemIdentifier: record.messageId });
  }
  return { batchItemFailures };
}

if (args().includes("--help")) {
  console.log(usage(`usage: an AWS Lambda handler (export handler), not a command

Indexes the objects the trail queue's messages name, for an SQS event source mapping with
ReportBatchItemFailures; settings are the function's environment variables:`, INDEXER_SETTINGS));
  exit(0);
}
