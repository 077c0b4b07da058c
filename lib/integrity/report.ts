/**
 * What `aws cloudtrail validate-logs` prints, line for line: the header, one line per invalid digest or log file
 * and per gap on stderr (each followed by an empty line), `valid` lines on stdout with `verbose`, and the
 * summary with the found range and the counts. Each line is also kept as a verdict for programs and tests.
 *
 * ```ts
 * const report = new ValidationReport({ trailArn, start, end, verbose: true, write: (stream, text) => … });
 * report.header();
 * report.digestValid(bucket, key, startTime, endTime, false);
 * report.logInvalid(bucket, key, "hash value doesn't match");
 * report.summary(); // then report.failed decides the exit code
 * ```
 */
import { displayTime } from "../cloudtrail/digest.ts";

export type Stream = "out" | "err";

export interface Verdict {
  kind: "digest" | "log" | "gap";
  backfill: boolean;
  /** `s3://bucket/key` (for a gap: empty). */
  object: string;
  /** "valid", or the reason after `INVALID: `, or for a gap its line. */
  status: string;
}

export interface ReportOptions {
  trailArn: string;
  /** Epoch ms. */
  start: number;
  end: number;
  /** Also print valid files (the CLI's `--verbose`). */
  verbose?: boolean;
  write: (stream: Stream, text: string) => void;
}

export class ValidationReport {
  readonly verdicts: Verdict[] = [];
  readonly counts = { digests: { valid: 0, invalid: 0 }, backfillDigests: { valid: 0, invalid: 0 }, logs: { valid: 0, invalid: 0 } };
  #lastWasDoubleSpace = true;
  #foundStart: number | undefined;
  #foundEnd: number | undefined;

  constructor(private readonly options: ReportOptions) {
    if (!options.trailArn) throw new TypeError("ValidationReport needs a trail ARN");
    if (!(options.start <= options.end)) throw new RangeError("ValidationReport: start must not be after end");
  }

  /** Anything invalid: the exit code is 1. */
  get failed(): boolean {
    const c = this.counts;
    return c.digests.invalid + c.backfillDigests.invalid + c.logs.invalid > 0;
  }

  header(): void {
    this.options.write("out", `Validating log files for trail ${this.options.trailArn} between ${displayTime(this.options.start)} and ${displayTime(this.options.end)}\n\n`);
  }

  digestValid(bucket: string, key: string, startTime: number, endTime: number, backfill: boolean): void {
    this.#track(startTime, endTime);
    this.#digestCount(backfill).valid++;
    this.#status(`${tag(backfill)}Digest file\ts3://${bucket}/${key}\tvalid`, false, { kind: "digest", backfill, object: `s3://${bucket}/${key}`, status: "valid" });
  }

  digestInvalid(bucket: string, key: string, reason: string, backfill: boolean): void {
    this.#digestCount(backfill).invalid++;
    this.#status(`${tag(backfill)}Digest file\ts3://${bucket}/${key}\tINVALID: ${reason}`, true, { kind: "digest", backfill, object: `s3://${bucket}/${key}`, status: reason });
  }

  gap(nextEnd: number, lastStart: number, backfill: boolean): void {
    const line = `${tag(backfill)}No log files were delivered by CloudTrail between ${displayTime(nextEnd)} and ${displayTime(lastStart)}`;
    this.#status(line, true, { kind: "gap", backfill, object: "", status: line });
  }

  logValid(bucket: string, key: string): void {
    this.counts.logs.valid++;
    this.#status(`Log file\ts3://${bucket}/${key}\tvalid`, false, { kind: "log", backfill: false, object: `s3://${bucket}/${key}`, status: "valid" });
  }

  logInvalid(bucket: string, key: string, reason: string): void {
    this.counts.logs.invalid++;
    this.#status(`Log file\ts3://${bucket}/${key}\tINVALID: ${reason}`, true, { kind: "log", backfill: false, object: `s3://${bucket}/${key}`, status: reason });
  }

  summary(): void {
    const { write, start, end } = this.options;
    const c = this.counts;
    if (!this.#lastWasDoubleSpace) write("out", "\n");
    write("out", `Results requested for ${displayTime(start)} to ${displayTime(end)}\n`);
    const valid = c.digests.valid + c.backfillDigests.valid;
    const invalid = c.digests.invalid + c.backfillDigests.invalid;
    if (!valid && !invalid) return write("out", "No digests found\n");
    if (this.#foundStart === undefined || this.#foundEnd === undefined) write("out", "No valid digests found in range\n");
    else write("out", `Results found for ${displayTime(this.#foundStart)} to ${displayTime(this.#foundEnd)}:\n`);
    this.#ratio(c.digests, "digest");
    this.#ratio(c.backfillDigests, "backfill digest");
    this.#ratio(c.logs, "log");
    write("out", "\n");
  }

  #ratio(count: { valid: number; invalid: number }, name: string): void {
    const total = count.valid + count.invalid;
    if (total === 0) return;
    this.options.write("out", `\n${count.valid}/${total} ${name} files valid${count.invalid ? `, ${count.invalid}/${total} ${name} files INVALID` : ""}`);
  }

  /** The earliest start and latest end of valid digests, within the requested range. */
  #track(startTime: number, endTime: number): void {
    const earliest = Math.max(startTime, this.options.start);
    if (this.#foundStart === undefined || earliest < this.#foundStart) this.#foundStart = earliest;
    const latest = Math.min(endTime, this.options.end);
    if (this.#foundEnd === undefined || latest > this.#foundEnd) this.#foundEnd = latest;
  }

  #digestCount(backfill: boolean) {
    return backfill ? this.counts.backfillDigests : this.counts.digests;
  }

  /** Errors go to stderr set off by empty lines; valid lines to stdout, only when verbose. */
  #status(line: string, isError: boolean, verdict: Verdict): void {
    this.verdicts.push(verdict);
    if (isError) {
      this.options.write("err", this.#lastWasDoubleSpace ? `${line}\n\n` : `\n${line}\n\n`);
      this.#lastWasDoubleSpace = true;
    } else if (this.options.verbose) {
      this.#lastWasDoubleSpace = false;
      this.options.write("out", `${line}\n`);
    }
  }
}

function tag(backfill: boolean): string {
  return backfill ? "(backfill) " : "";
}
