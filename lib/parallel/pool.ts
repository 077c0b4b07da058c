/**
 * The main thread's side of working on several cores: log objects handed to workers, each object whole to one
 * worker (so records of one object stay together and in order, as ids need: search/ids.ts), and the job's
 * results taken back, with the worker's books added to the run's ledger.
 *
 * ```ts
 * const pool = new ObjectPool({ spawn: spawnWorker, workers: 2, job: "split", config: { program }, ledger,
 *   onResult: (result) => write(result), onDone: (seq) => next(seq) });
 * await pool.run(objects);
 * ```
 *
 * Objects go in bundles: consecutive objects of the input, up to `bundleBytes` (1 MiB as read) or 16 of them, in
 * one message with their bytes (transferred, not copied): a message costs more than a small CloudTrail file takes
 * to split, so one per object would cost more than the second core gives. A large object ends its bundle and is
 * sent as it is read, `chunks` chunks ahead of the worker. Bundles are numbered in input order (`seq`): a consumer
 * that must keep that order (split) writes bundle by bundle (`onDone`).
 *
 * Memory is bounded: a worker holds the bundle it works on and `ahead` more; it has at most a few results not yet
 * handled (`onResult` resolving is what lets it go on; serve.ts). A worker that fails, a result handler that
 * throws, or an input that errors ends the run with that error, and every worker is stopped.
 */
import type { Failure, Ledger } from "../ledger.ts";
import { ObjectError, type LogObject } from "../streams/log-object.ts";
import type { BundleObject, Channel, ErrorInfo, FromWorker } from "./channel.ts";
import { applyDelta, type Delta } from "./ledger-delta.ts";

export interface PoolOptions {
  /** Starts worker `index` (0-based) and returns its channel. */
  spawn: (index: number) => Channel;
  workers: number;
  /** The job the workers run (serve.ts), and its configuration (plain data). */
  job: string;
  config: unknown;
  /** The run's ledger: each worker's books are added to it. */
  ledger: Ledger;
  /** A result of the job; the worker may send more once it resolves. */
  onResult: (result: unknown) => void | Promise<void>;
  /** Every result of bundle `seq` has been given to onResult. */
  onDone?: (seq: number) => void | Promise<void>;
  /** Bytes (as read) that close a bundle. Default 1 MiB. */
  bundleBytes?: number;
  /** Chunks of a large object sent ahead of the worker's reading. Default 4. */
  chunks?: number;
  /** Bundles given to a worker beyond the one it works on. Default 1. */
  ahead?: number;
}

const MAX_BUNDLE_OBJECTS = 16;
/** After the first object of a bundle, how long to wait for the next one before sending what there is. */
const BUNDLE_WAIT_MS = 20;

export class ObjectPool {
  readonly #options: PoolOptions;
  readonly #chunks: number;
  readonly #ahead: number;
  readonly #bundleBytes: number;
  #workers: WorkerState[] = [];
  #source: ReadableStreamDefaultReader<LogObject> | undefined;
  #read: Promise<ReadableStreamReadResult<LogObject>> | undefined;
  #exhausted = false;
  /** Bundles are made one at a time, in input order. */
  #filling: Promise<void> = Promise.resolve();
  #seq = 0;
  #settle: { resolve: () => void; reject: (error: unknown) => void } | undefined;
  #stopped = false;
  /** Failures of bundles done, waiting for the bundles before them. */
  readonly #failures = new Map<number, Failure[]>();
  #failuresNext = 0;

  constructor(options: PoolOptions) {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new RangeError(`ObjectPool: workers must be a whole number >= 1, not ${options.workers}`);
    this.#options = options;
    this.#chunks = Math.max(1, options.chunks ?? 4);
    this.#ahead = Math.max(0, options.ahead ?? 1);
    this.#bundleBytes = Math.max(1, options.bundleBytes ?? 1 << 20);
  }

  /**
   * Runs the job over every object; resolves when every worker has closed and every result has been handled, or
   * when `stop()` was called (the consumer wants no more).
   */
  async run(objects: ReadableStream<LogObject>): Promise<void> {
    this.#source = objects.getReader();
    const finished = new Promise<void>((resolve, reject) => {
      this.#settle = { resolve, reject };
      let open = this.#options.workers;
      for (let i = 0; i < this.#options.workers; i++) {
        const state = new WorkerState(i, this.#options.spawn(i));
        this.#workers.push(state);
        state.channel.onFailure?.((error) => this.#fail(error));
        state.channel.receive((message) => {
          this.#handle(state, message as FromWorker).then(
            (closed) => {
              if (closed && --open === 0) resolve();
            },
            (error) => this.#fail(error),
          );
        });
        state.channel.send({ type: "start", job: this.#options.job, config: this.#options.config });
      }
    });
    try {
      // each worker: the bundle it starts on, and `ahead` more
      for (const state of this.#workers) void this.#fill(state, this.#ahead + 1).catch((error) => this.#fail(error));
      await finished;
    } finally {
      await this.#shutdown();
    }
  }

  /** Stops early: the workers and the input (a consumer that wants no more, e.g. `| head`). `run` then resolves. */
  stop(): void {
    this.#settle?.resolve();
  }

  #fail(error: unknown): void {
    this.#settle?.reject(error);
  }

  async #shutdown(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const state of this.#workers) {
      for (const reader of state.streaming.values()) await reader.reader.cancel().catch(() => {});
      state.streaming.clear();
      await state.channel.close();
    }
    if (!this.#exhausted) await this.#source?.cancel().catch(() => {});
    try {
      this.#source?.releaseLock();
    } catch {
      // a read still pending on a cancelled input
    }
  }

  async #handle(state: WorkerState, message: FromWorker): Promise<boolean> {
    if (this.#stopped) return false;
    switch (message.type) {
      case "started":
        state.queued--;
        await this.#fill(state, this.#ahead);
        return false;
      case "credit":
        await this.#sendChunk(state, message.seq);
        return false;
      case "cancel": {
        const streaming = state.streaming.get(message.seq);
        state.streaming.delete(message.seq);
        await streaming?.reader.cancel().catch(() => {});
        return false;
      }
      case "result":
        this.#books(state, message.delta, message.done);
        // in order per worker: the next result of this worker waits for this one
        state.results = state.results.then(async () => {
          await this.#options.onResult(message.result);
          if (!this.#stopped) state.channel.send({ type: "ack" });
          if (message.done !== undefined) await this.#options.onDone?.(message.done);
        });
        await state.results;
        return false;
      case "done":
        this.#books(state, message.delta, message.seq);
        await (state.results = state.results.then(() => this.#options.onDone?.(message.seq)));
        return false;
      case "closed":
        this.#books(state, message.delta);
        // failures of bundles no one said were done (a job that does not): in the order they came
        for (const f of state.failures.splice(0)) this.#options.ledger.failures.push(f);
        await state.results;
        return true;
      case "fatal":
        throw new Error(`worker ${state.index + 1}: ${message.message}`);
    }
  }

  /**
   * A worker's books into the run's ledger. Counts at once; failures by bundle, in the input's order, as bundles
   * are done (a worker's failures up to the end of bundle `done` are that bundle's or its earlier ones'), so that
   * the failures are listed as one thread lists them.
   */
  #books(state: WorkerState, delta: Delta, done?: number): void {
    applyDelta(this.#options.ledger, { ...delta, failures: [] });
    state.failures.push(...delta.failures);
    if (done === undefined) return;
    this.#failures.set(done, state.failures.splice(0));
    for (let f; (f = this.#failures.get(this.#failuresNext)); this.#failuresNext++) {
      this.#failures.delete(this.#failuresNext);
      for (const failure of f) this.#options.ledger.failures.push(failure);
    }
  }

  /** Gives the worker bundles until `queued` of them wait to be started, or tells it there are no more. */
  #fill(state: WorkerState, queued: number): Promise<void> {
    const filled = this.#filling.then(async () => {
      while (!state.ended && !this.#stopped && state.queued < queued) {
        const seq = this.#seq;
        const objects: BundleObject[] = [];
        const transfer: ArrayBuffer[] = [];
        let bytes = 0;
        let streaming: ReadableStreamDefaultReader<Uint8Array> | undefined;
        while (!streaming && objects.length < MAX_BUNDLE_OBJECTS && bytes < this.#bundleBytes) {
          const object = await this.#next(objects.length ? BUNDLE_WAIT_MS : undefined);
          if (!object) break;
          // its first chunks go with it: most objects are small, and then that is all of it
          const entry: BundleObject = { name: object.name, transportDecoded: object.transportDecoded, chunks: [], complete: false };
          const reader = object.body.getReader();
          try {
            while (entry.chunks.length < this.#chunks) {
              const next = await reader.read();
              if (next.done) {
                entry.complete = true;
                break;
              }
              const chunk = transferable(next.value);
              entry.chunks.push(chunk);
              transfer.push(chunk.buffer as ArrayBuffer);
              bytes += chunk.length;
            }
            if (!entry.complete) streaming = reader;
          } catch (error) {
            entry.error = errorInfo(error);
          }
          objects.push(entry);
        }
        if (this.#stopped) return;
        if (!objects.length) {
          state.ended = true;
          state.channel.send({ type: "end" });
          return;
        }
        this.#seq++;
        state.queued++;
        if (streaming) state.streaming.set(seq, { reader: streaming, owed: 0 });
        state.channel.send({ type: "bundle", seq, objects }, transfer);
      }
    });
    this.#filling = filled.catch(() => {});
    return filled;
  }

  /** The next input object, in order; undefined at the end; with `waitMs`, also undefined if it is not there by then. */
  async #next(waitMs?: number): Promise<LogObject | undefined> {
    if (this.#exhausted) return undefined;
    const read = (this.#read ??= this.#source!.read());
    let timer: ReturnType<typeof setTimeout> | undefined;
    const next = waitMs === undefined ? await read : await Promise.race([read, new Promise<undefined>((r) => void (timer = setTimeout(() => r(undefined), waitMs)))]);
    clearTimeout(timer);
    if (!next) return undefined; // not yet: it starts the next bundle
    this.#read = undefined;
    if (next.done) {
      this.#exhausted = true;
      return undefined;
    }
    return next.value;
  }

  /** One more chunk of bundle `seq`'s large object (or its end, or its error). */
  async #sendChunk(state: WorkerState, seq: number): Promise<void> {
    const streaming = state.streaming.get(seq);
    if (!streaming) return;
    if (streaming.reading) return void streaming.owed++;
    streaming.reading = true;
    try {
      for (let owed = 1; owed > 0 && state.streaming.has(seq); owed--) {
        let next: ReadableStreamReadResult<Uint8Array>;
        try {
          next = await streaming.reader.read();
        } catch (error) {
          state.streaming.delete(seq);
          state.channel.send({ type: "fail-object", seq, error: errorInfo(error) });
          return;
        }
        if (this.#stopped) return;
        if (next.done) {
          state.streaming.delete(seq);
          state.channel.send({ type: "end-object", seq });
          return;
        }
        const bytes = transferable(next.value);
        state.channel.send({ type: "chunk", seq, bytes }, [bytes.buffer as ArrayBuffer]);
        owed += streaming.owed;
        streaming.owed = 0;
      }
    } finally {
      streaming.reading = false;
    }
  }
}

class WorkerState {
  /** The large object of a bundle, by the bundle's seq, while its bytes are being sent. */
  readonly streaming = new Map<number, { reader: ReadableStreamDefaultReader<Uint8Array>; reading?: boolean; owed: number }>();
  /** Bundles given to it and not started yet. */
  queued = 0;
  /** Its failures not yet filed under a bundle. */
  readonly failures: Failure[] = [];
  results: Promise<void> = Promise.resolve();
  ended = false;
  constructor(
    readonly index: number,
    readonly channel: Channel,
  ) {}
}

/**
 * A chunk whose buffer can be transferred: its own buffer, whole. A view into a larger or pooled one (a Node Buffer
 * from the pool) is copied: transferring its buffer would take the rest away from its owner.
 */
function transferable(chunk: Uint8Array): Uint8Array {
  if (chunk.byteOffset === 0 && chunk.byteLength === chunk.buffer.byteLength && chunk.buffer instanceof ArrayBuffer && chunk.constructor === Uint8Array) return chunk;
  return new Uint8Array(chunk);
}

function errorInfo(error: unknown): ErrorInfo {
  if (error instanceof ObjectError) return { message: error.message, object: error.object, reason: error.reason };
  return { message: error instanceof Error ? error.message : String(error) };
}
