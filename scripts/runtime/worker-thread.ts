/**
 * A worker thread of split.ts and ingest.ts (started by workers.ts): serves the jobs of lib/parallel with this
 * machine's gunzip. Run on its own, it says so and exits.
 *
 *   (started by split.ts and ingest.ts; see scripts/workers.ts)
 */
import { parentPort } from "node:worker_threads";
import process from "node:process";
import type { Channel } from "../../lib/parallel/channel.ts";
import { indexJob } from "../../lib/parallel/index-job.ts";
import { serve } from "../../lib/parallel/serve.ts";
import { splitJob } from "../../lib/parallel/split-job.ts";
import { decompress } from "./platform.ts";

// deno-lint-ignore no-explicit-any
const scope = globalThis as any;
const inWebWorker = typeof scope.WorkerGlobalScope === "function" && scope instanceof scope.WorkerGlobalScope;

function channel(): Channel | undefined {
  if (inWebWorker) {
    return {
      send: (message, transfer = []) => scope.postMessage(message, transfer),
      receive: (handler) => void (scope.onmessage = (event: MessageEvent) => handler(event.data)),
      close: () => {},
    };
  }
  const port = parentPort;
  if (!port) return undefined;
  return {
    send: (message, transfer) => port.postMessage(message, transfer as ArrayBuffer[] | undefined),
    receive: (handler) => void port.on("message", handler),
    close: () => {},
  };
}

const here = channel();
if (here) serve(here, { split: splitJob(decompress), index: indexJob(decompress) });
else {
  console.log("worker-thread.ts: the worker threads of split.ts and ingest.ts run this file; it does nothing on its own");
  process.exit(0);
}
