/**
 * Where a run's dead letters go. During the run they are written to a private file beside DEAD_LETTER_FILE
 * (`<file>.<pid>.partial`), and at the end appended to it, or, when the run was replaying that very file (as a
 * path or as stdin), put in its place. So a replay never reads its own output: it ends, its books balance, and a
 * record that fails again keeps one line, not two. Should the run die before the end, a replay leaves the file
 * as it was (it still holds every record), and any other run still appends what it dead-lettered.
 *
 * ```ts
 * const deadLetters = DeadLetterFile.open("trailpost-dead-letter.ndjson", ["records.ndjson"]);
 * await deadLetters.write(line);
 * await deadLetters.finish(true);
 * ```
 */
import process from "node:process";
import { appendFileTo, existsSync, openAppend, rename, rm, sameFile } from "./platform.ts";

export class DeadLetterFile {
  #lines = 0;
  #file: Awaited<ReturnType<typeof openAppend>> | undefined;
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

  async write(line: string): Promise<void> {
    this.#file ??= await openAppend(this.#partial);
    await this.#file.write(line + "\n");
    this.#lines++;
  }

  /** `completed`: every input was read to its end. */
  async finish(completed: boolean): Promise<void> {
    await this.#file?.close();
    const written = this.#file !== undefined;
    this.#file = undefined;
    if (!this.replaying) {
      if (written) await appendFileTo(this.#partial, this.path);
      return;
    }
    if (!completed) return void (await rm(this.#partial, { force: true }));
    if (written) await rename(this.#partial, this.path);
    else if (existsSync(this.path)) await rm(this.path);
  }
}
