/**
 * The fast path of `jq '.Records[]'`: finds each element of the top-level `Records` array in a log file's text
 * and hands it on as delivered (its own bytes, newlines removed), together with its parsed value.
 *
 * Passing the bytes through is faster than parsing the whole file and printing each record again, and it is
 * more faithful: numbers keep their spelling (`1.10`, `9.82222E-5`, 64-bit ids beyond 2^53).
 *
 * It only takes the plain shape, one JSON object with a `Records` array. Anything else (no `Records`, another
 * type, several top-level values, invalid JSON) returns `undefined`, and the caller evaluates the program the
 * general way, which gives jq's result or jq's error.
 */

export interface RawRecord {
  /** The record's JSON text as delivered, on one line. */
  text: string;
  value: unknown;
}

export function splitRecords(text: string): RawRecord[] | undefined {
  try {
    return split(text);
  } catch {
    return undefined;
  }
}

/** Start and end offsets of each top-level JSON value in `text` (a file may hold several, as jq allows). */
export function topLevelSpans(text: string): [number, number][] {
  const spans: [number, number][] = [];
  let i = skipWhitespace(text, 0);
  while (i < text.length) {
    const end = skipValue(text, i);
    spans.push([i, end]);
    i = skipWhitespace(text, end);
  }
  return spans;
}

class Shape extends Error {}

function split(s: string): RawRecord[] | undefined {
  let i = skipWhitespace(s, 0);
  if (s.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipWhitespace(s, i + 1);
  let records: [number, number] | undefined;
  if (s.charCodeAt(i) !== CLOSE_BRACE) {
    for (;;) {
      if (s.charCodeAt(i) !== QUOTE) throw new Shape();
      const keyEnd = skipString(s, i);
      const raw = s.slice(i + 1, keyEnd - 1);
      if (CONTROL.test(raw)) throw new Shape(); // raw control characters are not JSON
      const key = raw.includes("\\") ? (JSON.parse(s.slice(i, keyEnd)) as string) : raw;
      i = skipWhitespace(s, keyEnd);
      if (s.charCodeAt(i) !== COLON) throw new Shape();
      const valueStart = skipWhitespace(s, i + 1);
      const valueEnd = skipValue(s, valueStart);
      if (key === "Records") {
        if (records) JSON.parse(s.slice(records[0], records[1])); // a shadowed duplicate must still be JSON
        records = [valueStart, valueEnd];
      } else JSON.parse(s.slice(valueStart, valueEnd)); // validate what we do not hand on
      i = skipWhitespace(s, valueEnd);
      const c = s.charCodeAt(i);
      if (c === COMMA) {
        i = skipWhitespace(s, i + 1);
        continue;
      }
      if (c === CLOSE_BRACE) break;
      throw new Shape();
    }
  }
  if (skipWhitespace(s, i + 1) !== s.length) return undefined; // more than one top-level value
  if (!records || s.charCodeAt(records[0]) !== OPEN_BRACKET) return undefined;

  const out: RawRecord[] = [];
  let j = skipWhitespace(s, records[0] + 1);
  if (s.charCodeAt(j) === CLOSE_BRACKET) return out;
  for (;;) {
    const end = skipValue(s, j);
    let text = s.slice(j, end);
    const value: unknown = JSON.parse(text);
    // JSON strings cannot hold raw newlines, tabs or CRs, and valid JSON never puts two tokens side by side, so
    // deleting them outside strings is the same as deleting them everywhere.
    if (sawLineBreak) text = text.replace(/[\n\r\t]+/g, "");
    out.push({ text, value });
    j = skipWhitespace(s, end);
    const c = s.charCodeAt(j);
    if (c === COMMA) {
      j = skipWhitespace(s, j + 1);
      continue;
    }
    if (c === CLOSE_BRACKET) return out;
    throw new Shape();
  }
}

const CONTROL = /[\u0000-\u001f]/;

/** Set by skipValue: the container it just skipped has a newline, CR or tab between its tokens. */
let sawLineBreak = false;

const QUOTE = 34, COMMA = 44, COLON = 58, BACKSLASH = 92;
const OPEN_BRACKET = 91, CLOSE_BRACKET = 93, OPEN_BRACE = 123, CLOSE_BRACE = 125;

function skipWhitespace(s: string, i: number): number {
  for (;;) {
    const c = s.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9) i++;
    else return i;
  }
}

/** `s[i]` is a quote; returns the index after the closing quote. */
function skipString(s: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = s.indexOf('"', from);
    if (q < 0) throw new Shape();
    let backslashes = 0;
    for (let k = q - 1; s.charCodeAt(k) === BACKSLASH; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}

/** The index after the JSON value starting at `i` (not validated here: callers JSON.parse the span). */
function skipValue(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c === QUOTE) return skipString(s, i);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    sawLineBreak = false;
    for (let j = i; j < s.length; ) {
      const d = s.charCodeAt(j);
      if (d === QUOTE) {
        j = skipString(s, j);
        continue;
      }
      if (d === 10 || d === 13 || d === 9) sawLineBreak = true;
      else if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if (d === CLOSE_BRACE || d === CLOSE_BRACKET) {
        depth--;
        if (depth === 0) return j + 1;
      }
      j++;
    }
    throw new Shape();
  }
  let j = i;
  while (j < s.length) {
    const d = s.charCodeAt(j);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d === 32 || d === 10 || d === 13 || d === 9) break;
    j++;
  }
  if (j === i) throw new Shape();
  return j;
}
