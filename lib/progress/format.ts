/**
 * Progress as text: the live line a terminal rewrites in place, and the plain line a log gets every 10 s. Both
 * say the same things, in ASCII only, so that a line's length is its width on a terminal.
 *
 * ```ts
 * progressText(snapshot, "indexing")
 * // "0:07 42/84 objects, 12,345 records (2,345/s), 12.3 MB, 3 retries, 0 dead letters, ETA 0:12"
 * liveLine("ingest", snapshot, "indexing", 80)   // the same, prefixed and cut to 79 columns
 * ```
 */
import type { ProgressSnapshot } from "./model.ts";

/**
 * What a script moves, and so what its line shows: objects only (copy, gunzip), records too (split), or records
 * with their fate in the engine (bulk, ingest: retries and dead letters).
 */
export type ProgressKind = "objects" | "records" | "indexing";

export function progressText(s: ProgressSnapshot, kind: ProgressKind, options: { eta?: boolean } = {}): string {
  const parts = [duration(s.elapsedMs)];
  if (s.objects.total !== undefined) parts.push(`${count(s.objects.done)}/${count(s.objects.total)} ${s.objects.total === 1 ? "object" : "objects"}`);
  else parts.push(`${count(s.objects.done)} ${s.objects.done === 1 ? "object" : "objects"}`);
  if (s.objects.failed) parts.push(`${count(s.objects.failed)} failed`);
  if (kind !== "objects") parts.push(`${count(s.records.read)} records (${count(Math.round(s.recordsPerSecond))}/s)`);
  parts.push(s.bytes.total !== undefined ? `${byteSize(s.bytes.read)} of ${byteSize(s.bytes.total)}` : byteSize(s.bytes.read));
  if (kind === "indexing") {
    parts.push(`${count(s.records.retried)} ${s.records.retried === 1 ? "retry" : "retries"}`);
    parts.push(`${count(s.records.deadLettered)} dead ${s.records.deadLettered === 1 ? "letter" : "letters"}`);
  }
  if (options.eta ?? true) parts.push(`ETA ${s.etaMs === undefined ? "?" : duration(s.etaMs)}`);
  return `${parts[0]} ${parts.slice(1).join(", ")}`;
}

/** The terminal's line: `name text`, cut to one column less than the width so that it never wraps. */
export function liveLine(name: string, s: ProgressSnapshot, kind: ProgressKind, columns: number): string {
  const text = `${name} ${progressText(s, kind)}`;
  const width = Math.max(10, Math.floor(columns) || 80) - 1;
  return text.length <= width ? text : `${text.slice(0, width - 1)}~`;
}

/** The log's line: `name: text`. */
export function plainLine(name: string, s: ProgressSnapshot, kind: ProgressKind): string {
  return `${name}: ${progressText(s, kind)}`;
}

/** `m:ss`, or `h:mm:ss` from an hour on. */
export function duration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = total % 60;
  return h ? `${h}:${pad(m)}:${pad(sec)}` : `${m}:${pad(sec)}`;
}

export function byteSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(2)} GB`;
}

function count(n: number): string {
  return n.toLocaleString("en-US");
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}
