/**
 * The streaming `.Records[]` of CloudTrail log files: text goes in as it arrives, and each element of a top-level
 * object's `Records` array comes out as soon as its last character is in, as `jq -c` prints it. Nothing but the
 * record being read (and the rest of the current chunk) is held, so an object of any size takes the same memory.
 *
 * ```ts
 * const splitter = new RecordsSplitter({
 *   record: (text) => console.log(text), recordsMember() {}, recordsValue() {}, objectEnd() {}, value() {},
 * });
 * for await (const chunk of body.pipeThrough(new TextDecoderStream())) splitter.push(chunk);
 * splitter.end();                                  // a JsonSyntaxError, "… at line 1, column 57", if not JSON
 * ```
 *
 * A record goes out with its delivered text (numbers keep their spelling: `1.10`, 64-bit ids) unless that text is
 * not what `jq -c` prints: whitespace between tokens, a repeated key, or a number only jq reads (`01`, `NaN`); then
 * canonical.ts writes it as jq does (a duplicate key once, where it first was, with its last value), so every
 * record is JSON with unique keys. The whole text is validated as jq validates it (json-scan.ts), members that are
 * not `Records` included, but only records are ever copied.
 *
 * Everything else is handed on whole, for the caller to evaluate as jq would: a top-level value that is not an
 * object (`value`), a `Records` member that is not an array (`recordsValue`), and, with `records: false`, every
 * top-level value. `recordsMember` says a `Records` key was read (jq keeps the last of duplicate keys, so a later
 * one replaces what an earlier one gave), `objectEnd` that the top-level object is complete.
 */
import { canonicalJson } from "./canonical.ts";
import { decodeString, JsonScanner, JsonSyntaxError, MORE, REWRITE, skipSpace } from "./json-scan.ts";

export interface RecordsSink {
  /** An element of a top-level object's `Records` array: its `jq -c` text and json-scan.ts flags. */
  record(text: string, flags: number): void;
  /** A `Records` key in the current top-level object. */
  recordsMember(): void;
  /** The value of that `Records` member when it is not an array. */
  recordsValue(text: string, flags: number): void;
  /** The end of a top-level object taken apart. */
  objectEnd(): void;
  /** A whole top-level value that is not taken apart. */
  value(text: string, flags: number): void;
}

export interface SplitterOptions {
  /** Take top-level objects apart and stream their `Records` elements (default true). */
  records?: boolean;
}

export class RecordsSplitter {
  readonly #sink: RecordsSink;
  readonly #records: boolean;
  readonly #scanner = new JsonScanner();
  #buffer = "";
  #pos = 0;
  #state: number = BETWEEN;
  #isRecords = false;
  /** Scan again only once the unread text is this long: a value longer than a chunk is not rescanned per chunk. */
  #want = 0;
  #final = false;
  #values = 0;
  // where #buffer starts in the whole text, for messages: characters and newlines before it
  #dropped = 0;
  #droppedLines = 0;
  #lastNewline = -1;

  constructor(sink: RecordsSink, options: SplitterOptions = {}) {
    this.#sink = sink;
    this.#records = options.records ?? true;
  }

  /** Top-level values read so far. */
  get values(): number {
    return this.#values;
  }

  /** The next piece of text. Throws a JsonSyntaxError (message with line and column) where the text stops being JSON. */
  push(text: string): void {
    if (this.#final) throw new Error("RecordsSplitter: push after end");
    if (!text) return;
    const unread = this.#buffer.length - this.#pos;
    if (unread === 0) {
      this.#drop(this.#pos);
      this.#buffer = text;
      this.#pos = 0;
      this.#run(Infinity);
    } else if (unread > BRIDGE) {
      // a long value: gather text until the unread part has doubled, then scan it again
      this.#drop(this.#pos);
      this.#buffer = this.#buffer.slice(this.#pos) + text;
      this.#pos = 0;
      if (this.#buffer.length >= this.#want) this.#run(Infinity);
    } else {
      // a value cut by the end of the last chunk: finish it on a short bridge, then go on in the new text itself
      // (joining whole chunks would copy every character once more)
      const leftover = this.#buffer.slice(this.#pos);
      this.#drop(this.#pos);
      this.#pos = 0;
      for (let take = Math.min(text.length, 2 * BRIDGE); ; take = Math.min(text.length, 2 * take)) {
        this.#buffer = leftover + text.slice(0, take); // a longer bridge keeps every position: the scan goes on from #pos
        if (this.#run(leftover.length)) {
          const at = this.#pos - leftover.length;
          this.#drop(leftover.length);
          this.#buffer = text;
          this.#pos = at;
          this.#run(Infinity);
          return;
        }
        if (take === text.length) return;
      }
    }
  }

  /** The end of the text. Throws if it ends inside a value. */
  end(): void {
    if (this.#final) return;
    this.#final = true;
    this.#run(Infinity);
  }

  /** Runs the state machine from #pos; with `stopAt`, returns true once it is between tokens at or past it. */
  #run(stopAt: number): boolean {
    const s = this.#buffer;
    const n = s.length;
    const scanner = this.#scanner;
    const sink = this.#sink;
    scanner.setText(s);
    let i = this.#pos;
    let c: number;
    try {
      for (;;) {
        if (i >= stopAt) {
          this.#pos = i;
          return true;
        }
        i = skipSpace(s, i);
        c = s.charCodeAt(i);
        if (i >= n) return this.#wait(i);
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
            const next = s.charCodeAt(end);
            if (c !== QUOTE && c !== OPEN_BRACKET && c !== OPEN_BRACE && (next === CLOSE_BRACKET || next === CLOSE_BRACE || next === COMMA || next === COLON_CHAR)) {
              scanner.value(end, this.#final, 0); // throws jq's error for that character
            }
            this.#values++;
            sink.value(this.#text(i, end), scanner.flags);
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
            const raw = s.slice(i, end);
            this.#isRecords = raw === '"Records"' || (raw.includes("\\") && decodeString(raw) === "Records");
            if (this.#isRecords) sink.recordsMember();
            this.#state = COLON;
            i = end;
            break;
          }
          case COLON:
            if (c !== COLON_CHAR) throw new JsonSyntaxError("Objects must consist of key:value pairs", i);
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
            if (this.#isRecords) sink.recordsValue(this.#text(i, end), scanner.flags);
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
                i = skipSpace(s, i + 1);
                c = s.charCodeAt(i);
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
              sink.record(this.#text(i, end), scanner.flags);
              state = AFTER_ELEMENT;
              if (end >= stopAt) {
                this.#state = state;
                this.#pos = end;
                return true;
              }
              i = skipSpace(s, end);
              c = s.charCodeAt(i);
              if (i >= n) {
                this.#state = state;
                return this.#wait(i);
              }
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

  /** Stops at `i` until more text comes; at the end of the text, that is an error unless between values. */
  #wait(i: number): false {
    this.#pos = i;
    const unread = this.#buffer.length - i;
    if (!this.#final) {
      this.#want = unread > BRIDGE ? unread * 2 : 0;
      return false;
    }
    if (this.#state !== BETWEEN || unread > 0) throw new JsonSyntaxError("Unfinished JSON term at EOF", this.#buffer.length);
    return false;
  }

  #text(start: number, end: number): string {
    const text = this.#buffer.slice(start, end);
    return this.#scanner.flags & REWRITE ? canonicalJson(text) : text;
  }

  #drop(count: number): void {
    const s = this.#buffer;
    for (let k = s.indexOf("\n"); k >= 0 && k < count; k = s.indexOf("\n", k + 1)) {
      this.#droppedLines++;
      this.#lastNewline = this.#dropped + k;
    }
    this.#dropped += count;
  }

  /** The error with jq's "at line L, column C" (columns count UTF-16 code units here). */
  #located(error: JsonSyntaxError): JsonSyntaxError {
    const s = this.#buffer;
    let line = this.#droppedLines + 1;
    let lastNewline = this.#lastNewline;
    for (let k = s.indexOf("\n"); k >= 0 && k < error.index; k = s.indexOf("\n", k + 1)) {
      line++;
      lastNewline = this.#dropped + k;
    }
    const at = this.#dropped + error.index;
    return new JsonSyntaxError(`${error.message} at line ${line}, column ${at - lastNewline}`, at);
  }
}

/** Values cut by a chunk's end up to this long are finished on a bridge; longer ones gather whole chunks. */
const BRIDGE = 4096;

// states: between top-level values; in a top-level object (taken apart); in its Records array
const BETWEEN = 0, FIRST_KEY = 1, KEY = 2, COLON = 3, MEMBER = 4, AFTER_MEMBER = 5, FIRST_ELEMENT = 6, ELEMENT = 7, AFTER_ELEMENT = 8;

const QUOTE = 34, COMMA = 44, COLON_CHAR = 58, OPEN_BRACKET = 91, CLOSE_BRACKET = 93, OPEN_BRACE = 123, CLOSE_BRACE = 125;
