/**
 * Inline SVG charts for the report page: stacked columns (events per hour by source), bars (top lists), and
 * stacked bars (errors by principal). No script, no external resource: a tooltip is an SVG `<title>`. Each
 * drawn mark carries its numbers (`data-chart`, `data-key`, `data-series`, `data-count`; a row's group has
 * `data-total`), so that a test can read them back and a reader can copy them.
 *
 * ```ts
 * const svg = bars("top-event-names", [{ key: "DescribeInstances", count: 238 }, …], { title: "Top eventNames" });
 * ```
 *
 * Every value from the logs is escaped; labels longer than fit are cut with "…" (the title has them whole).
 */
import { OTHER, type Count, type Stacked } from "./model.ts";

/** Colour-blind-safe categorical colours (Tableau 10); `other` is grey. */
export const COLORS = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7", "#9c755f"];
export const OTHER_COLOR = "#bab0ac";

export function colorOf(series: readonly string[], key: string): string {
  if (key === OTHER) return OTHER_COLOR;
  const i = series.indexOf(key);
  return COLORS[(i < 0 ? 0 : i) % COLORS.length]!;
}

export interface ColumnsOptions {
  title: string;
  /** Label under a column (e.g. the hour); "" for none. */
  label: (key: string, index: number) => string;
  width?: number;
  height?: number;
}

/** Stacked columns, one per row (e.g. per hour), one segment per series. */
export function stackedColumns(id: string, chart: Stacked, options: ColumnsOptions): string {
  const width = options.width ?? 960;
  const height = options.height ?? 300;
  const m = { top: 12, right: 12, bottom: 28, left: 56 };
  const plotW = width - m.left - m.right;
  const plotH = height - m.top - m.bottom;
  const scale = niceScale(Math.max(0, ...chart.rows.map((r) => r.total)));
  const max = scale.top;
  const step = chart.rows.length ? plotW / chart.rows.length : plotW;
  const barW = Math.max(1, step * 0.78);
  const y = (v: number) => (max ? (v / max) * plotH : 0);
  const out: string[] = [svgOpen(id, width, height, options.title), yAxis(scale, m.left, m.top, plotW, plotH)];
  chart.rows.forEach((row, i) => {
    const x = m.left + i * step + (step - barW) / 2;
    let top = m.top + plotH;
    out.push(`<g class="row" data-key="${esc(row.key)}" data-total="${row.total}"><title>${esc(visible(options.label(row.key, i) || row.key))}: ${fmt(row.total)} events</title>`);
    for (const part of row.parts) {
      if (!part.count) continue;
      const h = y(part.count);
      top -= h;
      out.push(`<rect x="${num(x)}" y="${num(top)}" width="${num(barW)}" height="${num(h)}" fill="${colorOf(chart.series, part.key)}" data-chart="${esc(id)}" data-key="${esc(row.key)}" data-series="${esc(part.key)}" data-count="${part.count}"><title>${esc(visible(part.key))}: ${fmt(part.count)}</title></rect>`);
    }
    const label = options.label(row.key, i);
    if (label) out.push(`<text x="${num(m.left + i * step + step / 2)}" y="${height - m.bottom + 16}" text-anchor="middle" class="tick">${esc(label)}</text>`);
    out.push("</g>");
  });
  out.push("</svg>");
  return out.join("");
}

export interface BarsOptions {
  title: string;
  width?: number;
  /** Characters of a label shown before it is cut. */
  labelChars?: number;
  color?: string;
  /** Marks a row (e.g. a new region) with a word after its label. */
  badge?: (key: string) => string | undefined;
}

/** Horizontal bars, largest first as given: label, bar, count. */
export function bars(id: string, rows: readonly Count[], options: BarsOptions): string {
  const width = options.width ?? 460;
  const rowH = 22;
  const labelW = Math.min(width * 0.55, (options.labelChars ?? 34) * 7.2 + 8);
  const chars = Math.floor((labelW - 8) / 7.2);
  const countW = 56;
  const plotW = width - labelW - countW;
  const height = Math.max(1, rows.length) * rowH + 4;
  const max = Math.max(0, ...rows.map((r) => r.count));
  const out = [svgOpen(id, width, height, options.title)];
  if (!rows.length) out.push(`<text x="0" y="16" class="none">none</text>`);
  rows.forEach((row, i) => {
    const y = i * rowH + 2;
    const w = max ? (row.count / max) * plotW : 0;
    const badge = options.badge?.(row.key);
    out.push(
      `<g class="row" data-key="${esc(row.key)}" data-total="${row.count}"><title>${esc(visible(row.key))}: ${fmt(row.count)}</title>`,
      `<text x="${num(labelW - 6)}" y="${y + 15}" text-anchor="end" class="label">${esc(cut(row.key, chars))}${badge ? ` <tspan class="badge">${esc(badge)}</tspan>` : ""}</text>`,
      `<rect x="${num(labelW)}" y="${y + 3}" width="${num(w)}" height="${rowH - 6}" fill="${options.color ?? COLORS[0]}" data-chart="${esc(id)}" data-key="${esc(row.key)}" data-count="${row.count}"></rect>`,
      `<text x="${num(labelW + w + 4)}" y="${y + 15}" class="count">${fmt(row.count)}</text>`,
      "</g>",
    );
  });
  out.push("</svg>");
  return out.join("");
}

/** Horizontal stacked bars: one per row (e.g. per principal), one segment per series (e.g. per error code). */
export function stackedBars(id: string, chart: Stacked, options: BarsOptions): string {
  const width = options.width ?? 960;
  const rowH = 24;
  const labelW = Math.min(width * 0.5, (options.labelChars ?? 70) * 7.2 + 8);
  const chars = Math.floor((labelW - 8) / 7.2);
  const countW = 56;
  const plotW = width - labelW - countW;
  const height = Math.max(1, chart.rows.length) * rowH + 4;
  const max = Math.max(0, ...chart.rows.map((r) => r.total));
  const out = [svgOpen(id, width, height, options.title)];
  if (!chart.rows.length) out.push(`<text x="0" y="16" class="none">none</text>`);
  chart.rows.forEach((row, i) => {
    const y = i * rowH + 2;
    let x = labelW;
    out.push(
      `<g class="row" data-key="${esc(row.key)}" data-total="${row.total}"><title>${esc(visible(row.key))}: ${fmt(row.total)}</title>`,
      `<text x="${num(labelW - 6)}" y="${y + 16}" text-anchor="end" class="label">${esc(cut(row.key, chars))}</text>`,
    );
    for (const part of row.parts) {
      if (!part.count) continue;
      const w = max ? (part.count / max) * plotW : 0;
      out.push(`<rect x="${num(x)}" y="${y + 3}" width="${num(w)}" height="${rowH - 6}" fill="${colorOf(chart.series, part.key)}" data-chart="${esc(id)}" data-key="${esc(row.key)}" data-series="${esc(part.key)}" data-count="${part.count}"><title>${esc(visible(part.key))}: ${fmt(part.count)}</title></rect>`);
      x += w;
    }
    out.push(`<text x="${num(x + 4)}" y="${y + 16}" class="count">${fmt(row.total)}</text>`, "</g>");
  });
  out.push("</svg>");
  return out.join("");
}

/** A legend for a stacked chart's series, as HTML. */
export function legend(series: readonly string[]): string {
  return `<ul class="legend">${series.map((s) => `<li><span class="swatch" style="background:${colorOf(series, s)}"></span>${esc(cut(s, 60))}</li>`).join("")}</ul>`;
}

/** A y scale for counts: a top of whole steps of 1, 2 or 5 × 10^k, at least `max`, in about five steps. */
export function niceScale(max: number): { top: number; step: number } {
  if (!(max > 0)) return { top: 0, step: 0 };
  const rough = max / 5;
  const p = 10 ** Math.floor(Math.log10(rough));
  let step = 10 * p;
  for (const f of [1, 2, 5]) {
    if (f * p >= rough) {
      step = f * p;
      break;
    }
  }
  step = Math.max(1, step);
  return { top: Math.ceil(max / step) * step, step };
}

/**
 * HTML (and SVG-in-HTML) text and attribute escaping. ASCII control characters are references too, so that a
 * carriage return survives the parser's newline normalisation (NUL cannot: the parser makes it U+FFFD).
 */
export function esc(value: string): string {
  return value.replace(/[&<>"'\u0000-\u001f\u007f]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function fmt(n: number): string {
  return n.toLocaleString("en-US");
}

/**
 * Text for display, cut in the middle to `chars` code points. Control and bidirectional-override characters are shown as
 * `\u{…}`, so that a value from the logs cannot hide or reorder what is around it.
 */
export function cut(text: string, chars: number): string {
  const glyphs = [...visible(text)];
  if (glyphs.length <= chars) return glyphs.join("");
  // keep both ends: an ARN says whose it is at its start and who at its end
  const head = Math.ceil((chars - 1) * 0.4);
  return `${glyphs.slice(0, head).join("")}…${glyphs.slice(glyphs.length - (chars - 1 - head)).join("")}`;
}

export function visible(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u{${c.charCodeAt(0).toString(16)}}`);
}

function yAxis(scale: { top: number; step: number }, left: number, top: number, plotW: number, plotH: number): string {
  const out: string[] = [];
  for (let v = 0; v <= scale.top; v += scale.step || 1) {
    const y = top + plotH - (scale.top ? (v / scale.top) * plotH : 0);
    out.push(`<line x1="${left}" x2="${left + plotW}" y1="${num(y)}" y2="${num(y)}" class="grid"></line>`);
    out.push(`<text x="${left - 6}" y="${num(y + 4)}" text-anchor="end" class="tick">${fmt(v)}</text>`);
  }
  return out.join("");
}

function svgOpen(id: string, width: number, height: number, title: string): string {
  return `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>`;
}

function num(n: number): string {
  return String(Math.round(n * 100) / 100);
}
