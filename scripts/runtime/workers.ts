/**
 * Worker threads for split.ts and ingest.ts (lib/parallel): the runtime's part. Under Deno a web Worker
 * (`new Worker(url, { type: "module" })`); under Node a worker_threads Worker that registers tsx's loader first
 * (Node 20 does not pass the main thread's module hooks on to workers: worker-boot.mjs). Each runs
 * worker-thread.ts.
 *
 * ```ts
 * const workers = workerCount(values.workers, { bytes: totalSize, objects: files.length });
 * if (workers) await new ObjectPool({ spawn: spawnWorker, workers, … }).run(objects);
 * ```
 *
 * How many: WORKERS (`--workers`) is a number (0: everything in this thread) or `auto`, the default: one per core
 * but one (the main thread reads, writes and sends) on machines of AUTO_MIN_CORES cores or more, when the input is
 * large enough to pay for starting them (AUTO_MIN_BYTES); else none. Measured on 2 cores (make bench): two workers
 * split no faster under Node and 1.2× faster under Deno, for 40–60% more CPU and about 100 MB more memory (each
 * thread is a V8 heap of its own, and under Node a tsx loader of its own), so 2 cores run in one thread unless told.
 * A worker takes about 0.2 s to start under Node, 0.03 s under Deno.
 */
import { availableParallelism } from "node:os";
import process from "node:process";
import { Worker as NodeWorker } from "node:worker_threads";
import type { Channel, FromWorker, ToWorker } from "../../lib/parallel/channel.ts";

// deno-lint-ignore no-explicit-any
const Deno = (globalThis as any).Deno as object | undefined;

/** Input (bytes as read: gzip or JSON) below which `auto` uses no workers. */
export const AUTO_MIN_BYTES = 8 << 20;
/** Cores below which `auto` uses no workers. */
export const AUTO_MIN_CORES = 4;
export const MAX_WORKERS = 64;

export const WORKERS_FLAG = {
  env: "WORKERS",
  flag: "--workers",
  help: "worker threads for gunzip and splitting: auto (default: one per core but one, on 4 cores or more, for large inputs) or a number (0: none)",
  check: (v: string) => (/^(auto|\d{1,2})$/.test(v) && (v === "auto" || Number(v) <= MAX_WORKERS) ? undefined : `WORKERS must be auto or a whole number from 0 to ${MAX_WORKERS}, not ${JSON.stringify(v)}`),
};

/**
 * Workers for a run: the setting, or for `auto` one per core but one on machines of AUTO_MIN_CORES or more, when
 * the input (as far as it is known: sizes of the files, or of a listing so far) is large; never more than there
 * are objects.
 */
export async function workerCount(setting: string | undefined, input: { bytes: number; objects: number } | (() => Promise<{ bytes: number; objects: number }>)): Promise<number> {
  const known = () => (typeof input === "function" ? input() : Promise.resolve(input));
  if (setting !== undefined && setting !== "" && setting !== "auto") return Number(setting);
  const cores = availableParallelism();
  if (cores < AUTO_MIN_CORES) return 0;
  const { bytes, objects } = await known();
  if (objects < 2 || bytes < AUTO_MIN_BYTES) return 0;
  return Math.min(cores - 1, objects);
}

// Bundled (make build: dist/NAME.mjs), the thread's own bundle is dist/runtime/worker-thread.mjs and Node loads it as
// it is; from source, worker-boot.mjs registers tsx's loader first.
const built = import.meta.url.endsWith(".mjs");
const entry = new URL(built ? "./runtime/worker-thread.mjs" : "./worker-thread.ts", import.meta.url);

/** Starts worker `index`, running worker-thread.ts; its channel. */
export function spawnWorker(_index: number): Channel {
  if (Deno) return webWorker(new Worker(entry.href, { type: "module" }));
  let closing = false;
  // a young generation of 8 MB instead of V8's default (up to 48 MB per thread): measured, 50 MB less RSS with
  // two workers and no slower
  const resourceLimits = { maxYoungGenerationSizeMb: 8 };
  const worker = built ? new NodeWorker(entry, { resourceLimits }) : new NodeWorker(new URL("./worker-boot.mjs", import.meta.url), { workerData: { entry: entry.href }, resourceLimits });
  return {
    send: (message, transfer) => worker.postMessage(message, transfer as ArrayBuffer[] | undefined),
    receive: (handler) => void worker.on("message", (data: ToWorker | FromWorker) => handler(data)),
    onFailure: (handler) => {
      worker.on("error", (error) => handler(error));
      worker.on("exit", (code) => {
        if (!closing) handler(new Error(`a worker thread exited (code ${code})`));
      });
    },
    close: async () => {
      closing = true;
      await worker.terminate();
    },
  };
}

function webWorker(worker: Worker): Channel {
  return {
    send: (message, transfer = []) => worker.postMessage(message, transfer),
    receive: (handler) => {
      worker.onmessage = (event: MessageEvent) => handler(event.data);
    },
    onFailure: (handler) => {
      worker.onerror = (event: ErrorEvent) => {
        event.preventDefault();
        handler(new Error(`a worker thread failed: ${event.message}`));
      };
    },
    close: () => worker.terminate(),
  };
}
