/**
 * split.ts on several cores: each worker gunzips and splits whole objects (serve.ts), the lines of each object go
 * back as bytes, and the main thread writes them in the objects' order, so the output is byte for byte what one
 * thread would print (and what `jq -c` prints).
 *
 * ```ts
 * // worker
 * serve(channel, { split: splitJob(decompress) });
 * // main
 * const out = new OrderedLines((bytes) => output.bytes(bytes));
 * const pool = new ObjectPool({ …, job: "split", config: splitConfig(program), onResult: (r) => out.result(r), onDone: (seq) => out.done(seq) });
 * await pool.run(objects);
 * ```
 *
 * Memory: a worker sends a bundle's lines in pieces of 256 KiB, at most 16 not yet written (4 MiB); the main thread keeps
 * the pieces of later objects only until the earlier ones are written (at most the workers' windows).
 */
import { parseProgram } from "../jq/mod.ts";
import { gunzipBody, type Decompress } from "../streams/gunzip.ts";
import { iterate } from "../streams/log-object.ts";
import { selectEach } from "../streams/select.ts";
import type { Job } from "./serve.ts";

export interface SplitConfig {
  /** The jq program's source. */
  program: string;
}

/** Lines of object `seq`, as UTF-8 with a newline after each. */
export interface Lines {
  seq: number;
  bytes: Uint8Array;
}

const PIECE = 1 << 18;

/**
 * Pieces a worker may have sent and not seen written: enough for a whole bundle's lines (256 KiB of gzip make
 * about 2 MB of JSON), so that a worker is not held up by the one whose bundle comes before its own.
 */
const WINDOW = 16;

export function splitJob(decompress: Decompress): Job {
  const job: Job = async (objects, context) => {
    const program = parseProgram((context.config as SplitConfig).program);
    const ledger = context.ledger;
    const encoder = new TextEncoder();
    let piece = new Uint8Array(PIECE);
    let used = 0;
    const full: Uint8Array[] = [];
    for await (const object of iterate(objects)) {
      // a bundle's objects are consecutive in the output: their lines share pieces
      const seq = object.seq;
      const add = (line: Uint8Array) => {
        if (used + line.length + 1 > piece.length) {
          if (used) full.push(piece.subarray(0, used));
          piece = new Uint8Array(Math.max(PIECE, line.length + 1));
          used = 0;
        }
        piece.set(line, used);
        used += line.length;
        piece[used++] = 10;
      };
      const send = async (last = false) => {
        const pieces = full.splice(0);
        for (let i = 0; i < pieces.length; i++) {
          const bytes = pieces[i]!;
          await context.emit({ seq, bytes } satisfies Lines, [bytes.buffer as ArrayBuffer], last && i === pieces.length - 1 ? seq : undefined);
        }
        if (last && !pieces.length) await context.done(seq);
      };
      const body = gunzipBody({ name: object.name, body: object.body, transportDecoded: true }, decompress);
      await selectEach(single({ name: object.name, body }), program, (record) => {
        add(record.bytes ?? encoder.encode(record.text));
        ledger.records.read++;
      }, { ledger, between: send });
      if (!object.last) continue;
      if (used) full.push(piece.subarray(0, used));
      piece = new Uint8Array(PIECE);
      used = 0;
      await send(true);
    }
  };
  job.window = WINDOW;
  return job;
}

/** Bundles for split: small enough that a worker's window holds one's lines. */
export const SPLIT_BUNDLE_BYTES = 256 << 10;

/**
 * The main thread's side: pieces of lines in, written in the objects' order. A piece of a later object waits (and
 * so does its worker, for the ack) until every earlier object is written.
 */
export class OrderedLines {
  #next = 0;
  readonly #waiting = new Map<number, { pieces: { bytes: Uint8Array; written: () => void; failed: (error: unknown) => void }[]; done: boolean }>();
  #writing: Promise<void> = Promise.resolve();

  constructor(readonly write: (bytes: Uint8Array) => Promise<void>) {}

  /** A piece of lines; resolves once it is written. */
  result(result: unknown): Promise<void> {
    const { seq, bytes } = result as Lines;
    if (seq === this.#next) return this.#write(bytes);
    return new Promise<void>((written, failed) => this.#entry(seq).pieces.push({ bytes, written, failed }));
  }

  /** Object `seq` has sent all its lines. */
  done(seq: number): Promise<void> {
    if (seq !== this.#next) {
      this.#entry(seq).done = true;
      return Promise.resolve();
    }
    return this.#advance();
  }

  async #advance(): Promise<void> {
    for (;;) {
      this.#next++;
      const entry = this.#waiting.get(this.#next);
      if (!entry) return;
      this.#waiting.delete(this.#next);
      for (const piece of entry.pieces) this.#write(piece.bytes).then(piece.written, piece.failed);
      if (!entry.done) return;
    }
  }

  #write(bytes: Uint8Array): Promise<void> {
    return (this.#writing = this.#writing.then(() => this.write(bytes)));
  }

  #entry(seq: number) {
    let entry = this.#waiting.get(seq);
    if (!entry) this.#waiting.set(seq, (entry = { pieces: [], done: false }));
    return entry;
  }

  /** Everything given has been written. */
  get settled(): Promise<void> {
    return this.#writing;
  }
}

function single<T>(item: T): ReadableStream<T> {
  return new ReadableStream<T>({
    start(controller) {
      controller.enqueue(item);
      controller.close();
    },
  });
}
