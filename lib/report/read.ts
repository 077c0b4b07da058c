/**
 * Reads a report of some days from the engine: four `_search` requests with `size: 0` (queries.ts), answers
 * turned into a Report (model.ts). Nothing is read from files: what the page shows is what the engine holds.
 *
 * ```ts
 * const report = await readReport(client, { indexPrefix: "cloudtrail", days: ["2024-03-04"] });
 * ```
 *
 * A day whose index does not exist is a ReportError naming the indices; a day with no events in it is a
 * report of zeros.
 */
import type { SearchClient } from "../search/client.ts";
import { detectEngine, type Engine } from "../search/engine.ts";
import { OTHER, type Count, type LoginPrincipal, type NewRegion, type Report, type Stacked } from "./model.ts";
import { dayIndices, earlierRegionsBody, errorsByPrincipalBody, overviewBody, reportWindow, timelineBody } from "./queries.ts";

export interface ReadOptions {
  indexPrefix: string;
  days: readonly string[];
  /** Known already (saves a request); detected otherwise. */
  engine?: Engine;
  now?: () => Date;
}

export class ReportError extends Error {}

interface Bucket {
  key: string | number;
  key_as_string?: string;
  doc_count: number;
  [agg: string]: unknown;
}
interface Terms {
  buckets: Bucket[];
  doc_count_error_upper_bound?: number;
}
type Aggs = Record<string, unknown>;
interface SearchAnswer {
  _shards?: { total?: number };
  hits?: { total?: number | { value: number } };
  aggregations?: Aggs;
}

const SEARCH = "_search?ignore_unavailable=true&allow_no_indices=true";

export async function readReport(client: SearchClient, options: ReadOptions): Promise<Report> {
  if (!options.indexPrefix) throw new TypeError("readReport needs an index prefix");
  const w = reportWindow(options.days);
  const indices = dayIndices(options.indexPrefix, w.days);
  const engine = options.engine ?? (await detectEngine(client));
  const search = (names: string, body: unknown) => client.json<SearchAnswer>("POST", `/${encodeURI(names)}/${SEARCH}`, body);
  let approximate = false;
  const termsOf = (aggs: Aggs | undefined, name: string): Terms => {
    const t = (aggs?.[name] ?? { buckets: [] }) as Terms;
    if ((t.doc_count_error_upper_bound ?? 0) > 0) approximate = true;
    return t;
  };

  const overview = await search(indices, overviewBody(w));
  if (!overview._shards?.total) {
    throw new ReportError(`no index ${indices.split(",").join(" or ")} on ${client.describe()}: ingest the day first (or check INDEX_PREFIX)`);
  }
  const a = overview.aggregations ?? {};
  const sources = termsOf(a, "sources").buckets.map((b) => String(b.key));
  const errors = bucketOf(a, "errors");
  const codes = termsOf(errors, "codes").buckets.map((b) => String(b.key));
  const earlierIndices = dayIndices(options.indexPrefix, daysBetween(w.earlier.gte, w.earlier.lt));
  const [timeline, errorsByPrincipal, earlier] = await Promise.all([
    search(indices, timelineBody(w, sources)),
    search(indices, errorsByPrincipalBody(w, codes)),
    search(earlierIndices, earlierRegionsBody(w)),
  ]);

  const logins = bucketOf(a, "logins");
  const root = bucketOf(a, "root");
  const regions = termsOf(a, "regions").buckets;
  const earlierRegions = new Set(termsOf(earlier.aggregations, "regions").buckets.map((b) => String(b.key)));
  const earlierTotal = totalOf(earlier);
  const integrity = counts(termsOf(a, "integrity"));
  const loginsTotal = logins.doc_count;
  const mfaUsed = filterCount(logins, "mfa", "yes");
  const noMfa = filterCount(logins, "mfa", "no");

  return {
    days: w.days,
    window: { gte: w.gte, lt: w.lt, interval: w.interval },
    indices,
    indexPrefix: options.indexPrefix,
    target: client.describe(),
    engine: { distribution: engine.distribution, version: engine.version },
    generatedAt: (options.now?.() ?? new Date()).toISOString(),
    total: totalOf(overview),
    distinct: {
      principals: valueOf(a, "principals"),
      sourceIps: valueOf(a, "sourceIps"),
      accounts: valueOf(a, "accounts"),
      eventNames: valueOf(a, "eventNameCount"),
    },
    timeline: stacked(termsOf(timeline.aggregations, "timeline").buckets, sources, "sources", (b) => new Date(Number(b.key)).toISOString(), termsOf),
    topPrincipals: { rows: counts(termsOf(a, "topPrincipals")), withoutArn: bucketOf(a, "withoutArn").doc_count },
    topEventNames: counts(termsOf(a, "topEventNames")),
    topSourceIps: { rows: counts(termsOf(a, "topSourceIps")), notIp: bucketOf(a, "notIp").doc_count },
    errors: {
      total: errors.doc_count,
      codes: counts(termsOf(errors, "codes")),
      byPrincipal: stacked(termsOf(errorsByPrincipal.aggregations, "principals").buckets, codes, "codes", (b) => String(b.key), termsOf),
    },
    consoleLogins: {
      total: loginsTotal,
      success: filterCount(logins, "outcome", "success"),
      failure: filterCount(logins, "outcome", "failure"),
      mfaUsed,
      noMfa,
      mfaUnknown: loginsTotal - mfaUsed - noMfa,
      successWithoutMfa: bucketOf(logins, "successWithoutMfa").doc_count,
      byPrincipal: termsOf(logins, "principals").buckets.map((b): LoginPrincipal => ({
        key: String(b.key),
        count: b.doc_count,
        success: filterCount(b, "outcome", "success"),
        failure: filterCount(b, "outcome", "failure"),
        mfaUsed: filterCount(b, "mfa", "yes"),
        noMfa: filterCount(b, "mfa", "no"),
        sourceIps: counts(termsOf(b, "ips")),
      })),
    },
    root: {
      total: root.doc_count,
      errors: bucketOf(root, "errors").doc_count,
      eventNames: counts(termsOf(root, "eventNames")),
      sourceIps: counts(termsOf(root, "ips")),
    },
    regions: {
      all: regions.map((b) => ({ key: String(b.key), count: b.doc_count })),
      earlier: { gte: w.earlier.gte, lt: w.earlier.lt, total: earlierTotal, regions: [...earlierRegions].sort() },
      new: earlierTotal === 0 ? [] : regions.filter((b) => !earlierRegions.has(String(b.key))).map((b): NewRegion => ({
        key: String(b.key),
        count: b.doc_count,
        eventNames: counts(termsOf(b, "eventNames")),
        principals: counts(termsOf(b, "principals")),
      })),
    },
    integrity: { recorded: integrity.length > 0, counts: integrity, missing: bucketOf(a, "integrityMissing").doc_count },
    approximate,
  };
}

/** Rows of a stacked chart: each bucket's parts per series, and `other` for what is outside them. */
function stacked(buckets: Bucket[], series: string[], sub: string, keyOf: (b: Bucket) => string, termsOf: (aggs: Aggs, name: string) => Terms): Stacked {
  const rows = buckets.map((b) => {
    const found = new Map(termsOf(b, sub).buckets.map((s) => [String(s.key), s.doc_count]));
    const parts = series.map((key) => ({ key, count: found.get(key) ?? 0 }));
    const other = b.doc_count - parts.reduce((sum, p) => sum + p.count, 0);
    return { key: keyOf(b), total: b.doc_count, parts: [...parts, { key: OTHER, count: other }] };
  });
  const anyOther = rows.some((r) => r.parts.at(-1)!.count > 0);
  if (!anyOther) for (const r of rows) r.parts.pop();
  return { series: anyOther ? [...series, OTHER] : [...series], rows };
}

/** The single bucket of a one-filter `filters` aggregation (the keyed answer: `{buckets: {name: {…}}}`). */
function bucketOf(aggs: Aggs | undefined, name: string): Bucket {
  const buckets = (aggs?.[name] as { buckets?: Record<string, Bucket> } | undefined)?.buckets ?? {};
  return Object.values(buckets)[0] ?? { key: name, doc_count: 0 };
}

function filterCount(aggs: Aggs, name: string, key: string): number {
  return (aggs[name] as { buckets?: Record<string, Bucket> } | undefined)?.buckets?.[key]?.doc_count ?? 0;
}

function counts(t: Terms): Count[] {
  return t.buckets.map((b) => ({ key: String(b.key_as_string ?? b.key), count: b.doc_count }));
}

function valueOf(aggs: Aggs, name: string): number {
  return (aggs[name] as { value?: number } | undefined)?.value ?? 0;
}

function totalOf(answer: SearchAnswer): number {
  const t = answer.hits?.total;
  return typeof t === "number" ? t : (t?.value ?? 0);
}

/** The days from `gte` (inclusive) to `lt` (exclusive), as YYYY-MM-DD. */
function daysBetween(gte: string, lt: string): string[] {
  const out: string[] = [];
  for (let t = Date.parse(gte); t < Date.parse(lt); t += 86_400_000) out.push(new Date(t).toISOString().slice(0, 10));
  return out;
}
