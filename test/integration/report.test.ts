/**
 * The report, end to end: a generated day (two accounts, three regions, console logins with and without MFA, the
 * root user, errors) and an earlier day with two of the regions, indexed with bulk.ts into the real engine, plus
 * records whose values attack the page (script and markup in eventName, eventSource, userIdentity.arn,
 * errorCode and awsRegion, a bidi override). report.ts writes the page under Node and Deno; Debian's chromium,
 * headless with a fresh profile, renders it:
 *
 * - no console error, no dialog, no request but the file itself, no script or image element;
 * - every chart's numbers equal what the engine answers to this test's own queries (`_count` per bar and
 *   segment, `terms` for the top lists), and every bar's drawn size is proportional to its number;
 * - hostile values are shown as text; integrity counts appear once documents carry `trailpost.integrity`.
 *
 * Screenshots go to work/test-report/.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";
import { generateDayJson } from "../../fixtures/generate.ts";
import { localStack, repoRoot, uniqueName, type TestStack } from "../support/stack.ts";
import { countDocuments, runScript } from "../support/run.ts";

const DAY = "2024-03-04";
const EARLIER = "2024-02-20";
const INTEGRITY_DAY = "2024-03-06";
const CHROMIUM = "/usr/bin/chromium";
const SHOTS = join(repoRoot, "work", "test-report");

const ATTACK = {
  arn: `arn:aws:iam::111122223333:user/"><img src=x onerror=alert(1)>`,
  bidiArn: "arn:aws:iam::111122223333:user/evil\u202Egnp.exe",
  eventName: "<script>alert(document.domain)</script>",
  eventSource: "</svg><svg onload=alert(1)>.amazonaws.com",
  errorCode: "' onmouseover='alert(1)",
  region: "xx-evil-1<b>",
};

let stack: TestStack;
let prefix: string;
const work = mkdtempSync(join(tmpdir(), "trailpost-report-"));

before(async () => {
  stack = await localStack();
  prefix = uniqueName("report");
  const lines: string[] = [];
  for (const [date, records, regions] of [[DAY, 3000, ["us-east-1", "eu-west-1", "ap-southeast-2"]], [EARLIER, 300, ["us-east-1", "eu-west-1"]]] as const) {
    for (const file of generateDayJson({ date, records, accounts: ["111122223333", "444455556666"], regions, filesPerHour: 2 })) {
      for (const record of (JSON.parse(file.json) as { Records: unknown[] }).Records) lines.push(JSON.stringify(record));
    }
  }
  lines.push(...attackRecords());
  writeFileSync(join(work, "records.ndjson"), `${lines.join("\n")}\n`);
  const bulk = await runScript("bulk.ts", [join(work, "records.ndjson"), "--dead-letter", join(work, "dl.ndjson")], { ES_URL: stack.search, INDEX_PREFIX: prefix });
  assert.equal(bulk.code, 0, bulk.stderr);
  mkdirSync(SHOTS, { recursive: true });
});

after(() => rmSync(work, { recursive: true, force: true }));

test("the day's page, in headless chromium: no error, no request, every number equal to the engine's", async () => {
  const page = join(work, "report.html");
  const node = await runScript("report.ts", ["--date", DAY, "--out", page], { ES_URL: stack.search, INDEX_PREFIX: prefix });
  assert.equal(node.code, 0, node.stderr);
  const total = await countDocuments(stack.search, `${prefix}-2024.03.04`);
  assert.match(node.stderr, new RegExp(`report: ${total.toLocaleString("en-US")} events in ${prefix}-2024\\.03\\.04 → ${page.replaceAll(".", "\\.")}`));

  const seen = await inChromium(page, join(SHOTS, `report-${DAY}.png`));
  assert.deepEqual(seen.problems, [], "console errors, page errors, dialogs or requests");
  assert.equal(seen.elements, 0, "no script, image, iframe, link or object element");

  const q = engine(stack.search, `${prefix}-2024.03.04`);
  const stat = (id: string) => seen.stats.find((s) => s.stat === id)?.count;
  assert.equal(stat("total"), total);
  assert.equal(stat("root"), await q.count([term("userIdentity.type", "Root")]));
  assert.equal(stat("errors"), await q.count([exists("errorCode")]));
  assert.equal(stat("console-logins"), await q.count([term("eventName", "ConsoleLogin")]));
  assert.equal(stat("success-without-mfa"), await q.count([term("eventName", "ConsoleLogin"), term("responseElements.ConsoleLogin", "Success"), term("additionalEventData.MFAUsed", "No")]));
  assert.ok(stat("success-without-mfa")! > 0 && stat("root")! > 0, "the generated day has both");

  // events per hour by eventSource: each column's total and each segment, by _count
  const series = (await q.terms("eventSource", 8)).map((b) => b.key);
  assert.deepEqual(seen.legend("timeline"), [...series, "other"], "the legend: the top 8 eventSources, then other");
  const columns = seen.rows("timeline");
  assert.equal(columns.length, 24);
  for (const [h, column] of columns.entries()) {
    const gte = `${DAY}T${String(h).padStart(2, "0")}:00:00Z`;
    const hour = [{ range: { eventTime: { gte, lt: new Date(Date.parse(gte) + 3_600_000).toISOString() } } }];
    assert.equal(column.key, new Date(gte).toISOString());
    assert.equal(column.total, await q.count(hour), `events at ${gte}`);
    const parts = seen.marks.filter((m) => m.chart === "timeline" && m.key === column.key);
    assert.equal(parts.reduce((s, p) => s + p.count, 0), column.total, "segments add up to the column");
    let named = 0;
    for (const s of series) {
      const n = await q.count([...hour, term("eventSource", s)]);
      named += n;
      assert.equal(parts.find((p) => p.series === s)?.count ?? 0, n, `${s} at ${gte}`);
    }
    assert.equal(parts.find((p) => p.series === "other")?.count ?? 0, column.total - named);
  }

  // top lists: the same keys in the same order as this test's terms, each count a _count
  for (const [chart, field] of [["top-principals", "userIdentity.arn"], ["top-event-names", "eventName"], ["top-source-ips", "sourceIPAddress.ip"]] as const) {
    const expected = await q.terms(field, 10);
    assert.deepEqual(seen.list(chart), expected.map((b) => [b.key, b.count]), chart);
    for (const b of expected.slice(0, 3)) assert.equal(b.count, await q.count([term(field, b.key)]), `${chart} ${b.key}`);
  }
  assert.ok(seen.list("top-principals").some(([k]) => k === ATTACK.arn), "the hostile ARN is a top principal, shown as data");

  // errors by principal: rows and segments
  for (const row of seen.rows("errors-by-principal")) {
    const who = row.key === "(no userIdentity.arn)" ? { bool: { must_not: [exists("userIdentity.arn")] } } : term("userIdentity.arn", row.key);
    assert.equal(row.total, await q.count([exists("errorCode"), who]), `errors of ${row.key}`);
    for (const m of seen.marks.filter((m) => m.chart === "errors-by-principal" && m.key === row.key && m.series !== "other")) {
      assert.equal(m.count, await q.count([term("errorCode", m.series!), who]), `${m.series} of ${row.key}`);
    }
  }
  assert.ok(seen.rows("errors-by-principal").some((r) => r.key === ATTACK.arn));

  // console logins per principal
  assert.ok(seen.logins.length > 0);
  for (const l of seen.logins) {
    const base = [term("eventName", "ConsoleLogin"), l.key === "(no userIdentity.arn)" ? { bool: { must_not: [exists("userIdentity.arn")] } } : term("userIdentity.arn", l.key)];
    assert.deepEqual([l.count, l.success, l.failure, l.mfaUsed, l.noMfa], [
      await q.count(base),
      await q.count([...base, term("responseElements.ConsoleLogin", "Success")]),
      await q.count([...base, term("responseElements.ConsoleLogin", "Failure")]),
      await q.count([...base, term("additionalEventData.MFAUsed", "Yes")]),
      await q.count([...base, term("additionalEventData.MFAUsed", "No")]),
    ], l.key);
  }

  // root user, regions, new regions against the earlier day
  assert.deepEqual(seen.list("root-event-names"), (await q.terms("eventName", 10, [term("userIdentity.type", "Root")])).map((b) => [b.key, b.count]));
  const regions = await q.terms("awsRegion", 100);
  assert.deepEqual(seen.list("regions"), regions.map((b) => [b.key, b.count]));
  const earlier = engine(stack.search, `${prefix}-2024.02.20`);
  const isNew = [];
  for (const r of regions) if ((await earlier.count([term("awsRegion", r.key)])) === 0) isNew.push(r.key);
  assert.deepEqual(isNew.sort(), ["ap-southeast-2", ATTACK.region].sort());
  assert.deepEqual(seen.newRegions.sort(), isNew.sort());
  assert.equal(stat("new-regions"), 2);

  // what is drawn is what is said: sizes proportional to numbers, per chart
  for (const chart of new Set(seen.marks.map((m) => m.chart))) {
    const marks = seen.marks.filter((m) => m.chart === chart);
    const size = (m: (typeof marks)[number]) => (chart === "timeline" ? m.height : m.width);
    const unit = Math.max(...marks.map(size)) / Math.max(...marks.map((m) => m.count));
    for (const m of marks) assert.ok(Math.abs(size(m) - unit * m.count) < 0.6, `${chart} ${m.key}/${m.series}: ${size(m)} for ${m.count}`);
  }

  // hostile values are text on the page, never markup
  for (const value of [ATTACK.eventName, ATTACK.arn, ATTACK.region]) assert.ok(seen.text.includes(value), `shown as text: ${value}`);
  assert.ok(seen.text.includes("evil\\u{202e}gnp.exe"), "a bidi override is shown, not obeyed");

  // Deno writes the same page (but for the time it was read)
  const denoPage = join(work, "report-deno.html");
  const deno = await runScript("report.ts", ["--date", DAY, "--out", denoPage], { ES_URL: stack.search, INDEX_PREFIX: prefix }, { runtime: "deno" });
  assert.equal(deno.code, 0, deno.stderr);
  const strip = (html: string) => html.replace(/read \d{4}-\d\d-\d\dT[\d:.]+Z/, "read …");
  assert.equal(strip(readFileSync(denoPage, "utf8")), strip(readFileSync(page, "utf8")));
});

test("integrity: counts of trailpost.integrity when documents carry it, an alert for invalid logs", async () => {
  const index = `${prefix}-2024.03.06`;
  const day = generateDayJson({ date: INTEGRITY_DAY, records: 30, filesPerHour: 1 });
  const records = [...day].flatMap((f) => (JSON.parse(f.json) as { Records: unknown[] }).Records.map((r) => JSON.stringify(r)));
  writeFileSync(join(work, "integrity.ndjson"), `${records.join("\n")}\n`);
  const bulk = await runScript("bulk.ts", [join(work, "integrity.ndjson"), "--dead-letter", join(work, "dl2.ndjson")], { ES_URL: stack.search, INDEX_PREFIX: prefix });
  assert.equal(bulk.code, 0, bulk.stderr);
  const before = join(work, "before.html");
  assert.equal((await runScript("report.ts", ["--date", INTEGRITY_DAY, "--out", before], { ES_URL: stack.search, INDEX_PREFIX: prefix })).code, 0);
  assert.match(readFileSync(before, "utf8"), /data-integrity="not-recorded"/);

  // documents as a validating ingest writes them (the field is another part's; here it is mapped by hand)
  await request(stack.search, "PUT", `/${index}/_mapping`, { properties: { trailpost: { properties: { integrity: { type: "keyword" } } } } });
  const ndjson = [["valid", 20], ["invalid", 5], ["pending", 3]].flatMap(([state, n]) =>
    Array.from({ length: n as number }, (_, i) => `{"create":{"_index":"${index}","_id":"integrity-${state}-${i}"}}\n${JSON.stringify({ eventTime: `${INTEGRITY_DAY}T10:00:00Z`, "@timestamp": `${INTEGRITY_DAY}T10:00:00Z`, eventName: "GetObject", eventSource: "s3.amazonaws.com", trailpost: { integrity: state } })}\n`)
  ).join("");
  await request(stack.search, "POST", "/_bulk?refresh=true", ndjson, "application/x-ndjson");

  const page = join(work, "integrity.html");
  assert.equal((await runScript("report.ts", ["--date", INTEGRITY_DAY, "--out", page], { ES_URL: stack.search, INDEX_PREFIX: prefix })).code, 0);
  const seen = await inChromium(page, join(SHOTS, `report-${INTEGRITY_DAY}.png`));
  assert.deepEqual(seen.problems, []);
  const q = engine(stack.search, index);
  const expected = await q.terms("trailpost.integrity", 10);
  assert.deepEqual(expected.map((b) => [b.key, b.count]), [["valid", 20], ["invalid", 5], ["pending", 3]]);
  assert.deepEqual(seen.list("integrity"), [...expected.map((b) => [b.key, b.count]), ["not recorded", await q.count([{ bool: { must_not: [exists("trailpost.integrity")] } }])]]);
  assert.equal(seen.stats.find((s) => s.stat === "integrity-invalid")?.count, 5);
  assert.ok(seen.alerts.includes("integrity-invalid"));
});

test("a day that was never ingested: exit 1 naming the index, no page; a bad date: exit 2", async () => {
  const page = join(work, "none.html");
  const none = await runScript("report.ts", ["--date", "2001-01-01", "--out", page], { ES_URL: stack.search, INDEX_PREFIX: prefix });
  assert.equal(none.code, 1);
  assert.match(none.stderr, new RegExp(`report: no index ${prefix}-2001\\.01\\.01 on ${stack.search.replaceAll(".", "\\.")}: ingest the day first`));
  assert.equal(existsSync(page), false);
  const bad = await runScript("report.ts", ["--date", "2024-02-30"], { ES_URL: stack.search });
  assert.equal(bad.code, 2, bad.stderr);
  const noneJson = await runScript("report.ts", ["--date", "2001-01-01", "--out", page, "--json"], { ES_URL: stack.search, INDEX_PREFIX: prefix });
  assert.equal(noneJson.code, 1);
  assert.deepEqual(JSON.parse(noneJson.stdout), { ...JSON.parse(noneJson.stdout), script: "report", exitCode: 1, ok: false, path: null });
  assert.match(JSON.parse(noneJson.stdout).error, /no index/);
});

test("--json; and credentials in ES_URL or an API key never reach the page or the output", async () => {
  const page = join(work, "secret.html");
  const password = "pa55-Report-Secret-9f3k";
  const apiKey = "apikey-Report-Secret-77Q";
  const url = new URL(stack.search);
  url.username = "reader";
  url.password = password;
  const json = await runScript("report.ts", ["--date", DAY, "--out", page, "--json"], { ES_URL: url.href, INDEX_PREFIX: prefix });
  assert.equal(json.code, 0, json.stderr);
  const summary = JSON.parse(json.stdout);
  assert.deepEqual([summary.script, summary.exitCode, summary.path, summary.events], ["report", 0, page, await countDocuments(stack.search, `${prefix}-2024.03.04`)]);
  const withKey = await runScript("report.ts", ["--date", DAY, "--out", page], { ES_URL: stack.search, ES_API_KEY: apiKey, INDEX_PREFIX: prefix });
  assert.equal(withKey.code, 0, withKey.stderr);
  for (const text of [json.stdout, json.stderr, withKey.stdout, withKey.stderr, readFileSync(page, "utf8")]) {
    assert.ok(!text.includes(password) && !text.includes(apiKey) && !text.includes("reader:"), "a secret in the output or the page");
  }
});

function attackRecords(): string[] {
  const out: string[] = [];
  for (let i = 0; i < 400; i++) {
    const hour = String(i % 24).padStart(2, "0");
    const record = {
      eventVersion: "1.08",
      userIdentity: { type: "IAMUser", principalId: "AIDAEXAMPLE", arn: i % 7 === 0 ? ATTACK.bidiArn : ATTACK.arn, accountId: "111122223333", userName: "x" },
      eventTime: `${DAY}T${hour}:30:${String(i % 60).padStart(2, "0")}Z`,
      eventSource: ATTACK.eventSource,
      eventName: ATTACK.eventName,
      awsRegion: i % 10 === 0 ? ATTACK.region : "us-east-1",
      sourceIPAddress: "203.0.113.66",
      userAgent: "attacker",
      ...(i % 5 === 0 ? { errorCode: ATTACK.errorCode, errorMessage: "<b>denied</b>" } : {}),
      requestParameters: null,
      responseElements: null,
      requestID: `attack-${i}`,
      eventID: `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      readOnly: true,
      eventType: "AwsApiCall",
      managementEvent: true,
      recipientAccountId: "111122223333",
    };
    out.push(JSON.stringify(record));
  }
  return out;
}

interface PageRead {
  marks: Mark[];
  rows: { chart: string; key: string; total: number }[];
  legends: { id: string; items: string[] }[];
  stats: { stat: string; count: number; alert: boolean }[];
  logins: { key: string; count: number; success: number; failure: number; mfaUsed: number; noMfa: number }[];
  badges: string[];
  elements: number;
  text: string;
}

/** Runs in the page (as text: the test's own transpiler must not touch it). */
const READ_PAGE = `(() => {
  const svgOf = (e) => e.closest("svg")?.id ?? "";
  return {
    marks: [...document.querySelectorAll("rect[data-chart]")].map((e) => {
      const box = typeof e.getBBox === "function" ? e.getBBox() : { width: NaN, height: NaN };
      return { chart: e.dataset.chart, key: e.dataset.key, series: e.dataset.series ?? null, count: Number(e.dataset.count), width: box.width, height: box.height };
    }),
    rows: [...document.querySelectorAll("g.row[data-total]")].map((g) => ({ chart: svgOf(g), key: g.dataset.key, total: Number(g.dataset.total) })),
    legends: [...document.querySelectorAll("section")].map((s) => ({ id: s.id, items: [...s.querySelectorAll(".legend li")].map((li) => li.textContent ?? "") })),
    stats: [...document.querySelectorAll("[data-stat]")].map((e) => ({ stat: e.dataset.stat, count: Number(e.dataset.count), alert: e.classList.contains("alert") })),
    logins: [...document.querySelectorAll("table.logins tr[data-key]")].map((e) => ({ key: e.dataset.key, count: Number(e.dataset.count), success: Number(e.dataset.success), failure: Number(e.dataset.failure), mfaUsed: Number(e.dataset.mfaUsed), noMfa: Number(e.dataset.noMfa) })),
    badges: [...document.querySelectorAll("#regions g.row")].filter((g) => g.querySelector(".badge")).map((g) => g.dataset.key),
    elements: document.querySelectorAll("script, img, iframe, link, object, embed").length,
    text: document.body.innerText,
  };
})()`;

interface Mark {
  chart: string;
  key: string;
  series: string | null;
  count: number;
  width: number;
  height: number;
}

/** Opens the page in Debian's chromium (headless, fresh profile), reads what it shows, saves a screenshot. */
async function inChromium(file: string, screenshot: string) {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  const profile = mkdtempSync(join(tmpdir(), "trailpost-chromium-"));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1100, height: 900 },
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    const problems: string[] = [];
    const page = await context.newPage();
    page.on("console", (m) => {
      if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
    });
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("dialog", (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    const url = `file://${file}`;
    page.on("request", (r) => {
      if (r.url() !== url) problems.push(`request: ${r.url()}`);
    });
    await page.goto(url, { waitUntil: "load" });
    await page.screenshot({ path: screenshot, fullPage: true });
    const read = (await page.evaluate(READ_PAGE)) as PageRead;
    return {
      problems,
      marks: read.marks,
      stats: read.stats,
      alerts: read.stats.filter((s) => s.alert).map((s) => s.stat),
      logins: read.logins,
      newRegions: read.badges,
      elements: read.elements,
      text: read.text,
      rows: (chart: string) => read.rows.filter((r) => r.chart === chart),
      list: (chart: string) => read.rows.filter((r) => r.chart === chart).map((r) => [r.key, r.total] as [string, number]),
      legend: (section: string) => read.legends.find((l) => l.id === section)?.items ?? [],
    };
  } finally {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** This test's own questions to the engine: `_count` with filters, and `terms`. */
function engine(search: string, index: string) {
  return {
    count: async (filter: unknown[]): Promise<number> => ((await request(search, "POST", `/${index}/_count`, { query: { bool: { filter } } })) as { count: number }).count,
    terms: async (field: string, size: number, filter: unknown[] = []): Promise<{ key: string; count: number }[]> => {
      const answer = (await request(search, "POST", `/${index}/_search`, { size: 0, query: { bool: { filter } }, aggs: { t: { terms: { field, size } } } })) as { aggregations: { t: { buckets: { key: string; doc_count: number }[] } } };
      return answer.aggregations.t.buckets.map((b) => ({ key: String(b.key), count: b.doc_count }));
    },
  };
}

const term = (field: string, value: string) => ({ term: { [field]: value } });
const exists = (field: string) => ({ exists: { field } });

async function request(search: string, method: string, path: string, body: unknown, contentType = "application/json"): Promise<unknown> {
  const response = await fetch(`${search}${path}`, { method, headers: { "content-type": contentType }, body: typeof body === "string" ? body : JSON.stringify(body) });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${path}: HTTP ${response.status} ${text.slice(0, 300)}`);
  return JSON.parse(text);
}
