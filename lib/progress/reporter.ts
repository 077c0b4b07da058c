/**
 * Shows a run's progress while it goes: on a terminal one live line, redrawn in place (from the start, then
 * every 250 ms); elsewhere one plain line after 2 s and then every 10 s; or nothing (`--quiet`, `--json`).
 * Lines the script prints meanwhile go through `line()`, which puts them above the live line.
 *
 * ```ts
 * const reporter = new ProgressReporter({ name: "ingest", mode: "live", kind: "indexing", progress, write: (t) => stderr.write(t) });
 * reporter.start();
 * reporter.line("ingest: retrying 12 items …");
 * reporter.stop(); // the live line is erased; the summary follows on a clean line
 * ```
 */
import { liveLine, plainLine, type ProgressKind } from "./format.ts";
import type { Progress } from "./model.ts";

export type ProgressMode = "live" | "plain" | "off";

export interface ReporterOptions {
  name: string;
  mode: ProgressMode;
  kind: ProgressKind;
  progress: Progress;
  /** Writes text as it is (no newline added): the terminal or log. */
  write: (text: string) => void;
  /** The terminal's width, asked at each redraw (it may be resized). Default 80. */
  columns?: () => number;
  liveEveryMs?: number;
  plainFirstMs?: number;
  plainEveryMs?: number;
  /** Runs `fn` after `ms`; returns a cancel function. Default setTimeout. */
  schedule?: (fn: () => void, ms: number) => () => void;
}

/** Moves to the start of the line and erases it. */
const ERASE = "\r\x1b[K";

export class ProgressReporter {
  readonly #o: Required<ReporterOptions>;
  #cancel: (() => void) | undefined;
  #shown = false;
  #running = false;

  constructor(options: ReporterOptions) {
    if (!["live", "plain", "off"].includes(options.mode)) throw new TypeError(`progress mode must be live, plain or off, not ${JSON.stringify(options.mode)}`);
    if (!options.name) throw new TypeError("a progress reporter needs the script's name");
    if (typeof options.write !== "function") throw new TypeError("a progress reporter needs a write function");
    for (const key of ["liveEveryMs", "plainFirstMs", "plainEveryMs"] as const) {
      const v = options[key];
      if (v !== undefined && !(v > 0)) throw new RangeError(`${key} must be positive, not ${v}`);
    }
    this.#o = {
      columns: () => 80,
      liveEveryMs: 250,
      plainFirstMs: 2000,
      plainEveryMs: 10_000,
      schedule: (fn, ms) => {
        const timer = setTimeout(fn, ms);
        return () => clearTimeout(timer);
      },
      ...options,
    };
  }

  get mode(): ProgressMode {
    return this.#o.mode;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    if (this.#o.mode === "live") {
      this.#draw();
      this.#every(this.#o.liveEveryMs, this.#o.liveEveryMs, () => this.#draw());
    } else if (this.#o.mode === "plain") {
      this.#every(this.#o.plainFirstMs, this.#o.plainEveryMs, () => this.#o.write(`${plainLine(this.#o.name, this.#o.progress.sample(), this.#o.kind)}\n`));
    }
  }

  /** Prints a line of the script's own (a warning, a failure), above the live line when there is one. */
  line(text: string): void {
    if (this.#shown) {
      this.#o.write(`${ERASE}${text}\n`);
      this.#draw();
    } else this.#o.write(`${text}\n`);
  }

  /** Stops redrawing and erases the live line, so that what follows starts on a clean line. */
  stop(): void {
    this.#running = false;
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#shown) this.#o.write(ERASE);
    this.#shown = false;
  }

  #draw(): void {
    if (!this.#running) return;
    this.#o.write(`${ERASE}${liveLine(this.#o.name, this.#o.progress.sample(), this.#o.kind, this.#o.columns())}`);
    this.#shown = true;
  }

  #every(firstMs: number, everyMs: number, fn: () => void): void {
    const tick = () => {
      if (!this.#running) return;
      fn();
      this.#cancel = this.#o.schedule(tick, everyMs);
    };
    this.#cancel = this.#o.schedule(tick, firstMs);
  }
}
