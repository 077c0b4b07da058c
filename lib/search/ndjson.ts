/**
 * NDJSON to records for the indexer: each non-empty line is a record (split's output, or a CloudTrail record per
 * line from anywhere), read only as the indexer asks for more, so a slow engine holds the reading back instead of
 * filling memory. Records go out in runs, up to RUN lines of one chunk read as one array (toBulk takes runs): a stream
 * costs a few microseconds per chunk: per record, that was about 0.3 of bulk.ts's 3.3 CPU seconds (measured).
 *
 * ```ts
 * ndjsonRecords([{ name: "records.ndjson", open: () => file.stream() }], ledger, deadLetter)
 *   .pipeThrough(toBulk(…)).pipeTo(bulkWriter(…))
 * ```
 *
 * - A record's `object` is the file it came from and its `position` the line: one file is one scope for the ids
 *   of identical records without an eventID (ids.ts).
 * - A dead-letter line (`{"deadLetter":{…},"record":…}`, see bulk.ts `deadLetterLine`) gives back its record with
 *   the object, position and id it had, so a replay lands it exactly where it belonged.
 * - A line that is not JSON is counted as read and dead-lettered with the reason, named by file and line.
 */
import type { Ledger } from "../ledger.ts";
import type { DeadLetterSink, Indexable } from "./bulk.ts";

export interface NdjsonSource {
  name: string;
  open: () => ReadableStream<Uint8Array>;
}

export function ndjsonRecords(sources: readonly NdjsonSource[], ledger: Ledger, deadLetter: DeadLetterSink): ReadableStream<Indexable[]> {
  const queue = [...sources];
  let current: Current | undefined;
  return new ReadableStream<Indexable[]>(
    {
      // a run of records goes out per decoded piece while the queue wants more (up to its high-water mark)
      async pull(controller) {
        let run: Indexable[] = [];
        const send = () => {
          if (run.length) controller.enqueue(run);
          run = [];
        };
        for (;;) {
          if (!current) {
            const source = queue.shift();
            if (!source) return send(), controller.close();
            current = { name: source.name, reader: source.open().getReader(), decoder: new TextDecoder(), bytes: EMPTY, line: 0, lines: [], next: 0, partial: "", ended: false };
          }
          if (current.next === current.lines.length) {
            if (current.ended) {
              current = undefined;
              continue;
            }
            if (run.length) {
              send();
              if (!(controller.desiredSize! > 0)) return;
            }
            await readLines(current);
            continue;
          }
          const line = current.lines[current.next++]!;
          const n = ++current.line;
          const text = line.trim();
          if (!text) continue;
          let value: unknown;
          try {
            value = JSON.parse(text);
          } catch (error) {
            const at = `${current.name}:${n}`;
            ledger.records.read++;
            ledger.records.deadLettered++;
            ledger.problem(at, "not JSON");
            await deadLetter({ record: { text: JSON.stringify(line), object: current.name, position: n }, status: 0, reason: `${at}: not JSON (${(error as Error).message})` });
            continue;
          }
          run.push(deadLetterRecord(text, value) ?? { text, value, object: current.name, position: n });
          if (run.length === RUN) {
            send();
            if (!(controller.desiredSize! > 0)) return;
          }
        }
      },
      async cancel(reason) {
        await current?.reader.cancel(reason);
      },
    },
    { highWaterMark: 1 },
  );
}

/** Records in a run at most: parsed values take several times their text's memory, and a chunk can be large. */
const RUN = 256;

/**
 * Bytes decoded at a time, at most: a chunk read can be larger (a file is read 1 MiB at a time: fewer reads), but a
 * string of more than 128 KiB is a large object to V8, freed only by a full collection: measured, decoding whole
 * 1 MiB chunks took 0.5 CPU seconds and 40 MB more than 64 KiB pieces of them.
 */
const DECODE = 1 << 16;
const EMPTY = new Uint8Array(0);

/** The file being read: its reader, bytes read not yet decoded, the lines of the last piece, and the line number. */
interface Current {
  name: string;
  reader: ReadableStreamDefaultReader<Uint8Array>;
  decoder: TextDecoder;
  bytes: Uint8Array;
  line: number;
  lines: string[];
  next: number;
  /** The text after the chunk's last newline: the start of the next line. */
  partial: string;
  ended: boolean;
}

/** The next piece's lines (`\n` or `\r\n`; the last line needs no newline), as lib/streams/lines.ts cuts them. */
async function readLines(current: Current): Promise<void> {
  current.next = 0;
  if (!current.bytes.length) {
    const { done, value } = await current.reader.read();
    if (done) {
      current.ended = true;
      const rest = current.partial + current.decoder.decode();
      current.lines = rest ? [rest] : [];
      current.partial = "";
      return trimReturns(current.lines);
    }
    current.bytes = value;
  }
  const piece = current.bytes.length > DECODE ? current.bytes.subarray(0, DECODE) : current.bytes;
  current.bytes = piece === current.bytes ? EMPTY : current.bytes.subarray(DECODE);
  current.lines = (current.partial + current.decoder.decode(piece, { stream: true })).split("\n");
  current.partial = current.lines.pop()!;
  trimReturns(current.lines);
}

function trimReturns(lines: string[]): void {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.endsWith("\r")) lines[i] = line.slice(0, -1);
  }
}

/** The record of a dead-letter line, with where it came from and the id it had; undefined for any other line. */
export function deadLetterRecord(text: string, value: unknown): Indexable | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  // most lines are records: no array of their keys for them
  if (!Object.hasOwn(value, "deadLetter")) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 2 || keys[0] !== "deadLetter" || keys[1] !== "record") return undefined;
  const { deadLetter: why, record } = value as { deadLetter: unknown; record: unknown };
  if (typeof why !== "object" || why === null) return undefined;
  const { object, position, id } = why as { object?: unknown; position?: unknown; id?: unknown };
  // the record's own text, as delivered: after the deadLetter value and `,"record":`, up to the closing brace
  const head = '{"deadLetter":';
  if (!text.startsWith(head)) return undefined;
  const afterWhy = skipValue(text, head.length);
  const marker = ',"record":';
  if (text.slice(afterWhy, afterWhy + marker.length) !== marker || !text.endsWith("}")) return undefined;
  return {
    text: text.slice(afterWhy + marker.length, -1).trim(),
    value: record,
    object: typeof object === "string" ? object : "dead letter",
    position: typeof position === "number" ? position : 0,
    id: typeof id === "string" ? id : undefined,
  };
}

/** The index after the JSON value starting at `i` (the text is known to be valid JSON). */
function skipValue(s: string, i: number): number {
  let depth = 0;
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 34) {
      for (;;) {
        const q = s.indexOf('"', j + 1);
        let backslashes = 0;
        for (let k = q - 1; s.charCodeAt(k) === 92; k--) backslashes++;
        j = q;
        if (backslashes % 2 === 0) break;
      }
      if (depth === 0) return j + 1;
    } else if (c === 123 || c === 91) depth++;
    else if (depth === 0 && (c === 44 || c === 125 || c === 93)) return j; // the end of a number or literal
    else if ((c === 125 || c === 93) && --depth === 0) return j + 1;
  }
  return s.length;
}
