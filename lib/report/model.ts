/**
 * What a report says, as plain data: read from the engine's aggregations by read.ts, drawn by page.ts. Every
 * number here is a `doc_count` (or a `cardinality`) the engine returned, or a difference of two of them (`other`,
 * the events of a bucket outside its top series).
 *
 * ```ts
 * const report: Report = await readReport(client, { indexPrefix: "cloudtrail", days: ["2024-03-04"] });
 * report.timeline.rows[9]; // { key: "2024-03-04T09:00:00.000Z", total: 412, parts: [{ key: "ec2.amazonaws.com", count: 170 }, …] }
 * ```
 */

export interface Count {
  key: string;
  count: number;
}

/** One bar of a stacked chart: its total, and a part per series (in the chart's series order, `other` last). */
export interface StackedRow {
  key: string;
  total: number;
  parts: Count[];
}

export interface Stacked {
  /** Series names in drawing order; the last one is `OTHER` when some events fall outside the top series. */
  series: string[];
  rows: StackedRow[];
}

export const OTHER = "other";

export interface LoginPrincipal extends Count {
  success: number;
  failure: number;
  mfaUsed: number;
  noMfa: number;
  sourceIps: Count[];
}

export interface NewRegion extends Count {
  eventNames: Count[];
  principals: Count[];
}

export interface Report {
  days: string[];
  window: { gte: string; lt: string; interval: "hour" | "day" };
  indices: string;
  indexPrefix: string;
  /** The engine, as `describe()` gives it: never a credential. */
  target: string;
  engine: { distribution: string; version: string };
  generatedAt: string;
  total: number;
  distinct: { principals: number; sourceIps: number; accounts: number; eventNames: number };
  timeline: Stacked;
  topPrincipals: { rows: Count[]; withoutArn: number };
  topEventNames: Count[];
  topSourceIps: { rows: Count[]; notIp: number };
  errors: { total: number; codes: Count[]; byPrincipal: Stacked };
  consoleLogins: {
    total: number;
    success: number;
    failure: number;
    mfaUsed: number;
    noMfa: number;
    /** Logins whose record says neither Yes nor No (or engines without flat fields). */
    mfaUnknown: number;
    successWithoutMfa: number;
    byPrincipal: LoginPrincipal[];
  };
  root: { total: number; errors: number; eventNames: Count[]; sourceIps: Count[] };
  regions: {
    all: Count[];
    /** Events in the 30 days before, and their regions: "new" means absent there. */
    earlier: { gte: string; lt: string; total: number; regions: string[] };
    new: NewRegion[];
  };
  /** `trailpost.integrity` of the documents, when a validating run recorded it. */
  integrity: { recorded: boolean; counts: Count[]; missing: number };
  /** Set when a top list over several shards may be off (terms' doc_count_error_upper_bound > 0). */
  approximate: boolean;
}
