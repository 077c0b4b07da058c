/**
 * The text `jq -c` prints for a JSON value, for the values whose delivered text is not it (json-scan.ts flags
 * them REWRITE): whitespace dropped, each key once, where it first appeared, with its last value (jq keeps the
 * last of a duplicate key), strings quoted as jq quotes them, numbers jq reads but JSON does not (`01`, `NaN`,
 * `Infinity`) written as jq writes them. JSON numbers keep their delivered spelling, as everywhere in trailpost.
 *
 * ```ts
 * canonicalJson('{"b":1, "a":2, "\\u0062":[3, .5]}')   // '{"b":[3,0.5],"a":2}'
 * ```
 *
 * The text must be one value that JsonScanner accepted.
 */
import { formatNumber, quoteString } from "../jq/dump.ts";
import { decodeString, lenientNumber } from "./json-scan.ts";

type Frame = { object: true; members: Map<string, string>; key: string | undefined } | { object: false; items: string[] };

export function canonicalJson(text: string): string {
  const stack: Frame[] = [];
  let result: string | undefined;
  const put = (value: string) => {
    const top = stack[stack.length - 1];
    if (!top) result = value;
    else if (top.object) {
      top.members.set(top.key!, value); // Map: the first position, the last value
      top.key = undefined;
    } else top.items.push(value);
  };
  const n = text.length;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13 || c === 9 || c === 44 /* , */ || c === 58 /* : */) {
      i++;
    } else if (c === 123 /* { */) {
      stack.push({ object: true, members: new Map(), key: undefined });
      i++;
    } else if (c === 91 /* [ */) {
      stack.push({ object: false, items: [] });
      i++;
    } else if (c === 125 /* } */) {
      const frame = stack.pop() as Frame & { object: true };
      let out = "";
      for (const [key, value] of frame.members) out += `${out ? "," : ""}${quoteString(key)}:${value}`;
      put(`{${out}}`);
      i++;
    } else if (c === 93 /* ] */) {
      put(`[${(stack.pop() as Frame & { object: false }).items.join(",")}]`);
      i++;
    } else if (c === 34 /* " */) {
      const end = stringEnd(text, i);
      const value = decodeString(text.slice(i, end));
      const top = stack[stack.length - 1];
      if (top?.object && top.key === undefined) top.key = value;
      else put(quoteString(value));
      i = end;
    } else {
      let end = i + 1;
      while (end < n && !DELIMITER.test(text[end]!)) end++;
      const token = text.slice(i, end);
      put(token === "true" || token === "false" || token === "null" || JSON_NUMBER.test(token) ? token : formatNumber(lenientNumber(token)));
      i = end;
    }
  }
  if (result === undefined || stack.length) throw new SyntaxError("canonicalJson: not one complete JSON value");
  return result;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const DELIMITER = /[ \t\n\r,:[\]{}"]/;

function stringEnd(text: string, i: number): number {
  let from = i + 1;
  for (;;) {
    const q = text.indexOf('"', from);
    let backslashes = 0;
    for (let k = q - 1; text.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    from = q + 1;
  }
}
