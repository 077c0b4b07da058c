/**
 * The report as one self-contained HTML page: inline CSS and SVG, no script, no font, image or request of any
 * kind (a Content-Security-Policy of `default-src 'none'` says so to the browser). What security teams look at
 * first: who did what when, errors by principal, console logins without MFA, the root account, regions never
 * seen before, and whether the logs were proven unmodified.
 *
 * ```ts
 * const html = renderReport(await readReport(client, { indexPrefix: "cloudtrail", days: ["2024-03-04"] }));
 * ```
 *
 * Every value from the logs is escaped; each number is also in a `data-` attribute for machines.
 */
import { bars, cut, esc, fmt, legend, stackedBars, stackedColumns, visible } from "./charts.ts";
import type { Count, Report } from "./model.ts";

export function renderReport(r: Report): string {
  const title = r.days.length === 1 ? r.days[0]! : `${r.days[0]} to ${r.days.at(-1)}`;
  const newRegions = new Set(r.regions.new.map((n) => n.key));
  const invalid = r.integrity.counts.find((c) => c.key === "invalid")?.count ?? 0;
  const body = [
    `<header><h1>CloudTrail, ${esc(title)}</h1>`,
    `<p class="meta">${fmt(r.total)} events in <code>${esc(r.indices)}</code> on <code>${esc(r.target)}</code> (${esc(r.engine.distribution)} ${esc(r.engine.version)}), read ${esc(r.generatedAt)}. Every number on this page is an aggregation the engine computed; no log file was read.${r.approximate ? " Some top lists span several shards and may be approximate." : ""}</p></header>`,
    `<section class="tiles">`,
    tile("total", "events", r.total),
    tile("principals", "principals (ARNs)", r.distinct.principals),
    tile("source-ips", "source addresses", r.distinct.sourceIps),
    tile("accounts", "accounts", r.distinct.accounts),
    tile("errors", "errors", r.errors.total),
    tile("console-logins", "console logins", r.consoleLogins.total),
    tile("success-without-mfa", "successful logins without MFA", r.consoleLogins.successWithoutMfa, r.consoleLogins.successWithoutMfa > 0),
    tile("root", "root-account events", r.root.total, r.root.total > 0),
    tile("new-regions", "new regions", r.regions.new.length, r.regions.new.length > 0),
    r.integrity.recorded ? tile("integrity-invalid", "events from logs that failed validation", invalid, invalid > 0) : "",
    `</section>`,

    section("timeline", `Events per ${r.window.interval}, by eventSource`, [
      stackedColumns("timeline", r.timeline, { title: `Events per ${r.window.interval} by eventSource`, label: timeLabel(r) }),
      legend(r.timeline.series),
    ]),

    section("principals", "Top principals", [
      bars("top-principals", r.topPrincipals.rows, { title: "Top principals (userIdentity.arn)", width: 960, labelChars: 96 }),
      note(`${fmt(r.topPrincipals.withoutArn)} events have no userIdentity.arn (AWS services, anonymous and some federated calls).`, "without-arn", r.topPrincipals.withoutArn),
    ]),
    `<div class="two">`,
    section("event-names", "Top eventNames", [bars("top-event-names", r.topEventNames, { title: "Top eventNames", width: 480, labelChars: 34, color: "#59a14f" })]),
    section("source-ips", "Top source IP addresses", [
      bars("top-source-ips", r.topSourceIps.rows, { title: "Top source IP addresses", width: 480, labelChars: 34, color: "#f28e2b" }),
      note(`${fmt(r.topSourceIps.notIp)} events came from an AWS service name (such as s3.amazonaws.com or AWS Internal) rather than an IP address.`, "not-ip", r.topSourceIps.notIp),
    ]),
    `</div>`,

    section("errors", "Errors by principal", [
      r.errors.total
        ? `<p>${fmt(r.errors.total)} events have an errorCode. The most frequent: ${list(r.errors.codes)}.</p>${stackedBars("errors-by-principal", r.errors.byPrincipal, { title: "Events with an errorCode, by principal and errorCode" })}${legend(r.errors.byPrincipal.series)}`
        : `<p class="ok">No event has an errorCode.</p>`,
    ]),

    section("logins", "Console logins", logins(r)),
    section("root", "Root-account activity", rootActivity(r)),

    section("regions", "Regions", [
      bars("regions", r.regions.all, { title: "Events per region (awsRegion)", width: 960, labelChars: 24, color: "#76b7b2", badge: (k) => (newRegions.has(k) ? "NEW" : undefined) }),
      regionsNote(r),
      newRegionsTable(r),
    ]),

    section("integrity", "Integrity", integrity(r)),
    `<footer>Made by trailpost's report.ts from ${esc(r.indices)}. Aggregations: terms, date_histogram, filters, cardinality.</footer>`,
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>CloudTrail report, ${esc(title)}</title>
<style>${CSS}</style></head>
<body>
${body.join("\n")}
</body></html>
`;
}

function logins(r: Report): string[] {
  const c = r.consoleLogins;
  if (!c.total) return [`<p class="ok">No ConsoleLogin events.</p>`];
  const rows = c.byPrincipal.map((p) =>
    `<tr data-key="${esc(p.key)}" data-count="${p.count}" data-success="${p.success}" data-failure="${p.failure}" data-mfa-used="${p.mfaUsed}" data-no-mfa="${p.noMfa}">` +
    `<td title="${esc(visible(p.key))}">${esc(cut(p.key, 70))}</td><td class="n">${fmt(p.count)}</td><td class="n">${fmt(p.success)}</td>` +
    `<td class="n${p.failure ? " warn" : ""}">${fmt(p.failure)}</td><td class="n">${fmt(p.mfaUsed)}</td><td class="n${p.noMfa ? " warn" : ""}">${fmt(p.noMfa)}</td>` +
    `<td>${esc(p.sourceIps.map((ip) => `${cut(ip.key, 40)} (${fmt(ip.count)})`).join(", "))}</td></tr>`
  );
  return [
    `<div class="tiles small">`,
    tile("logins-total", "logins", c.total),
    tile("logins-success", "succeeded", c.success),
    tile("logins-failure", "failed", c.failure, c.failure > 0),
    tile("logins-mfa-used", "with MFA", c.mfaUsed),
    tile("logins-no-mfa", "without MFA", c.noMfa, c.noMfa > 0),
    tile("logins-mfa-unknown", "MFA not recorded", c.mfaUnknown),
    `</div>`,
    `<table class="logins"><thead><tr><th>principal</th><th>logins</th><th>succeeded</th><th>failed</th><th>with MFA</th><th>without MFA</th><th>from</th></tr></thead><tbody>${rows.join("")}</tbody></table>`,
  ];
}

function rootActivity(r: Report): string[] {
  if (!r.root.total) return [`<p class="ok">No event by the root user.</p>`];
  return [
    `<p class="alert">${plural(r.root.total, "event")} by the root user${r.root.errors ? `, ${fmt(r.root.errors)} of them with an errorCode` : ""}. The root user should almost never act.</p>`,
    `<div class="two">`,
    bars("root-event-names", r.root.eventNames, { title: "Root user: eventNames", width: 480, labelChars: 34, color: "#e15759" }),
    bars("root-source-ips", r.root.sourceIps, { title: "Root user: source addresses", width: 480, labelChars: 34, color: "#e15759" }),
    `</div>`,
  ];
}

function regionsNote(r: Report): string {
  const e = r.regions.earlier;
  const span = `${e.gte.slice(0, 10)} to ${new Date(Date.parse(e.lt) - 1).toISOString().slice(0, 10)}`;
  if (!e.total) return `<p class="meta" data-earlier="0">No events indexed in the 30 days before (${esc(span)}): no region can be called new.</p>`;
  if (!r.regions.new.length) return `<p class="ok" data-earlier="${e.total}">Every region was already seen in the 30 days before (${esc(span)}, ${fmt(e.total)} events).</p>`;
  return `<p class="alert" data-earlier="${e.total}">${r.regions.new.length === 1 ? "1 region was" : `${r.regions.new.length} regions were`} not seen in the 30 days before (${esc(span)}, ${fmt(e.total)} events): ${esc(r.regions.new.map((n) => visible(n.key)).join(", "))}.</p>`;
}

function newRegionsTable(r: Report): string {
  if (!r.regions.new.length) return "";
  const rows = r.regions.new.map((n) => `<tr data-key="${esc(n.key)}" data-count="${n.count}"><td>${esc(cut(n.key, 30))}</td><td class="n">${fmt(n.count)}</td><td>${list(n.eventNames)}</td><td>${list(n.principals)}</td></tr>`);
  return `<table class="new-regions"><thead><tr><th>new region</th><th>events</th><th>top eventNames</th><th>top principals</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function integrity(r: Report): string[] {
  if (!r.integrity.recorded) {
    return [`<p class="meta" data-integrity="not-recorded">Not recorded: no document has <code>trailpost.integrity</code>. Validating the digest files during ingestion records it.</p>`];
  }
  return [
    bars("integrity", [...r.integrity.counts, ...(r.integrity.missing ? [{ key: "not recorded", count: r.integrity.missing }] : [])], { title: "Events by the integrity of their log file", width: 960, labelChars: 24, color: "#9c755f" }),
  ];
}

function plural(n: number, one: string): string {
  return `${fmt(n)} ${n === 1 ? one : `${one}s`}`;
}

function tile(id: string, label: string, value: number, alert = false): string {
  return `<div class="tile${alert ? " alert" : ""}" data-stat="${id}" data-count="${value}"><b>${fmt(value)}</b><span>${esc(label)}</span></div>`;
}

function section(id: string, title: string, content: string[]): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${content.join("")}</section>`;
}

function note(text: string, id: string, count: number): string {
  return count ? `<p class="meta" data-stat="${id}" data-count="${count}">${esc(text)}</p>` : "";
}

function list(counts: readonly Count[]): string {
  return counts.length ? counts.map((c) => `<span class="item" title="${esc(visible(c.key))}">${esc(cut(c.key, 48))}</span> (${fmt(c.count)})`).join(", ") : "none";
}

function timeLabel(r: Report): (key: string, i: number) => string {
  if (r.window.interval === "day") return (key) => key.slice(5, 10);
  if (r.days.length === 1) return (key) => key.slice(11, 13);
  return (key, i) => (i % 6 ? "" : key.slice(11, 13) === "00" ? key.slice(5, 10) : key.slice(11, 13));
}

const CSS = `
:root { color-scheme: light; --fg: #1f2328; --muted: #59636e; --line: #d1d9e0; --alert: #c62828; --ok: #2e7d32; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1040px; padding: 24px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--fg); background: #fff; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 17px; margin: 0 0 10px; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
section { margin: 22px 0; padding-top: 14px; border-top: 1px solid var(--line); }
.meta { color: var(--muted); margin: 4px 0 8px; }
.ok { color: var(--ok); }
.alert { color: var(--alert); font-weight: 600; }
.tiles { display: flex; flex-wrap: wrap; gap: 10px; margin: 16px 0; }
.tile { flex: 1 1 140px; border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.tile b { display: block; font-size: 22px; font-variant-numeric: tabular-nums; }
.tile span { color: var(--muted); font-size: 12.5px; }
.tile.alert { border-color: var(--alert); background: #fdecea; }
.tile.alert b { color: var(--alert); }
.tiles.small .tile b { font-size: 18px; }
.two { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 24px; }
.two > * { min-width: 0; }
svg.chart { display: block; width: 100%; height: auto; font-size: 11.5px; }
svg .grid { stroke: #eaeef2; }
svg .tick, svg .count { fill: var(--muted); }
svg .label { fill: var(--fg); }
svg .badge { fill: var(--alert); font-weight: 700; }
svg .none { fill: var(--muted); }
.legend { list-style: none; padding: 0; margin: 8px 0 0; display: flex; flex-wrap: wrap; gap: 4px 14px; font-size: 12.5px; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 5px; }
table { border-collapse: collapse; width: 100%; margin-top: 10px; font-size: 13px; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #eaeef2; vertical-align: top; overflow-wrap: anywhere; }
th { color: var(--muted); font-weight: 600; white-space: nowrap; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.warn { color: var(--alert); font-weight: 600; }
footer { color: var(--muted); font-size: 12px; margin-top: 28px; }
`;
