/**
 * The report page, from a Report full of hostile values (every key a log can carry): only known tags and
 * attributes, no script, no URL to fetch, a CSP that forbids both, every value escaped and readable back from
 * its data attribute, and the sections a security team looks for. The real browser test is
 * test/integration/report.test.ts.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { OTHER, type Report } from "../../../lib/report/model.ts";
import { renderReport } from "../../../lib/report/page.ts";

const HOSTILE = [
  `"><script>alert(1)</script>`,
  `<img src=x onerror=alert(1)>`,
  `</svg><svg onload=alert(1)>`,
  `' onmouseover='alert(1)`,
  "&amp; &#60; &lt;",
  "evil\u202Etxt.exe",
  "nul\u0000byte",
  "javascript:alert(1)",
  "https://attacker.example/x.png",
  "a".repeat(2000),
];

function report(over: Partial<Report> = {}): Report {
  const counts = HOSTILE.map((key, i) => ({ key, count: 100 - i }));
  return {
    days: ["2024-03-04"],
    window: { gte: "2024-03-04T00:00:00.000Z", lt: "2024-03-05T00:00:00.000Z", interval: "hour" },
    indices: "cloudtrail-2024.03.04",
    indexPrefix: "cloudtrail",
    target: "http://127.0.0.1:9200",
    engine: { distribution: "opensearch", version: "2.19.6" },
    generatedAt: "2024-03-05T08:00:00.000Z",
    total: 5000,
    distinct: { principals: 12, sourceIps: 34, accounts: 2, eventNames: 56 },
    timeline: {
      series: [...HOSTILE.slice(0, 3), OTHER],
      rows: Array.from({ length: 24 }, (_, h) => ({
        key: `2024-03-04T${String(h).padStart(2, "0")}:00:00.000Z`,
        total: 10 + h,
        parts: [{ key: HOSTILE[0]!, count: 5 }, { key: HOSTILE[1]!, count: 3 }, { key: HOSTILE[2]!, count: 2 }, { key: OTHER, count: h }],
      })),
    },
    topPrincipals: { rows: counts, withoutArn: 7 },
    topEventNames: counts,
    topSourceIps: { rows: counts, notIp: 3 },
    errors: { total: 9, codes: counts.slice(0, 2), byPrincipal: { series: [HOSTILE[4]!, OTHER], rows: [{ key: HOSTILE[5]!, total: 9, parts: [{ key: HOSTILE[4]!, count: 4 }, { key: OTHER, count: 5 }] }] } },
    consoleLogins: {
      total: 6, success: 4, failure: 2, mfaUsed: 1, noMfa: 5, mfaUnknown: 0, successWithoutMfa: 3,
      byPrincipal: [{ key: HOSTILE[3]!, count: 6, success: 4, failure: 2, mfaUsed: 1, noMfa: 5, sourceIps: counts.slice(0, 2) }],
    },
    root: { total: 2, errors: 1, eventNames: counts.slice(0, 2), sourceIps: counts.slice(2, 4) },
    regions: {
      all: [{ key: "us-east-1", count: 4000 }, { key: HOSTILE[6]!, count: 1000 }],
      earlier: { gte: "2024-02-03T00:00:00.000Z", lt: "2024-03-04T00:00:00.000Z", total: 123, regions: ["us-east-1"] },
      new: [{ key: HOSTILE[6]!, count: 1000, eventNames: counts.slice(0, 1), principals: counts.slice(7, 8) }],
    },
    integrity: { recorded: true, counts: [{ key: "valid", count: 4990 }, { key: "invalid", count: 10 }], missing: 0 },
    approximate: false,
    ...over,
  };
}

const TAGS = new Set(["!doctype", "html", "head", "meta", "title", "style", "body", "header", "h1", "h2", "p", "code", "section", "div", "b", "span", "svg", "g", "rect", "text", "tspan", "line", "ul", "li", "table", "thead", "tbody", "tr", "th", "td", "footer"]);
const ATTRIBUTES = new Set(["lang", "charset", "http-equiv", "content", "name", "id", "class", "style", "viewBox", "width", "height", "role", "aria-label", "xmlns", "x", "y", "x1", "x2", "y1", "y2", "fill", "text-anchor", "title", "html"]);

function unescape(s: string): string {
  return s.replace(/&#(\d+);/g, (_, n) => String.fromCharCode(Number(n)));
}

describe("renderReport", () => {
  const html = renderReport(report());

  test("only known tags and attributes: no script, no handler, nothing to fetch", () => {
    for (const m of html.matchAll(/<\/?([!a-zA-Z][\w-]*)([^>]*)>/g)) {
      assert.ok(TAGS.has(m[1]!.toLowerCase()), `tag <${m[1]}>`);
      for (const a of m[2]!.matchAll(/\s([\w:-]+)(?:="[^"]*")?/g)) {
        const name = a[1]!;
        assert.ok(ATTRIBUTES.has(name) || name.startsWith("data-"), `attribute ${name} on <${m[1]}>`);
      }
    }
    // the markup alone (attribute values and text emptied): escaped values may say anything
    const markup = html.replace(/="[^"]*"/g, '=""').replace(/>[^<]*</g, "><");
    assert.doesNotMatch(markup, /<script|<img|<link|<iframe|\son\w+=|\s(src|href)=/i);
    assert.doesNotMatch(html.slice(html.indexOf("<style>"), html.indexOf("</style>")), /url\(|@import/i, "the CSS loads nothing");
  });

  test("a Content-Security-Policy that allows no script and no request", () => {
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
    assert.ok(html.indexOf("Content-Security-Policy") < html.indexOf("<body>"), "in the head, before any content");
  });

  test("every value reads back exactly from its data attribute", () => {
    const keys = new Set([...html.matchAll(/data-key="([^"]*)"/g)].map((m) => unescape(m[1]!)));
    for (const h of HOSTILE) assert.ok(keys.has(h), `data-key for ${JSON.stringify(h.slice(0, 40))}`);
    const counts = [...html.matchAll(/data-chart="top-principals" data-key="[^"]*" data-count="(\d+)"/g)].map((m) => Number(m[1]));
    assert.deepEqual(counts, HOSTILE.map((_, i) => 100 - i));
  });

  test("the sections and alerts a security team looks for", () => {
    for (const id of ["timeline", "principals", "event-names", "source-ips", "errors", "logins", "root", "regions", "integrity"]) assert.match(html, new RegExp(`<section id="${id}">`));
    assert.match(html, /<div class="tile" data-stat="total" data-count="5000">/);
    for (const [stat, n] of [["success-without-mfa", 3], ["root", 2], ["new-regions", 1], ["integrity-invalid", 10]] as const) {
      assert.match(html, new RegExp(`<div class="tile alert" data-stat="${stat}" data-count="${n}">`), stat);
    }
    assert.match(html, /1 region was not seen in the 30 days before/);
    assert.match(html, /2 events by the root user, 1 of them with an errorCode/);
    assert.match(html, /NEW/);
  });

  test("quiet days: no alerts, and plain sentences instead of empty charts", () => {
    const calm = renderReport(report({
      consoleLogins: { total: 0, success: 0, failure: 0, mfaUsed: 0, noMfa: 0, mfaUnknown: 0, successWithoutMfa: 0, byPrincipal: [] },
      root: { total: 0, errors: 0, eventNames: [], sourceIps: [] },
      errors: { total: 0, codes: [], byPrincipal: { series: [], rows: [] } },
      regions: { all: [{ key: "us-east-1", count: 1 }], earlier: { gte: "2024-02-03T00:00:00.000Z", lt: "2024-03-04T00:00:00.000Z", total: 0, regions: [] }, new: [] },
      integrity: { recorded: false, counts: [], missing: 5000 },
    }));
    assert.doesNotMatch(calm, /tile alert/);
    assert.match(calm, /No ConsoleLogin events/);
    assert.match(calm, /No event by the root user/);
    assert.match(calm, /No event has an errorCode/);
    assert.match(calm, /No events indexed in the 30 days before \(2024-02-03 to 2024-03-03\): no region can be called new/);
    assert.match(calm, /data-integrity="not-recorded"/);
  });
});
