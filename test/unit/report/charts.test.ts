/**
 * SVG charts: marks proportional to their numbers, stacks that add up, numbers readable back from data
 * attributes exactly as given, labels that cannot hide or reorder text, scales that always hold the data.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Rng } from "../../../fixtures/common.ts";
import { bars, cut, esc, niceScale, stackedBars, stackedColumns, visible } from "../../../lib/report/charts.ts";
import type { Stacked } from "../../../lib/report/model.ts";

/** The attributes of every `<rect>` with a data-count, decoded. */
function marks(svg: string): Record<string, string>[] {
  return [...svg.matchAll(/<rect ([^>]*)>/g)].map((m) => Object.fromEntries([...m[1]!.matchAll(/([\w-]+)="([^"]*)"/g)].map((a) => [a[1]!, unescape(a[2]!)])));
}

function unescape(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
}

describe("charts", () => {
  test("bars: lengths proportional to the counts; keys and counts read back exactly", () => {
    const rows = [{ key: "arn:aws:iam::123456789012:root", count: 331 }, { key: `"><script>alert(1)</script>`, count: 160 }, { key: "a&b'c", count: 1 }];
    const svg = bars("top", rows, { title: "t" });
    const m = marks(svg);
    assert.deepEqual(m.map((x) => [x["data-key"], Number(x["data-count"])]), rows.map((r) => [r.key, r.count]));
    const unit = Number(m[0]!.width) / 331;
    for (const x of m) assert.ok(Math.abs(Number(x.width) - unit * Number(x["data-count"])) < 0.02, `${x.width} for ${x["data-count"]}`);
    assert.doesNotMatch(svg, /<script/);
  });

  test("stacked columns: segments add up to each column's total, heights on one scale", () => {
    const chart: Stacked = {
      series: ["ec2", "sts", "other"],
      rows: [
        { key: "2024-03-04T00:00:00.000Z", total: 65, parts: [{ key: "ec2", count: 19 }, { key: "sts", count: 14 }, { key: "other", count: 32 }] },
        { key: "2024-03-04T01:00:00.000Z", total: 0, parts: [{ key: "ec2", count: 0 }, { key: "sts", count: 0 }, { key: "other", count: 0 }] },
        { key: "2024-03-04T02:00:00.000Z", total: 221, parts: [{ key: "ec2", count: 200 }, { key: "sts", count: 0 }, { key: "other", count: 21 }] },
      ],
    };
    const svg = stackedColumns("timeline", chart, { title: "t", label: (k) => k.slice(11, 13), height: 300 });
    const m = marks(svg);
    assert.equal(m.length, 5, "zero parts are not drawn");
    const unit = Number(m[0]!.height) / 19;
    for (const x of m) assert.ok(Math.abs(Number(x.height) - unit * Number(x["data-count"])) < 0.02);
    for (const row of chart.rows) {
      const parts = m.filter((x) => x["data-key"] === row.key);
      assert.equal(parts.reduce((s, x) => s + Number(x["data-count"]), 0), row.total);
      // stacked: each segment starts where the one below ends
      for (let i = 1; i < parts.length; i++) assert.ok(Math.abs(Number(parts[i]!.y) + Number(parts[i]!.height) - Number(parts[i - 1]!.y)) < 0.02);
    }
    assert.match(svg, /data-key="2024-03-04T01:00:00.000Z" data-total="0"/, "an empty hour is still a column");
    const top = Number(svg.match(/class="tick">([\d,]+)<\/text><\/?[a-z]/g)!.map((t) => t.match(/>([\d,]+)</)![1]!.replaceAll(",", "")).sort((a, b) => Number(b) - Number(a))[0]);
    assert.ok(top >= 221, `the axis (${top}) holds the largest column`);
  });

  test("stacked bars: one row per principal, segments per code, widths on one scale", () => {
    const chart: Stacked = { series: ["AccessDenied", "other"], rows: [{ key: "alice", total: 9, parts: [{ key: "AccessDenied", count: 4 }, { key: "other", count: 5 }] }, { key: "bob", total: 3, parts: [{ key: "AccessDenied", count: 3 }] }] };
    const m = marks(stackedBars("errors", chart, { title: "t" }));
    const unit = Number(m[0]!.width) / 4;
    for (const x of m) assert.ok(Math.abs(Number(x.width) - unit * Number(x["data-count"])) < 0.02);
    assert.deepEqual(m.map((x) => `${x["data-key"]}/${x["data-series"]}=${x["data-count"]}`), ["alice/AccessDenied=4", "alice/other=5", "bob/AccessDenied=3"]);
  });

  test("empty charts say none", () => {
    assert.match(bars("x", [], { title: "t" }), />none</);
    assert.match(stackedBars("x", { series: [], rows: [] }, { title: "t" }), />none</);
  });

  test("esc: the five HTML characters, nothing else", () => {
    assert.equal(esc(`<a href="x" title='y'>&amp;</a>`), "&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;amp;&#60;/a&#62;");
    assert.equal(esc("é ✓ 😀"), "é ✓ 😀");
  });

  test("labels: control and bidi characters shown, long ones cut in the middle keeping both ends", () => {
    assert.equal(visible("evil\u202Etxt.exe\u0000\n"), "evil\\u{202e}txt.exe\\u{0}\\u{a}");
    const arn = "arn:aws:sts::111122223333:assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/alice@example.com";
    const short = cut(arn, 40);
    assert.equal([...short].length, 40);
    assert.ok(short.startsWith("arn:aws:sts::111") && short.endsWith("alice@example.com"), short);
    assert.equal(cut("😀".repeat(50), 10), `${"😀".repeat(4)}…${"😀".repeat(5)}`, "code points, never half a surrogate pair");
    assert.equal(cut("short", 10), "short");
  });

  test("generative: the scale holds the data in whole steps of 1, 2 or 5 × 10^k (seeded)", () => {
    const rng = new Rng("nice-scale");
    for (let i = 0; i < 5000; i++) {
      const max = rng.pick([0, 1, 2, 3, 7, 10, 99, 100, 101, 12345, 1e6, 2 ** 40]) + rng.int(1000);
      const { top, step } = niceScale(max);
      if (max === 0) {
        assert.deepEqual({ top, step }, { top: 0, step: 0 });
        continue;
      }
      assert.ok(top >= max, `${top} < ${max}`);
      assert.ok(Number.isInteger(step) && step >= 1, `step ${step}`);
      assert.ok(Number.isInteger(top / step) && top / step <= 10, `${top}/${step}`);
      const mantissa = step / 10 ** Math.floor(Math.log10(step));
      assert.ok([1, 2, 5].some((f) => Math.abs(mantissa - f) < 1e-9), `step ${step}`);
    }
  });
});
