/**
 * Where a document keeps what its mapping cannot take: `trailpost.unindexed` (an object the engine stores but
 * never parses for fields: `enabled: false`) holds each moved value under its path, and `trailpost.unindexedPaths`
 * (a keyword) lists the paths, so `trailpost.unindexedPaths: "requestParameters"` finds the documents concerned.
 *
 * A path names object keys from the record's root. A key made only of ordinary characters is written as it is,
 * after a dot (`userIdentity.sessionContext`); any other key (empty, with a dot, a bracket, a quote, a backslash,
 * whitespace or a control character) is written as a JSON string in brackets: `requestParameters["a.b"]`,
 * `[""]`, `userIdentity["userIdentity.type"]`. So every path reads back to exactly one list of keys.
 *
 * ```ts
 * encodePath(["requestParameters", "a.b"]); // 'requestParameters["a.b"]'
 * originalRecord(parseLossless(hit._source)); // the record as delivered (duplicate keys resolved as jq does)
 * ```
 */
import { isJsonObject, type JsonObject, type JsonValue } from "../json/lossless.ts";
import { UNINDEXED } from "./schema.ts";

const PLAIN = /^[^.[\]"\\\s\u0000-\u001f\u007f]+$/u;

export function encodePath(keys: readonly string[]): string {
  let out = "";
  for (const key of keys) out += PLAIN.test(key) ? (out ? `.${key}` : key) : `[${JSON.stringify(key)}]`;
  return out;
}

export function decodePath(path: string): string[] {
  const keys: string[] = [];
  let i = 0;
  while (i < path.length) {
    if (path[i] === "[") {
      const end = closingBracket(path, i);
      keys.push(JSON.parse(path.slice(i + 1, end)) as string);
      i = end + 1;
    } else {
      if (keys.length) {
        if (path[i] !== ".") throw new SyntaxError(`not a trailpost path: ${JSON.stringify(path)}`);
        i++;
      }
      let j = i;
      while (j < path.length && path[j] !== "." && path[j] !== "[") j++;
      if (j === i) throw new SyntaxError(`not a trailpost path: ${JSON.stringify(path)}`);
      keys.push(path.slice(i, j));
      i = j;
    }
  }
  return keys;
}

/**
 * The record a document was made from: its `@timestamp` removed (trailpost adds it), and every moved value put
 * back at its path (the record's own `@timestamp` and `trailpost`, if it had them, included). Keys come back in
 * another order; values, number spellings included, are the record's.
 */
export function originalRecord(document: JsonObject): JsonObject {
  const record: JsonObject = new Map(document);
  record.delete("@timestamp");
  const own = record.get(UNINDEXED);
  record.delete(UNINDEXED);
  const unindexed = isJsonObject(own) ? own.get("unindexed") : undefined;
  if (isJsonObject(unindexed)) {
    for (const [path, value] of unindexed) putPath(record, decodePath(path), value);
  }
  return record;
}

function putPath(root: JsonObject, keys: string[], value: JsonValue): void {
  let node = root;
  for (const key of keys.slice(0, -1)) {
    let next = node.get(key);
    if (!isJsonObject(next)) node.set(key, (next = new Map()));
    node = next;
  }
  node.set(keys.at(-1)!, value);
}

function closingBracket(path: string, open: number): number {
  // a JSON string, then "]"
  if (path[open + 1] !== '"') throw new SyntaxError(`not a trailpost path: ${JSON.stringify(path)}`);
  let i = open + 2;
  for (;;) {
    const q = path.indexOf('"', i);
    if (q < 0) throw new SyntaxError(`not a trailpost path: ${JSON.stringify(path)}`);
    let backslashes = 0;
    for (let k = q - 1; path.charCodeAt(k) === 92; k--) backslashes++;
    if (backslashes % 2 === 0) {
      if (path[q + 1] !== "]") throw new SyntaxError(`not a trailpost path: ${JSON.stringify(path)}`);
      return q + 1;
    }
    i = q + 1;
  }
}
