/**
 * A worker's side of pool.ts: the objects the main thread hands over become a stream of log objects whose bodies
 * are read as their chunks arrive, a job runs over them, and its results go back a few at a time, each with what
 * changed in the worker's books.
 *
 * ```ts
 * // the worker's entry (scripts/runtime/worker-thread.ts): a channel from the runtime, the jobs it can run
 * serve(channel, { split: splitJob(decompress), index: indexJob(decompress) });
 * // a job
 * const job: Job = async (objects, context) => {
 *   for await (const object of iterate(objects)) {
 *     … await context.emit({ seq: object.seq, bytes }, [bytes.buffer]);
 *     await context.done(object.seq);
 *   }
 * };
 * ```
 */
import { Ledger } from "../ledger.ts";
import { ObjectError, type LogObject } from "../streams/log-object.ts";
import type { Channel, ErrorInfo, FromWorker, ToWorker } from "./channel.ts";
import { LedgerDelta } from "./ledger-delta.ts";

/** A log object as a worker gets it: with its bundle's place in the run's order, and whether it ends the bundle. */
export type WorkerObject = LogObject & { seq: number; last: boolean };

export interface JobContext {
  /** The job's configuration (plain data, from the main thread). */
  readonly config: unknown;
  /** The worker's books: what the job counts here reaches the run's ledger with its next message. */
  readonly ledger: Ledger;
  /** Sends a result; resolves once the main thread has room for more. `done`: it is the last of object `done`. */
  emit(result: unknown, transfer?: ArrayBuffer[], done?: number): Promise<void>;
  /** Every result of bundle `seq` has been emitted (for a consumer that keeps the objects' order). */
  done(seq: number): Promise<void>;
}

export interface Job {
  (objects: ReadableStream<WorkerObject>, context: JobContext): Promise<void>;
  /** Results sent and not yet handled by the main thread, at most. Default 2. */
  window?: number;
}

export function serve(channel: Channel, jobs: Record<string, Job>): void {
  let window = 2;
  const ledger = new Ledger();
  const delta = new LedgerDelta(ledger);
  const bodies = new Map<number, Body>();
  const queued: WorkerObject[] = [];
  let ended = false;
  let startedSeq = -1;
  let wakeObjects: (() => void) | undefined;
  let unacknowledged = 0;
  let wakeEmit: (() => void) | undefined;
  const send = (message: FromWorker, transfer?: ArrayBuffer[]) => channel.send(message, transfer);

  const objects = new ReadableStream<WorkerObject>(
    {
      async pull(controller) {
        while (!queued.length && !ended) await new Promise<void>((r) => (wakeObjects = r));
        const object = queued.shift();
        if (!object) return controller.close();
        if (object.seq !== startedSeq) send({ type: "started", seq: (startedSeq = object.seq) });
        controller.enqueue(object);
      },
    },
    { highWaterMark: 0 },
  );

  const context = (config: unknown): JobContext => ({
    config,
    ledger,
    async emit(result, transfer, done) {
      while (unacknowledged >= window) await new Promise<void>((r) => (wakeEmit = r));
      unacknowledged++;
      send(done === undefined ? { type: "result", result, delta: delta.take() } : { type: "result", result, delta: delta.take(), done }, transfer);
    },
    async done(seq) {
      send({ type: "done", seq, delta: delta.take() });
    },
  });

  channel.receive((message) => {
    const m = message as ToWorker;
    switch (m.type) {
      case "start": {
        const job = jobs[m.job];
        if (!job) return send({ type: "fatal", message: `no job ${JSON.stringify(m.job)} here` });
        window = Math.max(1, job.window ?? 2);
        job(objects, context(m.config)).then(
          () => send({ type: "closed", delta: delta.take() }),
          (error: unknown) => send({ type: "fatal", message: error instanceof Error ? error.message : String(error) }),
        );
        return;
      }
      case "bundle": {
        for (let i = 0; i < m.objects.length; i++) {
          const o = m.objects[i]!;
          const body = new Body(m.seq, send);
          for (const chunk of o.chunks) body.push(chunk);
          if (o.error) body.fail(o.error);
          else if (o.complete) body.end();
          else bodies.set(m.seq, body);
          // only a bundle's last object may still be coming: it is the one chunks of `seq` are for
          const release = () => void (bodies.get(m.seq) === body && bodies.delete(m.seq));
          queued.push({ seq: m.seq, last: i === m.objects.length - 1, name: o.name, transportDecoded: o.transportDecoded, body: body.stream(release) });
        }
        return wake();
      }
      case "chunk":
        return bodies.get(m.seq)?.push(m.bytes);
      case "end-object":
        return bodies.get(m.seq)?.end();
      case "fail-object":
        return bodies.get(m.seq)?.fail(m.error);
      case "ack":
        unacknowledged--;
        wakeEmit?.();
        wakeEmit = undefined;
        return;
      case "end":
        ended = true;
        return wake();
    }
  });

  function wake() {
    wakeObjects?.();
    wakeObjects = undefined;
  }
}

/** One object's bytes as they arrive; each chunk taken asks the main thread for one more. */
class Body {
  #chunks: Uint8Array[] = [];
  #ended = false;
  #error: ErrorInfo | undefined;
  #wake: (() => void) | undefined;
  #cancelled = false;

  constructor(
    readonly seq: number,
    readonly send: (message: FromWorker) => void,
  ) {}

  push(bytes: Uint8Array): void {
    if (this.#cancelled) return;
    this.#chunks.push(bytes);
    this.#notify();
  }

  end(): void {
    this.#ended = true;
    this.#notify();
  }

  fail(error: ErrorInfo): void {
    this.#error = error;
    this.#notify();
  }

  stream(release: () => void): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          while (!this.#chunks.length && !this.#ended && !this.#error) await new Promise<void>((r) => (this.#wake = r));
          const chunk = this.#chunks.shift();
          if (chunk) {
            if (!this.#ended && !this.#error) this.send({ type: "credit", seq: this.seq });
            return controller.enqueue(chunk);
          }
          release();
          if (this.#error) throw this.#error.object !== undefined ? new ObjectError(this.#error.object, this.#error.reason ?? "") : new Error(this.#error.message);
          if (this.#ended) controller.close();
        },
        cancel: () => {
          this.#cancelled = true;
          this.#chunks = [];
          release();
          if (!this.#ended && !this.#error) this.send({ type: "cancel", seq: this.seq });
        },
      },
      { highWaterMark: 0 },
    );
  }

  #notify(): void {
    this.#wake?.();
    this.#wake = undefined;
  }
}
