/**
 * The streaming `.Records[]` of CloudTrail log files: bytes go in as they arrive, and each element of a top-level
 * object's `Records` array comes out as soon as its last byte is in, as `jq -c` prints it. Nothing but the record
 * being read (and the rest of the current chunk) is held, so an object of any size takes the same memory.
 *
 * ```ts
 * const splitter = new RecordsSplitter({
 *   record: (bytes) => out.write(bytes), recordsMember() {}, recordsValue() {}, objectEnd() {}, value() {},
 * });
 * for await (const chunk of body) splitter.push(chunk);
 * splitter.end();                                  // a JsonSyntaxError, "… at line 1, column 57", if not JSON
 * ```
 *
 * A record goes out as its delivered bytes (numbers keep their spelling: `1.10`, 64-bit ids), a view into the
 * chunk it came in (so chunks must not be written to after they are pushed), unless they are not what `jq -c`
 * prints: whitespace between tokens, a repeated key, a number only jq reads (`01`, `NaN`), or bytes that are not
 * UTF-8. Then it is written as jq writes it (canonical.ts: a duplicate key once, where it first was, with its last
 * value; U+FFFD for bytes that are not UTF-8), so every record is UTF-8 JSON with unique keys. The whole input is
 * validated as jq validates it (json-scan.ts), members other than `Records` included, but only records are copied.
 *
 * Everything else is handed on whole, for the caller to evaluate as jq would: a top-level value that is not an
 * object (`value`), a `Records` member that is not an array (`recordsValue`), and, with `records: false`, every
 * top-level value. `recordsMember` says a `Records` key was read (jq keeps the last of duplicate keys, so a later
 * one replaces what an earlier one gave), `objectEnd` that the top-level object is complete. Each comes with its
 * bytes, its json-scan.ts flags, and its text when the splitter had to decode it anyway.
 */
import { canonicalJson } from "./canonical.ts";
import { decodeString, JsonScanner, JsonSyntaxError, MORE, NON_ASCII, REWRITE, skipSpace } from "./json-scan.ts";
import { concatBytes } from "../bytes.ts";

export interface RecordsSink {
  /** An element of a top-level object's `Records` array. */
  record(bytes: Uint8Array, flags: number, text: string | undefined): void;
  /** A `Records` key in the current top-level object. */
  recordsMember(): void;
  /** The value of that `Records` member when it is not an array. */
  recordsValue(bytes: Uint8Array, flags: number, text: string | undefined): void;
  /** The end of a top-level object taken apart. */
  objectEnd(): void;
  /** A whole top-level value that is not taken apart. */
  value(bytes: Uint8Array, flags: number, text: string | undefined): void;
}

export interface SplitterOptions {
  /** Take top-level objects apart and stream their `Records` elements (default true). */
  records?: boolean;
}

export class RecordsSplitter {
  readonly #sink: RecordsSink;
  readonly #records: boolean;
  readonly #scanner = SCANNER;
  #buffer: Uint8Array = new Uint8Array(0);
  #pos = 0;
  #state: number = START;
  #isRecords = false;
  /** A value longer than a chunk gathers whole chunks until the unread part is this long, then is scanned again. */
  #want = 0;
  #gathered: Uint8Array[] = [];
  #gatheredBytes = 0;
  #final = false;
  #values = 0;
  // where #buffer starts in the whole input, for messages: bytes and newlines before it
  #dropped = 0;
  #droppedLines = 0;
  #lastNewline = -1;
  // the unit just scanned: its bytes and, if it had to be decoded, its text
  #bytes: Uint8Array = new Uint8Array(0);
  #text: string | undefined;

  constructor(sink: RecordsSink, options: SplitterOptions = {}) {
    this.#sink = sink;
    this.#records = options.records ?? true;
  }

  /** Top-level values read so far. */
  get values(): number {
    return this.#values;
  }

  /** The next bytes. Throws a JsonSyntaxError (message with line and column) where the input stops being JSON. */
  push(chunk: Uint8Array): void {
    if (this.#final) throw new Error("RecordsSplitter: push after end");
    if (!chunk.length) return;
    const unread = this.#buffer.length - this.#pos;
    if (this.#gathered.length || unread > BRIDGE) {
      // a long value: gather chunks until the unread part has doubled, then scan it again
      this.#gathered.push(chunk);
      this.#gatheredBytes += chunk.length;
      if (unread + this.#gatheredBytes >= this.#want) this.#scanGathered();
    } else if (unread === 0) {
      this.#drop(this.#pos);
      this.#buffer = chunk;
      this.#pos = 0;
      this.#run(Infinity);
    } else {
      // a value cut by the end of the last chunk: finish it on a short bridge, then go on in the new chunk itself
      const leftover = this.#buffer.subarray(this.#pos);
      this.#drop(this.#pos);
      this.#pos = 0;
      for (let take = Math.min(chunk.length, 2 * BRIDGE); ; take = Math.min(chunk.length, 2 * take)) {
        this.#buffer = concatBytes([leftover, chunk.subarray(0, take)]); // a longer bridge keeps every position
        if (this.#run(leftover.length)) {
          const at = this.#pos - leftover.length;
          this.#drop(leftover.length);
          this.#buffer = chunk;
          this.#pos = at;
          this.#run(Infinity);
          return;
        }
        if (take === chunk.length) return;
      }
    }
  }

  /** The end of the input. Throws if it ends inside a value. */
  end(): void {
    if (this.#final) return;
    this.#final = true;
    if (this.#gathered.length) this.#scanGathered();
    else this.#run(Infinity);
  }

  #scanGathered(): void {
    this.#drop(this.#pos);
    this.#buffer = concatBytes([this.#buffer.subarray(this.#pos), ...this.#gathered]);
    this.#pos = 0;
    this.#gathered = [];
    this.#gatheredBytes = 0;
    this.#run(Infinity);
  }

  /** Runs the state machine from #pos; with `stopAt`, returns true once it is between tokens at or past it. */
  #run(stopAt: number): boolean {
    const b = this.#buffer;
    const n = b.length;
    const scanner = this.#scanner;
    const sink = this.#sink;
    scanner.setBytes(b);
    let i = this.#pos;
    let c: number;
    try {
      for (;;) {
        if (i >= stopAt) {
          this.#pos = i;
          return true;
        }
        if (this.#state === START) {
          // a UTF-8 byte order mark at the very start is not part of the text (jq and TextDecoder skip it too)
          if (n - i < 3 && !this.#final && [0xef, 0xbb, 0xbf].slice(0, n - i).every((x, k) => b[i + k] === x)) return this.#wait(i);
          if (b[i] === 0xef && b[i + 1] === 0xbb && b[i + 2] === 0xbf) i += 3;
          this.#state = BETWEEN;
        }
        i = skipSpace(b, i);
        if (i >= n) return this.#wait(i);
        c = b[i]!;
        switch (this.#state) {
          case BETWEEN: {
            if (c === OPEN_BRACE && this.#records) {
              this.#values++;
              this.#state = FIRST_KEY;
              i++;
              break;
            }
            const end = scanner.value(i, this.#final, 0);
            if (end < 0) return this.#wait(i);
            // jq completes a number or literal at the next character, and loses it if that character is an error
            const next = end < n ? b[end]! : -1;
            if (c !== QUOTE && c !== OPEN_BRACKET && c !== OPEN_BRACE && (next === CLOSE_BRACKET || next === CLOSE_BRACE || next === COMMA || next === COLON)) {
              scanner.value(end, this.#final, 0); // throws jq's error for that character
            }
            this.#values++;
            this.#unit(i, end);
            sink.value(this.#bytes, scanner.flags, this.#text);
            i = end;
            break;
          }
          case FIRST_KEY:
          case KEY: {
            if (c === CLOSE_BRACE) {
              if (this.#state === KEY) throw new JsonSyntaxError("Expected another key-value pair", i);
              this.#state = BETWEEN;
              i++;
              sink.objectEnd();
              break;
            }
            if (c !== QUOTE) throw new JsonSyntaxError(c === COMMA ? "Expected value before ','" : "Object keys must be strings", i);
            const end = scanner.string(i);
            if (end < 0) return this.#wait(i);
            this.#isRecords = isRecords(b, i, end);
            if (this.#isRecords) sink.recordsMember();
            this.#state = AFTER_KEY;
            i = end;
            break;
          }
          case AFTER_KEY:
            if (c !== COLON) throw new JsonSyntaxError("Objects must consist of key:value pairs", i);
            this.#state = MEMBER;
            i++;
            break;
          case MEMBER: {
            if (c === OPEN_BRACKET && this.#isRecords) {
              this.#state = FIRST_ELEMENT;
              i++;
              break;
            }
            const end = scanner.value(i, false, 2);
            if (end < 0) return this.#wait(i);
            if (this.#isRecords) {
              this.#unit(i, end);
              sink.recordsValue(this.#bytes, scanner.flags, this.#text);
            }
            this.#state = AFTER_MEMBER;
            i = end;
            break;
          }
          case AFTER_MEMBER:
            if (c === COMMA) this.#state = KEY;
            else if (c === CLOSE_BRACE) {
              this.#state = BETWEEN;
              sink.objectEnd();
            } else throw new JsonSyntaxError("Expected separator between values", i);
            i++;
            break;
          case FIRST_ELEMENT:
          case ELEMENT:
          case AFTER_ELEMENT: {
            // the hot loop: one record after another
            let state: number = this.#state;
            for (;;) {
              if (state === AFTER_ELEMENT) {
                if (c === COMMA) state = ELEMENT;
                else if (c === CLOSE_BRACKET) {
                  state = AFTER_MEMBER;
                  i++;
                  break;
                } else throw new JsonSyntaxError("Expected separator between values", i);
                i = skipSpace(b, i + 1);
                c = i < n ? b[i]! : -1;
              }
              if (c === CLOSE_BRACKET) {
                if (state === ELEMENT) throw new JsonSyntaxError("Expected another array element", i);
                state = AFTER_MEMBER;
                i++;
                break;
              }
              const end = i < n ? scanner.value(i, false, 3) : MORE;
              if (end < 0) {
                this.#state = state;
                return this.#wait(i);
              }
              this.#unit(i, end);
              sink.record(this.#bytes, scanner.flags, this.#text);
              state = AFTER_ELEMENT;
              if (end >= stopAt) {
                this.#state = state;
                this.#pos = end;
                return true;
              }
              i = skipSpace(b, end);
              if (i >= n) {
                this.#state = state;
                return this.#wait(i);
              }
              c = b[i]!;
            }
            this.#state = state;
            break;
          }
        }
      }
    } catch (error) {
      throw error instanceof JsonSyntaxError ? this.#located(error) : error;
    }
  }

  /** Stops at `i` until more input comes; at the end of the input, that is an error unless between values. */
  #wait(i: number): false {
    this.#pos = i;
    const unread = this.#buffer.length - i;
    if (!this.#final) {
      this.#want = unread > BRIDGE ? unread * 2 : 0;
      return false;
    }
    if ((this.#state !== BETWEEN && this.#state !== START) || unread > 0) throw new JsonSyntaxError("Unfinished JSON term at EOF", this.#buffer.length);
    return false;
  }

  /** The unit [start, end) just scanned, as `jq -c` prints it: into #bytes, and #text when it was decoded. */
  #unit(start: number, end: number): void {
    const flags = this.#scanner.flags;
    let bytes = this.#buffer.subarray(start, end);
    let text: string | undefined;
    if (flags & (REWRITE | NON_ASCII)) {
      let valid = true;
      if (flags & NON_ASCII) {
        try {
          text = strictUtf8.decode(bytes);
        } catch {
          text = utf8.decode(bytes); // U+FFFD for what is not UTF-8, as jq reads it
          valid = false;
        }
      } else text = ascii.decode(bytes);
      if (flags & REWRITE) text = canonicalJson(text);
      if (!valid || flags & REWRITE) bytes = encoder.encode(text);
    }
    this.#bytes = bytes;
    this.#text = text;
  }

  #drop(count: number): void {
    const b = this.#buffer;
    for (let k = b.indexOf(NEWLINE); k >= 0 && k < count; k = b.indexOf(NEWLINE, k + 1)) {
      this.#droppedLines++;
      this.#lastNewline = this.#dropped + k;
    }
    this.#dropped += count;
  }

  /** The error with jq's "at line L, column C" (bytes since the line's start). */
  #located(error: JsonSyntaxError): JsonSyntaxError {
    const b = this.#buffer;
    let line = this.#droppedLines + 1;
    let lastNewline = this.#lastNewline;
    for (let k = b.indexOf(NEWLINE); k >= 0 && k < error.index; k = b.indexOf(NEWLINE, k + 1)) {
      line++;
      lastNewline = this.#dropped + k;
    }
    const at = this.#dropped + error.index;
    return new JsonSyntaxError(`${error.message} at line ${line}, column ${at - lastNewline}`, at);
  }
}

/** One scanner for every splitter: a scan is one synchronous call, and its stacks are worth keeping. */
const SCANNER = new JsonScanner();

/** Values cut by a chunk's end up to this long are finished on a bridge; longer ones gather whole chunks. */
const BRIDGE = 4096;

// states: the very start; between top-level values; in a top-level object (taken apart); in its Records array
const START = -1, BETWEEN = 0, FIRST_KEY = 1, KEY = 2, AFTER_KEY = 3, MEMBER = 4, AFTER_MEMBER = 5, FIRST_ELEMENT = 6, ELEMENT = 7, AFTER_ELEMENT = 8;

const QUOTE = 34, COMMA = 44, COLON = 58, NEWLINE = 10, OPEN_BRACKET = 91, CLOSE_BRACKET = 93, OPEN_BRACE = 123, CLOSE_BRACE = 125;
const RECORDS = [...'"Records"'].map((ch) => ch.charCodeAt(0));

const strictUtf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });
const ascii = utf8;
const encoder = new TextEncoder();

/** Whether the key literal at [start, end) is `"Records"`, however spelled. */
function isRecords(b: Uint8Array, start: number, end: number): boolean {
  if (end - start === RECORDS.length && RECORDS.every((x, k) => b[start + k] === x)) return true;
  return b.subarray(start, end).includes(92 /* \ */) && decodeString(utf8.decode(b.subarray(start, end))) === "Records";
}
