/**
 * Lines for stdout, as bytes: each line is copied into a 64 KiB buffer, and full buffers are written with
 * platform.ts's Output. Records go from input to output without ever being decoded to text.
 *
 * ```ts
 * const lines = new LineWriter(new Output());
 * if (lines.add(record.bytes)) await lines.flush();   // add says when buffers are full
 * await lines.flush();
 * ```
 */
import type { Output } from "./platform.ts";

const LINES_BUFFER = 1 << 16;

export class LineWriter {
  #buffer = new Uint8Array(LINES_BUFFER);
  #used = 0;
  #pending: Uint8Array[] = [];
  constructor(private readonly out: Pick<Output, "bytes">) {}

  /** Adds a line; true when the buffers should be flushed before the next. */
  add(line: Uint8Array): boolean {
    if (this.#used + line.length + 1 > this.#buffer.length) {
      if (this.#used) this.#pending.push(this.#buffer.subarray(0, this.#used));
      this.#buffer = new Uint8Array(Math.max(LINES_BUFFER, line.length + 1)); // the full one may still be on its way out
      this.#used = 0;
    }
    this.#buffer.set(line, this.#used);
    this.#used += line.length;
    this.#buffer[this.#used++] = 10;
    return this.#pending.length > 0;
  }

  async flush(): Promise<void> {
    if (this.#used) this.#pending.push(this.#buffer.subarray(0, this.#used));
    this.#buffer = new Uint8Array(LINES_BUFFER);
    this.#used = 0;
    for (const chunk of this.#pending.splice(0)) await this.out.bytes(chunk);
  }
}
