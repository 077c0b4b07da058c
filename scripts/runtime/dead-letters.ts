/**
 * Where a run's dead letters go. During the run they are written to a private file beside DEAD_LETTER_FILE
 * (`<file>.<pid>.partial`), and at the end appended to it, or, when the run was replaying that very file (as a
 * path or as stdin), put in its place. So a replay never reads its own output: it ends, its books balance, and a
 * record that fails again keeps one line, not two.
 *
 * A run stopped by SIGINT, SIGTERM or SIGHUP finishes the file the same way, as a run that did not read all its
 * input (platform.ts's exit hooks): what it dead-lettered is appended, or a replay leaves the file as it was (it
 * still holds every record), and one line says where the dead letters are. Only a run killed outright (SIGKILL,
 * a crash) leaves its partial file behind.
 *
 * ```ts
 * const deadLetters = DeadLetterFile.open("trailpost-dead-letter.ndjson", ["records.ndjson"]);
 * await deadLetters.write(line);
 * await deadLetters.finish(true);
 * ```
 */
import process from "node:process";
import { appendFileTo, existsSync, onExit, openAppend, rename, rm, sameFile } from "./platform.ts";

/** How many dead letters a summary names; the others are counted. */
export const NAMED = 10;

export class DeadLetterFile {
  #lines = 0;
  /** Opened by the first write: one promise, so that concurrent first writes share one file. */
  #file: ReturnType<typeof openAppend> | undefined;
  /** Every write in order: finishing waits for the last. */
  #written: Promise<void> = Promise.resolve();
  #finishing: Promise<void> | undefined;
  #completed = false;
  #interrupted = false;
  #unhook: (() => void) | undefined;
  readonly #partial: string;

  private constructor(
    /** DEAD_LETTER_FILE */
    readonly path: string,
    /** True when the run reads this very file. */
    readonly replaying: boolean,
  ) {
    this.#partial = `${path}.${process.pid}.partial`;
  }

  /** `reads`: the files the run reads records from, or stdin; nothing for a run that reads no NDJSON. */
  static open(path: string, reads: readonly string[] | "stdin" = []): DeadLetterFile {
    const replaying = reads === "stdin" ? sameFile(0, path) : reads.some((input) => sameFile(input, path));
    return new DeadLetterFile(path, replaying);
  }

  get lines(): number {
    return this.#lines;
  }

  /** The first dead letters (NAMED of them), for the run's summary to name: where each record was, and why. */
  readonly named: { subject: string; reason: string }[] = [];

  /** Remembers a dead letter for the summary (only the first NAMED are kept). */
  name(subject: string, reason: string): void {
    if (this.named.length < NAMED) this.named.push({ subject, reason });
  }

  /**
   * Adds a line. After the file is finished a write is an error, except in a run being stopped by a signal: there
   * the line waits for the exit (the run's input was not all read, and the signal's line says so).
   */
  write(line: string): Promise<void> {
    if (this.#finishing) {
      return this.#interrupted ? new Promise<void>(() => {}) : Promise.reject(new Error(`${this.path}: dead-letter file already finished`));
    }
    if (!this.#file) {
      this.#file = openAppend(this.#partial);
      this.#unhook = onExit({ finish: () => this.#interrupt() });
    }
    const file = this.#file;
    const done = this.#written.then(async () => {
      await (await file).write(line + "\n");
      this.#lines++;
    });
    this.#written = done.catch(() => {});
    return done;
  }

  /** `completed`: every input was read to its end. Once only: a second call waits for the first. */
  finish(completed: boolean): Promise<void> {
    if (!this.#finishing) this.#completed = completed;
    this.#finishing ??= this.#finish(completed);
    return this.#finishing;
  }

  async #finish(completed: boolean): Promise<void> {
    const file = this.#file;
    try {
      await this.#written;
      await (await file)?.close();
      if (!this.replaying) {
        if (file) await appendFileTo(this.#partial, this.path);
        return;
      }
      if (!completed) return void (await rm(this.#partial, { force: true }));
      if (file) await rename(this.#partial, this.path);
      else if (existsSync(this.path)) await rm(this.path);
    } finally {
      this.#unhook?.();
    }
  }

  /** A signal: finish as a run that did not read all its input, and say where the dead letters are. */
  async #interrupt(): Promise<string | undefined> {
    this.#interrupted = !this.#finishing;
    await this.finish(false);
    const count = `${this.#lines.toLocaleString("en-US")} dead letter${this.#lines === 1 ? "" : "s"}`;
    if (this.replaying && !this.#completed) return `${this.path} is left as it was: it still holds every record it held; replay it again: bulk.ts ${this.path}`;
    if (this.replaying) return this.#lines ? `${count} in ${this.path}, in place of the replayed ones` : `every record of ${this.path} landed; the file is removed`;
    return `${count} of this run added to ${this.path}; fix the cause, then replay: bulk.ts ${this.path}`;
  }
}
