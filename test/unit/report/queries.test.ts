/**
 * The report's request bodies: only aggregations Elasticsearch and OpenSearch both have, never a document
 * fetched, the right window and buckets, and values from the logs passed as exact terms (never as patterns).
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { AGGREGATIONS, dayIndices, earlierRegionsBody, errorsByPrincipalBody, overviewBody, reportWindow, timelineBody } from "../../../lib/report/queries.ts";

/** Every aggregation type in a body, with its path. */
function aggregationTypes(aggs: Record<string, unknown>, path = ""): { path: string; type: string }[] {
  const out: { path: string; type: string }[] = [];
  for (const [name, spec] of Object.entries(aggs)) {
    const { aggs: sub, ...rest } = spec as Record<string, unknown>;
    const types = Object.keys(rest);
    assert.equal(types.length, 1, `${path}${name} has exactly one aggregation type: ${types}`);
    out.push({ path: `${path}${name}`, type: types[0]! });
    if (sub) out.push(...aggregationTypes(sub as Record<string, unknown>, `${path}${name}.`));
  }
  return out;
}

const hostile = ["a*b", "x.+", "<script>", "(?i)", "", "\\", "ec2.amazonaws.com"];

describe("report queries", () => {
  const w = reportWindow(["2024-03-04"]);
  const bodies = {
    overview: overviewBody(w),
    timeline: timelineBody(w, hostile),
    errors: errorsByPrincipalBody(w, hostile),
    earlier: earlierRegionsBody(w),
  };

  for (const [name, body] of Object.entries(bodies)) {
    test(`${name}: size 0, and only ${AGGREGATIONS.join(", ")}`, () => {
      assert.equal(body.size, 0, "no document is fetched");
      const types = aggregationTypes(body.aggs as Record<string, unknown>);
      assert.ok(types.length > 0);
      for (const t of types) assert.ok((AGGREGATIONS as readonly string[]).includes(t.type), `${t.path} uses ${t.type}`);
    });
  }

  test("one day: hourly buckets from 00:00 to 23:00, the 30 days before for new regions", () => {
    assert.deepEqual(w, {
      days: ["2024-03-04"],
      gte: "2024-03-04T00:00:00.000Z",
      lt: "2024-03-05T00:00:00.000Z",
      interval: "hour",
      earlier: { gte: "2024-02-03T00:00:00.000Z", lt: "2024-03-04T00:00:00.000Z" },
    });
    const histogram = (bodies.timeline.aggs as { timeline: { date_histogram: Record<string, unknown> } }).timeline.date_histogram;
    assert.equal(histogram.fixed_interval, "1h");
    assert.equal(histogram.min_doc_count, 0);
    assert.deepEqual(histogram.extended_bounds, { min: Date.parse("2024-03-04T00:00:00Z"), max: Date.parse("2024-03-04T23:00:00Z") });
  });

  test("a range: days in order; over 3 days, daily buckets (calendar_interval)", () => {
    const three = reportWindow(["2024-03-03", "2024-03-01", "2024-03-02"]);
    assert.deepEqual(three.days, ["2024-03-01", "2024-03-02", "2024-03-03"]);
    assert.equal(three.interval, "hour");
    const week = reportWindow(["2024-02-28", "2024-02-29", "2024-03-01", "2024-03-02"]);
    assert.equal(week.interval, "day");
    assert.equal(week.lt, "2024-03-03T00:00:00.000Z");
    const histogram = (timelineBody(week, []).aggs as { timeline: { date_histogram: Record<string, unknown>; aggs?: unknown } }).timeline;
    assert.equal(histogram.date_histogram.calendar_interval, "1d");
    assert.equal(histogram.aggs, undefined, "no split without sources");
  });

  test("series are exact terms: include lists the values as given, never as a pattern", () => {
    const sub = (bodies.timeline.aggs as { timeline: { aggs: { sources: { terms: { include: unknown; size: number } } } } }).timeline.aggs.sources.terms;
    assert.deepEqual(sub.include, hostile);
    assert.equal(sub.size, hostile.length);
  });

  test("bad days are refused", () => {
    assert.throws(() => reportWindow([]), /at least one day/);
    assert.throws(() => reportWindow(["2024-3-4"]), /not a day/);
    assert.throws(() => reportWindow(["yesterday"]), /not a day/);
    assert.throws(() => reportWindow(["2024-02-30"]), /not a day/);
    assert.doesNotThrow(() => reportWindow(["2024-02-29"]));
  });

  test("daily index names", () => {
    assert.equal(dayIndices("cloudtrail", ["2024-03-04", "2024-03-05"]), "cloudtrail-2024.03.04,cloudtrail-2024.03.05");
  });
});
