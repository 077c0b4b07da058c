/**
 * A script's output while it runs and at its end, on this machine's stderr/stdout: the progress (a live line when
 * stderr is a terminal, a plain line every 10 s when it is not, none with --quiet), lines printed meanwhile
 * kept above the live line, and the end: the human summary, or with --json one JSON object.
 *
 *   const out = runOutput("ingest", values, ledger, "indexing");
 *   out.start();
 *   …                                   // console.error lines go above the live line
 *   return out.end(code, { lines: [summaryLine], failures: true, extra: { target } });
 *
 * --json prints the summary on stdout, or on stderr for a script whose stdout is data (`jsonTo: "stderr"`:
 * split, gunzip to stdout); then nothing else goes to that stream but the progress on a terminal.
 */
import { statSync } from "node:fs";
import process from "node:process";
import { format } from "node:util";
import type { SettingName } from "../../lib/config.ts";
import type { Ledger } from "../../lib/ledger.ts";
import { progressText, type ProgressKind } from "../../lib/progress/format.ts";
import { Progress } from "../../lib/progress/model.ts";
import { ProgressReporter, type ProgressMode } from "../../lib/progress/reporter.ts";
import { runSummary } from "../../lib/progress/summary.ts";
import { onExit } from "./platform.ts";
import { printFailures } from "./run.ts";

type Values = Partial<Record<SettingName, string>>;

/** The settings every step script takes for its output. */
export const OUTPUT: SettingName[] = ["quiet", "json"];

export interface EndOptions {
  /** The human summary, printed unless --quiet or --json. */
  lines?: string[];
  /** Notes printed after the summary unless --json (where to find dead letters); --quiet keeps them. */
  notes?: string[];
  /** Print each failure on its own line (unless --json, which lists them). Default true. */
  failures?: boolean;
  /** Facts for the JSON summary. */
  extra?: Record<string, unknown>;
}

export class RunOutput {
  readonly quiet: boolean;
  readonly json: boolean;
  readonly reporter: ProgressReporter;
  readonly #started = Date.now();
  readonly #progress: Progress;
  #restore: (() => void) | undefined;
  #unhook: (() => void) | undefined;

  constructor(
    readonly name: string,
    values: Values,
    readonly ledger: Ledger,
    readonly kind: ProgressKind,
    readonly jsonTo: "stdout" | "stderr" = "stdout",
  ) {
    this.quiet = truthy(values.quiet);
    this.json = truthy(values.json);
    this.reporter = new ProgressReporter({
      name,
      kind,
      mode: this.#mode(),
      progress: (this.#progress = new Progress(ledger)),
      write: (text) => void process.stderr.write(text),
      columns: terminalColumns,
    });
  }

  /**
   * Starts the progress; while it is live, console.error and console.warn print above the live line. Until the end,
   * a run stopped by a signal says what it had done (with --json, as the summary, `interrupted` naming the signal).
   * Not a script whose stdout is its data (split, gunzip to stdout): stopped while a slow reader keeps the pipe
   * full, it must die at once, and under Deno a write to a full pipe holds the event loop, where a handler would
   * never run (measured: a hang until SIGKILL).
   */
  start(): void {
    if (this.jsonTo === "stdout") this.#unhook ??= onExit({ finish: async ({ code, signal }) => (signal ? this.#interrupted(code, signal) : undefined) });
    this.reporter.start();
    if (this.reporter.mode !== "live") return;
    const { error, warn } = console;
    console.error = (...args: unknown[]) => this.reporter.line(format(...args));
    console.warn = console.error;
    this.#restore = () => Object.assign(console, { error, warn });
  }

  /** Stops the progress and erases the live line (also on the way out of a failing run: call it in `finally`). */
  stop(): void {
    this.reporter.stop();
    this.#restore?.();
    this.#restore = undefined;
    this.#unhook?.();
    this.#unhook = undefined;
  }

  /** Stops the progress and prints the end of the run; returns the exit code, for `return out.end(code, …)`. */
  end(exitCode: number, options: EndOptions = {}): number {
    this.stop();
    if (this.json) return this.#json(exitCode, options.extra), exitCode;
    if (options.failures ?? true) printFailures(this.name, this.ledger);
    if (!this.quiet) for (const line of options.lines ?? []) console.error(line);
    for (const note of options.notes ?? []) console.error(note);
    return exitCode;
  }

  #json(exitCode: number, extra?: Record<string, unknown>): void {
    const summary = runSummary(this.name, this.ledger, { exitCode, seconds: (Date.now() - this.#started) / 1000, kind: this.kind, extra });
    (this.jsonTo === "stdout" ? process.stdout : process.stderr).write(`${JSON.stringify(summary)}\n`);
  }

  /** The line a run stopped by a signal ends with: what it had done (records in flight are in no count yet). */
  #interrupted(code: number, signal: NodeJS.Signals): string | undefined {
    this.stop();
    if (this.json) return this.#json(code, { interrupted: signal }), undefined;
    return this.quiet ? undefined : `done so far: ${progressText(this.#progress.sample(), this.kind, { eta: false })}`;
  }

  #mode(): ProgressMode {
    if (this.quiet) return "off";
    const terminal = Boolean(process.stderr.isTTY) && process.env.TERM !== "dumb";
    if (terminal) return "live";
    // --json on stderr: that stream carries the summary alone
    return this.json && this.jsonTo === "stderr" ? "off" : "plain";
  }
}

export function runOutput(name: string, values: Values, ledger: Ledger, kind: ProgressKind, jsonTo: "stdout" | "stderr" = "stdout"): RunOutput {
  return new RunOutput(name, values, ledger, kind, jsonTo);
}

/** The total size of files, for the ETA of a script that reads them. */
export function fileSizes(paths: readonly string[]): number {
  let total = 0;
  for (const path of paths) total += statSync(path).size;
  return total;
}

function truthy(v: string | undefined): boolean {
  return v === "true" || v === "1";
}

function terminalColumns(): number {
  // deno-lint-ignore no-explicit-any
  const Deno = (globalThis as any).Deno as undefined | { consoleSize(): { columns: number } };
  if (process.stderr.columns) return process.stderr.columns;
  try {
    return Deno?.consoleSize().columns ?? 80;
  } catch {
    return 80;
  }
}
