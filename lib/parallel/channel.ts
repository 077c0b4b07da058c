/**
 * How the main thread and a worker talk: one message at a time, in order, with ArrayBuffers transferred rather than
 * copied. A runtime adapter makes a Channel of a Worker (Deno's web Worker, Node's worker_threads; see
 * scripts/runtime/workers.ts); `channelPair` makes two ends of a MessageChannel, for a worker in the same thread (tests).
 *
 * ```ts
 * const [main, worker] = channelPair();
 * worker.receive((message) => …);
 * main.send({ type: "chunk", seq: 1, bytes }, [bytes.buffer]);
 * ```
 *
 * The messages (ToWorker, FromWorker) are pool.ts's and serve.ts's protocol: objects are handed to a worker with
 * their bytes a few chunks ahead (`credit`), results come back a few at a time (`ack`), and the worker's books
 * travel with them (ledger-delta.ts).
 */
import type { Delta } from "./ledger-delta.ts";

export interface Channel {
  send(message: ToWorker | FromWorker, transfer?: ArrayBuffer[]): void;
  /** Sets the one handler of the messages that come in. */
  receive(handler: (message: ToWorker | FromWorker) => void): void;
  /** Main side: the worker failed outside the protocol (an uncaught error, it exited). */
  onFailure?(handler: (error: Error) => void): void;
  /** Stops the worker (main side), or lets the thread end (worker side). */
  close(): void | Promise<void>;
}

/** What a body read error was, to raise the same in the worker. */
export interface ErrorInfo {
  message: string;
  /** For an ObjectError: its object and reason. */
  object?: string;
  reason?: string;
}

/** An object of a bundle: its first chunks, and whether that is all of it. */
export interface BundleObject {
  name: string;
  transportDecoded?: boolean;
  chunks: Uint8Array[];
  complete: boolean;
  /** Reading it failed after `chunks`. */
  error?: ErrorInfo;
}

export type ToWorker =
  | { type: "start"; job: string; config: unknown }
  /** Consecutive objects of the input; only the last one may be incomplete, its bytes following as chunks. */
  | { type: "bundle"; seq: number; objects: BundleObject[] }
  /** More of bundle `seq`'s last object, its end, or its failure. */
  | { type: "chunk"; seq: number; bytes: Uint8Array }
  | { type: "end-object"; seq: number }
  | { type: "fail-object"; seq: number; error: ErrorInfo }
  | { type: "ack" }
  | { type: "end" };

export type FromWorker =
  /** The worker began bundle `seq` (it may take one more). */
  | { type: "started"; seq: number }
  /** It took a chunk of bundle `seq`'s last object: one more may come. */
  | { type: "credit"; seq: number }
  /** It stopped reading bundle `seq`'s last object (a syntax error): no more of it. */
  | { type: "cancel"; seq: number }
  /** A result of the job; `ack` when it is handled. With `done`: the last of bundle `done`. */
  | { type: "result"; result: unknown; delta: Delta; done?: number }
  /** Everything of bundle `seq` went out as results before this. */
  | { type: "done"; seq: number; delta: Delta }
  /** The job ended: every bundle done. */
  | { type: "closed"; delta: Delta }
  | { type: "fatal"; message: string };

/** Two ends of one MessageChannel: a worker in this thread (tests, and a pool of size 0). */
export function channelPair(): [Channel, Channel] {
  const { port1, port2 } = new MessageChannel();
  const end = (port: MessagePort): Channel => ({
    send: (message, transfer = []) => port.postMessage(message, transfer),
    receive: (handler) => {
      port.onmessage = (event: MessageEvent) => handler(event.data);
    },
    close: () => port.close(),
  });
  return [end(port1), end(port2)];
}
