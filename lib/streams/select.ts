/**
 * `jq -c '.Records[]'` for log objects: runs a program of trailpost's jq subset (lib/jq) over each object's JSON
 * and hands on every output, with exactly jq's values in jq's order, as the object's bytes arrive.
 *
 * ```ts
 * objects.pipeThrough(gunzip()).pipeThrough(select(".Records[]", { ledger })).pipeThrough(toBulk({ indexPrefix: "cloudtrail" }))
 * await selectEach(objects, ".Records[]", (record) => write(record.bytes!), { ledger });   // no stream per record
 * objects.pipeThrough(gunzip()).pipeThrough(selectRuns(".Records[]", { ledger })).pipeThrough(toBulk(…))  // one per chunk
 * ```
 *
 * For `.Records[]` and `.Records[] | …` the records are streamed (cloudtrail/records.ts): an object of any size
 * takes the memory of one record, and a record that is itself an output goes out as its delivered bytes (numbers
 * as delivered; whitespace, duplicate keys and bytes that are not UTF-8 written as `jq -c` writes them), decoded
 * and parsed only if someone reads its `text` or `value`. Any other program, or a top-level value that is not an
 * object, is evaluated on the whole value, as jq does.
 *
 * Errors, as jq has them: an object that is not JSON, or that fails the program (no `Records` array), is reported
 * with its name (in the ledger, or as an ObjectError ending the stream when there is none). A runtime error stops
 * that top-level value after the outputs before it; the next values still run. A value that is not JSON outputs
 * nothing, as jq parses a value whole before it runs the program: outputs are held until their value is complete,
 * up to `holdBytes` (64 KiB). Past that they stream, and an error later in the value still fails the object, after
 * its earlier records went out (each is valid JSON on its own).
 */
import { dumpValue } from "../jq/dump.ts";
import { forEachOutput, parseJsonInOrder, parseProgram, type Node, type Program } from "../jq/mod.ts";
import { INTEGER_KEY } from "../cloudtrail/json-scan.ts";
import { RecordsSplitter, type RecordsSink } from "../cloudtrail/records.ts";
import type { Ledger } from "../ledger.ts";
import { ObjectError, message, type LogObject } from "./log-object.ts";

/** One output of the program: its JSON text (one line), its value, and where it came from. */
export interface Selected {
  /** Decoded from `bytes` on first use (records that are only printed are never decoded). */
  text: string;
  /** Parsed from `text` on first use (records that are only printed are never parsed). */
  value: unknown;
  /** The UTF-8 of `text`, when the producer has it: select() hands on a record's delivered bytes. */
  bytes?: Uint8Array;
  /** The object's name (`s3://bucket/key` or a path). */
  object: string;
  /** 1-based position among the object's outputs. */
  position: number;
}

export const DEFAULT_PROGRAM = ".Records[]";

export interface SelectOptions {
  /** Counts objects read and failed; failures are listed with their reasons. */
  ledger?: Ledger;
  /** Outputs held until their top-level value is complete, in bytes of output (default 64 KiB). */
  holdBytes?: number;
}

export function select(program: string | Program = DEFAULT_PROGRAM, options: SelectOptions = {}): ReadableWritablePair<Selected, LogObject> {
  return selectStream(program, options, false);
}

/**
 * select(), its outputs in runs: an array of the outputs of each chunk of input, for a consumer that takes runs
 * (toBulk): a stream costs a few microseconds per chunk, the cost ndjson.ts measured for bulk.
 */
export function selectRuns(program: string | Program = DEFAULT_PROGRAM, options: SelectOptions = {}): ReadableWritablePair<Selected[], LogObject> {
  return selectStream(program, options, true);
}

function selectStream<T extends Selected | Selected[]>(program: string | Program, options: SelectOptions, runs: boolean): ReadableWritablePair<T, LogObject> {
  const plan = planOf(program);
  const holdBytes = holdBytesOf(options);
  const ledger = options.ledger;
  const objects = new TransformStream<LogObject, LogObject>();
  const reader = objects.readable.getReader();
  let current: ObjectRun | undefined;
  const readable = new ReadableStream<T>(
    {
      async pull(controller) {
        let enqueued = false;
        let run: Selected[] = [];
        const emit = runs
          ? (s: Selected) => void run.push(s)
          : (s: Selected) => {
              controller.enqueue(s as T);
              enqueued = true;
            };
        while (!enqueued) {
          if (!current) {
            const next = await reader.read();
            if (next.done) return controller.close();
            current = new ObjectRun(next.value, plan, holdBytes, ledger);
          }
          const more = await current.step(emit);
          if (run.length) {
            controller.enqueue(run as T);
            run = [];
            enqueued = true;
          }
          if (more) continue;
          const failure = current.failure;
          current = undefined;
          if (failure && !ledger) {
            controller.error(failure);
            await reader.cancel(failure).catch(() => {});
            return;
          }
        }
      },
      async cancel(reason) {
        await current?.cancel(reason);
        await reader.cancel(reason);
      },
    },
    { highWaterMark: runs ? 1 : 64 },
  );
  return { writable: objects.writable, readable };
}

/**
 * What select() does, for a consumer that takes each output as it comes (split.ts): `each` is called at once, with
 * no stream hand-off per output, and `between` (if given) is awaited after every chunk of input, for backpressure.
 * A bad object is counted in the ledger, or, without one, ends the run with an ObjectError.
 */
export async function selectEach(
  objects: ReadableStream<LogObject>,
  program: string | Program,
  each: (selected: Selected) => void,
  options: SelectOptions & { between?: () => Promise<void> | void } = {},
): Promise<void> {
  const plan = planOf(program);
  const holdBytes = holdBytesOf(options);
  const reader = objects.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) return;
      const run = new ObjectRun(next.value, plan, holdBytes, options.ledger);
      try {
        while (await run.step(each)) await options.between?.();
      } catch (error) {
        await run.cancel(error);
        throw error;
      }
      if (run.failure && !options.ledger) throw run.failure;
    }
  } catch (error) {
    await reader.cancel(error).catch(() => {});
    throw error;
  } finally {
    reader.releaseLock();
  }
}

/**
 * Runs the program over a file's whole text, calling `emit` with each output's JSON text and value. Throws, after
 * the outputs jq would print, the first error: a SyntaxError for text that is not JSON, or jq's runtime error.
 */
export function selectFromText(text: string, program: Program, emit: (text: string, value: unknown) => void, options: Pick<SelectOptions, "holdBytes"> = {}): void {
  const selection = new Selection("text", planOf(program), holdBytesOf(options), (s) => emit(s.text, s.value));
  selection.push(encoder.encode(text));
  selection.end();
  if (selection.errors.length) throw selection.errors[0];
}

interface Plan {
  program: Program;
  /** `.Records[] | rest` ("identity" for `.Records[]`), or undefined: the program runs on whole values. */
  rest: Program | "identity" | undefined;
}

function planOf(program: string | Program): Plan {
  const compiled = typeof program === "string" ? parseProgram(program) : program;
  const rest = afterRecords(compiled.body);
  return { program: compiled, rest: rest === undefined || rest === "identity" ? rest : { source: compiled.source, body: rest } };
}

function holdBytesOf(options: SelectOptions): number {
  const hold = options.holdBytes ?? 1 << 16;
  if (!(hold >= 0)) throw new RangeError(`select: holdBytes must be a number >= 0, not ${hold}`);
  return hold;
}

/** Input a step takes of an object whose body is in memory (`LogObject.bytes`, up to a few MB). */
const WHOLE_STEP = 1 << 18;

/** One object through the program: its body read a chunk at a time. */
class ObjectRun {
  readonly #object: LogObject;
  readonly #ledger: Ledger | undefined;
  readonly #selection: Selection;
  /** The body's reader; none when the whole body is in memory (`#whole`, taken in one step). */
  readonly #reader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #whole: Uint8Array | undefined;
  #offset = 0;
  #emit: (s: Selected) => void = () => {};
  failure: ObjectError | undefined;

  constructor(object: LogObject, plan: Plan, holdBytes: number, ledger: Ledger | undefined) {
    this.#object = object;
    this.#ledger = ledger;
    this.#whole = object.bytes;
    this.#reader = this.#whole ? undefined : object.body.getReader();
    this.#selection = new Selection(object.name, plan, holdBytes, (s) => this.#emit(s));
  }

  /** Reads and selects one chunk; false when the object is done (read, or failed). */
  async step(emit: (s: Selected) => void): Promise<boolean> {
    this.#emit = emit;
    let chunk: ReadableStreamReadResult<Uint8Array>;
    if (this.#reader) {
      try {
        chunk = await this.#reader.read();
      } catch (error) {
        this.#fail(error instanceof ObjectError ? error.reason : message(error));
        return false;
      }
    } else if (this.#whole && this.#offset < this.#whole.length) {
      // a step at a time, as a body's chunks come: what one step emits (a run, or outputs queued at once) is bounded
      // by WHOLE_STEP bytes of input, even for an object of a million tiny records
      chunk = { done: false, value: this.#whole.subarray(this.#offset, (this.#offset += WHOLE_STEP)) };
    } else {
      chunk = { done: true, value: undefined };
      this.#whole = undefined;
    }
    const selection = this.#selection;
    if (!chunk.done) {
      if (this.#ledger) this.#ledger.bytes.read += chunk.value.length;
      selection.push(chunk.value);
    } else {
      selection.end();
      if (this.#ledger) this.#ledger.objects.read++;
    }
    if (selection.stopped && !chunk.done) {
      if (this.#ledger) this.#ledger.objects.read++;
      await this.#reader?.cancel().catch(() => {});
    }
    if (selection.stopped || chunk.done) {
      if (selection.errors.length) this.#fail(describeErrors(selection.errors, selection.plan.program));
      return false;
    }
    return true;
  }

  async cancel(reason: unknown): Promise<void> {
    await this.#reader?.cancel(reason).catch(() => {});
  }

  #fail(reason: string): void {
    this.failure = new ObjectError(this.#object.name, reason);
    this.#ledger?.objectFailed(this.#object.name, reason);
  }
}

/**
 * jq's semantics over the splitter's events, for one object: outputs of each top-level value are held until the
 * value is complete (or past holdChars), runtime errors stop a value, a syntax error stops the object.
 */
class Selection implements RecordsSink {
  readonly plan: Plan;
  readonly errors: unknown[] = [];
  /** A syntax error or an unanswerable duplicate Records: nothing more is read. */
  stopped = false;
  readonly #name: string;
  readonly #holdBytes: number;
  readonly #emit: (s: Selected) => void;
  readonly #splitter: RecordsSplitter;
  #position = 0;
  // the current top-level value
  #held: Output[] = [];
  #heldBytes = 0;
  #streamed = 0;
  #streaming = false;
  #pending: { error: unknown } | undefined;
  #recordsSeen = false;
  #recordsValue: { text: string; flags: number } | undefined;

  constructor(name: string, plan: Plan, holdBytes: number, emit: (s: Selected) => void) {
    this.#name = name;
    this.plan = plan;
    this.#holdBytes = holdBytes;
    this.#emit = emit;
    this.#splitter = new RecordsSplitter(this, { records: plan.rest !== undefined });
  }

  push(bytes: Uint8Array): void {
    if (!this.stopped) this.#guard(() => this.#splitter.push(bytes));
  }

  end(): void {
    if (this.stopped) return;
    this.#guard(() => this.#splitter.end());
    if (!this.stopped && this.#splitter.values === 0) this.#stop(new SyntaxError("empty: no JSON value"));
  }

  record(bytes: Uint8Array, flags: number, text: string | undefined): void {
    if (this.#pending) return;
    const rest = this.plan.rest!;
    if (rest === "identity") return this.#output(new Output(this.#name, bytes, text, UNPARSED, flags));
    text ??= decoder.decode(bytes);
    const value = parse(text, flags);
    try {
      forEachOutput(rest, value, (out) => this.#output(out === value ? new Output(this.#name, bytes, text, value, flags) : derived(this.#name, out)));
    } catch (error) {
      this.#pending = { error };
    }
  }

  recordsMember(): void {
    if (this.#recordsSeen) {
      // jq keeps the last of duplicate keys: what the earlier Records gave is dropped
      if (this.#streamed) {
        throw new DuplicateRecords(
          `a second "Records" member, after ${this.#streamed} outputs of the first went out (more than ${this.#holdBytes} bytes stream): jq would output only the last one's`,
        );
      }
      this.#held = [];
      this.#heldBytes = 0;
      this.#pending = undefined;
      this.#recordsValue = undefined;
    }
    this.#recordsSeen = true;
  }

  recordsValue(bytes: Uint8Array, flags: number, text: string | undefined): void {
    this.#recordsValue = { text: text ?? decoder.decode(bytes), flags };
  }

  objectEnd(): void {
    // `.Records[] | …` on what Records was: no member is null, a non-array is iterated (or not) by jq's rules
    if (!this.#pending && (!this.#recordsSeen || this.#recordsValue)) {
      const records = this.#recordsValue ? parse(this.#recordsValue.text, this.#recordsValue.flags) : null;
      this.#evaluate(this.#recordsSeen ? { Records: records } : {});
    }
    this.#endValue();
  }

  value(bytes: Uint8Array, flags: number, text: string | undefined): void {
    text ??= decoder.decode(bytes);
    const input = parse(text, flags);
    this.#evaluate(input, new Output(this.#name, bytes, text, input, flags));
    this.#endValue();
  }

  /** The whole program on `input`; `whole` is the output to hand on when the program outputs the input itself. */
  #evaluate(input: unknown, whole?: Output): void {
    try {
      forEachOutput(this.plan.program, input, (out) => this.#output(out === input && whole ? whole : derived(this.#name, out)));
    } catch (error) {
      this.#pending = { error };
    }
  }

  #output(output: Output): void {
    if (this.#streaming) return this.#send(output);
    this.#held.push(output);
    this.#heldBytes += output.size;
    if (this.#heldBytes > this.#holdBytes) {
      this.#streaming = true;
      this.#flush();
    }
  }

  #send(output: Output): void {
    output.position = ++this.#position;
    this.#streamed++;
    this.#emit(output);
  }

  #flush(): void {
    const held = this.#held;
    this.#held = [];
    this.#heldBytes = 0;
    for (const output of held) this.#send(output);
  }

  #endValue(): void {
    this.#flush();
    if (this.#pending) this.errors.push(this.#pending.error);
    this.#streaming = false;
    this.#streamed = 0;
    this.#pending = undefined;
    this.#recordsSeen = false;
    this.#recordsValue = undefined;
  }

  #guard(run: () => void): void {
    try {
      run();
    } catch (error) {
      if (error instanceof SyntaxError || error instanceof DuplicateRecords) this.#stop(error);
      else throw error;
    }
  }

  /** Nothing of the current value goes out (unless it already streamed), and nothing more is read. */
  #stop(error: unknown): void {
    this.#held = [];
    this.#heldBytes = 0;
    this.errors.push(error);
    this.stopped = true;
  }
}

class DuplicateRecords extends Error {}

const UNPARSED: unique symbol = Symbol("unparsed");
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** A Selected with what it has of bytes, text and value; the rest is derived on first use. */
class Output implements Selected {
  position = 0;
  readonly object: string;
  #bytes: Uint8Array | undefined;
  #text: string | undefined;
  #value: unknown;
  readonly #flags: number;

  constructor(object: string, bytes: Uint8Array | undefined, text: string | undefined, value: unknown, flags: number) {
    this.object = object;
    this.#bytes = bytes;
    this.#text = text;
    this.#value = value;
    this.#flags = flags;
  }

  get bytes(): Uint8Array {
    return (this.#bytes ??= encoder.encode(this.#text!));
  }

  get text(): string {
    return (this.#text ??= decoder.decode(this.#bytes!));
  }

  get value(): unknown {
    if (this.#value === UNPARSED) this.#value = parse(this.text, this.#flags);
    return this.#value;
  }

  /** About its size in bytes, for holding. */
  get size(): number {
    return this.#bytes?.length ?? this.#text!.length;
  }
}

/** An output the program made (not a record as delivered): printed as jq prints it. */
function derived(object: string, value: unknown): Output {
  return new Output(object, undefined, dumpValue(value), value, 0);
}

/** A value from text the splitter wrote (JSON, keys unique): in document key order where JavaScript would differ. */
function parse(text: string, flags: number): unknown {
  return flags & INTEGER_KEY ? parseJsonInOrder(text) : JSON.parse(text);
}

/** `.Records[]` → "identity"; `.Records[] | f` → f; anything else → undefined. */
function afterRecords(body: Node): Node | "identity" | undefined {
  const isRecords = (n: Node) =>
    n.type === "iterate" && !n.optional && n.target.type === "index" && !n.target.optional && n.target.key === "Records" && n.target.target.type === "identity";
  if (isRecords(body)) return "identity";
  if (body.type !== "pipe") return undefined;
  // pipes may nest either way: find the leftmost stage, and rebuild the rest
  const stages: Node[] = [];
  const flatten = (n: Node): void => {
    if (n.type === "pipe") {
      flatten(n.left);
      flatten(n.right);
    } else stages.push(n);
  };
  flatten(body);
  if (!isRecords(stages[0]!)) return undefined;
  return stages.slice(1).reduceRight<Node | undefined>((right, left) => (right ? { type: "pipe", left, right } : left), undefined);
}

function describeErrors(errors: unknown[], program: Program): string {
  const first = describe(errors[0], program);
  return errors.length > 1 ? `${first} (and ${errors.length - 1} more error${errors.length > 2 ? "s" : ""})` : first;
}

function describe(error: unknown, program: Program): string {
  if (error instanceof SyntaxError) return `not valid JSON (${error.message})`;
  if (error instanceof DuplicateRecords) return error.message;
  const text = message(error);
  if (program.source.trim() === DEFAULT_PROGRAM && /^Cannot (iterate over|index)/.test(text)) {
    return `no "Records" array, so not a CloudTrail log file (jq: ${text})`;
  }
  return `jq: error: ${text}`;
}
