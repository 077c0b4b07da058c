/**
 * The report's questions to the engine, as `_search` bodies: only aggregations that Elasticsearch 7–9 and
 * OpenSearch 1–3 both have (`terms`, `date_histogram`, `filters`, `cardinality`), and `size: 0`: no document is
 * read, only counted.
 *
 * ```ts
 * const w = reportWindow(["2024-03-04"]);            // { gte: "2024-03-04T00:00:00.000Z", lt: "2024-03-05T00:00:00.000Z", … }
 * await client.json("POST", `/${indices}/_search`, overviewBody(w));
 * ```
 *
 * Fields are the template's (lib/search/schema.ts): keywords, `sourceIPAddress.ip` (only real IP addresses),
 * and inside the flat objects `responseElements.ConsoleLogin` and `additionalEventData.MFAUsed`, which are only
 * queried with `term` (OpenSearch's `flat_object` has no aggregations on its sub-fields; `filters` works on both).
 */

export interface ReportWindow {
  days: string[];
  /** Start of the first day and end of the last, UTC. */
  gte: string;
  lt: string;
  /** Buckets of the time chart: hours for up to 3 days, days beyond. */
  interval: "hour" | "day";
  /** The earlier days a region is compared against (30 days before `gte`). */
  earlier: { gte: string; lt: string };
}

/** Top-N sizes of the lists. */
export const TOP = 10;
/** Series of the stacked charts (the rest is "other"). */
export const SERIES = 8;
/** Console logins per principal in the table. */
export const LOGIN_PRINCIPALS = 20;
/** Days before the report a region must not have appeared in, to be new. */
export const EARLIER_DAYS = 30;
/** Key of the `missing` bucket for events without a principal ARN (never an ARN). */
export const NO_ARN = "(no userIdentity.arn)";
/** The only aggregation types the report uses. */
export const AGGREGATIONS = ["terms", "date_histogram", "filters", "cardinality"] as const;

const DAY = 86_400_000;

export function reportWindow(days: readonly string[]): ReportWindow {
  if (!days.length) throw new RangeError("a report needs at least one day");
  const sorted = [...days].sort();
  for (const d of sorted) if (!isDay(d)) throw new RangeError(`not a day: ${JSON.stringify(d)}`);
  const start = Date.parse(`${sorted[0]}T00:00:00Z`);
  const end = Date.parse(`${sorted.at(-1)}T00:00:00Z`) + DAY;
  return {
    days: sorted,
    gte: iso(start),
    lt: iso(end),
    interval: end - start <= 3 * DAY ? "hour" : "day",
    earlier: { gte: iso(start - EARLIER_DAYS * DAY), lt: iso(start) },
  };
}

/** The daily indices of the days: `<prefix>-YYYY.MM.DD,…`. */
export function dayIndices(prefix: string, days: readonly string[]): string {
  return days.map((d) => `${prefix}-${d.replaceAll("-", ".")}`).join(",");
}

const range = (gte: string, lt: string) => ({ range: { eventTime: { gte, lt, format: "strict_date_optional_time" } } });
const exists = (field: string) => ({ exists: { field } });
const missing = (field: string) => ({ bool: { must_not: [exists(field)] } });
const term = (field: string, value: string) => ({ term: { [field]: value } });
const terms = (field: string, size: number, extra: Record<string, unknown> = {}) => ({ terms: { field, size, shard_size: Math.max(100, size * 10), ...extra } });
const one = (name: string, query: unknown, aggs?: Record<string, unknown>) => ({ filters: { filters: { [name]: query } }, ...(aggs ? { aggs } : {}) });
const outcome = { filters: { filters: { success: term("responseElements.ConsoleLogin", "Success"), failure: term("responseElements.ConsoleLogin", "Failure") } } };
const mfa = { filters: { filters: { yes: term("additionalEventData.MFAUsed", "Yes"), no: term("additionalEventData.MFAUsed", "No") } } };

/** Everything that does not depend on another answer, in one request. */
export function overviewBody(w: ReportWindow): Record<string, unknown> {
  return {
    size: 0,
    track_total_hits: true,
    query: range(w.gte, w.lt),
    aggs: {
      principals: { cardinality: { field: "userIdentity.arn", precision_threshold: 40_000 } },
      sourceIps: { cardinality: { field: "sourceIPAddress", precision_threshold: 40_000 } },
      accounts: { cardinality: { field: "recipientAccountId", precision_threshold: 40_000 } },
      eventNameCount: { cardinality: { field: "eventName", precision_threshold: 40_000 } },
      sources: terms("eventSource", SERIES),
      topPrincipals: terms("userIdentity.arn", TOP),
      withoutArn: one("none", missing("userIdentity.arn")),
      topEventNames: terms("eventName", TOP),
      topSourceIps: terms("sourceIPAddress.ip", TOP),
      notIp: one("none", missing("sourceIPAddress.ip")),
      errors: one("errors", exists("errorCode"), { codes: terms("errorCode", SERIES - 2) }),
      logins: one("logins", term("eventName", "ConsoleLogin"), {
        outcome,
        mfa,
        successWithoutMfa: one("x", { bool: { filter: [term("responseElements.ConsoleLogin", "Success"), term("additionalEventData.MFAUsed", "No")] } }),
        principals: { ...terms("userIdentity.arn", LOGIN_PRINCIPALS, { missing: NO_ARN }), aggs: { outcome, mfa, ips: terms("sourceIPAddress", 3) } },
      }),
      root: one("root", term("userIdentity.type", "Root"), {
        eventNames: terms("eventName", TOP),
        ips: terms("sourceIPAddress", 5),
        errors: one("errors", exists("errorCode")),
      }),
      regions: { ...terms("awsRegion", 100), aggs: { eventNames: terms("eventName", 3), principals: terms("userIdentity.arn", 3, { missing: NO_ARN }) } },
      integrity: terms("trailpost.integrity", 10),
      integrityMissing: one("none", missing("trailpost.integrity")),
    },
  };
}

/** Events per hour (or day), split by the top event sources of the window; the rest is `other`. */
export function timelineBody(w: ReportWindow, sources: readonly string[]): Record<string, unknown> {
  const step = w.interval === "hour" ? 3_600_000 : DAY;
  const interval = w.interval === "hour" ? { fixed_interval: "1h" } : { calendar_interval: "1d" };
  return {
    size: 0,
    query: range(w.gte, w.lt),
    aggs: {
      timeline: {
        date_histogram: {
          field: "eventTime",
          ...interval,
          min_doc_count: 0,
          extended_bounds: { min: Date.parse(w.gte), max: Date.parse(w.lt) - step },
        },
        ...(sources.length ? { aggs: { sources: terms("eventSource", sources.length, { include: [...sources] }) } } : {}),
      },
    },
  };
}

/** Events with an errorCode per principal (top 10), split by the top error codes. */
export function errorsByPrincipalBody(w: ReportWindow, codes: readonly string[]): Record<string, unknown> {
  return {
    size: 0,
    query: { bool: { filter: [range(w.gte, w.lt), exists("errorCode")] } },
    aggs: {
      principals: {
        ...terms("userIdentity.arn", TOP, { missing: NO_ARN }),
        ...(codes.length ? { aggs: { codes: terms("errorCode", codes.length, { include: [...codes] }) } } : {}),
      },
    },
  };
}

/** The regions of the 30 days before the window, to tell which of the window's are new. */
export function earlierRegionsBody(w: ReportWindow): Record<string, unknown> {
  return {
    size: 0,
    track_total_hits: true,
    query: range(w.earlier.gte, w.earlier.lt),
    aggs: { regions: terms("awsRegion", 100) },
  };
}

/** A calendar day as YYYY-MM-DD (Date.parse alone takes 2024-02-31 for March 2). */
function isDay(d: string): boolean {
  return /^\d{4}-\d{2}-\d{2}$/.test(d) && !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d);
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}
