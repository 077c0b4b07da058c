/**
 * A stateless SQS consumer: long-polls the queue, hands each message to `handle` with up to `concurrency` in
 * flight, keeps their visibility extended while they are processed, and deletes a message only when `handle`
 * says so. Any number of consumers, in any number of processes and machines, may share one queue: they share
 * nothing else.
 *
 * ```ts
 * const consumer = new Consumer({ sqs, queueUrl, concurrency: 4, handle: async (message) => ({ action: "delete" }) });
 * process.on("SIGTERM", () => consumer.stop());
 * const result = await consumer.run(); // { reason: "stopped" | "idle", …counts }
 * ```
 *
 * - **Visibility**: messages are received with `visibilitySeconds` and extended by as much every half of it
 *   (ChangeMessageVisibilityBatch), so a big object is never handed to a second consumer while it is processed.
 *   A handle SQS no longer honours (the 12-hour limit, a message redelivered meanwhile) is logged and left: the
 *   deterministic ids make a second processing harmless.
 * - **Failures**: a `retry` verdict releases the message with a backoff (`retryDelaySeconds` × 2^(receives-1),
 *   at most 15 minutes); after the queue's redrive count SQS moves it to the dead-letter queue, and the last
 *   failure is logged as such. A `transient` failure (the engine or S3 unavailable) is not the message's fault:
 *   the consumer keeps holding it, stops receiving, waits until `ready()` passes, and processes it again, so an
 *   outage never pushes good messages to the dead-letter queue.
 * - **Stop** (`stop()`, e.g. on SIGTERM): no more receiving; what is held is finished within `drainSeconds`,
 *   and whatever is still held then is released at once (visibility 0) for another consumer. A long poll under
 *   way is let finish (at most `waitSeconds`) rather than cut, because a poll abandoned by the client may still
 *   take messages on the server's side (LocalStack does), which would then stay invisible for a whole timeout;
 *   whatever it brings is released at once. A second stop() cuts the poll and releases everything at once.
 * - **Idle** (`exitWhenIdleSeconds`): ends once the consumer holds nothing and the queue has had no message,
 *   visible, in flight or delayed, for that long.
 */
import { SQSError, type Message, type SQS } from "../aws/sqs.ts";
import { message as messageOf } from "../errors.ts";

export type Verdict =
  | { action: "delete" }
  | { action: "retry"; reason: string; transient?: boolean };

export interface ConsumerOptions {
  sqs: SQS;
  queueUrl: string;
  /** Processes one message; its verdict decides the message's fate. A throw is a `retry`. */
  handle: (message: Message, signal: AbortSignal) => Promise<Verdict>;
  /** Messages in flight at once. Default 4. */
  concurrency?: number;
  /** Visibility timeout of held messages, renewed every half of it. Default 60 s, at least 2. */
  visibilitySeconds?: number;
  /** Long-poll wait, 0-20 s. Default 20. */
  waitSeconds?: number;
  /** First delay before a failed message is seen again; doubles per receive. Default 10 s. */
  retryDelaySeconds?: number;
  /** The queue's redrive count (maxReceiveCount), to say when a failure sends the message to the dead-letter queue. */
  maxReceiveCount?: number;
  /** End once idle this long (undefined: run until stopped). */
  exitWhenIdleSeconds?: number;
  /** Time held messages get to finish after stop(). Default 20 s. */
  drainSeconds?: number;
  /** Resolves when what `handle` needs is available again, throws while it is not (checked after a transient failure). */
  ready?: () => Promise<void>;
  log?: (line: string) => void;
}

export interface ConsumerResult {
  reason: "stopped" | "idle";
  received: number;
  deleted: number;
  /** Released for another try. */
  retried: number;
  /** Failed on their last receive before the dead-letter queue. */
  gaveUp: number;
  /** Still held at the end of the drain, released at once. */
  released: number;
  /** Processed again in place after a transient failure. */
  resumed: number;
}

interface Held {
  message: Message;
  controller: AbortController;
  /** SQS no longer honours the handle (extension failed), or it was released: nothing more to do with it. */
  done: boolean;
}

const MAX_RETRY_DELAY = 900;

export class Consumer {
  readonly #o: Required<Omit<ConsumerOptions, "maxReceiveCount" | "exitWhenIdleSeconds" | "ready">> & Pick<ConsumerOptions, "maxReceiveCount" | "exitWhenIdleSeconds" | "ready">;
  readonly #held = new Map<string, Held>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #result: ConsumerResult = { reason: "stopped", received: 0, deleted: 0, retried: 0, gaveUp: 0, released: 0, resumed: 0 };
  #stopping = false;
  /** Sleepers woken by stop(). */
  readonly #waiters = new Set<() => void>();
  #poll: AbortController | undefined;
  #stoppedAt: number | undefined;
  #unready = false;
  #readiness: Promise<void> | undefined;

  constructor(options: ConsumerOptions) {
    if (!options.sqs || !options.queueUrl) throw new TypeError("Consumer needs an SQS client and a queue URL");
    if (typeof options.handle !== "function") throw new TypeError("Consumer needs a handle function");
    const whole = (name: string, v: number | undefined, min: number, max: number) => {
      if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) throw new RangeError(`${name} must be a whole number from ${min} to ${max}, not ${v}`);
    };
    whole("concurrency", options.concurrency, 1, 1000);
    whole("visibilitySeconds", options.visibilitySeconds, 2, 43_200);
    whole("waitSeconds", options.waitSeconds, 0, 20);
    whole("retryDelaySeconds", options.retryDelaySeconds, 0, MAX_RETRY_DELAY);
    whole("drainSeconds", options.drainSeconds, 0, 43_200);
    whole("exitWhenIdleSeconds", options.exitWhenIdleSeconds, 0, 1_000_000);
    whole("maxReceiveCount", options.maxReceiveCount, 1, 1000);
    this.#o = {
      concurrency: 4,
      visibilitySeconds: 60,
      waitSeconds: 20,
      retryDelaySeconds: 10,
      drainSeconds: 20,
      log: () => {},
      ...options,
    };
  }

  /** Messages held now. */
  get holding(): number {
    return this.#held.size;
  }

  /** Stop receiving; held messages get `drainSeconds` to finish. Calling it again releases them at once. */
  stop(): void {
    if (this.#stopping) {
      // asked twice: release what is held now, and stop waiting for the poll
      this.#o.drainSeconds = 0;
      this.#poll?.abort();
    }
    this.#stopping = true;
    this.#stoppedAt ??= Date.now();
    for (const wake of [...this.#waiters]) wake();
  }

  async run(): Promise<ConsumerResult> {
    const o = this.#o;
    const heartbeat = setInterval(() => void this.#extend(), (o.visibilitySeconds * 1000) / 2);
    let receiveFailures = 0;
    let idleSince: number | undefined;
    try {
      while (!this.#stopping) {
        if (this.#unready) await this.#waitReady();
        if (this.#stopping) break;
        const free = o.concurrency - this.#held.size;
        if (free <= 0) {
          await this.#sleep(60_000, true);
          continue;
        }
        let messages: Message[];
        // with an idle limit, never wait longer in one poll than that limit (or what is left of it)
        const idleLeft = o.exitWhenIdleSeconds === undefined ? undefined
          : idleSince === undefined ? Math.max(1, o.exitWhenIdleSeconds)
          : Math.max(1, Math.ceil((idleSince + o.exitWhenIdleSeconds * 1000 - Date.now()) / 1000));
        try {
          this.#poll = new AbortController();
          messages = await o.sqs.receive(o.queueUrl, {
            max: Math.min(10, free),
            waitSeconds: Math.min(o.waitSeconds, idleLeft ?? o.waitSeconds),
            visibilitySeconds: o.visibilitySeconds,
            signal: this.#poll.signal,
          });
          receiveFailures = 0;
        } catch (error) {
          if (this.#stopping) break;
          receiveFailures++;
          const delay = Math.min(30_000, 500 * 2 ** Math.min(receiveFailures, 6));
          o.log(`receiving from ${o.queueUrl} failed (${messageOf(error)}); trying again in ${Math.round(delay / 1000)} s`);
          if (error instanceof SQSError && /QueueDoesNotExist|NonExistentQueue|AccessDenied/.test(error.code) && receiveFailures >= 3) throw error;
          await this.#sleep(delay);
          continue;
        }
        if (this.#stopping) {
          // the poll was not cut short (an abandoned long poll may still take messages on the server's side):
          // what it brought is handed back at once
          await Promise.all(messages.map((message) => this.#release({ message, controller: new AbortController(), done: false }, 0)));
          this.#result.received += messages.length;
          this.#result.released += messages.length;
          break;
        }
        if (messages.length) {
          idleSince = undefined;
          for (const message of messages) this.#start(message);
          continue;
        }
        // a short poll came back empty: do not ask again at once (a held message finishing also wakes it)
        if (o.waitSeconds === 0) await this.#sleep(1000, true);
        if (o.exitWhenIdleSeconds === undefined || this.#held.size) continue;
        if (await this.#queueEmpty()) {
          idleSince ??= Date.now();
          if (Date.now() - idleSince >= o.exitWhenIdleSeconds * 1000) {
            this.#result.reason = "idle";
            break;
          }
        } else idleSince = undefined;
      }
    } finally {
      this.#stopping = true;
      await this.#drain();
      clearInterval(heartbeat);
    }
    return { ...this.#result };
  }

  #start(message: Message): void {
    const held: Held = { message, controller: new AbortController(), done: false };
    this.#held.set(message.receiptHandle, held);
    this.#result.received++;
    const task: Promise<void> = this.#process(held).finally(() => {
      this.#held.delete(message.receiptHandle);
      this.#tasks.delete(task);
    });
    this.#tasks.add(task);
  }

  async #process(held: Held): Promise<void> {
    const o = this.#o;
    const { message } = held;
    for (let transientFailures = 0; ; ) {
      let verdict: Verdict;
      try {
        verdict = await o.handle(message, held.controller.signal);
      } catch (error) {
        verdict = { action: "retry", reason: messageOf(error) };
      }
      if (held.done) return; // released during the drain
      if (verdict.action === "delete") return this.#delete(held);
      if (verdict.transient) {
        // not the message's fault: keep it (the heartbeat extends it), wait until ready, and try again here
        o.log(`message ${message.messageId}: ${verdict.reason}; holding it until that passes`);
        if (!this.#stopping) {
          this.#unready = true;
          await this.#waitReady();
          // ready() may pass while the cause (S3, say) is still there: back off 1, 2, 4 … 30 s per message too
          await this.#sleep(Math.min(30_000, 1000 * 2 ** Math.min(transientFailures++, 5)));
        }
        if (held.done) return;
        if (this.#stopping) return this.#release(held, 0, "released on stop (it failed for a transient reason)");
        this.#result.resumed++;
        continue;
      }
      const last = o.maxReceiveCount !== undefined && message.receiveCount >= o.maxReceiveCount;
      if (last) {
        this.#result.gaveUp++;
        o.log(`GIVING UP message ${message.messageId} after ${message.receiveCount} receives: ${verdict.reason}; the queue's redrive policy moves it to the dead-letter queue`);
        return this.#release(held, 0);
      }
      this.#result.retried++;
      const delay = this.#stopping ? 0 : Math.min(MAX_RETRY_DELAY, o.retryDelaySeconds * 2 ** Math.max(0, message.receiveCount - 1));
      o.log(`message ${message.messageId} (receive ${message.receiveCount}${o.maxReceiveCount ? ` of ${o.maxReceiveCount}` : ""}) failed: ${verdict.reason}; it comes back in ${delay} s`);
      return this.#release(held, delay);
    }
  }

  async #delete(held: Held): Promise<void> {
    held.done = true;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#o.sqs.delete(this.#o.queueUrl, held.message.receiptHandle);
        this.#result.deleted++;
        return;
      } catch (error) {
        const gone = error instanceof SQSError && error.status >= 400 && error.status < 500;
        if (gone || attempt >= 4) {
          this.#o.log(`could not delete message ${held.message.messageId} (${messageOf(error)}): it will be delivered again, and its records counted as duplicates`);
          return;
        }
        await new Promise((r) => setTimeout(r, 250 * 2 ** attempt));
      }
    }
  }

  async #release(held: Held, seconds: number, note?: string): Promise<void> {
    held.done = true;
    held.controller.abort();
    if (note) this.#o.log(`message ${held.message.messageId}: ${note}`);
    try {
      await this.#o.sqs.changeVisibility(this.#o.queueUrl, held.message.receiptHandle, seconds);
    } catch (error) {
      this.#o.log(`could not release message ${held.message.messageId} (${messageOf(error)}): it comes back when its visibility timeout ends`);
    }
  }

  /** Extends every held message by visibilitySeconds. */
  async #extend(): Promise<void> {
    const held = [...this.#held.values()].filter((h) => !h.done);
    for (let i = 0; i < held.length; i += 10) {
      const chunk = held.slice(i, i + 10);
      try {
        const failed = await this.#o.sqs.changeVisibilityBatch(
          this.#o.queueUrl,
          chunk.map((h, j) => ({ id: String(j), receiptHandle: h.message.receiptHandle, seconds: this.#o.visibilitySeconds })),
        );
        for (const f of failed) {
          const h = chunk[Number(f.id)];
          if (!h || h.done) continue;
          if (!f.senderFault && /InternalError|ServiceUnavailable|Throttl/.test(f.code)) continue; // next tick
          this.#o.log(`cannot extend message ${h.message.messageId} (${f.code}: ${f.message}): SQS may hand it to another consumer; its records then count as duplicates`);
        }
      } catch (error) {
        this.#o.log(`extending the visibility of ${chunk.length} messages failed (${messageOf(error)}); trying again in ${this.#o.visibilitySeconds / 2} s`);
      }
    }
  }

  /** Until ready() passes (or the consumer stops): backoff 1, 2, 4 … 30 s. One wait shared by every task. */
  #waitReady(): Promise<void> {
    const ready = this.#o.ready;
    if (!ready) {
      this.#unready = false;
      return this.#sleep(this.#o.retryDelaySeconds * 1000);
    }
    this.#readiness ??= (async () => {
      let lastLog = 0;
      for (let attempt = 0; !this.#stopping; attempt++) {
        try {
          await ready();
          if (attempt > 0) this.#o.log("available again: resuming");
          return;
        } catch (error) {
          if (Date.now() - lastLog > 10_000) {
            lastLog = Date.now();
            this.#o.log(`waiting: ${messageOf(error)}`);
          }
          await this.#sleep(Math.min(30_000, 1000 * 2 ** Math.min(attempt, 5)));
        }
      }
    })().finally(() => {
      this.#readiness = undefined;
      this.#unready = false;
    });
    return this.#readiness;
  }

  async #queueEmpty(): Promise<boolean> {
    try {
      const d = await this.#o.sqs.depth(this.#o.queueUrl);
      return d.visible === 0 && d.inFlight === 0 && d.delayed === 0;
    } catch {
      return false;
    }
  }

  async #drain(): Promise<void> {
    if (this.#tasks.size) {
      const deadline = (this.#stoppedAt ?? Date.now()) + this.#o.drainSeconds * 1000;
      const settled = Promise.allSettled([...this.#tasks]);
      // a second stop() sets drainSeconds to 0 and wakes the sleep
      while (this.#tasks.size && Date.now() < deadline && this.#o.drainSeconds > 0) {
        await Promise.race([settled, this.#sleep(deadline - Date.now())]);
      }
    }
    const left = [...this.#held.values()].filter((h) => !h.done);
    if (left.length) this.#o.log(`releasing ${left.length} message${left.length === 1 ? "" : "s"} still being processed (visibility 0), for another consumer`);
    await Promise.all(left.map((h) => this.#release(h, 0)));
    this.#result.released += left.length;
  }

  /** Resolves after `ms`, or at once when stop() is called (or, with `orTask`, when a held message is done). */
  #sleep(ms: number, orTask = false): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, Math.max(0, ms));
      this.#waiters.add(wake);
      if (orTask) for (const task of this.#tasks) void task.then(wake, wake);
    });
  }
}
