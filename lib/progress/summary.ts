/**
 * The end of a run as one JSON object, for automation (`--json`): what the human summary says, with every
 * failure, and for indexing scripts the balance `records.read = indexed + duplicates + deadLettered`.
 *
 * ```ts
 * const summary = runSummary("ingest", ledger, { exitCode: 0, seconds: 12.3, kind: "indexing", extra: { target } });
 * console.log(JSON.stringify(summary));
 * // {"script":"ingest","exitCode":0,"ok":true,"seconds":12.3,"objects":{…},"records":{…},"balanced":true,…}
 * ```
 */
import type { Ledger } from "../ledger.ts";
import type { ProgressKind } from "./format.ts";

export interface SummaryOptions {
  exitCode: number;
  seconds: number;
  kind: ProgressKind;
  /** Facts of the script's own (target, engine, dead-letter file, output directory); never a secret. */
  extra?: Record<string, unknown>;
}

export interface RunSummary {
  script: string;
  exitCode: number;
  ok: boolean;
  seconds: number;
  objects: { expected: number | null; listed: number; read: number; failed: number; skipped: Ledger["objects"]["skipped"] };
  /** `records` kinds: the records read (split: the lines out); indexing kinds: their fate too. */
  records?: { read: number } & Partial<Ledger["records"]>;
  /** Indexing scripts: read = indexed + duplicates + deadLettered. */
  balanced?: boolean;
  bytes: { read: number };
  /** Indexing scripts: documents landed per index. */
  indices?: Record<string, number>;
  failures: { subject: string; reason: string }[];
  [extra: string]: unknown;
}

export function runSummary(script: string, ledger: Ledger, options: SummaryOptions): RunSummary {
  if (!Number.isInteger(options.exitCode)) throw new TypeError(`exitCode must be an integer, not ${options.exitCode}`);
  const o = ledger.objects;
  const summary: RunSummary = {
    script,
    exitCode: options.exitCode,
    ok: options.exitCode === 0,
    seconds: Math.round(options.seconds * 1000) / 1000,
    objects: { expected: ledger.expected.objects ?? null, listed: o.listed, read: o.read, failed: o.failed, skipped: { ...o.skipped } },
    bytes: { read: ledger.bytes.read },
    failures: ledger.failures.map((f) => ({ subject: f.subject, reason: f.reason })),
  };
  // problems past the ledger's bound: counted only (each is in the dead-letter file)
  if (ledger.unlisted) summary.unlistedFailures = ledger.unlisted;
  if (options.kind === "records") summary.records = { read: ledger.records.read };
  if (options.kind === "indexing") {
    summary.records = { ...ledger.records };
    summary.balanced = ledger.balanced;
    summary.indices = Object.fromEntries([...ledger.perIndex].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  }
  for (const [key, value] of Object.entries(options.extra ?? {})) {
    if (key in summary) throw new Error(`summary field ${key} is already set`);
    summary[key] = value;
  }
  return summary;
}
